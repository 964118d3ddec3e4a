/**
 * Tasks that really run on the oci driver (runc): a busybox image built by the test, imported
 * into Berth's image store, served by `busybox httpd` in an awsvpc task reached on its
 * privateIPv4Address. Skips with a reason where runc, root or busybox are missing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, StopTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { busyboxSkipReason, openImageStore, writeTestImage } from '../../src/images/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { httpGetWhenUp, stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const runcPresent = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc'].some(existsSync);
const skip = !runcPresent ? 'runc is absent (.ci/run installs it)' : process.getuid?.() !== 0 ? 'the oci driver needs Berth to run as root' : busyboxSkipReason();

describe('tasks that really run (oci driver)', { skip }, () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  const cluster = 'oci';
  const vpc = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], assignPublicIp: 'DISABLED' as const } };

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-run-oci-'));
    const img = path.join(dataDir, 'img');
    await writeTestImage(img, 'oci-layout', { config: { Env: ['PATH=/bin'], Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'] } });
    await openImageStore(dataDir).import(img, 'busybox:e2e');
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    // No berth:driver tag: `auto` takes oci because the image resolves and runc runs as root.
    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'httpd',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image: 'busybox:e2e', essential: true, portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
      }),
    );
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'exit1', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512', containerDefinitions: [{ name: 'main', image: 'busybox:e2e', command: ['sh', '-c', 'exit 1'] }] }));
  });

  after(async () => {
    if (berth && berth.process.exitCode === null) await stopEveryTask(ecs, cluster);
    await berth?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves HTTP on the task IP and stops with exit code, stop code and reason', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'httpd', launchType: 'FARGATE', networkConfiguration: vpc }))).tasks![0].taskArn!;
    const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING');
    const eni = t.attachments![0];
    assert.equal(eni.status, 'ATTACHED');
    const ip = eni.details!.find((d) => d.name === 'privateIPv4Address')!.value!;
    assert.match(ip, /^10\.213\.0\.\d+$/);
    assert.ok(eni.details!.find((d) => d.name === 'macAddress')?.value);
    assert.equal(t.containers![0].networkInterfaces?.[0].privateIpv4Address, ip);
    assert.equal(await httpGetWhenUp(`http://${ip}:8080/`), 'hello from berth\n');
    await ecs.send(new StopTaskCommand({ cluster, task: arn, reason: 'oci done' }));
    const s = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
    assert.equal(s.stopCode, 'UserInitiated');
    assert.equal(s.stoppedReason, 'oci done');
    assert.equal(typeof s.containers![0].exitCode, 'number');
  });

  it('fails a task whose image is not in the image store with CannotPullContainerError', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'oci-only', tags: [{ key: 'berth:driver', value: 'oci' }] }));
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'noimage', containerDefinitions: [{ name: 'main', image: 'nosuch/image:1', memory: 64, command: ['true'] }] }));
    const arn = (await ecs.send(new RunTaskCommand({ cluster: 'oci-only', taskDefinition: 'noimage' }))).tasks![0].taskArn!;
    const t = await waitForTask(ecs, 'oci-only', arn, (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'TaskFailedToStart');
    assert.match(t.stoppedReason!, /^CannotPullContainerError: /);
  });

  it('stops a task whose essential container exits 1', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'exit1', launchType: 'FARGATE', networkConfiguration: vpc }))).tasks![0].taskArn!;
    const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'EssentialContainerExited');
    assert.equal(t.stoppedReason, 'Essential container in task exited');
    assert.equal(t.containers![0].exitCode, 1);
  });
});
