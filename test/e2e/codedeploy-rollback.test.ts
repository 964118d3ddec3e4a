/**
 * CodeDeploy blue/green deployments that do not go to plan, end to end on one Berth (time scale
 * 60: a deployment minute lasts a second) and one layout (test/fixtures/blue-green.ts), each under
 * a steady load through the production listener that must not lose a single request, on the way
 * out or back:
 * - a hook reporting Failed rolls the deployment back (the rollback deployment as the API shows
 *   it, v1 only, the replacement task set gone, later hooks never run);
 * - StopDeployment with rollback during a canary; StopDeployment on a finished deployment;
 * - a replacement that never gets healthy, and an appspec naming a task definition that does not
 *   exist (ECS's message, nothing half-made);
 * - the blue/green waits: READY_WAIT (status Ready until ContinueDeployment) and TERMINATION_WAIT
 *   (both task sets kept until ContinueDeployment ends it early); a READY_WAIT that runs out, and a
 *   stop during TERMINATION_WAIT, roll back;
 * - bad input through the AWS CLI v2: malformed YAML, a second deployment while one is live, an
 *   unknown deployment id;
 * - last, kill -9 of Berth in the middle of a linear traffic shift: after the restart on the same
 *   data dir the deployment carries on to Succeeded with exactly one replacement task set and no
 *   failed request (the load is measured before the kill and from when the listener answers again).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
  type ECSTarget,
} from '@aws-sdk/client-codedeploy';
import { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand, DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeTaskDefinitionCommand, DescribeTaskSetsCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient, type TaskSet } from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';
import { getFrom, until as untilWithin } from '../fixtures/http.js';
import type { LoadResult } from '../fixtures/load.js';
import { appSpec, createBlueGreen, type BlueGreen } from '../fixtures/blue-green.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

const run = promisify(execFile);
const WAIT_MS = 180_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 200);
const TERMINAL = new Set(['Succeeded', 'Failed', 'Stopped']);
const ENV = { BERTH_TIME_SCALE: '60' };
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;
/** What production answers for a version. */
const app = (version: string) => `app ${version}`;

