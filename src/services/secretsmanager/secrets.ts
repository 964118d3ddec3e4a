/**
 * Secrets as Berth keeps them: looking a secret up by any reference, reading and sealing
 * versions, moving staging labels as AWS does, and purging secrets whose recovery window ended.
 */
import { parseSecretId, type SecretRef } from './arns.js';
import type { SecretsManagerDeps } from './deps.js';
import { invalidRequest, limitExceeded, MARKED_FOR_DELETION, notFound, resourceExists } from './errors.js';

/** A row of `sm_secrets`. */
export interface SecretRow {
  arn: string;
  name: string;
  description: string | null;
  kms_key_id: string | null;
  created_at: string;
  last_changed_at: string;
  last_accessed_at: string | null;
  deleted_at: string | null;
  deletion_date: string | null;
}

/** A secret value in the clear: a string, or bytes. */
export type SecretValue = { kind: 'string'; text: string } | { kind: 'binary'; bytes: Buffer };

/** One version of a secret, value included. */
export interface OpenVersion {
  versionId: string;
  createdAt: string;
  stages: string[];
  value: SecretValue;
}

/** The label a new value gets unless others are named. */
export const AWSCURRENT = 'AWSCURRENT';
/** The label the last current version gets when AWSCURRENT moves. */
export const AWSPREVIOUS = 'AWSPREVIOUS';
/** Versions a secret keeps; older versions without labels are removed past this. */
export const MAX_VERSIONS = 100;

const binding = (arn: string, versionId: string) => `${arn}|${versionId}`;

/** Finds a secret by name, full ARN or partial ARN; undefined when none (or its recovery window ended). */
export function findSecret(deps: SecretsManagerDeps, id: string): SecretRow | undefined {
  const ref = parseSecretId(deps.scope, id);
  if (!ref) return undefined;
  const row = lookup(deps, ref);
  if (row && row.deletion_date !== null && row.deletion_date <= deps.now().toISOString()) return undefined;
  return row;
}

function lookup(deps: SecretsManagerDeps, ref: SecretRef): SecretRow | undefined {
  const byArn = ref.arn === undefined ? undefined : (deps.store.prepare('SELECT * FROM sm_secrets WHERE arn = ?').get(ref.arn) as SecretRow | undefined);
  return byArn ?? (deps.store.prepare('SELECT * FROM sm_secrets WHERE name = ?').get(ref.name) as SecretRow | undefined);
}

/** The secret a SecretId names, or ResourceNotFoundException. */
export function requireSecret(deps: SecretsManagerDeps, id: string): SecretRow {
  purgeExpired(deps);
  const row = findSecret(deps, id);
  if (!row) throw notFound();
  return row;
}

/** The secret a SecretId names, refusing one scheduled for deletion (InvalidRequestException). */
export function requireLiveSecret(deps: SecretsManagerDeps, id: string): SecretRow {
  const row = requireSecret(deps, id);
  if (row.deleted_at !== null) throw invalidRequest(MARKED_FOR_DELETION);
  return row;
}

/** Removes, for good, the secrets whose recovery window has ended (with their versions and tags). */
export function purgeExpired(deps: SecretsManagerDeps): number {
  const now = deps.now().toISOString();
  const arns = deps.store.prepare('SELECT arn FROM sm_secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?').pluck().all(now) as string[];
  for (const arn of arns) removeSecret(deps, arn);
  return arns.length;
}

/** Deletes a secret now, versions and tags included. */
export function removeSecret(deps: SecretsManagerDeps, arn: string): void {
  deps.store.prepare('DELETE FROM sm_stages WHERE secret_arn = ?').run(arn);
  deps.store.prepare('DELETE FROM sm_versions WHERE secret_arn = ?').run(arn);
  deps.store.prepare('DELETE FROM sm_secrets WHERE arn = ?').run(arn);
  deps.tags.clear(arn);
}

/** Staging labels by version id (labelled versions only). */
export function stagesByVersion(deps: SecretsManagerDeps, arn: string): Map<string, string[]> {
  const rows = deps.store
    .prepare('SELECT s.version_id AS v, s.stage AS stage FROM sm_stages s JOIN sm_versions v ON v.secret_arn = s.secret_arn AND v.version_id = s.version_id WHERE s.secret_arn = ? ORDER BY v.seq, s.stage')
    .all(arn) as { v: string; stage: string }[];
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.v, [...(out.get(r.v) ?? []), r.stage]);
  return out;
}

/** Every version of a secret, oldest first, with its labels (no values). */
export function listVersions(deps: SecretsManagerDeps, arn: string): { versionId: string; createdAt: string; stages: string[] }[] {
  const stages = stagesByVersion(deps, arn);
  const rows = deps.store.prepare('SELECT version_id, created_at FROM sm_versions WHERE secret_arn = ? ORDER BY seq').all(arn) as { version_id: string; created_at: string }[];
  return rows.map((r) => ({ versionId: r.version_id, createdAt: r.created_at, stages: stages.get(r.version_id) ?? [] }));
}

/**
 * Opens the version a GetSecretValue names: by VersionId, by VersionStage, by both (they must
 * agree), or AWSCURRENT. ResourceNotFoundException when there is no such version.
 */
