/**
 * --time-scale in CloudWatch's own machinery: the producers' interval and storage resolution, the
 * alarm engine's scaled periods and cadence (metric and metric-math alarms), and the metric store
 * answering any whole-second period from 1 s data. At time scale 1 nothing changes.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callOperation, testContext } from '../../api/test-support.js';
import { migrateTaskStats, recordTaskStats } from '../../agent/stats-sampler.js';
import { Store } from '../../state/index.js';
import { createAlarmEngine, createCloudWatchService, createMetricStore } from './index.js';
import { metricsIntervalSeconds, MetricProducers } from './producers.js';
import { webTaskSample } from './test-samples.js';

const T0 = Date.UTC(2026, 10, 30, 3, 0, 0);
const ctx = testContext({ accountId: '123456789012', region: 'us-east-1' });
const dims = [{ Name: 'ServiceName', Value: 'web' }];
const cpuAlarm = { AlarmName: 'cpu-high', Namespace: 'App', MetricName: 'CPUUtilization', Dimensions: dims, Statistic: 'Average', Period: 60, EvaluationPeriods: 3, Threshold: 60, ComparisonOperator: 'GreaterThanThreshold' };

function harness(timeScale: number) {
  const store = Store.openFile(':memory:');
  const clock = { now: T0 };
  const now = () => clock.now;
  const metrics = createMetricStore(store, { now, log: () => {} });
  const service = createCloudWatchService({ store, metrics, now });
  const engine = createAlarmEngine(store, metrics, { now, timeScale, log: () => {} });
  const call = (op: string, input: object) => callOperation(store, service, ctx, op, input);
  /** Puts `value` at `at` (ms) at storage resolution 1. */
  const put = (at: number, value: number, name = 'CPUUtilization') =>
    call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: name, Dimensions: dims, Timestamp: new Date(at), Value: value, StorageResolution: 1 }] });
  const state = async (name = 'cpu-high'): Promise<any> => (await call('DescribeAlarms', { AlarmNames: [name] })).MetricAlarms[0];
  return { store, metrics, clock, call, put, engine, state };
}

describe('alarm evaluation at --time-scale', () => {
  it('at 60, a Period 60 / 3-datapoint alarm evaluates 1 s periods: three breaching seconds -> ALARM, evaluated every second', async () => {
    const h = harness(60);
    await h.call('PutMetricAlarm', cpuAlarm);
    // Three seconds above 60, one per (scaled) period.
    for (let i = 0; i < 3; i++) await h.put(T0 + i * 1000 + 100, 80 + i);
    h.clock.now = T0 + 3_000 + 5;
    assert.equal(h.engine.pass(), 1);
    const a = await h.state();
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(a.Period, 60, 'DescribeAlarms keeps the configured Period');
    assert.match(a.StateReason, /^Threshold Crossed: 3 out of the last 3 datapoints \[82\.0 \(30\/11\/26 03:00:02\), 81\.0 \(30\/11\/26 03:00:01\), 80\.0 \(30\/11\/26 03:00:00\)\]/);
    assert.equal(JSON.parse(a.StateReasonData).period, 60);
    // Its cadence is a scaled minute: not due again within the second, due at the next one, and
    // one low datapoint of the three is enough for OK (as at any scale).
    await h.put(T0 + 3_000 + 100, 10);
    h.clock.now = T0 + 3_900;
    assert.equal(h.engine.pass(), 0, 'not due within the second');
    assert.equal((await h.state()).StateValue, 'ALARM');
    h.clock.now = T0 + 4_000 + 5;
    assert.equal(h.engine.pass(), 1);
    assert.equal((await h.state()).StateValue, 'OK');
  });

  it('at 1 the same data is one minute: the alarm stays INSUFFICIENT_DATA and is not due again within the minute', async () => {
    const h = harness(1);
    await h.call('PutMetricAlarm', cpuAlarm);
    for (let i = 0; i < 3; i++) await h.put(T0 - 60_000 + i * 1000 + 100, 80 + i);
    h.clock.now = T0 + 5;
    h.engine.pass();
    const a = await h.state();
    // One real datapoint (the minute's average 81) of the three needed: not settled.
    assert.equal(a.StateValue, 'INSUFFICIENT_DATA');
    h.clock.now = T0 + 3_000;
    assert.equal(h.engine.pass(), 0);
    assert.equal(h.engine.evaluationPeriodSeconds({ config: cpuAlarm } as never), 60);
  });

  it('at 9, a Period 60 alarm evaluates 7 s periods (no API period), aligned to multiples of 7 s', async () => {
    const h = harness(9);
    await h.call('PutMetricAlarm', { ...cpuAlarm, EvaluationPeriods: 2 });
    const base = Math.floor(T0 / 7000) * 7000;
    // Two 7 s periods: the first averages (70 + 90) / 2 = 80, the second 65.
    await h.put(base + 1000, 70);
    await h.put(base + 6000, 90);
    await h.put(base + 7000 + 3000, 65);
    h.clock.now = base + 14_000 + 5;
    h.engine.pass();
    const a = await h.state();
    assert.equal(a.StateValue, 'ALARM');
    assert.match(a.StateReason, /\[65\.0 \(.*\), 80\.0 \(.*\)\]/);
  });

  it('at 60, metric-math alarms read their queries at scaled periods', async () => {
    const h = harness(60);
    await h.call('PutMetricAlarm', {
      AlarmName: 'errors',
      EvaluationPeriods: 2,
      Threshold: 10,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: [
        { Id: 'e', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Errors', Dimensions: dims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'r', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Requests', Dimensions: dims }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        { Id: 'rate', Expression: '100 * e / r', Label: 'error rate' },
      ],
    });
    for (let i = 0; i < 2; i++) {
      await h.put(T0 + i * 1000 + 200, 3, 'Errors');
      await h.put(T0 + i * 1000 + 200, 20, 'Requests');
    }
    h.clock.now = T0 + 2_000 + 5;
    h.engine.pass();
    const a = await h.state('errors');
    assert.equal(a.StateValue, 'ALARM');
    assert.match(a.StateReason, /^Threshold Crossed: 2 out of the last 2 datapoints \[15\.0 \(30\/11\/26 03:00:01\), 15\.0 \(30\/11\/26 03:00:00\)\]/);
  });

  it('the API keeps CloudWatch period rules whatever the engine does', async () => {
    const h = harness(60);
    await assert.rejects(
      h.call('GetMetricData', { MetricDataQueries: [{ Id: 'q', MetricStat: { Metric: { Namespace: 'App', MetricName: 'CPUUtilization' }, Period: 7, Stat: 'Average' } }], StartTime: new Date(T0 - 60_000), EndTime: new Date(T0) }),
      (e: any) => e.code === 'InvalidParameterValue',
    );
  });
});

