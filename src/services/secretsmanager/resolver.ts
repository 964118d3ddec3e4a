/**
 * Resolving an ECS container secret's `valueFrom` against Berth's Secrets Manager: a name, a
 * full or partial ARN, and the `ARN:json-key:version-stage:version-id` form.
 */
import { BerthError } from '../../errors/index.js';
import { SecretResolutionError } from '../../secret-values/index.js';
import { parseValueFrom } from './arns.js';
import type { SecretsManagerDeps } from './deps.js';
import { MARKED_FOR_DELETION } from './errors.js';
import { findSecret, openVersion } from './secrets.js';

const ASM = 'unable to retrieve secret from asm: ';

/** Reads the plaintext a `valueFrom` names; throws {@link SecretResolutionError} (never carrying a value). */
export function resolveSecretValueFrom(deps: SecretsManagerDeps, valueFrom: string): string {
  const ref = parseValueFrom(deps.scope, valueFrom);
  const fail = (why: string) => new SecretResolutionError(valueFrom, `${ASM}failed to fetch secret ${valueFrom} from secrets manager: ${why}`);
  if (!ref) throw fail(`InvalidParameterException: '${valueFrom}' is not a secret name or an ARN of a secret in ${deps.scope.region} for account ${deps.scope.accountId}.`);
  const secret = findSecret(deps, ref.arn ?? ref.name);
  if (!secret) throw fail("ResourceNotFoundException: Secrets Manager can't find the specified secret.");
  if (secret.deleted_at !== null) throw fail(`InvalidRequestException: ${MARKED_FOR_DELETION}`);
  let version;
  try {
    version = openVersion(deps, secret, ref.versionId, ref.versionStage);
  } catch (err) {
    if (err instanceof BerthError) throw fail(`${err.code}: ${err.message}`);
    throw err;
  }
  if (version.value.kind !== 'string') throw fail('InvalidRequestException: the secret holds a binary value; ECS injects only SecretString values.');
  if (ref.jsonKey === undefined) return version.value.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(version.value.text);
  } catch {
    // The parser's message quotes the value; say only what is wrong.
    parsed = undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretResolutionError(valueFrom, `${ASM}retrieved secret from Secrets Manager is not a JSON object, so it has no json key ${ref.jsonKey}`);
  }
  if (!Object.hasOwn(parsed, ref.jsonKey)) {
    throw new SecretResolutionError(valueFrom, `${ASM}retrieved secret from Secrets Manager did not contain json key ${ref.jsonKey}`);
  }
  const picked = (parsed as Record<string, unknown>)[ref.jsonKey];
  return typeof picked === 'string' ? picked : JSON.stringify(picked);
}
