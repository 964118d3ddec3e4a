/**
 * The account Berth serves and its root access key pair: made at first start and kept in the
 * data dir (the account id in the database, the key pair in `credentials.json`, mode 0600).
 */
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import type { Store } from '../state/index.js';

/** An access key pair. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** The account id, made once (12 digits, no leading zero) and kept in the meta table. */
export function ensureAccountId(store: Store): string {
  const existing = store.getMeta('account_id');
  if (existing) return existing;
  const id = String(randomInt(1, 10)) + Array.from({ length: 11 }, () => randomInt(0, 10)).join('');
  store.setMeta('account_id', id);
  return id;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new root key pair shaped like AWS's (AKIA + 16 characters; a 40-character secret). */
export function newCredentials(): Credentials {
  const id = Array.from(randomBytes(16), (b) => ALNUM[b % ALNUM.length]).join('');
  const secret = randomBytes(30).toString('base64').replace(/\+/g, 'A').replace(/\//g, 'B');
  return { accessKeyId: `AKIA${id}`, secretAccessKey: secret };
}

/** The path of the stored root key pair. */
export const credentialsPath = (dataDir: string) => path.join(dataDir, 'credentials.json');

/** Reads the stored root key pair, if any. */
export function readStoredCredentials(dataDir: string): Credentials | undefined {
  try {
    const parsed = JSON.parse(readFileSync(credentialsPath(dataDir), 'utf8'));
    if (typeof parsed.accessKeyId === 'string' && typeof parsed.secretAccessKey === 'string') return parsed;
  } catch {
    // no stored pair yet
  }
  return undefined;
}

/** Returns the stored root key pair, creating it (mode 0600) at first start. */
export function ensureRootCredentials(dataDir: string): { credentials: Credentials; created: boolean } {
  const stored = readStoredCredentials(dataDir);
  if (stored) return { credentials: stored, created: false };
  const credentials = newCredentials();
  const file = credentialsPath(dataDir);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(credentials, null, 2) + '\n', { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return { credentials, created: true };
}
