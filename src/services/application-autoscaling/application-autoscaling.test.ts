import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ECS_KEY, harness, WEB } from './test-support.js';

const register = (extra: object = {}) => ({ ...ECS_KEY, MinCapacity: 1, MaxCapacity: 10, ...extra });
const cpuPolicy = (extra: object = {}) => ({
  ...ECS_KEY,
  PolicyName: 'cpu60',
  PolicyType: 'TargetTrackingScaling',
  TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } },
  ...extra,
});

describe('Application Auto Scaling scalable targets', () => {
  it('registers, updates, describes and deregisters an ECS service target', async () => {
    const h = await harness();
    const { ScalableTargetARN } = await h.call('RegisterScalableTarget', register({ Tags: { team: 'web' } }));
    assert.match(ScalableTargetARN, /^arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target\/[0-9a-f]{36}$/);
    const [t] = (await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets;
    assert.equal(t.ResourceId, WEB);
    assert.equal(t.MinCapacity, 1);
    assert.equal(t.MaxCapacity, 10);
    assert.match(t.RoleARN, /AWSServiceRoleForApplicationAutoScaling_ECSService$/);
    assert.deepEqual(t.SuspendedState, { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false });
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceARN: ScalableTargetARN })).Tags, { team: 'web' });
    // An update names only what changes; the ARN and the rest stay.
    const again = await h.call('RegisterScalableTarget', { ...ECS_KEY, MaxCapacity: 8, RoleARN: 'arn:aws:iam::123456789012:role/scaler', SuspendedState: { DynamicScalingInSuspended: true } });
    assert.equal(again.ScalableTargetARN, ScalableTargetARN);
    const [u] = (await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs', ResourceIds: [WEB] })).ScalableTargets;
    assert.deepEqual([u.MinCapacity, u.MaxCapacity, u.RoleARN, u.SuspendedState.DynamicScalingInSuspended, u.SuspendedState.DynamicScalingOutSuspended], [1, 8, 'arn:aws:iam::123456789012:role/scaler', true, false]);
    assert.deepEqual((await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs', ResourceIds: ['service/main/other'] })).ScalableTargets, []);
    await h.call('DeregisterScalableTarget', ECS_KEY);
    assert.deepEqual((await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets, []);
    await h.fails('DeregisterScalableTarget', ECS_KEY, 'ObjectNotFoundException', /No scalable target found for service namespace: ecs, resource ID: service\/main\/web, scalable dimension: ecs:service:DesiredCount/);
    await h.fails('ListTagsForResource', { ResourceARN: ScalableTargetARN }, 'ResourceNotFoundException');
  });

  it('moves the desired count into [min, max] with an activity, and wakes the scheduler', async () => {
    const h = await harness();
    assert.equal(await h.desired(), 2);
    await h.call('RegisterScalableTarget', register({ MinCapacity: 3 }));
    assert.equal(await h.desired(), 3);
    assert.equal(h.wakes(), 1);
    await h.call('RegisterScalableTarget', { ...ECS_KEY, MinCapacity: 0, MaxCapacity: 1 });
    assert.equal(await h.desired(), 1);
    const acts = (await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: WEB })).ScalingActivities;
    assert.deepEqual(
      acts.map((a: any) => [a.Description, a.Cause, a.StatusCode]),
      [
        ['Setting desired count to 1.', 'maximum capacity was set to 1', 'Successful'],
        ['Setting desired count to 3.', 'minimum capacity was set to 3', 'Successful'],
      ],
    );
    assert.equal(acts[0].StatusMessage, 'Successfully set desired count to 1. Change successfully fulfilled by ecs.');
  });

  it('refuses other namespaces, bad resource IDs, missing services and bad capacities', async () => {
    const h = await harness();
    await h.fails('RegisterScalableTarget', { ServiceNamespace: 'dynamodb', ResourceId: 'table/t', ScalableDimension: 'dynamodb:table:ReadCapacityUnits', MinCapacity: 1, MaxCapacity: 2 }, 'ValidationException', /Berth scales ECS services only/);
    await h.fails('DescribeScalableTargets', { ServiceNamespace: 'lambda' }, 'ValidationException', /Berth scales ECS services only/);
    await h.fails('DescribeScalingPolicies', { ServiceNamespace: 'ecs', ScalableDimension: 'ecs:service:DesiredCount' }, 'ValidationException', /you must also specify a resource ID/);
    await h.fails('RegisterScalableTarget', register({ ScalableDimension: 'dynamodb:table:ReadCapacityUnits' }), 'ValidationException', /ecs:service:DesiredCount/);
    await h.fails('RegisterScalableTarget', register({ ResourceId: 'main/web' }), 'ValidationException', /service\/CLUSTER_NAME\/SERVICE_NAME/);
    await h.fails('RegisterScalableTarget', register({ ResourceId: 'service/main/nope' }), 'ValidationException', /^ECS service doesn't exist: service\/main\/nope$/);
    await h.fails('RegisterScalableTarget', register({ ResourceId: 'service/nocluster/web' }), 'ValidationException', /ECS service doesn't exist/);
    await h.fails('RegisterScalableTarget', register({ ResourceId: 'service/main/daemon' }), 'ValidationException', /DAEMON/);
    await h.fails('RegisterScalableTarget', { ...ECS_KEY, MinCapacity: 1 }, 'ValidationException', /MinCapacity and MaxCapacity are required/);
    await h.fails('RegisterScalableTarget', register({ MinCapacity: 5, MaxCapacity: 2 }), 'ValidationException', /Minimum capacity cannot be greater than maximum capacity/);
    await h.fails('RegisterScalableTarget', register({ Tags: { 'aws:x': 'y' } }), 'ValidationException', /reserved/);
    assert.deepEqual((await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets, [], 'nothing half-made');
    assert.equal(await h.desired(), 2);
  });

  it('tags and untags a target', async () => {
    const h = await harness();
    const { ScalableTargetARN: arn } = await h.call('RegisterScalableTarget', register());
    await h.call('TagResource', { ResourceARN: arn, Tags: { a: '1', b: '2' } });
    await h.call('UntagResource', { ResourceARN: arn, TagKeys: ['a'] });
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceARN: arn })).Tags, { b: '2' });
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']));
    await h.fails('TagResource', { ResourceARN: arn, Tags: many }, 'TooManyTagsException');
  });
});

