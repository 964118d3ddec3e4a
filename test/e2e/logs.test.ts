import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  CreateLogStreamCommand,
  DeleteLogGroupCommand,
  DeleteLogStreamCommand,
  DeleteRetentionPolicyCommand,
  DescribeLogGroupsCommand,
  DescribeLogStreamsCommand,
  FilterLogEventsCommand,
  GetLogEventsCommand,
  ListTagsForResourceCommand,
  ListTagsLogGroupCommand,
  PutLogEventsCommand,
  PutRetentionPolicyCommand,
  TagLogGroupCommand,
  TagResourceCommand,
  UntagResourceCommand,
  paginateDescribeLogGroups,
  paginateFilterLogEvents,
  type GetLogEventsCommandOutput,
  type InputLogEvent,
} from '@aws-sdk/client-cloudwatch-logs';
import { AWS_CLI_V2, BERTH_BIN, startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const run = promisify(execFile);
const DAY = 86_400_000;

/** Asserts the promise rejects with the AWS error code and a message matching `message`. */
async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: Error & { name: string }) => {
    assert.equal(err.name, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('CloudWatch Logs through @aws-sdk/client-cloudwatch-logs', () => {
  let berth: TestBerth;
  let logs: CloudWatchLogsClient;
  before(async () => {
    berth = await startBerthProcess();
    logs = new CloudWatchLogsClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  });
  after(async () => {
    logs.destroy();
    await berth.cleanup();
  });

  async function groupWithStream(group: string, stream: string, events: InputLogEvent[] = []): Promise<void> {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    if (events.length) await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: events }));
  }

  it('creates, describes (ARNs, class, retention, storedBytes), pages and deletes log groups', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web', tags: { team: 'core' }, logGroupClass: 'INFREQUENT_ACCESS' }));
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: '/ecs/web' })), 'ResourceAlreadyExistsException', /already exists/);
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'bad name' })), 'InvalidParameterException', /1 validation error detected: .*logGroupName.*regular expression/);
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'aws/mine' })), 'InvalidParameterException', /can't start with the string aws\//);
    await rejects(logs.send(new CreateLogGroupCommand({ logGroupName: 'kms', kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/x' })), 'InvalidParameterException', /no KMS/);
    for (const n of ['/ecs/api', '/ecs/worker', 'other']) await logs.send(new CreateLogGroupCommand({ logGroupName: n }));

    const all = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/' }));
    assert.deepEqual(all.logGroups?.map((g) => g.logGroupName), ['/ecs/api', '/ecs/web', '/ecs/worker']);
    const web = all.logGroups![1];
    assert.match(web.arn!, /^arn:aws:logs:us-east-1:\d{12}:log-group:\/ecs\/web:\*$/);
    assert.equal(web.logGroupArn, web.arn!.slice(0, -2));
    assert.equal(web.logGroupClass, 'INFREQUENT_ACCESS');
    assert.equal(web.storedBytes, 0);
    assert.equal(web.retentionInDays, undefined);
    assert.equal(typeof web.creationTime, 'number');

    const names: string[] = [];
    for await (const page of paginateDescribeLogGroups({ client: logs, pageSize: 2 }, {})) {
      assert.ok(page.logGroups!.length <= 2);
      names.push(...page.logGroups!.map((g) => g.logGroupName!));
    }
    assert.deepEqual(names, ['/ecs/api', '/ecs/web', '/ecs/worker', 'other']);

    await logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 30 }));
    const withRetention = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/web' }));
    assert.equal(withRetention.logGroups?.[0].retentionInDays, 30);
    await rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: '/ecs/web', retentionInDays: 2 })), 'InvalidParameterException', /enum value set: \[1, 3, 5, 7, 14, 30/);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: '/ecs/web' }));
    assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/ecs/web' }))).logGroups?.[0].retentionInDays, undefined);

    await logs.send(new DeleteLogGroupCommand({ logGroupName: 'other' }));
    await rejects(logs.send(new DeleteLogGroupCommand({ logGroupName: 'other' })), 'ResourceNotFoundException', /log group does not exist/);
    await rejects(logs.send(new PutRetentionPolicyCommand({ logGroupName: 'other', retentionInDays: 1 })), 'ResourceNotFoundException');
  });

  it('tags log groups by ARN and with the older TagLogGroup calls', async () => {
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'tagged', tags: { team: 'core' } }));
    const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'tagged' }));
    const arn = logGroups![0].logGroupArn!;
    await logs.send(new TagResourceCommand({ resourceArn: arn, tags: { env: 'dev' } }));
    await logs.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team'] }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, { env: 'dev' });
    await logs.send(new TagLogGroupCommand({ logGroupName: 'tagged', tags: { tier: 'web' } }));
    assert.deepEqual((await logs.send(new ListTagsLogGroupCommand({ logGroupName: 'tagged' }))).tags, { env: 'dev', tier: 'web' });
    await rejects(logs.send(new TagResourceCommand({ resourceArn: arn, tags: { 'aws:x': '1' } })), 'InvalidParameterException', /reserved/);
    const many = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`k${i}`, 'v']));
    await rejects(logs.send(new TagResourceCommand({ resourceArn: arn, tags: many })), 'TooManyTagsException');
    await rejects(logs.send(new ListTagsForResourceCommand({ resourceArn: arn.replace('tagged', 'absent') })), 'ResourceNotFoundException');
    await logs.send(new DeleteLogGroupCommand({ logGroupName: 'tagged' }));
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'tagged' }));
    assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags, {}, 'a re-made group starts without the old tags');
  });

  it('creates, describes (prefix, order, descending, paging, event times) and deletes log streams', async () => {
    const now = Date.now();
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'streams' }));
    for (const [name, ts] of [['web/app/a', now - 3000], ['web/app/b', now - 1000], ['db/c', now - 2000]] as const) {
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: name }));
      await logs.send(new PutLogEventsCommand({ logGroupName: 'streams', logStreamName: name, logEvents: [{ timestamp: ts - 10, message: 'first' }, { timestamp: ts, message: 'last' }] }));
    }
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: 'empty' }));
    await rejects(logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: 'empty' })), 'ResourceAlreadyExistsException');
    await rejects(logs.send(new CreateLogStreamCommand({ logGroupName: 'absent', logStreamName: 'x' })), 'ResourceNotFoundException', /log group does not exist/);
    await rejects(logs.send(new CreateLogStreamCommand({ logGroupName: 'streams', logStreamName: 'a:b' })), 'InvalidParameterException', /logStreamName/);

    const byName = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams' }));
    assert.deepEqual(byName.logStreams?.map((s) => s.logStreamName), ['db/c', 'empty', 'web/app/a', 'web/app/b']);
    const a = byName.logStreams![2];
    assert.equal(a.firstEventTimestamp, now - 3010);
    assert.equal(a.lastEventTimestamp, now - 3000);
    assert.equal(typeof a.lastIngestionTime, 'number');
    assert.equal(a.storedBytes, 'first'.length + 'last'.length);
    assert.match(a.arn!, /^arn:aws:logs:us-east-1:\d{12}:log-group:streams:log-stream:web\/app\/a$/);
    assert.equal(byName.logStreams![1].firstEventTimestamp, undefined);

    const prefixed = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', logStreamNamePrefix: 'web/', descending: true }));
    assert.deepEqual(prefixed.logStreams?.map((s) => s.logStreamName), ['web/app/b', 'web/app/a']);
    const byTime = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', orderBy: 'LastEventTime', descending: true }));
    assert.deepEqual(byTime.logStreams?.map((s) => s.logStreamName), ['web/app/b', 'db/c', 'web/app/a', 'empty']);
    await rejects(
      logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', orderBy: 'LastEventTime', logStreamNamePrefix: 'web' })),
      'InvalidParameterException',
      /Cannot order by LastEventTime with a logStreamNamePrefix/,
    );
    const page1 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', limit: 3 }));
    const page2 = await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'streams', limit: 3, nextToken: page1.nextToken }));
    assert.deepEqual([...page1.logStreams!, ...page2.logStreams!].map((s) => s.logStreamName), ['db/c', 'empty', 'web/app/a', 'web/app/b']);
    assert.equal(page2.nextToken, undefined);
    const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'streams' }));
    const byArn = await logs.send(new DescribeLogStreamsCommand({ logGroupIdentifier: logGroups![0].logGroupArn }));
    assert.equal(byArn.logStreams?.length, 4);
    assert.equal(logGroups![0].storedBytes, 27);

    await logs.send(new DeleteLogStreamCommand({ logGroupName: 'streams', logStreamName: 'db/c' }));
    await rejects(logs.send(new DeleteLogStreamCommand({ logGroupName: 'streams', logStreamName: 'db/c' })), 'ResourceNotFoundException', /log stream does not exist/);
    await rejects(logs.send(new GetLogEventsCommand({ logGroupName: 'streams', logStreamName: 'db/c' })), 'ResourceNotFoundException');
    assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'streams' }))).logGroups![0].storedBytes, 18);
  });

  it('puts events: chronological order, batch limits, sequence tokens ignored, rejected events reported', async () => {
    const now = Date.now();
    await groupWithStream('put', 's');
    const ok = await logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', sequenceToken: 'whatever', logEvents: [{ timestamp: now, message: 'one' }] }));
    assert.ok(ok.nextSequenceToken);
    assert.equal(ok.rejectedLogEventsInfo, undefined);
    await rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now, message: 'b' }, { timestamp: now - 1, message: 'a' }] })),
      'InvalidParameterException',
      /must be in chronological order/,
    );
    await rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now - 2 * DAY, message: 'a' }, { timestamp: now, message: 'b' }] })),
      'InvalidParameterException',
      /cannot span more than 24 hours/,
    );
    const big = 'x'.repeat(1_048_576 - 26 * 2 - 10);
    await rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now, message: big }, { timestamp: now, message: 'y'.repeat(11) }] })),
      'InvalidParameterException',
      /Upload too large: 1048577 bytes exceeds limit of 1048576/,
    );
    await rejects(
      logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: Array.from({ length: 10_001 }, () => ({ timestamp: now, message: 'm' })) })),
      'InvalidParameterException',
      /logEvents.*length less than or equal to 10000/,
    );
    await rejects(logs.send(new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 'absent', logEvents: [{ timestamp: now, message: 'm' }] })), 'ResourceNotFoundException', /log stream does not exist/);

    const mixed = await logs.send(
      new PutLogEventsCommand({
        logGroupName: 'put',
        logStreamName: 's',
        logEvents: [
          { timestamp: now - 15 * DAY, message: 'too old' },
          { timestamp: now - 1000, message: 'kept 1' },
          { timestamp: now - 500, message: 'kept 2' },
          { timestamp: now + 3 * 3_600_000, message: 'too new' },
        ],
      }),
    );
    assert.deepEqual(mixed.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1, tooNewLogEventStartIndex: 3 });
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'put', logStreamName: 's', startFromHead: true }));
    assert.deepEqual(got.events?.map((e) => e.message), ['kept 1', 'kept 2', 'one']);
    assert.ok(got.events!.every((e) => typeof e.ingestionTime === 'number'));

    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'put', retentionInDays: 1 }));
    const expired = await logs.send(
      new PutLogEventsCommand({ logGroupName: 'put', logStreamName: 's', logEvents: [{ timestamp: now - 2 * DAY, message: 'past retention' }, { timestamp: now, message: 'fresh' }] }),
    );
    assert.deepEqual(expired.rejectedLogEventsInfo, { expiredLogEventEndIndex: 1 });
  });

  it('gets events forward and backward with f/ and b/ tokens, the same token at each end, and time ranges', async () => {
    const base = Date.now() - 60_000;
    await groupWithStream('get', 's', Array.from({ length: 25 }, (_, i) => ({ timestamp: base + i * 100, message: `event ${i}` })));
    const msgs = (r: { events?: { message?: string }[] }) => r.events!.map((e) => e.message!);

    const tail = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', limit: 10 }));
    assert.deepEqual(msgs(tail), Array.from({ length: 10 }, (_, i) => `event ${15 + i}`), 'the latest events by default, oldest first');
    assert.match(tail.nextForwardToken!, /^f\//);
    assert.match(tail.nextBackwardToken!, /^b\//);

    const seen: string[] = [];
    let token: string | undefined;
    for (;;) {
      const r: GetLogEventsCommandOutput = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', startFromHead: true, limit: 10, nextToken: token }));
      if (r.nextForwardToken === token) {
        assert.deepEqual(r.events, []);
        break;
      }
      seen.push(...msgs(r));
      token = r.nextForwardToken;
    }
    assert.deepEqual(seen, Array.from({ length: 25 }, (_, i) => `event ${i}`));

    const back: string[] = [];
    token = undefined;
    for (;;) {
      const r: GetLogEventsCommandOutput = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', limit: 10, nextToken: token }));
      if (token !== undefined && r.nextBackwardToken === token) break;
      back.unshift(...msgs(r));
      token = r.nextBackwardToken;
    }
    assert.deepEqual(back, seen);

    const ranged = await logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', startFromHead: true, startTime: base + 500, endTime: base + 800 }));
    assert.deepEqual(msgs(ranged), ['event 5', 'event 6', 'event 7']);
    const { logGroups } = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'get' }));
    const byArn = await logs.send(new GetLogEventsCommand({ logGroupIdentifier: logGroups![0].logGroupArn, logStreamName: 's', limit: 1 }));
    assert.deepEqual(msgs(byArn), ['event 24']);
    await rejects(logs.send(new GetLogEventsCommand({ logGroupName: 'get', logGroupIdentifier: 'get', logStreamName: 's' })), 'InvalidParameterException', /mutually exclusive/);
    await rejects(logs.send(new GetLogEventsCommand({ logGroupName: 'get', logStreamName: 's', nextToken: 'nonsense' })), 'InvalidParameterException', /nextToken is invalid/);
  });

  it('filters events across streams: patterns, stream names and prefixes, time ranges, paging, interleaved order', async () => {
    const base = Date.now() - 60_000;
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'filter' }));
    const put = async (stream: string, events: [number, string][]) => {
      await logs.send(new CreateLogStreamCommand({ logGroupName: 'filter', logStreamName: stream }));
      await logs.send(new PutLogEventsCommand({ logGroupName: 'filter', logStreamName: stream, logEvents: events.map(([t, message]) => ({ timestamp: base + t, message })) }));
    };
    await put('web/app/1', [
      [1, 'INFO GET /health 200'],
      [3, 'ERROR connection refused'],
      [5, '{"level":"error","status":503,"msg":"upstream down"}'],
    ]);
    await put('web/app/2', [
      [2, 'WARN slow request'],
      [4, '{"level":"info","status":200}'],
      [6, 'ERROR Exiting with status 1'],
    ]);
    await put('db/1', [[7, '{"level":"error","status":500}']]);
    const find = async (filterPattern?: string, extra: Record<string, unknown> = {}) =>
      (await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern, ...extra }))).events!.map((e) => `${e.logStreamName}:${e.message}`);

    assert.deepEqual(await find(), [
      'web/app/1:INFO GET /health 200',
      'web/app/2:WARN slow request',
      'web/app/1:ERROR connection refused',
      'web/app/2:{"level":"info","status":200}',
      'web/app/1:{"level":"error","status":503,"msg":"upstream down"}',
      'web/app/2:ERROR Exiting with status 1',
      'db/1:{"level":"error","status":500}',
    ]);
    assert.deepEqual(await find('ERROR'), ['web/app/1:ERROR connection refused', 'web/app/2:ERROR Exiting with status 1']);
    assert.deepEqual(await find('ERROR -Exiting'), ['web/app/1:ERROR connection refused']);
    assert.deepEqual(await find('"slow request"'), ['web/app/2:WARN slow request']);
    assert.deepEqual(await find('?WARN ?INFO'), ['web/app/1:INFO GET /health 200', 'web/app/2:WARN slow request']);
    assert.deepEqual(await find('{ $.level = "error" }'), ['web/app/1:{"level":"error","status":503,"msg":"upstream down"}', 'db/1:{"level":"error","status":500}']);
    assert.deepEqual(await find('{ $.status >= 500 && $.msg = "upstream*" }'), ['web/app/1:{"level":"error","status":503,"msg":"upstream down"}']);
    assert.deepEqual(await find('{ $.status = 200 || $.status = 500 }'), ['web/app/2:{"level":"info","status":200}', 'db/1:{"level":"error","status":500}']);
    assert.deepEqual(await find('ERROR', { logStreamNames: ['web/app/2', 'absent'] }), ['web/app/2:ERROR Exiting with status 1']);
    assert.deepEqual(await find('', { logStreamNamePrefix: 'db/' }), ['db/1:{"level":"error","status":500}']);
    assert.deepEqual(await find('', { startTime: base + 2, endTime: base + 4 }), ['web/app/2:WARN slow request', 'web/app/1:ERROR connection refused']);
    await rejects(find('{ $.level = ', {}), 'InvalidParameterException', /Invalid JSON filter pattern/);
    await rejects(find('', { logStreamNames: ['a'], logStreamNamePrefix: 'a' }), 'InvalidParameterException', /mutually exclusive/);
    await rejects(find('x', { logGroupName: 'absent' }), 'ResourceNotFoundException');

    const pages: string[][] = [];
    for await (const page of paginateFilterLogEvents({ client: logs, pageSize: 2 }, { logGroupName: 'filter' })) pages.push(page.events!.map((e) => e.message!));
    assert.deepEqual(pages.map((p) => p.length), [2, 2, 2, 1]);
    assert.equal(pages.flat().length, 7);
    const first = await logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', limit: 2 }));
    await rejects(logs.send(new FilterLogEventsCommand({ logGroupName: 'filter', filterPattern: 'ERROR', nextToken: first.nextToken })), 'InvalidParameterException', /nextToken is invalid/);
    assert.ok(first.events!.every((e) => e.eventId && e.ingestionTime));
  });

  it('enforces retention: events older than a new retention are gone from reads and from storedBytes', async () => {
    const now = Date.now();
    await groupWithStream('retained', 's', [{ timestamp: now - 3 * DAY, message: 'three days old' }]);
    await logs.send(new PutLogEventsCommand({ logGroupName: 'retained', logStreamName: 's', logEvents: [{ timestamp: now - 1000, message: 'recent' }] }));
    assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'retained' }))).logGroups![0].storedBytes, 20);
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'retained', retentionInDays: 1 }));
    const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'retained', logStreamName: 's', startFromHead: true }));
    assert.deepEqual(got.events?.map((e) => e.message), ['recent']);
    const filtered = await logs.send(new FilterLogEventsCommand({ logGroupName: 'retained' }));
    assert.deepEqual(filtered.events?.map((e) => e.message), ['recent']);
    assert.equal((await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: 'retained' }))).logGroups![0].storedBytes, 6);
    const stream = (await logs.send(new DescribeLogStreamsCommand({ logGroupName: 'retained' }))).logStreams![0];
    assert.equal(stream.firstEventTimestamp, now - 1000);
    await logs.send(new DeleteRetentionPolicyCommand({ logGroupName: 'retained' }));
    assert.deepEqual((await logs.send(new GetLogEventsCommand({ logGroupName: 'retained', logStreamName: 's' }))).events?.map((e) => e.message), ['recent'], 'deleted events do not come back');
  });

  it('answers operations Berth has not built with UnsupportedOperation', async () => {
    const { StartQueryCommand } = await import('@aws-sdk/client-cloudwatch-logs');
    await rejects(logs.send(new StartQueryCommand({ logGroupName: 'get', startTime: 0, endTime: 1, queryString: 'fields @message' })), 'UnsupportedOperation', /does not support CloudWatch Logs StartQuery/);
  });

  it('berth logs prints a group\'s events and follows new ones', async () => {
    const now = Date.now();
    await groupWithStream('cli', 'web/app/1', [{ timestamp: now - 20 * 60_000, message: 'twenty minutes ago' }]);
    await logs.send(new PutLogEventsCommand({ logGroupName: 'cli', logStreamName: 'web/app/1', logEvents: [{ timestamp: now - 1000, message: 'just now' }] }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'cli', logStreamName: 'db/1' }));
    await logs.send(new PutLogEventsCommand({ logGroupName: 'cli', logStreamName: 'db/1', logEvents: [{ timestamp: now - 500, message: 'db line' }] }));
    const env = { ...process.env, BERTH_ACCESS_KEY_ID: berth.credentials.accessKeyId, BERTH_SECRET_ACCESS_KEY: berth.credentials.secretAccessKey };
    const { stdout } = await run(process.execPath, [BERTH_BIN, 'logs', 'cli', '--data-dir', berth.dataDir], { env });
    const lines = stdout.trim().split('\n');
    assert.equal(lines.length, 2, stdout);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT[\d:.]+Z web\/app\/1 just now$/);
    assert.match(lines[1], / db\/1 db line$/);
    const prefixed = await run(process.execPath, [BERTH_BIN, 'logs', 'cli', '--since', '1h', '--stream-prefix', 'web/', '--data-dir', berth.dataDir], { env });
    assert.deepEqual(prefixed.stdout.trim().split('\n').map((l) => l.split(' ').slice(2).join(' ')), ['twenty minutes ago', 'just now']);
    await rejects(
      run(process.execPath, [BERTH_BIN, 'logs', 'absent', '--data-dir', berth.dataDir], { env }).catch((e) => {
        throw Object.assign(new Error(e.stderr), { name: e.code === 1 ? 'ExitOne' : String(e.code) });
      }),
      'ExitOne',
      /The specified log group does not exist/,
    );

    const child = spawn(process.execPath, [BERTH_BIN, 'logs', 'cli', '--follow', '--data-dir', berth.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const waitFor = async (text: string) => {
        for (let i = 0; i < 600 && !out.includes(text); i++) await new Promise((r) => setTimeout(r, 50));
        assert.ok(out.includes(text), `berth logs --follow printed '${text}':\n${out}`);
      };
      await waitFor('db line');
      await logs.send(new PutLogEventsCommand({ logGroupName: 'cli', logStreamName: 'db/1', logEvents: [{ timestamp: Date.now(), message: 'followed line' }] }));
      await waitFor('followed line');
      assert.equal(out.split('db line').length, 2, 'no event is printed twice');
    } finally {
      child.kill('SIGINT');
      await exited;
    }
  });
});

