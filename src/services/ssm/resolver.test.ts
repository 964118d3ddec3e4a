import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretCipher, SecretResolutionError } from '../../secret-values/index.js';
import { Store } from '../../state/index.js';
import { createParameterResolver, createSsmService } from './index.js';
import { checkNewName, parameterArn, parseParameterRef, underPath } from './names.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };

describe('SSM valueFrom resolution', () => {
  const store = Store.openFile(':memory:');
  const opts = { store, scope, cipher: new SecretCipher(randomBytes(32)) };
  const service = createSsmService(opts);
  const call = (op: string, input: object) => store.transaction(() => service.operations[op](input, { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'k' })) as any;
  const resolver = createParameterResolver(opts);
  call('PutParameter', { Name: '/app/db/password', Value: 's3cr3t', Type: 'SecureString' });
  call('PutParameter', { Name: 'plain', Value: 'hello', Type: 'String' });

  test('by name or ARN, SecureString decrypted, with a version selector', () => {
    assert.equal(resolver.resolve('/app/db/password'), 's3cr3t');
    assert.equal(resolver.resolve('arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password'), 's3cr3t');
    assert.equal(resolver.resolve('arn:aws:ssm:us-east-1:123456789012:parameter/plain'), 'hello');
    call('PutParameter', { Name: '/app/db/password', Value: 'n3w', Type: 'SecureString', Overwrite: true });
    assert.equal(resolver.resolve('/app/db/password'), 'n3w');
    assert.equal(resolver.resolve('/app/db/password:1'), 's3cr3t');
  });

  test("a missing parameter gives ECS's reason, naming the parameter only", () => {
    for (const ref of ['/app/nope', '/app/db/password:9', 'arn:aws:ssm:eu-west-1:123456789012:parameter/plain']) {
      assert.throws(
        () => resolver.resolve(ref),
        (e: unknown) =>
          e instanceof SecretResolutionError &&
          e.message === `ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: invalid ssm parameters: ${ref}`,
      );
    }
  });
});

describe('parameter names', () => {
  test('ARNs use one slash for hierarchical names; an ARN reference may mean either form', () => {
    assert.equal(parameterArn(scope, '/a/b'), 'arn:aws:ssm:us-east-1:123456789012:parameter/a/b');
    assert.equal(parameterArn(scope, 'x'), 'arn:aws:ssm:us-east-1:123456789012:parameter/x');
    assert.deepEqual(parseParameterRef(scope, 'arn:aws:ssm:us-east-1:123456789012:parameter/x:3')?.candidates, ['x', '/x']);
    assert.deepEqual(parseParameterRef(scope, 'arn:aws:ssm:us-east-1:123456789012:parameter/a/b')?.candidates, ['/a/b']);
    assert.equal(parseParameterRef(scope, '/a/b:4')?.selector, '4');
  });

  test('AWS naming rules', () => {
    for (const bad of ['a/b', 'aws-thing', '/ssm/x', '/a//b', '/a b', 'x$']) assert.throws(() => checkNewName(bad), /ValidationException|name/, bad);
    assert.throws(() => checkNewName('/' + Array.from({ length: 16 }, (_, i) => `l${i}`).join('/')), (e: any) => e.code === 'HierarchyLevelLimitExceededException');
    for (const good of ['a', '/a/b.c-d_e', 'My.Param']) checkNewName(good);
  });

  test('paths: one level or recursive', () => {
    assert.ok(underPath('/a/b', '/a', false));
    assert.ok(!underPath('/a/b/c', '/a', false));
    assert.ok(underPath('/a/b/c', '/a', true));
    assert.ok(!underPath('/ab', '/a', true));
    assert.ok(underPath('/x', '/', false));
  });
});
