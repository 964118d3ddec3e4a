import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { openSecretCipher, SECRET_KEY_FILE, SecretCipher, SecretDecryptionError, SecretResolutionError } from './index.js';

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  test('round-trips a value bound to its row, and the sealed form does not contain it', () => {
    const sealed = cipher.encrypt('hunter2-plaintext', 'arn:a|1');
    assert.ok(!sealed.includes(Buffer.from('hunter2-plaintext')));
    assert.equal(cipher.decrypt(sealed, 'arn:a|1').toString(), 'hunter2-plaintext');
  });

  test('a sealed value moved to another row, altered, or opened with another key does not decrypt', () => {
    const sealed = cipher.encrypt('v', 'arn:a|1');
    assert.throws(() => cipher.decrypt(sealed, 'arn:b|1'), SecretDecryptionError);
    const altered = Buffer.from(sealed);
    altered[altered.length - 1] ^= 1;
    assert.throws(() => cipher.decrypt(altered, 'arn:a|1'), SecretDecryptionError);
    assert.throws(() => new SecretCipher(randomBytes(32)).decrypt(sealed, 'arn:a|1'), SecretDecryptionError);
    assert.throws(() => cipher.decrypt(Buffer.from('short'), 'arn:a|1'), SecretDecryptionError);
  });

  test('two seals of one value differ (fresh IV each time)', () => {
    assert.notDeepEqual(cipher.encrypt('same', 'x'), cipher.encrypt('same', 'x'));
  });
});

describe('openSecretCipher', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-key-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('makes a 32-byte key of mode 0600 at first start and reuses it after', () => {
    const first = openSecretCipher(dir);
    const file = path.join(dir, SECRET_KEY_FILE);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file).length, 32);
    const sealed = first.encrypt('kept', 'r');
    assert.equal(openSecretCipher(dir).decrypt(sealed, 'r').toString(), 'kept');
  });
});

describe('SecretResolutionError', () => {
  test("speaks ECS's words and keeps the reference", () => {
    const e = new SecretResolutionError('/app/x', 'unable to retrieve secrets from ssm: invalid ssm parameters: /app/x');
    assert.equal(e.code, 'ResourceInitializationError');
    assert.equal(e.reference, '/app/x');
    assert.match(e.message, /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm/);
  });
});
