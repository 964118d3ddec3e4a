import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { createLogsService, createLogWriter } from './index.js';
import { splitMessage } from './writer.js';

const scope = { accountId: '123456789012', region: 'us-east-1' };
const ctx = { requestId: 'r', accountId: scope.accountId, region: scope.region, accessKeyId: 'AK' };
const NOW = Date.UTC(2024, 5, 1);

function setup() {
  const store = Store.openFile(':memory:');
  const svc = createLogsService({ store, scope, now: () => NOW });
  const call = (op: string, input: Record<string, unknown>) => svc.operations[op](input, ctx) as any;
  const messages = (group: string, stream: string) =>
    call('GetLogEvents', { logGroupName: group, logStreamName: stream, startFromHead: true }).events.map((e: any) => e.message);
  return { store, call, messages };
}

describe('the internal log writer', () => {
  it('creates the group (awslogs-create-group) and stream, and writes events in timestamp order on flush', () => {
    const { store, messages } = setup();
    const w = createLogWriter(store, { now: () => NOW });
    const target = { group: '/ecs/web', stream: 'web/app/0123abcd', createGroup: true };
    assert.deepEqual(w.append(target, [{ timestamp: NOW + 2, message: 'second' }, { timestamp: NOW + 1, message: 'first' }, { timestamp: NOW + 3, message: '' }]), { queued: 2, dropped: 0 });
    assert.equal(w.stats().queuedEvents, 2);
    assert.equal(w.flush(), 2);
    assert.deepEqual(messages('/ecs/web', 'web/app/0123abcd'), ['first', 'second']);
    assert.deepEqual(w.stats(), { queuedEvents: 0, queuedBytes: 0, written: 2, droppedQueueFull: 0, droppedNoGroup: 0 });
  });

  it('drops and counts events for a missing group unless asked to create it', () => {
    const { store, call } = setup();
    const w = createLogWriter(store, { now: () => NOW });
    w.append({ group: 'absent', stream: 's' }, [{ timestamp: NOW, message: 'lost' }]);
    assert.equal(w.flush(), 0);
    assert.equal(w.stats().droppedNoGroup, 1);
    assert.deepEqual(call('DescribeLogGroups', {}).logGroups, []);
  });

  it('bounds its queue: events beyond the limit are dropped, counted, and reported by a marker event', () => {
    const { store, messages } = setup();
    const w = createLogWriter(store, { maxQueuedEvents: 3, now: () => NOW });
    const target = { group: 'chatty', stream: 's', createGroup: true };
    const r = w.append(target, Array.from({ length: 10 }, (_, i) => ({ timestamp: NOW, message: `line ${i}` })));
    assert.deepEqual(r, { queued: 3, dropped: 7 });
    assert.equal(w.stats().queuedEvents, 3);
    w.flush();
    const got = messages('chatty', 's');
    assert.deepEqual(got.slice(0, 3), ['line 0', 'line 1', 'line 2']);
    assert.match(got[3], /^\[berth\] 7 log events were dropped: the log queue was full/);
    assert.equal(w.stats().droppedQueueFull, 7);
    assert.deepEqual(w.append(target, [{ timestamp: NOW, message: 'after' }]), { queued: 1, dropped: 0 }, 'the queue has room again after a flush');
  });

  it('bounds its queue by bytes too', () => {
    const { store } = setup();
    const w = createLogWriter(store, { maxQueuedBytes: 100, now: () => NOW });
    assert.deepEqual(w.append({ group: 'g', stream: 's', createGroup: true }, [{ timestamp: NOW, message: 'x'.repeat(60) }, { timestamp: NOW, message: 'y'.repeat(60) }]), { queued: 1, dropped: 1 });
  });

  it('splits messages longer than an event may be, never inside a character', () => {
    assert.deepEqual(splitMessage('abcdef', 4), ['abcd', 'ef']);
    assert.deepEqual(splitMessage('ééé', 4), ['éé', 'é']);
    assert.deepEqual(splitMessage('short'), ['short']);
  });

  it('refuses malformed targets and options', () => {
    const { store } = setup();
    const w = createLogWriter(store);
    assert.throws(() => w.append({ group: 'bad name!', stream: 's' }, []), /Log group name 'bad name!' is not valid/);
    assert.throws(() => w.append({ group: 'g', stream: 'a:b' }, []), /Log stream name 'a:b' is not valid/);
    assert.throws(() => createLogWriter(store, { maxQueuedEvents: 0 }), /maxQueuedEvents must be a positive whole number/);
  });

  describe('as a Runnable', () => {
    const abort = new AbortController();
    after(() => abort.abort());
    it('flushes on its timer and on stop', async () => {
      const { store, messages } = setup();
      const w = createLogWriter(store, { flushIntervalMs: 5 });
      const running = w.start(abort.signal);
      w.append({ group: 'g', stream: 's', createGroup: true }, [{ timestamp: Date.now(), message: 'timed' }]);
      for (let i = 0; i < 2000 && w.stats().written === 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.equal(w.stats().written, 1, 'the timer flushed');
      w.append({ group: 'g', stream: 's' }, [{ timestamp: Date.now(), message: 'at stop' }]);
      abort.abort();
      await running;
      assert.deepEqual(messages('g', 's'), ['timed', 'at stop']);
    });
  });
});
