import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
} from '@aws-sdk/client-secrets-manager';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;

/** Every plaintext these tests store; none may appear in the database files or Berth's output. */
const PLAINTEXTS = ['db-password-Zq8uT1', 'rotated-password-Kp3wX9', 'pending-value-Hh2vB7', 'binary-secret-Ww5yN4', 'updated-password-Rr6tM2'];

/** Asserts `fn` rejects with this AWS error code (and, when given, a message matching `message`). */
describe('Secrets Manager through @aws-sdk/client-secrets-manager', () => {
  let berth: TestBerth;
  let sm: SecretsManagerClient;
  before(async () => {
    berth = await startBerthProcess();
    sm = new SecretsManagerClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  });
  after(async () => {
    sm?.destroy();
    await berth?.cleanup();
  });

  it('creates a secret and reads it by name, full ARN and partial ARN; describe never shows the value', async () => {
    const created = await sm.send(
      new CreateSecretCommand({ Name: 'prod/db', SecretString: PLAINTEXTS[0], Description: 'the database', KmsKeyId: 'alias/my-key', Tags: [{ Key: 'team', Value: 'core' }] }),
    );
    assert.match(created.ARN!, new RegExp(`^arn:aws:secretsmanager:${berth.region}:\\d{12}:secret:prod/db-[A-Za-z0-9]{6}$`));
    assert.equal(created.Name, 'prod/db');
    for (const id of ['prod/db', created.ARN!, created.ARN!.slice(0, -7)]) {
      const got = await sm.send(new GetSecretValueCommand({ SecretId: id }));
      assert.equal(got.SecretString, PLAINTEXTS[0]);
      assert.equal(got.VersionId, created.VersionId);
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
      assert.ok(got.CreatedDate instanceof Date);
    }
    const d = await sm.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    assert.equal(d.Description, 'the database');
    assert.equal(d.KmsKeyId, 'alias/my-key');
    assert.deepEqual(d.Tags, [{ Key: 'team', Value: 'core' }]);
    assert.deepEqual(d.VersionIdsToStages, { [created.VersionId!]: ['AWSCURRENT'] });
    assert.ok(d.LastChangedDate instanceof Date && d.CreatedDate instanceof Date);
    assert.equal(d.DeletedDate, undefined);
    assert.ok(!JSON.stringify(d).includes(PLAINTEXTS[0]));
    await rejectsWith(() => sm.send(new GetSecretValueCommand({ SecretId: 'prod/nope' })), 'ResourceNotFoundException', /^Secrets Manager can't find the specified secret\.$/);
    await rejectsWith(() => sm.send(new CreateSecretCommand({ Name: 'prod/db', SecretString: 'x' })), 'ResourceExistsException', /prod\/db already exists/);
  });

  it('moves AWSCURRENT, AWSPREVIOUS and AWSPENDING as AWS does on PutSecretValue', async () => {
    const v1 = (await sm.send(new DescribeSecretCommand({ SecretId: 'prod/db' }))).VersionIdsToStages!;
    const first = Object.keys(v1)[0];
    const put = await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: PLAINTEXTS[1] }));
    assert.deepEqual(put.VersionStages, ['AWSCURRENT']);
    const pending = await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: PLAINTEXTS[2], VersionStages: ['AWSPENDING'] }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'prod/db' }))).SecretString, PLAINTEXTS[1]);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'prod/db', VersionStage: 'AWSPREVIOUS' }))).SecretString, PLAINTEXTS[0]);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'prod/db', VersionStage: 'AWSPENDING' }))).SecretString, PLAINTEXTS[2]);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'prod/db', VersionId: first }))).SecretString, PLAINTEXTS[0]);
    const d = await sm.send(new DescribeSecretCommand({ SecretId: 'prod/db' }));
    assert.deepEqual(d.VersionIdsToStages, { [first]: ['AWSPREVIOUS'], [put.VersionId!]: ['AWSCURRENT'], [pending.VersionId!]: ['AWSPENDING'] });
    // Promote the pending version: the current one becomes AWSPREVIOUS, the old previous loses its label.
    await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: PLAINTEXTS[2], ClientRequestToken: pending.VersionId, VersionStages: ['AWSPENDING'] }));
    const all = await sm.send(new ListSecretVersionIdsCommand({ SecretId: 'prod/db', IncludeDeprecated: true }));
    assert.equal(all.Versions!.length, 3);
    await rejectsWith(() => sm.send(new GetSecretValueCommand({ SecretId: 'prod/db', VersionId: randomUUID() })), 'ResourceNotFoundException', /VersionId/);
    await rejectsWith(() => sm.send(new GetSecretValueCommand({ SecretId: 'prod/db', VersionStage: 'NOPE' })), 'ResourceNotFoundException', /staging label: NOPE/);
  });

  it('ClientRequestToken makes a retry idempotent and refuses a different value under the same version', async () => {
    const token = randomUUID();
    const a = await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: PLAINTEXTS[1], ClientRequestToken: token }));
    const b = await sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: PLAINTEXTS[1], ClientRequestToken: token }));
    assert.equal(a.VersionId, token);
    assert.equal(b.VersionId, token);
    const err = await rejectsWith(() => sm.send(new PutSecretValueCommand({ SecretId: 'prod/db', SecretString: 'other', ClientRequestToken: token })), 'ResourceExistsException');
    assert.ok(!err.message.includes('other'));
    const createToken = randomUUID();
    const c1 = await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'same', ClientRequestToken: createToken }));
    const c2 = await sm.send(new CreateSecretCommand({ Name: 'idem', SecretString: 'same', ClientRequestToken: createToken }));
    assert.equal(c1.ARN, c2.ARN);
  });

  it('binary secrets, UpdateSecret of value and description, and bad input', async () => {
    const bytes = Buffer.from(PLAINTEXTS[3]);
    await sm.send(new CreateSecretCommand({ Name: 'bin', SecretBinary: bytes }));
    assert.deepEqual(Buffer.from((await sm.send(new GetSecretValueCommand({ SecretId: 'bin' }))).SecretBinary!), bytes);
    const empty = await sm.send(new CreateSecretCommand({ Name: 'later' }));
    assert.equal(empty.VersionId, undefined);
    await rejectsWith(() => sm.send(new GetSecretValueCommand({ SecretId: 'later' })), 'ResourceNotFoundException', /AWSCURRENT/);
    const up = await sm.send(new UpdateSecretCommand({ SecretId: 'later', SecretString: PLAINTEXTS[4], Description: 'now set' }));
    assert.ok(up.VersionId);
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'later' }))).SecretString, PLAINTEXTS[4]);
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'later' }))).Description, 'now set');
    await sm.send(new UpdateSecretCommand({ SecretId: 'later', Description: 'only the description' }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'later' }))).VersionId, up.VersionId);
    await rejectsWith(() => sm.send(new CreateSecretCommand({ Name: 'both', SecretString: 'a', SecretBinary: Buffer.from('b') })), 'InvalidParameterException', /both a binary secret value and a string/);
    await rejectsWith(() => sm.send(new CreateSecretCommand({ Name: 'bad name!', SecretString: 'a' })), 'ValidationException', /Invalid name/);
    const huge = 'Q'.repeat(70000);
    const tooLong = await rejectsWith(() => sm.send(new CreateSecretCommand({ Name: 'huge', SecretString: huge })), 'ValidationException', /Value at 'SecretString' failed to satisfy constraint/);
    assert.ok(!tooLong.message.includes('QQQ'));
    await rejectsWith(() => sm.send(new DescribeSecretCommand({ SecretId: 'huge' })), 'ResourceNotFoundException');
    await rejectsWith(() => sm.send(new RotateSecretCommand({ SecretId: 'bin' })), 'UnsupportedOperation', /RotateSecret/);
  });

  it('tags secrets', async () => {
    await sm.send(new TagResourceCommand({ SecretId: 'bin', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] }));
    await sm.send(new UntagResourceCommand({ SecretId: 'bin', TagKeys: ['a'] }));
    assert.deepEqual((await sm.send(new DescribeSecretCommand({ SecretId: 'bin' }))).Tags, [{ Key: 'b', Value: '2' }]);
    await rejectsWith(() => sm.send(new TagResourceCommand({ SecretId: 'bin', Tags: [{ Key: 'aws:x', Value: '1' }] })), 'InvalidParameterException');
  });

  it('lists secrets with filters and pages', async () => {
    for (let i = 0; i < 5; i++) await sm.send(new CreateSecretCommand({ Name: `list/s${i}`, SecretString: `v${i}`, Tags: i % 2 ? [{ Key: 'odd', Value: 'yes' }] : [] }));
    const names: string[] = [];
    let NextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['list/'] }], MaxResults: 2, NextToken, SortOrder: 'asc' }));
      names.push(...page.SecretList!.map((s) => s.Name!));
      assert.ok(page.SecretList!.every((s) => !JSON.stringify(s).includes('"v')));
      NextToken = page.NextToken;
      pages++;
    } while (NextToken);
    assert.equal(pages, 3);
    assert.deepEqual(names, ['list/s0', 'list/s1', 'list/s2', 'list/s3', 'list/s4']);
    const odd = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['odd'] }] }));
    assert.deepEqual(odd.SecretList!.map((s) => s.Name).sort(), ['list/s1', 'list/s3']);
    const notList = await sm.send(new ListSecretsCommand({ Filters: [{ Key: 'name', Values: ['!list/'] }] }));
    assert.ok(notList.SecretList!.every((s) => !s.Name!.startsWith('list/')));
    await rejectsWith(() => sm.send(new ListSecretsCommand({ NextToken: 'bogus' })), 'InvalidNextTokenException');
  });

  it('deletes with a recovery window, refuses reads until restored, and force-deletes for good', async () => {
    await rejectsWith(() => sm.send(new DeleteSecretCommand({ SecretId: 'list/s0', RecoveryWindowInDays: 3 })), 'InvalidParameterException', /between 7 and 30/);
    await rejectsWith(() => sm.send(new DeleteSecretCommand({ SecretId: 'list/s0', RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })), 'InvalidParameterException', /in conjunction/);
    const before = Date.now();
    const del = await sm.send(new DeleteSecretCommand({ SecretId: 'list/s0', RecoveryWindowInDays: 7 }));
    const days = (del.DeletionDate!.getTime() - before) / 86400000;
    assert.ok(days > 6.9 && days <= 7.1, `deletion in ${days} days`);
    const marked = /^You can't perform this operation on the secret because it was marked for deletion\.$/;
    await rejectsWith(() => sm.send(new GetSecretValueCommand({ SecretId: 'list/s0' })), 'InvalidRequestException', marked);
    await rejectsWith(() => sm.send(new PutSecretValueCommand({ SecretId: 'list/s0', SecretString: 'x' })), 'InvalidRequestException', marked);
    await rejectsWith(() => sm.send(new CreateSecretCommand({ Name: 'list/s0', SecretString: 'x' })), 'InvalidRequestException', /scheduled for deletion/);
    assert.ok((await sm.send(new DescribeSecretCommand({ SecretId: 'list/s0' }))).DeletedDate instanceof Date);
    const listed = async (include: boolean) =>
      (await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: include, Filters: [{ Key: 'name', Values: ['list/s0'] }] }))).SecretList!.length;
    assert.equal(await listed(false), 0);
    assert.equal(await listed(true), 1);
    await sm.send(new RestoreSecretCommand({ SecretId: 'list/s0' }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'list/s0' }))).SecretString, 'v0');
    assert.equal((await sm.send(new DescribeSecretCommand({ SecretId: 'list/s0' }))).DeletedDate, undefined);
    await sm.send(new DeleteSecretCommand({ SecretId: 'list/s1', ForceDeleteWithoutRecovery: true }));
    await rejectsWith(() => sm.send(new DescribeSecretCommand({ SecretId: 'list/s1' })), 'ResourceNotFoundException');
    const again = await sm.send(new CreateSecretCommand({ Name: 'list/s1', SecretString: 'fresh' }));
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: again.ARN }))).SecretString, 'fresh');
  });

  it('keeps values encrypted at rest and out of its output', async () => {
    await berth.stop();
    const files = readdirSync(berth.dataDir).filter((f) => f.startsWith('berth.db'));
    assert.ok(files.includes('berth.db'));
    const raw = Buffer.concat(files.map((f) => readFileSync(path.join(berth.dataDir, f))));
    assert.ok(raw.includes(Buffer.from('prod/db')), 'names are stored in the clear');
    for (const p of PLAINTEXTS) {
      assert.ok(!raw.includes(Buffer.from(p)), `${p} is not in the database files`);
      assert.ok(!berth.output().includes(p), `${p} is not in Berth's output`);
    }
    berth = await startBerthProcess({ dataDir: berth.dataDir });
    sm.destroy();
    sm = new SecretsManagerClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    assert.equal((await sm.send(new GetSecretValueCommand({ SecretId: 'later' }))).SecretString, PLAINTEXTS[4], 'readable after a restart with the same key');
  });
});

describe('Secrets Manager through the AWS CLI v2', { skip: skipCli }, () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => {
    await berth?.cleanup();
  });

  it('create-secret, then get-secret-value by name and ARN', async () => {
    const aws = async (...args: string[]) => JSON.parse((await run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv() })).stdout);
    const created = await aws('secretsmanager', 'create-secret', '--name', 'cli/token', '--secret-string', '{"token":"cli-Secret-9"}');
    assert.match(created.ARN, /:secret:cli\/token-[A-Za-z0-9]{6}$/);
    for (const id of ['cli/token', created.ARN]) {
      const got = await aws('secretsmanager', 'get-secret-value', '--secret-id', id);
      assert.equal(got.SecretString, '{"token":"cli-Secret-9"}');
      assert.deepEqual(got.VersionStages, ['AWSCURRENT']);
    }
  });
});
