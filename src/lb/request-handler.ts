/**
 * What a listener does with one request, on the routing snapshot the request began with: refuse
 * malformed or ambiguous requests (400), evaluate the rules, and run the rule's action — a
 * fixed response, a redirect, or a forward to a target group (weighted, with group stickiness)
 * and a target (algorithm, slow start, target stickiness) through the proxy.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoadBalancerConfig, ListenerConfig, RuleAction } from './config.js';
import { openCookie, parseCookies, sealCookie, setCookieHeader } from './cookies.js';
import { countElbResponse } from './counters.js';
import { sendElbResponse } from './error-pages.js';
import type { AccessLogEntry, ResolvedEngineOptions } from './options.js';
import { proxyRequest } from './proxy.js';
import { redirectLocation, redirectStatus } from './redirect.js';
import { matchRule, stripPort, type RoutingRequest } from './routing.js';
import { chooseWeighted, type Weighted } from './selection.js';
import type { TargetRuntime } from './target.js';
import type { TargetGroupRuntime } from './target-group.js';

/** The routing table one listener serves, swapped whole by apply(). */
export interface ListenerState {
  lb: LoadBalancerConfig;
  listener: ListenerConfig;
  /** The port actually bound (differs from listener.port when that is 0). */
  boundPort: number;
}

/** What request handling needs from the engine. */
export interface EngineContext {
  options: ResolvedEngineOptions;
  group(arn: string): TargetGroupRuntime | undefined;
}

/** ALB's limits: request line 16 KiB, one header 16 KiB (the whole head, 64 KiB, is node's maxHeaderSize). */
export const MAX_REQUEST_LINE = 16 * 1024;
export const MAX_HEADER_LINE = 16 * 1024;

/** Why a parsed request is refused with 400, or undefined when it may proceed. */
export function malformedReason(req: IncomingMessage): string | undefined {
  const url = req.url ?? '';
  if (url.length + (req.method?.length ?? 0) + 11 > MAX_REQUEST_LINE) return 'request line too long';
  if (!url.startsWith('/') && !/^https?:\/\//i.test(url)) return 'request target is not a path';
  let contentLengths = 0;
  let firstLength: string | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    if (name.length + value.length + 2 > MAX_HEADER_LINE) return `header ${name} too long`;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      contentLengths++;
      if (firstLength !== undefined && value.trim() !== firstLength) return 'conflicting Content-Length headers';
      firstLength = value.trim();
    }
  }
  // Request smuggling: a body framed two ways is refused, never guessed (RFC 9112 section 6.3).
  const te = req.headers['transfer-encoding'];
  if (te !== undefined) {
    if (contentLengths > 0) return 'both Content-Length and Transfer-Encoding';
    // Node's parser lets an unknown coding ("xchunked") through and reads the body to the end of
    // the connection; a proxy must not guess, and HTTP/1.0 has no chunked framing at all.
    if (te.trim().toLowerCase() !== 'chunked') return `unsupported Transfer-Encoding ${te}`;
    if (req.httpVersion === '1.0') return 'Transfer-Encoding in an HTTP/1.0 request';
  }
  return undefined;
}

