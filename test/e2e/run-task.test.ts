/**
 * Tasks that really run, on the process driver (works everywhere): RunTask starts host
 * processes, DescribeTasks tells the truth, StopTask stops them, and a Berth killed with -9 (or
 * stopped with SIGTERM) re-adopts what still runs on its next start.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateClusterCommand, DeleteClusterCommand, ListTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { describeTask, httpGet, httpGetWhenUp, stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const run = promisify(execFile);
const NODE = process.execPath;
/** A container that serves `<GREETING> <pid>` on $PORT (and, if FILE is set, the file's text). */
const SERVER = `const fs=require('fs');require('http').createServer((q,s)=>s.end((process.env.GREETING||'hi')+' '+process.pid+(process.env.FILE?' '+fs.readFileSync(process.env.FILE,'utf8'):''))).listen(Number(process.env.PORT))`;

describe('tasks that really run (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  let shared: string;
  const cluster = 'run';

  const register = async (family: string, containerDefinitions: any[]) =>
    (await ecs.send(new RegisterTaskDefinitionCommand({ family, networkMode: 'bridge', containerDefinitions: containerDefinitions.map((c) => ({ memory: 256, ...c })) }))).taskDefinition!.taskDefinitionArn!;
  const runTask = async (taskDefinition: string, extra: Record<string, unknown> = {}) => {
    const out = await ecs.send(new RunTaskCommand({ cluster, taskDefinition, ...extra }));
    assert.deepEqual(out.failures, []);
    return out.tasks![0].taskArn!;
  };
  const restart = async (how: 'kill9' | 'sigterm', whileDown: () => Promise<void> = async () => {}) => {
    if (how === 'kill9') await berth.kill9();
    else assert.equal(await berth.stop(), 0);
    await whileDown();
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
  };

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-run-'));
    shared = mkdtempSync(path.join(os.tmpdir(), 'berth-run-shared-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    await register('web', [
      { name: 'web', image: 'host', essential: true, command: [NODE, '-e', SERVER], portMappings: [{ containerPort: 8080 }], environment: [{ name: 'GREETING', value: 'hello' }], stopTimeout: 5 },
    ]);
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) await stopEveryTask(ecs, cluster);
    await berth.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
  });

  it('rejects an unknown berth:driver tag value', async () => {
    await assert.rejects(ecs.send(new CreateClusterCommand({ clusterName: 'odd', tags: [{ key: 'berth:driver', value: 'docker' }] })), (e: any) => {
      assert.equal(e.name, 'InvalidParameterException');
      assert.match(e.message, /berth:driver .*auto, process, oci/);
      return true;
    });
  });

  it('runs a task that serves HTTP on its reported binding, and stops it with a reason', async () => {
    const arn = await runTask('web', { overrides: { containerOverrides: [{ name: 'web', environment: [{ name: 'GREETING', value: 'overridden' }] }] } });
    if (existsSync(AWS_CLI_V2)) {
      await run(AWS_CLI_V2, ['ecs', 'wait', 'tasks-running', '--cluster', cluster, '--tasks', arn, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: 60_000 });
    }
    const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING');
    assert.equal(t.desiredStatus, 'RUNNING');
    assert.equal(t.connectivity, 'CONNECTED');
    assert.ok(t.startedAt && t.pullStartedAt && t.connectivityAt);
    const c = t.containers![0];
    assert.equal(c.lastStatus, 'RUNNING');
    assert.equal(c.networkBindings?.length, 1);
    const b = c.networkBindings![0];
    assert.equal(b.containerPort, 8080);
    assert.equal(b.protocol, 'tcp');
    assert.ok(b.hostPort! > 0);
    assert.match(await httpGetWhenUp(`http://127.0.0.1:${b.hostPort}/`), /^overridden \d+$/);

    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster })), { name: 'ClusterContainsTasksException' });

    const stopped = await ecs.send(new StopTaskCommand({ cluster, task: arn, reason: 'done with it' }));
    assert.equal(stopped.task?.desiredStatus, 'STOPPED');
    assert.notEqual(stopped.task?.lastStatus, 'STOPPED', 'a running task is stopped by the agent, not in the call');
    const s = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
    assert.equal(s.stopCode, 'UserInitiated');
    assert.equal(s.stoppedReason, 'done with it');
    assert.ok(s.stoppedAt && s.stoppingAt && s.executionStoppedAt);
    assert.equal(s.containers![0].lastStatus, 'STOPPED');
    assert.equal(s.containers![0].exitCode, 143, 'node dies of the SIGTERM: 128 + 15');
    await assert.rejects(httpGet(`http://127.0.0.1:${b.hostPort}/`));
  });

  it('stops a task whose essential container exits 1', async () => {
    await register('fails', [{ name: 'main', image: 'host', command: ['sh', '-c', 'exit 1'] }]);
    const t = await waitForTask(ecs, cluster, await runTask('fails'), (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.stoppedReason, 'Essential container in task exited');
    assert.equal(t.containers![0].exitCode, 1);
    assert.equal(t.desiredStatus, 'STOPPED');
  });

  it('stops, not hangs, a task whose command does not exist', async () => {
    await register('nosuch', [{ name: 'main', image: 'host', command: ['berth-no-such-command'] }]);
    const t = await waitForTask(ecs, cluster, await runTask('nosuch'), (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.match(t.stoppedReason!, /^CannotStartContainerError: .*berth-no-such-command/);
    assert.match(t.containers![0].reason!, /^CannotStartContainerError/);
  });

  it('stops a task whose container goes over its memory limit, with the OutOfMemoryError reason', async () => {
    await register('hog', [{ name: 'main', image: 'host', memory: 8, command: [NODE, '-e', 'setInterval(() => {}, 1000)'] }]);
    const t = await waitForTask(ecs, cluster, await runTask('hog'), (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.containers![0].exitCode, 137);
    assert.match(t.containers![0].reason!, /^OutOfMemoryError/);
  });

  it('starts a container only after the one it depends on (SUCCESS) has exited 0', async () => {
    const file = path.join(shared, 'init.txt');
    await register('ordered', [
      { name: 'app', image: 'host', command: [NODE, '-e', SERVER], portMappings: [{ containerPort: 8080 }], environment: [{ name: 'FILE', value: file }], dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] },
      { name: 'init', image: 'host', essential: false, command: ['sh', '-c', `sleep 0.3; printf written-by-init > ${file}`] },
    ]);
    const arn = await runTask('ordered');
    const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING');
    const init = t.containers!.find((c) => c.name === 'init')!;
    assert.equal(init.lastStatus, 'STOPPED');
    assert.equal(init.exitCode, 0);
    const port = t.containers!.find((c) => c.name === 'app')!.networkBindings![0].hostPort;
    assert.match(await httpGetWhenUp(`http://127.0.0.1:${port}/`), /written-by-init$/);
    await ecs.send(new StopTaskCommand({ cluster, task: arn }));
    await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
  });

  it('re-adopts a running task after kill -9 and after SIGTERM, and reports one that died while Berth was down', async () => {
    const keep = await runTask('web');
    const doomed = await runTask('web');
    const url = async (arn: string) => `http://127.0.0.1:${(await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING')).containers![0].networkBindings![0].hostPort}/`;
    const keepUrl = await url(keep);
    const doomedUrl = await url(doomed);
    const before = await httpGetWhenUp(keepUrl);
    const doomedPid = Number((await httpGetWhenUp(doomedUrl)).split(' ')[1]);

    await restart('kill9', async () => {
      process.kill(doomedPid, 'SIGKILL');
      for (let alive = true, i = 0; alive && i < 100; i++) alive = await httpGet(doomedUrl).then(() => true, () => false);
      await assert.rejects(httpGet(doomedUrl));
    });
    assert.equal(await httpGet(keepUrl), before, 'the same process serves');
    const d = await waitForTask(ecs, cluster, doomed, (x) => x.lastStatus === 'STOPPED');
    assert.equal(d.stopCode, 'EssentialContainerExited');
    assert.equal(d.stoppedReason, 'Essential container in task exited');
    assert.equal(d.containers![0].reason, 'Container exited while Berth was down');

    await restart('sigterm');
    assert.equal(await httpGet(keepUrl), before, 'SIGTERM leaves tasks running');
    const k = await describeTask(ecs, cluster, keep);
    assert.equal(k.lastStatus, 'RUNNING');
    const running = await ecs.send(new ListTasksCommand({ cluster, family: 'web' }));
    assert.deepEqual(running.taskArns, [keep], 'running exactly once');
    await ecs.send(new StopTaskCommand({ cluster, task: keep }));
    await waitForTask(ecs, cluster, keep, (x) => x.lastStatus === 'STOPPED');
    await assert.rejects(httpGet(keepUrl));
  });
});