describe('the metric store at scaled periods', () => {
  it('answers any whole-second period from 1 s data, under and over a minute', () => {
    const store = Store.openFile(':memory:');
    const metrics = createMetricStore(store, { now: () => T0 + 600_000, log: () => {} });
    const start = Math.floor(T0 / 75_000) * 75_000;
    // One datum a second for 150 s: value = the second's index.
    metrics.write('App', Array.from({ length: 150 }, (_, i) => ({ metricName: 'm', timestamp: start + i * 1000, value: i, storageResolution: 1 })));
    const q = (periodSeconds: number) => metrics.query({ namespace: 'App', metricName: 'm', stat: 'SampleCount', periodSeconds, start, end: start + 150_000 });
    assert.deepEqual(q(75), { timestamps: [start, start + 75_000], values: [75, 75] });
    const seven = q(7);
    assert.equal(seven.values[0], 7);
    assert.equal(seven.timestamps[1] - seven.timestamps[0], 7000);
    assert.deepEqual(metrics.query({ namespace: 'App', metricName: 'm', stat: 'Sum', periodSeconds: 2, start, end: start + 4000 }).values, [0 + 1, 2 + 3]);
  });
});

describe('the producers at --time-scale', () => {
  const rec = (at: number, used: number) => webTaskSample('a', at, used);

  it('the interval is a scaled minute unless BERTH_METRICS_INTERVAL_SECONDS or the option says otherwise', () => {
    assert.equal(metricsIntervalSeconds(undefined, {}, 1), 60);
    assert.equal(metricsIntervalSeconds(undefined, {}, 60), 1);
    assert.equal(metricsIntervalSeconds(undefined, {}, 20), 3);
    assert.equal(metricsIntervalSeconds(undefined, { BERTH_METRICS_INTERVAL_SECONDS: '5' }, 60), 5);
    assert.equal(metricsIntervalSeconds(30, {}, 60), 30);
  });

  it('at 60, each 1 s interval is stored at 1 s resolution and readable at a 1 s period', () => {
    const store = Store.openFile(':memory:');
    const clock = { now: T0 + 3_500 };
    const metrics = createMetricStore(store, { now: () => clock.now, log: () => {} });
    migrateTaskStats(store);
    const bounds = { retentionMs: 86_400_000, maxRows: 1000 };
    recordTaskStats(store, [rec(T0 + 500, 128)], bounds, new Date(T0 + 500));
    recordTaskStats(store, [rec(T0 + 1_500, 256)], bounds, new Date(T0 + 1_500));
    recordTaskStats(store, [rec(T0 + 2_500, 64)], bounds, new Date(T0 + 2_500));
    const producers = new MetricProducers({ store, metrics, now: () => clock.now, timeScale: 60, log: () => {} });
    assert.equal(producers.intervalSeconds, 1);
    for (let i = 0; i < 3; i++) producers.publish(T0 + i * 1000, T0 + (i + 1) * 1000);
    const q = (periodSeconds: number) =>
      metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }], stat: 'Average', periodSeconds, start: T0, end: T0 + 3000 });
    assert.deepEqual(q(1), { timestamps: [T0, T0 + 1000, T0 + 2000], values: [50, 100, 25] });
    // A minute still reads the whole: every interval counts once.
    assert.deepEqual(q(60).values, [(50 + 100 + 25) / 3]);
  });

  it('at 1, a minute is one 60 s bucket (unchanged): a 1 s period reads nothing of it', () => {
    const store = Store.openFile(':memory:');
    const clock = { now: T0 + 61_000 };
    const metrics = createMetricStore(store, { now: () => clock.now, log: () => {} });
    migrateTaskStats(store);
    recordTaskStats(store, [rec(T0 + 500, 128)], { retentionMs: 86_400_000, maxRows: 1000 }, new Date(T0 + 500));
    const producers = new MetricProducers({ store, metrics, now: () => clock.now, timeScale: 1, log: () => {} });
    assert.equal(producers.intervalSeconds, 60);
    producers.publish(T0, T0 + 60_000);
    const q = (periodSeconds: number) =>
      metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'prod' }, { name: 'ServiceName', value: 'web' }], stat: 'Average', periodSeconds, start: T0, end: T0 + 60_000 });
    assert.deepEqual(q(60), { timestamps: [T0], values: [50] });
    assert.deepEqual(q(1).values, []);
  });
});
