import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { SecretCipher, SecretResolutionError } from '../secret-values/index.js';
import { createSecretResolver, createSecretsManagerService } from '../services/secretsmanager/index.js';
import { createParameterResolver, createSsmService } from '../services/ssm/index.js';
import { Store } from '../state/index.js';
import { containerConfigs, resolveValueFrom, type SecretSources, type TaskDefinitionInput } from './container-config.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };
const ctx = { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'k' };

/** Real Secrets Manager and Parameter Store services over an in-memory store, and their resolvers. */
function setup() {
  const store = Store.openFile(':memory:');
  const opts = { store, scope, cipher: new SecretCipher(randomBytes(32)) };
  const sm = createSecretsManagerService(opts);
  const ssm = createSsmService(opts);
  const call = (svc: typeof sm, op: string, input: object) => store.transaction(() => svc.operations[op](input, ctx)) as any;
  const sources: SecretSources = { secrets: createSecretResolver(opts), parameters: createParameterResolver(opts) };
  const secret = (name: string, value: string): string => call(sm, 'CreateSecret', { Name: name, SecretString: value, ClientRequestToken: randomUUID() }).ARN;
  const parameter = (name: string, value: string) => call(ssm, 'PutParameter', { Name: name, Value: value, Type: 'SecureString' });
  return { sources, secret, parameter };
}

const web = (extra: Record<string, unknown> = {}) => ({ name: 'web', image: 'busybox:latest', essential: true, ...extra });

/** Asserts a SecretResolutionError in ECS's words, never carrying `value`. */
function rejectsWith(fn: () => unknown, detail: RegExp, value: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof SecretResolutionError);
    assert.match(e.message, /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: /);
    assert.match(e.message, detail);
    assert.ok(!e.message.includes(value), 'no secret value in the message');
    return true;
  });
}

