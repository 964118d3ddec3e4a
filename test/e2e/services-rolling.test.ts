/**
 * Rolling deployments end to end, on the process driver: a service of 3 rolls from v1 to v2 with
 * minimumHealthyPercent 100 / maximumPercent 200 while every observation keeps 3 healthy tasks; a
 * broken v3 trips the deployment circuit breaker and rolls back to v2; Berth killed with -9
 * mid-rollout finishes the rollout after a restart with no duplicate or orphaned task (counted in
 * DescribeTasks and in the host's processes); desiredCount alone makes no deployment,
 * forceNewDeployment does, a configuration that allows neither a start nor a stop says so; and
 * the waiters (the SDK's and `aws ecs wait`) work against service tasks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  waitUntilServicesStable,
  type ContainerDefinition,
  type Deployment,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { CloudWatchClient, DeleteAlarmsCommand, PutMetricAlarmCommand, SetAlarmStateCommand } from '@aws-sdk/client-cloudwatch';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { httpGetWhenUp, stopEveryTask } from '../fixtures/tasks.js';

const run = promisify(execFile);
const WAIT_MS = 90_000;
/** Every container process of this file carries this argument, so the host's processes can be counted. */
const MARK = `berth-rolling-${randomBytes(6).toString('hex')}`;
/** A container that answers every request with its pid and its VERSION, on $PORT. */
const SERVER = `require('http').createServer((q,s)=>s.end(process.pid+' '+process.env.VERSION)).listen(Number(process.env.PORT))`;
/** The container health check: a real HTTP probe of the server from inside its environment. */
const PROBE = `require('http').get('http://127.0.0.1:'+process.env.PORT+'/',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))`;
// Short interval for a fast test; a generous timeout and 3 retries so a loaded machine does not turn a task UNHEALTHY.
const HEALTH_CHECK = { command: ['CMD', process.execPath, '-e', PROBE], interval: 5, timeout: 10, retries: 3 };

interface Observation {
  at: number;
  service: Service;
  /** Every task of the service DescribeTasks knows, STOPPED ones included. */
  tasks: Task[];
}

const isLive = (t: Task) => t.lastStatus !== 'STOPPED';
/** Counted toward minimumHealthyPercent as ECS counts a task with a container health check: RUNNING, meant to keep running, HEALTHY. */
const isHealthy = (t: Task) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.healthStatus === 'HEALTHY';
/** The looser reading: RUNNING and not UNHEALTHY, whatever the scheduler intends. */
const isNotUnhealthy = (t: Task) => t.lastStatus === 'RUNNING' && t.healthStatus !== 'UNHEALTHY';
const revisionOf = (t: Task) => Number(t.taskDefinitionArn!.slice(t.taskDefinitionArn!.lastIndexOf(':') + 1));
const primaryOf = (s: Service) => s.deployments!.find((d) => d.status === 'PRIMARY')!;

/** Pids of this file's container processes running on the host now (the server's own node process). */
function containerPids(): Set<number> {
  const pids = new Set<number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const argv = cmdline.split('\0');
    if (argv.includes(MARK) && argv.includes(SERVER)) pids.add(Number(entry));
  }
  return pids;
}

