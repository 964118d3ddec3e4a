/**
 * The load balancer engine with its request path in N worker processes (`workers` >= 1), as
 * nginx runs worker_processes: Berth's event loop keeps the API and controllers, the workers
 * serve traffic.
 *
 * This process still is the {@link LoadBalancerEngine} the control plane talks to. It binds each
 * listener's socket itself (bind errors are reported as before) but never accepts on it: the
 * bound socket goes to every worker (child_process.fork, the handle sent over IPC, as node's
 * cluster does in its "none" scheduling), and all workers accept on it. It runs the health checks
 * and pushes their states to the workers; it keeps one {@link TargetGroupRuntime} per group for
 * DescribeTargetHealth and draining, fed with the requests in flight the workers report, so a
 * deregistered target shows `draining` until no worker has a request on it. Counters are the
 * workers' totals summed (a dead worker's last report is kept, so they stay monotonic).
 *
 * Apply sends the snapshot to every worker and resolves once each has swapped to it and said what
 * it still has in flight; each worker swaps atomically per request as the in-process engine does.
 * A worker that dies is restarted with the sockets, the snapshot and the health states; the
 * listening sockets stay open here meanwhile, so connections wait in the backlog and no listener
 * is lost. Workers exit when the IPC channel closes (Berth gone, even by SIGKILL).
 */
import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { getSystemErrorMap } from 'node:util';
import type { LbSnapshot, ListenerBindError, TargetGroupCounters, TargetHealthReport } from './config.js';
import type { Engine, OutstandingByTarget } from './engine.js';
import type { ResolvedEngineOptions } from './options.js';
import { slowStartShare } from './selection.js';
import { addCounters } from './counters.js';
import { syncTargetGroups, type TargetGroupRuntime } from './target-group.js';
import type { FromWorker, TargetHealthPush, ToWorker } from './worker-protocol.js';

/** A socket bound (not listening) by node's internal helper, as cluster uses it. */
interface TcpHandle {
  getsockname(out: { address?: string; port?: number }): number;
  close(): void;
}
const createServerHandle = (net as unknown as { _createServerHandle(address: string, port: number, addressType: number): TcpHandle | number })._createServerHandle;

const WORKER_SCRIPT = new URL('./worker-main.js', import.meta.url);

interface BoundListener {
  key: string;
  listenerArn: string;
  address: string;
  port: number;
  handle: TcpHandle;
}

class WorkerSlot {
  child: ChildProcess | undefined;
  counters: Record<string, TargetGroupCounters> = {};
  outstanding: OutstandingByTarget = {};
  readonly pending = new Map<number, (reply: Extract<FromWorker, { type: 'applied' }> | undefined) => void>();
  startedAt = 0;
  quickCrashes = 0;
}

/**
 * Node options of a worker (none of Berth's own are passed on). A worker runs only the request
 * path, whose hot functions call deep into node:http, streams and undici: a larger TurboFan
 * inlining budget than V8's default (920 bytes of bytecode per optimized function) measured
 * 3-8% more requests per second per worker (bench/README.md, bench:lb).
 */
export const WORKER_EXEC_ARGV = ['--max-inlined-bytecode-size-cumulative=3000'];

export class WorkerPoolEngine implements Engine {
  private readonly groups = new Map<string, TargetGroupRuntime>();
  private readonly listeners = new Map<string, BoundListener>();
  private readonly slots: WorkerSlot[] = [];
  /** Counters of workers that died, per group. */
  private readonly baseCounters = new Map<string, TargetGroupCounters>();
  private readonly options: ResolvedEngineOptions;
  private snapshot: LbSnapshot = { loadBalancers: [], targetGroups: [] };
  private queue: Promise<unknown> = Promise.resolve();
  private seq = 0;
  private closed = false;
  private healthPushScheduled = false;

  constructor(options: ResolvedEngineOptions) {
    this.options = { ...options, onHealthChange: () => this.scheduleHealthPush() };
    for (let i = 0; i < options.workers; i++) {
      const slot = new WorkerSlot();
      this.slots.push(slot);
      this.startWorker(slot);
    }
  }

  /** The worker processes' ids (tests and diagnostics). */
  workerPids(): number[] {
    return this.slots.flatMap((s) => (s.child?.pid !== undefined && s.child.exitCode === null ? [s.child.pid] : []));
  }

