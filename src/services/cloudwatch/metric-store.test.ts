import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../state/index.js';
import { createMetricStore, createMetricSweeper, RELATIVE_ACCURACY } from './index.js';
import { readResolution, writeResolution } from './metric-store.js';

const T0 = Date.UTC(2026, 10, 30, 0, 0, 0);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function harness(start = T0) {
  const store = Store.openFile(':memory:');
  const clock = { now: start };
  const metrics = createMetricStore(store, { now: () => clock.now, log: () => {} });
  const count = (table: string, res?: number) =>
    (res === undefined ? store.prepare(`SELECT count(*) FROM ${table}`).pluck().get() : store.prepare(`SELECT count(*) FROM ${table} WHERE res = ?`).pluck().get(res)) as number;
  return { store, clock, metrics, count };
}

/** True when `got` is within the sketch's relative accuracy of `want`. */
const near = (got: number[], want: number) => got.length === 1 && Math.abs(got[0] - want) <= RELATIVE_ACCURACY * want;

const cpu = { namespace: 'App', metricName: 'CPU', dimensions: [{ name: 'Service', value: 'web' }] };

describe('metric store: buckets and resolutions', () => {
  it('keeps high-resolution datums per second and standard ones per minute', () => {
    const { metrics, count } = harness();
    metrics.write('App', [
      { metricName: 'CPU', dimensions: cpu.dimensions, timestamp: T0 - 10_500, value: 10, storageResolution: 1 },
      { metricName: 'CPU', dimensions: cpu.dimensions, timestamp: T0 - 10_200, value: 30, storageResolution: 1 },
      { metricName: 'CPU', dimensions: cpu.dimensions, timestamp: T0 - 9_000, value: 50, storageResolution: 1 },
      { metricName: 'Mem', timestamp: T0 - 10_000, value: 5 },
    ]);
    assert.equal(count('cw_buckets', 1), 2);
    assert.equal(count('cw_buckets', 60), 1);
    const perSecond = metrics.query({ ...cpu, stat: 'Average', periodSeconds: 1, start: T0 - 60_000, end: T0 });
    assert.deepEqual(perSecond, { timestamps: [T0 - 11_000, T0 - 9_000], values: [20, 50] });
    const perMinute = metrics.query({ ...cpu, stat: 'Sum', periodSeconds: 60, start: T0 - 60_000, end: T0 });
    assert.deepEqual(perMinute, { timestamps: [T0 - 60_000], values: [90] });
    // Standard-resolution data has no 1-second buckets to answer a 1-second period from.
    assert.deepEqual(metrics.query({ namespace: 'App', metricName: 'Mem', stat: 'Sum', periodSeconds: 1, start: T0 - 60_000, end: T0 }), { timestamps: [], values: [] });
  });

  it('treats dimensions in any order as one series, and keeps units apart unless asked for all', () => {
    const { metrics } = harness();
    const dims = [{ name: 'B', value: '2' }, { name: 'A', value: '1' }];
    metrics.write('App', [
      { metricName: 'Latency', dimensions: dims, timestamp: T0 - 30_000, value: 100, unit: 'Milliseconds' },
      { metricName: 'Latency', dimensions: [...dims].reverse(), timestamp: T0 - 20_000, value: 300, unit: 'Milliseconds' },
      { metricName: 'Latency', dimensions: dims, timestamp: T0 - 10_000, value: 2, unit: 'Seconds' },
      { metricName: 'Latency', dimensions: [dims[0]], timestamp: T0 - 10_000, value: 1000, unit: 'Milliseconds' },
    ]);
    const q = { namespace: 'App', metricName: 'Latency', dimensions: dims, stat: 'SampleCount', periodSeconds: 60, start: T0 - 60_000, end: T0 };
    assert.deepEqual(metrics.query({ ...q, unit: 'Milliseconds' }).values, [2]);
    assert.deepEqual(metrics.query({ ...q, stat: 'Maximum', unit: 'Milliseconds' }).values, [300]);
    assert.deepEqual(metrics.query(q).values, [3]);
  });

  it('keeps series apart in one write of 1,000 datums over ten series, and finds them again in the next write', () => {
    const { store, clock, metrics, count } = harness();
    const seconds = (from: number) => Array.from({ length: 100 }, (_, i) => from + i);
    // Time-major, as producers publish: every series within each second.
    const datums = (secs: number[]) =>
      secs.flatMap((t) => Array.from({ length: 10 }, (_, s) => ({ metricName: 'Latency', dimensions: [{ name: 'Series', value: String(s) }], timestamp: T0 + t * 1000, value: s * 1000 + t, storageResolution: 1 })));
    clock.now = T0 + 100_000;
    metrics.write('Bench', datums(seconds(0)));
    clock.now = T0 + 200_000;
    metrics.write('Bench', datums(seconds(100)));
    assert.equal(count('cw_series'), 10);
    assert.deepEqual(store.prepare('SELECT DISTINCT last_put FROM cw_series').pluck().all(), [T0 + 200_000]);
    for (const s of [0, 7]) {
      const got = metrics.query({ namespace: 'Bench', metricName: 'Latency', dimensions: [{ name: 'Series', value: String(s) }], stat: 'Sum', periodSeconds: 1, start: T0, end: T0 + 200_000 });
      assert.deepEqual(got.values, [...seconds(0), ...seconds(100)].map((t) => s * 1000 + t));
    }
  });

  it('stores statistic sets and values with counts; percentiles only where CloudWatch gives them', () => {
    const { metrics } = harness();
    metrics.write('App', [
      { metricName: 'A', timestamp: T0 - 50_000, values: [1, 2, 3], counts: [1, 2, 7] },
      { metricName: 'B', timestamp: T0 - 50_000, statisticValues: { sampleCount: 4, sum: 10, minimum: 1, maximum: 4 } },
      { metricName: 'C', timestamp: T0 - 50_000, statisticValues: { sampleCount: 5, sum: 15, minimum: 3, maximum: 3 } },
      { metricName: 'D', timestamp: T0 - 50_000, values: [5, -1] },
    ]);
    const q = (metricName: string, stat: string) => metrics.query({ namespace: 'App', metricName, stat, periodSeconds: 60, start: T0 - 60_000, end: T0 }).values;
    assert.deepEqual(q('A', 'SampleCount'), [10]);
    assert.deepEqual(q('A', 'Sum'), [1 + 4 + 21]);
    assert.ok(near(q('A', 'p50'), 3), `p50 ${q('A', 'p50')}`);
    assert.deepEqual(q('A', 'p10'), [1], 'clamped to the minimum');
    assert.deepEqual(q('B', 'Average'), [2.5]);
    assert.deepEqual(q('B', 'p50'), [], 'a many-sample statistic set has no percentiles');
    assert.deepEqual(q('C', 'p90'), [3], 'a statistic set whose minimum equals its maximum has (clamped: exactly)');
    assert.deepEqual(q('D', 'Minimum'), [-1]);
    assert.deepEqual(q('D', 'p50'), [], 'no percentiles over negative values');
  });

  it('stores late high-resolution data at one minute, and reads with the resolution the period and age allow', () => {
    const { metrics, count } = harness();
    metrics.write('App', [{ metricName: 'CPU', timestamp: T0 - 2 * DAY, value: 1, storageResolution: 1 }]);
    assert.equal(count('cw_buckets', 1), 0);
    assert.equal(count('cw_buckets', 60), 1);
    assert.equal(writeResolution(1, T0 - HOUR, T0), 1);
    assert.equal(writeResolution(60, T0 - HOUR, T0), 60);
    assert.equal(readResolution(5, T0 - HOUR, T0), 1);
    assert.equal(readResolution(300, T0 - 2 * DAY, T0), 60);
    assert.equal(readResolution(300, T0 - 20 * DAY, T0), 300);
    assert.equal(readResolution(3600, T0 - 100 * DAY, T0), 3600);
    assert.equal(readResolution(120, T0 - 100 * DAY, T0), 60, 'no coarser resolution divides 120 s');
  });

  it('rejects an unknown statistic or a bad period in the internal query API', () => {
    const { metrics } = harness();
    assert.throws(() => metrics.query({ ...cpu, stat: 'Median', periodSeconds: 60, start: T0 - HOUR, end: T0 }), RangeError);
    assert.throws(() => metrics.query({ ...cpu, stat: 'Sum', periodSeconds: 0, start: T0 - HOUR, end: T0 }), RangeError);
  });
});

