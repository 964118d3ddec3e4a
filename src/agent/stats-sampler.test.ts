import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OptionsError } from '../config/index.js';
import { compileRuntimeOptions, PortAllocator, ProcessDriver, type Driver, type ResourceUsage, type TaskHandle } from '../runtime/index.js';
import { Store } from '../state/index.js';
import { compileStatsSamplerOptions, migrateTaskStats, nextSampleDelay, readTaskStats, recordTaskStats, sampleContainers, STATS_CONCURRENCY, taskSample, type TaskStatsSample } from './stats-sampler.js';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/prod';
const at = new Date('2024-01-02T12:00:00Z');
const usage = (cpuUnitsUsed: number, memoryMiB: number): ResourceUsage => ({ cpuPercent: (cpuUnitsUsed / 1024) * 100, cpuUnitsUsed, memoryBytes: memoryMiB * 1024 * 1024, at });
const container = (c: { cpu?: string; memory?: string; memoryReservation?: string } = {}) => ({ cpu: '0', ...c }) as never;
const task = (t: { cpu?: string; memory?: string; containers?: never[]; serviceName?: string; group?: string } = {}) => ({
  taskArn: 'arn:aws:ecs:us-east-1:123456789012:task/prod/abc',
  clusterArn: CLUSTER,
  group: 'family:web',
  containers: [container()],
  ...t,
});

describe('task stats arithmetic (as ECS computes service utilization)', () => {
  it('measures CPU against the task cpu, else the containers cpu, else one vCPU', () => {
    assert.equal(taskSample(task({ cpu: '512' }), [usage(256, 1)], at).cpuUtilization, 50);
    assert.equal(taskSample(task({ cpu: '1 vCPU' }), [usage(256, 1), usage(256, 1)], at).cpuUtilization, 50);
    assert.equal(taskSample(task({ containers: [container({ cpu: '128' }), container({ cpu: '128' })] }), [usage(128, 1)], at).cpuUtilization, 50);
    const none = taskSample(task(), [usage(2048, 1)], at);
    assert.equal(none.cpuUnitsReserved, 1024);
    assert.equal(none.cpuUtilization, 200, 'unenforced use may go past 100');
    assert.equal(none.cpuUnitsUsed, 2048);
  });
  it('measures memory against the task memory, else the hard limits, else the reservations, else not at all', () => {
    assert.equal(taskSample(task({ memory: '512' }), [usage(0, 128)], at).memoryUtilization, 25);
    assert.equal(taskSample(task({ memory: '1GB' }), [usage(0, 256)], at).memoryUtilization, 25);
    assert.equal(taskSample(task({ containers: [container({ memory: '100' }), container({ memory: '100' })] }), [usage(0, 50)], at).memoryUtilization, 25);
    assert.equal(taskSample(task({ containers: [container({ memoryReservation: '200' })] }), [usage(0, 50)], at).memoryUtilization, 25);
    const none = taskSample(task(), [usage(0, 50)], at);
    assert.equal(none.memoryUtilization, undefined);
    assert.equal(none.memoryReservedBytes, undefined);
    assert.equal(none.memoryBytes, 50 * 1024 * 1024);
  });
  it('names the cluster and the service (serviceName, else group service:NAME)', () => {
    assert.equal(taskSample(task(), [usage(1, 1)], at).clusterName, 'prod');
    assert.equal(taskSample(task(), [usage(1, 1)], at).serviceName, undefined);
    assert.equal(taskSample(task({ group: 'service:api' }), [usage(1, 1)], at).serviceName, 'api');
    assert.equal(taskSample(task({ serviceName: 'web', group: 'service:web' }), [usage(1, 1)], at).serviceName, 'web');
  });
});

describe('task stats storage', () => {
  const sample = (ms: number, serviceName?: string): TaskStatsSample => ({ ...taskSample(task({ serviceName }), [usage(512, 10)], new Date(ms)) });
  const open = () => {
    const store = Store.openFile(':memory:');
    migrateTaskStats(store);
    return store;
  };
  it('reads back by cluster name or ARN, by service, and since a time, oldest first', () => {
    const store = open();
    const t0 = at.getTime();
    recordTaskStats(store, [sample(t0, 'web'), sample(t0 + 1000, 'api'), sample(t0 + 2000, 'web')], { retentionMs: 86_400_000, maxRows: 100 }, new Date(t0 + 2000));
    assert.equal(readTaskStats(store, { cluster: 'prod', since: new Date(0) }).length, 3);
    assert.equal(readTaskStats(store, { cluster: CLUSTER, since: new Date(0) }).length, 3);
    assert.equal(readTaskStats(store, { cluster: 'other', since: new Date(0) }).length, 0);
    const web = readTaskStats(store, { cluster: 'prod', service: 'web', since: new Date(t0) });
    assert.deepEqual(web.map((s) => s.at.getTime()), [t0, t0 + 2000]);
    assert.deepEqual(web[0], sample(t0, 'web'));
    assert.equal(readTaskStats(store, { cluster: 'prod', since: new Date(t0 + 1), until: new Date(t0 + 2000) }).length, 1);
    store.close();
  });
  it('drops samples older than the retention and keeps at most maxRows, newest kept', () => {
    const store = open();
    const t0 = at.getTime();
    const bounds = { retentionMs: 10_000, maxRows: 5 };
    recordTaskStats(store, [sample(t0 - 20_000), sample(t0 - 5000)], bounds, new Date(t0));
    assert.deepEqual(readTaskStats(store, { cluster: 'prod', since: new Date(0) }).map((s) => s.at.getTime()), [t0 - 5000]);
    for (let i = 0; i < 8; i++) recordTaskStats(store, [sample(t0 + i)], bounds, new Date(t0));
    const kept = readTaskStats(store, { cluster: 'prod', since: new Date(0) });
    assert.deepEqual(kept.map((s) => s.at.getTime()), [3, 4, 5, 6, 7].map((i) => t0 + i));
    store.close();
  });
});

