/**
 * The headers the load balancer adds, keeps or drops on the way to a target and back:
 * X-Forwarded-For (append / preserve / remove, per routing.http.xff_header_processing.mode),
 * X-Forwarded-Proto and X-Forwarded-Port (always set), X-Amzn-Trace-Id (ALB's
 * "Root=1-<8 hex epoch seconds>-<24 hex>", or a "Self=" field in front of a client's own trace),
 * hop-by-hop headers removed, and, with drop_invalid_header_fields, header names that are not
 * letters, digits and hyphens dropped.
 */
import { randomBytes } from 'node:crypto';

/** Headers that describe one connection, never forwarded (RFC 9110 section 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect']);

/** By name length: whether a response header of that length may be hop-by-hop or Set-Cookie. */
const MAYBE_SPECIAL: boolean[] = [];
for (const n of [...HOP_BY_HOP, 'set-cookie', 'content-length']) MAYBE_SPECIAL[n.length] = true;

const VALID_NAME = /^[A-Za-z0-9-]+$/;

// Random hex for trace ids, made 4 KiB of random bytes at a time (one system call and one hex
// conversion per 341 requests, not one each); a trace id takes the next 24 hex digits.
const ENTROPY_BYTES = 12 * 341;
let entropyHex = '';
let entropyAt = ENTROPY_BYTES * 2;

// The epoch-seconds field changes once a second: formatted once per second, not per request.
let secondsAt = -1;
let secondsHex = '';

/** A new trace id in ALB's format. */
export function newTraceId(nowMs = Date.now()): string {
  if (entropyAt + 24 > ENTROPY_BYTES * 2) {
    entropyHex = randomBytes(ENTROPY_BYTES).toString('hex');
    entropyAt = 0;
  }
  const seconds = Math.floor(nowMs / 1000);
  if (seconds !== secondsAt) {
    secondsAt = seconds;
    secondsHex = seconds.toString(16).padStart(8, '0');
  }
  const hex = entropyHex.slice(entropyAt, entropyAt + 24);
  entropyAt += 24;
  return `1-${secondsHex}-${hex}`;
}

/** The X-Amzn-Trace-Id to send: a new Root, or the client's own trace with a Self field in front. */
export function traceHeader(existing: string | undefined): string {
  if (existing && /(^|;)\s*Root=1-[0-9a-fA-F]{8}-[0-9a-fA-F]{24}/.test(existing)) {
    return `Self=${newTraceId()};${existing.replace(/(^|;)\s*Self=[^;]*;?/, '$1').replace(/^;/, '')}`;
  }
  return `Root=${newTraceId()}`;
}

/** What the upstream request headers depend on. */
export interface ForwardContext {
  clientIp: string;
  listenerPort: number;
  xffMode: 'append' | 'preserve' | 'remove';
  dropInvalidHeaderFields: boolean;
  /** Keep Connection/Upgrade (WebSocket handshakes). */
  upgrade?: boolean;
}

