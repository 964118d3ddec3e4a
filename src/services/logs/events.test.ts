import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { classifyEvents, MAX_AGE_MS, MAX_AHEAD_MS } from './events.js';
import { createLogsService, createRetentionSweeper } from './index.js';
import { DAY_MS } from './records.js';

const NOW = Date.UTC(2024, 5, 1, 12, 0, 0);
const scope = { accountId: '123456789012', region: 'us-east-1' };
const ctx = { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'AK' };

function service(now = () => NOW) {
  const store = Store.openFile(':memory:');
  const svc = createLogsService({ store, scope, now });
  const call = (op: string, input: Record<string, unknown>) => store.transaction(() => svc.operations[op](input, ctx)) as any;
  return { store, call };
}

describe('classifyEvents', () => {
  it('reports too-old (end exclusive), expired (end exclusive) and too-new (start inclusive) events as PutLogEvents does', () => {
    const events = [NOW - MAX_AGE_MS - 1, NOW - 3 * DAY_MS, NOW - 1000, NOW, NOW + MAX_AHEAD_MS + 1, NOW + MAX_AHEAD_MS + 2].map((timestamp, i) => ({ timestamp, message: `m${i}` }));
    const { accepted, rejected } = classifyEvents(events, { retentionDays: 1 }, NOW);
    assert.deepEqual(accepted.map((e) => e.message), ['m2', 'm3']);
    assert.deepEqual(rejected, { tooOldLogEventEndIndex: 1, expiredLogEventEndIndex: 2, tooNewLogEventStartIndex: 4 });
    assert.equal(classifyEvents(events.slice(2, 4), { retentionDays: null }, NOW).rejected, undefined);
  });
});

describe('GetLogEvents tokens', () => {
  const { call } = service();
  call('CreateLogGroup', { logGroupName: 'g' });
  call('CreateLogStream', { logGroupName: 'g', logStreamName: 's' });
  call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: Array.from({ length: 7 }, (_, i) => ({ timestamp: NOW - 7000 + i * 1000, message: `e${i}` })) });
  const messages = (r: any) => r.events.map((e: any) => e.message);

  it('pages forward from the head and returns the same token at the end', () => {
    let r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', startFromHead: true, limit: 3 });
    assert.deepEqual(messages(r), ['e0', 'e1', 'e2']);
    assert.match(r.nextForwardToken, /^f\/\d+$/);
    assert.match(r.nextBackwardToken, /^b\/\d+$/);
    r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextForwardToken, limit: 3 });
    assert.deepEqual(messages(r), ['e3', 'e4', 'e5']);
    r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextForwardToken, limit: 3 });
    assert.deepEqual(messages(r), ['e6']);
    const end = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextForwardToken, limit: 3 });
    assert.deepEqual(end.events, []);
    assert.equal(end.nextForwardToken, r.nextForwardToken);
    const back = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: end.nextBackwardToken, limit: 2 });
    assert.deepEqual(messages(back), ['e5', 'e6']);
  });

  it('starts from the tail by default and pages backward to the same token at the head', () => {
    let r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', limit: 3 });
    assert.deepEqual(messages(r), ['e4', 'e5', 'e6']);
    r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextBackwardToken, limit: 3 });
    assert.deepEqual(messages(r), ['e1', 'e2', 'e3']);
    r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextBackwardToken, limit: 3 });
    assert.deepEqual(messages(r), ['e0']);
    const head = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: r.nextBackwardToken, limit: 3 });
    assert.deepEqual(head.events, []);
    assert.equal(head.nextBackwardToken, r.nextBackwardToken);
    const fwd = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: head.nextForwardToken, limit: 2 });
    assert.deepEqual(messages(fwd), ['e0', 'e1']);
  });

  it('keeps to startTime (inclusive) and endTime (exclusive), and refuses tokens it did not make', () => {
    const r = call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', startFromHead: true, startTime: NOW - 5000, endTime: NOW - 3000 });
    assert.deepEqual(messages(r), ['e2', 'e3']);
    assert.throws(() => call('GetLogEvents', { logGroupName: 'g', logStreamName: 's', nextToken: 'f/garbage' }), { code: 'InvalidParameterException' });
  });
});

describe('retention', () => {
  it('hides expired events from reads at once, and the sweep deletes them and corrects storedBytes', () => {
    let now = NOW;
    const { store, call } = service(() => now);
    call('CreateLogGroup', { logGroupName: 'g' });
    call('CreateLogStream', { logGroupName: 'g', logStreamName: 's' });
    call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: NOW - 2 * DAY_MS, message: 'old' }] });
    call('PutLogEvents', { logGroupName: 'g', logStreamName: 's', logEvents: [{ timestamp: NOW - 1000, message: 'new' }] });
    call('PutRetentionPolicy', { logGroupName: 'g', retentionInDays: 1 });
    assert.deepEqual(call('GetLogEvents', { logGroupName: 'g', logStreamName: 's' }).events.map((e: any) => e.message), ['new']);
    assert.equal(call('DescribeLogGroups', {}).logGroups[0].storedBytes, 3);
    now = NOW + 2 * DAY_MS;
    assert.deepEqual(call('FilterLogEvents', { logGroupName: 'g' }).events, [], 'expired before any sweep');
    const deleted = createRetentionSweeper(store, { now: () => now }).sweep();
    assert.equal(deleted, 1);
    const stream = call('DescribeLogStreams', { logGroupName: 'g' }).logStreams[0];
    assert.equal(stream.storedBytes, 0);
    assert.equal(stream.firstEventTimestamp, undefined);
  });
});
