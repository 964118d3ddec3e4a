/** End-to-end through real sockets: forwarding, headers, keep-alive, listeners per address, routing actions. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLoadBalancerEngine, type Engine } from './engine.js';
import { client, forwardRule, listener, listenerUrl, loadBalancer, startBackend, targetGroup, waitFor, type Backend, TEST_HEALTH_CHECK, LB_MODES, modeName } from './test-helpers.js';
import type { LbSnapshot, RuleConfig, TargetGroupConfig } from './config.js';

const FAST_HC = TEST_HEALTH_CHECK;

for (const workers of LB_MODES) describe(`forwarding through a listener${modeName(workers)}`, () => {
  let engine: Engine;
  let a: Backend;
  let b: Backend;
  let tgA: TargetGroupConfig;
  let tgB: TargetGroupConfig;
  const http1 = client();
  const rules = (): RuleConfig[] => [
    forwardRule(10, tgB.arn, [{ field: 'path-pattern', values: ['/b/*'] }]),
    { arn: 'fixed', priority: 20, conditions: [{ field: 'path-pattern', values: ['/teapot'] }], actions: [{ type: 'fixed-response', statusCode: '418', contentType: 'application/json', messageBody: '{"short":"stout"}' }] },
    { arn: 'redirect', priority: 30, conditions: [{ field: 'host-header', values: ['old.example.com'] }], actions: [{ type: 'redirect', protocol: 'HTTPS', host: 'new.example.com', port: '443', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_301' }] },
    forwardRule('default', tgA.arn),
  ];
  const snap = (xff: 'append' | 'preserve' | 'remove' = 'append'): LbSnapshot => ({
    loadBalancers: [loadBalancer('web', [listener('web', rules())], { xffHeaderProcessingMode: xff })],
    targetGroups: [tgA, tgB],
  });
  let base: string;

  before(async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    tgA = targetGroup('a', [{ port: a.port }], { healthCheck: FAST_HC });
    tgB = targetGroup('b', [{ port: b.port }], { healthCheck: FAST_HC });
    engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    assert.deepEqual(await engine.apply(snap()), []);
    base = listenerUrl(engine, snap().loadBalancers[0].listeners[0].arn);
    await waitFor('targets healthy', () => engine.targetHealth(tgA.arn)[0]?.state === 'healthy' && engine.targetHealth(tgB.arn)[0]?.state === 'healthy');
  });
  after(async () => {
    await http1.close();
    await engine.close();
    await a.close();
    await b.close();
  });

  it('forwards with X-Forwarded-For/-Proto/-Port, a trace id, and the Host kept', async () => {
    const r = await http1.get(`${base}/hello?x=1`, { host: 'shop.example.com' });
    assert.equal(r.status, 200);
    assert.equal(r.headers.server, undefined, "a target's response is not labelled as the load balancer's");
    const seen = JSON.parse(r.body);
    assert.equal(seen.name, 'a');
    assert.equal(seen.url, '/hello?x=1');
    assert.equal(seen.headers.host, 'shop.example.com');
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(seen.headers['x-forwarded-proto'], 'http');
    assert.equal(seen.headers['x-forwarded-port'], new URL(base).port);
    assert.match(seen.headers['x-amzn-trace-id'], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
  });

  it('keeps a client trace id and puts a Self field in front', async () => {
    const root = 'Root=1-5759e988-bd862e3fe1be46a994272793';
    const seen = JSON.parse((await http1.get(`${base}/t`, { 'x-amzn-trace-id': root })).body);
    assert.match(seen.headers['x-amzn-trace-id'], /^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-5759e988-bd862e3fe1be46a994272793$/);
  });

  it('streams request bodies (POST, chunked)', async () => {
    const res = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${base}/upload`, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.write('part one, ');
      setTimeout(() => req.end('part two'), 50);
    });
    const seen = JSON.parse(res);
    assert.equal(seen.method, 'POST');
    assert.equal(seen.body, 'part one, part two');
    assert.equal(seen.headers['transfer-encoding'], 'chunked');
  });

  it('streams a large response through to a client that reads slowly', async () => {
    const big = await startBackend('big', (req, res) => {
      if (req.url !== '/big') return false;
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const more = () => {
        while (sent < 128) {
          sent++;
          if (!res.write(chunk)) return res.once('drain', more);
        }
        res.end();
      };
      more();
      return true;
    });
    const bigTg = targetGroup('big', [{ port: big.port }], { healthCheck: FAST_HC });
    try {
      await engine.apply({ ...snap(), loadBalancers: [loadBalancer('web', [listener('web', [forwardRule(1, bigTg.arn, [{ field: 'path-pattern', values: ['/big'] }]), ...rules()])])], targetGroups: [tgA, tgB, bigTg] });
      await waitFor('healthy', () => engine.targetHealth(bigTg.arn)[0]?.state === 'healthy');
      const received = await new Promise<number>((resolve, reject) => {
        http.get(`${base}/big`, { agent: false }, (res) => {
          let n = 0;
          res.on('data', (c: Buffer) => {
            n += c.length;
            // Read slowly now and then so backpressure reaches the target.
            if (n % (1024 * 1024) < c.length) {
              res.pause();
              setTimeout(() => res.resume(), 20);
            }
          });
          res.on('end', () => resolve(n));
          res.on('error', reject);
        }).on('error', reject);
      });
      assert.equal(received, 128 * 64 * 1024);
    } finally {
      await engine.apply(snap());
      await big.close();
    }
  });

  it('X-Forwarded-For: append, preserve and remove', async () => {
    const xffOf = async () => JSON.parse((await http1.get(`${base}/x`, { 'x-forwarded-for': '192.0.2.7' })).body).headers['x-forwarded-for'];
    assert.equal(await xffOf(), '192.0.2.7, 127.0.0.1');
    await engine.apply(snap('preserve'));
    assert.equal(await xffOf(), '192.0.2.7');
    await engine.apply(snap('remove'));
    assert.equal(await xffOf(), undefined);
    await engine.apply(snap('append'));
  });

  it('routes by path, answers fixed responses and redirects as ALB builds them', async () => {
    assert.equal(JSON.parse((await http1.get(`${base}/b/thing`)).body).name, 'b');
    assert.equal(JSON.parse((await http1.get(`${base}/bee`)).body).name, 'a');
    const teapot = await http1.get(`${base}/teapot`);
    assert.equal(teapot.status, 418);
    assert.equal(teapot.headers['content-type'], 'application/json');
    assert.equal(teapot.body, '{"short":"stout"}');
    const moved = await http1.get(`${base}/cart?id=3`, { host: 'old.example.com:8080' });
    assert.equal(moved.status, 301);
    assert.equal(moved.headers.location, 'https://new.example.com:443/cart?id=3');
  });

  it('reuses keep-alive connections to clients and to targets', async () => {
    const one = client();
    const before = a.connections.size;
    const clientSockets = new Set<unknown>();
    try {
      for (let i = 0; i < 20; i++) {
        const r = await one.get(`${base}/ka/${i}`);
        assert.equal(r.status, 200);
      }
      // Sequential requests: one upstream connection is enough, so at most one new one appears.
      assert.ok(a.connections.size - before <= 1, `new upstream connections: ${a.connections.size - before}`);
    } finally {
      await one.close();
    }
    // The client side: 10 requests on one raw socket, each answered in turn.
    const { port } = new URL(base);
    const socket = (await import('node:net')).connect(Number(port), '127.0.0.1');
    clientSockets.add(socket);
    const replies = await new Promise<number>((resolve, reject) => {
      let data = '';
      socket.on('data', (c) => {
        data += c;
        const n = data.split('HTTP/1.1 200').length - 1;
        if (n === 10) resolve(n);
      });
      socket.on('error', reject);
      for (let i = 0; i < 10; i++) socket.write(`GET /raw/${i} HTTP/1.1\r\nHost: x\r\n\r\n`);
    });
    socket.destroy();
    assert.equal(replies, 10);
  });
});

for (const workers of LB_MODES) describe(`listeners${modeName(workers)}`, () => {
  it('several load balancers listen on the same port, each on its own loopback address', async () => {
    const one = await startBackend('one');
    const two = await startBackend('two');
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const tg1 = targetGroup('one', [{ port: one.port }], { healthCheck: FAST_HC });
      const tg2 = targetGroup('two', [{ port: two.port }], { healthCheck: FAST_HC });
      const lb1 = loadBalancer('one', [listener('one', [forwardRule('default', tg1.arn)])], { address: '127.0.0.2' });
      assert.deepEqual(await engine.apply({ loadBalancers: [lb1], targetGroups: [tg1, tg2] }), []);
      const port = engine.listenerAddress(lb1.listeners[0].arn)!.port;
      const lb2 = loadBalancer('two', [listener('two', [forwardRule('default', tg2.arn)], port)], { address: '127.0.0.3' });
      assert.deepEqual(await engine.apply({ loadBalancers: [lb1, lb2], targetGroups: [tg1, tg2] }), []);
      await waitFor('healthy', () => engine.targetHealth(tg1.arn)[0]?.state === 'healthy' && engine.targetHealth(tg2.arn)[0]?.state === 'healthy');
      assert.equal(JSON.parse((await http1.get(`http://127.0.0.2:${port}/`)).body).name, 'one');
      assert.equal(JSON.parse((await http1.get(`http://127.0.0.3:${port}/`)).body).name, 'two');
    } finally {
      await http1.close();
      await engine.close();
      await one.close();
      await two.close();
    }
  });

  it('a port already taken is reported as ListenerBindError and the rest is applied', async () => {
    const blocker = http.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as AddressInfo).port;
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    const http1 = client();
    try {
      const tg = targetGroup('fixed', []);
      const fixed: RuleConfig = { arn: 'd', priority: 'default', conditions: [], actions: [{ type: 'fixed-response', statusCode: '200', messageBody: 'ok' }] };
      const busy = loadBalancer('busy', [listener('busy', [fixed], taken)]);
      const free = loadBalancer('free', [listener('free', [fixed])], { address: '127.0.0.4' });
      const errors = await engine.apply({ loadBalancers: [busy, free], targetGroups: [tg] });
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, 'EADDRINUSE');
      assert.equal(errors[0].listenerArn, busy.listeners[0].arn);
      assert.equal(errors[0].port, taken);
      assert.equal(engine.listenerAddress(busy.listeners[0].arn), undefined);
      assert.equal((await http1.get(listenerUrl(engine, free.listeners[0].arn) + '/')).body, 'ok');
    } finally {
      await http1.close();
      await engine.close();
      await new Promise((r) => blocker.close(r));
    }
  });

  it('a removed listener stops accepting while its request in flight finishes', async () => {
    let release: () => void = () => {};
    const slow = await startBackend('slow', (req, res) => {
      if (!req.url?.startsWith('/slow')) return false;
      release = () => res.end('finished');
      return true;
    });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('slow', [{ port: slow.port }], { healthCheck: FAST_HC });
      const snap = { loadBalancers: [loadBalancer('slow', [listener('slow', [forwardRule('default', tg.arn)])])], targetGroups: [tg] };
      await engine.apply(snap);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
      const inFlight = fetch(`${base}/slow`).then((r) => r.text());
      await waitFor('request at the target', () => slow.hits === 1);
      await engine.apply({ loadBalancers: [], targetGroups: [tg] });
      await waitFor('listener closed', () => fetch(`${base}/x`).then(() => false, () => true));
      release();
      assert.equal(await inFlight, 'finished');
    } finally {
      await engine.close();
      await slow.close();
    }
  });
  it('passes bodies through byte for byte: every byte value, small (one write with the head) and large (streamed)', async () => {
    const small = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.concat(Array.from({ length: 300 }, (_, i) => Buffer.from(small.map((b) => (b + i) & 0xff))));
    const bin = await startBackend('bin', (req, res) => {
      const body = req.url === '/large' ? large : small;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
      // The large one in pieces, so the last write is a part of it.
      if (body === large) {
        res.write(body.subarray(0, 30_000));
        setTimeout(() => res.end(body.subarray(30_000)), 20);
      } else res.end(body);
      return true;
    });
    const engine = createLoadBalancerEngine({ timeScale: 0.05, workers });
    try {
      const tg = targetGroup('bin', [{ port: bin.port }], { healthCheck: FAST_HC });
      const snap = { loadBalancers: [loadBalancer('bin', [listener('bin', [forwardRule('default', tg.arn)])])], targetGroups: [tg] };
      await engine.apply(snap);
      const base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
      for (const [path, want] of [['/small', small], ['/large', large]] as const) {
        const r = await fetch(`${base}${path}`);
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('content-length'), String(want.length));
        assert.ok(Buffer.from(await r.arrayBuffer()).equals(want), `${path}: the bytes the target sent`);
      }
    } finally {
      await engine.close();
      await bin.close();
    }
  });
});
