/**
 * CodeDeploy blue/green traffic shifting end to end on one Berth (time scale 60: a deployment
 * minute lasts a second) and one layout (test/fixtures/blue-green.ts), each deployment under a
 * steady load through the production listener that must not lose a single request, from before
 * CreateDeployment until the original task set's tasks have drained and stopped:
 * - AllAtOnce with all five hooks (order, payload, the test listener on the replacement before
 *   production, the API's view: GetDeployment, GetDeploymentGroup, the deployment target);
 * - a second deployment, driven by the AWS CLI v2, goes the other way round (GREEN back to BLUE);
 * - ECSCanary10Percent5Minutes (followed live by `berth deployments watch`),
 *   ECSLinear10PercentEvery1Minutes and a custom TimeBasedCanary: the share of the new version
 *   through the production listener follows each step of the config.
 *
 * Shares are measured per step: the fixture's weight watcher brackets each change of the
 * listener's weights between two polls; a window starts a margin after the poll that saw a change
 * and ends a margin before the poll that saw the next, so every sample in it went through one set
 * of weights. See {@link shareTolerance} for the tolerance.
 */
import { after, before, describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateDeploymentConfigCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  ListDeploymentTargetsCommand,
  ListDeploymentsCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { DescribeTasksCommand, DescribeTaskSetsCommand, ListTasksCommand, type TaskSet } from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, BERTH_BIN } from '../fixtures/berth.js';
import { until as untilWithin } from '../fixtures/http.js';
import type { LoadResult } from '../fixtures/load.js';
import {
  HOOK_EVENTS,
  appSpec,
  createBlueGreen,
  listenerWeights,
  percentOf,
  shareOf,
  shareTolerance,
  type BlueGreen,
  type Sample,
  type WeightsAt,
} from '../fixtures/blue-green.js';

