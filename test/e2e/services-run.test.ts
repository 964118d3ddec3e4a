/**
 * Services that keep themselves running, on the process driver: the service scheduler places a
 * service's tasks, replaces one killed from outside, scales in, and drains on DeleteService.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { describeTask, httpGetWhenUp, stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const run = promisify(execFile);
/** A container that answers every request with its own pid, on $PORT. */
const SERVER = `require('http').createServer((q,s)=>s.end(String(process.pid))).listen(Number(process.env.PORT))`;
const WAIT_MS = 60_000;

describe('services that keep themselves running (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  const cluster = 'svc-run';
  const service = 'web';

  const describeService = async (): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
  /** Polls DescribeServices until `done` holds (bounded); throws with the last answer otherwise. */
  const waitForService = async (done: (s: Service) => boolean): Promise<Service> => {
    const deadline = Date.now() + WAIT_MS;
    for (;;) {
      const s = await describeService();
      if (done(s)) return s;
      if (Date.now() > deadline) throw new Error(`service did not reach the awaited state; last: ${JSON.stringify(s, null, 1)}`);
      await sleep(200);
    }
  };
  const runningTasks = async () => (await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }))).taskArns ?? [];
  const steady = (s: Service) => s.events?.[0]?.message === `(service ${service}) has reached a steady state.`;

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-svc-run-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web',
        networkMode: 'bridge',
        containerDefinitions: [{ name: 'web', image: 'host', essential: true, memory: 128, command: [process.execPath, '-e', SERVER], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
      }),
    );
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) {
      // Stop the scheduler replacing tasks first, then stop whatever still runs.
      await ecs.send(new DeleteServiceCommand({ cluster, service, force: true })).catch(() => undefined);
      await waitForService((s) => s.status === 'INACTIVE').catch(() => undefined);
      await stopEveryTask(ecs, cluster);
    }
    await berth.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('runs a service of 3 to a steady state', async (t) => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: service, taskDefinition: 'web', desiredCount: 3 }));
    const s = await waitForService((x) => x.runningCount === 3 && x.pendingCount === 0 && steady(x));
    const primary = s.deployments!.find((d) => d.status === 'PRIMARY')!;
    assert.equal(primary.rolloutState, 'COMPLETED');
    assert.equal(primary.runningCount, 3);
    assert.ok(s.events!.some((e) => /^\(service web\) has started 3 tasks: (\(task [0-9a-f]{32}\) ?){3}\.$/.test(e.message!)), JSON.stringify(s.events));
    const arns = await runningTasks();
    assert.equal(arns.length, 3);
    for (const arn of arns) {
      const task = await describeTask(ecs, cluster, arn);
      assert.equal(task.group, `service:${service}`);
      assert.equal(task.startedBy, primary.id);
      assert.equal(task.lastStatus, 'RUNNING');
    }
    if (!existsSync(AWS_CLI_V2)) {
      t.skip('aws ecs wait services-stable not checked: /usr/bin/aws is absent');
      return;
    }
    await run(AWS_CLI_V2, ['ecs', 'wait', 'services-stable', '--cluster', cluster, '--services', service, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: WAIT_MS });
  });

  it('replaces a task whose process is killed from outside', async () => {
    const before = await runningTasks();
    const victim = await describeTask(ecs, cluster, before[0]);
    const port = victim.containers![0].networkBindings![0].hostPort!;
    // The task's own process answers with its pid on its port binding: that pid is the one to kill.
    const pid = Number(await httpGetWhenUp(`http://127.0.0.1:${port}/`));
    assert.ok(Number.isInteger(pid) && pid > 1, `pid ${pid}`);
    process.kill(pid, 'SIGKILL');
    const stopped = await waitForTask(ecs, cluster, victim.taskArn!, (t) => t.lastStatus === 'STOPPED');
    assert.equal(stopped.stopCode, 'EssentialContainerExited');
    const s = await waitForService((x) => x.runningCount === 3 && x.pendingCount === 0 && steady(x));
    assert.ok(s.events!.some((e) => /has started 1 tasks: \(task [0-9a-f]{32}\)\.$/.test(e.message!)), JSON.stringify(s.events));
    const after = await runningTasks();
    assert.equal(after.length, 3);
    assert.ok(!after.includes(victim.taskArn!));
  });

  it('scales in when UpdateService lowers desiredCount', async () => {
    const before = await runningTasks();
    const { service: updated } = await ecs.send(new UpdateServiceCommand({ cluster, service, desiredCount: 1 }));
    assert.equal(updated!.deployments!.length, 1, 'desiredCount alone starts no new deployment');
    const s = await waitForService((x) => x.runningCount === 1 && x.pendingCount === 0 && steady(x));
    assert.ok(s.events!.some((e) => /has stopped 2 running tasks/.test(e.message!)), JSON.stringify(s.events));
    assert.equal(before.length, 3);
    const left = await runningTasks();
    assert.equal(left.length, 1);
    for (const arn of before.filter((a) => !left.includes(a))) {
      const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
      assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
      assert.match(t.stoppedReason!, /^Scaling activity initiated by \(deployment ecs-svc\/\d{19}\)$/);
    }
  });

  it('drains to INACTIVE on DeleteService --force, its tasks stopped', async () => {
    const before = await runningTasks();
    const { service: deleted } = await ecs.send(new DeleteServiceCommand({ cluster, service, force: true }));
    assert.equal(deleted!.status, 'DRAINING');
    await waitForService((x) => x.status === 'INACTIVE');
    for (const arn of before) {
      const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
      assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
    }
    assert.deepEqual(await runningTasks(), []);
  });
});
