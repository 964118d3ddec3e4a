import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callOperation, testContext } from '../../api/test-support.js';
import { Store } from '../../state/index.js';
import { createCloudWatchService, createMetricStore, RELATIVE_ACCURACY } from './index.js';

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);
const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const ctx = testContext({ accountId: '123456789012', region: 'us-east-1' });

function harness() {
  const store = Store.openFile(':memory:');
  const clock = { now: NOW };
  const metrics = createMetricStore(store, { now: () => clock.now });
  const service = createCloudWatchService({ store, metrics, now: () => clock.now });
  const call = (op: string, input: object) => callOperation(store, service, ctx, op, input);
  return { store, clock, metrics, service, call };
}

/** Asserts that `p` rejects with the awsQuery code `code` and a message matching `message`. */
async function rejects(p: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const web = [{ Name: 'ServiceName', Value: 'web' }, { Name: 'ClusterName', Value: 'prod' }];
const at = (ms: number) => new Date(ms).toISOString();

describe('PutMetricData', () => {
  it('stores Value, Values with Counts and StatisticValues under dimensions, units and resolutions', async () => {
    const { call } = harness();
    await call('PutMetricData', {
      Namespace: 'App',
      MetricData: [
        { MetricName: 'Latency', Dimensions: web, Timestamp: at(NOW - 50_000), Value: 10, Unit: 'Milliseconds' },
        { MetricName: 'Latency', Dimensions: [...web].reverse(), Timestamp: at(NOW - 40_000), Values: [20, 30], Counts: [2, 1], Unit: 'Milliseconds' },
        { MetricName: 'Latency', Dimensions: web, Timestamp: at(NOW - 30_000), StatisticValues: { SampleCount: 4, Sum: 200, Minimum: 5, Maximum: 100 }, Unit: 'Milliseconds', StorageResolution: 1 },
      ],
    });
    const r = await call('GetMetricStatistics', { Namespace: 'App', MetricName: 'Latency', Dimensions: web, StartTime: at(NOW - MIN), EndTime: at(NOW), Period: 60, Statistics: ['SampleCount', 'Sum', 'Average', 'Minimum', 'Maximum'] });
    assert.equal(r.Label, 'Latency');
    assert.deepEqual(r.Datapoints, [{ Timestamp: at(NOW - MIN), SampleCount: 8, Sum: 280, Average: 35, Minimum: 5, Maximum: 100, Unit: 'Milliseconds' }]);
  });

  it('refuses Value with StatisticValues (InvalidParameterCombination) and stores none of the call', async () => {
    const { call } = harness();
    await rejects(
      call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Ok', Value: 1 }, { MetricName: 'M', Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] }),
      'InvalidParameterCombination',
      /^The parameters MetricData\.member\.2\.Value and MetricData\.member\.2\.StatisticValues are mutually exclusive and you have specified both\.$/,
    );
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Value: 1, Counts: [1] }] }), 'InvalidParameterCombination', /Counts can only be used with MetricData\.member\.1\.Values/);
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Values: [1, 2], Counts: [1] }] }), 'InvalidParameterCombination', /Values and MetricData\.member\.1\.Counts must be of the same size/);
    const listed = await call('ListMetrics', {});
    assert.deepEqual(listed.Metrics, []);
  });

  it('refuses timestamps over two weeks old or two hours ahead with AWS\'s message, one line per datum', async () => {
    const { call } = harness();
    await rejects(
      call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Value: 1, Timestamp: at(NOW - 15 * DAY) }, { MetricName: 'M', Value: 1 }, { MetricName: 'M', Value: 1, Timestamp: at(NOW - 15 * DAY) }] }),
      'InvalidParameterValue',
      /^The parameter MetricData\.member\.1\.Timestamp must specify a time within the past two weeks\.\nThe parameter MetricData\.member\.3\.Timestamp must specify a time within the past two weeks\.$/,
    );
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Value: 1, Timestamp: at(NOW + 2 * HOUR + 1000) }] }), 'InvalidParameterValue', /Timestamp must specify a time no more than two hours in the future/);
    await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Value: 1, Timestamp: at(NOW - 14 * DAY + 1000) }, { MetricName: 'M', Value: 1, Timestamp: at(NOW + 2 * HOUR) }] });
  });

  it('refuses bad values, resolutions, dimensions, namespaces and sizes with InvalidParameterValue', async () => {
    const { call } = harness();
    const put = (d: object, ns = 'App') => call('PutMetricData', { Namespace: ns, MetricData: [{ MetricName: 'M', ...d }] });
    await rejects(put({ Value: 1, StorageResolution: 5 }), 'InvalidParameterValue', /The value 5 for parameter MetricData\.member\.1\.StorageResolution is invalid/);
    await rejects(put({ Value: 2 ** 361 }), 'InvalidParameterValue', /for parameter MetricData\.member\.1\.Value is invalid/);
    await rejects(put({ Values: Array(151).fill(1) }), 'InvalidParameterValue', /Values must not have a size greater than 150/);
    await rejects(put({ StatisticValues: { SampleCount: 0, Sum: 0, Minimum: 0, Maximum: 0 } }), 'InvalidParameterValue', /SampleCount is invalid/);
    await rejects(put({ StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 2, Maximum: 1 } }), 'InvalidParameterValue', /Minimum must be less than or equal to/);
    await rejects(put({ Value: 1, Dimensions: [{ Name: 'A', Value: '1' }, { Name: 'A', Value: '2' }] }), 'InvalidParameterValue', /Dimensions\.member\.2\.Name is a duplicate/);
    await rejects(put({ Value: 1, Dimensions: [{ Name: ':x', Value: '1' }] }), 'InvalidParameterValue', /The value :x for parameter MetricData\.member\.1\.Dimensions\.member\.1\.Name is invalid/);
    await rejects(put({ Value: 1, Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `d${i}`, Value: 'v' })) }), 'InvalidParameterValue', /Member must have length less than or equal to 30|30/);
    await rejects(put({ Value: 1 }, 'AWS/ECS'), 'InvalidParameterValue', /The value AWS\/ECS for parameter Namespace is invalid/);
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: Array.from({ length: 1001 }, () => ({ MetricName: 'M', Value: 1 })) }), 'InvalidParameterValue', /must not have a size greater than 1000/);
    await call('PutMetricData', { Namespace: 'App', MetricData: Array.from({ length: 1000 }, (_, i) => ({ MetricName: 'M', Value: i })) });
  });

  it('answers MissingParameter for a missing value, metric name, namespace or data', async () => {
    const { call } = harness();
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M' }] }), 'MissingParameter', /MetricData\.member\.1\.Value, MetricData\.member\.1\.Values or MetricData\.member\.1\.StatisticValues is required/);
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'M', Values: [] }] }), 'MissingParameter', /MetricData\.member\.1\.Value, .* is required/);
    await rejects(call('PutMetricData', { Namespace: 'App', MetricData: [{ Value: 1 }] }), 'MissingParameter', /MetricName.*must not be null/);
    await rejects(call('PutMetricData', { MetricData: [{ MetricName: 'M', Value: 1 }] }), 'MissingParameter', /Namespace.*must not be null/);
    await rejects(call('PutMetricData', { Namespace: 'App' }), 'MissingParameter', /The parameter MetricData is required/);
  });

  it('answers MissingParameter for model violations that are all missing members, InvalidParameterValue otherwise', () => {
    const { service } = harness();
    assert.equal(service.validationError("1 validation error detected: Value null at 'Namespace' failed to satisfy constraint: Member must not be null").code, 'MissingParameter');
    assert.equal(
      service.validationError("2 validation errors detected: Value null at 'Namespace' failed to satisfy constraint: Member must not be null; Value 'x' at 'Period' failed to satisfy constraint: Member must be greater than 0").code,
      'InvalidParameterValue',
    );
  });
});

