/**
 * The worker-pool engine's own guarantees (the request path itself is covered by the engine-*
 * tests, which run in both modes): a crashed worker is restarted and no listener is lost, and a
 * Berth killed with SIGKILL leaves no worker process behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createLoadBalancerEngine } from './engine.js';
import { client, listenerUrl, simpleSnapshot, startBackend, targetGroup, waitFor, TEST_HEALTH_CHECK } from './test-helpers.js';
import type { WorkerPoolEngine } from './worker-pool.js';

/** Whether a process is gone (or a zombie nobody reaped yet). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

describe('worker processes', () => {
  it('a worker that crashes is restarted, and its listener keeps serving', async () => {
    const backend = await startBackend('a');
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers: 1 }) as WorkerPoolEngine;
    const http1 = client();
    try {
      const tg = targetGroup('a', [{ port: backend.port }], { healthCheck: TEST_HEALTH_CHECK });
      const snap = simpleSnapshot(tg);
      assert.deepEqual(await engine.apply(snap), []);
      const url = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
      assert.equal((await http1.get(`${url}/one`)).status, 200);
      await waitFor('counted', () => engine.counters(tg.arn)?.requests === 1);
      await waitFor('a worker', () => engine.workerPids().length === 1);
      const [pid] = engine.workerPids();
      process.kill(pid, 'SIGKILL');
      await waitFor('a new worker', () => engine.workerPids().length === 1 && engine.workerPids()[0] !== pid);
      // Same address and port: the socket stayed bound in the engine while no worker ran.
      assert.equal(listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn), url);
      const r = await fetch(`${url}/two`);
      assert.equal(r.status, 200);
      assert.equal(JSON.parse(await r.text()).name, 'a');
      // The dead worker's count is kept: counters stay monotonic.
      await waitFor('counted again', () => engine.counters(tg.arn)?.requests === 2);
    } finally {
      await http1.close();
      await engine.close();
      await backend.close();
    }
  });

  it('workers exit when the process that started them is killed with SIGKILL', async () => {
    const engineUrl = new URL('./index.js', import.meta.url).href;
    const script = `
      import { createLoadBalancerEngine } from ${JSON.stringify(engineUrl)};
      const engine = createLoadBalancerEngine({ workers: 2 });
      await engine.apply({ loadBalancers: [], targetGroups: [] });
      const wait = () => engine.workerPids().length === 2 ? console.log(JSON.stringify(engine.workerPids())) : setTimeout(wait, 20);
      wait();
      setInterval(() => {}, 1000);
    `;
    const berth = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let out = '';
      berth.stdout.on('data', (c) => (out += c));
      await waitFor('worker pids', () => out.includes(']'));
      const pids = JSON.parse(out.split('\n').find((l) => l.startsWith('['))!) as number[];
      assert.equal(pids.length, 2);
      assert.ok(pids.every((p) => !gone(p)), 'the workers run');
      berth.kill('SIGKILL');
      await waitFor('workers gone', () => pids.every(gone));
    } finally {
      berth.kill('SIGKILL');
    }
  });
});
