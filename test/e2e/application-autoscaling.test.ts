/**
 * Application Auto Scaling through `berth up` (control plane only, BERTH_AGENT=off; alarms
 * evaluated every 5 s, BERTH_ALARM_EVALUATION_SECONDS): a target
 * tracking policy put with @aws-sdk/client-application-auto-scaling creates its CloudWatch
 * alarms; SetAlarmState ALARM on the high alarm (with the datapoints CloudWatch would record)
 * runs the policy through CloudWatch's alarm-action hook, the service's desiredCount goes up and
 * the activity is described; the AWS CLI v2 puts a step policy, reads the same and deletes the
 * target tracking policy with its alarms. And the whole loop without SetAlarmState: datapoints
 * put above a customized metric's target drive the policy's high alarm to ALARM on the evaluation
 * loop, which runs the policy.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  ApplicationAutoScalingClient,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, PutMetricDataCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;
const KEY = { ServiceNamespace: 'ecs' as const, ResourceId: 'service/scale/web', ScalableDimension: 'ecs:service:DesiredCount' as const };

describe('Application Auto Scaling through the SDK and the AWS CLI v2', () => {
  let berth: TestBerth;
  let aas: ApplicationAutoScalingClient;
  let cw: CloudWatchClient;
  let ecs: ECSClient;
  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off', BERTH_ALARM_EVALUATION_SECONDS: '5' } });
    const client = { endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 };
    aas = new ApplicationAutoScalingClient(client);
    cw = new CloudWatchClient(client);
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: 'scale' }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'web', containerDefinitions: [{ name: 'web', image: 'web:1', memory: 64, essential: true }] }));
    await ecs.send(new CreateServiceCommand({ cluster: 'scale', serviceName: 'web', taskDefinition: 'web', desiredCount: 1 }));
  });
  after(async () => {
    aas?.destroy();
    cw?.destroy();
    ecs?.destroy();
    await berth?.cleanup();
  });

  const desired = async (service = 'web') => (await ecs.send(new DescribeServicesCommand({ cluster: 'scale', services: [service] }))).services![0].desiredCount;
  /** Polls until `service` has `count` desired tasks (generous: the machine may be loaded). */
  async function waitForDesired(service: string, count: number) {
    const deadline = Date.now() + 90_000;
    while ((await desired(service)) !== count) {
      if (Date.now() > deadline) throw new Error(`${service} desiredCount still ${await desired(service)}, not ${count}\n${berth.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const cli = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI_V2, ['application-autoscaling', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 120_000 });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };

  it('a target tracking high alarm in ALARM scales the service out and describes the activity', async () => {
    await aas.send(new RegisterScalableTargetCommand({ ...KEY, MinCapacity: 1, MaxCapacity: 6 }));
    const put = await aas.send(
      new PutScalingPolicyCommand({
        ...KEY,
        PolicyName: 'cpu50',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
      }),
    );
    const [high, low] = put.Alarms!;
    assert.match(high.AlarmName!, /^TargetTracking-service\/scale\/web-AlarmHigh-/);
    assert.match(low.AlarmName!, /^TargetTracking-service\/scale\/web-AlarmLow-/);
    const alarms = (await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/scale/web-' }))).MetricAlarms!;
    assert.deepEqual(alarms.map((a) => [a.MetricName, a.Threshold, a.AlarmActions]).sort(), [['CPUUtilization', 45, [put.PolicyARN]], ['CPUUtilization', 50, [put.PolicyARN]]]);

    // The datapoints CloudWatch records in StateReasonData: the policy computes ceil(1 × 90 / 50) = 2.
    const StateReasonData = JSON.stringify({ version: '1.0', statistic: 'Average', period: 60, recentDatapoints: [80, 85, 90], threshold: 50 });
    await cw.send(new SetAlarmStateCommand({ AlarmName: high.AlarmName!, StateValue: 'ALARM', StateReason: 'e2e: CPU above target', StateReasonData }));
    await waitForDesired('web', 2);
    const [activity] = (await aas.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: KEY.ResourceId }))).ScalingActivities!;
    assert.equal(activity.Description, 'Setting desired count to 2.');
    assert.equal(activity.Cause, `monitor alarm ${high.AlarmName} in state ALARM triggered policy cpu50`);
    assert.equal(activity.StatusCode, 'Successful');
    const history = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: high.AlarmName, HistoryItemType: 'Action' }))).AlarmHistoryItems!;
    assert.equal(history[0].HistorySummary, `Successfully executed action ${put.PolicyARN}`);
  });

  it('the AWS CLI v2 puts a step policy, reads policies and activities, and deletes a policy with its alarms', { skip: skipCli }, async () => {
    const steps = JSON.stringify({ AdjustmentType: 'ChangeInCapacity', Cooldown: 60, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }] });
    const put = await cli('put-scaling-policy', '--service-namespace', 'ecs', '--resource-id', KEY.ResourceId, '--scalable-dimension', KEY.ScalableDimension, '--policy-name', 'burst', '--policy-type', 'StepScaling', '--step-scaling-policy-configuration', steps);
    assert.match(put.PolicyARN, /:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/scale\/web:policyName\/burst$/);
    const policies = (await cli('describe-scaling-policies', '--service-namespace', 'ecs', '--resource-id', KEY.ResourceId)).ScalingPolicies;
    assert.deepEqual(policies.map((p: any) => [p.PolicyName, p.PolicyType]), [['cpu50', 'TargetTrackingScaling'], ['burst', 'StepScaling']]);
    assert.deepEqual(policies[1].StepScalingPolicyConfiguration.StepAdjustments, [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }]);
    const targets = (await cli('describe-scalable-targets', '--service-namespace', 'ecs')).ScalableTargets;
    assert.deepEqual(targets.map((t: any) => [t.ResourceId, t.MinCapacity, t.MaxCapacity]), [[KEY.ResourceId, 1, 6]]);
    const activities = (await cli('describe-scaling-activities', '--service-namespace', 'ecs', '--resource-id', KEY.ResourceId)).ScalingActivities;
    assert.equal(activities[0].Description, 'Setting desired count to 2.');
    await cli('delete-scaling-policy', '--service-namespace', 'ecs', '--resource-id', KEY.ResourceId, '--scalable-dimension', KEY.ScalableDimension, '--policy-name', 'cpu50');
    assert.deepEqual((await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'TargetTracking-service/scale/web-' }))).MetricAlarms, []);
    await assert.rejects(
      cli('register-scalable-target', '--service-namespace', 'dynamodb', '--resource-id', 'table/t', '--scalable-dimension', 'dynamodb:table:ReadCapacityUnits', '--min-capacity', '1', '--max-capacity', '2'),
      (err: any) => /ValidationException/.test(err.stderr) && /Berth scales ECS services only/.test(err.stderr),
    );
  });

  it('datapoints above a customized metric target drive the high alarm to ALARM on the evaluation loop, which scales out', async () => {
    await ecs.send(new CreateServiceCommand({ cluster: 'scale', serviceName: 'worker', taskDefinition: 'web', desiredCount: 1 }));
    const key = { ...KEY, ResourceId: 'service/scale/worker' };
    await aas.send(new RegisterScalableTargetCommand({ ...key, MinCapacity: 1, MaxCapacity: 6 }));
    const Dimensions = [{ Name: 'Queue', Value: 'jobs' }];
    const put = await aas.send(
      new PutScalingPolicyCommand({
        ...key,
        PolicyName: 'backlog',
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 10, CustomizedMetricSpecification: { Namespace: 'E2E', MetricName: 'Backlog', Statistic: 'Average', Dimensions } },
      }),
    );
    // A backlog of 30 per task in each minute of the evaluation range (and the current one, should the minute turn): ceil(1 × 30 / 10) = 3.
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const MetricData = Array.from({ length: 7 }, (_, k) => ({ MetricName: 'Backlog', Dimensions, Value: 30, Timestamp: new Date(minute - k * 60_000) }));
    await cw.send(new PutMetricDataCommand({ Namespace: 'E2E', MetricData }));
    await waitForDesired('worker', 3);
    const high = put.Alarms!.find((a) => a.AlarmName!.includes('-AlarmHigh-'))!;
    const [activity] = (await aas.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: key.ResourceId }))).ScalingActivities!;
    assert.equal(activity.Description, 'Setting desired count to 3.');
    assert.equal(activity.Cause, `monitor alarm ${high.AlarmName} in state ALARM triggered policy backlog`);
  });
});
