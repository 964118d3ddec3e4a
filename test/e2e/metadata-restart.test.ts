/**
 * The task metadata endpoint keeps its port (and token key) across a kill -9 of Berth: a
 * container started before the kill reads its metadata through the same
 * ECS_CONTAINER_METADATA_URI_V4 before and after the restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { httpGet, httpGetWhenUp, stopEveryTask, waitForTask } from '../fixtures/tasks.js';

/** Serves, on $PORT, its metadata URL and what a GET of it answered: `URL TaskARN` or `URL error ...`. */
const READER = `require('http').createServer((q, s) => { const u = process.env.ECS_CONTAINER_METADATA_URI_V4; fetch(u + '/task').then((r) => r.json()).then((j) => s.end(u + ' ' + j.TaskARN), (e) => s.end(u + ' error ' + e.message)); }).listen(Number(process.env.PORT))`;

describe('task metadata endpoint across a Berth restart', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  const cluster = 'metadata';

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-metadata-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) await stopEveryTask(ecs, cluster);
    await berth.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a container reads its metadata URL before and after kill -9 and restart', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'reader',
        containerDefinitions: [{ name: 'main', image: 'host', memory: 128, command: [process.execPath, '-e', READER], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
      }),
    );
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'reader' }))).tasks![0].taskArn!;
    const t = await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING');
    const url = `http://127.0.0.1:${t.containers![0].networkBindings![0].hostPort}/`;
    const before = await httpGetWhenUp(url);
    assert.match(before, /^http:\/\/127\.0\.0\.1:\d+\/v4\/\S+ /);
    assert.ok(before.endsWith(` ${arn}`), before);

    await berth.kill9();
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await waitForTask(ecs, cluster, arn, (x) => x.lastStatus === 'RUNNING');
    // The restarted agent re-registers the container once it has re-adopted it.
    let afterRestart = '';
    for (let i = 0; i < 200 && !afterRestart.endsWith(` ${arn}`); i++) {
      afterRestart = await httpGet(url);
      if (!afterRestart.endsWith(` ${arn}`)) await sleep(100);
    }
    assert.equal(afterRestart, before, 'the same URL answers the same task');
  });
});
