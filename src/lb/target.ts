/**
 * One registered target as the engine runs it: its health (checked on a timer while its group is
 * used by a listener), its pooled keep-alive upstream connections (undici Pool), the requests it
 * is serving, and its draining after deregistration.
 */
import { Pool } from 'undici';
import type { HealthCheckConfig, TargetConfig, TargetHealthReport } from './config.js';
import { probe } from './health-probe.js';
import type { ResolvedEngineOptions } from './options.js';
import { HealthTracker, parseMatcher } from './target-health.js';

/** Ends one request or connection in flight (used when a drain's delay runs out). */
export type Abort = () => void;

/**
 * One request or connection in flight: a node of its target's doubly linked list. A list, not a
 * Set: with one add and one delete per request, V8's Set tables made every young-generation
 * collection copy and promote megabytes (measured: ~10 µs of GC per proxied request, most of
 * the load balancer's gap to a bare Node proxy); unlinking a node allocates nothing.
 */
export interface InFlight {
  /** Ends the request (a drain's delay ran out, or the target is closed with force). */
  abort(): void;
  prev: InFlight | undefined;
  next: InFlight | undefined;
  ended: boolean;
}

export class TargetRuntime {
  readonly key: string;
  readonly health = new HealthTracker();
  /** Requests (and WebSocket connections) in flight. */
  outstanding = 0;
  /** When the target entered slow start (engine clock, ms), if it did. */
  slowStartSince: number | undefined;
  /** Set once deregistered: the target gets no new requests. */
  draining = false;
  /** The newest request in flight (the list runs to older ones through `next`). */
  private inflight: InFlight | undefined;
  private pool: Pool | undefined;
  private checkTimer: NodeJS.Timeout | undefined;
  private checkKey = '';
  private drainTimer: NodeJS.Timeout | undefined;
  private onDrained: (() => void) | undefined;
  private checking = false;

  constructor(
    public config: TargetConfig,
    private readonly options: ResolvedEngineOptions,
    /** Called when health changes state (the group decides about slow start). */
    private readonly onHealthChange: (target: TargetRuntime) => void,
  ) {
    this.key = targetKey(config);
  }

  /** "host:port" where requests go. */
  get address(): string {
    return this.config.host.includes(':') ? `[${this.config.host}]:${this.config.port}` : `${this.config.host}:${this.config.port}`;
  }

