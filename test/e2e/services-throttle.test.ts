/**
 * The start throttle end to end, on the process driver: a service whose essential container cannot
 * start is not retried in a tight loop. It gets ECS's event "(service NAME) is unable to
 * consistently start tasks successfully.", the tasks it starts are bounded by the backoff of
 * src/scheduler/limits.ts, and an UpdateService to a working task definition resets the throttle
 * and reaches a steady state.
 *
 * The container fails to start (its executable does not exist: CannotStartContainerError, the
 * task goes from PENDING to STOPPED) rather than starting and exiting at once: ECS throttles only
 * tasks that never reach RUNNING, and says that a container whose command exits at once has
 * already reached RUNNING and does not start the throttle ("service throttle logic", ECS
 * Developer Guide).
 *
 * Times are read from Berth's own task records (createdAt, stoppedAt), not from the test's clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { backoffMs, compileBackoffOptions } from '../../src/scheduler/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { stopEveryTask } from '../fixtures/tasks.js';

const WAIT_MS = 180_000;
/** The window over which the started tasks are counted (Berth's clock). */
const WINDOW_MS = 20_000;
const DESIRED = 2;

describe('the start throttle (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  const cluster = 'svc-throttle';
  const service = 'crasher';
  const throttled = `(service ${service}) is unable to consistently start tasks successfully.`;
  const steadyEvent = `(service ${service}) has reached a steady state.`;

  const describeService = async (): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
  /** Every task of the service, RUNNING or STOPPED, as DescribeTasks answers it. */
  const serviceTasks = async (): Promise<Task[]> => {
    const arns: string[] = [];
    for (const desiredStatus of ['RUNNING', 'STOPPED'] as const) {
      let nextToken: string | undefined;
      do {
        const out = await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus, nextToken }));
        arns.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
    }
    const tasks: Task[] = [];
    for (let i = 0; i < arns.length; i += 100) tasks.push(...((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns.slice(i, i + 100) }))).tasks ?? []));
    return tasks;
  };
  /** Polls until `done` holds (bounded); throws with `describe`'s account of the last state otherwise. */
  const waitFor = async <T>(read: () => Promise<T>, done: (x: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const x = await read();
      if (done(x)) return x;
      if (Date.now() > deadline) throw new Error(`${what} did not happen; last: ${JSON.stringify(x, null, 1)}`);
      await sleep(250);
    }
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-svc-throttle-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) {
      await ecs.send(new DeleteServiceCommand({ cluster, service, force: true })).catch(() => undefined);
      await waitFor(describeService, (s) => s.status === 'INACTIVE', 'the service going INACTIVE').catch(() => undefined);
      await stopEveryTask(ecs, cluster);
    }
    await berth.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('backs off a task that cannot start, says so, and an update to a working task definition resets it', { timeout: 2 * WAIT_MS + 60_000 }, async () => {
    const container = (command: string[]) => ({ name: 'app', image: 'host', essential: true, memory: 64, command, stopTimeout: 2 });
    const broken = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'crasher', containerDefinitions: [container([path.join(dataDir, 'no-such-executable')])] }))).taskDefinition!.taskDefinitionArn!;
    const working = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'crasher', containerDefinitions: [container(['sleep', '600'])] }))).taskDefinition!.taskDefinitionArn!;
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: service,
        taskDefinition: broken,
        desiredCount: DESIRED,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: false, rollback: false } },
      }),
    );

    // The backoff Berth applies (its defaults): after k consecutive failures to start, nothing is
    // placed for backoffMs(k) after the k-th failure is counted. Let K be the fewest failures whose
    // wait is at least the window: once K tasks have failed, nothing more is placed in a window
    // that began with the first start. Before that, with c <= K - 1 failures counted, the tasks
    // started are those c, at most DESIRED live ones, and at most DESIRED being stopped: the
    // scheduler replaces a task once it is being stopped and counts its failure once it is
    // STOPPED. So at most (K - 1) + 2 * DESIRED tasks start in the window. Retried at once, a task
    // that fails in well under a second would be started DESIRED times per cycle, dozens of times
    // in 20 s.
    const backoff = compileBackoffOptions();
    let K = 1;
    while (backoffMs(K, backoff) < WINDOW_MS) K++;
    const bound = K - 1 + 2 * DESIRED;

    // Wait until the throttle has spoken, the window has passed, and failures have mounted to a
    // wait far longer than the time an update takes to be placed (see the last step).
    const LONG_WAIT_FAILURES = K + 2;
    const tasks = await waitFor(
      async () => ({ s: await describeService(), tasks: await serviceTasks() }),
      ({ s, tasks }) => {
        const first = Math.min(...tasks.map((t) => t.createdAt!.getTime()));
        return Boolean(s.events?.some((e) => e.message === throttled)) && tasks.length > 0 && Date.now() > first + WINDOW_MS && tasks.filter((t) => t.lastStatus === 'STOPPED').length >= LONG_WAIT_FAILURES;
      },
      `the throttle event, ${WINDOW_MS / 1000} s of starts and ${LONG_WAIT_FAILURES} failures`,
    ).then((x) => x.tasks);
    for (const t of tasks) assert.equal(t.taskDefinitionArn, broken);
    const first = Math.min(...tasks.map((t) => t.createdAt!.getTime()));
    const inWindow = tasks.filter((t) => t.createdAt!.getTime() <= first + WINDOW_MS);
    assert.ok(inWindow.length >= DESIRED, `the service did try: ${inWindow.length} tasks`);
    assert.ok(inWindow.length <= bound, `${inWindow.length} tasks started in the first ${WINDOW_MS / 1000} s; the backoff allows at most ${bound}`);
    const stopped = tasks.filter((t) => t.lastStatus === 'STOPPED');
    for (const t of stopped) {
      assert.equal(t.stopCode, 'TaskFailedToStart', JSON.stringify(t));
      assert.equal(t.startedAt, undefined, 'never RUNNING');
    }

    // The update resets the throttle: the working tasks are placed well before the throttle, left
    // alone, would let anything start (the last failure + the wait its failure count earns).
    await ecs.send(new UpdateServiceCommand({ cluster, service, taskDefinition: working }));
    const s = await waitFor(
      describeService,
      (x) => x.runningCount === DESIRED && x.pendingCount === 0 && x.deployments?.length === 1 && x.deployments[0].rolloutState === 'COMPLETED' && x.events?.[0]?.message === steadyEvent,
      'the working deployment reaching a steady state',
    );
    assert.equal(s.deployments![0].taskDefinition, working);
    const all = await serviceTasks();
    const failedBefore = all.filter((t) => t.taskDefinitionArn === broken && t.stopCode === 'TaskFailedToStart' && t.stoppedAt);
    const lastFailure = Math.max(...failedBefore.map((t) => t.stoppedAt!.getTime()));
    const earliestIfThrottled = lastFailure + backoffMs(failedBefore.length, backoff);
    const fresh = all.filter((t) => t.taskDefinitionArn === working);
    assert.equal(fresh.filter((t) => t.lastStatus === 'RUNNING').length, DESIRED);
    const firstWorking = Math.min(...fresh.map((t) => t.createdAt!.getTime()));
    assert.ok(
      firstWorking < earliestIfThrottled,
      `the working tasks were placed ${(firstWorking - lastFailure) / 1000} s after the last failure; the throttle after ${failedBefore.length} failures waits ${backoffMs(failedBefore.length, backoff) / 1000} s`,
    );
  });
});
