import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  AddTagsToResourceCommand,
  DeleteParameterCommand,
  DeleteParametersCommand,
  DescribeParametersCommand,
  GetParameterCommand,
  GetParameterHistoryCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  ListDocumentsCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  RemoveTagsFromResourceCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;

/** Values these tests store; none may appear in the database files, Berth's output, or describe calls. */
const SECURE = ['secure-db-pass-Lm4cE8', 'secure-db-pass-v2-Tt9sQ1'];
const PLAIN = 'plain-config-value-Jj7dF3';

describe('SSM Parameter Store through @aws-sdk/client-ssm', () => {
  let berth: TestBerth;
  let ssm: SSMClient;
  before(async () => {
    berth = await startBerthProcess();
    ssm = new SSMClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  });
  after(async () => {
    ssm?.destroy();
    await berth?.cleanup();
  });

  it('puts String, StringList and SecureString; SecureString reads back opaque unless WithDecryption', async () => {
    assert.deepEqual(await ssm.send(new PutParameterCommand({ Name: '/app/db/password', Value: SECURE[0], Type: 'SecureString', Description: 'db' })).then((r) => [r.Version, r.Tier]), [1, 'Standard']);
    await ssm.send(new PutParameterCommand({ Name: '/app/db/host', Value: PLAIN, Type: 'String', Tags: [{ Key: 'team', Value: 'core' }] }));
    await ssm.send(new PutParameterCommand({ Name: '/app/hosts', Value: 'a,b,c', Type: 'StringList' }));
    await ssm.send(new PutParameterCommand({ Name: 'flat', Value: 'x', Type: 'String' }));
    const opaque = (await ssm.send(new GetParameterCommand({ Name: '/app/db/password' }))).Parameter!;
    assert.equal(opaque.Type, 'SecureString');
    assert.notEqual(opaque.Value, SECURE[0]);
    assert.match(opaque.Value!, /^[A-Za-z0-9+/]+=*$/);
    const clear = (await ssm.send(new GetParameterCommand({ Name: '/app/db/password', WithDecryption: true }))).Parameter!;
    assert.equal(clear.Value, SECURE[0]);
    assert.match(clear.ARN!, new RegExp(`^arn:aws:ssm:${berth.region}:\\d{12}:parameter/app/db/password$`));
    assert.equal(clear.Version, 1);
    assert.equal(clear.DataType, 'text');
    assert.ok(clear.LastModifiedDate instanceof Date);
    const flat = (await ssm.send(new GetParameterCommand({ Name: 'flat' }))).Parameter!;
    assert.match(flat.ARN!, /:parameter\/flat$/);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: flat.ARN }))).Parameter!.Value, 'x');
    assert.equal((await ssm.send(new GetParameterCommand({ Name: clear.ARN, WithDecryption: true }))).Parameter!.Value, SECURE[0]);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: '/app/hosts' }))).Parameter!.Value, 'a,b,c');
  });

  it('versions: Overwrite increments, selectors read old versions, history lists them', async () => {
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/app/db/password', Value: 'x', Type: 'SecureString' })), 'ParameterAlreadyExists', /overwrite/);
    const v2 = await ssm.send(new PutParameterCommand({ Name: '/app/db/password', Value: SECURE[1], Type: 'SecureString', Overwrite: true }));
    assert.equal(v2.Version, 2);
    assert.equal((await ssm.send(new GetParameterCommand({ Name: '/app/db/password', WithDecryption: true }))).Parameter!.Value, SECURE[1]);
    const old = (await ssm.send(new GetParameterCommand({ Name: '/app/db/password:1', WithDecryption: true }))).Parameter!;
    assert.equal(old.Value, SECURE[0]);
    assert.equal(old.Selector, ':1');
    assert.equal(old.Version, 1);
    await rejectsWith(() => ssm.send(new GetParameterCommand({ Name: '/app/db/password:7' })), 'ParameterVersionNotFound', /version 7/);
    const history = await ssm.send(new GetParameterHistoryCommand({ Name: '/app/db/password', WithDecryption: true }));
    assert.deepEqual(history.Parameters!.map((p) => [p.Version, p.Value]), [[1, SECURE[0]], [2, SECURE[1]]]);
    assert.equal(history.Parameters![1].Description, 'db', 'the description carries over');
  });

  it('GetParameters reports InvalidParameters; GetParametersByPath pages, recurses and filters', async () => {
    const got = await ssm.send(new GetParametersCommand({ Names: ['/app/db/host', '/app/missing', '/app/db/password:1', '/app/db/password:9'], WithDecryption: true }));
    assert.deepEqual(got.Parameters!.map((p) => [p.Name, p.Value]), [['/app/db/host', PLAIN], ['/app/db/password', SECURE[0]]]);
    assert.deepEqual(got.InvalidParameters!.sort(), ['/app/db/password:9', '/app/missing']);
    const oneLevel = await ssm.send(new GetParametersByPathCommand({ Path: '/app' }));
    assert.deepEqual(oneLevel.Parameters!.map((p) => p.Name), ['/app/hosts']);
    for (let i = 0; i < 12; i++) await ssm.send(new PutParameterCommand({ Name: `/many/p${String(i).padStart(2, '0')}`, Value: `v${i}`, Type: i < 4 ? 'SecureString' : 'String' }));
    const names: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await ssm.send(new GetParametersByPathCommand({ Path: '/many/', MaxResults: 5, NextToken, WithDecryption: true }));
      names.push(...page.Parameters!.map((p) => `${p.Name}=${p.Value}`));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    assert.equal(pages, 3);
    assert.equal(names.length, 12);
    assert.equal(names[0], '/many/p00=v0');
    const recursive = await ssm.send(new GetParametersByPathCommand({ Path: '/', Recursive: true, MaxResults: 10, ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }] }));
    assert.deepEqual(recursive.Parameters!.map((p) => p.Name), ['/app/db/password', '/many/p00', '/many/p01', '/many/p02', '/many/p03']);
    assert.ok(recursive.Parameters!.every((p) => !p.Value!.startsWith('v')), 'SecureString stays opaque without WithDecryption');
    await rejectsWith(() => ssm.send(new GetParametersByPathCommand({ Path: '/app', ParameterFilters: [{ Key: 'Name', Values: ['x'] }] })), 'InvalidFilterKey');
    await rejectsWith(() => ssm.send(new GetParametersByPathCommand({ Path: 'app' })), 'ValidationException', /forward slash/);
    await rejectsWith(() => ssm.send(new GetParametersByPathCommand({ Path: '/app', NextToken: 'bogus' })), 'InvalidNextToken');
  });

  it('DescribeParameters filters and pages, and never shows a value', async () => {
    const all: string[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ssm.send(new DescribeParametersCommand({ MaxResults: 4, NextToken }));
      assert.ok(!JSON.stringify(page).includes(SECURE[1]) && !JSON.stringify(page).includes(PLAIN));
      all.push(...page.Parameters!.map((p) => p.Name!));
      NextToken = page.NextToken;
    } while (NextToken);
    assert.equal(all.length, 16);
    const secure = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Type', Values: ['SecureString'] }, { Key: 'Path', Option: 'Recursive', Values: ['/app'] }] }));
    assert.deepEqual(secure.Parameters!.map((p) => [p.Name, p.KeyId, p.Version, p.Description]), [['/app/db/password', 'alias/aws/ssm', 2, 'db']]);
    const begins = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'BeginsWith', Values: ['/app/db'] }] }));
    assert.deepEqual(begins.Parameters!.map((p) => p.Name), ['/app/db/host', '/app/db/password']);
    const legacy = await ssm.send(new DescribeParametersCommand({ Filters: [{ Key: 'Name', Values: ['/app/h'] }] }));
    assert.deepEqual(legacy.Parameters!.map((p) => p.Name), ['/app/hosts']);
    const tagged = await ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'tag:team', Values: ['core'] }] }));
    assert.deepEqual(tagged.Parameters!.map((p) => p.Name), ['/app/db/host']);
    await rejectsWith(() => ssm.send(new DescribeParametersCommand({ Filters: [{ Key: 'Name', Values: ['a'] }], ParameterFilters: [{ Key: 'Name', Values: ['a'] }] })), 'ValidationException');
    await rejectsWith(() => ssm.send(new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Sideways', Values: ['a'] }] })), 'InvalidFilterOption');
  });

  it('applies AWS rules on put: names, types, AllowedPattern, tiers, tags with overwrite', async () => {
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: 'a/b', Value: 'x', Type: 'String' })), 'ValidationException', /fully qualified/);
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/aws/x', Value: 'x', Type: 'String' })), 'ValidationException', /prefixed with "aws" or "ssm"/);
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/new', Value: 'x' })), 'ValidationException', /type is required/);
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/new', Value: 'x', Type: 'Secret' as never })), 'ValidationException', /enum value set/);
    const mismatch = await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/num', Value: 'abc-Hidden', Type: 'String', AllowedPattern: '^\\d+$' })), 'ParameterPatternMismatchException');
    assert.ok(!mismatch.message.includes('abc-Hidden'));
    await ssm.send(new PutParameterCommand({ Name: '/num', Value: '42', Type: 'String', AllowedPattern: '^\\d+$' }));
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/num', Value: 'x', Overwrite: true })), 'ParameterPatternMismatchException');
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/big', Value: 'y'.repeat(5000), Type: 'String' })), 'ValidationException', /4096/);
    assert.equal((await ssm.send(new PutParameterCommand({ Name: '/big', Value: 'y'.repeat(5000), Type: 'String', Tier: 'Advanced' }))).Tier, 'Advanced');
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/big', Value: 'y', Overwrite: true, Tier: 'Standard' })), 'ValidationException', /downgrade/);
    await rejectsWith(() => ssm.send(new PutParameterCommand({ Name: '/num', Value: '1', Overwrite: true, Tags: [{ Key: 'a', Value: 'b' }] })), 'ValidationException', /tags and overwrite/);
    await rejectsWith(() => ssm.send(new GetParameterCommand({ Name: '/nope' })), 'ParameterNotFound');
    await rejectsWith(() => ssm.send(new ListDocumentsCommand({})), 'UnsupportedOperationException', /ListDocuments/);
  });

  it('tags parameters', async () => {
    await ssm.send(new AddTagsToResourceCommand({ ResourceType: 'Parameter', ResourceId: '/num', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await ssm.send(new RemoveTagsFromResourceCommand({ ResourceType: 'Parameter', ResourceId: '/num', TagKeys: ['a'] }));
    assert.deepEqual((await ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/num' }))).TagList, [{ Key: 'b', Value: '2' }]);
    await rejectsWith(() => ssm.send(new ListTagsForResourceCommand({ ResourceType: 'Parameter', ResourceId: '/nope' })), 'InvalidResourceId');
  });

  it('deletes one or many', async () => {
    await ssm.send(new DeleteParameterCommand({ Name: '/num' }));
    await rejectsWith(() => ssm.send(new DeleteParameterCommand({ Name: '/num' })), 'ParameterNotFound');
    await rejectsWith(() => ssm.send(new GetParameterCommand({ Name: '/num' })), 'ParameterNotFound');
    const r = await ssm.send(new DeleteParametersCommand({ Names: ['/many/p00', '/many/p01', '/gone'] }));
    assert.deepEqual(r.DeletedParameters, ['/many/p00', '/many/p01']);
    assert.deepEqual(r.InvalidParameters, ['/gone']);
    assert.equal((await ssm.send(new PutParameterCommand({ Name: '/num', Value: '7', Type: 'String' }))).Version, 1, 'a deleted name starts again at version 1');
  });

  it('keeps values encrypted at rest and out of its output', async () => {
    await berth.stop();
    const files = readdirSync(berth.dataDir).filter((f) => f.startsWith('berth.db'));
    const raw = Buffer.concat(files.map((f) => readFileSync(path.join(berth.dataDir, f))));
    assert.ok(raw.includes(Buffer.from('/app/db/password')), 'names are stored in the clear');
    for (const v of [...SECURE, PLAIN]) {
      assert.ok(!raw.includes(Buffer.from(v)), `${v} is not in the database files`);
      assert.ok(!berth.output().includes(v), `${v} is not in Berth's output`);
    }
  });
});

describe('Parameter Store through the AWS CLI v2', { skip: skipCli }, () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => {
    await berth?.cleanup();
  });

  it('put-parameter --type SecureString, then get-parameter with and without --with-decryption', async () => {
    const aws = async (...args: string[]) => JSON.parse((await run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv() })).stdout);
    assert.equal((await aws('ssm', 'put-parameter', '--name', '/cli/key', '--type', 'SecureString', '--value', 'cli-Secure-3')).Version, 1);
    assert.equal((await aws('ssm', 'get-parameter', '--name', '/cli/key', '--with-decryption')).Parameter.Value, 'cli-Secure-3');
    assert.notEqual((await aws('ssm', 'get-parameter', '--name', '/cli/key')).Parameter.Value, 'cli-Secure-3');
  });
});
