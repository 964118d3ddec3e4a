/**
 * Forwarding one HTTP request to a chosen target over its pooled keep-alive connections (undici),
 * streaming both bodies. Failures become ALB's responses: 504 when the target sends no response
 * head within the idle timeout (or cannot be connected to in time), 502 when it refuses, resets or
 * answers something that is not HTTP; a client that goes away first is recorded as 460.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { countElbResponse, countTargetResponse } from './counters.js';
import { sendElbResponse } from './error-pages.js';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.js';
import type { TargetRuntime } from './target.js';
import type { TargetGroupRuntime } from './target-group.js';

/** Everything one forward needs. */
export interface ProxyJob {
  req: IncomingMessage;
  res: ServerResponse;
  /** The request target as a path ("/a?b"). */
  path: string;
  /** The client socket's address, read when the request arrived. */
  clientAddress: string;
  group: TargetGroupRuntime;
  target: TargetRuntime;
  idleMs: number;
  listenerPort: number;
  xffMode: 'append' | 'preserve' | 'remove';
  dropInvalidHeaderFields: boolean;
  /** Set-Cookie values the load balancer adds (stickiness). */
  setCookies: string[];
  /** Called with the target's response headers, may add Set-Cookie values (app_cookie stickiness). */
  onResponseHeaders?: (headers: Record<string, string | string[] | undefined>) => string[];
  now: () => number;
  /** Called once when the request is over with the status the client got (460 when it left); only when someone listens. */
  finished?: (elbStatus: number, targetStatus?: number) => void;
}

/** Classifies an upstream failure before a response head arrived. */
export function upstreamErrorStatus(err: unknown): number {
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 504;
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return 400;
  return 502;
}

/** Forwards `job.req` to `job.target` and streams the answer back. */
export function proxyRequest(job: ProxyJob): void {
  const { req, res, group, target } = job;
  let controller: Dispatcher.DispatchController | undefined;
  let abortedEarly: Error | undefined;
  const abortUpstream = (reason: Error) => {
    if (controller) controller.abort(reason);
    else abortedEarly = reason;
  };
  let over = false;
  let responded = false;
  let status = 0;
  const end = target.begin(() => {
    // The deregistration delay ran out: cut the request as ALB does.
    abortUpstream(new Error('deregistration delay elapsed'));
    res.destroy();
  });
  const finish = (elbStatus: number, targetStatus?: number) => {
    if (over) return;
    over = true;
    end();
    job.finished?.(elbStatus, targetStatus);
  };
  // A response that was not wholly handed to the socket when it closed means the client went
  // away first (ALB's 460).
  res.on('close', () => {
    if (res.writableFinished || over) return;
    abortUpstream(new Error('client closed the connection'));
    if (!responded) countElbResponse(group.counters, 460);
    finish(460, responded ? status : undefined);
  });
  const onDrain = () => controller?.resume();

  let headers: Record<string, string | string[]>;
  try {
    headers = upstreamRequestHeaders(req.rawHeaders, {
      clientIp: job.clientAddress,
      listenerPort: job.listenerPort,
      xffMode: job.xffMode,
      dropInvalidHeaderFields: job.dropInvalidHeaderFields,
    });
  } catch {
    countElbResponse(group.counters, 400);
    sendElbResponse(res, 400);
    finish(400);
    return;
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.complete) {
    // ALB's idle timeout covers a client that stops sending its body: 408, as ALB answers.
    req.setTimeout(job.idleMs, () => {
      if (!res.headersSent && !over) {
        countElbResponse(group.counters, 408);
        sendElbResponse(res, 408, { close: true });
        finish(408);
      } else res.destroy();
      abortUpstream(new Error('the client stopped sending the request body'));
    });
  }
  // undici's headers timeout runs from the start of the request, so a long upload that keeps
  // sending would hit it; with a body, the wait for the target's answer starts once the body is in.
  let answerTimer: NodeJS.Timeout | undefined;
  if (hasBody) {
    req.once('end', () => {
      req.socket?.setTimeout(0);
      if (responded || over) return;
      answerTimer = setTimeout(() => {
        if (!responded) abortUpstream(Object.assign(new Error('the target did not answer within the idle timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
      }, job.idleMs);
    });
    res.once('close', () => clearTimeout(answerTimer));
  }
  const started = job.now();
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (abortedEarly) c.abort(abortedEarly);
    },
    onResponseStart(_c, statusCode, upHeaders) {
      if (statusCode < 200) return; // 1xx informational: the client's own 100-continue is node's
      responded = true;
      clearTimeout(answerTimer);
      status = statusCode;
      countTargetResponse(group.counters, statusCode, (job.now() - started) / 1000);
      if (res.destroyed) return;
      const out = downstreamResponseHeaders(upHeaders);
      const extra = job.setCookies.length || job.onResponseHeaders ? [...job.setCookies, ...(job.onResponseHeaders?.(upHeaders) ?? [])] : [];
      if (extra.length) {
        const existing = out['set-cookie'];
        out['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...extra];
      }
      res.writeHead(statusCode, out);
      res.on('drain', onDrain);
    },
    onResponseData(c, chunk) {
      // Backpressure: a slow client pauses the target's connection instead of buffering.
      if (!res.destroyed && !res.write(chunk)) c.pause();
    },
    onResponseEnd() {
      if (res.destroyed) return;
      res.end(() => finish(status, status));
    },
    onResponseError(_c, err) {
      if (over) return;
      if (responded || res.headersSent) {
        // The target stopped mid-body (reset or idle timeout): the client sees a cut response.
        res.destroy();
        finish(status, status);
        return;
      }
      if (res.destroyed) {
        finish(460);
        return;
      }
      const elbStatus = upstreamErrorStatus(err);
      countElbResponse(group.counters, elbStatus);
      sendElbResponse(res, elbStatus);
      finish(elbStatus);
    },
  };
  try {
    target.upstream().dispatch(
      {
        path: job.path,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? req : null,
        headersTimeout: hasBody ? 0 : job.idleMs,
        bodyTimeout: job.idleMs,
      },
      handler,
    );
  } catch (err) {
    handler.onResponseError?.(controller as Dispatcher.DispatchController, err as Error);
  }
}
