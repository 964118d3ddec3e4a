/**
 * Service auto scaling under real load, end to end: `berth up --time-scale 60` on the process
 * driver, driven with the AWS SDK v3 (ECS, ELBv2, Application Auto Scaling, CloudWatch).
 *
 * What --time-scale 60 scales here (config/time-scale.ts: a Berth minute lasts a real second, the
 * clock stays real): Berth publishes AWS/ECS and AWS/ApplicationELB metrics every second (high
 * resolution) and samples task CPU every second; the target tracking alarms keep their one-minute
 * Period in DescribeAlarms but are evaluated over 1 s periods each second, so the high alarm (3 of 3
 * minutes) fires after ~3 s above the target and the low one (15 of 15) after ~15 s below 90% of
 * it; cooldowns (60 s here) last 1 s and a policy whose alarm stays in ALARM is re-invoked each
 * second. Not scaled: the target group's health checks (5 s interval, 2 to become healthy), task
 * start and stop, deregistration delay (1 s), and every timestamp.
 *
 * (a) ECSServiceAverageCPUUtilization at 60%: each task is a small node HTTP server whose `/burn`
 *     does a fixed amount of CPU work (PBKDF2, ~10 ms of one core; `/health` is cheap). The task
 *     reserves 256 CPU units, a quarter of a core, and ECS measures CPU against the reservation,
 *     so ~15% of one core is 60%: a bounded load (4 workers pausing 100 ms between requests, at
 *     most a few hundred milliseconds of CPU per second in all) through the ALB takes the one task
 *     far above 60% -> the high alarm goes to ALARM, desiredCount grows (max 3) and the new tasks
 *     run and become healthy in the target group; the load stops -> the tasks idle, the low alarm
 *     goes to ALARM and the service scales back in to 1, a task per activity.
 * (b) ALBRequestCountPerTarget with target 10 (per scaled minute, so 10 requests per real second per
 *     target): ~20-25 cheap requests a second need 2-3 tasks; a trickle of ~3 a second afterwards
 *     (kept so that the metric is still published: the load balancer publishes nothing for an
 *     interval without requests, and a low alarm without data stays INSUFFICIENT_DATA, as on AWS)
 *     lets it scale back in to 1.
 * Both check DescribeScalingActivities: `Setting desired count to N.` caused by `monitor alarm
 * <the policy's high / low alarm> in state ALARM triggered policy <name>`. Nothing asserts timings:
 * every wait polls with a generous bound; the figures (time to scale out and in, CPU seen) are
 * reported as diagnostics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  DescribeScalingActivitiesCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
  type ScalingActivity,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, DescribeAlarmHistoryCommand, DescribeAlarmsCommand, GetMetricStatisticsCommand, type MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, DescribeServicesCommand, RegisterTaskDefinitionCommand, type ECSClient, type Service } from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { freePort, until as untilWithin } from '../fixtures/http.js';
import { runLoad, type LoadResult } from '../fixtures/load.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

/** Every wait's bound: generous, the machine is shared. */
const WAIT_MS = 150_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 250);
/** PBKDF2 iterations per /burn request: ~10 ms of CPU on this kind of machine (a fixed amount of work, so contention slows it but does not change what it costs). */
const BURN_ITERATIONS = 40_000;
/** The app: `/burn` does a fixed amount of CPU work, `/health` and everything else answer at once. */
const APP = `const h=require('http'),c=require('crypto');const n=Number(process.env.BURN_ITERATIONS);h.createServer((q,s)=>{if(q.url==='/burn')c.pbkdf2Sync('berth','salt',n,32,'sha256');s.end('ok')}).listen(Number(process.env.PORT))`;
const HEALTH = { HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 4, HealthyThresholdCount: 2, UnhealthyThresholdCount: 3 };
const CLUSTER = 'autoscale';
const MAX = 3;

