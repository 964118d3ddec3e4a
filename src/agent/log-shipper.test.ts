import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { compileRuntimeOptions, PortAllocator, ProcessDriver, type TaskHandle } from '../runtime/index.js';
import { createLogsService, createLogWriter } from '../services/logs/index.js';
import { Store } from '../state/index.js';
import { LogShipper, logRouting, strftimeToRegExp, type AwsLogsSettings } from './log-shipper.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-log-shipper-')));
const runtime = compileRuntimeOptions({ dataDir: root, portRange: '43200-43299' }, {});
const driver = new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) });
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

const scope = { accountId: '123456789012', region: 'us-east-1' };
const ctx = { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'AK' };

/** A real logs service and writer over an in-memory store. */
function logs() {
  const store = Store.openFile(':memory:');
  const svc = createLogsService({ store, scope });
  const writer = createLogWriter(store);
  const call = (op: string, input: object) => svc.operations[op](input, ctx) as any;
  const messages = (group: string, stream: string): string[] => call('GetLogEvents', { logGroupName: group, logStreamName: stream, startFromHead: true }).events.map((e: any) => e.message);
  return { writer, call, messages };
}

/** Runs a shell script in a process-driver container and waits until it exits. */
async function ran(script: string): Promise<TaskHandle> {
  const sandbox = await driver.prepareTask({ taskId: `logs-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: [{ name: 'app', portMappings: [] }] });
  cleanup.push(() => driver.destroyTaskSandbox(sandbox));
  const handle = await driver.startTask(sandbox, { name: 'app', image: 'host', command: ['/bin/sh', '-c', script] });
  cleanup.push(() => driver.destroyTask(handle));
  return handle;
}

const settings = (stream: string, extra: Partial<AwsLogsSettings> = {}): AwsLogsSettings => ({ target: { group: '/ecs/app', stream, createGroup: true }, ...extra });

describe('logRouting', () => {
  const route = (logConfiguration?: { logDriver: string; options?: Record<string, string> }) => logRouting({ containerName: 'web', taskId: '0123abcd', region: 'us-east-1', logConfiguration });

  test('awslogs: prefix/container/task-id, the container id without a prefix, create-group', () => {
    assert.deepEqual(route({ logDriver: 'awslogs', options: { 'awslogs-group': '/ecs/web', 'awslogs-stream-prefix': 'ecs', 'awslogs-create-group': 'true', 'awslogs-region': 'us-east-1' } }), {
      kind: 'awslogs',
      settings: { target: { group: '/ecs/web', stream: 'ecs/web/0123abcd', createGroup: true } },
    });
    assert.deepEqual(route({ logDriver: 'awslogs', options: { 'awslogs-group': 'g' } }), { kind: 'awslogs', settings: { target: { group: 'g', stream: '0123abcd-web', createGroup: false } } });
    assert.deepEqual(route(undefined), { kind: 'none' });
  });

  test('clear reasons for what cannot be honoured', () => {
    const reason = (lc: { logDriver: string; options?: Record<string, string> }) => {
      const r = route(lc);
      assert.equal(r.kind, 'invalid');
      return (r as { reason: string }).reason;
    };
    assert.equal(reason({ logDriver: 'splunk' }), 'CannotStartContainerError: Berth supports only the awslogs log driver; container web uses splunk');
    assert.equal(reason({ logDriver: 'awsfirelens' }), 'CannotStartContainerError: Berth supports only the awslogs log driver; container web uses awsfirelens');
    assert.match(reason({ logDriver: 'awslogs', options: {} }), /must specify a value for log opt 'awslogs-group'/);
    assert.match(reason({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-region': 'eu-west-1' } }), /awslogs-region eu-west-1 is not Berth's region us-east-1/);
    assert.match(reason({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-datetime-format': '%Y', 'awslogs-multiline-pattern': 'x' } }), /at the same time/);
    assert.match(reason({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-multiline-pattern': '(' } }), /not a valid regular expression/);
  });

  test('awslogs-datetime-format becomes an anchored start pattern', () => {
    const r = route({ logDriver: 'awslogs', options: { 'awslogs-group': 'g', 'awslogs-datetime-format': '[%b %d, %Y %H:%M:%S]' } });
    assert.equal(r.kind, 'awslogs');
    const start = (r as { settings: AwsLogsSettings }).settings.multilineStart!;
    assert.ok(start.test('[May 01, 2017 19:00:01] started'));
    assert.ok(!start.test('  at frame [May 01, 2017 19:00:01]'));
    assert.equal(strftimeToRegExp('%Y-%m-%d 100%%'), '(?:\\d{4})-(?:0[1-9]|1[0-2])-(?:0[1-9]|[1,2][0-9]|3[0,1]) 100%');
  });
});

describe('LogShipper (process driver, real log writer)', () => {
  test('ships stdout and stderr lines in order until the container exits, and reports the final offset', async () => {
    const { writer, messages } = logs();
    const handle = await ran('echo one; echo two >&2; sleep 0.3; echo three');
    const offsets: number[] = [];
    const shipper = new LogShipper({ driver, handle, writer, settings: settings('ecs/app/t1'), onOffset: (o) => offsets.push(o), batchDelayMs: 20 });
    await shipper.start(AbortSignal.timeout(30_000));
    assert.deepEqual(messages('/ecs/app', 'ecs/app/t1'), ['one', 'two', 'three']);
    let end = 0;
    for await (const l of driver.readLogs(handle)) end = l.nextOffset;
    assert.equal(offsets.at(-1), end);
    assert.equal(shipper.shippedOffset, end);
    assert.deepEqual(offsets, [...offsets].sort((a, b) => a - b), 'offsets only grow');
  });

  test('resumes from a reported offset without loss or duplicates', async () => {
    const { writer, messages } = logs();
    const handle = await ran('for i in 1 2 3 4; do echo line-$i; done');
    await driver.waitTask(handle, AbortSignal.timeout(30_000));
    const lines = [];
    for await (const l of driver.readLogs(handle)) lines.push(l);
    // As if Berth died after shipping the first two lines and persisted their offset.
    const first = new LogShipper({ driver, handle, writer, settings: settings('s'), offset: lines[1].nextOffset });
    await first.start(AbortSignal.timeout(30_000));
    assert.deepEqual(messages('/ecs/app', 's'), ['line-3', 'line-4']);
    const again = new LogShipper({ driver, handle, writer, settings: settings('s'), offset: first.shippedOffset });
    await again.start(AbortSignal.timeout(30_000));
    assert.deepEqual(messages('/ecs/app', 's'), ['line-3', 'line-4'], 'nothing is shipped twice');
  });

  test('multiline: lines that do not match the start pattern join the open event', async () => {
    const { writer, messages } = logs();
    const handle = await ran("printf 'ERROR boom\\n  at a\\n  at b\\nINFO ok\\n  tail\\n'");
    const shipper = new LogShipper({ driver, handle, writer, settings: settings('m', { multilineStart: /^[A-Z]+ / }) });
    await shipper.start(AbortSignal.timeout(30_000));
    assert.deepEqual(messages('/ecs/app', 'm'), ['ERROR boom\n  at a\n  at b', 'INFO ok\n  tail']);
  });

  test('an abort ships what is complete and keeps the open multiline event for the next start', async () => {
    const { writer, messages } = logs();
    const handle = await ran("printf 'START a\\nmore\\nSTART b\\n'; sleep 300");
    const abort = new AbortController();
    const shipper = new LogShipper({ driver, handle, writer, settings: settings('a', { multilineStart: /^START/ }), batchDelayMs: 10, onOffset: () => abort.abort() });
    await shipper.start(AbortSignal.any([abort.signal, AbortSignal.timeout(30_000)]));
    assert.deepEqual(messages('/ecs/app', 'a'), ['START a\nmore']);
    const lines = [];
    for await (const l of driver.readLogs(handle)) lines.push(l);
    assert.equal(shipper.shippedOffset, lines[1].nextOffset, 'START b is not yet shipped');
  });

  test('a missing group without awslogs-create-group: events are dropped and counted by the writer', async () => {
    const { writer, call } = logs();
    const handle = await ran('echo lost');
    await new LogShipper({ driver, handle, writer, settings: { target: { group: 'absent', stream: 's' } } }).start(AbortSignal.timeout(30_000));
    assert.equal(writer.stats().droppedNoGroup, 1);
    assert.deepEqual(call('DescribeLogGroups', {}).logGroups, []);
  });

  test('a malformed group name rejects at start', async () => {
    const { writer } = logs();
    const handle = await ran('true');
    await assert.rejects(new LogShipper({ driver, handle, writer, settings: { target: { group: 'bad name!', stream: 's' } } }).start(AbortSignal.timeout(30_000)), /Log group name 'bad name!' is not valid/);
  });
});
