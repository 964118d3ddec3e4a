/** Health checks and draining against real targets: states, reason codes, thresholds, deregistration. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createLoadBalancerEngine } from './engine.js';
import type { LbSnapshot, TargetGroupConfig } from './config.js';
import { client, forwardRule, listener, listenerUrl, loadBalancer, startBackend, targetGroup, waitFor, type Backend, TEST_HEALTH_CHECK, LB_MODES, modeName } from './test-helpers.js';

const HC = { ...TEST_HEALTH_CHECK, healthyThresholdCount: 3 };

function withListener(tg: TargetGroupConfig, others: TargetGroupConfig[] = []): LbSnapshot {
  return { loadBalancers: [loadBalancer('h', [listener('h', [forwardRule('default', tg.arn)])])], targetGroups: [tg, ...others] };
}

for (const workers of LB_MODES) describe(`health checks${modeName(workers)}`, () => {
  it('unused -> initial -> healthy (one pass) -> unhealthy (threshold) -> healthy (threshold)', async () => {
    const t = await startBackend('t');
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('t', [{ port: t.port }], { healthCheck: HC });
      // No listener uses the group: no checks, state unused.
      await engine.apply({ loadBalancers: [], targetGroups: [tg] });
      assert.deepEqual(engine.targetHealth(tg.arn), [
        { id: '127.0.0.1', port: t.port, state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' },
      ]);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(t.healthChecks, 0, 'an unused group is not checked');

      await engine.apply(withListener(tg));
      const first = engine.targetHealth(tg.arn)[0];
      assert.equal(first.state, 'initial');
      assert.match(first.reason!, /^Elb\.(RegistrationInProgress|InitialHealthChecking)$/);
      await waitFor('healthy after the first pass', () => engine.targetHealth(tg.arn)[0].state === 'healthy');
      assert.equal(engine.targetHealth(tg.arn)[0].reason, undefined);
      assert.equal(t.healthUserAgent, 'ELB-HealthChecker/2.0');

      t.healthStatus = 503;
      const failFrom = t.healthChecks;
      await waitFor('unhealthy', () => engine.targetHealth(tg.arn)[0].state === 'unhealthy');
      assert.ok(t.healthChecks - failFrom >= 2, `unhealthy after ${t.healthChecks - failFrom} failing checks`);
      assert.equal(engine.targetHealth(tg.arn)[0].reason, 'Target.ResponseCodeMismatch');
      assert.equal(engine.targetHealth(tg.arn)[0].description, 'Health checks failed with these codes: [503]');

      t.healthStatus = 200;
      const passFrom = t.healthChecks;
      await waitFor('healthy again', () => engine.targetHealth(tg.arn)[0].state === 'healthy');
      assert.ok(t.healthChecks - passFrom >= 3, `healthy after ${t.healthChecks - passFrom} passing checks`);
    } finally {
      await engine.close();
      await t.close();
    }
  });

  it('a target that does not answer in time is unhealthy with Target.Timeout', async () => {
    const t = await startBackend('t');
    t.healthStatus = 'hang';
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('t', [{ port: t.port }], { healthCheck: { ...HC, timeoutSeconds: 2 } });
      await engine.apply(withListener(tg));
      await waitFor('unhealthy', () => engine.targetHealth(tg.arn)[0].state === 'unhealthy');
      assert.equal(engine.targetHealth(tg.arn)[0].reason, 'Target.Timeout');
      assert.equal(engine.targetHealth(tg.arn)[0].description, 'Request timed out');
    } finally {
      await engine.close();
      await t.close();
    }
  });

  it('checks the configured port, path and matcher range', async () => {
    // The traffic port answers 500 on /health; the health port answers 204 on /ready.
    const traffic = await startBackend('traffic');
    traffic.healthStatus = 500;
    const checks = await startBackend('checks', (req, res) => {
      if (req.url !== '/ready') return false;
      res.writeHead(204).end();
      return true;
    });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('t', [{ port: traffic.port }], { healthCheck: { ...HC, port: String(checks.port), path: '/ready', matcher: '200-299' } });
      await engine.apply(withListener(tg));
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0].state === 'healthy');
      assert.equal(traffic.healthChecks, 0);
      assert.ok(checks.hits >= 1);
    } finally {
      await engine.close();
      await traffic.close();
      await checks.close();
    }
  });
});

for (const workers of LB_MODES) describe(`draining${modeName(workers)}`, () => {
  async function setup(delaySeconds: number) {
    let release: (() => void) | undefined;
    const slow = await startBackend('slow', (req, res) => {
      if (req.url !== '/slow') return false;
      res.writeHead(200);
      res.write('started;');
      release = () => res.end('finished');
      return true;
    });
    const other = await startBackend('other');
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const tg = targetGroup('d', [{ port: slow.port }, { port: other.port }], { healthCheck: HC, deregistrationDelaySeconds: delaySeconds });
    const snap = withListener(tg);
    await engine.apply(snap);
    await waitFor('healthy', () => engine.targetHealth(tg.arn).filter((h) => h.state === 'healthy').length === 2);
    const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
    const http1 = client();
    // Round robin: a few requests to /slow until one lands on the slow target.
    let inFlight: Promise<string> | undefined;
    while (!inFlight) {
      const before = slow.hits;
      const p = fetch(`${base}/slow`).then((r) => r.text());
      await waitFor('a request arrived', () => slow.hits > before || other.hits > 0);
      if (slow.hits > before) inFlight = p;
      else {
        await p;
        other.hits = 0;
      }
    }
    return { slow, other, engine, tg, snap, base, http1, inFlight, release: () => release!() };
  }

  it('a deregistered target keeps its request in flight, gets no new ones, shows draining, then disappears', async () => {
    const s = await setup(300);
    try {
      await s.engine.apply(withListener({ ...s.tg, targets: s.tg.targets.filter((t) => t.port !== s.slow.port) }));
      const draining = s.engine.targetHealth(s.tg.arn).find((h) => h.port === s.slow.port);
      assert.deepEqual(draining, { id: '127.0.0.1', port: s.slow.port, state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' });
      const hits = s.slow.hits;
      for (let i = 0; i < 6; i++) assert.equal(JSON.parse((await s.http1.get(`${s.base}/new`)).body).name, 'other');
      assert.equal(s.slow.hits, hits);
      s.release();
      assert.equal(await s.inFlight, 'started;finished');
      await waitFor('deregistered', () => s.engine.targetHealth(s.tg.arn).length === 1);
    } finally {
      await s.http1.close();
      await s.engine.close();
      await s.slow.close();
      await s.other.close();
    }
  });

  it('the deregistration delay cuts what is still in flight', async () => {
    const s = await setup(10); // 10 s scaled: 0.5 s
    try {
      await s.engine.apply(withListener({ ...s.tg, targets: s.tg.targets.filter((t) => t.port !== s.slow.port) }));
      assert.equal(s.engine.targetHealth(s.tg.arn).find((h) => h.port === s.slow.port)?.state, 'draining');
      await assert.rejects(s.inFlight);
      await waitFor('deregistered', () => s.engine.targetHealth(s.tg.arn).length === 1);
    } finally {
      await s.http1.close();
      await s.engine.close();
      await s.slow.close();
      await s.other.close();
    }
  });

  it('a target with nothing in flight is deregistered at once', async () => {
    const t = await startBackend('t');
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('t', [{ port: t.port }], { healthCheck: HC });
      await engine.apply(withListener(tg));
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
      await engine.apply(withListener({ ...tg, targets: [] }));
      assert.deepEqual(engine.targetHealth(tg.arn), []);
    } finally {
      await engine.close();
      await t.close();
    }
  });
});