describe('CloudWatch Logs across a kill -9 and restart', () => {
  let berth: TestBerth;
  after(async () => berth.cleanup());

  it('keeps groups, streams, events, retention and tags', async () => {
    const first = await startBerthProcess();
    berth = first;
    let logs = new CloudWatchLogsClient({ endpoint: first.endpoint, region: first.region, credentials: first.credentials, maxAttempts: 1 });
    const now = Date.now();
    await logs.send(new CreateLogGroupCommand({ logGroupName: 'durable', tags: { k: 'v' } }));
    await logs.send(new CreateLogStreamCommand({ logGroupName: 'durable', logStreamName: 's' }));
    await logs.send(new PutRetentionPolicyCommand({ logGroupName: 'durable', retentionInDays: 7 }));
    await Promise.all(
      Array.from({ length: 5 }, (_, b) =>
        logs.send(new PutLogEventsCommand({ logGroupName: 'durable', logStreamName: 's', logEvents: Array.from({ length: 100 }, (_, i) => ({ timestamp: now - 10_000 + b * 1000 + i, message: `b${b} e${i}` })) })),
      ),
    );
    logs.destroy();
    await first.kill9();

    berth = await startBerthProcess({ dataDir: first.dataDir });
    logs = new CloudWatchLogsClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    try {
      const group = (await logs.send(new DescribeLogGroupsCommand({}))).logGroups![0];
      assert.equal(group.logGroupName, 'durable');
      assert.equal(group.retentionInDays, 7);
      assert.deepEqual((await logs.send(new ListTagsForResourceCommand({ resourceArn: group.logGroupArn! }))).tags, { k: 'v' });
      const got = await logs.send(new GetLogEventsCommand({ logGroupName: 'durable', logStreamName: 's', startFromHead: true }));
      assert.equal(got.events?.length, 500);
      assert.equal(got.events?.[0].message, 'b0 e0');
      assert.equal(got.events?.[499].message, 'b4 e99');
    } finally {
      logs.destroy();
      // the first process's data dir is reused; remove it through the first fixture
      await berth.kill9();
      await first.cleanup();
    }
  });
});

