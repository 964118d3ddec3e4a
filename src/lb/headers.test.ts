import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openCookie, parseCookies, sealCookie, setCookieHeader } from './cookies.js';
import { downstreamRawHeaders, traceHeader, upstreamRequestHeaders as upstreamList, type ForwardContext } from './headers.js';

/** The upstream header list by lower-cased name (repeats as arrays), for lookups. */
function upstreamRequestHeaders(raw: string[], c: ForwardContext): Record<string, string | string[]> {
  const list = upstreamList(raw, c);
  assert.equal(list.length % 2, 0);
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < list.length; i += 2) {
    const k = list[i].toLowerCase();
    const prev = out[k];
    out[k] = prev === undefined ? list[i + 1] : Array.isArray(prev) ? [...prev, list[i + 1]] : [prev, list[i + 1]];
  }
  return out;
}

const ctx = { clientIp: '::ffff:127.0.0.9', listenerPort: 8080, xffMode: 'append' as const, dropInvalidHeaderFields: false };

describe('upstream request headers', () => {
  it('appends the client to X-Forwarded-For (several XFF lines joined), sets proto and port', () => {
    const h = upstreamRequestHeaders(['Host', 'a', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2', 'X-Forwarded-Proto', 'https', 'X-Forwarded-Port', '1'], ctx);
    assert.equal(h['x-forwarded-for'], '1.1.1.1, 2.2.2.2, 127.0.0.9');
    assert.equal(h['x-forwarded-proto'], 'http');
    assert.equal(h['x-forwarded-port'], '8080');
    assert.equal(h['host'], 'a');
  });
  it('preserve keeps X-Forwarded-For as sent (and adds none), remove drops it', () => {
    assert.equal(upstreamRequestHeaders(['X-Forwarded-For', '1.1.1.1'], { ...ctx, xffMode: 'preserve' })['x-forwarded-for'], '1.1.1.1');
    assert.equal(upstreamRequestHeaders([], { ...ctx, xffMode: 'preserve' })['x-forwarded-for'], undefined);
    assert.equal(upstreamRequestHeaders(['X-Forwarded-For', '1.1.1.1'], { ...ctx, xffMode: 'remove' })['x-forwarded-for'], undefined);
  });
  it('drops hop-by-hop headers and those the Connection header lists, keeps repeats', () => {
    const h = upstreamRequestHeaders(['Connection', 'keep-alive, X-Secret', 'Keep-Alive', '5', 'X-Secret', 's', 'TE', 'trailers', 'Upgrade', 'h2c', 'Accept', 'a', 'accept', 'b'], ctx);
    for (const name of ['connection', 'keep-alive', 'x-secret', 'te', 'upgrade']) assert.equal(h[name], undefined, name);
    assert.deepEqual(h['accept'], ['a', 'b']);
  });
  it('a client cannot have Host, Content-Length or X-Forwarded-For stripped by listing them in Connection', () => {
    const h = upstreamRequestHeaders(['Host', 'a', 'Content-Length', '3', 'X-Forwarded-For', '1.1.1.1', 'Connection', 'Host, Content-Length, X-Forwarded-For'], ctx);
    assert.equal(h['host'], 'a');
    assert.equal(h['content-length'], '3');
    assert.equal(h['x-forwarded-for'], '1.1.1.1, 127.0.0.9');
  });
  it('keeps the client\'s order, case and repeated lines, and appends the load balancer\'s headers last', () => {
    const list = upstreamList(['Host', 'a', 'X-Custom', '1', 'accept', 'x', 'Connection', 'keep-alive', 'X-CUSTOM', '2', 'x-forwarded-proto', 'https'], ctx);
    assert.deepEqual(list.slice(0, 8), ['Host', 'a', 'X-Custom', '1', 'accept', 'x', 'X-CUSTOM', '2']);
    assert.deepEqual(list.filter((_, i) => i % 2 === 0).slice(4), ['X-Forwarded-For', 'X-Forwarded-Proto', 'X-Forwarded-Port', 'X-Amzn-Trace-Id']);
    assert.deepEqual(list.slice(8, 14), ['X-Forwarded-For', '127.0.0.9', 'X-Forwarded-Proto', 'http', 'X-Forwarded-Port', '8080']);
  });
  it('keeps Connection and Upgrade for upgrades', () => {
    const h = upstreamRequestHeaders(['Connection', 'Upgrade', 'Upgrade', 'websocket'], { ...ctx, upgrade: true });
    assert.equal(h['connection'], 'Upgrade');
    assert.equal(h['upgrade'], 'websocket');
  });
  it('drop_invalid_header_fields drops names with anything but letters, digits and hyphens', () => {
    const h = upstreamRequestHeaders(['X_Under', '1', 'X.Dot', '2', 'X-Ok-9', '3'], { ...ctx, dropInvalidHeaderFields: true });
    assert.deepEqual(Object.keys(h).filter((k) => k.startsWith('x-') && !k.startsWith('x-forwarded') && k !== 'x-amzn-trace-id'), ['x-ok-9']);
  });
  it('trace ids: a new Root, or Self in front of a valid client trace', () => {
    assert.match(traceHeader(undefined), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.match(traceHeader('garbage'), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    const root = 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1';
    assert.match(traceHeader(root), /^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1$/);
    assert.match(traceHeader(`Self=1-00000000-000000000000000000000000;${root}`), /^Self=1-[0-9a-f]{8}-[0-9a-f]{24};Root=1-5759e988/);
    const ids = new Set(Array.from({ length: 1000 }, () => traceHeader(undefined)));
    assert.equal(ids.size, 1000);
  });
  it('response headers lose hop-by-hop ones and those Connection lists, keep case, order and repeats, and add the load balancer\'s cookies', () => {
    const raw = ['Connection', 'close, X-Hop', 'X-Hop', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Content-Type', 'text/plain', 'Set-Cookie', 'b=2', 'Keep-Alive', 'timeout=5'].map((v) => Buffer.from(v, 'latin1'));
    const seen: string[] = [];
    assert.deepEqual(downstreamRawHeaders(raw, ['AWSALB=x; Path=/'], seen), ['Set-Cookie', 'a=1', 'Content-Type', 'text/plain', 'Set-Cookie', 'b=2', 'Set-Cookie', 'AWSALB=x; Path=/']);
    assert.deepEqual(seen, ['a=1', 'b=2']);
    assert.deepEqual(downstreamRawHeaders(['X-A', 'caf\u00e9'].map((v) => Buffer.from(v, 'latin1'))), ['X-A', 'caf\u00e9'], 'bytes pass through as latin1');
  });
});

describe('stickiness cookies', () => {
  const secret = Buffer.alloc(32, 7);
  it('round-trips, refuses tampering, a wrong key and expiry', () => {
    const v = sealCookie(secret, 'tg\n127.0.0.1:80', 2_000);
    assert.equal(openCookie(secret, v, 1_000), 'tg\n127.0.0.1:80');
    assert.equal(openCookie(secret, v, 3_000), undefined, 'expired');
    assert.equal(openCookie(Buffer.alloc(32, 8), v, 1_000), undefined, 'other key');
    const [body, sig] = v.split('.');
    const forged = Buffer.from('9999999999999\ntg\n10.0.0.1:80').toString('base64url');
    assert.equal(openCookie(secret, `${forged}.${sig}`, 1_000), undefined, 'tampered');
    assert.equal(openCookie(secret, body, 1_000), undefined, 'unsigned');
    assert.equal(openCookie(secret, undefined, 1_000), undefined);
  });
  it('parses Cookie headers and writes Set-Cookie with ALB attributes', () => {
    const c = parseCookies(['a=1; AWSALB=x.y', 'a=2; b=3']);
    assert.equal(c.get('a'), '1');
    assert.equal(c.get('AWSALB'), 'x.y');
    assert.equal(c.get('b'), '3');
    assert.equal(setCookieHeader('AWSALB', 'v', Date.UTC(2030, 0, 1)), 'AWSALB=v; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Path=/');
    assert.equal(setCookieHeader('AWSALBCORS', 'v', Date.UTC(2030, 0, 1), true), 'AWSALBCORS=v; Expires=Tue, 01 Jan 2030 00:00:00 GMT; Path=/; SameSite=None; Secure');
  });
});