describe('Application Auto Scaling policies', () => {
  it('creates a CPU target tracking policy with its two alarms as AWS names and configures them', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    const out = await h.call('PutScalingPolicy', cpuPolicy());
    assert.match(out.PolicyARN, /^arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/main\/web:policyName\/cpu60$/);
    assert.equal(out.Alarms.length, 2);
    const [high, low] = out.Alarms;
    assert.match(high.AlarmName, /^TargetTracking-service\/main\/web-AlarmHigh-[0-9a-f-]{36}$/);
    assert.match(low.AlarmName, /^TargetTracking-service\/main\/web-AlarmLow-[0-9a-f-]{36}$/);
    assert.equal(high.AlarmARN, `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${high.AlarmName}`);
    const alarms = (await h.cw('DescribeAlarms', { AlarmNames: [high.AlarmName, low.AlarmName] })).MetricAlarms;
    const hi = alarms.find((a: any) => a.AlarmName === high.AlarmName);
    const lo = alarms.find((a: any) => a.AlarmName === low.AlarmName);
    assert.deepEqual(
      [hi.Namespace, hi.MetricName, hi.Statistic, hi.Period, hi.EvaluationPeriods, hi.DatapointsToAlarm, hi.Threshold, hi.ComparisonOperator, hi.AlarmActions],
      ['AWS/ECS', 'CPUUtilization', 'Average', 60, 3, 3, 60, 'GreaterThanThreshold', [out.PolicyARN]],
    );
    assert.deepEqual(hi.Dimensions, [{ Name: 'ClusterName', Value: 'main' }, { Name: 'ServiceName', Value: 'web' }]);
    assert.deepEqual([lo.EvaluationPeriods, lo.DatapointsToAlarm, lo.Threshold, lo.ComparisonOperator], [15, 15, 54, 'LessThanThreshold']);
    assert.match(hi.AlarmDescription, /^DO NOT EDIT OR DELETE\. For TargetTrackingScaling policy arn:aws:autoscaling:/);
    const [p] = (await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs', ResourceId: WEB })).ScalingPolicies;
    assert.equal(p.PolicyType, 'TargetTrackingScaling');
    assert.deepEqual(p.Alarms, out.Alarms);
    assert.equal(p.TargetTrackingScalingPolicyConfiguration.TargetValue, 60);

    // An update keeps the ARN and the alarm names; disabling scale-in removes the low alarm.
    const updated = await h.call('PutScalingPolicy', cpuPolicy({ TargetTrackingScalingPolicyConfiguration: { TargetValue: 70, DisableScaleIn: true, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }));
    assert.equal(updated.PolicyARN, out.PolicyARN);
    assert.deepEqual(updated.Alarms, [high]);
    assert.equal((await h.cw('DescribeAlarms', { AlarmNames: [high.AlarmName] })).MetricAlarms[0].Threshold, 70);
    assert.deepEqual((await h.cw('DescribeAlarms', { AlarmNames: [low.AlarmName] })).MetricAlarms, []);

    await h.call('DeleteScalingPolicy', { ...ECS_KEY, PolicyName: 'cpu60' });
    assert.deepEqual((await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs' })).ScalingPolicies, []);
    assert.deepEqual((await h.cw('DescribeAlarms', { AlarmNamePrefix: 'TargetTracking-' })).MetricAlarms, [], 'its alarms went with it');
    await h.fails('DeleteScalingPolicy', { ...ECS_KEY, PolicyName: 'cpu60' }, 'ObjectNotFoundException', /No scaling policy found for service namespace: ecs, resource ID: service\/main\/web, scalable dimension: ecs:service:DesiredCount, policy name: cpu60/);
  });

  it('makes memory, ALB request count and customized metric alarms', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    const mem = await h.call('PutScalingPolicy', cpuPolicy({ PolicyName: 'mem', TargetTrackingScalingPolicyConfiguration: { TargetValue: 75, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageMemoryUtilization' } } }));
    assert.equal((await h.cw('DescribeAlarms', { AlarmNames: [mem.Alarms[0].AlarmName] })).MetricAlarms[0].MetricName, 'MemoryUtilization');

    const lb = (await h.elb('CreateLoadBalancer', { Name: 'front', Subnets: ['subnet-a1', 'subnet-b2'] })).LoadBalancers[0];
    const tg = (await h.elb('CreateTargetGroup', { Name: 'web', Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' })).TargetGroups[0];
    const lonely = (await h.elb('CreateTargetGroup', { Name: 'lonely', Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' })).TargetGroups[0];
    await h.elb('CreateListener', { LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] });
    const lbPart = lb.LoadBalancerArn.split(':loadbalancer/')[1];
    const tgPart = tg.TargetGroupArn.split(':').pop();
    const alb = (ResourceLabel: string) => cpuPolicy({ PolicyName: 'rps', TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel } } });
    const rps = await h.call('PutScalingPolicy', alb(`${lbPart}/${tgPart}`));
    const a = (await h.cw('DescribeAlarms', { AlarmNames: [rps.Alarms[0].AlarmName] })).MetricAlarms[0];
    assert.deepEqual([a.Namespace, a.MetricName, a.Statistic, a.Dimensions], ['AWS/ApplicationELB', 'RequestCountPerTarget', 'Sum', [{ Name: 'TargetGroup', Value: tgPart }]]);
    await h.fails('PutScalingPolicy', alb(`${lbPart}/${lonely.TargetGroupArn.split(':').pop()}`), 'ValidationException', /is not associated with the load balancer/);
    await h.fails('PutScalingPolicy', alb(`app/nope/0123456789abcdef/${tgPart}`), 'ValidationException', /load balancer app\/nope\/0123456789abcdef does not exist/);
    await h.fails('PutScalingPolicy', alb('targetgroup/x'), 'ValidationException', /Invalid ResourceLabel/);
    await h.fails('PutScalingPolicy', cpuPolicy({ PolicyName: 'rps2', TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' } } }), 'ValidationException', /ResourceLabel is required/);

    const custom = await h.call('PutScalingPolicy', cpuPolicy({
      PolicyName: 'queue',
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 10, CustomizedMetricSpecification: { Namespace: 'App', MetricName: 'Backlog', Statistic: 'Average', Dimensions: [{ Name: 'Queue', Value: 'jobs' }] }, ScaleOutCooldown: 30, ScaleInCooldown: 600 },
    }));
    const c = (await h.cw('DescribeAlarms', { AlarmNames: [custom.Alarms[0].AlarmName] })).MetricAlarms[0];
    assert.deepEqual([c.Namespace, c.MetricName, c.Statistic, c.Dimensions], ['App', 'Backlog', 'Average', [{ Name: 'Queue', Value: 'jobs' }]]);
    assert.equal((await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs', PolicyNames: ['queue'] })).ScalingPolicies[0].TargetTrackingScalingPolicyConfiguration.ScaleInCooldown, 600);
    assert.equal((await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs', MaxResults: 2 })).ScalingPolicies.length, 2);
  });

  it('refuses bad target tracking and step configurations, and policies without a target', async () => {
    const h = await harness();
    await h.fails('PutScalingPolicy', cpuPolicy(), 'ObjectNotFoundException', /No scalable target registered for service namespace: ecs, resource ID: service\/main\/web, scalable dimension: ecs:service:DesiredCount/);
    await h.call('RegisterScalableTarget', register());
    const tt = (c: object) => cpuPolicy({ TargetTrackingScalingPolicyConfiguration: c });
    await h.fails('PutScalingPolicy', tt({ TargetValue: 60 }), 'ValidationException', /Either a PredefinedMetricSpecification or a CustomizedMetricSpecification/);
    await h.fails('PutScalingPolicy', tt({ TargetValue: 0, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }), 'ValidationException', /TargetValue must be a positive number/);
    await h.fails('PutScalingPolicy', tt({ TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: 'DynamoDBReadCapacityUtilization' } }), 'ValidationException', /Unsupported metric type DynamoDBReadCapacityUtilization/);
    await h.fails('PutScalingPolicy', tt({ TargetValue: 60, ScaleInCooldown: -1, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } }), 'ValidationException', /ScaleInCooldown/);
    await h.fails('PutScalingPolicy', tt({ TargetValue: 60, CustomizedMetricSpecification: { MetricName: 'x' } }), 'ValidationException', /needs MetricName, Namespace and Statistic/);
    await h.fails('PutScalingPolicy', cpuPolicy({ PolicyType: 'PredictiveScaling' }), 'ValidationException', /PredictiveScaling/);
    const twoReturns = [
      { Id: 'a', MetricStat: { Metric: { Namespace: 'App', MetricName: 'A' }, Stat: 'Sum' } },
      { Id: 'b', MetricStat: { Metric: { Namespace: 'App', MetricName: 'B' }, Stat: 'Sum' } },
    ];
    await h.fails('PutScalingPolicy', tt({ TargetValue: 5, CustomizedMetricSpecification: { Metrics: twoReturns } }), 'ValidationException', /CloudWatch refused the policy's alarm TargetTracking-service\/main\/web-AlarmHigh-.*Exactly one element of the metrics list should return data/);
    const stepPolicy = (c: object) => ({ ...ECS_KEY, PolicyName: 'steps', PolicyType: 'StepScaling', StepScalingPolicyConfiguration: c });
    await h.fails('PutScalingPolicy', stepPolicy({ StepAdjustments: [{ ScalingAdjustment: 1 }] }), 'ValidationException', /AdjustmentType is required/);
    await h.fails('PutScalingPolicy', stepPolicy({ AdjustmentType: 'ChangeInCapacity' }), 'ValidationException', /At least one step adjustment/);
    const gap = [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 15, ScalingAdjustment: 2 }];
    await h.fails('PutScalingPolicy', stepPolicy({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: gap }), 'ValidationException', /cannot have gaps/);
    const overlap = [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 5, ScalingAdjustment: 2 }];
    await h.fails('PutScalingPolicy', stepPolicy({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: overlap }), 'ValidationException', /cannot overlap/);
    await h.fails('PutScalingPolicy', stepPolicy({ AdjustmentType: 'ChangeInCapacity', MinAdjustmentMagnitude: 2, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] }), 'ValidationException', /only supported with the PercentChangeInCapacity/);
    assert.deepEqual((await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs' })).ScalingPolicies, [], 'nothing half-made');
    assert.deepEqual((await h.cw('DescribeAlarms', {})).MetricAlarms, [], 'no stray alarm');
  });

  it('deregistering a target deletes its policies, their alarms and its scheduled actions', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    await h.call('PutScalingPolicy', cpuPolicy());
    await h.call('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'night', Schedule: 'cron(0 22 * * ? *)', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 } });
    await h.call('DeregisterScalableTarget', ECS_KEY);
    assert.deepEqual((await h.call('DescribeScalingPolicies', { ServiceNamespace: 'ecs' })).ScalingPolicies, []);
    assert.deepEqual((await h.call('DescribeScheduledActions', { ServiceNamespace: 'ecs' })).ScheduledActions, []);
    assert.deepEqual((await h.cw('DescribeAlarms', {})).MetricAlarms, []);
  });
});

describe('Application Auto Scaling: running policies', () => {
  const reason = (points: number[]) => JSON.stringify({ version: '1.0', recentDatapoints: points });

  it('a target tracking high alarm scales out through ECS and records the activity AWS describes', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    const { PolicyARN, Alarms } = await h.call('PutScalingPolicy', cpuPolicy());
    const run = h.aas.runPolicy(PolicyARN, Alarms[0].AlarmName, 'ALARM');
    assert.equal(run.activity, undefined, 'no datapoints yet: nothing to compute from');
    await h.cw('SetAlarmState', { AlarmName: Alarms[0].AlarmName, StateValue: 'ALARM', StateReason: 'test', StateReasonData: reason([88, 90, 95]) });
    const wakesBefore = h.wakes();
    const out = h.aas.runPolicy(PolicyARN, Alarms[0].AlarmName, 'ALARM');
    assert.deepEqual(out.outcome, { arn: PolicyARN, ok: true });
    // ceil(2 × 95 / 60) = 4.
    assert.equal(await h.desired(), 4);
    assert.equal(h.wakes(), wakesBefore + 1);
    const [a] = (await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs', ResourceId: WEB, ScalableDimension: 'ecs:service:DesiredCount' })).ScalingActivities;
    assert.equal(a.Description, 'Setting desired count to 4.');
    assert.equal(a.Cause, `monitor alarm ${Alarms[0].AlarmName} in state ALARM triggered policy cpu60`);
    assert.equal(a.StatusCode, 'Successful');
  });

  it('the low alarm scales in, the cooldown holds the next scale-in, and not-scaled activities show only when asked', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register({ MinCapacity: 2 }));
    await h.ecs('UpdateService', { cluster: 'main', service: 'web', desiredCount: 5 });
    const { PolicyARN, Alarms } = await h.call('PutScalingPolicy', cpuPolicy());
    const low = Alarms[1].AlarmName;
    await h.cw('SetAlarmState', { AlarmName: low, StateValue: 'ALARM', StateReason: 'test', StateReasonData: reason([10, 10, 10]) });
    h.aas.runPolicy(PolicyARN, low, 'ALARM');
    assert.equal(await h.desired(), 4);
    h.advance(60);
    assert.equal(h.aas.runPolicy(PolicyARN, low, 'ALARM').skipped, 'the scale-in cooldown is in effect');
    assert.equal(await h.desired(), 4);
    h.advance(300);
    h.aas.runPolicy(PolicyARN, low, 'ALARM');
    h.advance(301);
    h.aas.runPolicy(PolicyARN, low, 'ALARM');
    assert.equal(await h.desired(), 2);
    h.advance(301);
    const at = h.aas.runPolicy(PolicyARN, low, 'ALARM');
    assert.deepEqual(at.activity?.NotScaledReasons, [{ Code: 'AlreadyAtMinCapacity', MinCapacity: 2, MaxCapacity: 10, CurrentCapacity: 2 }]);
    const scaled = (await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs' })).ScalingActivities;
    assert.deepEqual(scaled.map((a: any) => a.Description), ['Setting desired count to 2.', 'Setting desired count to 3.', 'Setting desired count to 4.']);
    const all = (await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs', IncludeNotScaledActivities: true })).ScalingActivities;
    assert.equal(all.length, 4);
    assert.equal(all[0].NotScaledReasons[0].Code, 'AlreadyAtMinCapacity');
    // Paging.
    const first = await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs', IncludeNotScaledActivities: true, MaxResults: 3 });
    const second = await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs', IncludeNotScaledActivities: true, NextToken: first.NextToken });
    assert.deepEqual([...first.ScalingActivities, ...second.ScalingActivities].map((a: any) => a.ActivityId), all.map((a: any) => a.ActivityId));
    assert.equal(second.NextToken, undefined);
    await h.fails('DescribeScalingActivities', { ServiceNamespace: 'ecs', NextToken: first.NextToken }, 'InvalidNextTokenException');
  });

  it("a step policy runs from the caller's alarm through CloudWatch's hook", async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    const { PolicyARN, Alarms } = await h.call('PutScalingPolicy', {
      ...ECS_KEY,
      PolicyName: 'steps',
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: { AdjustmentType: 'ChangeInCapacity', Cooldown: 60, MetricAggregationType: 'Maximum', StepAdjustments: [{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 }, { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 }] },
    });
    assert.deepEqual(Alarms, []);
    await h.cw('PutMetricAlarm', { AlarmName: 'busy', Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Statistic: 'Average', Period: 60, EvaluationPeriods: 1, Threshold: 70, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [PolicyARN] });
    // Maximum of 75 and 95 breaches by 25: +3.
    await h.cw('SetAlarmState', { AlarmName: 'busy', StateValue: 'ALARM', StateReason: 'test', StateReasonData: reason([75, 95]) });
    // CloudWatch runs actions after the call commits.
    for (let i = 0; i < 100 && (await h.desired()) === 2; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await h.desired(), 5);
    const history = (await h.cw('DescribeAlarmHistory', { AlarmName: 'busy', HistoryItemType: 'Action' })).AlarmHistoryItems;
    assert.match(history[0].HistorySummary, /^Successfully executed action arn:aws:autoscaling:/);
  });

  it('suspended dynamic scaling does not scale', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register({ SuspendedState: { DynamicScalingOutSuspended: true } }));
    const { PolicyARN, Alarms } = await h.call('PutScalingPolicy', cpuPolicy());
    await h.cw('SetAlarmState', { AlarmName: Alarms[0].AlarmName, StateValue: 'ALARM', StateReason: 'test', StateReasonData: reason([99]) });
    assert.equal(h.aas.runPolicy(PolicyARN, Alarms[0].AlarmName, 'ALARM').skipped, 'dynamic scale-out is suspended');
    assert.equal(await h.desired(), 2);
  });
});

describe('Application Auto Scaling scheduled actions', () => {
  it('stores at(), rate() and cron() actions and refuses bad schedules', async () => {
    const h = await harness();
    const put = (name: string, Schedule: string, extra = {}) => h.call('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: name, Schedule, ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 6 }, ...extra });
    await h.fails('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'x', Schedule: 'rate(5 minutes)' }, 'ObjectNotFoundException', /No scalable target registered/);
    await h.call('RegisterScalableTarget', register());
    await put('once', 'at(2026-12-24T18:00:00)');
    await put('often', 'rate(5 minutes)');
    await put('weekdays', 'cron(0 8 ? * MON-FRI *)', { Timezone: 'Europe/Paris', StartTime: new Date('2026-12-01T00:00:00Z'), EndTime: new Date('2027-01-01T00:00:00Z') });
    const all = (await h.call('DescribeScheduledActions', { ServiceNamespace: 'ecs', ResourceId: WEB })).ScheduledActions;
    assert.deepEqual(all.map((a: any) => [a.ScheduledActionName, a.Schedule]), [['once', 'at(2026-12-24T18:00:00)'], ['often', 'rate(5 minutes)'], ['weekdays', 'cron(0 8 ? * MON-FRI *)']]);
    const w = all[2];
    assert.match(w.ScheduledActionARN, /^arn:aws:autoscaling:us-east-1:123456789012:scheduledAction:[0-9a-f-]{36}:resource\/ecs\/service\/main\/web:scheduledActionName\/weekdays$/);
    assert.deepEqual([w.Timezone, w.StartTime, w.EndTime, w.ScalableTargetAction], ['Europe/Paris', '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z', { MinCapacity: 2, MaxCapacity: 6 }]);
    for (const [bad, why] of [
      ['at(2026-02-30T10:00:00)', /not a valid date/],
      ['rate(0 minutes)', /at least 1/],
      ['rate(5 weeks)', /is not at\(/],
      ['cron(0 8 * * MON-FRI *)', /exactly one of day-of-month and day-of-week/],
      ['cron(0 25 * * ? *)', /hours field 25 is out of range/],
      ['cron(0 8 * *)', /must have 6 fields/],
      ['every day', /is not at\(/],
    ] as const) {
      await h.fails('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'bad', Schedule: bad }, 'ValidationException', why);
    }
    await h.fails('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'bad', Schedule: 'rate(1 hour)', Timezone: 'Mars/Olympus' }, 'ValidationException', /Invalid Timezone/);
    await h.fails('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'bad', Schedule: 'rate(1 hour)', ScalableTargetAction: { MinCapacity: 5, MaxCapacity: 1 } }, 'ValidationException', /cannot be greater/);
    await h.fails('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'bad' }, 'ValidationException', /Schedule is required/);
    await h.call('DeleteScheduledAction', { ...ECS_KEY, ScheduledActionName: 'once' });
    await h.fails('DeleteScheduledAction', { ...ECS_KEY, ScheduledActionName: 'once' }, 'ObjectNotFoundException', /No scheduled action found for service namespace: ecs, resource ID: service\/main\/web, scalable dimension: ecs:service:DesiredCount, scheduled action name: once/);
    assert.equal((await h.call('DescribeScheduledActions', { ServiceNamespace: 'ecs' })).ScheduledActions.length, 2);
  });
});

describe('Application Auto Scaling: scheduled actions fire', () => {
  it('sets min and max when due, moves the desired count into them, once per occurrence', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    // The harness clock starts at 2026-11-30T00:00:00Z.
    await h.call('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'morning', Schedule: 'cron(0 8 * * ? *)', ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 8 } });
    await h.call('PutScheduledAction', { ...ECS_KEY, ScheduledActionName: 'later', Schedule: 'at(2026-12-01T00:00:00)', ScalableTargetAction: { MaxCapacity: 1 } });
    assert.deepEqual(h.aas.runScheduledActions(), []);
    h.advance(8 * 3600 + 20);
    assert.deepEqual(h.aas.runScheduledActions(), ['morning']);
    assert.deepEqual(h.aas.runScheduledActions(), [], 'the same minute fires once');
    const [t] = (await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets;
    assert.deepEqual([t.MinCapacity, t.MaxCapacity], [4, 8]);
    assert.equal(await h.desired(), 4);
    const acts = (await h.call('DescribeScalingActivities', { ServiceNamespace: 'ecs' })).ScalingActivities;
    assert.deepEqual(acts.map((a: any) => [a.Description, a.Cause]), [
      ['Setting desired count to 4.', 'minimum capacity was set to 4'],
      ['Setting min capacity to 4 and max capacity to 8', 'scheduled action name morning was triggered'],
    ]);
    // Suspended scheduled scaling holds; the one-time action fires once it is resumed.
    h.advance(16 * 3600);
    await h.call('RegisterScalableTarget', { ...ECS_KEY, SuspendedState: { ScheduledScalingSuspended: true } });
    assert.deepEqual(h.aas.runScheduledActions(), []);
    await h.call('RegisterScalableTarget', { ...ECS_KEY, SuspendedState: { ScheduledScalingSuspended: false } });
    assert.deepEqual(h.aas.runScheduledActions(), ['later']);
    const [u] = (await h.call('DescribeScalableTargets', { ServiceNamespace: 'ecs' })).ScalableTargets;
    assert.deepEqual([u.MinCapacity, u.MaxCapacity], [1, 1], 'a max below the min takes the min with it');
    assert.equal(await h.desired(), 1);
    h.advance(3600);
    assert.deepEqual(h.aas.runScheduledActions(), [], 'at() fires once');
  });
});

describe('Application Auto Scaling: alarms that stay in ALARM', () => {
  it('re-invoke their policy each pass, so target tracking keeps scaling in gradually after each cooldown', async () => {
    const h = await harness();
    await h.call('RegisterScalableTarget', register());
    await h.ecs('UpdateService', { cluster: 'main', service: 'web', desiredCount: 6 });
    const { Alarms } = await h.call('PutScalingPolicy', cpuPolicy({ TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, ScaleInCooldown: 120, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }));
    const low = Alarms[1].AlarmName;
    await h.cw('SetAlarmState', { AlarmName: low, StateValue: 'ALARM', StateReason: 'test', StateReasonData: JSON.stringify({ recentDatapoints: [5] }) });
    for (let i = 0; i < 100 && (await h.desired()) === 6; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await h.desired(), 5, 'the hook ran the policy on entering ALARM');
    assert.deepEqual(h.aas.repeatAlarmedPolicies(), [], 'not again right after the hook');
    h.advance(60);
    assert.equal(h.aas.repeatAlarmedPolicies()[0].skipped, 'the scale-in cooldown is in effect');
    h.advance(60);
    h.aas.repeatAlarmedPolicies();
    assert.equal(await h.desired(), 4);
    h.advance(120);
    h.aas.repeatAlarmedPolicies();
    assert.equal(await h.desired(), 3);
    await h.cw('SetAlarmState', { AlarmName: low, StateValue: 'OK', StateReason: 'test' });
    h.advance(300);
    assert.deepEqual(h.aas.repeatAlarmedPolicies(), [], 'an alarm back in OK invokes nothing');
    assert.equal(await h.desired(), 3);
  });

  it('at --time-scale 60 a minute is a second: cooldowns (120 s -> 2 s) and the repeat count scaled seconds', async () => {
    const h = await harness({ timeScale: 60 });
    await h.call('RegisterScalableTarget', register());
    await h.ecs('UpdateService', { cluster: 'main', service: 'web', desiredCount: 6 });
    const { Alarms } = await h.call('PutScalingPolicy', cpuPolicy({ TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, ScaleInCooldown: 120, PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' } } }));
    const low = Alarms[1].AlarmName;
    // The alarm keeps its configured one-minute period.
    assert.equal((await h.cw('DescribeAlarms', { AlarmNames: [low] })).MetricAlarms[0].Period, 60);
    await h.cw('SetAlarmState', { AlarmName: low, StateValue: 'ALARM', StateReason: 'test', StateReasonData: JSON.stringify({ recentDatapoints: [5] }) });
    for (let i = 0; i < 100 && (await h.desired()) === 6; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(await h.desired(), 5);
    h.advance(1);
    assert.equal(h.aas.repeatAlarmedPolicies()[0].skipped, 'the scale-in cooldown is in effect', '1 s < 2 s');
    h.advance(1);
    h.aas.repeatAlarmedPolicies();
    assert.equal(await h.desired(), 4, 'a scaled cooldown of 2 s has passed');
    h.advance(2);
    h.aas.repeatAlarmedPolicies();
    assert.equal(await h.desired(), 3);
  });
});