describe('CodeDeploy blue/green on Berth: rollback, stop, waits, bad input and kill -9', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-cd-rollback-'));
  let berth: TestBerth;
  let bg: BlueGreen;
  /** Clients of the running Berth (new ones after the restart; the layout's keep the old endpoint). */
  let ecs: ECSClient;
  let codedeploy: CodeDeployClient;
  const connect = () => {
    ecs = berth.ecs();
    codedeploy = new CodeDeployClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  };
  const running = () => berth !== undefined && berth.process.exitCode === null && berth.process.signalCode === null;

  before(async () => {
    berth = await startBerthProcess({ dataDir, env: ENV });
    connect();
    bg = await createBlueGreen({ berth });
  });
  after(async () => {
    if (berth && !running()) {
      // A test failed while Berth was down (killed, or a restart that did not come up): say why, and
      // bring it back on the same data dir so that it stops the tasks that still run.
      process.stderr.write(`Berth is not running (${berth.process.exitCode ?? berth.process.signalCode}):\n${berth.output()}\n`);
      const again = await startBerthProcess({ dataDir, env: ENV }).catch(() => undefined);
      if (again) {
        ecs?.destroy();
        codedeploy?.destroy();
        berth = again;
        connect();
      }
    }
    try {
      if (running() && bg) await deleteServicesAndDrain(ecs, bg.cluster, [bg.service]);
    } finally {
      await bg?.cleanup();
      codedeploy?.destroy();
      await berth?.cleanup();
      // Removing the data dir also ends its container supervisor and the tasks it still runs.
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  /** The deployment as GetDeployment shows it. */
  const deployment = async (id: string): Promise<DeploymentInfo> => (await codedeploy.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!;
  /** Polls until the deployment is over (Succeeded, Failed or Stopped). */
  const settled = (id: string) =>
    until(`deployment ${id} over`, async () => {
      const d = await deployment(id);
      return TERMINAL.has(d.status!) ? d : undefined;
    });
  /** Polls until `id` is over, then until the rollback deployment it names (which it must) is over. */
  const rolledBack = async (id: string) => {
    const d = await settled(id);
    const rollbackId = d.rollbackInfo?.rollbackDeploymentId;
    if (!rollbackId) assert.fail(`deployment ${id} names no rollback deployment: ${JSON.stringify(d)}`);
    return { d, rollback: await settled(rollbackId) };
  };
  /** The deployment's one ECS target (lifecycle events, task sets and their traffic weights). */
  const target = async (id: string): Promise<ECSTarget> =>
    (await codedeploy.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: `${bg.cluster}:${bg.service}` }))).deploymentTarget!.ecsTarget!;
  const greenWeight = (t: ECSTarget) => t.taskSetsInfo?.find((s) => s.taskSetLabel === 'Green')?.trafficWeight;
  const lifecycle = (t: ECSTarget) => Object.fromEntries((t.lifecycleEvents ?? []).map((e) => [e.lifecycleEventName!, e]));
  const taskSets = async (): Promise<TaskSet[]> => (await ecs.send(new DescribeTaskSetsCommand({ cluster: bg.cluster, service: bg.service }))).taskSets ?? [];
  /** The service's task sets, shown short for messages. */
  const showSets = (sets: TaskSet[]) => JSON.stringify(sets.map((s) => [s.id, s.status, s.externalId, s.taskDefinition?.split('/').pop()]));
  /** Polls until the service has one task set left (the others' tasks drained and stopped), and answers it: PRIMARY. */
  const oneTaskSetLeft = async (): Promise<TaskSet> => {
    const [set] = await until('one task set left', async () => {
      const sets = await taskSets();
      return sets.length === 1 ? sets : undefined;
    });
    assert.equal(set.status, 'PRIMARY', showSets([set]));
    return set;
  };
  /** The versions `n` requests through a listener get, sorted (each must answer 200). */
  const versionsOf = async (listener: { address: string; port: number }, n = 20) => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await getFrom(listener.address, listener.port, '/');
      assert.equal(r.status, 200, `${listener.port}: ${r.status} ${r.body}`);
      seen.add(r.body);
    }
    return [...seen].sort();
  };
  /** Runs `during` under a steady load through the production listener; resolves with the load's tally. */
  const underLoad = async (during: () => Promise<void>): Promise<LoadResult<string>> => {
    const load = bg.prodLoad();
    try {
      await during();
    } catch (err) {
      // Stopped (and awaited) whatever happens, so no request outlives the test.
      await load.stop();
      throw err;
    }
    return load.stop();
  };
  /** A load's tally, short, for assertion messages. */
  const show = (l: LoadResult<string>) => JSON.stringify({ total: l.total, failures: l.failures, results: Object.fromEntries(l.results), errors: l.errors });
  const answers = (l: LoadResult<string>) => [...l.results.keys()].sort();
  /** An AWS CLI v2 call against the running Berth; its JSON output parsed. */
  const cli = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 120_000 });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  /** An AWS CLI v2 call that must fail (exit 254, a service error); its stderr. */
  const cliFails = async (...args: string[]) => {
    const err = await run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: 120_000 }).then(
      () => assert.fail(`aws ${args.slice(0, 2).join(' ')} should have failed`),
      (e: { code?: number; stderr?: string }) => e,
    );
    assert.equal(err.code, 254, err.stderr);
    return String(err.stderr);
  };

  it('a hook reporting Failed (AfterAllowTestTraffic) fails the deployment and rolls it back: v1 only, replacement gone, later hooks never ran', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    assert.equal(original.taskDefinition, bg.taskDefinitions['1']);
    bg.setHookBehaviour({ AfterAllowTestTraffic: 'Failed' });
    let id = '';
    let failed: DeploymentInfo | undefined;
    let rollback: DeploymentInfo | undefined;
    let load: LoadResult<string>;
    try {
      load = await underLoad(async () => {
        id = await bg.deploy({ taskDefinition: '2', hooks: true, autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
        ({ d: failed, rollback } = await rolledBack(id));
        await oneTaskSetLeft();
      });
    } finally {
      bg.setHookBehaviour({});
    }
    assert.equal(failed!.status, 'Failed', JSON.stringify(failed));
    assert.equal(failed!.errorInformation?.code, 'HOOK_EXECUTION_FAILURE');
    assert.match(failed!.errorInformation!.message!, /AfterAllowTestTraffic/);
    assert.match(failed!.rollbackInfo!.rollbackDeploymentId!, /^d-[A-Z0-9]{9}$/);
    assert.equal(rollback!.status, 'Succeeded', JSON.stringify(rollback));
    assert.equal(rollback!.creator, 'codeDeployRollback');
    assert.equal(rollback!.rollbackInfo?.rollbackTriggeringDeploymentId, id);

    const events = lifecycle(await target(id));
    assert.equal(events.AfterAllowTestTraffic.status, 'Failed');
    assert.equal(events.AfterAllowTestTraffic.diagnostics?.errorCode, 'ScriptFailed');
    for (const e of ['BeforeInstall', 'Install', 'AfterInstall', 'AllowTestTraffic']) assert.equal(events[e].status, 'Succeeded', e);
    for (const e of ['BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic']) {
      assert.ok(!['InProgress', 'Succeeded', 'Failed'].includes(events[e].status!) && events[e].startTime === undefined, `${e} never started: ${JSON.stringify(events[e])}`);
    }
    // The hooks that ran, in order: BeforeAllowTraffic and AfterAllowTraffic never did. The failing
    // one saw the replacement on the test listener and the original in production.
    const calls = bg.hookCalls(id);
    assert.deepEqual(calls.map((c) => [c.event, c.reported]), [['BeforeInstall', 'Succeeded'], ['AfterInstall', 'Succeeded'], ['AfterAllowTestTraffic', 'Failed']]);
    assert.deepEqual([...new Set(calls[2].probes.test)], [app('2')]);
    assert.deepEqual([...new Set(calls[2].probes.prod)], [app('1')]);

    // Production never left v1 (AllowTraffic never started) and lost nothing; the test listener is back on v1 too.
    assert.equal(load!.failures, 0, show(load!));
    assert.deepEqual(answers(load!), [app('1')], show(load!));
    assert.deepEqual(await versionsOf(bg.prod), [app('1')]);
    assert.deepEqual(await versionsOf(bg.test), [app('1')]);
    const left = await oneTaskSetLeft();
    assert.equal(left.id, original.id, 'the original task set serves on');
    assert.equal(left.taskDefinition, bg.taskDefinitions['1']);

    // The AWS CLI shows the same.
    const viaCli = (await cli('deploy', 'get-deployment', '--deployment-id', id)).deploymentInfo;
    assert.equal(viaCli.status, 'Failed');
    assert.equal(viaCli.rollbackInfo.rollbackDeploymentId, rollback!.deploymentId);
  });

  it('StopDeployment with autoRollbackEnabled during a canary: Stopped, rolled back, v1 only; stopping a finished deployment is refused', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    let id = '';
    let stopped: DeploymentInfo | undefined;
    let rollback: DeploymentInfo | undefined;
    const load = await underLoad(async () => {
      id = await bg.deploy({ taskDefinition: '2', deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes', autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      // The canary: 10% of production on the replacement for 5 (scaled) minutes.
      const canary = await until('the canary at 10%', async () => {
        const t = await target(id);
        if (TERMINAL.has((await deployment(id)).status!)) assert.fail(`the deployment ended before its canary was seen: ${JSON.stringify(t)}`);
        return greenWeight(t) === 10 ? t : undefined;
      });
      assert.equal(lifecycle(canary).AllowTraffic.status, 'InProgress');
      const answer = await codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
      assert.equal(answer.status, 'Pending');
      assert.equal(answer.statusMessage, 'Stopping Active deployment');
      ({ d: stopped, rollback } = await rolledBack(id));
      await oneTaskSetLeft();
    });
    assert.equal(stopped!.status, 'Stopped', JSON.stringify(stopped));
    assert.equal(stopped!.errorInformation?.code, 'MANUAL_STOP');
    assert.match(stopped!.rollbackInfo!.rollbackMessage!, /stopped and was rolled back/);
    assert.equal(rollback!.status, 'Succeeded', JSON.stringify(rollback));
    assert.equal(rollback!.creator, 'codeDeployRollback');
    assert.equal(rollback!.rollbackInfo?.rollbackTriggeringDeploymentId, id);
    assert.equal(lifecycle(await target(id)).AllowTraffic.status, 'Failed', 'the traffic shift was cut short');
    assert.equal(greenWeight(await target(rollback!.deploymentId!)), 0, 'the rollback took all traffic back');

    assert.equal(load.failures, 0, show(load));
    assert.deepEqual(await versionsOf(bg.prod), [app('1')]);
    assert.equal((await oneTaskSetLeft()).id, original.id);

    await rejectsWith(() => codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true })), 'DeploymentAlreadyCompletedException', new RegExp(`${id} has already completed`));
    await rejectsWith(() => codedeploy.send(new StopDeploymentCommand({ deploymentId: rollback!.deploymentId! })), 'DeploymentAlreadyCompletedException');
  });

  it('a replacement that never gets healthy fails the deployment and is rolled back: v1 only, nothing left of it', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    let id = '';
    let failed: DeploymentInfo | undefined;
    let rollback: DeploymentInfo | undefined;
    const load = await underLoad(async () => {
      id = await bg.deploy({ taskDefinition: 'broken', autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
      ({ d: failed, rollback } = await rolledBack(id));
      await oneTaskSetLeft();
    });
    assert.equal(failed!.status, 'Failed', JSON.stringify(failed));
    // Tasks that keep stopping fail it (ECS_UPDATE_ERROR); tasks that never get healthy, after the (scaled) hour (TIMEOUT).
    assert.ok(['ECS_UPDATE_ERROR', 'TIMEOUT'].includes(failed!.errorInformation?.code ?? ''), JSON.stringify(failed!.errorInformation));
    assert.match(failed!.errorInformation!.message!, /steady state/);
    assert.equal(lifecycle(await target(id)).Install.status, 'Failed');
    assert.equal(rollback!.status, 'Succeeded', JSON.stringify(rollback));

    assert.equal(load.failures, 0, show(load));
    assert.deepEqual(answers(load), [app('1')], show(load));
    assert.deepEqual(await versionsOf(bg.prod), [app('1')]);
    assert.equal((await oneTaskSetLeft()).id, original.id);
  });

  it("an appspec naming a task definition that does not exist fails the deployment with ECS's message and makes nothing", async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const ghost = bg.taskDefinitions['1'].replace(/task-definition\/.*$/, 'task-definition/ghost:7');
    const ecsSays = (await rejectsWith(() => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ghost })), 'ClientException')).message;
    let failed: DeploymentInfo | undefined;
    const load = await underLoad(async () => {
      // No automatic rollback: what the failure itself leaves behind is what is checked.
      failed = await settled(await bg.deploy({ taskDefinition: ghost, autoRollbackConfiguration: { enabled: false, events: [] } }));
    });
    assert.equal(failed!.status, 'Failed', JSON.stringify(failed));
    assert.ok(failed!.errorInformation!.message!.includes(ecsSays), `errorInformation carries ECS's "${ecsSays}": ${JSON.stringify(failed!.errorInformation)}`);
    assert.equal(failed!.rollbackInfo?.rollbackDeploymentId, undefined, 'no rollback without autoRollback');
    assert.equal(lifecycle(await target(failed!.deploymentId!)).Install.status, 'Failed');
    assert.equal(load.failures, 0, show(load));
    const sets = await taskSets();
    assert.deepEqual(sets.map((s) => s.id), [original.id], `no replacement task set, half-made or not: ${showSets(sets)}`);
    assert.deepEqual(await versionsOf(bg.prod), [app('1')]);
  });

  it("an appspec whose container name or port is not in the task definition fails the deployment with ECS's message and makes nothing", async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const to = original.taskDefinition === bg.taskDefinitions['1'] ? '2' : '1';
    for (const [container, says] of [
      [{ name: 'nope', port: 8080 }, /nope/],
      [{ name: 'app', port: 9999 }, /9999/],
    ] as const) {
      const revision = { revisionType: 'AppSpecContent' as const, appSpecContent: { content: appSpec(bg.taskDefinitions[to], {}, container) } };
      const { deploymentId } = await codedeploy.send(
        new CreateDeploymentCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup, revision, autoRollbackConfiguration: { enabled: false, events: [] } }),
      );
      const failed = await settled(deploymentId!);
      assert.equal(failed.status, 'Failed', JSON.stringify(failed));
      assert.equal(failed.errorInformation?.code, 'ECS_UPDATE_ERROR', JSON.stringify(failed.errorInformation));
      assert.match(failed.errorInformation!.message!, says);
      const sets = await taskSets();
      assert.deepEqual(sets.map((s) => s.id), [original.id], `no replacement task set: ${showSets(sets)}`);
    }
    assert.deepEqual(await versionsOf(bg.prod), [app(original.taskDefinition === bg.taskDefinitions['1'] ? '1' : '2')]);
  });

  it('READY_WAIT holds the deployment Ready until ContinueDeployment; TERMINATION_WAIT keeps both task sets until ContinueDeployment ends it early', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const from = original.taskDefinition === bg.taskDefinitions['1'] ? '1' : '2';
    const to = from === '1' ? '2' : '1';
    const { blueGreenDeploymentConfiguration: groupWaits } = (await codedeploy.send(new GetDeploymentGroupCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup }))).deploymentGroupInfo!;
    // Waits far longer than the test may take (600 scaled minutes = 10 minutes): only ContinueDeployment ends them in time.
    await bg.updateGroup({
      blueGreenDeploymentConfiguration: {
        deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 600 },
        terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 600 },
      },
    });
    let id = '';
    let done: DeploymentInfo | undefined;
    let load: LoadResult<string>;
    try {
      load = await underLoad(async () => {
        id = await bg.deploy({ taskDefinition: to });
        const ready = await until('the deployment Ready', async () => {
          const d = await deployment(id);
          if (TERMINAL.has(d.status!)) assert.fail(`the deployment ended before it was Ready: ${JSON.stringify(d)}`);
          return d.status === 'Ready' ? d : undefined;
        });
        assert.equal(ready.deploymentOverview?.Ready, 1);
        // Ready: the replacement answers on the test listener, production stays on the original.
        assert.deepEqual(await versionsOf(bg.test), [app(to)]);
        assert.deepEqual(await versionsOf(bg.prod), [app(from)]);
        const readyTarget = await target(id);
        assert.equal(readyTarget.status, 'Ready');
        assert.equal(lifecycle(readyTarget).AllowTraffic.status, 'Pending');
        await rejectsWith(() => codedeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' })), 'InvalidDeploymentWaitTypeException');
        assert.equal((await deployment(id)).status, 'Ready', 'a refused ContinueDeployment changes nothing');

        await codedeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }));
        const waiting = await until('the termination wait', async () => {
          const d = await deployment(id);
          if (TERMINAL.has(d.status!)) assert.fail(`the deployment ended before its termination wait: ${JSON.stringify(d)}`);
          return d.instanceTerminationWaitTimeStarted ? d : undefined;
        });
        assert.equal(waiting.status, 'InProgress');
        // Both task sets exist while the original waits; production is on the replacement.
        const sets = await taskSets();
        assert.deepEqual(
          sets.map((s) => [s.id === original.id ? 'original' : s.externalId === id ? 'replacement' : s.id, s.status]).sort(),
          [['original', 'ACTIVE'], ['replacement', 'PRIMARY']],
          showSets(sets),
        );
        assert.deepEqual(await versionsOf(bg.prod), [app(to)]);
        await rejectsWith(() => codedeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' })), 'DeploymentIsNotInReadyStateException', /not in a ready state/);
        assert.equal((await taskSets()).length, 2, 'the original waits on');

        await codedeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }));
        done = await settled(id);
        await oneTaskSetLeft();
      });
    } finally {
      await bg.updateGroup({ blueGreenDeploymentConfiguration: groupWaits });
    }
    assert.equal(done!.status, 'Succeeded', JSON.stringify(done));
    assert.equal(load!.failures, 0, show(load!));
    assert.deepEqual(answers(load!), [app('1'), app('2')], show(load!));
    const left = await oneTaskSetLeft();
    assert.equal(left.externalId, id, "the replacement is the service's task set now");
    assert.equal(left.taskDefinition, bg.taskDefinitions[to]);
    assert.deepEqual(await versionsOf(bg.prod), [app(to)]);
    await rejectsWith(() => codedeploy.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' })), 'DeploymentAlreadyCompletedException');
  });

  it('a READY_WAIT that runs out stops the deployment and rolls it back; StopDeployment during TERMINATION_WAIT rolls back to the original', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const from = original.taskDefinition === bg.taskDefinitions['1'] ? '1' : '2';
    const to = from === '1' ? '2' : '1';
    const rollbackOnFailure = { enabled: true, events: ['DEPLOYMENT_FAILURE' as const] };
    const { blueGreenDeploymentConfiguration: groupWaits } = (await codedeploy.send(new GetDeploymentGroupCommand({ applicationName: bg.application, deploymentGroupName: bg.deploymentGroup }))).deploymentGroupInfo!;
    try {
      // READY_WAIT of 5 (scaled) minutes that nobody continues.
      await bg.updateGroup({
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 5 },
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 0 },
        },
      });
      let timedOut: DeploymentInfo | undefined;
      let rollback: DeploymentInfo | undefined;
      const readyLoad = await underLoad(async () => {
        ({ d: timedOut, rollback } = await rolledBack(await bg.deploy({ taskDefinition: to, autoRollbackConfiguration: rollbackOnFailure })));
        await oneTaskSetLeft();
      });
      assert.equal(timedOut!.status, 'Stopped', JSON.stringify(timedOut));
      assert.equal(timedOut!.errorInformation?.code, 'TIMEOUT');
      assert.match(timedOut!.errorInformation!.message!, /READY_WAIT/);
      assert.equal(rollback!.status, 'Succeeded', JSON.stringify(rollback));
      assert.equal(readyLoad.failures, 0, show(readyLoad));
      assert.deepEqual(answers(readyLoad), [app(from)], `production never moved: ${show(readyLoad)}`);
      assert.equal((await oneTaskSetLeft()).id, original.id);

      // TERMINATION_WAIT of 600 (scaled) minutes, stopped while production is on the replacement and the original waits.
      await bg.updateGroup({
        blueGreenDeploymentConfiguration: {
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 600 },
        },
      });
      let stopped: DeploymentInfo | undefined;
      const waitLoad = await underLoad(async () => {
        const id = await bg.deploy({ taskDefinition: to, autoRollbackConfiguration: rollbackOnFailure });
        await until('the termination wait', async () => {
          const d = await deployment(id);
          if (TERMINAL.has(d.status!)) assert.fail(`the deployment ended before its termination wait: ${JSON.stringify(d)}`);
          return d.instanceTerminationWaitTimeStarted ? d : undefined;
        });
        assert.deepEqual(await versionsOf(bg.prod), [app(to)]);
        await codedeploy.send(new StopDeploymentCommand({ deploymentId: id, autoRollbackEnabled: true }));
        ({ d: stopped, rollback } = await rolledBack(id));
        await oneTaskSetLeft();
      });
      assert.equal(stopped!.status, 'Stopped', JSON.stringify(stopped));
      assert.equal(stopped!.errorInformation?.code, 'MANUAL_STOP');
      assert.equal(rollback!.status, 'Succeeded', JSON.stringify(rollback));
      assert.equal(waitLoad.failures, 0, show(waitLoad));
      assert.deepEqual(answers(waitLoad), [app('1'), app('2')], show(waitLoad));
      const left = await oneTaskSetLeft();
      assert.equal(left.id, original.id, 'the original is PRIMARY again and the replacement is gone');
      assert.deepEqual(await versionsOf(bg.prod), [app(from)]);
    } finally {
      await bg.updateGroup({ blueGreenDeploymentConfiguration: groupWaits });
    }
  });

  it('bad input through the AWS CLI v2: malformed YAML, a second deployment while one is live, an unknown deployment id', { skip: skipCli }, async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const to = original.taskDefinition === bg.taskDefinitions['1'] ? '2' : '1';
    const revision = (content: string) => JSON.stringify({ revisionType: 'AppSpecContent', appSpecContent: { content } });
    const group = ['--application-name', bg.application, '--deployment-group-name', bg.deploymentGroup];

    const yaml = await cliFails('deploy', 'create-deployment', ...group, '--revision', revision('version: 0.0\nResources:\n  - TargetService: {Type: AWS::ECS::Service\n'));
    assert.match(yaml, /InvalidRevisionException/);

    // A canary whose second step is due in 600 (scaled) minutes: the deployment is surely live for the second call.
    await cli('deploy', 'create-deployment-config', '--deployment-config-name', 'slow-canary', '--compute-platform', 'ECS', '--traffic-routing-config', 'type=TimeBasedCanary,timeBasedCanary={canaryPercentage=10,canaryInterval=600}');
    let id = '';
    let stopped: DeploymentInfo | undefined;
    const load = await underLoad(async () => {
      id = (await cli('deploy', 'create-deployment', ...group, '--deployment-config-name', 'slow-canary', '--revision', revision(appSpec(bg.taskDefinitions[to])))).deploymentId;
      assert.match(id, /^d-[A-Z0-9]{9}$/);
      const second = await cliFails('deploy', 'create-deployment', ...group, '--revision', revision(appSpec(bg.taskDefinitions[to])));
      assert.match(second, new RegExp(`DeploymentLimitExceededException.*'${id}'`));
      const stop = await cli('deploy', 'stop-deployment', '--deployment-id', id, '--auto-rollback-enabled');
      assert.equal(stop.status, 'Pending');
      ({ d: stopped } = await rolledBack(id));
      await oneTaskSetLeft();
    });
    assert.equal(stopped!.status, 'Stopped', JSON.stringify(stopped));
    assert.equal(load.failures, 0, show(load));
    assert.equal((await oneTaskSetLeft()).id, original.id);
    assert.match(await cliFails('deploy', 'stop-deployment', '--deployment-id', id), /DeploymentAlreadyCompletedException/);

    assert.match(await cliFails('deploy', 'get-deployment', '--deployment-id', 'd-AAAAAAAAA'), /DeploymentDoesNotExistException.*d-AAAAAAAAA could not be found/);
  });

  // Last: the layout's own clients keep the endpoint of the Berth this kills; the rest of the file uses `connect`'s.
  it('a CloudWatch alarm entering ALARM during a canary stops the deployment (ALARM_ACTIVE) and rolls it back: v1 only, no failed request', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const from = original.taskDefinition === bg.taskDefinitions['1'] ? '1' : '2';
    const to = from === '1' ? '2' : '1';
    const cloudwatch = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const AlarmName = 'bg-target-5xx';
    try {
      // The metric has no data: 'ignore' keeps the state SetAlarmState gives (at time scale 60 the
      // alarm is evaluated every second, and 'notBreaching' would turn it back to OK before CodeDeploy looks).
      await cloudwatch.send(
        new PutMetricAlarmCommand({
          AlarmName, Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: [{ Name: 'LoadBalancer', Value: 'app/bg-alb/0' }],
          Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'ignore',
        }),
      );
      let id = '';
      let result: { d: DeploymentInfo; rollback: DeploymentInfo } | undefined;
      const load = await underLoad(async () => {
        const revision = { revisionType: 'AppSpecContent' as const, appSpecContent: { content: appSpec(bg.taskDefinitions[to]) } };
        id = (await codedeploy.send(new CreateDeploymentCommand({
          applicationName: bg.application, deploymentGroupName: bg.deploymentGroup, revision, deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes',
          overrideAlarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: AlarmName }] },
          autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_STOP_ON_ALARM'] },
        }))).deploymentId!;
        await until('the canary under way', async () => (greenWeight(await target(id)) === 10 ? true : undefined));
        await cloudwatch.send(new SetAlarmStateCommand({ AlarmName, StateValue: 'ALARM', StateReason: 'the new version answers 5xx (test)' }));
        result = await rolledBack(id);
        await oneTaskSetLeft();
      });
      const { d, rollback } = result!;
      assert.equal(d.status, 'Stopped', JSON.stringify(d));
      assert.equal(d.errorInformation?.code, 'ALARM_ACTIVE');
      assert.match(d.errorInformation!.message!, new RegExp(`Activated alarms: ${AlarmName}`));
      assert.equal(rollback.status, 'Succeeded', JSON.stringify(rollback));
      assert.equal(load.failures, 0, show(load));
      const left = await oneTaskSetLeft();
      assert.equal(left.id, original.id, 'the original task set serves again; the replacement is gone');
      assert.deepEqual(await versionsOf(bg.prod), [app(from)]);
    } finally {
      await cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [AlarmName] })).catch(() => undefined);
      cloudwatch.destroy();
    }
  });

  it('kill -9 while a hook function runs: after the restart the hook is invoked again and the deployment carries on to Succeeded', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const to = original.taskDefinition === bg.taskDefinitions['1'] ? '2' : '1';
    // BeforeAllowTraffic's function takes a while before it reports: long enough to kill Berth under it.
    bg.setHookBehaviour({ BeforeAllowTraffic: { status: 'Succeeded', delayMs: 4000 } });
    try {
      const id = await bg.deploy({ taskDefinition: to, hooks: ['BeforeAllowTraffic'], autoRollbackConfiguration: { enabled: false, events: [] } });
      await until('BeforeAllowTraffic running', async () => (lifecycle(await target(id)).BeforeAllowTraffic?.status === 'InProgress' ? true : undefined));
      const port = Number(new URL(berth.endpoint).port);
      await berth.kill9();
      // The same port: the layout's clients (and the hook functions' AWS_ENDPOINT_URL) reach the new Berth.
      berth = await startBerthProcess({ dataDir, env: ENV, port });
      ecs.destroy();
      codedeploy.destroy();
      connect();
      const done = await settled(id);
      assert.equal(done.status, 'Succeeded', JSON.stringify(done));
      assert.equal(done.errorInformation, undefined, 'not failed by the hook timeout');
      const calls = bg.hookCalls(id).filter((c) => c.event === 'BeforeAllowTraffic');
      assert.ok(calls.some((c) => c.reported === 'Succeeded'), `the hook ran again after the restart and reported: ${JSON.stringify(calls)}`);
      assert.deepEqual(await versionsOf(bg.prod), [app(to)]);
    } finally {
      bg.setHookBehaviour({ BeforeAllowTraffic: 'Succeeded' });
    }
  });

  it('kill -9 in the middle of a linear shift: after the restart the deployment carries on to Succeeded, one replacement, no failed request', async () => {
    const { taskSet: original } = await bg.settle({ stopLive: true });
    const from = original.taskDefinition === bg.taskDefinitions['1'] ? '1' : '2';
    const to = from === '1' ? '2' : '1';
    let id = '';
    let weightAtKill = 0;
    const beforeKill = await underLoad(async () => {
      id = await bg.deploy({ taskDefinition: to, deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes', autoRollbackConfiguration: { enabled: false, events: [] } });
      // Linear: 10% more every (scaled) minute; kill once the shift is well under way and not over.
      weightAtKill = await until('the linear shift under way', async () => {
        const t = await target(id);
        if (TERMINAL.has((await deployment(id)).status!)) assert.fail(`the deployment ended before its shift was seen under way: ${JSON.stringify(t)}`);
        const w = greenWeight(t) ?? 0;
        return w >= 20 && w <= 70 ? w : undefined;
      });
    });
    assert.equal(beforeKill.failures, 0, `before the kill: ${show(beforeKill)}`);
    assert.deepEqual(answers(beforeKill), [app('1'), app('2')], show(beforeKill));

    await berth.kill9();
    ecs.destroy();
    codedeploy.destroy();
    berth = await startBerthProcess({ dataDir, env: ENV });
    connect();
    // The production listener answers again (requests while Berth was down failed, of course).
    await until('the production listener answers after the restart', async () => ((await getFrom(bg.prod.address, bg.prod.port, '/')).status === 200 ? true : undefined));

    let done: DeploymentInfo | undefined;
    const afterRestart = await underLoad(async () => {
      done = await settled(id);
      await oneTaskSetLeft();
    });
    assert.equal(done!.status, 'Succeeded', `the deployment killed at ${weightAtKill}%: ${JSON.stringify(done)}`);
    assert.equal(afterRestart.failures, 0, `after the restart (killed at ${weightAtKill}%): ${show(afterRestart)}`);
    const left = await oneTaskSetLeft();
    assert.equal(left.externalId, id, 'exactly one task set: the replacement (no orphan), the original removed');
    assert.notEqual(left.id, original.id);
    assert.equal(left.taskDefinition, bg.taskDefinitions[to]);
    assert.deepEqual(await versionsOf(bg.prod), [app(to)]);
    // Every task of the service that runs is the replacement's.
    const arns = (await ecs.send(new ListTasksCommand({ cluster: bg.cluster, serviceName: bg.service, desiredStatus: 'RUNNING' }))).taskArns ?? [];
    const tasks = arns.length ? ((await ecs.send(new DescribeTasksCommand({ cluster: bg.cluster, tasks: arns }))).tasks ?? []) : [];
    assert.deepEqual(
      tasks.map((t) => [t.startedBy, t.taskDefinitionArn]),
      tasks.map(() => [left.id, bg.taskDefinitions[to]]),
    );
    assert.equal(tasks.length, left.computedDesiredCount);
  });
});