  private startWorker(slot: WorkerSlot): void {
    const child = fork(WORKER_SCRIPT, [], { execArgv: WORKER_EXEC_ARGV, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    slot.child = child;
    slot.startedAt = Date.now();
    child.on('message', (msg: FromWorker) => this.onMessage(slot, msg));
    child.on('error', () => {});
    child.on('exit', () => this.onExit(slot, child));
    this.sendTo(slot, {
      type: 'init',
      timeScale: this.options.timeScale,
      cookieSecret: this.options.cookieSecret.toString('hex'),
      maxConnectionsPerTarget: this.options.maxConnectionsPerTarget,
      accessLog: this.options.onAccessLog !== undefined,
    });
    // A restarted worker catches up: every socket, the snapshot now served, the health states.
    for (const l of this.listeners.values()) this.sendTo(slot, { type: 'listener-socket', key: l.key }, l.handle);
    if (this.snapshot.loadBalancers.length > 0 || this.snapshot.targetGroups.length > 0) {
      void this.applyOn(slot, this.workerSnapshot());
      this.sendTo(slot, { type: 'health', groups: this.healthPush() });
    }
  }

  private onExit(slot: WorkerSlot, child: ChildProcess): void {
    if (slot.child !== child) return;
    slot.child = undefined;
    for (const resolve of slot.pending.values()) resolve(undefined);
    slot.pending.clear();
    // Keep what it counted; forget what it had in flight (its connections died with it).
    for (const [arn, c] of Object.entries(slot.counters)) this.baseCounters.set(arn, addCounters(this.baseCounters.get(arn), c));
    slot.counters = {};
    slot.outstanding = {};
    this.refreshOutstanding();
    if (this.closed) return;
    // Restart at once; a worker that keeps dying at start is restarted ever more slowly.
    slot.quickCrashes = Date.now() - slot.startedAt < 2000 ? slot.quickCrashes + 1 : 0;
    const delay = Math.min(5000, slot.quickCrashes * 200);
    setTimeout(() => {
      if (!this.closed && !slot.child) this.startWorker(slot);
    }, delay).unref();
  }

  private onMessage(slot: WorkerSlot, msg: FromWorker): void {
    if (msg.type === 'applied') {
      slot.outstanding = msg.outstanding;
      slot.pending.get(msg.seq)?.(msg);
      slot.pending.delete(msg.seq);
      this.refreshOutstanding();
    } else if (msg.type === 'stats') {
      slot.counters = msg.counters;
      slot.outstanding = msg.outstanding;
      this.refreshOutstanding();
      if (msg.accessLog && this.options.onAccessLog) for (const entry of msg.accessLog) this.options.onAccessLog(entry);
    }
  }

  private sendTo(slot: WorkerSlot, msg: ToWorker, handle?: TcpHandle): void {
    const child = slot.child;
    if (!child?.connected) return;
    try {
      if (handle) child.send(msg, handle as unknown as net.Server, () => {});
      else child.send(msg, () => {});
    } catch {
      // The worker is going away; its exit restarts it.
    }
  }

  private applyOn(slot: WorkerSlot, snapshot: LbSnapshot): Promise<Extract<FromWorker, { type: 'applied' }> | undefined> {
    if (!slot.child?.connected) return Promise.resolve(undefined);
    const seq = ++this.seq;
    return new Promise((resolve) => {
      slot.pending.set(seq, resolve);
      this.sendTo(slot, { type: 'apply', seq, snapshot });
    });
  }

  /** The snapshot workers serve: only listeners bound here. */
  private workerSnapshot(): LbSnapshot {
    return {
      targetGroups: this.snapshot.targetGroups,
      loadBalancers: this.snapshot.loadBalancers.map((lb) => ({
        ...lb,
        listeners: lb.listeners.filter((l) => this.listeners.has(`${lb.address}:${l.port}`)),
      })),
    };
  }

  apply(snapshot: LbSnapshot): Promise<ListenerBindError[]> {
    const run = this.queue.then(() => this.applyNow(snapshot));
    this.queue = run.catch(() => {});
    return run;
  }

  private async applyNow(snapshot: LbSnapshot): Promise<ListenerBindError[]> {
    if (this.closed) throw new Error('the load balancer engine is closed');
    const errors: ListenerBindError[] = [];
    const wanted = new Set<string>();
    const removed: BoundListener[] = [];
    for (const lb of snapshot.loadBalancers) {
      for (const listener of lb.listeners) {
        const key = `${lb.address}:${listener.port}`;
        wanted.add(key);
        const existing = this.listeners.get(key);
        if (existing) {
          existing.listenerArn = listener.arn;
          continue;
        }
        const bound = bind(lb.address, listener.port);
        if ('code' in bound) {
          errors.push({ listenerArn: listener.arn, address: lb.address, port: listener.port, ...bound });
          continue;
        }
        const l: BoundListener = { key, listenerArn: listener.arn, address: lb.address, port: bound.port, handle: bound.handle };
        this.listeners.set(key, l);
        for (const slot of this.slots) this.sendTo(slot, { type: 'listener-socket', key }, l.handle);
      }
    }
    for (const [key, l] of this.listeners) {
      if (wanted.has(key)) continue;
      this.listeners.delete(key);
      removed.push(l);
    }
    this.snapshot = snapshot;
    const replies = await Promise.all(this.slots.map((slot) => this.applyOn(slot, this.workerSnapshot())));
    // A socket no worker could listen on (e.g. EADDRINUSE found only at listen time) is an error too.
    const seen = new Set(errors.map((e) => e.listenerArn));
    for (const reply of replies) {
      for (const e of reply?.errors ?? []) {
        if (seen.has(e.listenerArn)) continue;
        seen.add(e.listenerArn);
        errors.push(e);
        const key = `${e.address}:${e.port}`;
        const l = this.listeners.get(key);
        if (l && l.listenerArn === e.listenerArn) {
          this.listeners.delete(key);
          l.handle.close();
        }
      }
    }
    // The workers stopped accepting on removed listeners (letting requests in flight finish); the
    // socket closes for good once this copy goes too.
    for (const l of removed) l.handle.close();

    this.refreshOutstanding();
    this.updateGroups(snapshot);
    this.refreshOutstanding();
    this.scheduleHealthPush();
    return errors;
  }

  /** The in-process engine's group bookkeeping: health checks, draining, reports. */
  private updateGroups(snapshot: LbSnapshot): void {
    syncTargetGroups(this.groups, snapshot, this.options);
  }

  /** Sets each target's requests in flight to the sum over the workers (completing drains at 0). */
  private refreshOutstanding(): void {
    for (const [arn, group] of this.groups) {
      for (const [key, target] of [...group.targets]) {
        let n = 0;
        for (const slot of this.slots) n += slot.outstanding[arn]?.[key] ?? 0;
        if (n !== target.outstanding) target.setOutstanding(n);
      }
    }
  }

  private scheduleHealthPush(): void {
    if (this.healthPushScheduled) return;
    this.healthPushScheduled = true;
    setImmediate(() => {
      this.healthPushScheduled = false;
      if (this.closed) return;
      const groups = this.healthPush();
      for (const slot of this.slots) this.sendTo(slot, { type: 'health', groups });
    });
  }

  private healthPush(): TargetHealthPush {
    const now = this.options.now();
    const push: TargetHealthPush = {};
    for (const [arn, group] of this.groups) {
      const durationMs = this.options.ms(group.config.slowStartSeconds);
      push[arn] = [...group.targets.values()].map((t) => ({
        key: t.key,
        state: t.health.state,
        reason: t.health.reason,
        ...(t.slowStartSince !== undefined && slowStartShare(t.slowStartSince, durationMs, now) < 1 ? { slowStartElapsedMs: now - t.slowStartSince } : {}),
      }));
    }
    return push;
  }

  targetHealth(targetGroupArn: string): TargetHealthReport[] {
    return this.groups.get(targetGroupArn)?.report() ?? [];
  }

  counters(targetGroupArn: string): TargetGroupCounters | undefined {
    if (!this.groups.has(targetGroupArn)) return undefined;
    let total = addCounters(undefined, this.baseCounters.get(targetGroupArn));
    for (const slot of this.slots) total = addCounters(total, slot.counters[targetGroupArn]);
    return total;
  }

  listenerAddress(listenerArn: string): { address: string; port: number } | undefined {
    for (const l of this.listeners.values()) if (l.listenerArn === listenerArn) return { address: l.address, port: l.port };
    return undefined;
  }

  async close(): Promise<void> {
    await this.queue;
    this.closed = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        this.sendTo(slot, { type: 'close' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }),
    );
    for (const l of this.listeners.values()) l.handle.close();
    this.listeners.clear();
    const groups = [...this.groups.values()];
    this.groups.clear();
    await Promise.all(groups.map((g) => g.close()));
  }
}

/** Binds address:port without listening; a bind that failed is reported like node's listen error. */
function bind(address: string, port: number): { handle: TcpHandle; port: number } | { code: string; message: string } {
  const fail = (errno: number) => {
    const [code, text] = getSystemErrorMap().get(errno) ?? ['UNKNOWN', 'unknown error'];
    return { code, message: `listen ${code}: ${text} ${address}:${port}` };
  };
  const handle = createServerHandle(address, port, net.isIPv6(address) ? 6 : 4);
  if (typeof handle === 'number') return fail(handle);
  const out: { address?: string; port?: number } = {};
  const err = handle.getsockname(out);
  // libuv defers EADDRINUSE from bind to listen; an unbound socket shows port 0.
  if (err || !out.port || (port !== 0 && out.port !== port)) {
    handle.close();
    return fail(err || -98 /* EADDRINUSE */);
  }
  return { handle, port: out.port };
}
