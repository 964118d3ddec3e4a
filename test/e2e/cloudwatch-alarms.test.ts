/**
 * CloudWatch alarms through `berth up`: PutMetricData drives a high-resolution alarm to ALARM and
 * back to OK on the evaluation loop (BERTH_ALARM_EVALUATION_SECONDS=1 so the test need not wait
 * for CloudWatch's 10-second cadence), read through @aws-sdk/client-cloudwatch and the AWS CLI v2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;
const POLICY = 'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:11111111-2222-3333-4444-555555555555:resource/ecs/service/prod/web:policyName/out';

describe('CloudWatch alarms through @aws-sdk/client-cloudwatch and the AWS CLI', () => {
  let berth: TestBerth;
  let cw: CloudWatchClient;
  const dims = [{ Name: 'ServiceName', Value: 'web' }];
  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_ALARM_EVALUATION_SECONDS: '1' } });
    cw = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  });
  after(async () => {
    cw?.destroy();
    await berth?.cleanup();
    // The restarted Berth reuses the first one's data dir, which its cleanup leaves in place.
    if (berth) rmSync(berth.dataDir, { recursive: true, force: true });
  });

  const put = (value: number) => cw.send(new PutMetricDataCommand({ Namespace: 'E2E', MetricData: [{ MetricName: 'Load', Dimensions: dims, Value: value, Unit: 'Percent', StorageResolution: 1 }] }));
  /** Polls the alarm until it is in `state` (generous: the machine may be loaded). */
  async function waitFor(state: string) {
    const deadline = Date.now() + 90_000;
    for (;;) {
      const a = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['load-high'] }))).MetricAlarms?.[0];
      if (a?.StateValue === state) return a;
      if (Date.now() > deadline) throw new Error(`alarm still ${a?.StateValue} (${a?.StateReason}), not ${state}\n${berth.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('goes to ALARM on breaching data and back to OK, with history', async () => {
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'load-high', Namespace: 'E2E', MetricName: 'Load', Dimensions: dims, Statistic: 'Maximum', Period: 10,
        EvaluationPeriods: 1, Threshold: 80, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'ignore', AlarmActions: [POLICY],
      }),
    );
    await put(95);
    const alarmed = await waitFor('ALARM');
    assert.match(alarmed.StateReason!, /^Threshold Crossed: 1 out of the last 1 datapoints \[95\.0 \(\d\d\/\d\d\/\d\d \d\d:\d\d:\d0\)\] was greater than the threshold \(80\.0\) \(minimum 1 datapoint for (INSUFFICIENT_DATA|OK) -> ALARM transition\)\.$/);
    assert.equal(JSON.parse(alarmed.StateReasonData!).period, 10);
    await put(5);
    const ok = await waitFor('OK');
    assert.match(ok.StateReason!, /\[5\.0 .*was not greater than the threshold \(80\.0\)/);

    const history = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'load-high', HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' }));
    const summaries = history.AlarmHistoryItems!.map((h) => h.HistorySummary);
    const toAlarm = summaries.findIndex((s) => /to ALARM$/.test(s!));
    assert.ok(toAlarm >= 0 && summaries.indexOf('Alarm updated from ALARM to OK', toAlarm) > toAlarm, summaries.join('; '));
    // Actions are kept and attempted: the policy ARN names no Application Auto Scaling policy, so the action fails and history says so.
    const actions = await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'load-high', HistoryItemType: 'Action' }));
    assert.match(actions.AlarmHistoryItems?.[0]?.HistorySummary ?? '', /^Failed to execute action arn:aws:autoscaling:/);
  });

  it('reads the alarm and its history with the AWS CLI v2', { skip: skipCli }, async () => {
    const cli = async (...args: string[]) => JSON.parse((await run(AWS_CLI_V2, ['cloudwatch', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 120_000 })).stdout);
    const described = await cli('describe-alarms', '--alarm-names', 'load-high');
    assert.equal(described.MetricAlarms.length, 1);
    const a = described.MetricAlarms[0];
    assert.deepEqual([a.AlarmName, a.Namespace, a.MetricName, a.Period, a.Threshold, a.TreatMissingData, a.AlarmActions[0]], ['load-high', 'E2E', 'Load', 10, 80, 'ignore', POLICY]);
    assert.equal(a.StateValue, 'OK');
    const history = await cli('describe-alarm-history', '--alarm-name', 'load-high', '--history-item-type', 'StateUpdate');
    const summaries = history.AlarmHistoryItems.map((h: any) => h.HistorySummary);
    assert.equal(summaries[0], 'Alarm updated from ALARM to OK');
    const data = JSON.parse(history.AlarmHistoryItems[0].HistoryData);
    assert.deepEqual([data.oldState.stateValue, data.newState.stateValue], ['ALARM', 'OK']);
    const created = await cli('describe-alarm-history', '--alarm-name', 'load-high', '--history-item-type', 'ConfigurationUpdate');
    assert.equal(created.AlarmHistoryItems[0].HistorySummary, 'Alarm "load-high" created');
  });

  it('keeps the alarm, its state and its history across kill -9', async () => {
    const dataDir = berth.dataDir;
    const before = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'load-high' }))).AlarmHistoryItems!.length;
    await berth.kill9();
    berth = await startBerthProcess({ dataDir, env: { BERTH_ALARM_EVALUATION_SECONDS: '1' } });
    cw.destroy();
    cw = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const a = (await cw.send(new DescribeAlarmsCommand({ AlarmNames: ['load-high'] }))).MetricAlarms?.[0];
    assert.equal(a?.StateValue, 'OK');
    assert.equal(a?.Threshold, 80);
    const after = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: 'load-high' }))).AlarmHistoryItems!.length;
    assert.ok(after >= before, `${after} history items after the restart, ${before} before`);
  });
});
