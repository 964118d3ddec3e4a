/**
 * The alarm operations through callOperation (as api/ calls them, model validation included) and
 * the evaluation loop's passes over the metric store with a pinned clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { callOperation, testContext } from '../../api/test-support.js';
import { Store } from '../../state/index.js';
import type { StateValue } from './alarm-evaluate.js';
import { createAlarmEngine, createCloudWatchService, createMetricStore, type AlarmActionHook } from './index.js';

const MIN = 60_000;
const T0 = Date.UTC(2026, 10, 30, 2, 0, 0);
const ctx = testContext({ accountId: '123456789012', region: 'us-east-1' });
const POLICY = 'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:11111111-2222-3333-4444-555555555555:resource/ecs/service/prod/web:policyName/out';

function harness(hook?: AlarmActionHook) {
  const store = Store.openFile(':memory:');
  const clock = { now: T0 + 5_000 };
  const now = () => clock.now;
  const metrics = createMetricStore(store, { now });
  const service = createCloudWatchService({ store, metrics, now, onAlarmAction: hook });
  const engine = createAlarmEngine(store, metrics, { now, onAlarmAction: hook, log: () => {} });
  const call = (op: string, input: object) => callOperation(store, service, ctx, op, input);
  /** Puts `value` for the minute starting at `minute` (ms). */
  const put = (minute: number, value: number, name = 'CPUUtilization') => call('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: name, Dimensions: dims, Timestamp: new Date(minute + 1000).toISOString(), Value: value }] });
  const state = async (name = 'cpu-high'): Promise<any> => (await call('DescribeAlarms', { AlarmNames: [name] })).MetricAlarms[0];
  return { store, clock, call, put, engine, state };
}