const run = promisify(execFile);
const WAIT_MS = 180_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 250);
/** CodeDeploy's ECS lifecycle, in AWS's order, as the deployment target lists it. */
const LIFECYCLE = ['BeforeInstall', 'Install', 'AfterInstall', 'AllowTestTraffic', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic'];
/**
 * Margin (ms) kept off each end of a constant-weights window: the poll that saw the change taking
 * a call, the data plane taking its new snapshot, and requests in flight when the weights changed
 * (a request takes a few ms to tens of ms on a busy machine).
 */
const MARGIN_MS = 200;
/** How often the production listener's weights are polled (ms). */
const POLL_MS = 50;
/**
 * Fewest samples a step window must have for its own share to be checked (below that the
 * tolerance says little); the pooled check covers every window whatever its size.
 */
const MIN_WINDOW = 30;

/** One deployment run under load. */
interface Run {
  id: string;
  info: DeploymentInfo;
  /** The target group production was on before, and the other one (the replacement's). */
  original: { taskSet: TaskSet; color: 'blue' | 'green'; targetGroupArn: string };
  replacementTg: string;
  samples: Sample[];
  tally: LoadResult<string>;
  /** The production listener's weights, each change as the watcher saw it. */
  weights: WeightsAt[];
  /** The version deployed. */
  version: string;
}

/** A constant-weights window and the share the new version got in it. */
interface Step {
  percent: number;
  from: number;
  to: number;
  share: number;
  n: number;
  hits: number;
}

describe('CodeDeploy blue/green traffic shifting under load (AllAtOnce, canary, linear, custom; hooks; swap)', () => {
  let bg: BlueGreen;
  let version = 1;
  /** `berth deployments watch` processes, killed in `after` should a test fail before they end. */
  const watchers: ChildProcess[] = [];

  before(async () => {
    bg = await createBlueGreen();
  });
  after(async () => {
    for (const w of watchers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await bg?.cleanup();
  });

  const target = async (id: string): Promise<ECSTarget> => {
    const { targetIds } = await bg.codedeploy.send(new ListDeploymentTargetsCommand({ deploymentId: id }));
    assert.deepEqual(targetIds, [`${bg.cluster}:${bg.service}`], 'the deployment has one ECS target, <cluster>:<service>');
    const got = (await bg.codedeploy.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: targetIds![0] }))).deploymentTarget!;
    assert.equal(got.deploymentTargetType, 'ECSTarget');
    return got.ecsTarget!;
  };
  const taskSetsOf = async (): Promise<TaskSet[]> => (await bg.ecs.send(new DescribeTaskSetsCommand({ cluster: bg.cluster, service: bg.service }))).taskSets ?? [];
  const runningTasks = async () => (await bg.ecs.send(new ListTasksCommand({ cluster: bg.cluster, serviceName: bg.service, desiredStatus: 'RUNNING' }))).taskArns ?? [];

  /**
   * Settles the layout, starts the load and the weight watcher, starts a deployment of the next
   * version with `start`, waits until it Succeeded (with `wait`, default GetDeployment polling),
   * then until the original task set is gone and only the replacement's tasks run, and stops the
   * load; asserts that no request failed.
   */
  const deployUnderLoad = async (
    t: TestContext,
    start: (taskDefinitionArn: string, version: string) => Promise<string>,
    wait: (id: string) => Promise<unknown> = (id) => bg.waitForStatus(id, 'Succeeded', WAIT_MS),
  ): Promise<Run> => {
    // Normally nothing is live here; after a failed test, its deployment is stopped and rolled back.
    const original = await bg.settle({ stopLive: true });
    const originalTasks = await runningTasks();
    const v = String(++version);
    const td = await bg.taskDefinition(v);
    const load = bg.prodLoad();
    const watcher = bg.watchProdWeights(POLL_MS);
    let id = '';
    let tally: LoadResult<string>;
    try {
      await until('the load under way', async () => (load.samples.length >= 50 ? true : undefined));
      id = await start(td, v);
      assert.match(id, /^d-[A-Z0-9]{9}$/);
      await wait(id);
      await until("the original task set gone, its tasks stopped, only the replacement's running", async () => {
        const sets = await taskSetsOf();
        if (sets.length !== 1 || sets[0].externalId !== id || (await runningTasks()).length !== 2) return undefined;
        const old = (await bg.ecs.send(new DescribeTasksCommand({ cluster: bg.cluster, tasks: originalTasks }))).tasks ?? [];
        return old.length === originalTasks.length && old.every((task) => task.lastStatus === 'STOPPED') ? true : undefined;
      });
      await sleep(500);
    } finally {
      await watcher.stop();
      tally = await load.stop();
    }
    const info = await bg.getDeployment(id);
    const replacementTg = original.color === 'blue' ? bg.green.arn : bg.blue.arn;
    const counts = [...tally.results].map(([k, n]) => `${k}: ${n}`).join(', ');
    t.diagnostic(`${id} (v${v}, ${info.deploymentConfigName}): ${tally.total} requests in ${tally.elapsedMs} ms, ${tally.failures} failed; ${counts}`);
    t.diagnostic(`production weights on the replacement as seen: ${watcher.changes.map((c) => `${percentOf(c.weights, replacementTg)}%`).join(' -> ')}`);
    const full = watcher.changes.find((c) => percentOf(c.weights, replacementTg) === 100);
    const lastOld = load.samples.filter((x) => x.version !== undefined && x.version !== v).at(-1);
    if (full && lastOld) t.diagnostic(`the last request answered by the original was sent ${lastOld.sent - full.at} ms after the poll that first saw production at 100% (${full.at - full.after} ms after the one before)`);
    assert.equal(tally.failures, 0, `failed requests through the production listener: ${tally.errors.join('; ')}`);
    assert.equal(info.status, 'Succeeded');
    return { id, info, original, replacementTg, samples: load.samples, tally, weights: watcher.changes, version: v };
  };

  /** The replacement's production percentages as they changed (consecutive repeats merged). */
  const percents = (r: Run) => {
    const out: number[] = [];
    for (const c of r.weights) {
      const p = percentOf(c.weights, r.replacementTg);
      if (out.at(-1) !== p) out.push(p);
    }
    return out;
  };
  /** Each constant-weights window of the run with the new version's share in it (margins kept off both ends). */
  const steps = (r: Run): Step[] => {
    const out: Step[] = [];
    for (let i = 0; i < r.weights.length; i++) {
      const from = r.weights[i].at + MARGIN_MS;
      const to = (r.weights[i + 1]?.after ?? Infinity) - MARGIN_MS;
      const { share, n, hits } = shareOf(r.samples, r.version, from, to);
      out.push({ percent: percentOf(r.weights[i].weights, r.replacementTg), from, to, share, n, hits });
    }
    return out;
  };
  /**
   * Asserts the intermediate steps are `wanted`; that each window with at least MIN_WINDOW samples
   * got its percentage within {@link shareTolerance}; and that all windows together got the share
   * their weights call for (pooled: expected sum(n_i p_i) / N, variance sum(n_i p_i (1 - p_i)) / N^2,
   * 4 standard deviations plus 2 points), which holds however few samples each window had.
   * Returns the windows.
   */
  const assertStepShares = (t: TestContext, r: Run, wanted: number[]): Step[] => {
    const windows = steps(r).filter((s) => s.percent > 0 && s.percent < 100);
    assert.deepEqual(windows.map((s) => s.percent), wanted, 'the intermediate steps');
    for (const s of windows) {
      const p = s.percent / 100;
      const tol = shareTolerance(p, s.n, 0.02);
      t.diagnostic(`step ${s.percent}%: share ${(100 * s.share).toFixed(1)}% over ${s.n} samples (tolerance ±${(100 * tol).toFixed(1)} points${s.n < MIN_WINDOW ? ', too few to check alone' : ''})`);
      if (s.n < MIN_WINDOW) continue;
      assert.ok(Math.abs(s.share - p) <= tol, `step ${s.percent}%: the new version answered ${(100 * s.share).toFixed(1)}% of ${s.n} requests, more than ${(100 * tol).toFixed(1)} points off`);
    }
    const total = windows.reduce((a, s) => a + s.n, 0);
    assert.ok(total >= MIN_WINDOW, `the shift windows had ${total} samples in all`);
    const expected = windows.reduce((a, s) => a + s.n * (s.percent / 100), 0) / total;
    const observed = windows.reduce((a, s) => a + s.hits, 0) / total;
    const sd = Math.sqrt(windows.reduce((a, s) => a + s.n * (s.percent / 100) * (1 - s.percent / 100), 0)) / total;
    t.diagnostic(`all steps: share ${(100 * observed).toFixed(1)}% over ${total} samples, expected ${(100 * expected).toFixed(1)}% ±${(100 * (4 * sd + 0.02)).toFixed(1)} points`);
    assert.ok(Math.abs(observed - expected) <= 4 * sd + 0.02, `over all steps the new version answered ${(100 * observed).toFixed(1)}% of ${total} requests; the weights call for ${(100 * expected).toFixed(1)}%`);
    return windows;
  };
  /** Every request sent before the first shift got the old version; every one well after the last got the new one. */
  const assertEnds = (r: Run) => {
    const firstShift = r.weights.find((c) => percentOf(c.weights, r.replacementTg) > 0);
    assert.ok(firstShift, 'production traffic shifted');
    const before = shareOf(r.samples, r.version, -Infinity, firstShift.after - MARGIN_MS);
    assert.ok(before.n > 0);
    assert.equal(before.hits, 0, 'no request reached the new version before production shifted');
    const full = r.weights.find((c) => percentOf(c.weights, r.replacementTg) === 100);
    assert.ok(full, 'production reached 100% on the replacement');
    const afterAll = shareOf(r.samples, r.version, full.at + MARGIN_MS);
    assert.ok(afterAll.n > 0, 'requests after the shift');
    assert.equal(afterAll.share, 1, `every request after the shift reached v${r.version}`);
  };

  it('AllAtOnce with all five hooks: hooks in lifecycle order, test listener first, then all production at once; the API shows it', async (t) => {
    const r = await deployUnderLoad(t, (td) => bg.deploy({ taskDefinition: td, hooks: true, description: 'all at once' }));
    assert.equal(r.original.color, 'blue', 'the first deployment starts from BLUE');

    // Hooks: each event once, in lifecycle order, with this deployment's id and its own execution id.
    const calls = bg.hookCalls(r.id);
    assert.deepEqual(calls.map((c) => c.event), [...HOOK_EVENTS]);
    for (const c of calls) {
      assert.deepEqual(Object.keys(c.payload).sort(), ['DeploymentId', 'LifecycleEventHookExecutionId'], `${c.event}'s payload`);
      assert.equal(c.payload.DeploymentId, r.id);
      assert.equal(typeof c.payload.LifecycleEventHookExecutionId, 'string');
      assert.equal(c.reported, 'Succeeded', `${c.event}'s PutLifecycleEventHookExecutionStatus`);
    }
    assert.equal(new Set(calls.map((c) => c.payload.LifecycleEventHookExecutionId)).size, 5, 'one execution id per event');

    // The test listener serves the replacement while production still serves only the original.
    const v = `app ${r.version}`;
    for (const event of ['AfterAllowTestTraffic', 'BeforeAllowTraffic'] as const) {
      const c = calls.find((x) => x.event === event)!;
      assert.deepEqual(c.probes.test, Array(5).fill(v), `the test listener during ${event}`);
      assert.deepEqual(c.probes.prod, Array(5).fill('app 1'), `production during ${event}`);
    }
    const afterTraffic = calls.find((x) => x.event === 'AfterAllowTraffic')!;
    assert.deepEqual(afterTraffic.probes.prod, Array(5).fill(v), 'production during AfterAllowTraffic');
    const testTrafficAt = calls.find((x) => x.event === 'AfterAllowTestTraffic')!.at;
    const firstNew = r.samples.find((s) => s.version === r.version);
    assert.ok(firstNew && firstNew.sent > testTrafficAt, 'production served no v2 before the test listener did');

    // Production moved 0 -> 100 in one step, and only to the replacement's target group.
    assert.deepEqual(percents(r), [0, 100]);
    assertEnds(r);
    assert.equal(percentOf(await listenerWeights(bg.elb, bg.prod.arn), bg.green.arn), 100, 'production forwards to GREEN only (weights as DescribeListeners shows them)');
    assert.equal(percentOf(await listenerWeights(bg.elb, bg.test.arn), bg.green.arn), 100, 'the test listener forwards to GREEN');

    // The service: one task set left, the replacement, PRIMARY, on GREEN.
    const [set, ...others] = await taskSetsOf();
    assert.deepEqual(others, [], 'the original task set is gone');
    assert.notEqual(set.id, r.original.taskSet.id);
    assert.equal(set.status, 'PRIMARY');
    assert.equal(set.externalId, r.id);
    assert.equal(set.taskDefinition, bg.taskDefinitions[r.version]);
    assert.equal(set.loadBalancers?.[0]?.targetGroupArn, bg.green.arn);
    assert.equal((await bg.describeService()).taskDefinition, bg.taskDefinitions[r.version], 'the service shows the new task definition');

    // GetDeployment.
    const info = r.info;
    assert.equal(info.deploymentId, r.id);
    assert.equal(info.applicationName, bg.application);
    assert.equal(info.deploymentGroupName, bg.deploymentGroup);
    assert.equal(info.deploymentConfigName, 'CodeDeployDefault.ECSAllAtOnce');
    assert.equal(info.computePlatform, 'ECS');
    assert.equal(info.creator, 'user');
    assert.equal(info.description, 'all at once');
    assert.deepEqual(info.deploymentStyle, { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' });
    assert.equal(info.revision?.revisionType, 'AppSpecContent');
    assert.equal(info.revision?.appSpecContent?.content, appSpec(bg.taskDefinitions[r.version], bg.hookFunctions));
    assert.equal(info.errorInformation, undefined);
    assert.ok(info.createTime && info.startTime && info.completeTime && info.createTime <= info.startTime && info.startTime <= info.completeTime, 'create <= start <= complete');
    assert.equal(info.deploymentOverview?.Succeeded, 1);
    assert.equal(info.deploymentOverview?.InProgress ?? 0, 0);
    assert.ok((await bg.codedeploy.send(new ListDeploymentsCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup, includeOnlyStatuses: ['Succeeded'] }))).deployments?.includes(r.id));

    // GetDeploymentGroup.
    const group = (await bg.codedeploy.send(new GetDeploymentGroupCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup }))).deploymentGroupInfo!;
    assert.equal(group.lastSuccessfulDeployment?.deploymentId, r.id);
    assert.equal(group.lastSuccessfulDeployment?.status, 'Succeeded');
    assert.equal(group.lastAttemptedDeployment?.deploymentId, r.id);

    // The deployment target: lifecycle events all Succeeded in AWS's order; the task sets with their weights.
    const ecsTarget = await target(r.id);
    assert.equal(ecsTarget.status, 'Succeeded');
    assert.equal(ecsTarget.targetArn, bg.serviceArn);
    assert.deepEqual(ecsTarget.lifecycleEvents?.map((e) => [e.lifecycleEventName, e.status]), LIFECYCLE.map((name) => [name, 'Succeeded']));
    const starts = ecsTarget.lifecycleEvents!.map((e) => e.startTime!.getTime());
    assert.deepEqual([...starts].sort((a, b) => a - b), starts, 'the events started in order');
    const blueSet = ecsTarget.taskSetsInfo?.find((s) => s.taskSetLabel === 'Blue');
    const greenSet = ecsTarget.taskSetsInfo?.find((s) => s.taskSetLabel === 'Green');
    assert.equal(blueSet?.identifer, r.original.taskSet.id);
    assert.equal(blueSet?.trafficWeight, 0);
    assert.equal(blueSet?.targetGroup?.name, bg.blue.name);
    assert.equal(greenSet?.identifer, set.id);
    assert.equal(greenSet?.trafficWeight, 100);
    assert.equal(greenSet?.targetGroup?.name, bg.green.name);
    assert.equal(greenSet?.desiredCount, 2);
    assert.equal(greenSet?.runningCount, 2);
  });

  it('a second deployment (AWS CLI v2: create-deployment, wait deployment-successful) goes the other way round, GREEN back to BLUE', { skip: existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed` }, async (t) => {
    const cli = (...args: string[]) => run(AWS_CLI_V2, [...args, '--endpoint-url', bg.berth.endpoint, '--output', 'json'], { env: bg.berth.awsEnv(), timeout: WAIT_MS });
    const hooks = { AfterInstall: bg.hookFunctions.AfterInstall, AfterAllowTestTraffic: bg.hookFunctions.AfterAllowTestTraffic };
    let previous = '';
    let previousRevision: string | undefined;
    const r = await deployUnderLoad(
      t,
      async (td) => {
        previous = (await bg.primary()).taskSet.taskDefinition!;
        const group = (await bg.codedeploy.send(new GetDeploymentGroupCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup }))).deploymentGroupInfo!;
        previousRevision = (await bg.getDeployment(group.lastSuccessfulDeployment!.deploymentId!)).revision?.appSpecContent?.content;
        const input = { applicationName: bg.application, deploymentGroupName: bg.deploymentGroup, revision: { revisionType: 'AppSpecContent', appSpecContent: { content: appSpec(td, hooks) } } };
        return JSON.parse((await cli('deploy', 'create-deployment', '--cli-input-json', JSON.stringify(input))).stdout).deploymentId;
      },
      // The CLI's waiter polls GetDeployment every 15 s and exits 0 once Succeeded (255 if it fails).
      (id) => cli('deploy', 'wait', 'deployment-successful', '--deployment-id', id),
    );
    assert.equal(r.original.color, 'green', 'production was on GREEN after the first deployment');
    const previousVersion = Object.entries(bg.taskDefinitions).find(([, arn]) => arn === previous)![0];

    // AfterInstall: the test listener still on GREEN (production); from AllowTestTraffic on, BLUE (the replacement).
    const calls = bg.hookCalls(r.id);
    assert.deepEqual(calls.map((c) => c.event), ['AfterInstall', 'AfterAllowTestTraffic']);
    assert.deepEqual(calls[0].probes.test, Array(5).fill(`app ${previousVersion}`), 'the test listener before AllowTestTraffic');
    assert.deepEqual(calls[1].probes.test, Array(5).fill(`app ${r.version}`), 'the test listener after AllowTestTraffic');
    assert.deepEqual(calls[1].probes.prod, Array(5).fill(`app ${previousVersion}`), 'production after AllowTestTraffic');

    assert.deepEqual(percents(r), [0, 100]);
    assertEnds(r);
    assert.equal(percentOf(await listenerWeights(bg.elb, bg.prod.arn), bg.blue.arn), 100, 'production forwards to BLUE only');
    assert.equal(percentOf(await listenerWeights(bg.elb, bg.test.arn), bg.blue.arn), 100, 'the test listener forwards to BLUE');
    const [set, ...others] = await taskSetsOf();
    assert.deepEqual(others, []);
    assert.equal(set.loadBalancers?.[0]?.targetGroupArn, bg.blue.arn, 'the replacement runs on BLUE');

    const ecsTarget = await target(r.id);
    const label = (l: string) => ecsTarget.taskSetsInfo?.find((s) => s.taskSetLabel === l);
    assert.equal(label('Blue')?.targetGroup?.name, bg.green.name, "the original ('Blue') task set was on GREEN");
    assert.equal(label('Green')?.targetGroup?.name, bg.blue.name, "the replacement ('Green') task set is on BLUE");
    assert.equal(label('Green')?.trafficWeight, 100);

    // The CLI reads the same deployment.
    const got = JSON.parse((await cli('deploy', 'get-deployment', '--deployment-id', r.id)).stdout).deploymentInfo;
    assert.equal(got.status, 'Succeeded');
    assert.ok(previousRevision);
    assert.equal(got.previousRevision?.appSpecContent?.content, previousRevision, "previousRevision is the last successful deployment's revision");
  });

  it('ECSCanary10Percent5Minutes: 10% of production for the canary interval, then 100%; `berth deployments watch` follows it', async (t) => {
    let watchRun: Promise<{ code: number | null; out: string }> | undefined;
    const r = await deployUnderLoad(t, async (td) => {
      const id = await bg.deploy({ taskDefinition: td, deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes' });
      const w = watchDeployment(bg, id);
      watchers.push(w.child);
      watchRun = w.done;
      return id;
    });
    assert.deepEqual(percents(r), [0, 10, 100]);
    assertStepShares(t, r, [10]);
    assertEnds(r);
    assert.equal(r.info.deploymentConfigName, 'CodeDeployDefault.ECSCanary10Percent5Minutes');

    const { code, out } = await watchRun!;
    t.diagnostic(`berth deployments watch:\n${out}`);
    assert.equal(code, 0, `berth deployments watch exits 0 on Succeeded:\n${out}`);
    const lines = out.split('\n');
    const first = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const at0 = first(/blue \S+ green\s+100% \/ 0%/);
    const at10 = first(/blue \S+ green\s+90% \/ 10%/);
    const at100 = first(/blue \S+ green\s+0% \/ 100%/);
    assert.ok(at10 >= 0 && at100 > at10, `the watch shows the split moving 10% then 100%:\n${out}`);
    assert.ok(at0 < 0 || at0 < at10, 'and 0% before 10%');
    assert.ok(lines.some((l) => l.startsWith(`${r.id} `)), 'lines name the deployment');
    assert.match(out, /Result: Succeeded/);
  });

  it('ECSLinear10PercentEvery1Minutes: production moves 10% a minute, each step getting its share', async (t) => {
    const r = await deployUnderLoad(t, (td) => bg.deploy({ taskDefinition: td, deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' }));
    const wanted = [10, 20, 30, 40, 50, 60, 70, 80, 90];
    assert.deepEqual(percents(r), [0, ...wanted, 100]);
    const s = assertStepShares(t, r, wanted);
    // The share rises over the shift: the first four steps (10-40%, 25% on average) against the last four (60-90%, 75%).
    const pooled = (xs: Step[]) => xs.reduce((a, x) => a + x.hits, 0) / Math.max(1, xs.reduce((a, x) => a + x.n, 0));
    assert.ok(pooled(s.slice(0, 4)) < pooled(s.slice(-4)), `the share of the new version rises step by step: ${s.map((x) => `${x.percent}%: ${(100 * x.share).toFixed(0)}% of ${x.n}`).join(', ')}`);
    assertEnds(r);
  });

  it('a custom TimeBasedCanary config made with CreateDeploymentConfig (30%, then 100% after 2 minutes)', async (t) => {
    const name = 'bg-canary-30-2';
    await bg.codedeploy.send(
      new CreateDeploymentConfigCommand({ deploymentConfigName: name, computePlatform: 'ECS', trafficRoutingConfig: { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 30, canaryInterval: 2 } } }),
    );
    const config = (await bg.codedeploy.send(new GetDeploymentConfigCommand({ deploymentConfigName: name }))).deploymentConfigInfo!;
    assert.deepEqual(config.trafficRoutingConfig, { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 30, canaryInterval: 2 } });
    const r = await deployUnderLoad(t, (td) => bg.deploy({ taskDefinition: td, deploymentConfigName: name }));
    assert.equal(r.info.deploymentConfigName, name);
    assert.deepEqual(percents(r), [0, 30, 100]);
    assertStepShares(t, r, [30]);
    assertEnds(r);
  });
});

/**
 * Runs `berth deployments watch <id>` (output to a pipe: one summary line per change) against the
 * layout's Berth; `done` resolves with its exit code and output once it exits (killed after 5 minutes).
 */
function watchDeployment(bg: BlueGreen, id: string): { child: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const env = { ...process.env, BERTH_ACCESS_KEY_ID: bg.berth.credentials.accessKeyId, BERTH_SECRET_ACCESS_KEY: bg.berth.credentials.secretAccessKey };
  const child = spawn(process.execPath, [BERTH_BIN, 'deployments', 'watch', id, '--interval', '0.2', '--data-dir', bg.berth.dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const done = new Promise<{ code: number | null; out: string }>((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
  return { child, done };
}
