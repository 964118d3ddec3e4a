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
import { downstreamRawHeaders, upstreamRequestHeaders } from './headers.js';
import type { InFlight, TargetRuntime } from './target.js';
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
  /** Called with the Set-Cookie values of the target's response, may add Set-Cookie values (app_cookie stickiness). */
  onResponseHeaders?: (targetSetCookies: string[]) => string[];
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

/**
 * undici's dispatch handler in its core (legacy) form — onConnect / onHeaders / onData /
 * onComplete / onError — which undici runs without a wrapper; the controller form
 * (onRequestStart, ...) goes through undici's UnwrapHandler, which parses every response's header
 * list into an object first. Here the raw list goes straight into the client's response head.
 */
interface CoreHandler {
  onConnect(abort: (err?: Error) => void): void;
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onData(chunk: Buffer): boolean;
  onComplete(trailers: Buffer[] | null): void;
  onError(err: Error): void;
}

/** The largest last body chunk sent as a string with the response head (see Exchange.onData). */
const SMALL_BODY = 8 * 1024;

/** One forwarded request: the undici handler, the client side's bookkeeping and its target's in-flight list node, in one object. */
class Exchange implements CoreHandler, InFlight {
  prev: InFlight | undefined = undefined;
  next: InFlight | undefined = undefined;
  ended = false;
  private abortUpstreamFn: ((err?: Error) => void) | undefined;
  private abortedEarly: Error | undefined;
  private resumeUpstream: (() => void) | undefined;
  /** Set once the exchange is accounted for (finish ran). */
  over = false;
  private responded = false;
  private status = 0;
  private answerTimer: NodeJS.Timeout | undefined;
  /** The body bytes the target declared and has not sent yet (-1: no Content-Length). */
  contentLength = -1;
  private drainWatched = false;
  private readonly started: number;

  constructor(private readonly job: ProxyJob) {
    this.started = job.now();
    job.target.enter(this);
  }

  /** The deregistration delay ran out (or the target closed with force): cut the request as ALB does. */
  abort(): void {
    this.abortUpstream(new Error('deregistration delay elapsed'));
    this.job.res.destroy();
  }

  abortUpstream(reason: Error): void {
    if (this.abortUpstreamFn) this.abortUpstreamFn(reason);
    else this.abortedEarly = reason;
  }

  finish(elbStatus: number, targetStatus?: number): void {
    if (this.over) return;
    this.over = true;
    this.job.target.leave(this);
    this.job.finished?.(elbStatus, targetStatus);
  }

  /** The client's socket closed (or the response ended): a response not wholly handed over means the client went away first (ALB's 460). */
  onClientClose(): void {
    clearTimeout(this.answerTimer);
    const { res, group } = this.job;
    if (this.over) return;
    if (res.writableFinished) {
      this.finish(this.status, this.status);
      return;
    }
    this.abortUpstream(new Error('client closed the connection'));
    if (!this.responded) countElbResponse(group.counters, 460);
    this.finish(460, this.responded ? this.status : undefined);
  }

  /** The wait for the target's answer once a request body is in (undici's headers timeout would run from the start). */
  waitForAnswer(): void {
    this.job.req.socket?.setTimeout(0);
    if (this.responded || this.over) return;
    this.answerTimer = setTimeout(() => {
      if (!this.responded) this.abortUpstream(Object.assign(new Error('the target did not answer within the idle timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }));
    }, this.job.idleMs);
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortUpstreamFn = abort;
    if (this.abortedEarly) abort(this.abortedEarly);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 1xx informational: the client's own 100-continue is node's
    const { job } = this;
    const { res } = job;
    this.responded = true;
    clearTimeout(this.answerTimer);
    this.status = statusCode;
    countTargetResponse(job.group.counters, statusCode, (job.now() - this.started) / 1000);
    if (res.destroyed) return true;
    this.resumeUpstream = resume;
    let headers: string[];
    if (job.onResponseHeaders) {
      const targetSetCookies: string[] = [];
      headers = downstreamRawHeaders(rawHeaders, job.setCookies, targetSetCookies, this);
      for (const c of job.onResponseHeaders(targetSetCookies)) headers.push('Set-Cookie', c);
    } else {
      headers = downstreamRawHeaders(rawHeaders, job.setCookies, undefined, this);
    }
    res.writeHead(statusCode, headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    const res = this.job.res;
    if (res.destroyed || res.writableEnded) return true;
    if (this.contentLength >= 0) {
      this.contentLength -= chunk.length;
      // The last bytes of a body of declared length end the response in the same write as
      // themselves (no cork and uncork a tick later, as a write and then end would take). A small
      // one goes as a latin1 string (byte for byte): node then sends the response head and it as
      // one string in one write(), where a Buffer takes a corked writev of two parts.
      if (this.contentLength === 0) {
        if (chunk.length <= SMALL_BODY) res.end(chunk.toString('latin1'), 'latin1');
        else res.end(chunk);
        return true;
      }
    }
    if (res.write(chunk)) return true;
    // Backpressure: a slow client pauses the target's connection instead of buffering.
    if (!this.drainWatched) {
      this.drainWatched = true;
      res.on('drain', () => this.resumeUpstream?.());
    }
    return false;
  }

  onComplete(): void {
    const res = this.job.res;
    if (res.destroyed || res.writableEnded) return;
    // The client's 'close' (onClientClose) finishes the exchange once the response is handed over.
    res.end();
  }

  onError(err: Error): void {
    if (this.over) return;
    const { res, group } = this.job;
    if (this.responded || res.headersSent) {
      // The target stopped mid-body (reset or idle timeout): the client sees a cut response.
      res.destroy();
      this.finish(this.status, this.status);
      return;
    }
    if (res.destroyed) {
      this.finish(460);
      return;
    }
    const elbStatus = upstreamErrorStatus(err);
    countElbResponse(group.counters, elbStatus);
    sendElbResponse(res, elbStatus);
    this.finish(elbStatus);
  }
}

const kExchange = Symbol('exchange');
type ExchangeResponse = ServerResponse & { [kExchange]?: Exchange };

/** The response's socket side closed: ends its forward's bookkeeping (the listener calls this from its 'close' listener). */
export function exchangeClosed(res: ServerResponse): void {
  (res as ExchangeResponse)[kExchange]?.onClientClose();
}

/** Forwards `job.req` to `job.target` and streams the answer back. */
export function proxyRequest(job: ProxyJob): void {
  const { req, res, group, target } = job;
  const x = new Exchange(job);
  // The listener's one 'close' listener calls exchangeClosed (no listener of our own per response).
  (res as ExchangeResponse)[kExchange] = x;

  let headers: string[];
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
    x.finish(400);
    return;
  }
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  if (hasBody && !req.complete) {
    // ALB's idle timeout covers a client that stops sending its body: 408, as ALB answers.
    req.setTimeout(job.idleMs, () => {
      if (!res.headersSent && !x.over) {
        countElbResponse(group.counters, 408);
        sendElbResponse(res, 408, { close: true });
        x.finish(408);
      } else res.destroy();
      x.abortUpstream(new Error('the client stopped sending the request body'));
    });
  }
  // undici's headers timeout runs from the start of the request, so a long upload that keeps
  // sending would hit it; with a body, the wait for the target's answer starts once the body is in.
  if (hasBody) req.once('end', () => x.waitForAnswer());
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
      x as unknown as Dispatcher.DispatchHandler,
    );
  } catch (err) {
    x.onError(err as Error);
  }
}
