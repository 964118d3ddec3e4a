/**
 * One target group as the engine runs it, kept across snapshots (keyed by ARN): its targets with
 * their health and connections, which of them may take a request (healthy ones; all unhealthy
 * ones when none is healthy, ALB's fail-open; never draining or initial ones), the choice among
 * them (algorithm, slow start, stickiness), and its counters.
 */
import type { LbSnapshot, TargetGroupConfig, TargetGroupCounters, TargetHealthReport } from './config.js';
import { emptyCounters } from './counters.js';
import type { ResolvedEngineOptions } from './options.js';
import { chooseTarget, slowStartShare, type SelectionState } from './selection.js';
import { TargetRuntime, targetKey } from './target.js';

export class TargetGroupRuntime {
  readonly targets = new Map<string, TargetRuntime>();
  readonly counters: TargetGroupCounters = emptyCounters();
  /** Whether some listener forwards to the group (health checks run only then). */
  used = false;
  /** False once the group left the snapshot; it lingers only while targets drain. */
  present = true;
  private readonly selection: SelectionState = { next: 0 };
  /** routable()'s answer, kept until a target's registration, draining or health changes. */
  private routableCache: TargetRuntime[] | undefined;

  constructor(
    public config: TargetGroupConfig,
    private readonly options: ResolvedEngineOptions,
  ) {}

  get arn(): string {
    return this.config.arn;
  }

  /** Applies the group's configuration from a new snapshot. */
  update(config: TargetGroupConfig, used: boolean): void {
    this.invalidate();
    this.config = config;
    this.present = true;
    const wasUsed = this.used;
    this.used = used;
    const wanted = new Set<string>();
    for (const t of config.targets) {
      const key = targetKey(t);
      wanted.add(key);
      let target = this.targets.get(key);
      if (target && target.config.host !== t.host) {
        // Same id and port at a new address (an ip target re-registered): a new target.
        void target.close(true);
        this.targets.delete(key);
        target = undefined;
      }
      if (!target) {
        target = new TargetRuntime(t, this.options, (tr) => this.healthChanged(tr));
        this.targets.set(key, target);
      } else {
        target.undrain();
        target.config = t;
      }
      if (used && !wasUsed) target.health.reset();
      target.setHealthChecks(used && config.healthCheck.enabled && this.options.healthChecks ? config.healthCheck : undefined);
    }
    for (const [key, target] of this.targets) {
      if (!wanted.has(key)) this.deregister(target);
    }
  }

  /** The group left the snapshot: every target drains, then the group is forgotten. */
  remove(onEmpty: () => void): void {
    this.invalidate();
    this.present = false;
    for (const target of [...this.targets.values()]) this.deregister(target);
    this.used = false;
    this.onEmpty = onEmpty;
    this.checkEmpty();
  }

  private onEmpty: (() => void) | undefined;

  private checkEmpty(): void {
    if (!this.present && this.targets.size === 0 && this.onEmpty) {
      const cb = this.onEmpty;
      this.onEmpty = undefined;
      cb();
    }
  }

  private deregister(target: TargetRuntime): void {
    // A group no listener uses has nothing in flight to wait for.
    const delay = this.used ? this.options.ms(this.config.deregistrationDelaySeconds) : 0;
    target.drain(delay, () => {
      if (this.targets.get(target.key) === target) this.targets.delete(target.key);
      this.invalidate();
      this.checkEmpty();
    });
    this.invalidate();
  }

  /** Must be called whenever a target's registration, draining or health state changes. */
  invalidate(): void {
    this.routableCache = undefined;
  }

  private healthChanged(target: TargetRuntime): void {
    this.invalidate();
    this.options.onHealthChange?.();
    if (target.health.state !== 'healthy') {
      target.slowStartSince = undefined;
      return;
    }
    // ALB: a target enters slow start when it becomes healthy and another healthy target is
    // not in slow start (otherwise there is nobody to ramp up against).
    if (this.config.slowStartSeconds <= 0) return;
    const now = this.options.now();
    const durationMs = this.options.ms(this.config.slowStartSeconds);
    const others = [...this.targets.values()].some(
      (t) => t !== target && !t.draining && t.health.state === 'healthy' && slowStartShare(t.slowStartSince, durationMs, now) >= 1,
    );
    target.slowStartSince = others ? now : undefined;
  }

