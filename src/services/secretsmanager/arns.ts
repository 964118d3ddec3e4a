/**
 * Secret ARNs (`arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX`) and the references
 * that name a secret: a name, a full ARN, a partial ARN (without the 6-character suffix), and
 * ECS's `valueFrom` form `ARN:json-key:version-stage:version-id`.
 */
import { randomInt } from 'node:crypto';

/** Where ARNs are minted: the account and region Berth serves. */
export interface ArnScope {
  accountId: string;
  region: string;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A new secret ARN: the name plus `-` and 6 random letters and digits, as AWS mints them. */
export function newSecretArn(scope: ArnScope, name: string): string {
  const suffix = Array.from({ length: 6 }, () => ALNUM[randomInt(ALNUM.length)]).join('');
  return `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${name}-${suffix}`;
}

/** A secret reference split into what to look up. */
export interface SecretRef {
  /** The whole ARN as given (full or partial), when the reference is an ARN. */
  arn?: string;
  /** The secret name: the reference itself, or the ARN's resource part (a partial ARN's name). */
  name: string;
}

/** The ECS `valueFrom` parts after the secret's ARN; empty parts are absent. */
export interface ValueFromRef extends SecretRef {
  jsonKey?: string;
  versionStage?: string;
  versionId?: string;
}

const ARN = /^arn:aws[a-z-]*:secretsmanager:([a-z0-9-]*):(\d{12}):secret:(.+)$/;

/** Reads a SecretId (name, full ARN or partial ARN); undefined for an ARN of another kind, region or account. */
export function parseSecretId(scope: ArnScope, id: string): SecretRef | undefined {
  if (!id.startsWith('arn:')) return { name: id };
  const m = ARN.exec(id);
  if (!m || m[1] !== scope.region || m[2] !== scope.accountId) return undefined;
  return { arn: id, name: m[3] };
}

/**
 * Reads an ECS `valueFrom` naming a Secrets Manager secret: a name, or an ARN optionally followed
 * by `:json-key:version-stage:version-id` (secret names cannot contain `:`).
 */
export function parseValueFrom(scope: ArnScope, valueFrom: string): ValueFromRef | undefined {
  if (!valueFrom.startsWith('arn:')) return valueFrom.includes(':') ? undefined : { name: valueFrom };
  const m = ARN.exec(valueFrom);
  if (!m || m[1] !== scope.region || m[2] !== scope.accountId) return undefined;
  const [resource, jsonKey, versionStage, versionId, ...rest] = m[3].split(':');
  if (rest.length > 0 || resource === '') return undefined;
  const arn = valueFrom.slice(0, valueFrom.length - m[3].length) + resource;
  return { arn, name: resource, jsonKey: jsonKey || undefined, versionStage: versionStage || undefined, versionId: versionId || undefined };
}