  /** The keep-alive connection pool to this target. */
  upstream(): Pool {
    this.pool ??= new Pool(`http://${this.address}`, {
      connections: this.options.maxConnectionsPerTarget,
      pipelining: 1,
      // A target that says nothing about keep-alive gets its idle connections dropped after 4 s,
      // before common servers close theirs (5 s), so a request is rarely sent on a connection
      // the target is closing; a target's Keep-Alive: timeout=N hint is followed (up to 10 min).
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: Math.max(this.options.ms(10), 1000) },
    });
    return this.pool;
  }

  /** Tracks a request until `done` is called; `abort` is used if a drain's delay runs out first. */
  begin(abort: Abort): () => void {
    const node: InFlight = { abort, prev: undefined, next: undefined, ended: false };
    this.enter(node);
    return () => this.leave(node);
  }

  /** Tracks `node` (a request's own object, so nothing is allocated per request) until {@link leave}. */
  enter(node: InFlight): void {
    this.outstanding++;
    node.ended = false;
    node.prev = undefined;
    node.next = this.inflight;
    if (this.inflight) this.inflight.prev = node;
    this.inflight = node;
  }

  /** Stops tracking `node`; idempotent. */
  leave(node: InFlight): void {
    if (node.ended) return;
    node.ended = true;
    this.outstanding--;
    if (node.prev) node.prev.next = node.next;
    else this.inflight = node.next;
    if (node.next) node.next.prev = node.prev;
    node.prev = node.next = undefined;
    if (this.draining && this.outstanding === 0) this.finishDrain();
  }

  /**
   * Worker pool: the requests in flight in every worker (reported by them). Reaching 0 while
   * draining completes the deregistration, as a local request ending does.
   */
  setOutstanding(n: number): void {
    this.outstanding = n;
    if (this.draining && n === 0) this.finishDrain();
  }

  /** Starts (or restarts, when the settings changed) health checks; stops them when `hc` is undefined. */
  setHealthChecks(hc: HealthCheckConfig | undefined): void {
    const key = hc ? JSON.stringify(hc) + this.config.port : '';
    if (key === this.checkKey) return;
    this.stopHealthChecks();
    this.checkKey = key;
    if (!hc) return;
    const intervalMs = this.options.ms(hc.intervalSeconds);
    const timeoutMs = Math.min(this.options.ms(hc.timeoutSeconds), intervalMs);
    const matcher = parseMatcher(hc.matcher);
    const port = hc.port === 'traffic-port' ? this.config.port : Number(hc.port);
    const run = () => {
      // Each check is independent and its result stands for the interval, as ALB does;
      // a check still running (timeout == interval) is not doubled.
      this.checkTimer = setTimeout(run, intervalMs);
      if (this.checking) return;
      this.checking = true;
      this.health.checking();
      const myKey = this.checkKey;
      probe({ host: this.config.host, port, path: hc.path, timeoutMs, matcher }).then((result) => {
        this.checking = false;
        if (myKey !== this.checkKey || this.draining) return;
        if (this.health.record(result, { healthy: hc.healthyThresholdCount, unhealthy: hc.unhealthyThresholdCount })) {
          this.onHealthChange(this);
        }
      });
    };
    this.checkTimer = setTimeout(run, 0);
  }

  private stopHealthChecks(): void {
    clearTimeout(this.checkTimer);
    this.checkTimer = undefined;
    this.checkKey = '';
  }

  /** Deregistered: no new requests; done when in-flight ones finish or `delayMs` passes. */
  drain(delayMs: number, onDrained: () => void): void {
    if (this.draining) return;
    this.draining = true;
    this.onDrained = onDrained;
    this.stopHealthChecks();
    if (this.outstanding === 0) {
      // ALB completes a deregistration at once when nothing is in flight.
      this.finishDrain();
      return;
    }
    this.drainTimer = setTimeout(() => {
      this.abortInFlight();
      this.finishDrain();
    }, delayMs);
  }

  /** Registered again while draining: back to a fresh registration. */
  undrain(): void {
    if (!this.draining) return;
    clearTimeout(this.drainTimer);
    this.draining = false;
    this.onDrained = undefined;
    this.health.reset();
    this.slowStartSince = undefined;
  }

  /** Ends every request in flight (each abort unlinks its own node, so the list is copied first). */
  private abortInFlight(): void {
    const nodes: InFlight[] = [];
    for (let n = this.inflight; n; n = n.next) nodes.push(n);
    for (const n of nodes) n.abort();
  }

  private finishDrain(): void {
    clearTimeout(this.drainTimer);
    const cb = this.onDrained;
    this.onDrained = undefined;
    if (!cb) return;
    void this.close(false);
    cb();
  }

  /** The report DescribeTargetHealth shows. */
  report(groupUsed: boolean, checksEnabled: boolean): TargetHealthReport {
    const base = { id: this.config.id, port: this.config.port };
    if (this.draining) {
      return { ...base, state: 'draining', reason: 'Target.DeregistrationInProgress', description: 'Target deregistration is in progress' };
    }
    if (!groupUsed) {
      return { ...base, state: 'unused', reason: 'Target.NotInUse', description: 'Target group is not configured to receive traffic from the load balancer' };
    }
    if (!checksEnabled) {
      return { ...base, state: 'unavailable', reason: 'Target.HealthCheckDisabled', description: 'Health checks are disabled' };
    }
    const r: TargetHealthReport = { ...base, state: this.health.state };
    if (this.health.reason) r.reason = this.health.reason;
    if (this.health.description) r.description = this.health.description;
    return r;
  }

  /** Stops checks and closes upstream connections (`force` cuts requests in flight). */
  async close(force: boolean): Promise<void> {
    this.stopHealthChecks();
    clearTimeout(this.drainTimer);
    const pool = this.pool;
    this.pool = undefined;
    if (!pool) return;
    if (force) {
      this.abortInFlight();
      await pool.destroy().catch(() => {});
    } else {
      await pool.close().catch(() => {});
    }
  }
}

/** Targets are identified by id and port, as ELBv2 does. */
export function targetKey(t: { id: string; port: number }): string {
  return `${t.id}:${t.port}`;
}
