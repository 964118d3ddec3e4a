/**
 * Alarm-driven rollback with a real 5xx alarm, end to end on one Berth at time scale 60 (a
 * CloudWatch minute and a deployment minute both last a second): no SetAlarmState anywhere — the
 * alarm watches AWS/ApplicationELB HTTPCode_Target_5XX_Count that Berth's load balancer counts
 * from the answers a steady load through the listener gets. v2 is the blue/green fixture's app
 * answering 500 to every 5th request (20%) while its /health stays 200, so its targets are healthy
 * and only the alarm can stop it.
 *
 * - Blue/green (CodeDeploy, test/fixtures/blue-green.ts): the deployment group watches an alarm
 *   on the load balancer's 5xx count (Sum over 60 s, >= 1, one datapoint) and rolls back on
 *   DEPLOYMENT_STOP_ON_ALARM. A canary (10% for 15 minutes) of v2 under load: the alarm enters
 *   ALARM from the traffic (its reason names the datapoint), the deployment stops with
 *   ALARM_ACTIVE, the rollback deployment succeeds, production forwards 100% to v1 again, CloudWatch
 *   counted exactly the 500s the clients saw, every 500 came from v2, and after the rollback
 *   completed no request failed.
 * - Rolling (ECS deployment controller): a service behind its own target group with
 *   `deploymentConfiguration.alarms` (rollback) on an alarm over that group's 5xx count; an
 *   UpdateService to v2 under load fails with ECS's reason once the alarm enters ALARM, rolls back
 *   to v1 (the service events say so), and after the rollback completed every answer is v1's.
 *
 * The figures (5xx share of v2's answers, deployment start to alarm, failed requests after the
 * rollback) are printed as test diagnostics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmHistoryCommand,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  PutMetricAlarmCommand,
  type AlarmHistoryItem,
  type Dimension,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import { CreateServiceCommand, DescribeServicesCommand, UpdateServiceCommand, type Deployment, type Service } from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateTargetGroupCommand, DescribeLoadBalancersCommand, DescribeTargetHealthCommand, ModifyTargetGroupAttributesCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { arnDimension } from '../../src/services/cloudwatch/alb-metrics.js';
import { CONTAINER_NAME, CONTAINER_PORT, FAST_HEALTH, createBlueGreen, listenerWeights, percentOf, steadyLoad, type BlueGreen, type Sample, type SteadyLoad } from '../fixtures/blue-green.js';
import { freePort, until as untilWithin } from '../fixtures/http.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

const WAIT_MS = 180_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 250);
/** v2 answers 500 to every FAIL_EVERY-th request: 20%. */
const FAIL_EVERY = 5;
/** What a request v2 failed looks like in a load sample. */
const V2_500 = 'HTTP 500 app 2 failed';
const PREFIX = 'ar';
const BG_ALARM = 'ar-alb-target-5xx';
const ROLL_ALARM = 'ar-rolling-target-5xx';
const ROLL_SERVICE = 'ar-rolling';

/** The 5xx alarm a user puts: any target 5xx in a minute, one datapoint; no data means no errors. */
const fiveXxAlarm = (AlarmName: string, Dimensions: Dimension[]) =>
  new PutMetricAlarmCommand({
    AlarmName,
    AlarmDescription: 'The targets answer 5xx',
    Namespace: 'AWS/ApplicationELB',
    MetricName: 'HTTPCode_Target_5XX_Count',
    Dimensions,
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    DatapointsToAlarm: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
  });

/** The samples sent at or after `from`. */
const sentFrom = (samples: readonly Sample[], from: number) => samples.filter((s) => s.sent >= from);
/** The samples sent before `to`. */
const sentBefore = (samples: readonly Sample[], to: number) => samples.filter((s) => s.sent < to);
/** A few samples, shown short for a message. */
const show = (samples: readonly Sample[]) => JSON.stringify(samples.slice(0, 5).map((s) => [s.sent, s.version ?? s.error]));

/** v2's answers among the samples: how many, how many of them were 500s, and that share. */
function v2Answers(samples: readonly Sample[]): { n: number; failed: number; share: number } {
  const ok = samples.filter((s) => s.version === '2').length;
  const failed = samples.filter((s) => s.error === V2_500).length;
  return { n: ok + failed, failed, share: ok + failed ? failed / (ok + failed) : NaN };
}