describe('GetMetricStatistics', () => {
  async function seeded() {
    const h = harness();
    // Ten minutes of high-resolution data: each second s holds s % 60 and, every 30 s, a slow request.
    const data = [];
    for (let s = 0; s < 600; s++) data.push({ MetricName: 'Latency', Dimensions: web, Timestamp: at(NOW - 10 * MIN + s * 1000), Values: s % 30 === 0 ? [s % 60, 5000] : [s % 60], StorageResolution: 1, Unit: 'Milliseconds' });
    for (let i = 0; i < data.length; i += 1000) await h.call('PutMetricData', { Namespace: 'App', MetricData: data.slice(i, i + 1000) });
    return h;
  }

  it('gives percentiles as ExtendedStatistics per period, ascending', async () => {
    const { call } = await seeded();
    const r = await call('GetMetricStatistics', { Namespace: 'App', MetricName: 'Latency', Dimensions: web, StartTime: at(NOW - 10 * MIN), EndTime: at(NOW), Period: 60, ExtendedStatistics: ['p50', 'p99.9'] });
    assert.equal(r.Datapoints.length, 10);
    assert.deepEqual(r.Datapoints.map((d: any) => d.Timestamp), Array.from({ length: 10 }, (_, i) => at(NOW - 10 * MIN + i * MIN)));
    for (const d of r.Datapoints) {
      assert.equal(d.Unit, 'Milliseconds');
      assert.equal(d.SampleCount, undefined);
      // 62 values a minute: 0..59 and two 5000s; the median is 30, p99.9 is 5000.
      assert.ok(Math.abs(d.ExtendedStatistics.p50 - 30) <= 30 * RELATIVE_ACCURACY, `p50 ${d.ExtendedStatistics.p50}`);
      assert.ok(Math.abs(d.ExtendedStatistics['p99.9'] - 5000) <= 5000 * RELATIVE_ACCURACY, `p99.9 ${d.ExtendedStatistics['p99.9']}`);
    }
  });

  it('answers high-resolution periods from one-second data and filters by unit', async () => {
    const { call } = await seeded();
    const r = await call('GetMetricStatistics', { Namespace: 'App', MetricName: 'Latency', Dimensions: web, StartTime: at(NOW - MIN), EndTime: at(NOW), Period: 10, Statistics: ['Maximum', 'SampleCount'] });
    assert.deepEqual(r.Datapoints.map((d: any) => [d.Maximum, d.SampleCount]), [[5000, 11], [19, 10], [29, 10], [5000, 11], [49, 10], [59, 10]]);
    const none = await call('GetMetricStatistics', { Namespace: 'App', MetricName: 'Latency', Dimensions: web, StartTime: at(NOW - MIN), EndTime: at(NOW), Period: 60, Statistics: ['Sum'], Unit: 'Seconds' });
    assert.deepEqual(none.Datapoints, []);
    const noDims = await call('GetMetricStatistics', { Namespace: 'App', MetricName: 'Latency', StartTime: at(NOW - MIN), EndTime: at(NOW), Period: 60, Statistics: ['Sum'] });
    assert.deepEqual(noDims.Datapoints, [], 'dimensions must match exactly');
  });

  it('refuses more than 1,440 datapoints, bad periods, bad statistics and empty ranges', async () => {
    const { call } = harness();
    const base = { Namespace: 'App', MetricName: 'M', StartTime: at(NOW - DAY - MIN), EndTime: at(NOW), Period: 60, Statistics: ['Sum'] };
    await rejects(call('GetMetricStatistics', base), 'InvalidParameterCombination', /^You have requested up to 1,441 datapoints, which exceeds the limit of 1,440\. You may reduce the datapoints requested by increasing Period, or decreasing the time range\.$/);
    await call('GetMetricStatistics', { ...base, StartTime: at(NOW - DAY) });
    await rejects(call('GetMetricStatistics', { ...base, Period: 45 }), 'InvalidParameterValue', /Period must be a multiple of 60/);
    await rejects(call('GetMetricStatistics', { ...base, Period: 0 }), 'InvalidParameterValue', /Period/);
    await rejects(call('GetMetricStatistics', { ...base, Statistics: undefined }), 'MissingParameter', /Must specify either Statistics or ExtendedStatistics/);
    await rejects(call('GetMetricStatistics', { ...base, ExtendedStatistics: ['p90'] }), 'InvalidParameterCombination', /mutually exclusive/);
    await rejects(call('GetMetricStatistics', { ...base, Statistics: undefined, ExtendedStatistics: ['p101'] }), 'InvalidParameterValue', /The value p101 for parameter ExtendedStatistics\.member\.1 is invalid/);
    await rejects(call('GetMetricStatistics', { ...base, Statistics: ['Median'] }), 'InvalidParameterValue', /Median/);
    await rejects(call('GetMetricStatistics', { ...base, StartTime: at(NOW), EndTime: at(NOW) }), 'InvalidParameterValue', /^The parameter StartTime must be less than the parameter EndTime\.$/);
  });
});