describe('CloudWatch Logs through the AWS CLI v2', { skip: existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed` }, () => {
  let berth: TestBerth;
  before(async () => {
    berth = await startBerthProcess();
  });
  after(async () => berth.cleanup());

  async function aws(...args: string[]): Promise<any> {
    const { stdout } = await run(AWS_CLI_V2, ['logs', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 60_000 });
    return stdout.trim() ? JSON.parse(stdout) : {};
  }

  it('creates a group and stream, puts, gets and filters events', async () => {
    const now = Date.now();
    await aws('create-log-group', '--log-group-name', '/cli/demo');
    await aws('create-log-stream', '--log-group-name', '/cli/demo', '--log-stream-name', 'app');
    const events = JSON.stringify([
      { timestamp: now - 2000, message: 'INFO hello' },
      { timestamp: now - 1000, message: 'ERROR boom' },
    ]);
    const put = await aws('put-log-events', '--log-group-name', '/cli/demo', '--log-stream-name', 'app', '--log-events', events);
    assert.ok(put.nextSequenceToken);
    const got = await aws('get-log-events', '--log-group-name', '/cli/demo', '--log-stream-name', 'app', '--start-from-head');
    assert.deepEqual(got.events.map((e: any) => e.message), ['INFO hello', 'ERROR boom']);
    assert.match(got.nextForwardToken, /^f\//);
    const filtered = await aws('filter-log-events', '--log-group-name', '/cli/demo', '--filter-pattern', 'ERROR');
    assert.deepEqual(filtered.events.map((e: any) => [e.logStreamName, e.message]), [['app', 'ERROR boom']]);
    const described = await aws('describe-log-groups');
    assert.equal(described.logGroups[0].logGroupName, '/cli/demo');
  });
});