async function rejects(p: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(p, (e: any) => {
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}

const dims = [{ Name: 'ServiceName', Value: 'web' }];
const cpuAlarm = { AlarmName: 'cpu-high', Namespace: 'App', MetricName: 'CPUUtilization', Dimensions: dims, Statistic: 'Average', Period: 60, EvaluationPeriods: 3, Threshold: 80, ComparisonOperator: 'GreaterThanThreshold' };

describe('PutMetricAlarm and DescribeAlarms', () => {
  it('creates an alarm in INSUFFICIENT_DATA, keeps its configuration and records the creation', async () => {
    const { call, state } = harness();
    await call('PutMetricAlarm', { ...cpuAlarm, AlarmDescription: 'CPU over 80%', AlarmActions: [POLICY], Tags: [{ Key: 'team', Value: 'web' }] });
    const a = await state();
    assert.equal(a.AlarmArn, 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high');
    assert.equal(a.StateValue, 'INSUFFICIENT_DATA');
    assert.equal(a.StateReason, 'Unchecked: Initial alarm creation');
    assert.deepEqual([a.Namespace, a.MetricName, a.Statistic, a.Period, a.EvaluationPeriods, a.Threshold, a.ComparisonOperator, a.ActionsEnabled], ['App', 'CPUUtilization', 'Average', 60, 3, 80, 'GreaterThanThreshold', true]);
    assert.deepEqual(a.AlarmActions, [POLICY]);
    assert.deepEqual(a.Dimensions, dims);
    const h = await call('DescribeAlarmHistory', { AlarmName: 'cpu-high' });
    assert.equal(h.AlarmHistoryItems.length, 1);
    assert.equal(h.AlarmHistoryItems[0].HistoryItemType, 'ConfigurationUpdate');
    assert.equal(h.AlarmHistoryItems[0].HistorySummary, 'Alarm "cpu-high" created');
    const data = JSON.parse(h.AlarmHistoryItems[0].HistoryData);
    assert.equal(data.type, 'Create');
    assert.equal(data.createdAlarm.alarmName, 'cpu-high');
    assert.equal(data.createdAlarm.threshold, 80);
    assert.deepEqual((await call('ListTagsForResource', { ResourceARN: a.AlarmArn })).Tags, [{ Key: 'team', Value: 'web' }]);
  });

  it('refuses bad configurations with CloudWatch\'s codes and stores nothing', async () => {
    const { call } = harness();
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, Threshold: undefined }), 'MissingParameter', /Threshold is required/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, ExtendedStatistic: 'p99' }), 'InvalidParameterCombination', /Statistic and ExtendedStatistic are mutually exclusive/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, Statistic: undefined }), 'MissingParameter', /Statistic or ExtendedStatistic is required/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, DatapointsToAlarm: 4 }), 'InvalidParameterValue', /DatapointsToAlarm must be between 1 and EvaluationPeriods \(3\); got 4/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, Period: 20 }), 'InvalidParameterValue', /period must be 10, 30 or a multiple of 60/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, Period: 3600, EvaluationPeriods: 25 }), 'InvalidParameterValue', /must not exceed 86400 seconds/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, TreatMissingData: 'sometimes' }), 'InvalidParameterValue', /TreatMissingData is invalid/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, AlarmActions: ['not-an-arn'] }), 'InvalidParameterValue', /^Invalid arn syntax: not-an-arn$/);
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold' }), 'UnsupportedOperation', /anomaly detection/);
    await rejects(
      call('PutMetricAlarm', { ...cpuAlarm, Namespace: undefined, MetricName: undefined, Statistic: undefined, Period: undefined, Dimensions: undefined, Metrics: [{ Id: 'm', MetricStat: { Metric: { Namespace: 'App', MetricName: 'A' }, Period: 60, Stat: 'Sum' } }, { Id: 'e', Expression: 'm * 2' }] }),
      'InvalidParameterValue',
      /^Exactly one element of the metrics list should return data\.$/,
    );
    await rejects(call('PutMetricAlarm', { ...cpuAlarm, Metrics: [{ Id: 'm', Expression: 'SUM(METRICS())', Period: 60 }] }), 'InvalidParameterCombination', /Metrics and MetricName are mutually exclusive/);
    assert.deepEqual((await call('DescribeAlarms', {})).MetricAlarms, []);
  });

  it('filters by names, prefix, state and action prefix, and pages', async () => {
    const { call } = harness();
    for (const name of ['a-1', 'a-2', 'b-1']) await call('PutMetricAlarm', { ...cpuAlarm, AlarmName: name, ...(name === 'a-2' ? { OKActions: [POLICY] } : {}) });
    await call('SetAlarmState', { AlarmName: 'b-1', StateValue: 'ALARM', StateReason: 'testing' });
    const names = async (input: object) => (await call('DescribeAlarms', input)).MetricAlarms.map((a: any) => a.AlarmName);
    assert.deepEqual(await names({}), ['a-1', 'a-2', 'b-1']);
    assert.deepEqual(await names({ AlarmNamePrefix: 'a-' }), ['a-1', 'a-2']);
    assert.deepEqual(await names({ AlarmNames: ['b-1', 'zz'] }), ['b-1']);
    assert.deepEqual(await names({ StateValue: 'ALARM' }), ['b-1']);
    assert.deepEqual(await names({ ActionPrefix: 'arn:aws:autoscaling:' }), ['a-2']);
    assert.deepEqual(await names({ AlarmTypes: ['CompositeAlarm'] }), []);
    const p1 = await call('DescribeAlarms', { MaxRecords: 2 });
    assert.deepEqual(p1.MetricAlarms.map((a: any) => a.AlarmName), ['a-1', 'a-2']);
    const p2 = await call('DescribeAlarms', { MaxRecords: 2, NextToken: p1.NextToken });
    assert.deepEqual(p2.MetricAlarms.map((a: any) => a.AlarmName), ['b-1']);
    assert.equal(p2.NextToken, undefined);
    await rejects(call('DescribeAlarms', { AlarmNames: ['a-1'], AlarmNamePrefix: 'a' }), 'InvalidParameterCombination', /mutually exclusive/);
    await rejects(call('DescribeAlarms', { NextToken: 'junk' }), 'InvalidNextToken', /NextToken is invalid/);
  });

  it('DescribeAlarmsForMetric matches the metric, dimensions and statistic', async () => {
    const { call } = harness();
    await call('PutMetricAlarm', cpuAlarm);
    await call('PutMetricAlarm', { ...cpuAlarm, AlarmName: 'other-dims', Dimensions: [{ Name: 'ServiceName', Value: 'api' }] });
    await call('PutMetricAlarm', { ...cpuAlarm, AlarmName: 'p99', Statistic: undefined, ExtendedStatistic: 'p99' });
    const names = async (input: object) => (await call('DescribeAlarmsForMetric', { Namespace: 'App', MetricName: 'CPUUtilization', ...input })).MetricAlarms.map((a: any) => a.AlarmName);
    assert.deepEqual(await names({}), ['cpu-high', 'other-dims', 'p99']);
    assert.deepEqual(await names({ Dimensions: dims }), ['cpu-high', 'p99']);
    assert.deepEqual(await names({ Dimensions: dims, ExtendedStatistic: 'p99' }), ['p99']);
    assert.deepEqual(await names({ Period: 300 }), []);
  });

  it('an update replaces the configuration, keeps the state and records the original', async () => {
    const { call, state } = harness();
    await call('PutMetricAlarm', cpuAlarm);
    await call('SetAlarmState', { AlarmName: 'cpu-high', StateValue: 'OK', StateReason: 'by hand' });
    await call('PutMetricAlarm', { ...cpuAlarm, Threshold: 90 });
    const a = await state();
    assert.equal(a.Threshold, 90);
    assert.equal(a.StateValue, 'OK');
    const h = await call('DescribeAlarmHistory', { AlarmName: 'cpu-high', HistoryItemType: 'ConfigurationUpdate' });
    const update = JSON.parse(h.AlarmHistoryItems[0].HistoryData);
    assert.equal(update.type, 'Update');
    assert.deepEqual([update.originalAlarm.threshold, update.updatedAlarm.threshold], [80, 90]);
  });
});

