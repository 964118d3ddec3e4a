/**
 * The load balancer data plane: {@link createLoadBalancerEngine} returns the
 * {@link LoadBalancerEngine} the ELBv2 control plane drives with snapshots. It owns one
 * {@link ListenerServer} per bound address:port and one {@link TargetGroupRuntime} per target
 * group ARN, both kept across snapshots so health, connections, counters and keep-alive clients
 * carry on; apply() only swaps routing tables and adds or drains what changed.
 */
import type { LbSnapshot, ListenerBindError, LoadBalancerEngine, TargetGroupCounters, TargetHealthReport } from './config.js';
import { ListenerServer } from './listener.js';
import { compileEngineOptions, type EngineOptions, type ResolvedEngineOptions } from './options.js';
import type { EngineContext } from './request-handler.js';
import { syncTargetGroups, type TargetGroupRuntime } from './target-group.js';
import { WorkerPoolEngine } from './worker-pool.js';
import type { TargetHealthPush } from './worker-protocol.js';

/**
 * Creates a load balancer engine serving nothing until the first apply(): in this process
 * (`workers` 0, the default) or with N worker processes serving requests.
 */
export function createLoadBalancerEngine(options: EngineOptions = {}): Engine {
  const resolved = compileEngineOptions(options);
  return resolved.workers > 0 ? new WorkerPoolEngine(resolved) : new InProcessEngine(resolved);
}

/** The engine; beyond {@link LoadBalancerEngine} it tells which port a listener bound (port 0 in tests). */
export interface Engine extends LoadBalancerEngine {
  /** Where a listener is bound ({ address, port }), by listener ARN; undefined when not bound. */
  listenerAddress(listenerArn: string): { address: string; port: number } | undefined;
}

/**
 * Takes the socket shared for a listener key (`address:port`) in a worker process; undefined in
 * the engine's own process, where listeners bind themselves.
 */
export type SharedHandles = (key: string) => object | undefined;

/** Requests in flight per target group ARN and target key ("id:port"). */
export type OutstandingByTarget = Record<string, Record<string, number>>;

/** The engine serving requests in its own event loop (Berth's, or a worker process's). */
export class InProcessEngine implements Engine {
  private readonly listeners = new Map<string, ListenerServer>();
  private readonly groups = new Map<string, TargetGroupRuntime>();
  private readonly ctx: EngineContext;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly options: ResolvedEngineOptions,
    private readonly sharedHandles?: SharedHandles,
  ) {
    this.ctx = { options, group: (arn) => this.groups.get(arn) };
  }

  apply(snapshot: LbSnapshot): Promise<ListenerBindError[]> {
    // Snapshots apply one at a time, in the order given.
    const run = this.queue.then(() => this.applyNow(snapshot));
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(snapshot: LbSnapshot): Promise<ListenerBindError[]> {
    if (this.closed) throw new Error('the load balancer engine is closed');
    // Target groups first, so a new listener's first request finds its groups.
    syncTargetGroups(this.groups, snapshot, this.options);

    const errors: ListenerBindError[] = [];
    const wanted = new Set<string>();
    const opening: Promise<void>[] = [];
    for (const lb of snapshot.loadBalancers) {
      for (const listener of lb.listeners) {
        const key = `${lb.address}:${listener.port}`;
        wanted.add(key);
        const existing = this.listeners.get(key);
        if (existing) {
          existing.update({ lb, listener });
          continue;
        }
        const server = new ListenerServer(lb.address, listener.port, { lb, listener, boundPort: listener.port }, this.ctx);
        this.listeners.set(key, server);
        const handle = this.sharedHandles?.(key);
        if (this.sharedHandles && !handle) {
          this.listeners.delete(key);
          errors.push({ listenerArn: listener.arn, address: lb.address, port: listener.port, code: 'UNKNOWN', message: 'no shared socket for this listener' });
          continue;
        }
        opening.push(
          server.listen(handle).then(
            () => {},
            (err: NodeJS.ErrnoException) => {
              if (this.listeners.get(key) === server) this.listeners.delete(key);
              errors.push({ listenerArn: listener.arn, address: lb.address, port: listener.port, code: err.code ?? 'UNKNOWN', message: err.message });
            },
          ),
        );
      }
    }
    for (const [key, server] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      // In-flight requests get up to the idle timeout to finish.
      void server.close(this.options.ms(server.current.lb.idleTimeoutSeconds));
    }
    await Promise.all(opening);
    return errors;
  }

  targetHealth(targetGroupArn: string): TargetHealthReport[] {
    return this.groups.get(targetGroupArn)?.report() ?? [];
  }

  counters(targetGroupArn: string): TargetGroupCounters | undefined {
    const c = this.groups.get(targetGroupArn)?.counters;
    return c ? structuredClone(c) : undefined;
  }

  /** Worker process: the health states the engine's own checks found (see worker-pool.ts). */
  setTargetHealth(push: TargetHealthPush): void {
    const now = this.options.now();
    for (const [arn, targets] of Object.entries(push)) {
      const group = this.groups.get(arn);
      if (!group) continue;
      for (const t of targets) {
        const target = group.targets.get(t.key);
        if (!target || target.draining) continue;
        target.health.state = t.state;
        target.health.reason = t.reason;
        target.slowStartSince = t.slowStartElapsedMs === undefined ? undefined : now - t.slowStartElapsedMs;
      }
      group.invalidate();
    }
  }

  /** Requests in flight per group and target (draining targets included). */
  outstandingByTarget(): OutstandingByTarget {
    const out: OutstandingByTarget = {};
    for (const [arn, group] of this.groups) {
      const targets: Record<string, number> = {};
      for (const [key, t] of group.targets) if (t.outstanding > 0) targets[key] = t.outstanding;
      out[arn] = targets;
    }
    return out;
  }

  /** Every group's counters (the worker reports them to the engine). */
  allCounters(): Record<string, TargetGroupCounters> {
    const out: Record<string, TargetGroupCounters> = {};
    for (const [arn, group] of this.groups) out[arn] = group.counters;
    return out;
  }

  /** Where a listener is bound ({ address, port }), by listener ARN; undefined when not bound. */
  listenerAddress(listenerArn: string): { address: string; port: number } | undefined {
    for (const server of this.listeners.values()) {
      if (server.current.listener.arn === listenerArn) return { address: server.address, port: server.port };
    }
    return undefined;
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    const servers = [...this.listeners.values()];
    this.listeners.clear();
    await Promise.all(servers.map((s) => s.destroy()));
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map((g) => g.close()));
  }
}
