/**
 * One listener: a real node:http server bound on its load balancer's own loopback address and
 * port. Its routing table is one object swapped whole by {@link ListenerServer.update}: a request
 * reads it once when it arrives and keeps it to the end, so a change never splits a request,
 * while keep-alive connections pick up the new table on their next request. Closing stops
 * accepting, closes idle connections, and lets requests in flight finish (up to a bound).
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { rawResponse, sendElbResponse } from './error-pages.js';
import { handleRequest, type EngineContext, type ListenerState } from './request-handler.js';
import { exchangeClosed } from './proxy.js';
import { handleUpgrade } from './upgrade.js';

/** ALB's limit on the whole request head (request line and headers). */
export const MAX_HEADER_SIZE = 64 * 1024;

const kListener = Symbol('listener');
type ListenerResponse = http.ServerResponse & { [kListener]?: ListenerServer };

/** A response of a listener closed (sent, or its client went away). */
function onResponseClose(this: ListenerResponse): void {
  exchangeClosed(this);
  this[kListener]?.responseClosed();
}

export class ListenerServer {
  private readonly server: http.Server;
  private closing = false;
  private readonly upgraded = new Set<Duplex>();
  private inFlight = 0;

  /** A request of this listener is over. */
  responseClosed(): void {
    this.inFlight--;
    if (this.closing) setImmediate(() => this.server.closeIdleConnections());
  }

  constructor(
    readonly address: string,
    readonly configuredPort: number,
    private state: ListenerState,
    private readonly ctx: EngineContext,
  ) {
    const idleMs = ctx.options.ms(state.lb.idleTimeoutSeconds);
    this.server = http.createServer({
      maxHeaderSize: MAX_HEADER_SIZE,
      keepAliveTimeout: idleMs,
      // Long uploads and downloads are bounded by the idle timeout, not a total time.
      requestTimeout: 0,
      headersTimeout: Math.max(idleMs, 1000),
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(idleMs / 2))),
    });
    this.server.on('request', (req, res) => {
      const current = this.state;
      this.inFlight++;
      // One shared 'close' listener per response (no closure): it ends the forward, if any, too.
      (res as ListenerResponse)[kListener] = this;
      res.on('close', onResponseClose);
      try {
        handleRequest(this.ctx, current, req, res, this.closing);
      } catch {
        // A bug must not take the listener (or Berth) down: ALB's internal error for this request.
        sendElbResponse(res, 500, { close: true });
      }
    });
    this.server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
      this.upgraded.add(socket);
      socket.on('close', () => this.upgraded.delete(socket));
      try {
        handleUpgrade(this.ctx, this.state, req, socket, head);
      } catch {
        socket.destroy();
      }
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
      // Node's parser refused the request (malformed, oversized head, ambiguous framing):
      // ALB answers 400 and closes; a connection that merely went away is just closed.
      const code = err.code ?? '';
      if (code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) {
        // A request head that did not arrive in time: ALB's 408.
        socket.end(rawResponse(408));
        return;
      }
      if (code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      socket.end(rawResponse(400));
    });
  }

  /** The routing table now served. */
  get current(): ListenerState {
    return this.state;
  }

  /**
   * Binds; rejects with the listen error (EADDRINUSE, EACCES, ...). In a worker process `handle`
   * is the socket the engine bound and shared (every worker accepts on it).
   */
  listen(handle?: object): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      const onListening = () => {
        this.server.off('error', onError);
        this.server.on('error', () => {});
        const port = (this.server.address() as { port: number }).port;
        this.state = { ...this.state, boundPort: port };
        resolve(port);
      };
      if (handle) this.server.listen(handle, onListening);
      else this.server.listen({ host: this.address, port: this.configuredPort, exclusive: true }, onListening);
    });
  }

  /** The port bound. */
  get port(): number {
    return this.state.boundPort;
  }

  /** Swaps the routing table (one assignment: atomic for every request that starts after it). */
  update(state: Omit<ListenerState, 'boundPort'>): void {
    this.state = { ...state, boundPort: this.state.boundPort };
    this.server.keepAliveTimeout = this.ctx.options.ms(state.lb.idleTimeoutSeconds);
  }

  /**
   * Stops accepting and closes idle connections; requests in flight finish (their connections
   * close after the response) until `graceMs` passes, then everything left is cut.
   */
  close(graceMs: number): Promise<void> {
    if (this.closing) return Promise.resolve();
    this.closing = true;
    return new Promise((resolve) => {
      const hard = setTimeout(() => {
        this.server.closeAllConnections();
        for (const s of this.upgraded) s.destroy();
      }, graceMs);
      this.server.close(() => {
        clearTimeout(hard);
        resolve();
      });
      this.server.closeIdleConnections();
      if (this.inFlight === 0 && this.upgraded.size === 0) {
        clearTimeout(hard);
        this.server.closeAllConnections();
      }
    });
  }

  /** Cuts everything now. */
  destroy(): Promise<void> {
    this.closing = true;
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const s of this.upgraded) s.destroy();
    });
  }
}