describe('metric store: roll-up and retention', () => {
  /** Two hours of one datum per second (value = second % 100) for one high-resolution series. */
  function twoHours() {
    const h = harness(T0);
    const datums = [];
    for (let s = 0; s < 7200; s++) datums.push({ metricName: 'CPU', dimensions: cpu.dimensions, timestamp: T0 - 2 * HOUR + s * 1000, value: s % 100, storageResolution: 1 });
    h.metrics.write('App', datums);
    return h;
  }

  it('answers the same before, during and after roll-ups, at every resolution', () => {
    const { metrics, clock } = twoHours();
    const ask = (stat: string, periodSeconds: number) => metrics.query({ ...cpu, stat, periodSeconds, start: T0 - 2 * HOUR, end: T0 });
    const before = ['Sum', 'Average', 'Maximum', 'p99'].flatMap((stat) => [60, 300, 3600].map((p) => ask(stat, p)));
    // Partial roll-ups (small limits) and then complete ones.
    clock.now = T0 + 1000;
    metrics.rollUp(1000);
    const during = ['Sum', 'Average', 'Maximum', 'p99'].flatMap((stat) => [60, 300, 3600].map((p) => ask(stat, p)));
    while (metrics.rollUp(5000) > 0);
    clock.now = T0 + 2 * HOUR;
    while (metrics.rollUp(5000) > 0);
    clock.now = T0 + 1000;
    const after = ['Sum', 'Average', 'Maximum', 'p99'].flatMap((stat) => [60, 300, 3600].map((p) => ask(stat, p)));
    assert.deepEqual(during, before);
    assert.deepEqual(after, before);
    assert.equal(before[0].values.length, 120);
    assert.equal(before[0].values[0], (0 + 59) * 30);
  });

  it('bounds each pass by its limit per resolution and works a backlog off over the next passes', () => {
    const { metrics, clock, count } = twoHours();
    clock.now = T0 + 10 * 60_000;
    assert.equal(count('cw_pending', 1), 7200);
    // 500 one-second cells fill 9 minutes (the 9th partly: rolled anyway, it is pending again if more
    // seconds arrive), which fill 2 five-minute buckets, which roll into the hour.
    assert.equal(metrics.rollUp(500), 500 + 9 + 2);
    assert.equal(count('cw_pending', 1), 6700);
    let passes = 1;
    while (metrics.rollUp(500) > 0) passes++;
    assert.equal(count('cw_pending', 1), 0);
    assert.ok(passes >= 15, `took ${passes} passes`);
  });

  it('deletes one-second buckets after 3 hours, keeps the minute data they rolled into, and never deletes what is still pending', () => {
    const { metrics, clock, count } = twoHours();
    // Past the 3-hour retention of the first second but before any roll-up: nothing may go.
    clock.now = T0 + 1 * HOUR + 1000;
    assert.equal(metrics.expire(100_000), 0);
    while (metrics.rollUp(100_000) > 0);
    // The first second's bucket [T0-2h, T0-2h+1s) ends at T0-2h+1s: its retention ends 3 hours later.
    clock.now = T0 + HOUR + 1000 - 1;
    assert.equal(metrics.expire(100_000), 0);
    clock.now = T0 + HOUR + 1000;
    assert.equal(metrics.expire(100_000), 1);
    assert.equal(count('cw_buckets', 1), 7199);
    clock.now = T0 + 4 * HOUR;
    assert.equal(metrics.expire(1000), 1000, 'at most the limit per resolution in one pass');
    assert.equal(count('cw_buckets', 1), 6199);
    metrics.maintain(100_000);
    assert.equal(count('cw_buckets', 1), 0);
    const r = metrics.query({ ...cpu, stat: 'Sum', periodSeconds: 3600, start: T0 - 2 * HOUR, end: T0 });
    assert.deepEqual(r.values, [(4950 * 36), (4950 * 36)], 'the hours are still there at one-minute resolution');
    assert.deepEqual(metrics.query({ ...cpu, stat: 'Sum', periodSeconds: 1, start: T0 - 2 * HOUR, end: T0 }).values, [], 'no one-second data after 3 hours');
  });

  it('keeps minute data 15 days, five-minute data 63 days, hour data 455 days, then forgets the series', () => {
    const { metrics, clock, count } = harness(T0);
    metrics.write('App', [{ metricName: 'M', timestamp: T0 - 30_000, value: 7 }]);
    const sumOver = (period: number) => metrics.query({ namespace: 'App', metricName: 'M', stat: 'Sum', periodSeconds: period, start: T0 - DAY, end: T0 + DAY }).values;
    for (const [age, expected] of [
      [15 * DAY - 1, { 60: 1, 300: 1, 3600: 1 }],
      [15 * DAY, { 60: 0, 300: 1, 3600: 1 }],
      [15 * DAY + 60_000, { 60: 0, 300: 1, 3600: 1 }],
      [63 * DAY + 300_000, { 60: 0, 300: 0, 3600: 1 }],
      [455 * DAY + HOUR, { 60: 0, 300: 0, 3600: 0 }],
    ] as const) {
      clock.now = T0 + age;
      metrics.maintain(1000);
      metrics.maintain(1000);
      assert.deepEqual({ 60: count('cw_buckets', 60), 300: count('cw_buckets', 300), 3600: count('cw_buckets', 3600) }, expected, `at ${age / DAY} days`);
    }
    assert.deepEqual(sumOver(3600), []);
    assert.equal(count('cw_series'), 0);
    assert.equal(count('cw_pending'), 0);
  });

  it('keeps p99 of one-minute periods over the last 3 hours of one-second data within the stated error', () => {
    const { metrics, clock } = harness(T0);
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const perMinute: number[][] = [];
    const datums = [];
    for (let s = 0; s < 3 * 3600; s++) {
      // Ten samples a second: request latencies in ms, mostly 5-50, 1% tail up to 2 s.
      const values = Array.from({ length: 10 }, () => (rnd() < 0.01 ? 200 + rnd() * 1800 : 5 + rnd() * 45));
      (perMinute[Math.floor(s / 60)] ??= []).push(...values);
      datums.push({ metricName: 'Latency', timestamp: T0 - 3 * HOUR + s * 1000, values, storageResolution: 1 });
    }
    metrics.write('App', datums);
    clock.now = T0 + 1000;
    while (metrics.rollUp(20_000) > 0);
    const r = metrics.query({ namespace: 'App', metricName: 'Latency', stat: 'p99', periodSeconds: 60, start: T0 - 3 * HOUR, end: T0 });
    assert.equal(r.values.length, 180);
    r.values.forEach((got, i) => {
      const sorted = perMinute[i].sort((a, b) => a - b);
      const want = sorted[Math.ceil(0.99 * sorted.length) - 1];
      assert.ok(Math.abs(got - want) <= RELATIVE_ACCURACY * want, `minute ${i}: p99 ${got}, exact ${want}`);
    });
  });

  it('bounds what hours of one-second data leave on disk: 3 hours of seconds, plus minutes and coarser', () => {
    const { metrics, clock, count } = harness(T0);
    // Five hours of one datum per second for two series, put as it happens, maintained every 30 s.
    for (let s = 0; s < 5 * 3600; s++) {
      clock.now = T0 + s * 1000;
      metrics.put('App', [
        { metricName: 'CPU', dimensions: [{ name: 'Service', value: 'a' }], value: s % 97, storageResolution: 1 },
        { metricName: 'CPU', dimensions: [{ name: 'Service', value: 'b' }], value: s % 89, storageResolution: 1 },
      ]);
      if (s % 30 === 29) metrics.maintain(20_000);
    }
    metrics.maintain(20_000);
    assert.ok(count('cw_buckets', 1) <= 2 * (3 * 3600 + 31), `${count('cw_buckets', 1)} one-second buckets`);
    assert.ok(count('cw_pending') <= 2 * (31 + 1 + 1 + 1), `${count('cw_pending')} pending cells`);
    assert.equal(count('cw_buckets', 60), 2 * 300);
    const total = metrics.query({ namespace: 'App', metricName: 'CPU', dimensions: [{ name: 'Service', value: 'a' }], stat: 'SampleCount', periodSeconds: 3600, start: T0, end: T0 + 5 * HOUR });
    assert.deepEqual(total.values, [3600, 3600, 3600, 3600, 3600], 'nothing lost to roll-ups and deletions');
  });
});