/** By name length: whether a request header of that length may be one the load balancer sets, drops or reads. */
const REQUEST_SPECIAL: boolean[] = [];
for (const n of [...HOP_BY_HOP, 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-port', 'x-amzn-trace-id']) REQUEST_SPECIAL[n.length] = true;

/**
 * Request headers for the target, from node's raw header list: a flat list (name, value, ...) in
 * the client's order and case, repeats kept, that undici and node:http take as is. Hop-by-hop
 * headers and those the client's Connection header lists are dropped; X-Forwarded-For/-Proto/-Port
 * and X-Amzn-Trace-Id are the load balancer's, appended last.
 */
export function upstreamRequestHeaders(rawHeaders: readonly string[], ctx: ForwardContext): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  let xff: string | undefined;
  let trace: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const value = rawHeaders[i + 1];
    if (ctx.dropInvalidHeaderFields && !VALID_NAME.test(name)) continue;
    // Only names as long as a special one need a case-insensitive look.
    if (REQUEST_SPECIAL[name.length]) {
      const lower = name.toLowerCase();
      if (lower === 'x-forwarded-for') {
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      }
      if (lower === 'x-forwarded-proto' || lower === 'x-forwarded-port') continue;
      if (lower === 'x-amzn-trace-id') {
        trace ??= value;
        continue;
      }
      if (lower === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
      if (!(ctx.upgrade && (lower === 'connection' || lower === 'upgrade')) && HOP_BY_HOP.has(lower)) continue;
    }
    out.push(name, value);
  }
  // Headers a client lists in Connection are hop-by-hop too; framing and routing headers stay.
  if (connection !== undefined) {
    const listed: string[] = [];
    for (const t of connection.split(',')) {
      const name = t.trim().toLowerCase();
      // keep-alive and close name no header still in the list (Keep-Alive is dropped as hop-by-hop).
      if (name === 'keep-alive' || name === 'close' || name === 'host' || name === 'content-length' || (ctx.upgrade && (name === 'connection' || name === 'upgrade'))) continue;
      listed.push(name);
    }
    if (listed.length > 0) for (let i = out.length - 2; i >= 0; i -= 2) if (listed.includes(out[i].toLowerCase())) out.splice(i, 2);
  }
  const clientIp = unmapIpv4(ctx.clientIp);
  if (ctx.xffMode === 'append') out.push('X-Forwarded-For', xff ? `${xff}, ${clientIp}` : clientIp);
  else if (ctx.xffMode === 'preserve' && xff !== undefined) out.push('X-Forwarded-For', xff);
  out.push('X-Forwarded-Proto', 'http', 'X-Forwarded-Port', String(ctx.listenerPort), 'X-Amzn-Trace-Id', traceHeader(trace));
  return out;
}

/**
 * Response headers for the client, from the target's raw header list as undici reads it (name,
 * value, name, value, ... as Buffers or strings; names in the target's case, repeats kept), without
 * hop-by-hop ones and those the target's Connection header lists: a flat list node's writeHead
 * takes as is. `setCookies` are appended as Set-Cookie headers (stickiness); the Set-Cookie values
 * the target sent are pushed onto `targetSetCookies` when it is given (app_cookie stickiness), and
 * `body.contentLength` is set to the Content-Length the target declared (-1 when none).
 */
export function downstreamRawHeaders(raw: readonly (Buffer | string)[], setCookies: readonly string[] = [], targetSetCookies?: string[], body?: { contentLength: number }): string[] {
  const out: string[] = [];
  let listed: string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1');
    // Only names as long as a hop-by-hop one (or Set-Cookie) need a case-insensitive look; the
    // value of a dropped header is not even decoded (Connection's aside: it lists more to drop).
    if (MAYBE_SPECIAL[name.length]) {
      const lower = name.toLowerCase();
      if (HOP_BY_HOP.has(lower)) {
        if (lower === 'connection') {
          const value = raw[i + 1].toString('latin1');
          // "keep-alive" and "close" name no header that could follow.
          if (value !== 'keep-alive' && value !== 'close') for (const t of value.split(',')) (listed ??= []).push(t.trim().toLowerCase());
        }
        continue;
      }
      const value = raw[i + 1].toString('latin1');
      if (targetSetCookies && lower === 'set-cookie') targetSetCookies.push(value);
      else if (body && lower === 'content-length') body.contentLength = Number(value);
      out.push(name, value);
      continue;
    }
    out.push(name, raw[i + 1].toString('latin1'));
  }
  if (listed) {
    for (let i = out.length - 2; i >= 0; i -= 2) if (listed.includes(out[i].toLowerCase())) out.splice(i, 2);
  }
  for (const c of setCookies) out.push('Set-Cookie', c);
  return out;
}

/** "::ffff:127.0.0.1" -> "127.0.0.1" (how dual-stack sockets report IPv4 clients). */
export function unmapIpv4(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
