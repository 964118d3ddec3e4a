/**
 * Connection upgrades (WebSocket): the handshake is routed like any request; when the rule
 * forwards, the handshake goes to the chosen target on a connection of its own, and after the
 * target's 101 the two sockets are piped byte for byte until either side closes or the idle
 * timeout passes with no traffic. A target that answers without upgrading has its response
 * relayed; errors become ALB's 502/503/504 written on the raw socket.
 */
import http, { type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { countElbResponse } from './counters.js';
import { errorPage, reasonPhrase } from './error-pages.js';
import { upstreamRequestHeaders } from './headers.js';
import { chooseForward, malformedReason, splitTarget, type EngineContext, type ListenerState } from './request-handler.js';
import { redirectLocation, redirectStatus } from './redirect.js';
import { matchRule, stripPort } from './routing.js';

/** Writes a complete HTTP/1.1 response on a raw socket and closes it. */
export function writeRawResponse(socket: Duplex, status: number, headers: Record<string, string> = {}, body = errorPage(status), contentType = 'text/html'): void {
  if (socket.destroyed) return;
  const lines = [`HTTP/1.1 ${status} ${reasonPhrase(status)}`, 'Server: awselb/2.0', `Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  socket.end(lines.join('\r\n') + '\r\n\r\n' + body);
}

/** Handles an upgrade request on `state`. `track` registers the client socket with the listener. */
export function handleUpgrade(ctx: EngineContext, state: ListenerState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const clientAddress = req.socket?.remoteAddress ?? '';
  if (malformedReason(req)) return writeRawResponse(socket, 400);
  const { path, query } = splitTarget(req.url ?? '/');
  const host = req.headers.host ?? '';
  const rule = matchRule(state.listener.rules, { method: req.method ?? '', path, query, host, headers: req.headers, sourceIp: clientAddress });
  const action = rule?.actions[rule.actions.length - 1];
  if (!action) return writeRawResponse(socket, 503);
  if (action.type === 'fixed-response') {
    return writeRawResponse(socket, Number(action.statusCode), {}, action.messageBody ?? '', action.contentType ?? 'text/plain; charset=utf-8');
  }
  if (action.type === 'redirect') {
    const location = redirectLocation(action, { protocol: 'http', host: stripPort(host), port: state.boundPort, path, query });
    return writeRawResponse(socket, redirectStatus(action), { Location: location });
  }
  const { group, target, setCookies } = chooseForward(ctx, action, req.headers.cookie);
  if (!group) return writeRawResponse(socket, 503);
  group.counters.requests++;
  if (!target) {
    countElbResponse(group.counters, 503);
    return writeRawResponse(socket, 503);
  }
  const idleMs = ctx.options.ms(state.lb.idleTimeoutSeconds);
  let upstreamSocket: Duplex | undefined;
  const end = target.begin(() => {
    socket.destroy();
    upstreamSocket?.destroy();
  });
  socket.on('close', () => {
    upstreamSocket?.destroy();
    end();
  });
  const headers = upstreamRequestHeaders(req.rawHeaders, {
    clientIp: clientAddress,
    listenerPort: state.boundPort,
    xffMode: state.lb.xffHeaderProcessingMode,
    dropInvalidHeaderFields: state.lb.dropInvalidHeaderFields,
    upgrade: true,
  });
  const upReq = http.request({
    host: target.config.host,
    port: target.config.port,
    method: req.method,
    path: query ? `${path}?${query}` : path,
    headers,
    agent: false,
    setHost: false,
  });
  const handshakeTimer = setTimeout(() => {
    upReq.destroy();
    countElbResponse(group.counters, 504);
    writeRawResponse(socket, 504);
  }, idleMs);
  upReq.on('upgrade', (upRes, upSocket, upHead) => {
    clearTimeout(handshakeTimer);
    upstreamSocket = upSocket;
    if (socket.destroyed) return upSocket.destroy();
    const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`];
    for (let i = 0; i < upRes.rawHeaders.length; i += 2) lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
    for (const c of setCookies) lines.push(`Set-Cookie: ${c}`);
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.on('error', () => socket.destroy());
    upSocket.on('close', () => socket.destroy());
    // ALB's idle timeout applies to upgraded connections too.
    upSocket.setTimeout(idleMs, () => {
      upSocket.destroy();
      socket.destroy();
    });
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  upReq.on('response', (upRes) => {
    // The target declined to upgrade: relay its answer and close.
    clearTimeout(handshakeTimer);
    const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`];
    for (let i = 0; i < upRes.rawHeaders.length; i += 2) {
      const name = upRes.rawHeaders[i].toLowerCase();
      if (name === 'connection' || name === 'keep-alive' || name === 'transfer-encoding') continue;
      lines.push(`${upRes.rawHeaders[i]}: ${upRes.rawHeaders[i + 1]}`);
    }
    lines.push('Connection: close');
    socket.write(lines.join('\r\n') + '\r\n\r\n');
    upRes.pipe(socket);
  });
  upReq.on('error', () => {
    clearTimeout(handshakeTimer);
    // After a 101, or after the handshake timed out (504 already written), there is nothing to answer.
    if (upstreamSocket || socket.writableEnded) return socket.destroy();
    countElbResponse(group.counters, 502);
    writeRawResponse(socket, 502);
  });
  upReq.end();
}