describe('containerConfigs', () => {
  test('command, entryPoint, environment with overrides, files, directory, user, limits, stop timeout and the decision facts', () => {
    const { sources } = setup();
    const td: TaskDefinitionInput = {
      memory: '2048',
      containerDefinitions: [
        web({
          entryPoint: ['/bin/sh', '-c'],
          command: ['echo definition'],
          environment: [{ name: 'A', value: 'def' }, { name: 'B', value: 'def' }],
          environmentFiles: [{ type: 's3', value: '/etc/app.env' }],
          workingDirectory: '/srv',
          user: '1000:1000',
          memory: 256,
          memoryReservation: 128,
          cpu: 512,
          stopTimeout: 10,
          portMappings: [{ containerPort: 8080 }],
          healthCheck: { command: ['CMD-SHELL', 'true'], interval: 5 },
          logConfiguration: { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } },
        }),
        { name: 'sidecar', image: 'busybox', essential: false, dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }] },
      ],
    };
    const overrides = { containerOverrides: [{ name: 'web', command: ['echo override'], environment: [{ name: 'B', value: 'override' }, { name: 'C', value: 'new' }], environmentFiles: [{ type: 's3', value: '/etc/extra.env' }] }] };
    const [w, s] = containerConfigs(td, overrides, sources, { region: 'eu-west-1', metadataUri: (n) => `http://127.0.0.1:1/v4/token-${n}` });
    assert.deepEqual(w.config, {
      name: 'web',
      image: 'busybox:latest',
      entryPoint: ['/bin/sh', '-c'],
      command: ['echo override'],
      environment: {
        AWS_REGION: 'eu-west-1',
        AWS_DEFAULT_REGION: 'eu-west-1',
        AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE',
        A: 'def',
        B: 'override',
        C: 'new',
        ECS_CONTAINER_METADATA_URI_V4: 'http://127.0.0.1:1/v4/token-web',
        ECS_CONTAINER_METADATA_URI: 'http://127.0.0.1:1/v4/token-web',
      },
      environmentFiles: [{ type: 's3', value: '/etc/app.env' }, { type: 's3', value: '/etc/extra.env' }],
      workingDirectory: '/srv',
      user: '1000:1000',
      memoryLimitBytes: 256 * 1024 * 1024,
      memoryReservationBytes: 128 * 1024 * 1024,
      cpuUnits: 512,
    });
    assert.equal(w.stopTimeoutMs, 10_000);
    assert.deepEqual(w.spec, { name: 'web', essential: true, dependsOn: [], hasHealthCheck: true });
    assert.deepEqual(w.healthCheck, { argv: ['/bin/sh', '-c', 'true'], intervalMs: 5000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 });
    assert.deepEqual(w.logConfiguration, { logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web' } });
    assert.deepEqual(w.portMappings, [{ containerPort: 8080, protocol: 'tcp' }]);

    assert.equal(s.config.memoryLimitBytes, 2048 * 1024 * 1024, 'the task memory limits a container without its own');
    assert.equal(s.stopTimeoutMs, 30_000, 'ECS default stop timeout');
    assert.deepEqual(s.spec, { name: 'sidecar', essential: false, dependsOn: [{ containerName: 'web', condition: 'HEALTHY' }], hasHealthCheck: false });
    assert.equal(s.healthCheck, undefined);
    assert.equal(s.config.command, undefined);
  });

  test('task memory override (unit form) and container memory overrides; EC2 execution env', () => {
    const { sources } = setup();
    const td: TaskDefinitionInput = { memory: '512', containerDefinitions: [web(), { name: 'b', image: 'x', memory: 64 }] };
    const [a, b] = containerConfigs(td, { memory: '1 GB', containerOverrides: [{ name: 'b', memory: 96, memoryReservation: 32, cpu: 256 }] }, sources, { launchType: 'EC2' });
    assert.equal(a.config.memoryLimitBytes, 1024 * 1024 * 1024);
    assert.equal(b.config.memoryLimitBytes, 96 * 1024 * 1024);
    assert.equal(b.config.memoryReservationBytes, 32 * 1024 * 1024);
    assert.equal(b.config.cpuUnits, 256);
    assert.equal(a.config.environment?.AWS_EXECUTION_ENV, 'AWS_ECS_EC2');
    assert.equal(a.config.environment?.AWS_REGION, undefined, 'no region given, none set');
  });

  test('secrets from Secrets Manager (ARN, json key, stage) and Parameter Store (name and ARN) become variables', () => {
    const { sources, secret, parameter } = setup();
    const arn = secret('db', JSON.stringify({ password: 'pw-value', user: 'admin' }));
    const plain = secret('token', 'token-value');
    parameter('/app/key', 'key-value');
    parameter('plainparam', 'plain-value');
    const td: TaskDefinitionInput = {
      containerDefinitions: [
        web({
          environment: [{ name: 'TOKEN', value: 'overwritten by the secret' }],
          secrets: [
            { name: 'DB_PASSWORD', valueFrom: `${arn}:password::` },
            { name: 'DB_USER', valueFrom: `${arn}:user:AWSCURRENT:` },
            { name: 'TOKEN', valueFrom: plain },
            { name: 'KEY', valueFrom: '/app/key' },
            { name: 'PLAIN', valueFrom: 'arn:aws:ssm:us-east-1:123456789012:parameter/plainparam' },
          ],
        }),
      ],
    };
    const [w] = containerConfigs(td, undefined, sources);
    assert.deepEqual(
      { ...w.config.environment },
      { AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE', TOKEN: 'token-value', DB_PASSWORD: 'pw-value', DB_USER: 'admin', KEY: 'key-value', PLAIN: 'plain-value' },
    );
    assert.equal(resolveValueFrom(sources, '/app/key'), 'key-value');
  });

  test("a secret that cannot be read fails with ECS's reason, never a value", () => {
    const { sources, secret } = setup();
    const arn = secret('db', JSON.stringify({ password: 'pw-value' }));
    const missing = arn.replace(':db-', ':gone-');
    const one = (valueFrom: string) => () => containerConfigs({ containerDefinitions: [web({ secrets: [{ name: 'X', valueFrom }] })] }, undefined, sources);
    rejectsWith(one(missing), /unable to retrieve secret from asm: failed to fetch secret .* from secrets manager: ResourceNotFoundException/, 'pw-value');
    rejectsWith(one(`${arn}:nokey::`), /did not contain json key nokey/, 'pw-value');
    rejectsWith(one('/no/such/parameter'), /unable to retrieve secrets from ssm: invalid ssm parameters: \/no\/such\/parameter/, 'pw-value');
  });

  test('repositoryCredentials are read and checked, then dropped', () => {
    const { sources, secret } = setup();
    const good = secret('registry', JSON.stringify({ username: 'u', password: 'registry-pw' }));
    const bad = secret('notcreds', 'registry-pw');
    const td = (credentialsParameter: string): TaskDefinitionInput => ({ containerDefinitions: [web({ repositoryCredentials: { credentialsParameter } })] });
    const [w] = containerConfigs(td(good), undefined, sources);
    assert.ok(!JSON.stringify(w).includes('registry-pw'), 'credentials are not passed on');
    rejectsWith(() => containerConfigs(td(bad), undefined, sources), /repositoryCredentials secret .* of container web is not a JSON object with string keys username and password/, 'registry-pw');
    rejectsWith(() => containerConfigs(td(good.replace(':registry-', ':none-')), undefined, sources), /ResourceNotFoundException/, 'registry-pw');
  });
});
