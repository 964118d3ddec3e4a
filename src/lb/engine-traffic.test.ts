/** Traffic through real sockets: weighted forwards, stickiness, algorithms, slow start, atomic apply under load. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { createLoadBalancerEngine } from './engine.js';
import type { LbSnapshot, RuleConfig, TargetGroupConfig } from './config.js';
import { client, forwardRule, listener, listenerUrl, loadBalancer, startBackend, targetGroup, waitFor, TEST_HEALTH_CHECK, LB_MODES, modeName } from './test-helpers.js';
import { runLoad } from '../../test/fixtures/load.js';

const HC = TEST_HEALTH_CHECK;

function weighted(groups: [TargetGroupConfig, number][], stickiness?: { enabled: boolean; durationSeconds: number }): RuleConfig {
  return { arn: 'default', priority: 'default', conditions: [], actions: [{ type: 'forward', targetGroups: groups.map(([g, weight]) => ({ arn: g.arn, weight })), stickiness }] };
}

function snapshot(rules: RuleConfig[], groups: TargetGroupConfig[]): LbSnapshot {
  return { loadBalancers: [loadBalancer('t', [listener('t', rules)])], targetGroups: groups };
}

const cookieOf = (setCookie: string | string[] | undefined, name: string): string | undefined => {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  const c = list.find((v) => v.startsWith(`${name}=`));
  return c?.split(';')[0];
};

async function healthy(engine: ReturnType<typeof createLoadBalancerEngine>, groups: TargetGroupConfig[]) {
  await waitFor('targets healthy', () => groups.every((g) => engine.targetHealth(g.arn).filter((h) => h.state === 'healthy').length === g.targets.length));
}

for (const workers of LB_MODES) describe(`weighted forwarding and stickiness${modeName(workers)}`, () => {
  it('splits requests by weight per request (never to weight 0), and group stickiness holds a client to its group', async () => {
    const backends = await Promise.all(['blue', 'green', 'never'].map((n) => startBackend(n)));
    const [blue, green, never] = backends.map((b) => targetGroup(b.name, [{ port: b.port }], { healthCheck: HC }));
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const snap = snapshot([weighted([[blue, 20], [green, 80], [never, 0]])], [blue, green, never]);
      await engine.apply(snap);
      await healthy(engine, [blue, green, never]);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      // With worker processes the health the engine reports reaches each worker a moment later
      // (a push): wait until requests on several connections all find healthy targets.
      const probe = client();
      try {
        await waitFor('every worker routing to healthy targets', async () => {
          const statuses = await Promise.all(Array.from({ length: 16 }, () => probe.get(`${base}/`).then((r) => r.status, () => 0)));
          return statuses.every((st) => st === 200);
        });
      } finally {
        await probe.close();
      }
      const n = 1000;
      const tally = await runLoad({ send: async () => JSON.parse((await http1.get(`${base}/`)).body).name as string, concurrency: 8, count: n });
      assert.equal(tally.failures, 0, tally.errors.join('\n'));
      const greenShare = (tally.results.get('green') ?? 0) / n;
      assert.ok(Math.abs(greenShare - 0.8) < 0.06, `green got ${greenShare}`);
      assert.equal(tally.results.get('never'), undefined);

      await engine.apply(snapshot([weighted([[blue, 50], [green, 50]], { enabled: true, durationSeconds: 3600 })], [blue, green, never]));
      const first = await http1.get(`${base}/`);
      const tg = cookieOf(first.headers['set-cookie'], 'AWSALBTG');
      assert.ok(tg, 'AWSALBTG is set');
      assert.ok(cookieOf(first.headers['set-cookie'], 'AWSALBTGCORS'));
      const group = JSON.parse(first.body).name;
      for (let i = 0; i < 20; i++) assert.equal(JSON.parse((await http1.get(`${base}/`, { cookie: tg! })).body).name, group);
      // A forged cookie is ignored (and replaced).
      const forged = await http1.get(`${base}/`, { cookie: 'AWSALBTG=bm9wZQ.abc' });
      assert.ok(cookieOf(forged.headers['set-cookie'], 'AWSALBTG'));
    } finally {
      await http1.close();
      await engine.close();
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('lb_cookie stickiness (AWSALB) holds a client to one target until it is deregistered', async () => {
    const backends = await Promise.all(['one', 'two'].map((n) => startBackend(n)));
    const tg = targetGroup('s', backends.map((b) => ({ port: b.port })), { healthCheck: HC, stickiness: { enabled: true, type: 'lb_cookie', durationSeconds: 86400 } });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const snap = snapshot([forwardRule('default', tg.arn)], [tg]);
      await engine.apply(snap);
      await healthy(engine, [tg]);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      const first = await http1.get(`${base}/`);
      const cookie = cookieOf(first.headers['set-cookie'], 'AWSALB')!;
      assert.ok(cookie);
      assert.match(String(first.headers['set-cookie']), /AWSALB=[^;]+; Expires=[^;]+; Path=\//);
      const name = JSON.parse(first.body).name;
      for (let i = 0; i < 10; i++) assert.equal(JSON.parse((await http1.get(`${base}/`, { cookie })).body).name, name);
      // Without the cookie, round robin spreads.
      const spread = new Set<string>();
      for (let i = 0; i < 4; i++) spread.add(JSON.parse((await http1.get(`${base}/`)).body).name);
      assert.equal(spread.size, 2);
      // The sticky target leaves: the client moves to the other and gets a new cookie.
      const stay = backends.find((b) => b.name !== name)!;
      await engine.apply(snapshot([forwardRule('default', tg.arn)], [{ ...tg, targets: tg.targets.filter((t) => t.port === stay.port) }]));
      const moved = await http1.get(`${base}/`, { cookie });
      assert.equal(JSON.parse(moved.body).name, stay.name);
      assert.notEqual(cookieOf(moved.headers['set-cookie'], 'AWSALB'), cookie);
    } finally {
      await http1.close();
      await engine.close();
      await Promise.all(backends.map((b) => b.close()));
    }
  });

  it('app_cookie stickiness adds AWSALBAPP-0 next to the application cookie', async () => {
    const backends = await Promise.all(
      ['one', 'two'].map((n) =>
        startBackend(n, (req, res) => {
          if (req.url !== '/login') return false;
          res.writeHead(200, { 'set-cookie': 'SESSIONID=abc; Path=/' }).end(n);
          return true;
        }),
      ),
    );
    const tg = targetGroup('app', backends.map((b) => ({ port: b.port })), { healthCheck: HC, stickiness: { enabled: true, type: 'app_cookie', durationSeconds: 600, appCookieName: 'SESSIONID' } });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const snap = snapshot([forwardRule('default', tg.arn)], [tg]);
      await engine.apply(snap);
      await healthy(engine, [tg]);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      const plain = await http1.get(`${base}/`);
      assert.equal(cookieOf(plain.headers['set-cookie'], 'AWSALBAPP-0'), undefined, 'no ALB cookie before the application sets its own');
      const login = await http1.get(`${base}/login`);
      const app = cookieOf(login.headers['set-cookie'], 'AWSALBAPP-0')!;
      assert.ok(app);
      assert.ok(cookieOf(login.headers['set-cookie'], 'SESSIONID'));
      for (let i = 0; i < 8; i++) assert.equal(JSON.parse((await http1.get(`${base}/`, { cookie: `SESSIONID=abc; ${app}` })).body).name, login.body);
    } finally {
      await http1.close();
      await engine.close();
      await Promise.all(backends.map((b) => b.close()));
    }
  });
});

describe('algorithms and slow start', () => {
  it('least_outstanding_requests sends new requests away from a busy target', async () => {
    const held: (() => void)[] = [];
    const busy = await startBackend('busy', (req, res) => {
      if (req.url !== '/hold') return false;
      held.push(() => res.end('held'));
      return true;
    });
    const idle = await startBackend('idle');
    const tg = targetGroup('lor', [{ port: busy.port }, { port: idle.port }], { healthCheck: HC, algorithm: 'least_outstanding_requests' });
    const engine = createLoadBalancerEngine({ timeScale: 0.05 });
    const http1 = client();
    try {
      const snap = snapshot([forwardRule('default', tg.arn)], [tg]);
      await engine.apply(snap);
      await healthy(engine, [tg]);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      // Two held requests: with least outstanding requests, one lands on each target; the busy one keeps its own.
      const pending = [fetch(`${base}/hold`).then((r) => r.text()), fetch(`${base}/hold`).then((r) => r.text())];
      await waitFor('one held at busy', () => held.length === 1 && idle.hits === 1);
      // idle answered /hold at once (its default handler); busy still holds one: everything new goes to idle.
      for (let i = 0; i < 6; i++) assert.equal(JSON.parse((await http1.get(`${base}/`)).body).name, 'idle');
      held.forEach((release) => release());
      await Promise.all(pending);
    } finally {
      await http1.close();
      await engine.close();
      await busy.close();
      await idle.close();
    }
  });

  it('a new target in slow start gets a small share at first', async () => {
    const old = await startBackend('old');
    const fresh = await startBackend('fresh');
    const base_tg = targetGroup('slow', [{ port: old.port }], { healthCheck: HC, slowStartSeconds: 900 });
    const engine = createLoadBalancerEngine({ timeScale: 0.05 }); // 900 s scaled: a 45 s ramp
    const http1 = client();
    try {
      await engine.apply(snapshot([forwardRule('default', base_tg.arn)], [base_tg]));
      await healthy(engine, [base_tg]);
      const both = { ...base_tg, targets: [...base_tg.targets, { id: '127.0.0.1', port: fresh.port, host: '127.0.0.1' }] };
      const snap = snapshot([forwardRule('default', both.arn)], [both]);
      await engine.apply(snap);
      await healthy(engine, [both]);
      const url = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn) + '/';
      const tally = await runLoad({ send: async () => JSON.parse((await http1.get(url)).body).name as string, concurrency: 4, count: 200 });
      assert.equal(tally.failures, 0);
      const freshShare = (tally.results.get('fresh') ?? 0) / 200;
      // Round robin would give it half; early in a 45 s ramp it gets a few percent.
      assert.ok(freshShare < 0.3, `fresh got ${freshShare}`);
    } finally {
      await http1.close();
      await engine.close();
      await old.close();
      await fresh.close();
    }
  });
});

for (const workers of LB_MODES) describe(`atomic apply${modeName(workers)}`, () => {
  it('a keep-alive connection carries on under the new routing table', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const ga = targetGroup('a', [{ port: a.port }], { healthCheck: HC });
    const gb = targetGroup('b', [{ port: b.port }], { healthCheck: HC });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const snap = (g: TargetGroupConfig) => snapshot([forwardRule('default', g.arn)], [ga, gb]);
      await engine.apply(snap(ga));
      // b's group is unused until a listener forwards to it; check both as used first.
      await engine.apply(snapshot([forwardRule(1, gb.arn, [{ field: 'path-pattern', values: ['/never'] }]), forwardRule('default', ga.arn)], [ga, gb]));
      await healthy(engine, [ga, gb]);
      const { port } = engine.listenerAddress(snap(ga).loadBalancers[0].listeners[0].arn)!;
      const socket = net.connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (c) => (data += c));
      socket.write('GET /1 HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor('first answer', () => data.includes('"name":"a"'));
      await engine.apply(snapshot([forwardRule(1, ga.arn, [{ field: 'path-pattern', values: ['/never'] }]), forwardRule('default', gb.arn)], [ga, gb]));
      socket.write('GET /2 HTTP/1.1\r\nHost: x\r\n\r\n');
      await waitFor('second answer on the same connection', () => data.includes('"name":"b"'));
      socket.destroy();
    } finally {
      await engine.close();
      await a.close();
      await b.close();
    }
  });

  it('no request fails while rules, weights and targets change under a stream of requests', async () => {
    const backends = await Promise.all(['a1', 'a2', 'b1', 'b2'].map((n) => startBackend(n)));
    const [a1, a2, b1, b2] = backends;
    const ga = targetGroup('a', [{ port: a1.port }, { port: a2.port }], { healthCheck: HC, deregistrationDelaySeconds: 60 });
    const gb = targetGroup('b', [{ port: b1.port }, { port: b2.port }], { healthCheck: HC, deregistrationDelaySeconds: 60 });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const rules = (wa: number, wb: number, extra: RuleConfig[] = []): RuleConfig[] => [...extra, weighted([[ga, wa], [gb, wb]])];
      const first = snapshot(rules(100, 0), [ga, gb]);
      await engine.apply(first);
      await healthy(engine, [ga, gb]);
      const url = listenerUrl(engine, first.loadBalancers[0].listeners[0].arn);
      const stop = new AbortController();
      const load = runLoad({
        send: async (i) => (await http1.get(`${url}/r/${i}`)).status,
        ok: (s) => s === 200,
        concurrency: 8,
        durationMs: 30_000,
        signal: stop.signal,
      });
      const changes: [TargetGroupConfig, TargetGroupConfig, RuleConfig[]][] = [
        [ga, gb, rules(50, 50)],
        [ga, gb, rules(0, 100, [forwardRule(5, ga.arn, [{ field: 'path-pattern', values: ['/r/1*'] }])])],
        // a2 deregistered (draining), a group's weight back up
        [{ ...ga, targets: ga.targets.slice(0, 1) }, gb, rules(30, 70)],
        [{ ...ga, targets: ga.targets.slice(0, 1) }, { ...gb, targets: gb.targets.slice(1) }, rules(100, 0)],
        [ga, gb, rules(1, 1)],
      ];
      for (const [a, b, r] of changes) {
        await new Promise((res) => setTimeout(res, 150));
        await engine.apply(snapshot(r, [a, b]));
      }
      await new Promise((res) => setTimeout(res, 150));
      stop.abort();
      const tally = await load;
      assert.ok(tally.total > 50, `only ${tally.total} requests`);
      assert.equal(tally.failures, 0, tally.errors.join('\n'));
    } finally {
      await http1.close();
      await engine.close();
      await Promise.all(backends.map((b) => b.close()));
    }
  });
});

