/**
 * Parameters as Berth keeps them: finding one by name, ARN and `:version` selector, reading a
 * version's value (sealed at rest), and writing a new version.
 */
import type { SsmDeps } from './deps.js';
import { parameterNotFound, versionNotFound } from './errors.js';
import { parseParameterRef } from './names.js';

/** One version of a parameter, as stored (value sealed). */
export interface VersionRow {
  name: string;
  version: number;
  type: 'String' | 'StringList' | 'SecureString';
  sealed: Buffer;
  description: string | null;
  key_id: string | null;
  allowed_pattern: string | null;
  tier: 'Standard' | 'Advanced';
  data_type: string;
  modified_at: string;
  modified_by: string;
}

/** A parameter found by reference, at the version the reference selects. */
export interface Found {
  arn: string;
  row: VersionRow;
  /** `:N` when the reference carried a selector. */
  selector?: string;
}

const binding = (arn: string, version: number) => `${arn}|${version}`;

/** The current row of a parameter by exact name; undefined when none. */
export function current(deps: SsmDeps, name: string): { arn: string; version: number } | undefined {
  return deps.store.prepare('SELECT arn, version FROM ssm_parameters WHERE name = ?').get(name) as { arn: string; version: number } | undefined;
}

/** The parameter and version a reference (name or ARN, `:version` optional) names, or the SSM error. */
export function findParameter(deps: SsmDeps, ref: string): Found {
  const parsed = parseParameterRef(deps.scope, ref);
  if (!parsed) throw parameterNotFound(ref);
  const name = parsed.candidates.find((n) => current(deps, n) !== undefined);
  if (name === undefined) throw parameterNotFound(parsed.given);
  const head = current(deps, name)!;
  let version = head.version;
  if (parsed.selector !== undefined) {
    if (!/^[1-9][0-9]{0,17}$/.test(parsed.selector)) throw versionNotFound(name, parsed.selector);
    version = Number(parsed.selector);
  }
  const row = deps.store.prepare('SELECT * FROM ssm_parameter_versions WHERE name = ? AND version = ?').get(name, version) as VersionRow | undefined;
  if (!row) throw versionNotFound(name, parsed.selector ?? String(version));
  return { arn: head.arn, row, selector: parsed.selector === undefined ? undefined : `:${parsed.selector}` };
}

/** The value of a version in the clear. */
export function openValue(deps: SsmDeps, arn: string, row: VersionRow): string {
  return deps.cipher.decrypt(row.sealed, binding(arn, row.version)).toString('utf8');
}

/**
 * A parameter's value as GetParameter returns it: in the clear, except a SecureString read
 * without decryption, which comes back as its sealed form in base64 (as AWS returns KMS ciphertext).
 */
export function wireValue(deps: SsmDeps, arn: string, row: VersionRow, withDecryption: boolean): string {
  return row.type === 'SecureString' && !withDecryption ? row.sealed.toString('base64') : openValue(deps, arn, row);
}

/** Seals a value for a version of the parameter with this ARN. */
export function seal(deps: SsmDeps, arn: string, version: number, value: string): Buffer {
  return deps.cipher.encrypt(value, binding(arn, version));
}

/** Removes a parameter, every version and its tags. */
export function removeParameter(deps: SsmDeps, name: string, arn: string): void {
  deps.store.prepare('DELETE FROM ssm_parameter_versions WHERE name = ?').run(name);
  deps.store.prepare('DELETE FROM ssm_parameters WHERE name = ?').run(name);
  deps.tags.clear(arn);
}

/** Every parameter's current version, by name. */
export function allCurrent(deps: SsmDeps): (VersionRow & { arn: string })[] {
  return deps.store
    .prepare('SELECT v.*, p.arn AS arn FROM ssm_parameters p JOIN ssm_parameter_versions v ON v.name = p.name AND v.version = p.version ORDER BY p.name')
    .all() as (VersionRow & { arn: string })[];
}
