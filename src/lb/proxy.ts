/**
 * Forwarding one HTTP request to a chosen target over its pooled keep-alive connections (undici),
 * streaming both bodies. Failures become ALB's responses: 504 when the target sends no response
 * head within the idle timeout (or cannot be connected to in time), 502 when it refuses, resets or
 * answers something that is not HTTP; a client that goes away first is recorded as 460.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream';
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
  /** Called once when the request is over with the status the client got (460 when it left). */
  finished: (elbStatus: number, targetStatus?: number) => void;
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
  const abort = new AbortController();
  let over = false;
  const end = target.begin(() => {
    // The deregistration delay ran out: cut the request as ALB does.
    abort.abort();
    res.destroy();
  });
  const finish = (elbStatus: number, targetStatus?: number) => {
    if (over) return;
    over = true;
    end();
    job.finished(elbStatus, targetStatus);
  };
  res.on('close', () => {
    if (!res.writableFinished) {
      abort.abort();
      if (!over) countElbResponse(group.counters, 460);
      finish(460);
    }
  });

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
  const started = job.now();
  target
    .upstream()
    .request({
      path: job.path,
      method: req.method as 'GET',
      headers,
      body: hasBody ? req : null,
      signal: abort.signal,
      headersTimeout: job.idleMs,
      bodyTimeout: job.idleMs,
    })
    .then(
      (up) => {
        const status = up.statusCode;
        countTargetResponse(group.counters, status, (job.now() - started) / 1000);
        if (res.destroyed) {
          up.body.destroy();
          return;
        }
        const out = downstreamResponseHeaders(up.headers);
        const extra = [...job.setCookies, ...(job.onResponseHeaders?.(up.headers) ?? [])];
        if (extra.length) {
          const existing = out['set-cookie'];
          out['set-cookie'] = [...(existing === undefined ? [] : Array.isArray(existing) ? existing : [existing]), ...extra];
        }
        res.writeHead(status, out);
        pipeline(up.body, res, (err) => {
          if (!err) finish(status, status);
          else if (!over) {
            // The target stopped mid-body (reset or idle timeout): the client sees a cut response.
            res.destroy();
            finish(status, status);
          }
        });
      },
      (err) => {
        if (over || res.destroyed) {
          finish(460);
          return;
        }
        const status = upstreamErrorStatus(err);
        countElbResponse(group.counters, status);
        sendElbResponse(res, status);
        finish(status);
      },
    );
}