export function openVersion(deps: SecretsManagerDeps, secret: SecretRow, versionId?: string, versionStage?: string): OpenVersion {
  let id = versionId;
  if (versionStage !== undefined || versionId === undefined) {
    const stage = versionStage ?? AWSCURRENT;
    const holder = deps.store.prepare('SELECT version_id FROM sm_stages WHERE secret_arn = ? AND stage = ?').pluck().get(secret.arn, stage) as string | undefined;
    if (holder === undefined) throw notFound(`Secrets Manager can't find the specified secret value for staging label: ${stage}`);
    if (versionId !== undefined && versionId !== holder) throw invalidRequest('You provided a VersionStage that is not associated to the provided VersionId.');
    id = holder;
  }
  const row = deps.store.prepare('SELECT version_id, created_at, kind, sealed FROM sm_versions WHERE secret_arn = ? AND version_id = ?').get(secret.arn, id) as
    | { version_id: string; created_at: string; kind: 'string' | 'binary'; sealed: Buffer }
    | undefined;
  if (!row) throw notFound(`Secrets Manager can't find the specified secret value for VersionId: ${id}`);
  const plain = deps.cipher.decrypt(row.sealed, binding(secret.arn, row.version_id));
  const value: SecretValue = row.kind === 'string' ? { kind: 'string', text: plain.toString('utf8') } : { kind: 'binary', bytes: plain };
  return { versionId: row.version_id, createdAt: row.created_at, stages: stagesByVersion(deps, secret.arn).get(row.version_id) ?? [], value };
}

/** The result of {@link putVersion}. */
export interface PutVersionResult {
  versionId: string;
  stages: string[];
  /** False when the token named an existing version with the same value (an idempotent retry). */
  created: boolean;
}

/**
 * Adds a version (sealed) and moves the labels it is given to it. Moving AWSCURRENT gives the
 * version that held it AWSPREVIOUS. A token naming an existing version is a retry when the value
 * is the same, and ResourceExistsException when it differs.
 */
export function putVersion(deps: SecretsManagerDeps, secret: SecretRow, token: string | undefined, value: SecretValue, stages: readonly string[] = [AWSCURRENT]): PutVersionResult {
  if (token === undefined) throw invalidRequest('You must provide a ClientRequestToken value. We recommend a UUID-type value.');
  const existing = deps.store.prepare('SELECT 1 FROM sm_versions WHERE secret_arn = ? AND version_id = ?').get(secret.arn, token);
  if (existing) {
    const open = openVersion(deps, secret, token);
    if (!sameValue(open.value, value)) throw resourceExists("You can't modify an existing version, you can only create a new version.");
    return { versionId: token, stages: open.stages, created: false };
  }
  if (new Set(stages).size !== stages.length) throw limitExceeded('A staging label can be attached to a version only once.');
  const now = deps.now().toISOString();
  const seq = ((deps.store.prepare('SELECT max(seq) FROM sm_versions WHERE secret_arn = ?').pluck().get(secret.arn) as number | null) ?? 0) + 1;
  const plain = value.kind === 'string' ? Buffer.from(value.text, 'utf8') : value.bytes;
  deps.store
    .prepare('INSERT INTO sm_versions (secret_arn, version_id, seq, created_at, kind, sealed) VALUES (?, ?, ?, ?, ?, ?)')
    .run(secret.arn, token, seq, now, value.kind, deps.cipher.encrypt(plain, binding(secret.arn, token)));
  for (const stage of stages) moveStage(deps, secret.arn, stage, token);
  pruneVersions(deps, secret.arn);
  deps.store.prepare('UPDATE sm_secrets SET last_changed_at = ? WHERE arn = ?').run(now, secret.arn);
  return { versionId: token, stages: [...stages], created: true };
}

/** Points `stage` at `versionId`; moving AWSCURRENT hands AWSPREVIOUS to the version that had it. */
export function moveStage(deps: SecretsManagerDeps, arn: string, stage: string, versionId: string): void {
  const set = deps.store.prepare(
    'INSERT INTO sm_stages (secret_arn, stage, version_id) VALUES (?, ?, ?) ON CONFLICT (secret_arn, stage) DO UPDATE SET version_id = excluded.version_id',
  );
  if (stage === AWSCURRENT) {
    const previous = deps.store.prepare('SELECT version_id FROM sm_stages WHERE secret_arn = ? AND stage = ?').pluck().get(arn, AWSCURRENT) as string | undefined;
    if (previous !== undefined && previous !== versionId) set.run(arn, AWSPREVIOUS, previous);
  }
  set.run(arn, stage, versionId);
}

function pruneVersions(deps: SecretsManagerDeps, arn: string): void {
  const count = deps.store.prepare('SELECT count(*) FROM sm_versions WHERE secret_arn = ?').pluck().get(arn) as number;
  if (count <= MAX_VERSIONS) return;
  deps.store
    .prepare(
      `DELETE FROM sm_versions WHERE secret_arn = ? AND version_id IN (
         SELECT v.version_id FROM sm_versions v WHERE v.secret_arn = ?
           AND NOT EXISTS (SELECT 1 FROM sm_stages s WHERE s.secret_arn = v.secret_arn AND s.version_id = v.version_id)
         ORDER BY v.seq LIMIT ?)`,
    )
    .run(arn, arn, count - MAX_VERSIONS);
}

function sameValue(a: SecretValue, b: SecretValue): boolean {
  if (a.kind === 'string' && b.kind === 'string') return a.text === b.text;
  if (a.kind === 'binary' && b.kind === 'binary') return a.bytes.equals(b.bytes);
  return false;
}