describe('GetMetricData', () => {
  async function seeded() {
    const h = harness();
    // Two services' request counts per minute over 5 minutes; b has no data in minute 2.
    const data = [];
    for (let m = 0; m < 5; m++) {
      data.push({ MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: 'a' }], Timestamp: at(NOW - 5 * MIN + m * MIN), Value: 10 * (m + 1) });
      if (m !== 2) data.push({ MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: 'b' }], Timestamp: at(NOW - 5 * MIN + m * MIN), Value: m + 1 });
    }
    await h.call('PutMetricData', { Namespace: 'App', MetricData: data });
    return h;
  }
  const stat = (service: string, Stat = 'Sum') => ({ Metric: { Namespace: 'App', MetricName: 'Requests', Dimensions: [{ Name: 'Service', Value: service }] }, Period: 60, Stat });
  const range = { StartTime: at(NOW - 5 * MIN), EndTime: at(NOW) };
  const ts = (...minutesAgo: number[]) => minutesAgo.map((m) => at(NOW - m * MIN));

  it('returns MetricStat results newest first by default, with labels, and hides ReturnData false', async () => {
    const { call } = await seeded();
    const r = await call('GetMetricData', { ...range, MetricDataQueries: [{ Id: 'a', MetricStat: stat('a') }, { Id: 'b', MetricStat: stat('b'), Label: 'service b' }, { Id: 'hidden', MetricStat: stat('a'), ReturnData: false }] });
    assert.deepEqual(r.MetricDataResults, [
      { Id: 'a', Label: 'Requests', Timestamps: ts(1, 2, 3, 4, 5), Values: [50, 40, 30, 20, 10], StatusCode: 'Complete', Messages: [] },
      { Id: 'b', Label: 'service b', Timestamps: ts(1, 2, 4, 5), Values: [5, 4, 2, 1], StatusCode: 'Complete', Messages: [] },
    ]);
    assert.equal(r.NextToken, undefined);
    const asc = await call('GetMetricData', { ...range, ScanBy: 'TimestampAscending', MetricDataQueries: [{ Id: 'b', MetricStat: stat('b', 'p50') }] });
    assert.deepEqual(asc.MetricDataResults[0].Timestamps, ts(5, 4, 2, 1));
    assert.deepEqual(asc.MetricDataResults[0].Values.map(Math.round), [1, 2, 4, 5]);
  });

  it('evaluates metric math over other queries: arithmetic, SUM of an array, FILL, scalars', async () => {
    const { call } = await seeded();
    const q = (Expression: string, extra: object = {}) => ({ Id: 'e', Expression, ...extra });
    const run = async (Expression: string) =>
      (await call('GetMetricData', { ...range, ScanBy: 'TimestampAscending', MetricDataQueries: [{ Id: 'a', MetricStat: stat('a'), ReturnData: false }, { Id: 'b', MetricStat: stat('b'), ReturnData: false }, q(Expression)] })).MetricDataResults[0];
    assert.deepEqual((await run('a + b')).Values, [11, 22, 44, 55]);
    assert.deepEqual((await run('100 * b / a')).Values, [10, 10, 10, 10]);
    assert.deepEqual((await run('SUM([a, b])')).Values, [11, 22, 30, 44, 55]);
    assert.deepEqual((await run('a + FILL(b, 0)')).Values, [11, 22, 30, 44, 55]);
    const avg = await run('AVG(a)');
    assert.deepEqual(avg.Timestamps, ts(5, 4, 3, 2, 1), 'a scalar is drawn at every period of the range');
    assert.deepEqual(avg.Values, [30, 30, 30, 30, 30]);
    assert.equal(avg.Label, 'e');
  });

  it('lets expressions use other expressions, and refuses unknown ids, cycles, syntax errors and arrays', async () => {
    const { call } = await seeded();
    const run = (queries: object[]) => call('GetMetricData', { ...range, MetricDataQueries: [{ Id: 'a', MetricStat: stat('a'), ReturnData: false }, ...queries] });
    const chained = await run([{ Id: 'e1', Expression: 'a * 2', ReturnData: false }, { Id: 'e2', Expression: 'e1 + 1' }]);
    assert.deepEqual(chained.MetricDataResults[0].Values, [101, 81, 61, 41, 21]);
    await rejects(run([{ Id: 'e', Expression: 'a + zz' }]), 'InvalidParameterValue', /Expression is invalid: no query has the Id zz/);
    await rejects(run([{ Id: 'e1', Expression: 'e2 + 1' }, { Id: 'e2', Expression: 'e1 * 2' }]), 'InvalidParameterValue', /cycle/);
    await rejects(run([{ Id: 'e', Expression: 'a +* 2' }]), 'InvalidParameterValue', /The value a \+\* 2 for parameter MetricDataQueries\.member\.2\.Expression is invalid/);
    await rejects(run([{ Id: 'e', Expression: '[a, a * 2]' }]), 'InvalidParameterValue', /returns 2 time series/);
  });

  it('pages by MaxDatapoints across results with NextToken and PartialData', async () => {
    const { call } = await seeded();
    const input = { ...range, MaxDatapoints: 3, MetricDataQueries: [{ Id: 'a', MetricStat: stat('a') }, { Id: 'b', MetricStat: stat('b') }] };
    const pages = [];
    let token: string | undefined;
    do {
      const r = await call('GetMetricData', { ...input, NextToken: token });
      pages.push(r.MetricDataResults.map((x: any) => [x.Id, x.Values, x.StatusCode]));
      token = r.NextToken;
    } while (token && pages.length < 10);
    assert.deepEqual(pages, [
      [['a', [50, 40, 30], 'PartialData'], ['b', [], 'PartialData']],
      [['a', [20, 10], 'Complete'], ['b', [5], 'PartialData']],
      [['a', [], 'Complete'], ['b', [4, 2, 1], 'Complete']],
    ]);
    await rejects(call('GetMetricData', { ...input, NextToken: 'garbage' }), 'InvalidNextToken', /NextToken is invalid/);
  });

  it('refuses bad ids, a query with both or neither of MetricStat and Expression, bad stats and periods', async () => {
    const { call } = harness();
    const run = (queries: object[]) => call('GetMetricData', { ...range, MetricDataQueries: queries });
    await rejects(run([{ Id: 'A1', MetricStat: stat('a') }]), 'InvalidParameterValue', /The value A1 for parameter MetricDataQueries\.member\.1\.Id is invalid/);
    await rejects(run([{ Id: 'a', MetricStat: stat('a') }, { Id: 'a', MetricStat: stat('b') }]), 'InvalidParameterValue', /member\.2\.Id is a duplicate/);
    await rejects(run([{ Id: 'a', MetricStat: stat('a'), Expression: '1' }]), 'InvalidParameterCombination', /MetricStat and MetricDataQueries\.member\.1\.Expression are mutually exclusive/);
    await rejects(run([{ Id: 'a' }]), 'MissingParameter', /MetricStat or MetricDataQueries\.member\.1\.Expression is required/);
    await rejects(run([{ Id: 'a', MetricStat: stat('a', 'Median') }]), 'InvalidParameterValue', /The value Median for parameter MetricDataQueries\.member\.1\.MetricStat\.Stat is invalid/);
    await rejects(run([{ Id: 'a', MetricStat: { ...stat('a'), Period: 90 } }]), 'InvalidParameterValue', /MetricStat\.Period must be a multiple of 60/);
    await rejects(run([]), 'MissingParameter', /MetricDataQueries is required/);
    await rejects(call('GetMetricData', { StartTime: range.EndTime, EndTime: range.StartTime, MetricDataQueries: [{ Id: 'a', MetricStat: stat('a') }] }), 'InvalidParameterValue', /StartTime must be less than/);
  });
});