describe('rolling deployments (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  const cluster = 'svc-roll';
  const service = 'web';
  const arnOf: Record<number, string> = {};

  const describeService = async (name = service): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0];
  /** Polls DescribeServices until `done` holds (bounded); throws with the last answer otherwise. */
  const waitForService = async (done: (s: Service) => boolean, name = service): Promise<Service> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const s = await describeService(name);
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`service ${name} did not reach the awaited state; last: ${JSON.stringify(s, null, 1)}`);
      await sleep(200);
    }
  };
  const listTasks = async (desiredStatus: 'RUNNING' | 'STOPPED', name = service): Promise<string[]> =>
    (await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus, maxResults: 100 }))).taskArns ?? [];
  /** One observation: the service, then every task of it (desired RUNNING or STOPPED) in one DescribeTasks call. */
  const observe = async (name = service): Promise<Observation> => {
    const service = await describeService(name);
    // A task may move from the first list to the second between the two calls: count it once.
    const arns = [...new Set([...(await listTasks('RUNNING', name)), ...(await listTasks('STOPPED', name))])];
    const tasks = arns.length ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? []) : [];
    return { at: Date.now(), service, tasks };
  };
  /** Observes without pause until stopped, checking `check` at every observation; resolves with every observation. */
  const watch = (check: (o: Observation) => string | undefined, whileBerthRestarts = false) => {
    const seen: Observation[] = [];
    const violations: string[] = [];
    let stopping = false;
    const loop = (async () => {
      while (!stopping) {
        let o: Observation;
        try {
          o = await observe();
        } catch (err) {
          // While Berth is down (killed and restarting) there is nothing to observe.
          if (!whileBerthRestarts) throw err;
          await sleep(100);
          continue;
        }
        seen.push(o);
        const problem = check(o);
        if (problem) violations.push(`${problem}; tasks: ${JSON.stringify(o.tasks.filter(isLive).map((t) => [t.taskArn!.slice(-8), revisionOf(t), t.lastStatus, t.desiredStatus, t.healthStatus]))}`);
        await sleep(50);
      }
    })();
    return {
      async stop(): Promise<{ seen: Observation[]; violations: string[] }> {
        stopping = true;
        await loop;
        return { seen, violations };
      },
    };
  };
  /** The rolling-update invariant at one observation, for a service of 3 with min 100 / max 200. */
  const rollingInvariant = (o: Observation): string | undefined => {
    const live = o.tasks.filter(isLive).length;
    const healthy = o.tasks.filter(isHealthy).length;
    const notUnhealthy = o.tasks.filter(isNotUnhealthy).length;
    if (healthy < 3) return `only ${healthy} RUNNING+HEALTHY tasks meant to keep running (minimumHealthyPercent 100 of 3)`;
    if (notUnhealthy < 3) return `only ${notUnhealthy} RUNNING tasks not UNHEALTHY`;
    if (live > 6) return `${live} live tasks (maximumPercent 200 of 3 allows 6)`;
    return undefined;
  };
  const eventMessages = (s: Service, since: Set<string>) => s.events!.filter((e) => !since.has(e.id!)).map((e) => e.message!);
  const eventIds = (s: Service) => new Set(s.events!.map((e) => e.id!));
  /** The sum of the task counts events matching `re` (its first group) report. */
  const count = (messages: string[], re: RegExp) => messages.map((m) => re.exec(m)).reduce((n, m) => n + (m ? Number(m[1]) : 0), 0);
  /** Runs the AWS CLI v2 against this Berth (Debian's build does not read AWS_ENDPOINT_URL). */
  const aws = (args: string[]) => run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: WAIT_MS });
  /** Waits with the SDK's waiter and with `aws ecs wait services-stable` (when the AWS CLI v2 is installed). */
  const waitStable = async (name = service) => {
    const result = await waitUntilServicesStable({ client: ecs, maxWaitTime: WAIT_MS / 1000, minDelay: 1, maxDelay: 2 }, { cluster, services: [name] });
    assert.equal(result.state, 'SUCCESS', JSON.stringify(result.reason));
    if (existsSync(AWS_CLI_V2)) {
      await aws(['ecs', 'wait', 'services-stable', '--cluster', cluster, '--services', name]);
    }
  };
  /** The PRIMARY has rolled out: it alone is listed, COMPLETED, with `count` RUNNING HEALTHY tasks of `revision`. */
  const rolledOut = (revision: number, count = 3, name = service) => async () => {
    let last: Observation | undefined;
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      last = await observe(name);
      const s = last.service;
      const live = last.tasks.filter(isLive);
      if (
        s.deployments!.length === 1 &&
        primaryOf(s).rolloutState === 'COMPLETED' &&
        live.length === count &&
        live.every((t) => isHealthy(t) && revisionOf(t) === revision && t.startedBy === primaryOf(s).id)
      ) {
        return last;
      }
      if (Date.now() > deadline) throw new Error(`rollout to revision ${revision} did not complete; last: ${JSON.stringify(last, null, 1)}`);
      await sleep(200);
    }
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-svc-roll-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    const server = (version: string): ContainerDefinition => ({
      name: 'web',
      image: 'host',
      essential: true,
      memory: 128,
      command: [process.execPath, '-e', SERVER, MARK],
      environment: [{ name: 'VERSION', value: version }],
      portMappings: [{ containerPort: 8080 }],
      healthCheck: HEALTH_CHECK,
      stopTimeout: 2,
    });
    // v3 is broken: its essential container exits at once.
    const broken: ContainerDefinition = { name: 'web', image: 'host', essential: true, memory: 128, command: ['sh', '-c', 'exit 3'], healthCheck: HEALTH_CHECK, stopTimeout: 2 };
    // v5 serves, but its health check always fails.
    const sick: ContainerDefinition = { ...server('5'), healthCheck: { command: ['CMD-SHELL', 'exit 1'], interval: 5, timeout: 2, retries: 1 } };
    for (const [revision, container] of [[1, server('1')], [2, server('2')], [3, broken], [4, server('4')], [5, sick]] as const) {
      const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'roll', networkMode: 'bridge', containerDefinitions: [container] }));
      assert.equal(td.taskDefinition!.revision, revision);
      arnOf[revision] = td.taskDefinition!.taskDefinitionArn!;
    }
  });

  after(async () => {
    const running = () => berth !== undefined && berth.process.exitCode === null && berth.process.signalCode === null;
    if (berth && !running()) {
      // A test failed while Berth was down (killed, or a restart that did not come up): print why,
      // and bring it back on the same data dir so that it stops what still runs.
      process.stderr.write(`Berth is not running (${berth.process.exitCode ?? berth.process.signalCode}):\n${berth.output()}\n`);
      await berth.cleanup();
      const again = await startBerthProcess({ dataDir }).catch(() => undefined);
      if (again) {
        berth = again;
        ecs = berth.ecs();
      }
    }
    if (running()) {
      for (const name of [service, 'stall']) {
        await ecs.send(new DeleteServiceCommand({ cluster, service: name, force: true })).catch(() => undefined);
        await waitForService((s) => s.status === 'INACTIVE', name).catch(() => undefined);
      }
      await stopEveryTask(ecs, cluster);
    }
    await berth?.cleanup();
    // Last resort: a container process of this file that outlived all of the above.
    for (const pid of containerPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('rolls v1 out to v2 with min 100 / max 200, never below 3 healthy nor above 6 tasks', async () => {
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: arnOf[1],
        desiredCount: 3,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      }),
    );
    await waitStable();
    const v1 = await rolledOut(1)();
    const v1Deployment = primaryOf(v1.service).id!;
    const before = eventIds(v1.service);

    const watcher = watch(rollingInvariant);
    const { service: updated } = await ecs.send(
      new UpdateServiceCommand({ cluster, service, taskDefinition: arnOf[2], deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 } }),
    );
    const v2Deployment = primaryOf(updated!).id!;
    assert.notEqual(v2Deployment, v1Deployment);
    assert.equal(primaryOf(updated!).rolloutState, 'IN_PROGRESS');
    assert.equal(primaryOf(updated!).rolloutStateReason, `ECS deployment ${v2Deployment} in progress.`);
    assert.deepEqual(
      updated!.deployments!.map((d) => [d.id, d.status]),
      [
        [v2Deployment, 'PRIMARY'],
        [v1Deployment, 'ACTIVE'],
      ],
    );
    let done: Observation;
    try {
      done = await rolledOut(2)();
    } finally {
      const { seen, violations } = await watcher.stop();
      assert.deepEqual(violations, [], `the rollout broke min 100 / max 200 at ${violations.length} of ${seen.length} observations`);
      assert.ok(seen.length >= 5, `only ${seen.length} observations during the rollout`);
      // The watcher saw the rollout itself: both revisions' tasks live at once at some point.
      assert.ok(seen.some((o) => new Set(o.tasks.filter(isLive).map(revisionOf)).size === 2), 'no observation caught v1 and v2 tasks side by side');
    }
    await waitStable();
    // "steady state" follows "deployment completed" in the same round or, when that round counted the last old tasks stopping, the next.
    const s = await waitForService((x) => x.events![0].message === '(service web) has reached a steady state.');
    const primary = primaryOf(s);
    assert.equal(primary.id, v2Deployment);
    assert.equal(primary.taskDefinition, arnOf[2]);
    assert.equal(primary.rolloutStateReason, `ECS deployment ${v2Deployment} completed.`);
    assert.deepEqual([primary.runningCount, primary.pendingCount, primary.desiredCount, primary.failedTasks], [3, 0, 3, 0]);
    assert.ok(!s.deployments!.some((d) => d.id === v1Deployment), 'the v1 deployment is gone');
    assert.equal(done.tasks.filter(isLive).length, 3);
    for (const t of done.tasks.filter((x) => x.startedBy === v1Deployment)) {
      assert.equal(t.lastStatus, 'STOPPED');
      assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
      assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${v2Deployment})`);
    }
    // Each live task serves v2.
    for (const t of done.tasks.filter(isLive)) {
      const body = await httpGetWhenUp(`http://127.0.0.1:${t.containers![0].networkBindings![0].hostPort}/`);
      assert.match(body, /^\d+ 2$/);
    }
    const messages = eventMessages(s, before);
    assert.equal(count(messages, /^\(service web\) has started (\d+) tasks: (?:\(task [0-9a-f]{32}\) ?)+\.$/), 3, messages.join('\n'));
    assert.equal(count(messages, /^\(service web\) has stopped (\d+) running tasks: (?:\(task [0-9a-f]{32}\) ?)+\.$/), 3, messages.join('\n'));
    assert.ok(!messages.some((m) => m.includes('was unable to stop or start tasks')), messages.join('\n'));
    assert.ok(messages.includes(`(service web) (deployment ${v2Deployment}) deployment completed.`), messages.join('\n'));
  });

  it('fails a broken v3 with the circuit breaker and rolls back to v2, v2 staying healthy throughout', async () => {
    const start = await observe();
    const v2Deployment = primaryOf(start.service).id!;
    const before = eventIds(start.service);
    const watcher = watch(rollingInvariant);
    const { service: updated } = await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service,
        taskDefinition: arnOf[3],
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const v3Deployment = primaryOf(updated!).id!;
    let seen: Observation[];
    try {
      await rolledOut(2)();
    } finally {
      const result = await watcher.stop();
      seen = result.seen;
      assert.deepEqual(result.violations, [], `v2 dropped below 3 healthy (or above 6 tasks) at ${result.violations.length} of ${seen.length} observations`);
    }
    // What the watcher saw of the failed deployment: FAILED, with ECS's reason, and its failed tasks counted.
    const failedViews = seen.flatMap((o) => o.service.deployments!.filter((d) => d.id === v3Deployment && d.rolloutState === 'FAILED'));
    assert.ok(failedViews.length > 0, 'no observation showed the v3 deployment FAILED');
    const failed: Deployment = failedViews[failedViews.length - 1];
    assert.equal(failed.taskDefinition, arnOf[3]);
    assert.equal(failed.status, 'ACTIVE', 'the rollback made a new PRIMARY; the failed deployment drains');
    assert.equal(failed.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
    assert.ok(failed.failedTasks! >= 3, `failedTasks ${failed.failedTasks} (threshold 3 for 3 desired)`);
    const rollbackViews = seen.flatMap((o) => o.service.deployments!.filter((d) => d.status === 'PRIMARY' && d.id !== v3Deployment && d.id !== v2Deployment));
    assert.ok(rollbackViews.length > 0, 'no observation showed the rollback deployment');
    const rollback = rollbackViews[0];
    assert.equal(rollback.taskDefinition, arnOf[2]);
    assert.equal(rollback.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${v2Deployment}.`);

    const s = await waitForService((x) => x.events![0].message === '(service web) has reached a steady state.');
    const primary = primaryOf(s);
    assert.equal(primary.id, rollback.id);
    assert.equal(primary.rolloutState, 'COMPLETED');
    assert.equal(s.taskDefinition, arnOf[2], "the service's task definition is v2 again");
    // At least the threshold's worth of v3 tasks failed on their own (a v3 task still starting when
    // the breaker tripped is drained by the scheduler); none is left.
    const v3Tasks = (await observe()).tasks.filter((t) => t.startedBy === v3Deployment);
    assert.ok(v3Tasks.every((t) => t.lastStatus === 'STOPPED'), JSON.stringify(v3Tasks.map((t) => [t.lastStatus, t.stopCode])));
    const exited = v3Tasks.filter((t) => t.stopCode === 'EssentialContainerExited');
    assert.ok(exited.length >= 3, `${exited.length} v3 tasks stopped on their own: ${JSON.stringify(v3Tasks.map((t) => [t.stopCode, t.stoppedReason]))}`);
    for (const t of exited) {
      assert.equal(t.stoppedReason, 'Essential container in task exited');
      assert.equal(t.containers![0].exitCode, 3);
    }
    const messages = eventMessages(s, before);
    const failedAt = messages.indexOf(`(service web) (deployment ${v3Deployment}) deployment failed: tasks failed to start.`);
    const rollingBackAt = messages.indexOf(`(service web) rolling back to deployment ${v2Deployment}.`);
    assert.ok(failedAt >= 0 && rollingBackAt >= 0 && rollingBackAt < failedAt, `events newest first: ${messages.join('\n')}`);
    assert.ok(messages.includes(`(service web) (deployment ${rollback.id}) deployment completed.`), messages.join('\n'));
    await waitStable();
  });

  it('fails a rollout whose deployment alarm enters ALARM, and rolls back to v2 (deploymentConfiguration.alarms)', async () => {
    const cloudwatch = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const AlarmName = 'roll-cpu-high';
    try {
      // Period 10: the rollback deployment bakes (alarm window + one period) 20 s, not 2 minutes;
      // 'ignore' keeps the ALARM SetAlarmState gives while no datapoint falls in the window.
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName, Namespace: 'AWS/ECS', MetricName: 'CPUUtilization', Dimensions: [{ Name: 'ClusterName', Value: cluster }, { Name: 'ServiceName', Value: service }],
          Statistic: 'Average', Period: 10, EvaluationPeriods: 1, Threshold: 90, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'ignore',
        }),
      );
      const start = await observe();
      const v2Deployment = primaryOf(start.service).id!;
      assert.equal(start.service.taskDefinition, arnOf[2], 'the circuit breaker test left v2');
      const { service: updated } = await ecs.send(
        new UpdateServiceCommand({
          cluster,
          service,
          taskDefinition: arnOf[4],
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false }, alarms: { alarmNames: [AlarmName], enable: true, rollback: true } },
        }),
      );
      const v4Deployment = primaryOf(updated!).id!;
      await cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: 'ALARM', StateReason: 'v4 is too hot (test)' }));
      const s = await waitForService((x) => x.deployments!.some((d) => d.status === 'PRIMARY' && d.id !== v4Deployment && d.id !== v2Deployment));
      const failed = s.deployments!.find((d) => d.id === v4Deployment)!;
      assert.equal(failed.rolloutState, 'FAILED');
      assert.equal(failed.rolloutStateReason, `ECS deployment alarm(s) in ALARM: ${AlarmName}.`);
      const rollback = primaryOf(s);
      assert.equal(rollback.taskDefinition, arnOf[2]);
      assert.equal(rollback.rolloutStateReason, `ECS deployment alarm(s) in ALARM: ${AlarmName}. Rolling back to deploymentId ${v2Deployment}.`);
      assert.ok(s.events!.some((e) => e.message === `(service web) (deployment ${v4Deployment}) deployment failed: alarm detected.`), JSON.stringify(s.events!.slice(0, 5)));
      await rolledOut(2)();
    } finally {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [AlarmName] })).catch(() => undefined);
      cloudwatch.destroy();
    }
  });

  it('finishes a rollout interrupted by kill -9 of Berth: no duplicate, no orphan', async () => {
    const start = await observe();
    const deploymentsSeen = new Set(start.service.deployments!.map((d) => d.id!));
    for (const t of start.tasks) deploymentsSeen.add(t.startedBy!);
    // maximumPercent 150 of 3 = 4 tasks: one new task at a time, so a kill lands between batches.
    const { service: updated } = await ecs.send(
      new UpdateServiceCommand({ cluster, service, taskDefinition: arnOf[4], deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 150 } }),
    );
    const v4Deployment = primaryOf(updated!).id!;
    deploymentsSeen.add(v4Deployment);
    // Through the kill and the restart: never fewer than 3 RUNNING tasks meant to keep running and
    // not UNHEALTHY, never more than 4 live. (Health reads UNKNOWN for a while after the restart:
    // the checks start over; the scheduler must not take that for tasks that are not healthy yet.)
    const watcher = watch((o) => {
      const serving = o.tasks.filter((t) => t.lastStatus === 'RUNNING' && t.desiredStatus === 'RUNNING' && t.healthStatus !== 'UNHEALTHY').length;
      const live = o.tasks.filter(isLive).length;
      if (serving < 3) return `only ${serving} RUNNING tasks meant to keep running (minimumHealthyPercent 100 of 3)`;
      if (live > 4) return `${live} live tasks (maximumPercent 150 of 3 allows 4)`;
      return undefined;
    }, true);
    // Wait until some, not all, v4 tasks run.
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const o = await observe();
      const v4Running = o.tasks.filter((t) => t.startedBy === v4Deployment && t.lastStatus === 'RUNNING').length;
      assert.ok(o.tasks.filter(isLive).length <= 4, 'maximumPercent 150 of 3 allows 4 tasks');
      if (v4Running >= 1 && v4Running < 3) break;
      assert.ok(v4Running < 3 && Date.now() < deadline, `no observation between 1 and 2 RUNNING v4 tasks: ${JSON.stringify(o, null, 1)}`);
      await sleep(100);
    }
    await berth.kill9();
    ecs.destroy();
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();

    let done: Observation;
    try {
      done = await rolledOut(4)();
    } finally {
      const { seen, violations } = await watcher.stop();
      assert.deepEqual(violations, [], `the interrupted rollout broke min 100 / max 150 at ${violations.length} of ${seen.length} observations`);
    }
    assert.equal(primaryOf(done.service).id, v4Deployment, 'the same deployment carried on');
    const live = done.tasks.filter(isLive);
    assert.equal(live.length, 3);
    // No orphan: every task of the service was started by one of its deployments, and the cluster has no other task of its group.
    for (const t of done.tasks) {
      assert.ok(deploymentsSeen.has(t.startedBy!), `task ${t.taskArn} started by ${t.startedBy}, not a deployment of the service`);
      assert.equal(t.group, `service:${service}`);
    }
    const clusterTasks = [
      ...((await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'RUNNING' }))).taskArns ?? []),
      ...((await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'STOPPED' }))).taskArns ?? []),
    ];
    assert.deepEqual(new Set(clusterTasks), new Set(done.tasks.map((t) => t.taskArn!)), 'every task in the cluster belongs to the service');
    // No duplicate: the host runs exactly one container process per RUNNING task, none for a STOPPED one.
    const expected = new Set<number>();
    for (const t of live) {
      const [pid, version] = (await httpGetWhenUp(`http://127.0.0.1:${t.containers![0].networkBindings![0].hostPort}/`)).split(' ');
      assert.equal(version, '4');
      expected.add(Number(pid));
    }
    assert.equal(expected.size, 3);
    let pids = containerPids();
    for (const until = Date.now() + 30_000; pids.size !== 3 && Date.now() < until; pids = containerPids()) await sleep(200);
    assert.deepEqual([...pids].sort(), [...expected].sort(), 'container processes on the host are exactly those of the RUNNING tasks');
  });

  it('scales on desiredCount alone without a deployment; the task waiters see service tasks', async () => {
    const start = await observe();
    const deployment = primaryOf(start.service).id!;
    const before = new Set(start.tasks.filter(isLive).map((t) => t.taskArn!));
    const { service: up } = await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 4 }));
    assert.deepEqual(
      up!.deployments!.map((d) => [d.id, d.status, d.desiredCount]),
      [[deployment, 'PRIMARY', 4]],
      'desiredCount alone starts no deployment',
    );
    const grown = await rolledOut(4, 4)();
    const added = grown.tasks.filter(isLive).map((t) => t.taskArn!).filter((a) => !before.has(a));
    assert.equal(added.length, 1);
    if (existsSync(AWS_CLI_V2)) {
      await aws(['ecs', 'wait', 'tasks-running', '--cluster', cluster, '--tasks', added[0]]);
    }
    await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 3 }));
    const shrunk = await rolledOut(4, 3)();
    assert.equal(primaryOf(shrunk.service).id, deployment);
    const gone = grown.tasks.filter(isLive).map((t) => t.taskArn!).filter((a) => !shrunk.tasks.some((t) => t.taskArn === a && isLive(t)));
    assert.equal(gone.length, 1);
    if (existsSync(AWS_CLI_V2)) {
      await aws(['ecs', 'wait', 'tasks-stopped', '--cluster', cluster, '--tasks', gone[0]]);
    }
    const stopped = shrunk.tasks.find((t) => t.taskArn === gone[0]) ?? (await observe()).tasks.find((t) => t.taskArn === gone[0])!;
    assert.equal(stopped.stoppedReason, `Scaling activity initiated by (deployment ${deployment})`);
  });

  it('starts a deployment on forceNewDeployment, of the same task definition', async () => {
    const start = await observe();
    const old = primaryOf(start.service).id!;
    const { service: forced } = await ecs.send(new UpdateServiceCommand({ cluster, service, forceNewDeployment: true }));
    const next = primaryOf(forced!);
    assert.notEqual(next.id, old);
    assert.equal(next.taskDefinition, arnOf[4]);
    assert.deepEqual(
      forced!.deployments!.map((d) => [d.id, d.status]),
      [
        [next.id, 'PRIMARY'],
        [old, 'ACTIVE'],
      ],
    );
    const done = await rolledOut(4)();
    assert.equal(primaryOf(done.service).id, next.id);
    assert.ok(done.tasks.filter(isLive).every((t) => t.startedBy === next.id && !start.tasks.some((x) => x.taskArn === t.taskArn)), 'every task was replaced');
    // maximumPercent 150 (kept from the previous update) replaces one task at a time: never a stall.
    const messages = eventMessages(done.service, eventIds(start.service));
    // Three starts, one per replaced task, plus one for any new task that stopped on its own.
    const ownStops = done.tasks.filter((t) => t.startedBy === next.id && t.lastStatus === 'STOPPED');
    assert.ok(ownStops.every((t) => t.stopCode !== 'ServiceSchedulerInitiated'), 'the scheduler stopped none of its own new tasks');
    const why = JSON.stringify(ownStops.map((t) => [t.stopCode, t.stoppedReason, t.containers?.[0]?.reason]));
    assert.equal(count(messages, /^\(service web\) has started (\d+) tasks: /), 3 + ownStops.length, `${messages.join('\n')}\nnew tasks that stopped on their own: ${why}`);
    assert.ok(!messages.some((m) => m.includes('was unable to stop or start tasks')), messages.join('\n'));
  });

  it('says so when min 100 / max 100 allows neither a start nor a stop', async () => {
    const name = 'stall';
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: name,
        taskDefinition: arnOf[1],
        desiredCount: 1,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 },
      }),
    );
    await waitStable(name);
    // services-stable only counts RUNNING tasks; the task counts toward minimumHealthyPercent once HEALTHY.
    const first = await rolledOut(1, 1, name)();
    const { service: updated } = await ecs.send(new UpdateServiceCommand({ cluster, service: name, taskDefinition: arnOf[2] }));
    const stallEvent =
      `(service ${name}) was unable to stop or start tasks during a deployment because of the service deployment configuration. ` +
      'Update the minimumHealthyPercent or maximumPercent value and try again.';
    const s = await waitForService((x) => x.events!.some((e) => e.message === stallEvent), name);
    assert.equal(s.deployments!.length, 2);
    assert.equal(primaryOf(s).id, primaryOf(updated!).id);
    const now = await observe(name);
    // Nothing moved: the v1 task still runs and no v2 task was placed.
    assert.deepEqual(
      now.tasks.filter(isLive).map((t) => t.taskArn),
      first.tasks.filter(isLive).map((t) => t.taskArn),
    );
    assert.equal(primaryOf(now.service).runningCount, 0);
  });

  it('replaces tasks failing their health checks, counts them for the circuit breaker and rolls back', async () => {
    const start = await observe();
    const v4Deployment = primaryOf(start.service).id!;
    const before = eventIds(start.service);
    const watcher = watch(rollingInvariant);
    const { service: updated } = await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service,
        taskDefinition: arnOf[5],
        healthCheckGracePeriodSeconds: 0,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200, deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const v5Deployment = primaryOf(updated!).id!;
    let seen: Observation[];
    try {
      await rolledOut(4)();
    } finally {
      const result = await watcher.stop();
      seen = result.seen;
      assert.deepEqual(result.violations, [], `v4 dropped below 3 healthy (or above 6 tasks) at ${result.violations.length} of ${seen.length} observations`);
    }
    const failed = seen.flatMap((o) => o.service.deployments!.filter((d) => d.id === v5Deployment && d.rolloutState === 'FAILED')).pop();
    assert.ok(failed, 'no observation showed the v5 deployment FAILED');
    assert.equal(failed.rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
    assert.ok(failed.failedTasks! >= 3, `failedTasks ${failed.failedTasks}`);
    const s = await waitForService((x) => x.events![0].message === '(service web) has reached a steady state.');
    assert.equal(s.taskDefinition, arnOf[4]);
    const v5Tasks = (await observe()).tasks.filter((t) => t.startedBy === v5Deployment);
    const replaced = v5Tasks.filter((t) => t.stoppedReason === 'Task failed container health checks');
    assert.ok(replaced.length >= 3, JSON.stringify(v5Tasks.map((t) => [t.lastStatus, t.healthStatus, t.stopCode, t.stoppedReason])));
    for (const t of replaced) assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
    const messages = eventMessages(s, before);
    for (const t of replaced) {
      const id = t.taskArn!.slice(t.taskArn!.lastIndexOf('/') + 1);
      assert.ok(messages.includes(`(service web) (task ${id}) failed container health checks.`), messages.join('\n'));
    }
    assert.ok(
      messages.some((m) => /^\(service web\) has started \d+ tasks: (?:\(task [0-9a-f]{32}\) ?)+\. Amazon ECS replaced \d+ tasks due to an unhealthy status\.$/.test(m)),
      messages.join('\n'),
    );
    assert.ok(messages.includes(`(service web) (deployment ${v5Deployment}) deployment failed: tasks failed to start.`), messages.join('\n'));
    assert.ok(messages.includes(`(service web) rolling back to deployment ${v4Deployment}.`), messages.join('\n'));
  });
});
