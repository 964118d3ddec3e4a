/**
 * Per-task stats sampling: a task that burns CPU on the process driver is sampled by the
 * running Berth, and the sample (cpu and memory above 0, its cluster and service) is read back
 * through `readTaskStats`, the reader the metrics work uses.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, RunTaskCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { readTaskStats, type TaskStatsSample } from '../../src/agent/index.js';
import { Store } from '../../src/state/index.js';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { stopEveryTask, waitForTask } from '../fixtures/tasks.js';

describe('per-task stats sampling (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  const cluster = 'stats';

  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_STATS_INTERVAL: '0.5' } });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  });

  after(async () => {
    await stopEveryTask(ecs, cluster);
    await berth.cleanup();
  });

  it('samples a task that burns CPU: cpu and memory above 0, read back by cluster and group service', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'burn',
        cpu: '512',
        memory: '256',
        containerDefinitions: [{ name: 'main', image: 'host', command: [process.execPath, '-e', 'for (;;) {}'], stopTimeout: 2 }],
      }),
    );
    const out = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'burn', group: 'service:burner' }));
    const arn = out.tasks![0].taskArn!;
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'RUNNING');
    // Read the same SQLite file (WAL: a second reader is safe) until a sample with CPU use shows up.
    const store = Store.open(berth.dataDir);
    let samples: TaskStatsSample[] = [];
    try {
      for (let i = 0; i < 300 && !samples.some((s) => s.cpuUnitsUsed > 0); i++) {
        samples = readTaskStats(store, { cluster, service: 'burner', since: new Date(0) });
        if (!samples.some((s) => s.cpuUnitsUsed > 0)) await sleep(100);
      }
    } finally {
      store.close();
    }
    const s = samples.find((x) => x.cpuUnitsUsed > 0);
    assert.ok(s, `no sample with CPU use: ${JSON.stringify(samples)}`);
    assert.equal(s.taskArn, arn);
    assert.equal(s.clusterName, cluster);
    assert.equal(s.serviceName, 'burner');
    assert.equal(s.cpuUnitsReserved, 512);
    assert.ok(s.cpuUtilization > 0);
    assert.ok(s.memoryBytes > 0);
    assert.equal(s.memoryReservedBytes, 256 * 1024 * 1024);
    assert.ok(s.memoryUtilization! > 0);
  });
});