describe('service auto scaling under load at --time-scale 60 (process driver)', { timeout: 480_000 }, () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  let aas: ApplicationAutoScalingClient;
  let cw: CloudWatchClient;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let address = '';
  let loadBalancerArn = '';
  let taskDefinition = '';
  const groups: Record<'cpu' | 'req', { arn: string; port: number }> = { cpu: { arn: '', port: 0 }, req: { arn: '', port: 0 } };
  const services: string[] = [];

  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_TIME_SCALE: '60' } });
    const client = { endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 };
    ecs = berth.ecs();
    elb = new ElasticLoadBalancingV2Client(client);
    aas = new ApplicationAutoScalingClient(client);
    cw = new CloudWatchClient(client);
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER, tags: [{ key: 'berth:driver', value: 'process' }] }));
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'scaling', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    loadBalancerArn = lb.LoadBalancerArn!;
    address = lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    for (const name of ['cpu', 'req'] as const) {
      const arn = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'instance', ...HEALTH }))).TargetGroups![0].TargetGroupArn!;
      await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '1' }] }));
      const port = await freePort(address);
      await elb.send(new CreateListenerCommand({ LoadBalancerArn: loadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: arn }] }));
      groups[name] = { arn, port };
    }
    taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'burner',
          networkMode: 'bridge',
          // A quarter of a core: CPUUtilization is CPU used / this reservation.
          cpu: '256',
          memory: '256',
          containerDefinitions: [
            {
              name: 'app',
              image: 'host',
              essential: true,
              command: [process.execPath, '-e', APP],
              environment: [{ name: 'BURN_ITERATIONS', value: String(BURN_ITERATIONS) }],
              portMappings: [{ containerPort: 8080 }],
              stopTimeout: 2,
            },
          ],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  });

  after(async () => {
    agent.destroy();
    if (berth && berth.process.exitCode === null) await deleteServicesAndDrain(ecs, CLUSTER, services);
    ecs?.destroy();
    elb?.destroy();
    aas?.destroy();
    cw?.destroy();
    await berth?.cleanup();
  });

  const get = (port: number, urlPath: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: address, port, path: urlPath, agent, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  const describeService = async (name: string): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [name] }))).services![0];
  const healthyTargets = async (arn: string) => ((await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? []).filter((d) => d.TargetHealth?.State === 'healthy').length;
  /** The service runs `count` tasks (or more than 1 when `count` is 'many') and the group has that many healthy targets. */
  const settled = async (name: string, group: string, count: number | 'many'): Promise<Service | undefined> => {
    const s = await describeService(name);
    const n = s.desiredCount!;
    if (count === 'many' ? n <= 1 : n !== count) return undefined;
    if (s.runningCount !== n || s.pendingCount !== 0) return undefined;
    return (await healthyTargets(group)) === n ? s : undefined;
  };
  const alarm = async (name: string): Promise<MetricAlarm> => (await cw.send(new DescribeAlarmsCommand({ AlarmNames: [name] }))).MetricAlarms![0];
  const activities = async (resourceId: string): Promise<ScalingActivity[]> => (await aas.send(new DescribeScalingActivitiesCommand({ ServiceNamespace: 'ecs', ResourceId: resourceId }))).ScalingActivities ?? [];
  /** Waits for `name` with one healthy task behind `group`, then makes it scalable 1..MAX with a target tracking policy. */
  const scalableService = async (name: 'cpu' | 'req', policy: object) => {
    services.push(name);
    await ecs.send(
      new CreateServiceCommand({ cluster: CLUSTER, serviceName: name, taskDefinition, desiredCount: 1, loadBalancers: [{ targetGroupArn: groups[name].arn, containerName: 'app', containerPort: 8080 }] }),
    );
    await until(`${name}: one healthy task`, () => settled(name, groups[name].arn, 1));
    const key = { ServiceNamespace: 'ecs' as const, ResourceId: `service/${CLUSTER}/${name}`, ScalableDimension: 'ecs:service:DesiredCount' as const };
    await aas.send(new RegisterScalableTargetCommand({ ...key, MinCapacity: 1, MaxCapacity: MAX }));
    const put = await aas.send(new PutScalingPolicyCommand({ ...key, PolicyName: `${name}-tracking`, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: policy as never }));
    const [high, low] = put.Alarms!.map((a) => a.AlarmName!);
    assert.match(high, /-AlarmHigh-/);
    assert.match(low, /-AlarmLow-/);
    // DescribeAlarms shows AWS's configuration; only Berth's evaluation of it is scaled.
    assert.equal((await alarm(high)).Period, 60);
    return { key, high, low, policyName: `${name}-tracking` };
  };
  /** The activity that set the desired count to `to`, caused by `alarmName`, if any. */
  const activity = (acts: ScalingActivity[], to: number | 'many', alarmName: string, policyName: string) =>
    acts.find(
      (a) =>
        a.StatusCode === 'Successful' &&
        (to === 'many' ? /^Setting desired count to ([2-9]|\d\d+)\.$/.test(a.Description ?? '') : a.Description === `Setting desired count to ${to}.`) &&
        a.Cause === `monitor alarm ${alarmName} in state ALARM triggered policy ${policyName}`,
    );
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  /** Runs `load` until `done` resolves (or the load's own bounds end it), then stops it. */
  const loadUntil = async <T>(load: (signal: AbortSignal) => Promise<LoadResult<number>>, done: () => Promise<T>): Promise<{ value: T; load: LoadResult<number> }> => {
    const abort = new AbortController();
    const running = load(abort.signal);
    try {
      return { value: await done(), load: await (abort.abort(), running) };
    } finally {
      abort.abort();
      await running;
    }
  };

  it('(a) ECSServiceAverageCPUUtilization 60%: CPU-burning load scales out to healthy tasks, and back in to 1 after it stops', async (t) => {
    const { key, high, low, policyName } = await scalableService('cpu', {
      TargetValue: 60,
      PredefinedMetricSpecification: { PredefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      ScaleOutCooldown: 60,
      ScaleInCooldown: 60,
    });
    const started = Date.now();
    // Bounded: at most 90 s and 6,000 requests, and stopped as soon as the scale-out has settled.
    const out = await loadUntil(
      (signal) => runLoad({ send: () => get(groups.cpu.port, '/burn'), concurrency: 4, pauseMs: 100, durationMs: 90_000, count: 6_000, ok: (s) => s === 200, signal }),
      async () => {
        await until('the high CPU alarm to go to ALARM', async () => ((await alarm(high)).StateValue === 'ALARM' ? true : undefined));
        const alarmed = Date.now();
        const s = await until('more than one task, all RUNNING and healthy in the target group', () => settled('cpu', groups.cpu.arn, 'many'));
        return { alarmed, healthy: Date.now(), desired: s.desiredCount! };
      },
    );
    assert.ok(out.value.desired > 1 && out.value.desired <= MAX, `desiredCount ${out.value.desired}`);
    assert.equal(out.load.failures, 0, `requests failed during the scale-out: ${out.load.errors.join('; ')}`);
    const stopped = Date.now();
    // The high alarm's reason names the datapoints it saw (CPU % of the task's 256 units).
    const history = (await cw.send(new DescribeAlarmHistoryCommand({ AlarmName: high, HistoryItemType: 'StateUpdate' }))).AlarmHistoryItems ?? [];
    const toAlarm = history.find((h) => h.HistorySummary?.endsWith('to ALARM'));
    assert.ok(toAlarm, 'the high alarm recorded its transition to ALARM');
    const reason = JSON.parse(toAlarm.HistoryData!).newState.stateReasonData as { recentDatapoints: number[]; period: number };
    assert.equal(reason.period, 60);
    assert.ok(reason.recentDatapoints.some((v) => v > 60), `datapoints above the target: ${reason.recentDatapoints}`);

    await until('the service back at one task, healthy', () => settled('cpu', groups.cpu.arn, 1));
    const scaledIn = Date.now();
    const acts = await activities(key.ResourceId);
    const outActivity = activity(acts, 'many', high, policyName);
    assert.ok(outActivity, `a scale-out caused by ${high}: ${JSON.stringify(acts.map((a) => [a.Description, a.Cause]))}`);
    assert.ok(activity(acts, 1, low, policyName), `a scale-in to 1 caused by ${low}: ${JSON.stringify(acts.map((a) => [a.Description, a.Cause]))}`);
    assert.match(outActivity.StatusMessage ?? '', /^Successfully set desired count to \d+\. Change successfully fulfilled by ecs\.$/);

    const cpu = await cw.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/ECS',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'ClusterName', Value: CLUSTER }, { Name: 'ServiceName', Value: 'cpu' }],
        StartTime: new Date(started - 1000),
        EndTime: new Date(stopped + 1000),
        Period: 1,
        Statistics: ['Average', 'Maximum'],
      }),
    );
    const points = cpu.Datapoints ?? [];
    assert.ok(points.length > 0, 'AWS/ECS CPUUtilization has 1 s datapoints during the load');
    const peak = Math.max(...points.map((p) => p.Average!));
    assert.ok(peak > 60, `the service's average CPU went above the target: peak ${peak}`);
    t.diagnostic(`cpu: ${out.load.total} /burn requests; high alarm in ALARM ${seconds(out.value.alarmed - started)} after the load began; ${out.value.desired} tasks healthy at ${seconds(out.value.healthy - started)}; back to 1 task ${seconds(scaledIn - stopped)} after the load stopped`);
    t.diagnostic(`cpu: service CPUUtilization during the load, 1 s averages: peak ${peak.toFixed(0)}%, mean ${(points.reduce((a, p) => a + p.Average!, 0) / points.length).toFixed(0)}% over ${points.length} s (of 256 reserved units)`);
    t.diagnostic(`cpu: activities, oldest first: ${acts.map((a) => a.Description).reverse().join(' | ')}`);
    await aas.send(new DeregisterScalableTargetCommand(key));
    await deleteServicesAndDrain(ecs, CLUSTER, ['cpu']);
  });

  it('(b) ALBRequestCountPerTarget 10 per scaled minute: a request rate needing 2-3 tasks scales out, a trickle scales back in to 1', async (t) => {
    const lbLabel = loadBalancerArn.slice(loadBalancerArn.indexOf('loadbalancer/') + 'loadbalancer/'.length);
    const tgLabel = groups.req.arn.slice(groups.req.arn.indexOf('targetgroup/'));
    const { key, high, low, policyName } = await scalableService('req', {
      TargetValue: 10,
      PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget', ResourceLabel: `${lbLabel}/${tgLabel}` },
      ScaleOutCooldown: 60,
      ScaleInCooldown: 60,
    });
    const started = Date.now();
    // ~20-25 requests a second (4 workers, 150 ms apart), bounded by 90 s and 4,000 requests.
    const out = await loadUntil(
      (signal) => runLoad({ send: () => get(groups.req.port, '/'), concurrency: 4, pauseMs: 150, durationMs: 90_000, count: 4_000, ok: (s) => s === 200, signal }),
      async () => {
        await until('the high request-count alarm to go to ALARM', async () => ((await alarm(high)).StateValue === 'ALARM' ? true : undefined));
        const alarmed = Date.now();
        const s = await until('more than one task, all RUNNING and healthy in the target group', () => settled('req', groups.req.arn, 'many'));
        return { alarmed, healthy: Date.now(), desired: s.desiredCount! };
      },
    );
    assert.ok(out.value.desired > 1 && out.value.desired <= MAX, `desiredCount ${out.value.desired}`);
    assert.equal(out.load.failures, 0, `requests failed during the scale-out: ${out.load.errors.join('; ')}`);
    const rate = out.load.total / (out.load.elapsedMs / 1000);
    const stopped = Date.now();
    // A trickle (one worker, ~3 a second: under 9 per target even on one task) keeps the metric published.
    const back = await loadUntil(
      (signal) => runLoad({ send: () => get(groups.req.port, '/'), concurrency: 1, pauseMs: 300, durationMs: WAIT_MS, count: 2_000, ok: (s) => s === 200, signal }),
      () => until('the service back at one task, healthy', () => settled('req', groups.req.arn, 1)),
    );
    assert.equal(back.load.failures, 0, `requests failed during the scale-in: ${back.load.errors.join('; ')}`);
    const scaledIn = Date.now();
    const acts = await activities(key.ResourceId);
    assert.ok(activity(acts, 'many', high, policyName), `a scale-out caused by ${high}: ${JSON.stringify(acts.map((a) => [a.Description, a.Cause]))}`);
    assert.ok(activity(acts, 1, low, policyName), `a scale-in to 1 caused by ${low}: ${JSON.stringify(acts.map((a) => [a.Description, a.Cause]))}`);
    const reason = JSON.parse((await alarm(low)).StateReasonData ?? '{}') as { recentDatapoints?: number[] };
    t.diagnostic(`req: ${rate.toFixed(1)} requests/s during the load; high alarm in ALARM ${seconds(out.value.alarmed - started)} after it began; ${out.value.desired} tasks healthy at ${seconds(out.value.healthy - started)}; back to 1 task ${seconds(scaledIn - stopped)} after the load dropped to ${(back.load.total / (back.load.elapsedMs / 1000)).toFixed(1)}/s`);
    t.diagnostic(`req: low alarm datapoints (requests per target per second): ${(reason.recentDatapoints ?? []).map((v) => v.toFixed(1)).join(', ')}`);
    t.diagnostic(`req: activities, oldest first: ${acts.map((a) => a.Description).reverse().join(' | ')}`);
    await aas.send(new DeregisterScalableTargetCommand(key));
  });
});
