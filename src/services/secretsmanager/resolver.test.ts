import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretCipher, SecretResolutionError } from '../../secret-values/index.js';
import { Store } from '../../state/index.js';
import { parseValueFrom } from './arns.js';
import { createSecretResolver, createSecretsManagerService, isSecretsManagerArn } from './index.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };

function setup() {
  const store = Store.openFile(':memory:');
  const cipher = new SecretCipher(randomBytes(32));
  let now = new Date('2030-01-01T00:00:00Z');
  const opts = { store, scope, cipher, now: () => now };
  const service = createSecretsManagerService(opts);
  const call = (op: string, input: object) => store.transaction(() => service.operations[op](input, { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'k' })) as any;
  return { store, call, resolver: createSecretResolver(opts), advance: (days: number) => (now = new Date(now.getTime() + days * 86400000)) };
}

/** Asserts that resolving throws SecretResolutionError with this detail, and never the secret's value. */
function rejects(fn: () => unknown, detail: RegExp, value = 's3cr3t') {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SecretResolutionError);
    assert.match(e.message, /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: /);
    assert.match(e.message, detail);
    assert.ok(!e.message.includes(value));
    return true;
  });
}

describe('Secrets Manager valueFrom resolution', () => {
  test('by name, full ARN, partial ARN, json key, version stage and version id', () => {
    const { call, resolver } = setup();
    const v1 = randomUUID();
    const { ARN } = call('CreateSecret', { Name: 'app/db', SecretString: JSON.stringify({ user: 'admin', password: 's3cr3t', port: 5432 }), ClientRequestToken: v1 });
    call('PutSecretValue', { SecretId: 'app/db', SecretString: JSON.stringify({ password: 'n3w' }), ClientRequestToken: randomUUID() });
    const partial = ARN.slice(0, -7);
    assert.equal(resolver.resolve('app/db'), '{"password":"n3w"}');
    assert.equal(resolver.resolve(ARN), '{"password":"n3w"}');
    assert.equal(resolver.resolve(partial), '{"password":"n3w"}');
    assert.equal(resolver.resolve(`${ARN}:password::`), 'n3w');
    assert.equal(resolver.resolve(`${ARN}:password:AWSPREVIOUS:`), 's3cr3t');
    assert.equal(resolver.resolve(`${partial}:user::${v1}`), 'admin');
    assert.equal(resolver.resolve(`${ARN}:port:AWSPREVIOUS:`), '5432');
    assert.equal(resolver.resolve(`${ARN}::AWSPREVIOUS:`), JSON.stringify({ user: 'admin', password: 's3cr3t', port: 5432 }));
  });

  test("failures carry ECS's wording and never the value", () => {
    const { call, resolver, advance } = setup();
    const { ARN } = call('CreateSecret', { Name: 'plain', SecretString: 's3cr3t', ClientRequestToken: randomUUID() });
    call('CreateSecret', { Name: 'bin', SecretBinary: Buffer.from('s3cr3t'), ClientRequestToken: randomUUID() });
    const missing = ARN.replace('plain', 'gone');
    rejects(() => resolver.resolve(missing), new RegExp(`unable to retrieve secret from asm: failed to fetch secret ${missing} from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret\\.`));
    rejects(() => resolver.resolve(`${ARN}:key::`), /did not contain json key key|is not a JSON object/);
    rejects(() => resolver.resolve(`${ARN}::AWSPENDING:`), /staging label: AWSPENDING/);
    rejects(() => resolver.resolve('bin'), /binary value/);
    rejects(() => resolver.resolve('arn:aws:secretsmanager:eu-west-1:123456789012:secret:plain'), /InvalidParameterException/);
    call('DeleteSecret', { SecretId: 'plain', RecoveryWindowInDays: 7 });
    rejects(() => resolver.resolve('plain'), /marked for deletion/);
    advance(8);
    rejects(() => resolver.resolve('plain'), /ResourceNotFoundException/);
  });

  test('a JSON secret without the key names the key it lacks', () => {
    const { call, resolver } = setup();
    const { ARN } = call('CreateSecret', { Name: 'j', SecretString: '{"a":"s3cr3t"}', ClientRequestToken: randomUUID() });
    rejects(() => resolver.resolve(`${ARN}:b::`), /retrieved secret from Secrets Manager did not contain json key b$/);
  });
});

describe('parseValueFrom', () => {
  test('splits the ECS form and refuses other regions, accounts and services', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-AbCdEf';
    assert.deepEqual(parseValueFrom(scope, `${arn}:k:AWSCURRENT:`), { arn, name: 'a/b-AbCdEf', jsonKey: 'k', versionStage: 'AWSCURRENT', versionId: undefined });
    assert.deepEqual(parseValueFrom(scope, 'name'), { name: 'name' });
    assert.equal(parseValueFrom(scope, 'arn:aws:secretsmanager:us-west-2:123456789012:secret:x'), undefined);
    assert.equal(parseValueFrom(scope, 'arn:aws:secretsmanager:us-east-1:999999999999:secret:x'), undefined);
    assert.equal(parseValueFrom(scope, `${arn}:a:b:c:d`), undefined);
    assert.ok(isSecretsManagerArn(arn));
    assert.ok(!isSecretsManagerArn('arn:aws:ssm:us-east-1:123456789012:parameter/x'));
  });
});