describe('metric store: put queue and sweeper', () => {
  it('queues producers\' datums, aggregates them per bucket and writes them in one batch', () => {
    const { metrics, count } = harness();
    for (let i = 0; i < 100; i++) metrics.put('AWS/ECS', [{ metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'c' }], timestamp: T0 - 5000, value: i, unit: 'Percent' }]);
    assert.equal(count('cw_buckets'), 0, 'nothing written before the flush');
    const r = metrics.query({ namespace: 'AWS/ECS', metricName: 'CPUUtilization', dimensions: [{ name: 'ClusterName', value: 'c' }], stat: 'Average', periodSeconds: 60, start: T0 - 60_000, end: T0 });
    assert.deepEqual(r.values, [49.5]);
    assert.equal(count('cw_buckets', 60), 1);
  });

  it('drops and counts datums beyond its queue bound', () => {
    const store = Store.openFile(':memory:');
    const metrics = createMetricStore(store, { now: () => T0, maxQueuedBuckets: 4, log: () => {} });
    // Half-full triggers a flush, so the bound holds between flushes: 2 distinct buckets then flush.
    metrics.put('App', Array.from({ length: 10 }, (_, i) => ({ metricName: 'M', timestamp: T0 - i * 60_000, value: 1 })));
    assert.equal(metrics.droppedDatums(), 6);
    metrics.put('App', [{ metricName: 'M', value: NaN }]);
    assert.equal(metrics.droppedDatums(), 7, 'a value that is not finite is dropped too');
    metrics.flush();
    assert.equal(store.prepare('SELECT count(*) FROM cw_buckets').pluck().get(), 4);
  });

  it('runs a maintenance pass at start, and flushes on stop', async () => {
    const { metrics, clock, count } = harness();
    metrics.write('App', [{ metricName: 'M', timestamp: T0 - 3 * 60_000, value: 1 }]);
    const sweeper = createMetricSweeper(metrics, { intervalMs: 60_000, log: () => {} });
    const stop = new AbortController();
    const running = sweeper.start(stop.signal);
    clock.now = T0 + 1000;
    metrics.put('App', [{ metricName: 'M', timestamp: T0, value: 2 }]);
    stop.abort();
    await running;
    assert.equal(count('cw_buckets', 300), 1, 'the start pass rolled the finished minute up');
    assert.equal(count('cw_buckets', 60), 2, 'the queued datum was flushed on stop');
    assert.throws(() => createMetricSweeper(metrics, { intervalMs: 0 }), RangeError);
  });
});
