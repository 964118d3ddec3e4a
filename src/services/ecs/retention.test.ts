import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { purgeStoppedTasks, retentionFromEnv } from './retention.js';
import { ecsMigrations } from './schema.js';
import { saveTask, type TaskRecord } from './tasks.js';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/c';

function storeWithTasks(tasks: { id: string; status: 'RUNNING' | 'STOPPED'; stoppedAgoMs?: number; service?: string }[]): { store: Store; tags: TagStore } {
  const store = Store.openFile(':memory:');
  store.migrate('ecs', ecsMigrations);
  const tags = new TagStore(store);
  const deps = { store, tags, scope: { accountId: '123456789012', region: 'us-east-1' }, now: () => new Date(NOW) };
  for (const t of tasks) {
    const arn = `arn:aws:ecs:us-east-1:123456789012:task/c/${t.id}`;
    saveTask(deps, {
      taskArn: arn,
      id: t.id,
      clusterArn: CLUSTER,
      family: 'f',
      lastStatus: t.status,
      desiredStatus: t.status,
      createdAt: new Date(NOW - 2 * HOUR).toISOString(),
      stoppedAt: t.stoppedAgoMs === undefined ? undefined : new Date(NOW - t.stoppedAgoMs).toISOString(),
      serviceName: t.service,
      launchType: 'EC2',
    } as TaskRecord);
    tags.put(arn, [{ key: 'k', value: t.id }]);
  }
  return { store, tags };
}
const ids = (arns: string[]) => arns.map((a) => a.slice(a.lastIndexOf('/') + 1)).sort();
const left = (store: Store) => ids(store.prepare('SELECT arn FROM ecs_tasks').pluck().all() as string[]);

describe('purgeStoppedTasks', () => {
  it('deletes STOPPED tasks older than the retention with their tags, and keeps recent and live ones', () => {
    const { store, tags } = storeWithTasks([
      { id: 'old', status: 'STOPPED', stoppedAgoMs: HOUR + 1000 },
      { id: 'recent', status: 'STOPPED', stoppedAgoMs: HOUR - 1000 },
      { id: 'live', status: 'RUNNING' },
    ]);
    assert.deepEqual(ids(purgeStoppedTasks(store, { retentionMs: HOUR, maxPerService: 100 }, NOW)), ['old']);
    assert.deepEqual(left(store), ['live', 'recent']);
    assert.deepEqual(tags.list('arn:aws:ecs:us-east-1:123456789012:task/c/old'), []);
    assert.deepEqual(ids(purgeStoppedTasks(store, { retentionMs: HOUR, maxPerService: 100 }, NOW)), [], 'a second sweep finds nothing');
  });

  it('keeps at most maxPerService STOPPED tasks of a service, the newest, whatever their age', () => {
    const { store } = storeWithTasks([
      { id: 'a1', status: 'STOPPED', stoppedAgoMs: 5000, service: 'a' },
      { id: 'a2', status: 'STOPPED', stoppedAgoMs: 4000, service: 'a' },
      { id: 'a3', status: 'STOPPED', stoppedAgoMs: 3000, service: 'a' },
      { id: 'a4', status: 'RUNNING', service: 'a' },
      { id: 'b1', status: 'STOPPED', stoppedAgoMs: 9000, service: 'b' },
      { id: 'solo1', status: 'STOPPED', stoppedAgoMs: 9000 },
      { id: 'solo2', status: 'STOPPED', stoppedAgoMs: 8000 },
    ]);
    assert.deepEqual(ids(purgeStoppedTasks(store, { retentionMs: HOUR, maxPerService: 2 }, NOW)), ['a1']);
    assert.deepEqual(left(store), ['a2', 'a3', 'a4', 'b1', 'solo1', 'solo2']);
  });
});

describe('retentionFromEnv', () => {
  it("defaults to ECS's hour and takes BERTH_STOPPED_TASK_RETENTION_SECONDS", () => {
    assert.deepEqual(retentionFromEnv({}), { retentionMs: HOUR, maxPerService: 100 });
    assert.equal(retentionFromEnv({ BERTH_STOPPED_TASK_RETENTION_SECONDS: '2.5' }).retentionMs, 2500);
    for (const bad of ['0', '-1', 'soon']) assert.throws(() => retentionFromEnv({ BERTH_STOPPED_TASK_RETENTION_SECONDS: bad }), /must be a positive number of seconds/);
  });
});
