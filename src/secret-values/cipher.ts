/**
 * Authenticated encryption at rest (AES-256-GCM) under one 256-bit key kept in the data dir.
 * Each ciphertext is bound to the row it belongs to by additional authenticated data (the
 * resource's ARN and version), so a ciphertext copied to another row no longer decrypts.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The key file's name inside the data dir (32 raw bytes, mode 0600). */
export const SECRET_KEY_FILE = 'secrets.key';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

/** A ciphertext that does not decrypt under this key and binding (tampered, moved, or another key). */
export class SecretDecryptionError extends Error {}

/** Encrypts and decrypts values with one AES-256-GCM key. */
export class SecretCipher {
  constructor(private readonly key: Buffer) {
    if (key.length !== KEY_BYTES) throw new Error(`A secret key must be ${KEY_BYTES} bytes; got ${key.length}.`);
  }

  /** Encrypts `plaintext` bound to `binding` (e.g. the resource ARN); returns version | iv | tag | ciphertext. */
  encrypt(plaintext: Buffer | string, binding: string): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(binding, 'utf8'));
    const body = Buffer.concat([cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
  }

  /** Decrypts what {@link encrypt} made with the same `binding`; throws {@link SecretDecryptionError} otherwise. */
  decrypt(blob: Buffer, binding: string): Buffer {
    if (blob.length < 1 + IV_BYTES + TAG_BYTES || blob[0] !== VERSION) throw new SecretDecryptionError('The stored ciphertext is not in a format Berth knows.');
    const iv = blob.subarray(1, 1 + IV_BYTES);
    const tag = blob.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv);
    decipher.setAAD(Buffer.from(binding, 'utf8'));
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(blob.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch (err) {
      throw new SecretDecryptionError('The stored ciphertext failed authentication: it was altered, moved to another resource, or made with another key.', { cause: err });
    }
  }
}

/**
 * Opens the data dir's key (`secrets.key`, mode 0600), making it at first start. Two starts
 * racing on a new data dir agree on one key: the file appears atomically, by hard link.
 */
export function openSecretCipher(dataDir: string): SecretCipher {
  const file = path.join(dataDir, SECRET_KEY_FILE);
  const existing = readKey(file);
  if (existing) return new SecretCipher(existing);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, randomBytes(KEY_BYTES), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  try {
    linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(tmp);
  }
  const key = readKey(file);
  if (!key) throw new Error(`The secret key file ${file} is not ${KEY_BYTES} bytes long; Berth cannot decrypt stored secrets without it.`);
  return new SecretCipher(key);
}

function readKey(file: string): Buffer | undefined {
  let key: Buffer;
  try {
    key = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (key.length !== KEY_BYTES) throw new Error(`The secret key file ${file} is ${key.length} bytes long, not ${KEY_BYTES}; Berth cannot decrypt stored secrets with it.`);
  return key;
}