/** Splits a request target into path and raw query ("http://h/p?q" is reduced to its path). */
export function splitTarget(url: string): { path: string; query: string } {
  let target = url;
  if (!target.startsWith('/')) {
    const m = /^https?:\/\/[^/?#]*(.*)$/i.exec(target);
    target = m ? m[1] || '/' : target;
  }
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  return q < 0 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
}

/** Handles one request on `state`. */
export function handleRequest(ctx: EngineContext, state: ListenerState, req: IncomingMessage, res: ServerResponse, closing: boolean): void {
  const { options } = ctx;
  // Read once: the socket is detached from the request after the response ends.
  const clientAddress = req.socket?.remoteAddress ?? '';
  if (closing) res.shouldKeepAlive = false;
  const log = options.onAccessLog ? accessLogger(options.onAccessLog, options.now, state, req, clientAddress) : noLog;

  if (malformedReason(req)) {
    sendElbResponse(res, 400, { close: true });
    log(400);
    return;
  }
  const { path, query } = splitTarget(req.url ?? '/');
  const host = req.headers.host ?? '';
  const routing: RoutingRequest = {
    method: req.method ?? '',
    path,
    query,
    host,
    headers: req.headers,
    sourceIp: clientAddress,
  };
  const rule = matchRule(state.listener.rules, routing);
  const action: RuleAction | undefined = rule?.actions[rule.actions.length - 1];
  if (!action) {
    sendElbResponse(res, 503);
    log(503);
    return;
  }
  switch (action.type) {
    case 'fixed-response': {
      const body = action.messageBody ?? '';
      sendElbResponse(res, Number(action.statusCode), { body, contentType: action.contentType ?? 'text/plain; charset=utf-8' });
      log(Number(action.statusCode));
      return;
    }
    case 'redirect': {
      const status = redirectStatus(action);
      const location = redirectLocation(action, { protocol: 'http', host: stripPort(host), port: state.boundPort, path, query });
      sendElbResponse(res, status, { headers: { Location: location } });
      log(status);
      return;
    }
    case 'forward':
      forward(ctx, state, action, req, res, path, query, clientAddress, log);
      return;
  }
}

type Log = (elbStatusCode: number, extra?: Partial<AccessLogEntry>) => void;
const noLog: Log = () => {};

/** Writes one access log entry when the request is over (only when an access log is kept). */
function accessLogger(sink: (entry: AccessLogEntry) => void, now: () => number, state: ListenerState, req: IncomingMessage, clientAddress: string): Log {
  const startedAt = now();
  return (elbStatusCode, extra) =>
    sink({
      loadBalancerArn: state.lb.arn,
      listenerArn: state.listener.arn,
      method: req.method ?? '',
      url: req.url ?? '',
      clientAddress,
      elbStatusCode,
      requestProcessingTime: (now() - startedAt) / 1000,
      ...extra,
    });
}

type ForwardAction = Extract<RuleAction, { type: 'forward' }>;

/** The group and target a forward picks, with the Set-Cookie values that keep it sticky. */
export interface ForwardChoice {
  group?: TargetGroupRuntime;
  target?: TargetRuntime;
  setCookies: string[];
  /** For app_cookie stickiness: adds AWSALBAPP-0 when the application set its cookie. */
  onResponseHeaders?: (targetSetCookies: string[]) => string[];
}

// A snapshot's actions never change, so each forward's weight list is built once.
const weightLists = new WeakMap<ForwardAction, Weighted<string>[]>();
function weightsOf(action: ForwardAction): Weighted<string>[] {
  let list = weightLists.get(action);
  if (!list) {
    list = action.targetGroups.map((g) => ({ item: g.arn, weight: g.weight }));
    weightLists.set(action, list);
  }
  return list;
}

/** Chooses the group (weights, group stickiness) and target (algorithm, target stickiness) for a request. */
/** The Set-Cookie values of a forward without stickiness: none (shared, never written to). */
const NO_COOKIES: string[] = [];

export function chooseForward(ctx: EngineContext, action: ForwardAction, cookieHeader: string | string[] | undefined): ForwardChoice {
  const { options } = ctx;
  // Without stickiness (group or target) no cookie is read or set: nothing to allocate for them.
  if (!action.stickiness?.enabled) {
    const arn = action.targetGroups.length === 1 ? action.targetGroups[0].arn : chooseWeighted(weightsOf(action), options.random);
    const group = arn ? ctx.group(arn) : undefined;
    if (group && !group.config.stickiness.enabled) return { group, target: group.select(undefined), setCookies: NO_COOKIES };
    // A group with target stickiness: the full path below draws the group again (an equally random choice).
  }
  // Cookies and the wall clock matter only with stickiness: read on first use.
  let cookieMap: Map<string, string> | undefined;
  const cookies = { get: (name: string) => (cookieMap ??= parseCookies(cookieHeader)).get(name) };
  let wall: number | undefined;
  const wallNow = () => (wall ??= Date.now());
  const setCookies: string[] = [];
  let groupArn: string | undefined;
  if (action.targetGroups.length === 1) {
    groupArn = action.targetGroups[0].arn;
  } else {
    if (action.stickiness?.enabled) {
      const sticky = openCookie(options.cookieSecret, cookies.get('AWSALBTG'), wallNow());
      if (sticky && action.targetGroups.some((g) => g.arn === sticky && g.weight > 0)) groupArn = sticky;
    }
    groupArn ??= chooseWeighted(weightsOf(action), options.random);
    if (groupArn && action.stickiness?.enabled) {
      const expires = wallNow() + options.ms(action.stickiness.durationSeconds);
      const value = sealCookie(options.cookieSecret, groupArn, expires);
      setCookies.push(setCookieHeader('AWSALBTG', value, expires), setCookieHeader('AWSALBTGCORS', value, expires, true));
    }
  }
  const group = groupArn ? ctx.group(groupArn) : undefined;
  if (!group) return { setCookies };
  const st = group.config.stickiness;
  let stickyKey: string | undefined;
  const stickyPayload = (value: string | undefined) => {
    const payload = openCookie(options.cookieSecret, value, wallNow());
    if (!payload) return undefined;
    const nl = payload.indexOf('\n');
    return payload.slice(0, nl) === group.arn ? payload.slice(nl + 1) : undefined;
  };
  if (st.enabled && st.type === 'lb_cookie') stickyKey = stickyPayload(cookies.get('AWSALB'));
  if (st.enabled && st.type === 'app_cookie') stickyKey = stickyPayload(cookies.get('AWSALBAPP-0'));
  const target = group.select(stickyKey);
  if (!target || !st.enabled) return { group, target, setCookies };
  const expires = wallNow() + options.ms(st.durationSeconds);
  const value = sealCookie(options.cookieSecret, `${group.arn}\n${target.key}`, expires);
  if (st.type === 'lb_cookie') {
    setCookies.push(setCookieHeader('AWSALB', value, expires), setCookieHeader('AWSALBCORS', value, expires, true));
    return { group, target, setCookies };
  }
  // app_cookie: ALB adds its cookie when the application sets its own (or keeps a stickiness alive).
  const appName = st.appCookieName ?? '';
  const alreadySticky = stickyKey === target.key;
  return {
    group,
    target,
    setCookies,
    onResponseHeaders: (list) => {
      const appSet = appName !== '' && list.some((c) => c.split('=')[0].trim() === appName);
      return appSet || alreadySticky ? [setCookieHeader('AWSALBAPP-0', value, expires)] : [];
    },
  };
}

function forward(
  ctx: EngineContext,
  state: ListenerState,
  action: ForwardAction,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: string,
  clientAddress: string,
  log: Log,
): void {
  const choice = chooseForward(ctx, action, req.headers.cookie);
  const { group, target } = choice;
  if (!group) {
    sendElbResponse(res, 503);
    log(503);
    return;
  }
  group.counters.requests++;
  if (!target) {
    countElbResponse(group.counters, 503);
    sendElbResponse(res, 503);
    log(503, { targetGroupArn: group.arn });
    return;
  }
  proxyRequest({
    req,
    res,
    path: query ? `${path}?${query}` : path,
    clientAddress,
    group,
    target,
    idleMs: ctx.options.ms(state.lb.idleTimeoutSeconds),
    listenerPort: state.boundPort,
    xffMode: state.lb.xffHeaderProcessingMode,
    dropInvalidHeaderFields: state.lb.dropInvalidHeaderFields,
    setCookies: choice.setCookies,
    onResponseHeaders: choice.onResponseHeaders,
    now: ctx.options.now,
    finished:
      log === noLog ? undefined : (elbStatus, targetStatus) => log(elbStatus, { targetGroupArn: group.arn, target: target.address, targetStatusCode: targetStatus }),
  });
}
