/** ALB's own responses through real sockets: 502, 503, 504, 400 (malformed, oversized, smuggling), 460, fail-open. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { createLoadBalancerEngine, type Engine } from './engine.js';
import type { AccessLogEntry } from './options.js';
import type { LbSnapshot, RuleConfig, TargetGroupConfig } from './config.js';
import { client, forwardRule, listener, listenerUrl, loadBalancer, startBackend, targetGroup, waitFor, type Backend, TEST_HEALTH_CHECK } from './test-helpers.js';

const FAST_HC = TEST_HEALTH_CHECK;

/** A port nothing listens on (bound then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Sends raw bytes, resolves with everything received until the server closes (or 10 s). */
function raw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const timer = setTimeout(() => socket.destroy(), 10_000);
    socket.on('data', (c) => (data += c));
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.on('error', () => {});
    socket.write(bytes);
  });
}

describe('responses the load balancer makes', () => {
  let engine: Engine;
  let good: Backend;
  let hangs: Backend;
  const log: AccessLogEntry[] = [];
  const groups: Record<string, TargetGroupConfig> = {};
  let base: string;
  let port: number;
  const http1 = client();
  const rule = (p: number, path: string, arn: string): RuleConfig => forwardRule(p, arn, [{ field: 'path-pattern', values: [path] }]);

  before(async () => {
    good = await startBackend('good', (req, res) => {
      if (req.url === '/reset') {
        req.socket.destroy();
        return true;
      }
      if (req.url === '/garbage') {
        req.socket.end('THIS IS NOT HTTP\r\n\r\n');
        return true;
      }
      return false;
    });
    hangs = await startBackend('hangs', (req) => req.url !== '/'); // takes every request but /, never answers
    groups.good = targetGroup('good', [{ port: good.port }], { healthCheck: FAST_HC });
    groups.refused = targetGroup('refused', [{ port: await closedPort() }], { healthCheck: FAST_HC });
    groups.empty = targetGroup('empty', [], { healthCheck: FAST_HC });
    groups.hangs = targetGroup('hangs', [{ port: hangs.port }], { healthCheck: FAST_HC });
    const rules: RuleConfig[] = [
      rule(1, '/refused*', groups.refused.arn),
      rule(2, '/empty*', groups.empty.arn),
      rule(3, '/hang*', groups.hangs.arn),
      { arn: 'nogroup', priority: 4, conditions: [{ field: 'path-pattern', values: ['/nogroup'] }], actions: [{ type: 'forward', targetGroups: [{ arn: 'arn:missing', weight: 1 }] }] },
      forwardRule('default', groups.good.arn),
    ];
    const snap: LbSnapshot = {
      // Idle timeout 40 s scaled by 0.05: the load balancer waits 2 s for a target's answer.
      loadBalancers: [loadBalancer('err', [listener('err', rules)], { idleTimeoutSeconds: 40 })],
      targetGroups: Object.values(groups),
    };
    engine = createLoadBalancerEngine({ timeScale: 0.05, onAccessLog: (e) => log.push(e) });
    await engine.apply(snap);
    base = listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn);
    port = Number(new URL(base).port);
    await waitFor('targets checked', () =>
      engine.targetHealth(groups.good.arn)[0]?.state === 'healthy' && engine.targetHealth(groups.refused.arn)[0]?.state === 'unhealthy' && engine.targetHealth(groups.hangs.arn)[0]?.state === 'healthy',
    );
  });
  after(async () => {
    await http1.close();
    await engine.close();
    await good.close();
    await hangs.close();
  });

  const assertAlbPage = (r: { status: number; headers: Record<string, unknown>; body: string }, status: number, title: string) => {
    assert.equal(r.status, status);
    assert.equal(r.headers.server, 'awselb/2.0');
    assert.match(r.body, new RegExp(`<title>${status} ${title}</title>`));
  };

  it('502 when the target refuses the connection (an unhealthy-only group fails open to it)', async () => {
    assert.equal(engine.targetHealth(groups.refused.arn)[0].reason, 'Target.FailedHealthChecks');
    assertAlbPage(await http1.get(`${base}/refused`), 502, 'Bad Gateway');
    assert.equal(engine.counters(groups.refused.arn)!.elbResponses['5xx'] >= 1, true);
    assert.equal(engine.counters(groups.refused.arn)!.elbResponseCodes['502'] >= 1, true);
  });
  it('502 when the target resets the connection', async () => {
    assertAlbPage(await http1.get(`${base}/reset`), 502, 'Bad Gateway');
  });
  it('502 when the target answers something that is not HTTP', async () => {
    assertAlbPage(await http1.get(`${base}/garbage`), 502, 'Bad Gateway');
  });
  it('503 when the group has no registered targets, or the forward names no group', async () => {
    assertAlbPage(await http1.get(`${base}/empty`), 503, 'Service Temporarily Unavailable');
    assertAlbPage(await http1.get(`${base}/nogroup`), 503, 'Service Temporarily Unavailable');
    assert.equal(engine.counters(groups.empty.arn)!.elbResponses['5xx'], 1);
    assert.equal(engine.counters(groups.empty.arn)!.elbResponseCodes['503'], 1);
  });
  it('504 when the target does not answer within the idle timeout', async () => {
    assertAlbPage(await http1.get(`${base}/hang`), 504, 'Gateway Time-out');
    assert.equal(engine.counters(groups.hangs.arn)!.elbResponses['5xx'], 1);
    assert.equal(engine.counters(groups.hangs.arn)!.elbResponseCodes['504'], 1);
  });
  it('an upload longer than the idle timeout that keeps sending is not cut', async () => {
    const chunks = 12;
    const reply = await new Promise<string>((resolve, reject) => {
      const req = http.request(`${base}/slow-upload`, { method: 'POST', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c)).on('end', () => resolve(`${res.statusCode} ${body}`));
      });
      req.on('error', reject);
      let sent = 0;
      const tick = setInterval(() => {
        req.write('x'.repeat(10));
        if (++sent === chunks) {
          clearInterval(tick);
          req.end();
        }
      }, 250); // 12 x 250 ms: longer than the 2 s idle timeout in all, never idle for it
    });
    assert.match(reply, /^200 /);
    assert.equal(JSON.parse(reply.slice(4)).body, 'x'.repeat(10 * chunks));
  });
  it('504 when the target does not answer an upload within the idle timeout', async () => {
    const reply = await raw(port, 'POST /hang-upload HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
    assert.match(reply, /^HTTP\/1\.1 504 Gateway Time-out\r\n/);
  });
  it('408 when the client stops sending its body for the idle timeout', async () => {
    const reply = await raw(port, 'POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc');
    assert.match(reply, /^HTTP\/1\.1 408 Request Timeout\r\n/);
    assert.match(reply, /<title>408 Request Timeout<\/title>/);
  });
  it('460 is recorded when the client goes away before the response', async () => {
    const before = engine.counters(groups.hangs.arn)!.elbResponses['4xx'];
    const hits = hangs.hits;
    const socket = net.connect(port, '127.0.0.1');
    socket.write('GET /hang-460 HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('request at the target', () => hangs.hits > hits);
    socket.destroy();
    await waitFor('460 logged', () => log.some((e) => e.url === '/hang-460' && e.elbStatusCode === 460));
    assert.equal(engine.counters(groups.hangs.arn)!.elbResponses['4xx'], before + 1);
  });
  it('closes a keep-alive client connection left idle for the idle timeout', async () => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (c) => (data += c));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    socket.on('error', () => {});
    socket.write('GET /idle HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('answer', () => data.includes('"name":"good"'));
    assert.ok(!/connection: close/i.test(data), 'the connection was kept alive after the response');
    await closed; // 40 s scaled by 0.05; the test's own timeout bounds it
  });
  it('counts target responses and their response time', async () => {
    const before = engine.counters(groups.good.arn)!;
    await http1.get(`${base}/count`);
    await waitFor('logged', () => log.some((e) => e.url === '/count'));
    const after = engine.counters(groups.good.arn)!;
    // A response that reached the client is a 200 in the log, not a 460.
    assert.equal(log.find((e) => e.url === '/count')?.elbStatusCode, 200);
    assert.equal(log.find((e) => e.url === '/count')?.targetStatusCode, 200);
    assert.equal(after.elbResponses['4xx'], before.elbResponses['4xx']);
    assert.equal(after.requests, before.requests + 1);
    assert.equal(after.targetResponses['2xx'], before.targetResponses['2xx'] + 1);
    assert.equal(after.targetResponseTimeCount, before.targetResponseTimeCount + 1);
    assert.ok(after.targetResponseTimeSum > before.targetResponseTimeSum);
    // The histogram (for TargetResponseTime percentiles) counts the same response.
    const binTotal = (c: typeof after) => Object.values(c.targetResponseTimeBins).reduce((a, b) => a + b, 0);
    assert.equal(binTotal(after), binTotal(before) + 1);
  });

  describe('400 for malformed, oversized and ambiguous requests (raw sockets)', () => {
    const refused = async (name: string, bytes: string) => {
      const hits = good.hits;
      const reply = await raw(port, bytes);
      assert.match(reply, /^HTTP\/1\.1 400 /, `${name}: ${reply.slice(0, 80)}`);
      assert.match(reply, /<title>400 Bad Request<\/title>/, name);
      assert.equal(good.hits, hits, `${name} reached the target`);
    };
    it('both Content-Length and Transfer-Encoding', () =>
      refused('CL+TE', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    it('Transfer-Encoding before Content-Length', () =>
      refused('TE+CL', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n'));
    it('duplicate differing Content-Length', () =>
      refused('CL,CL', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 10\r\n\r\nabc'));
    it('obfuscated Transfer-Encoding', () => refused('TE obfuscated', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n'));
    it('an unknown Transfer-Encoding coding (node lets it through; the load balancer must not)', () =>
      refused('TE gzip', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nabc'));
    it('Transfer-Encoding in HTTP/1.0', () => refused('1.0 TE', 'POST / HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'));
    it('space before the header colon', () => refused('space', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\nabc'));
    it('a malformed request line', () => refused('request line', 'GET\r\n\r\n'));
    it('bytes that are not HTTP at all', () => refused('not http', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n'));
    it('a request line over 16 KiB', () => refused('long line', `GET /${'a'.repeat(17 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`));
    it('one header over 16 KiB', () => refused('long header', `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(17 * 1024)}\r\n\r\n`));
    it('headers over 64 KiB in all', () => {
      const many = Array.from({ length: 10 }, (_, i) => `X-H${i}: ${'c'.repeat(8 * 1024)}\r\n`).join('');
      return refused('big head', `GET / HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    });
    it('a request with neither problem still passes', async () => {
      const reply = await raw(port, 'POST /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc');
      assert.match(reply, /^HTTP\/1\.1 200 /);
      assert.match(reply, /"body":"abc"/);
    });
  });
});

describe('fail-open and invalid header fields', () => {
  it('routes to every target when all are unhealthy', async () => {
    const x = await startBackend('x');
    const y = await startBackend('y');
    x.healthStatus = y.healthStatus = 500;
    const tg = targetGroup('sick', [{ port: x.port }, { port: y.port }], { healthCheck: FAST_HC });
    const engine = createLoadBalancerEngine({ timeScale: 0.05 });
    const http1 = client();
    try {
      const snap = { loadBalancers: [loadBalancer('sick', [listener('sick', [forwardRule('default', tg.arn)])])], targetGroups: [tg] };
      await engine.apply(snap);
      await waitFor('both unhealthy', () => engine.targetHealth(tg.arn).every((t) => t.state === 'unhealthy') && engine.targetHealth(tg.arn).length === 2);
      assert.equal(engine.targetHealth(tg.arn)[0].reason, 'Target.ResponseCodeMismatch');
      assert.equal(engine.targetHealth(tg.arn)[0].description, 'Health checks failed with these codes: [500]');
      const names = new Set<string>();
      for (let i = 0; i < 6; i++) {
        const r = await http1.get(listenerUrl(engine, snap.loadBalancers[0].listeners[0].arn) + '/');
        assert.equal(r.status, 200);
        names.add(JSON.parse(r.body).name);
      }
      assert.deepEqual([...names].sort(), ['x', 'y']);
    } finally {
      await http1.close();
      await engine.close();
      await x.close();
      await y.close();
    }
  });

  it('drop_invalid_header_fields drops header names other than letters, digits and hyphens', async () => {
    const t = await startBackend('t');
    const tg = targetGroup('t', [{ port: t.port }], { healthCheck: FAST_HC });
    const engine = createLoadBalancerEngine({ timeScale: 0.05 });
    try {
      const snap = (drop: boolean) => ({ loadBalancers: [loadBalancer('t', [listener('t', [forwardRule('default', tg.arn)])], { dropInvalidHeaderFields: drop })], targetGroups: [tg] });
      await engine.apply(snap(false));
      await waitFor('healthy', () => engine.targetHealth(tg.arn)[0]?.state === 'healthy');
      const send = () =>
        new Promise<Record<string, string>>((resolve, reject) => {
          const a = engine.listenerAddress(snap(false).loadBalancers[0].listeners[0].arn)!;
          http
            .get({ host: a.address, port: a.port, path: '/', agent: false, headers: { 'X_Under': 'u', 'X-Fine': 'f' } }, (res) => {
              let body = '';
              res.on('data', (c) => (body += c)).on('end', () => resolve(JSON.parse(body).headers));
            })
            .on('error', reject);
        });
      assert.equal((await send())['x_under'], 'u');
      await engine.apply(snap(true));
      const headers = await send();
      assert.equal(headers['x_under'], undefined);
      assert.equal(headers['x-fine'], 'f');
    } finally {
      await engine.close();
      await t.close();
    }
  });
});
