import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretCipher } from '../../secret-values/index.js';
import { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { createSecretsManagerService } from './index.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };
const ctx = { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'k' };

describe('the recovery window', () => {
  test('a secret is purged, versions and tags included, once its window has passed: at start and on access', () => {
    const store = Store.openFile(':memory:');
    const cipher = new SecretCipher(randomBytes(32));
    let now = new Date('2030-01-01T00:00:00Z');
    const start = () => {
      const s = createSecretsManagerService({ store, scope, cipher, now: () => now });
      return (op: string, input: object) => store.transaction(() => s.operations[op](input, ctx)) as any;
    };
    let call = start();
    const a = call('CreateSecret', { Name: 'a', SecretString: 'x', ClientRequestToken: randomUUID(), Tags: [{ Key: 'k', Value: 'v' }] });
    call('CreateSecret', { Name: 'b', SecretString: 'y', ClientRequestToken: randomUUID() });
    call('DeleteSecret', { SecretId: 'a', RecoveryWindowInDays: 7 });
    call('DeleteSecret', { SecretId: 'b', RecoveryWindowInDays: 30 });
    now = new Date('2030-01-07T23:59:59Z');
    assert.ok(call('DescribeSecret', { SecretId: 'a' }).DeletedDate, 'still recoverable inside the window');
    now = new Date('2030-01-08T00:00:01Z');
    assert.throws(() => call('DescribeSecret', { SecretId: 'a' }), (e: any) => e.code === 'ResourceNotFoundException');
    // A failed call rolls back; the next call that succeeds carries the purge.
    assert.deepEqual(call('ListSecrets', { IncludePlannedDeletion: true }).SecretList.map((x: any) => x.Name), ['b']);
    assert.equal(new TagStore(store).count(a.ARN), 0);
    assert.equal(store.db.prepare("SELECT count(*) FROM sm_versions WHERE secret_arn = ?").pluck().get(a.ARN), 0);
    now = new Date('2030-02-01T00:00:00Z');
    call = start();
    assert.equal(store.db.prepare("SELECT count(*) FROM sm_secrets").pluck().get(), 0, 'purged at start');
    assert.ok(call('CreateSecret', { Name: 'b', SecretString: 'z', ClientRequestToken: randomUUID() }).ARN, 'the name is free again');
  });
});