/**
 * v2's 500s are every 5th request of each of its 2 tasks, so of `n` answers floor(n_i / 5) per
 * task failed: n/5 at most and less than one fewer per task (plus one for slack).
 */
function assertEveryFifth(v2: { n: number; failed: number }): void {
  assert.ok(v2.failed <= v2.n / FAIL_EVERY + 1 && v2.failed >= v2.n / FAIL_EVERY - 3, `v2 failed ${v2.failed} of ${v2.n} answers, not every ${FAIL_EVERY}th`);
}

describe('alarm-driven rollback on a real 5xx alarm (time scale 60)', () => {
  let bg: BlueGreen;
  let cloudwatch: CloudWatchClient;
  let failingV2: string;
  const loads: SteadyLoad[] = [];

  before(async () => {
    bg = await createBlueGreen({
      prefix: PREFIX,
      timeScale: 60,
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
      alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: BG_ALARM }] },
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
    });
    cloudwatch = new CloudWatchClient({ endpoint: bg.berth.endpoint, region: bg.berth.region, credentials: bg.berth.credentials, maxAttempts: 1 });
    failingV2 = await bg.taskDefinition('2', { failEvery: FAIL_EVERY });
  });
  after(async () => {
    for (const l of loads) await l.stop().catch(() => undefined);
    if (cloudwatch) {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [BG_ALARM, ROLL_ALARM] })).catch(() => undefined);
      cloudwatch.destroy();
    }
    if (bg) {
      await deleteServicesAndDrain(bg.ecs, bg.cluster, [ROLL_SERVICE]);
      await bg.cleanup();
    }
  });

  const describeAlarm = async (name: string): Promise<MetricAlarm> => {
    const a = (await cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms?.[0];
    if (!a) throw new Error(`CloudWatch has no alarm ${name}`);
    return a;
  };
  /** Puts the alarm and waits until CloudWatch has evaluated it OK (there are no 5xx yet). */
  const putAlarmAndWaitOk = async (name: string, dimensions: Dimension[]): Promise<MetricAlarm> => {
    await cloudwatch.send(fiveXxAlarm(name, dimensions));
    const a = await until(`alarm ${name} evaluated`, async () => {
      const a = await describeAlarm(name);
      return a.StateValue !== 'INSUFFICIENT_DATA' ? a : undefined;
    });
    assert.equal(a.StateValue, 'OK', `${name} before anything answered 5xx: ${a.StateReason}`);
    return a;
  };
  /** The alarm's first transition to ALARM after `since` (epoch ms), from DescribeAlarmHistory. */
  const enteredAlarm = async (name: string, since: number): Promise<{ item: AlarmHistoryItem; reason: string; value: number } | undefined> => {
    const items = (await cloudwatch.send(new DescribeAlarmHistoryCommand({ AlarmName: name, HistoryItemType: 'StateUpdate', ScanBy: 'TimestampAscending' }))).AlarmHistoryItems ?? [];
    for (const item of items) {
      const data = JSON.parse(item.HistoryData!) as { newState: { stateValue: string; stateReason: string; stateReasonData?: { evaluatedDatapoints?: { value: number }[] } } };
      if (data.newState.stateValue !== 'ALARM' || item.Timestamp!.getTime() < since) continue;
      return { item, reason: data.newState.stateReason, value: data.newState.stateReasonData?.evaluatedDatapoints?.[0]?.value ?? NaN };
    }
    return undefined;
  };
  /** Asserts the ALARM came from the metric: CloudWatch's threshold reason with a datapoint of at least 1 (a 500 counted). */
  const assertFromTraffic = (entered: { reason: string; value: number }) => {
    assert.match(entered.reason, /^Threshold Crossed: 1 out of the last 1 datapoints \[\d+(\.\d+)? \(.*\)\] was greater than or equal to the threshold \(1\.0\)/, entered.reason);
    assert.ok(entered.value >= 1, `the datapoint that crossed counts 500s: ${entered.value}`);
  };
  /** Keeps the load going until it has `n` answers sent at or after `from` (at least 3 s of them). */
  const loadAfter = (load: SteadyLoad, from: number, n = 200) =>
    until(`${n} answers after the rollback completed`, async () => (Date.now() - from >= 3000 && sentFrom(load.samples, from).length >= n ? true : undefined));

  it('blue/green: a canary of a v2 failing 20% trips the 5xx alarm, stops (ALARM_ACTIVE) and rolls back to v1 with no failure after', async (t) => {
    const { taskSet: original, color } = await bg.settle();
    assert.equal(original.taskDefinition, bg.taskDefinitions['1']);
    const lbDimension = arnDimension(bg.loadBalancerArn);
    const putOk = await putAlarmAndWaitOk(BG_ALARM, [{ Name: 'LoadBalancer', Value: lbDimension }]);

    const load = bg.prodLoad();
    loads.push(load);
    await until('v1 answering the load', async () => (load.samples.filter((s) => s.version === '1').length >= 50 ? true : undefined));
    const atStart = await describeAlarm(BG_ALARM);
    assert.notEqual(atStart.StateValue, 'ALARM', 'the alarm is not in ALARM when the deployment begins');
    const id = await bg.deploy({ taskDefinition: failingV2, description: 'v2 that fails 20% of its requests' });

    const stopped = await bg.waitForStatus(id, 'Stopped', WAIT_MS);
    assert.equal(stopped.errorInformation?.code, 'ALARM_ACTIVE', JSON.stringify(stopped.errorInformation));
    assert.match(stopped.errorInformation!.message!, new RegExp(`Activated alarms: ${BG_ALARM}`));
    const rollbackId = stopped.rollbackInfo?.rollbackDeploymentId;
    assert.ok(rollbackId, `the stopped deployment names its rollback: ${JSON.stringify(stopped.rollbackInfo)}`);
    const rollback = await bg.waitForStatus(rollbackId, 'Succeeded', WAIT_MS);
    assert.equal(rollback.rollbackInfo?.rollbackTriggeringDeploymentId, id);
    const settled = await bg.settle();
    const rolledBackAt = Date.now();
    assert.equal(settled.taskSet.id, original.id, 'the original task set serves again');
    assert.equal(settled.color, color);
    assert.equal(settled.taskSet.taskDefinition, bg.taskDefinitions['1']);
    assert.equal(percentOf(await listenerWeights(bg.elb, bg.prod.arn), settled.targetGroupArn), 100, 'production forwards 100% to v1');
    await loadAfter(load, rolledBackAt);
    await load.stop();

    // The alarm entered ALARM from the 500s v2 answered, after the deployment began.
    const deploymentStart = stopped.createTime!.getTime();
    const entered = await enteredAlarm(BG_ALARM, atStart.StateUpdatedTimestamp!.getTime());
    assert.ok(entered, `${BG_ALARM} has a transition to ALARM in its history`);
    assertFromTraffic(entered);
    assert.ok(entered.item.Timestamp!.getTime() >= deploymentStart, 'the alarm entered ALARM after the deployment began');
    assert.ok(putOk.StateUpdatedTimestamp!.getTime() <= deploymentStart);

    // Every failed request was a 500 of v2's; none after the rollback completed; v1 only then.
    const failures = load.failures();
    const notV2 = failures.filter((s) => s.error !== V2_500);
    assert.deepEqual(notV2, [], `failures other than v2's 500s: ${show(notV2)}`);
    const v2 = v2Answers(sentBefore(load.samples, rolledBackAt));
    assert.ok(v2.failed >= 1, 'v2 answered 500s during the canary');
    assertEveryFifth(v2);
    const afterRollback = sentFrom(load.samples, rolledBackAt);
    assert.deepEqual(afterRollback.filter((s) => s.version !== '1'), [], 'after the rollback completed every answer is v1 and none failed');

    // CloudWatch counted exactly the 500s the clients saw (nothing else on this load balancer answers 5xx).
    const metricSum = async () => {
      const out = await cloudwatch.send(
        new GetMetricDataCommand({
          StartTime: new Date(deploymentStart - 180_000),
          EndTime: new Date(Date.now() + 120_000),
          MetricDataQueries: [{ Id: 'e', MetricStat: { Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: lbDimension }] }, Period: 60, Stat: 'Sum' } }],
        }),
      );
      return (out.MetricDataResults?.[0]?.Values ?? []).reduce((a, b) => a + b, 0);
    };
    let lastSum = NaN;
    await until(`CloudWatch's HTTPCode_Target_5XX_Count to add up to the ${failures.length} 500s the load saw`, async () => {
      lastSum = await metricSum();
      return lastSum === failures.length ? true : undefined;
    }, 60_000).catch((e) => assert.fail(`${(e as Error).message}; last sum ${lastSum}`));

    const firstV2Failure = failures.reduce((m, s) => Math.min(m, s.answered), Infinity);
    t.diagnostic(`blue/green: v2 answered ${v2.n} requests during the canary, ${v2.failed} of them 500 (${(100 * v2.share).toFixed(1)}%); ` +
      `deployment start -> ALARM ${((entered.item.Timestamp!.getTime() - deploymentStart) / 1000).toFixed(1)} s, first 500 -> ALARM ${((entered.item.Timestamp!.getTime() - firstV2Failure) / 1000).toFixed(1)} s; ` +
      `${afterRollback.length} requests after the rollback completed, ${afterRollback.filter((s) => s.error).length} failed; alarm reason: ${entered.reason}`);
    await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [BG_ALARM] }));
  });

  it('rolling: an UpdateService to a v2 failing 20% trips the deployment alarm and rolls back to v1 with no failure after', async (t) => {
    const { elb, ecs, cluster } = bg;
    const { VpcId } = (await elb.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [bg.loadBalancerArn] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: `${PREFIX}-rolling`, Protocol: 'HTTP', Port: CONTAINER_PORT, VpcId, TargetType: 'instance', ...FAST_HEALTH }))).TargetGroups![0];
    // Long enough a drain that v2 serves (and the rollout stays IN_PROGRESS) while the alarm evaluates.
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '20' }] }));
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort(bg.prod.address);
      try {
        await elb.send(new CreateListenerCommand({ LoadBalancerArn: bg.loadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
    const describeRolling = async (): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [ROLL_SERVICE] }))).services![0];
    const healthy = async (count: number) => {
      const d = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions ?? [];
      return d.length === count && d.every((x) => x.TargetHealth?.State === 'healthy');
    };
    /** One deployment, COMPLETED, on `taskDefinition`, running 2 tasks that are the group's only targets, all healthy. */
    const steadyOn = (taskDefinition: string) =>
      until(`${ROLL_SERVICE} steady on ${taskDefinition}`, async () => {
        const s = await describeRolling();
        const [d] = s.deployments ?? [];
        if (s.deployments?.length !== 1 || d.taskDefinition !== taskDefinition || d.rolloutState !== 'COMPLETED' || d.runningCount !== 2) return undefined;
        return (await healthy(2)) ? s : undefined;
      });

    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: ROLL_SERVICE,
        taskDefinition: bg.taskDefinitions['1'],
        desiredCount: 2,
        deploymentController: { type: 'ECS' },
        loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: CONTAINER_NAME, containerPort: CONTAINER_PORT }],
        deploymentConfiguration: {
          minimumHealthyPercent: 100,
          maximumPercent: 200,
          deploymentCircuitBreaker: { enable: false, rollback: false },
          alarms: { alarmNames: [ROLL_ALARM], enable: true, rollback: true },
        },
      }),
    );
    const v1 = await steadyOn(bg.taskDefinitions['1']);
    const v1Deployment = v1.deployments![0].id!;
    await putAlarmAndWaitOk(ROLL_ALARM, [{ Name: 'TargetGroup', Value: arnDimension(tg.TargetGroupArn!) }, { Name: 'LoadBalancer', Value: arnDimension(bg.loadBalancerArn) }]);

    const load = steadyLoad(bg.prod.address, port);
    loads.push(load);
    await until('v1 answering the load', async () => (load.samples.filter((s) => s.version === '1').length >= 50 ? true : undefined));
    const atStart = await describeAlarm(ROLL_ALARM);
    assert.notEqual(atStart.StateValue, 'ALARM', 'the alarm is not in ALARM when the deployment begins');
    const updated = (await ecs.send(new UpdateServiceCommand({ cluster, service: ROLL_SERVICE, taskDefinition: failingV2 }))).service!;
    const v2Deployment = updated.deployments!.find((d) => d.status === 'PRIMARY')!;
    assert.equal(v2Deployment.taskDefinition, failingV2);

    const primaryOf = (s: Service): Deployment | undefined => s.deployments?.find((d) => d.status === 'PRIMARY');
    const rolling = await until('the v2 rollout to fail and a rollback deployment to take over (or v2 to complete)', async () => {
      const s = await describeRolling();
      const p = primaryOf(s);
      return p && (p.id !== v2Deployment.id || p.rolloutState === 'COMPLETED') ? s : undefined;
    });
    assert.notEqual(primaryOf(rolling)!.id, v2Deployment.id, `the v2 rollout completed without the alarm stopping it: ${JSON.stringify(rolling.deployments)}`);
    const failed = rolling.deployments!.find((d) => d.id === v2Deployment.id);
    assert.ok(failed, `the failed v2 deployment is still listed while the rollback runs: ${JSON.stringify(rolling.deployments)}`);
    assert.equal(failed.rolloutState, 'FAILED');
    assert.equal(failed.rolloutStateReason, `ECS deployment alarm(s) in ALARM: ${ROLL_ALARM}.`);
    const rollback = primaryOf(rolling)!;
    assert.equal(rollback.taskDefinition, bg.taskDefinitions['1']);
    assert.equal(rollback.rolloutStateReason, `ECS deployment alarm(s) in ALARM: ${ROLL_ALARM}. Rolling back to deploymentId ${v1Deployment}.`);

    const done = await steadyOn(bg.taskDefinitions['1']);
    const rolledBackAt = Date.now();
    assert.equal(done.deployments![0].id, rollback.id);
    const messages = done.events!.map((e) => e.message!);
    assert.ok(messages.includes(`(service ${ROLL_SERVICE}) (deployment ${v2Deployment.id}) deployment failed: alarm detected.`), messages.slice(0, 10).join('\n'));
    assert.ok(messages.includes(`(service ${ROLL_SERVICE}) rolling back to deployment ${v1Deployment}.`), messages.slice(0, 10).join('\n'));
    await loadAfter(load, rolledBackAt);
    await load.stop();

    const entered = await enteredAlarm(ROLL_ALARM, atStart.StateUpdatedTimestamp!.getTime());
    assert.ok(entered, `${ROLL_ALARM} has a transition to ALARM in its history`);
    assertFromTraffic(entered);
    const deploymentStart = v2Deployment.createdAt!.getTime();
    assert.ok(entered.item.Timestamp!.getTime() >= deploymentStart, 'the alarm entered ALARM after the deployment began');

    const failures = load.failures();
    const notV2 = failures.filter((s) => s.error !== V2_500);
    assert.deepEqual(notV2, [], `failures other than v2's 500s: ${show(notV2)}`);
    const v2 = v2Answers(sentBefore(load.samples, rolledBackAt));
    assert.ok(v2.failed >= 1, 'v2 answered 500s during the rollout');
    assertEveryFifth(v2);
    const afterRollback = sentFrom(load.samples, rolledBackAt);
    assert.deepEqual(afterRollback.filter((s) => s.version !== '1'), [], 'after the rollback completed every answer is v1 and none failed');

    const firstV2Failure = failures.reduce((m, s) => Math.min(m, s.answered), Infinity);
    t.diagnostic(`rolling: v2 answered ${v2.n} requests during the rollout, ${v2.failed} of them 500 (${(100 * v2.share).toFixed(1)}%); ` +
      `UpdateService -> ALARM ${((entered.item.Timestamp!.getTime() - deploymentStart) / 1000).toFixed(1)} s, first 500 -> ALARM ${((entered.item.Timestamp!.getTime() - firstV2Failure) / 1000).toFixed(1)} s; ` +
      `${afterRollback.length} requests after the rollback completed, ${afterRollback.filter((s) => s.error).length} failed; alarm reason: ${entered.reason}`);
  });
});