describe('stats sampler options', () => {
  it('defaults to every 10 s, 24 h, 100,000 rows; takes BERTH_STATS_INTERVAL', () => {
    assert.deepEqual(compileStatsSamplerOptions({}, {}), { intervalMs: 10_000, bounds: { retentionMs: 86_400_000, maxRows: 100_000 } });
    assert.equal(compileStatsSamplerOptions({}, { BERTH_STATS_INTERVAL: '0.5' }).intervalMs, 500);
    assert.equal(compileStatsSamplerOptions({ intervalSeconds: 2 }, { BERTH_STATS_INTERVAL: '0.5' }).intervalMs, 2000);
  });
  it('samples at least once per CloudWatch producer interval (--time-scale shortens it), BERTH_STATS_INTERVAL still wins', () => {
    assert.equal(compileStatsSamplerOptions({ metricsIntervalSeconds: 60 }, {}).intervalMs, 10_000);
    assert.equal(compileStatsSamplerOptions({ metricsIntervalSeconds: 5 }, {}).intervalMs, 5_000);
    assert.equal(compileStatsSamplerOptions({ metricsIntervalSeconds: 1 }, {}).intervalMs, 1_000);
    assert.equal(compileStatsSamplerOptions({ metricsIntervalSeconds: 1 }, { BERTH_STATS_INTERVAL: '3' }).intervalMs, 3_000);
  });
  it('samples in the middle of each clock-aligned interval, so each producer interval gets its sample however long a round took', () => {
    const T = Date.UTC(2026, 10, 30, 4, 0, 0);
    assert.equal(nextSampleDelay(T, 1000), 500);
    assert.equal(nextSampleDelay(T + 499, 1000), 1);
    // A round that ended just after the middle waits for the next interval's middle, not a full interval more.
    assert.equal(nextSampleDelay(T + 530, 1000), 970);
    assert.equal(nextSampleDelay(T + 500, 1000), 1000);
    assert.equal(nextSampleDelay(T + 12_000, 10_000), 3_000);
  });
  it('names every bad value at once', () => {
    assert.throws(
      () => compileStatsSamplerOptions({ retentionHours: 0, maxRows: 1.5 }, { BERTH_STATS_INTERVAL: 'soon' }),
      (e: Error) => e instanceof OptionsError && /interval .*'soon'/.test(e.message) && /retentionHours/.test(e.message) && /maxRows/.test(e.message),
    );
  });
});

describe('sampling many containers (real process-driver containers)', () => {
  const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-stats-')));
  const runtime = compileRuntimeOptions({ dataDir: root, portRange: '43200-43299' }, {});
  const driver = new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) });
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  });
  const COUNT = STATS_CONCURRENCY + 8;
  async function containers(): Promise<{ running: TaskHandle[]; gone: TaskHandle }> {
    const names = [...Array.from({ length: COUNT }, (_, i) => `c${i}`), 'gone'];
    const sandbox = await driver.prepareTask({ taskId: `stats-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: names.map((name) => ({ name, portMappings: [] })) });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    const start = async (name: string, script: string) => {
      const h = await driver.startTask(sandbox, { name, image: 'host', command: ['/bin/sh', '-c', script] });
      cleanup.push(() => driver.destroyTask(h));
      return h;
    };
    const running = await Promise.all(names.slice(0, COUNT).map((n) => start(n, 'sleep 300')));
    const gone = await start('gone', 'exit 0');
    await driver.waitTask(gone, AbortSignal.timeout(30_000));
    return { running, gone };
  }

  it('samples every running container of a driver in one statsMany call, in order; one that exited has no sample', { timeout: 60_000 }, async () => {
    const { running, gone } = await containers();
    const out = await sampleContainers(driver, [running[0], gone, ...running.slice(1)]);
    assert.equal(out.length, COUNT + 1);
    assert.equal(out[1], undefined, 'the exited container');
    for (const u of [out[0], ...out.slice(2)]) assert.ok(u && u.memoryBytes > 0 && u.cpuPercent >= 0, JSON.stringify(u));
  });

  it('without statsMany, calls stats for every container, at most STATS_CONCURRENCY at a time', { timeout: 60_000 }, async () => {
    const { running, gone } = await containers();
    let inFlight = 0;
    let most = 0;
    // The same driver with its statsMany hidden, counting the stats calls in flight.
    const oneByOne = Object.assign(Object.create(driver) as Driver, {
      statsMany: undefined,
      stats: async (h: TaskHandle) => {
        most = Math.max(most, ++inFlight);
        try {
          return await driver.stats(h);
        } finally {
          inFlight--;
        }
      },
    });
    const out = await sampleContainers(oneByOne, [...running, gone]);
    assert.equal(out.length, COUNT + 1);
    assert.equal(out[COUNT], undefined, 'the exited container');
    assert.ok(out.slice(0, COUNT).every((u) => u !== undefined && u.memoryBytes > 0));
    assert.equal(most, STATS_CONCURRENCY, 'calls overlap, up to the bound and no further');
  });
});