  /** Registered, non-draining targets. */
  registered(): TargetRuntime[] {
    return [...this.targets.values()].filter((t) => !t.draining);
  }

  /** Targets that may take a new request now (a shared array: callers must not change it). */
  routable(): readonly TargetRuntime[] {
    if (this.routableCache) return this.routableCache;
    const registered = this.registered();
    let routable = registered;
    if (this.config.healthCheck.enabled) {
      const healthy = registered.filter((t) => t.health.state === 'healthy');
      routable = healthy.length > 0 ? healthy : registered.filter((t) => t.health.state === 'unhealthy');
    }
    this.routableCache = routable;
    return routable;
  }

  /**
   * The target for a new request: the sticky one when it may still take requests, otherwise one
   * chosen by the group's algorithm. Undefined when none may.
   */
  select(stickyKey?: string): TargetRuntime | undefined {
    const candidates = this.routable();
    if (candidates.length === 0) return undefined;
    if (stickyKey) {
      const sticky = candidates.find((t) => t.key === stickyKey);
      if (sticky) return sticky;
    }
    // The common case, plain round robin with no target in slow start, needs no per-request list.
    if (this.config.algorithm === 'round_robin' && !candidates.some((t) => t.slowStartSince !== undefined)) {
      return candidates[this.selection.next++ % candidates.length];
    }
    const now = this.options.now();
    const durationMs = this.options.ms(this.config.slowStartSeconds);
    const selectable = candidates.map((t) => {
      const share = slowStartShare(t.slowStartSince, durationMs, now);
      // A finished slow start is forgotten, so the plain path above serves again.
      if (share >= 1) t.slowStartSince = undefined;
      return { outstanding: t.outstanding, share };
    });
    const i = chooseTarget(
      selectable,
      this.config.algorithm,
      this.selection,
      this.options.random,
    );
    return i < 0 ? undefined : candidates[i];
  }

  /** DescribeTargetHealth's view, draining targets included. */
  report(): TargetHealthReport[] {
    return [...this.targets.values()].map((t) => t.report(this.used, this.config.healthCheck.enabled));
  }

  /** Stops everything at once (engine close). */
  async close(): Promise<void> {
    await Promise.all([...this.targets.values()].map((t) => t.close(true)));
    this.targets.clear();
  }
}

/**
 * Brings the engine's target groups (keyed by ARN) up to `snapshot`: new ones made, each updated
 * with whether a listener's forward uses it (an unused group is not health checked), and ones the
 * snapshot dropped removed once their targets have drained. Both engines (in-process and worker
 * pool) keep their groups this way.
 */
export function syncTargetGroups(groups: Map<string, TargetGroupRuntime>, snapshot: LbSnapshot, options: ResolvedEngineOptions): void {
  const used = new Set<string>();
  for (const lb of snapshot.loadBalancers) {
    for (const l of lb.listeners) {
      for (const r of l.rules) for (const a of r.actions) if (a.type === 'forward') for (const g of a.targetGroups) used.add(g.arn);
    }
  }
  const present = new Set<string>();
  for (const tg of snapshot.targetGroups) {
    present.add(tg.arn);
    let runtime = groups.get(tg.arn);
    if (!runtime) {
      runtime = new TargetGroupRuntime(tg, options);
      groups.set(tg.arn, runtime);
    }
    runtime.update(tg, used.has(tg.arn));
  }
  for (const [arn, runtime] of groups) {
    if (present.has(arn) || !runtime.present) continue;
    runtime.remove(() => {
      if (groups.get(arn) === runtime && !runtime.present) groups.delete(arn);
    });
  }
}