describe('alarm evaluation loop', () => {
  it('drives an alarm to ALARM and back to OK from the metric store, with history and actions', async () => {
    const calls: [string, StateValue, readonly string[]][] = [];
    const { call, put, engine, clock, state } = harness((alarm, s, arns) => {
      calls.push([alarm.name, s, arns]);
      return arns.map((arn) => ({ arn, ok: true }));
    });
    await call('PutMetricAlarm', { ...cpuAlarm, AlarmActions: [POLICY], OKActions: [POLICY] });
    for (let i = 0; i < 5; i++) await put(T0 - (5 - i) * MIN, 50);
    assert.equal(engine.pass(), 1);
    assert.equal((await state()).StateValue, 'OK');
    // Three breaching minutes: 02:00, 02:01, 02:02.
    for (let i = 0; i < 3; i++) await put(T0 + i * MIN, 85 + i);
    clock.now = T0 + 3 * MIN + 2_000;
    assert.equal(engine.pass(), 1);
    const a = await state();
    assert.equal(a.StateValue, 'ALARM');
    assert.equal(
      a.StateReason,
      'Threshold Crossed: 3 out of the last 3 datapoints [87.0 (30/11/26 02:02:00), 86.0 (30/11/26 02:01:00), 85.0 (30/11/26 02:00:00)] were greater than the threshold (80.0) (minimum 3 datapoints for OK -> ALARM transition).',
    );
    assert.equal(JSON.parse(a.StateReasonData).evaluatedDatapoints[0].sampleCount, 1);
    // Not due again before the next minute: the state holds.
    assert.equal(engine.pass(), 0);
    await put(T0 + 3 * MIN, 10);
    clock.now = T0 + 4 * MIN + 1_000;
    assert.equal(engine.pass(), 1);
    assert.equal((await state()).StateValue, 'OK');
    assert.deepEqual(calls, [['cpu-high', 'OK', [POLICY]], ['cpu-high', 'ALARM', [POLICY]], ['cpu-high', 'OK', [POLICY]]]);

    const history = await call('DescribeAlarmHistory', { AlarmName: 'cpu-high', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' });
    assert.deepEqual(history.AlarmHistoryItems.map((h: any) => h.HistorySummary), ['Alarm updated from INSUFFICIENT_DATA to OK', 'Alarm updated from OK to ALARM', 'Alarm updated from ALARM to OK']);
    const data = JSON.parse(history.AlarmHistoryItems[1].HistoryData);
    assert.deepEqual([data.oldState.stateValue, data.newState.stateValue], ['OK', 'ALARM']);
    assert.equal(data.newState.stateReasonData.threshold, 80);
    assert.match(history.AlarmHistoryItems[1].HistoryData, /"stateReasonData":\{"version":"1\.0",.*"threshold":80\.0,/);
    const actions = await call('DescribeAlarmHistory', { AlarmName: 'cpu-high', HistoryItemType: 'Action' });
    assert.equal(actions.AlarmHistoryItems.length, 3);
    assert.equal(actions.AlarmHistoryItems[0].HistorySummary, `Successfully executed action ${POLICY}`);
  });

  it('runs no actions while they are disabled, and records unexecuted ones without a hook', async () => {
    const calls: string[] = [];
    const h = harness((a) => void calls.push(a.name));
    await h.call('PutMetricAlarm', { ...cpuAlarm, AlarmActions: [POLICY], TreatMissingData: 'breaching' });
    await h.call('DisableAlarmActions', { AlarmNames: ['cpu-high', 'unknown'] });
    assert.equal((await h.state()).ActionsEnabled, false);
    h.engine.pass();
    assert.equal((await h.state()).StateValue, 'ALARM');
    assert.deepEqual(calls, []);
    await h.call('EnableAlarmActions', { AlarmNames: ['cpu-high'] });
    assert.equal((await h.state()).ActionsEnabled, true);

    const plain = harness();
    await plain.call('PutMetricAlarm', { ...cpuAlarm, AlarmActions: [POLICY], TreatMissingData: 'breaching' });
    plain.engine.pass();
    const items = (await plain.call('DescribeAlarmHistory', { HistoryItemType: 'Action' })).AlarmHistoryItems;
    assert.equal(items.length, 1);
    assert.match(items[0].HistorySummary, /^Failed to execute action arn:aws:autoscaling:.*Berth does not execute alarm actions of this type yet/);
  });

  it('evaluates metric-math alarms over the expression', async () => {
    const { call, put, engine, clock, state } = harness();
    await call('PutMetricAlarm', {
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
      await put(T0 + i * MIN, 3, 'Errors');
      await put(T0 + i * MIN, 20, 'Requests');
    }
    clock.now = T0 + 2 * MIN + 1_000;
    engine.pass();
    const a = await state('errors');
    assert.equal(a.StateValue, 'ALARM');
    assert.match(a.StateReason, /^Threshold Crossed: 2 out of the last 2 datapoints \[15\.0 \(30\/11\/26 02:01:00\), 15\.0 \(30\/11\/26 02:00:00\)\] were greater than or equal to the threshold \(10\.0\)/);
  });

  it('SetAlarmState holds until the next evaluation', async () => {
    const { call, put, engine, clock, state } = harness();
    await call('PutMetricAlarm', { ...cpuAlarm, EvaluationPeriods: 1 });
    await put(T0 - MIN, 10);
    engine.pass();
    assert.equal((await state()).StateValue, 'OK');
    await call('SetAlarmState', { AlarmName: 'cpu-high', StateValue: 'ALARM', StateReason: 'testing the pager', StateReasonData: '{"by":"hand"}' });
    let a = await state();
    assert.deepEqual([a.StateValue, a.StateReason, a.StateReasonData], ['ALARM', 'testing the pager', '{"by":"hand"}']);
    engine.pass(); // not due yet
    assert.equal((await state()).StateValue, 'ALARM');
    clock.now += MIN;
    engine.pass();
    a = await state();
    assert.equal(a.StateValue, 'OK');
    await rejects(call('SetAlarmState', { AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' }), 'ResourceNotFound', /nope/);
    await rejects(call('SetAlarmState', { AlarmName: 'cpu-high', StateValue: 'OK', StateReason: 'x', StateReasonData: '{bad' }), 'InvalidFormat', /not valid JSON/);
  });
});

describe('DescribeAlarmHistory, DeleteAlarms and tags', () => {
  it('pages history, filters by time and deletes only when every name exists', async () => {
    const { call, clock } = harness();
    for (let i = 0; i < 3; i++) {
      clock.now = T0 + i * MIN;
      await call('PutMetricAlarm', { ...cpuAlarm, AlarmName: `a${i}` });
    }
    const p1 = await call('DescribeAlarmHistory', { MaxRecords: 2 });
    assert.deepEqual(p1.AlarmHistoryItems.map((h: any) => h.AlarmName), ['a2', 'a1']);
    const p2 = await call('DescribeAlarmHistory', { MaxRecords: 2, NextToken: p1.NextToken });
    assert.deepEqual(p2.AlarmHistoryItems.map((h: any) => h.AlarmName), ['a0']);
    const ranged = await call('DescribeAlarmHistory', { StartDate: new Date(T0 + MIN).toISOString(), EndDate: new Date(T0 + MIN).toISOString() });
    assert.deepEqual(ranged.AlarmHistoryItems.map((h: any) => h.AlarmName), ['a1']);

    await rejects(call('DeleteAlarms', { AlarmNames: ['a0', 'missing'] }), 'ResourceNotFound', /1 of the alarms specified was not found: missing/);
    assert.equal((await call('DescribeAlarms', {})).MetricAlarms.length, 3);
    await call('DeleteAlarms', { AlarmNames: ['a0', 'a1'] });
    assert.deepEqual((await call('DescribeAlarms', {})).MetricAlarms.map((a: any) => a.AlarmName), ['a2']);
    const deleted = await call('DescribeAlarmHistory', { AlarmName: 'a0', ScanBy: 'TimestampDescending' });
    assert.equal(deleted.AlarmHistoryItems[0].HistorySummary, 'Alarm "a0" deleted');
  });

  it('tags and untags alarms by ARN', async () => {
    const { call } = harness();
    await call('PutMetricAlarm', cpuAlarm);
    const arn = 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:cpu-high';
    await call('TagResource', { ResourceARN: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
    await call('UntagResource', { ResourceARN: arn, TagKeys: ['a'] });
    assert.deepEqual((await call('ListTagsForResource', { ResourceARN: arn })).Tags, [{ Key: 'b', Value: '2' }]);
    await rejects(call('TagResource', { ResourceARN: arn + 'x', Tags: [{ Key: 'a', Value: '1' }] }), 'ResourceNotFoundException', /was not found/);
  });
});
