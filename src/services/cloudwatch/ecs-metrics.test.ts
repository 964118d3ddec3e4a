/** Tests of AWS/ECS CPUUtilization and MemoryUtilization: ECS's arithmetic over the task agent's samples. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { migrateTaskStats, recordTaskStats } from '../../agent/stats-sampler.js';
import { ecsDatums, ecsUtilization, type UtilizationSample } from './ecs-metrics.js';
import { createMetricStore } from './index.js';
import { MetricProducers } from './producers.js';
import { webTaskSample } from './test-samples.js';

const MIB = 1024 * 1024;
const sample = (taskArn: string, serviceName: string | undefined, used: number, reserved: number, mem = 0, memReserved?: number): UtilizationSample => ({
  taskArn,
  clusterName: 'prod',
  serviceName,
  cpuUnitsUsed: used,
  cpuUnitsReserved: reserved,
  memoryBytes: mem,
  memoryReservedBytes: memReserved,
});

describe('AWS/ECS utilization', () => {
  it('Average is used / reserved over the service, Minimum and Maximum the extreme tasks, SampleCount the tasks', () => {
    // Task a: 256 units reserved, 128 used (50%); task b: 1024 reserved, 256 used (25%).
    const u = ecsUtilization([sample('a', 'web', 128, 256), sample('b', 'web', 256, 1024)]);
    const web = u.find((x) => x.serviceName === 'web')!;
    assert.equal(web.cpu.sampleCount, 2);
    assert.equal(web.cpu.minimum, 25);
    assert.equal(web.cpu.maximum, 50);
    // (128 + 256) / (256 + 1024) = 30%, not the plain mean of 50 and 25.
    assert.equal(web.cpu.sum / web.cpu.sampleCount, 30);
  });
  it("a task's utilization is over all its samples in the interval", () => {
    const u = ecsUtilization([sample('a', 'web', 100, 1000), sample('a', 'web', 300, 1000)]);
    const web = u.find((x) => x.serviceName === 'web')!;
    assert.deepEqual(web.cpu, { sampleCount: 1, sum: 20, minimum: 20, maximum: 20 });
  });
  it('per cluster over every task, standalone ones included; per service only its own', () => {
    const u = ecsUtilization([sample('a', 'web', 512, 1024), sample('b', 'api', 0, 1024), sample('c', undefined, 1024, 1024)]);
    assert.deepEqual(u.map((x) => x.serviceName ?? '(cluster)').sort(), ['(cluster)', 'api', 'web']);
    const cluster = u.find((x) => !x.serviceName)!;
    assert.equal(cluster.cpu.sampleCount, 3);
    assert.equal(cluster.cpu.sum / 3, 50);
  });
  it('memory only over tasks with a reservation; none when no task has one', () => {
    const u = ecsUtilization([sample('a', 'web', 0, 1024, 256 * MIB, 512 * MIB), sample('b', 'web', 0, 1024, 100 * MIB)]);
    const web = u.find((x) => x.serviceName === 'web')!;
    assert.deepEqual(web.memory, { sampleCount: 1, sum: 50, minimum: 50, maximum: 50 });
    assert.equal(ecsUtilization([sample('b', 'web', 0, 1024, 100 * MIB)])[0].memory, undefined);
  });
  it('nothing for no samples (no RUNNING task: ECS reports nothing)', () => {
    assert.deepEqual(ecsUtilization([]), []);
    assert.deepEqual(ecsDatums([], 0), []);
  });
  it("datums carry AWS's names, dimensions and unit", () => {
    const datums = ecsDatums(ecsUtilization([sample('a', 'web', 512, 1024, 1, 2)]), 60_000);
    const names = datums.map((d) => `${d.metricName} ${d.dimensions!.map((x) => `${x.name}=${x.value}`).join(',')} ${d.unit}`).sort();
    assert.deepEqual(names, [
      'CPUUtilization ClusterName=prod Percent',
      'CPUUtilization ClusterName=prod,ServiceName=web Percent',
      'MemoryUtilization ClusterName=prod Percent',
      'MemoryUtilization ClusterName=prod,ServiceName=web Percent',
    ]);
    assert.ok(datums.every((d) => d.timestamp === 60_000 && d.statisticValues));
  });
});

describe('AWS/ECS utilization through the producer and the metric store', () => {
  const T0 = Date.UTC(2026, 10, 30, 1, 0, 0);
  const rec = webTaskSample;

  it('publishes one statistic set per minute from the samples taken in that minute, timestamped to the minute', () => {
    const store = Store.openFile(':memory:');
    const clock = { now: T0 + 61_000 };
    const metrics = createMetricStore(store, { now: () => clock.now, log: () => {} });
    migrateTaskStats(store);
    const bounds = { retentionMs: 86_400_000, maxRows: 1000 };
    recordTaskStats(store, [rec('a', T0 + 10_000, 64), rec('b', T0 + 10_000, 192)], bounds, new Date(T0 + 10_000));
    recordTaskStats(store, [rec('a', T0 + 20_000, 64), rec('b', T0 + 20_000, 192)], bounds, new Date(T0 + 20_000));
    // Outside the minute: not in it.
    recordTaskStats(store, [rec('a', T0 - 1, 256)], bounds, new Date(T0 - 1));
    recordTaskStats(store, [rec('a', T0 + 600_000, 256)], bounds, new Date(T0 + 600_000));
    const producers = new MetricProducers({ store, metrics, now: () => clock.now, intervalSeconds: 60 });
    assert.equal(producers.intervalStart(T0 + 61_000), T0 + 60_000);
    producers.publish(T0, T0 + 60_000);
    const q = (stat: string, dims = [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }]) =>
      metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: dims, stat, periodSeconds: 60, start: T0 - 60_000, end: T0 + 120_000 });
    assert.deepEqual(q('Average'), { timestamps: [T0], values: [50] });
    assert.deepEqual(q('Minimum').values, [25]);
    assert.deepEqual(q('Maximum').values, [75]);
    assert.deepEqual(q('SampleCount').values, [2]);
    assert.deepEqual(q('Average', [{ name: 'ClusterName', value: 'prod' }]).values, [50]);
    const mem = metrics.query({ namespace: 'AWS/ECS', metricName: 'MemoryUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }], stat: 'Average', periodSeconds: 60, start: T0, end: T0 + 60_000 });
    assert.deepEqual(mem.values, [12.5]);
    assert.match(producers.prometheus(), /^aws_ecs_cpu_utilization_percent\{cluster_name="prod",service_name="web"\} 50$/m);
    // Idle minutes (no samples) publish nothing; /metrics drops the service after three of them.
    producers.publish(T0 + 60_000, T0 + 120_000);
    producers.publish(T0 + 120_000, T0 + 180_000);
    assert.deepEqual(metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }], stat: 'SampleCount', periodSeconds: 60, start: T0, end: T0 + 240_000 }).timestamps, [T0]);
    assert.match(producers.prometheus(), /aws_ecs_cpu_utilization_percent/);
    producers.publish(T0 + 180_000, T0 + 240_000);
    assert.doesNotMatch(producers.prometheus(), /aws_ecs_cpu_utilization_percent/);
  });

  it('after a restart, publishes the intervals that ended while Berth was down, once', () => {
    const store = Store.openFile(':memory:');
    const clock = { now: T0 + 1000 };
    const metrics = createMetricStore(store, { now: () => clock.now, log: () => {} });
    migrateTaskStats(store);
    const bounds = { retentionMs: 86_400_000, maxRows: 1000 };
    const first = new MetricProducers({ store, metrics, now: () => clock.now, intervalSeconds: 60 });
    first.publish(T0 - 60_000, T0);
    // Samples taken in the minute Berth was killed in, and in the next one (the agent survived a while).
    recordTaskStats(store, [rec('a', T0 + 10_000, 128)], bounds, new Date(T0 + 10_000));
    recordTaskStats(store, [rec('a', T0 + 70_000, 64)], bounds, new Date(T0 + 70_000));
    // Berth starts again in the third minute: a new producer over the same store.
    clock.now = T0 + 150_000;
    const second = new MetricProducers({ store, metrics, now: () => clock.now, intervalSeconds: 60 });
    assert.equal(second.lastPublishedEnd(), T0);
    second.catchUp();
    second.catchUp();
    const q = (stat: string) => metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }], stat, periodSeconds: 60, start: T0 - 60_000, end: T0 + 180_000 });
    assert.deepEqual(q('Average'), { timestamps: [T0, T0 + 60_000], values: [50, 25] });
    assert.deepEqual(q('SampleCount').values, [1, 1], 'each interval published once');
    assert.equal(second.lastPublishedEnd(), T0 + 120_000);
  });
});
