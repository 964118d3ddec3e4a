/**
 * Container health survives a kill -9 of Berth, as it survives an ECS agent restart: a task that
 * was HEALTHY (or UNHEALTHY) before the kill reads the same health from the moment the restarted
 * Berth answers, through its first health check after the restart; it is never UNKNOWN meanwhile.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateClusterCommand, DescribeTasksCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { stopEveryTask, waitForTask } from '../fixtures/tasks.js';

describe('health status across a Berth restart', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let dataDir: string;
  let scratch: string;
  const cluster = 'health-restart';

  before(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-health-restart-'));
    scratch = mkdtempSync(path.join(os.tmpdir(), 'berth-health-runs-'));
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) await stopEveryTask(ecs, cluster);
    await berth.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  });

  /** Registers a task definition whose check appends a line to `runs` each time it runs, then exits `code`. */
  async function register(family: string, runs: string, code: number) {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family,
        containerDefinitions: [
          {
            name: 'main',
            image: 'host',
            memory: 64,
            command: ['sleep', '600'],
            healthCheck: { command: ['CMD-SHELL', `echo run >> ${runs}; exit ${code}`], interval: 5, timeout: 2, retries: 1 },
            stopTimeout: 2,
          },
        ],
      }),
    );
  }
  const checksRun = (runs: string) => (existsSync(runs) ? readFileSync(runs, 'utf8').split('\n').filter(Boolean).length : 0);

  it('a HEALTHY and an UNHEALTHY task keep their health from the restart on, never UNKNOWN', { timeout: 180_000 }, async () => {
    const goodRuns = path.join(scratch, 'good');
    const badRuns = path.join(scratch, 'bad');
    await register('health-good', goodRuns, 0);
    await register('health-bad', badRuns, 1);
    const good = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'health-good' }))).tasks![0].taskArn!;
    const bad = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'health-bad' }))).tasks![0].taskArn!;
    await waitForTask(ecs, cluster, good, (t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'HEALTHY');
    await waitForTask(ecs, cluster, bad, (t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'UNHEALTHY');

    await berth.kill9();
    const before = { good: checksRun(goodRuns), bad: checksRun(badRuns) };
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();

    // Poll from the first answer of the restarted Berth until each container's health check has
    // run again after the restart (its runs file grew), and twice more after that.
    const expected: Record<string, string> = { [good]: 'HEALTHY', [bad]: 'UNHEALTHY' };
    const seen: string[] = [];
    let afterChecks = 0;
    const deadline = Date.now() + 90_000;
    while (afterChecks < 3) {
      assert.ok(Date.now() < deadline, `the health checks did not run again within 90 s of the restart; seen: ${seen.join(', ')}`);
      const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [good, bad] }));
      assert.equal(out.tasks?.length, 2, JSON.stringify(out.failures));
      for (const t of out.tasks!) {
        const which = t.taskArn === good ? 'good' : 'bad';
        seen.push(`${which}:${t.healthStatus}/${t.containers![0].healthStatus}`);
        assert.equal(t.lastStatus, 'RUNNING', `${which} task after the restart`);
        assert.equal(t.healthStatus, expected[t.taskArn!], `the ${which} task's healthStatus after the restart (observations so far: ${seen.join(', ')})`);
        assert.equal(t.containers![0].healthStatus, expected[t.taskArn!], `the ${which} container's healthStatus after the restart`);
      }
      if (checksRun(goodRuns) > before.good && checksRun(badRuns) > before.bad) afterChecks++;
      await sleep(100);
    }
  });
});