describe('ListMetrics', () => {
  it('lists each metric once whatever its units, filtered by namespace, name and dimensions', async () => {
    const { call } = harness();
    await call('PutMetricData', {
      Namespace: 'App',
      MetricData: [
        { MetricName: 'Requests', Dimensions: web, Value: 1, Unit: 'Count' },
        { MetricName: 'Requests', Dimensions: web, Value: 1, Unit: 'None' },
        { MetricName: 'Requests', Dimensions: [{ Name: 'ServiceName', Value: 'api' }], Value: 1 },
        { MetricName: 'Errors', Value: 1 },
      ],
    });
    await call('PutMetricData', { Namespace: 'Other', MetricData: [{ MetricName: 'Requests', Value: 1 }] });
    const names = (r: any) => r.Metrics.map((m: any) => `${m.Namespace}/${m.MetricName}/${m.Dimensions.map((d: any) => `${d.Name}=${d.Value}`).join(',')}`);
    assert.deepEqual(names(await call('ListMetrics', {})), ['App/Errors/', 'App/Requests/ClusterName=prod,ServiceName=web', 'App/Requests/ServiceName=api', 'Other/Requests/']);
    assert.deepEqual(names(await call('ListMetrics', { Namespace: 'App', MetricName: 'Requests' })), ['App/Requests/ClusterName=prod,ServiceName=web', 'App/Requests/ServiceName=api']);
    assert.deepEqual(names(await call('ListMetrics', { Dimensions: [{ Name: 'ClusterName' }] })), ['App/Requests/ClusterName=prod,ServiceName=web']);
    assert.deepEqual(names(await call('ListMetrics', { Dimensions: [{ Name: 'ServiceName', Value: 'api' }] })), ['App/Requests/ServiceName=api']);
  });

  it('keeps to metrics put in the last two weeks, or three hours with RecentlyActive PT3H', async () => {
    const { call, clock } = harness();
    await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Old', Value: 1 }] });
    clock.now = NOW + 4 * HOUR;
    await call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'New', Value: 1 }] });
    assert.deepEqual((await call('ListMetrics', {})).Metrics.map((m: any) => m.MetricName), ['New', 'Old']);
    assert.deepEqual((await call('ListMetrics', { RecentlyActive: 'PT3H' })).Metrics.map((m: any) => m.MetricName), ['New']);
    clock.now = NOW + 14 * DAY + HOUR;
    assert.deepEqual((await call('ListMetrics', {})).Metrics.map((m: any) => m.MetricName), ['New']);
  });

  it('pages 500 metrics at a time', async () => {
    const { call } = harness();
    for (let i = 0; i < 1001; i += 1000) {
      await call('PutMetricData', { Namespace: 'App', MetricData: Array.from({ length: Math.min(1000, 1001 - i) }, (_, j) => ({ MetricName: 'M', Dimensions: [{ Name: 'N', Value: String(i + j).padStart(5, '0') }], Value: 1 })) });
    }
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await call('ListMetrics', { Namespace: 'App', NextToken: token });
      seen.push(...r.Metrics.map((m: any) => m.Dimensions[0].Value));
      token = r.NextToken;
      pages++;
    } while (token && pages < 10);
    assert.equal(pages, 3);
    assert.equal(seen.length, 1001);
    assert.equal(new Set(seen).size, 1001);
    await rejects(call('ListMetrics', { NextToken: 'x' }), 'InvalidNextToken', /invalid/);
  });
});

describe('operations not built yet', () => {
  it('answer UnsupportedOperation until built (dashboards)', async () => {
    const { call, service } = harness();
    assert.equal(service.unsupportedCode, 'UnsupportedOperation');
    await assert.rejects(call('PutDashboard', { DashboardName: 'd', DashboardBody: '{}' }), (e: any) => e.code === 'UnsupportedOperation');
  });
});
