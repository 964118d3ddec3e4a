/**
 * Berth's own metrics, the ones AWS publishes for the resources Berth runs (a Runnable that
 * `berth up` adds to its Manager as `cloudwatch-producers`):
 *
 * - AWS/ECS CPUUtilization and MemoryUtilization per ClusterName + ServiceName and per
 *   ClusterName, from the task agent's samples (ecs-metrics.ts);
 * - AWS/ApplicationELB request counts, response codes, TargetResponseTime, RequestCountPerTarget,
 *   HealthyHostCount and UnHealthyHostCount from the data plane (alb-metrics.ts).
 *
 * Every interval (60 s, as AWS publishes; at `--time-scale N` a scaled minute, 60 / N real
 * seconds; `BERTH_METRICS_INTERVAL_SECONDS` overrides both) the figures of the interval that has
 * just ended are put into the metric store, timestamped with the interval's start (aligned: with
 * 60 s, to the minute). An interval under 60 s is written at storage resolution 1, so a period of
 * the interval's length can read it (60 s buckets would merge a minute of them). Target health is
 * sampled every 10 s (or every interval when shorter). The same figures, latest values and
 * monotonic counters, are rendered for `GET /metrics` by {@link MetricProducers.prometheus}.
 *
 * Each interval is written in one transaction with the mark of how far publishing got
 * (`cw_producer_state`), so after a restart (kill -9 included) the intervals that ended while
 * Berth was down are published from the task samples in SQLite, and none twice; the load
 * balancer's counters start from zero with the new engine, so nothing is owed for it.
 */
import { OptionsError } from '../../config/index.js';
import { scaledSeconds } from '../../config/time-scale.js';
import type { LbSnapshot, LoadBalancerEngine, TargetGroupCounters } from '../../lb/config.js';
import { addCounters } from '../../lb/counters.js';
import type { Migration, Store } from '../../state/index.js';
import { albDatums, arnDimension, counterDelta, groupTopology, requestCountPerTarget, type GroupInterval, type GroupTopology, type HealthSamples } from './alb-metrics.js';
import { ecsDatums, ecsUtilization, type EcsUtilization, type UtilizationSample } from './ecs-metrics.js';
import type { MetricStore } from './metric-store.js';
import { renderPrometheus, type PromFamily, type PromSample } from './prometheus.js';

/** Options of {@link MetricProducers}. */
export interface MetricProducersOptions {
  store: Store;
  metrics: MetricStore;
  /** The load balancer data plane; without one no AWS/ApplicationELB metrics. */
  engine?: Pick<LoadBalancerEngine, 'counters' | 'targetHealth'>;
  /** The load balancers and target groups the data plane serves (berth: the ELBv2 snapshot). */
  loadBalancers?: () => LbSnapshot;
  /** Seconds per published interval, 1..3600. Default `BERTH_METRICS_INTERVAL_SECONDS`, else a minute at `timeScale`. */
  intervalSeconds?: number;
  /** Berth's --time-scale: the default interval is a scaled minute, 60 / N real seconds. Default 1. */
  timeScale?: number;
  /** Seconds between target health samples. Default 10, or the interval when shorter. */
  healthSampleSeconds?: number;
  /** Epoch milliseconds. Default Date.now. */
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * Resolves the interval: the option, else `BERTH_METRICS_INTERVAL_SECONDS`, else a minute at
 * `timeScale` (60 at 1); throws an OptionsError naming a bad value.
 */
export function metricsIntervalSeconds(option: number | undefined, env: NodeJS.ProcessEnv = process.env, timeScale = 1): number {
  const raw = env.BERTH_METRICS_INTERVAL_SECONDS;
  const v = option ?? (raw === undefined || raw === '' ? scaledSeconds(60, timeScale) : Number(raw));
  if (!Number.isInteger(v) || v < 1 || v > 3600) {
    throw new OptionsError(`BERTH_METRICS_INTERVAL_SECONDS must be a whole number of seconds from 1 to 3600; got '${option ?? raw}'.`);
  }
  return v;
}

/** The producers' own state: where publishing got to, so a restart neither repeats nor skips an interval. */
const producerMigrations: Migration[] = [
  { version: 1, name: 'last published interval', up: `CREATE TABLE cw_producer_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL)` },
];

/** At most this many intervals are caught up after a restart (their task samples are kept 24 h). */
const MAX_CATCH_UP = 1440;

/** Intervals without samples after which a service's utilization leaves /metrics. */
const STALE_INTERVALS = 3;

interface GroupState {
  topology: GroupTopology;
  /** Deltas not yet published. */
  pending?: TargetGroupCounters;
  /** Everything counted since Berth started, monotonic (for /metrics). */
  total?: TargetGroupCounters;
  health: HealthSamples;
  latest: { healthy: number; unhealthy: number; registered: number };
  lastPerTarget?: number;
}

/** Produces AWS/ECS and AWS/ApplicationELB metrics into the metric store; a Runnable. */
export class MetricProducers {
  private readonly intervalMs: number;
  /** 1 when the interval is under a minute (high resolution), else undefined (60 s buckets). */
  private readonly storageResolution: 1 | undefined;
  private readonly healthMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly groups = new Map<string, GroupState>();
  /**
   * The last reading of each group's cumulative counters, kept while the engine has the group
   * even when no load balancer forwards to it for a while (so its old requests are not counted again).
   */
  private readonly readings = new Map<string, TargetGroupCounters>();
  /** The latest utilization per service and cluster, with the interval it is from (for /metrics). */
  private readonly lastEcs = new Map<string, { u: EcsUtilization; at: number }>();

  constructor(private readonly opts: MetricProducersOptions) {
    this.intervalMs = metricsIntervalSeconds(opts.intervalSeconds, process.env, opts.timeScale ?? 1) * 1000;
    this.storageResolution = this.intervalMs < 60_000 ? 1 : undefined;
    this.healthMs = Math.min(this.intervalMs, (opts.healthSampleSeconds ?? 10) * 1000);
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? ((l) => process.stderr.write(l + '\n'));
    opts.store.migrate('cloudwatch-producers', producerMigrations);
  }

  /** Seconds per published interval (the stats sampler samples at least once per interval). */
  get intervalSeconds(): number {
    return this.intervalMs / 1000;
  }

  /** The end of the last interval published (epoch ms), kept across restarts. */
  lastPublishedEnd(): number | undefined {
    return this.opts.store.prepare(`SELECT value FROM cw_producer_state WHERE name = 'published_until'`).pluck().get() as number | undefined;
  }

  /**
   * Publishes the AWS/ECS figures of the intervals that ended while Berth was down (from the
   * last one published to the start of the current one, at most {@link MAX_CATCH_UP}): the
   * task samples taken before a kill -9 are in SQLite. The load balancer's counters died with the
   * old engine, so nothing is owed for it.
   */
  catchUp(now = this.now()): void {
    const last = this.lastPublishedEnd();
    const current = this.intervalStart(now);
    if (last === undefined || last >= current) return;
    let from = Math.max(last, current - MAX_CATCH_UP * this.intervalMs);
    while (from < current) {
      const to = Math.min(this.intervalStart(from) + this.intervalMs, current);
      this.publish(from, to, { loadBalancers: false });
      from = to;
    }
  }

  /** The start of the interval `ms` falls in. */
  intervalStart(ms: number): number {
    return Math.floor(ms / this.intervalMs) * this.intervalMs;
  }

  /** Publishes each interval as it ends, samples target health, until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    try {
      this.catchUp();
    } catch (err) {
      this.log(`cloudwatch producers: catching up: ${(err as Error).message}`);
    }
    let next = this.intervalStart(this.now()) + this.intervalMs;
    let nextHealth = this.now();
    while (!signal.aborted) {
      const now = this.now();
      try {
        if (now >= nextHealth) {
          this.sampleHealth();
          nextHealth = now + this.healthMs;
        }
        if (now >= next) {
          // A stalled loop publishes once, for the latest interval that ended.
          next = this.intervalStart(now);
          this.publish(next - this.intervalMs, next);
          next += this.intervalMs;
        }
      } catch (err) {
        this.log(`cloudwatch producers: ${(err as Error).message}`);
      }
      await sleep(Math.max(10, Math.min(next, nextHealth) - this.now()), signal);
    }
  }

  /** Re-reads which target groups the load balancers forward to. */
  private refreshTopology(): GroupState[] {
    if (!this.opts.engine || !this.opts.loadBalancers) return [];
    const topology = groupTopology(this.opts.loadBalancers());
    const seen = new Set<string>();
    for (const t of topology) {
      seen.add(t.targetGroupArn);
      const had = this.groups.get(t.targetGroupArn);
      if (had) had.topology = t;
      else this.groups.set(t.targetGroupArn, { topology: t, health: { healthy: [], unhealthy: [] }, latest: { healthy: 0, unhealthy: 0, registered: 0 } });
    }
    for (const arn of [...this.groups.keys()]) if (!seen.has(arn)) this.groups.delete(arn);
    return [...this.groups.values()];
  }

  /** Takes one sample of every group's target health. */
  sampleHealth(): void {
    const engine = this.opts.engine;
    if (!engine) return;
    for (const g of this.refreshTopology()) {
      const { healthy, unhealthy } = (g.latest = this.countTargets(g.topology.targetGroupArn));
      g.health.healthy.push(healthy);
      g.health.unhealthy.push(unhealthy);
    }
  }

  /** One group's targets now: healthy, unhealthy, and registered (not draining). */
  private countTargets(targetGroupArn: string): GroupState['latest'] {
    const reports = this.opts.engine?.targetHealth(targetGroupArn) ?? [];
    return {
      healthy: reports.filter((r) => r.state === 'healthy').length,
      unhealthy: reports.filter((r) => r.state === 'unhealthy').length,
      registered: reports.filter((r) => r.state !== 'draining').length,
    };
  }

  /** Reads the counters and adds what changed since the last reading to the pending and total deltas. */
  observe(): void {
    const engine = this.opts.engine;
    if (!engine) return;
    for (const arn of this.readings.keys()) if (!this.groups.has(arn) && !engine.counters(arn)) this.readings.delete(arn);
    for (const g of this.groups.values()) {
      const cur = engine.counters(g.topology.targetGroupArn);
      if (!cur) continue;
      const delta = counterDelta(this.readings.get(g.topology.targetGroupArn), cur);
      this.readings.set(g.topology.targetGroupArn, cur);
      g.pending = addCounters(g.pending, delta);
      g.total = addCounters(g.total, delta);
    }
  }

  /**
   * Writes the figures of [startMs, endMs) into the metric store, timestamped `startMs`, with the
   * mark of how far publishing got, in one transaction (so a kill -9 cannot publish twice).
   */
  publish(startMs: number, endMs: number, options: { loadBalancers?: boolean } = {}): void {
    const { metrics, store } = this.opts;
    const utilization = ecsUtilization(this.taskSamples(startMs, endMs));
    // /metrics keeps a series through a late sample or two; it goes once the service has had no
    // sampled task for STALE_INTERVALS intervals.
    for (const u of utilization) this.lastEcs.set(JSON.stringify([u.clusterName, u.serviceName]), { u, at: startMs });
    for (const [k, v] of this.lastEcs) if (v.at <= startMs - STALE_INTERVALS * this.intervalMs) this.lastEcs.delete(k);
    const alb = options.loadBalancers === false ? [] : this.albInterval(startMs);
    // Under a minute per interval, 60 s buckets would merge several intervals: keep them apart.
    const resolved = <T extends object>(ds: T[]) => (this.storageResolution ? ds.map((d) => ({ ...d, storageResolution: this.storageResolution })) : ds);
    store.transaction(() => {
      metrics.write('AWS/ECS', resolved(ecsDatums(utilization, startMs)));
      metrics.write('AWS/ApplicationELB', resolved(alb));
      store.prepare(`INSERT INTO cw_producer_state (name, value) VALUES ('published_until', ?) ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`).run(endMs);
    });
  }

  /** The AWS/ApplicationELB datums of the interval starting at `startMs`; resets the interval's accumulators. */
  private albInterval(startMs: number) {
    if (!this.opts.engine) return [];
    if (this.groups.size === 0) this.refreshTopology();
    this.observe();
    const intervals: GroupInterval[] = [];
    for (const g of this.groups.values()) {
      const delta = g.pending ?? addCounters(undefined, undefined);
      // RequestCountPerTarget divides by the targets as the interval ends, not as of the last
      // health sample (up to a sampling period old, or none yet for a group first seen now).
      g.latest = this.countTargets(g.topology.targetGroupArn);
      intervals.push({ topology: g.topology, delta, health: g.health, healthyTargets: g.latest.healthy, registeredTargets: g.latest.registered });
      g.lastPerTarget = requestCountPerTarget(delta.requests, g.latest.healthy, g.latest.registered);
      g.pending = undefined;
      g.health = { healthy: [], unhealthy: [] };
    }
    return albDatums(intervals, startMs);
  }

  /** The task agent's samples taken in [startMs, endMs) (none when the agent never ran). */
  private taskSamples(startMs: number, endMs: number): UtilizationSample[] {
    const { store } = this.opts;
    const exists = store.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'agent_task_stats'`).get();
    if (!exists) return [];
    const rows = store
      .prepare(
        `SELECT task_arn AS taskArn, cluster_name AS clusterName, service_name AS serviceName, cpu_units_used AS cpuUnitsUsed,
                cpu_units_reserved AS cpuUnitsReserved, memory_bytes AS memoryBytes, memory_reserved_bytes AS memoryReservedBytes
         FROM agent_task_stats WHERE at >= ? AND at < ?`,
      )
      .all(startMs, endMs) as (UtilizationSample & { serviceName: string | null; memoryReservedBytes: number | null })[];
    return rows.map((r) => ({ ...r, serviceName: r.serviceName ?? undefined, memoryReservedBytes: r.memoryReservedBytes ?? undefined }));
  }

  /** The same figures in the Prometheus text format: counters since Berth started, the latest interval's gauges. */
  prometheus(): string {
    try {
      this.observe();
    } catch (err) {
      this.log(`cloudwatch producers: ${(err as Error).message}`);
    }
    const groups = [...this.groups.values()];
    const labels = (g: GroupState) => ({ load_balancer: arnDimension(g.topology.loadBalancerArn), target_group: arnDimension(g.topology.targetGroupArn) });
    const counter = (name: string, help: string, pick: (c: TargetGroupCounters) => number): PromFamily => ({
      name,
      help,
      type: 'counter',
      samples: groups.map((g) => ({ labels: labels(g), value: pick(g.total ?? addCounters(undefined, undefined)) })),
    });
    const ecs = [...this.lastEcs.values()].map((v) => v.u);
    const ecsLabels = (u: EcsUtilization) => ({ cluster_name: u.clusterName, ...(u.serviceName ? { service_name: u.serviceName } : {}) });
    const families: PromFamily[] = [
      counter('aws_applicationelb_request_count_total', 'Requests routed to the target group (AWS/ApplicationELB RequestCount).', (c) => c.requests),
      ...(['2xx', '3xx', '4xx', '5xx'] as const).map((k) =>
        counter(`aws_applicationelb_httpcode_target_${k}_count_total`, `${k.toUpperCase()} responses from targets (HTTPCode_Target_${k.toUpperCase()}_Count).`, (c) => c.targetResponses[k]),
      ),
      ...(['4xx', '5xx'] as const).map((k) =>
        counter(`aws_applicationelb_httpcode_elb_${k}_count_total`, `${k.toUpperCase()} responses the load balancer made itself (HTTPCode_ELB_${k.toUpperCase()}_Count).`, (c) => c.elbResponses[k]),
      ),
      ...(['500', '502', '503', '504'] as const).map((k) =>
        counter(`aws_applicationelb_httpcode_elb_${k}_count_total`, `${k} responses the load balancer made itself (HTTPCode_ELB_${k}_Count).`, (c) => c.elbResponseCodes[k]),
      ),
      {
        name: 'aws_applicationelb_target_response_time_seconds',
        help: 'Time from the request leaving the load balancer to the target response head (TargetResponseTime).',
        type: 'summary',
        samples: groups.flatMap((g): PromSample[] => [
          { labels: labels(g), value: g.total?.targetResponseTimeSum ?? 0, suffix: '_sum' },
          { labels: labels(g), value: g.total?.targetResponseTimeCount ?? 0, suffix: '_count' },
        ]),
      },
      {
        name: 'aws_applicationelb_request_count_per_target',
        help: 'Requests per healthy target in the last interval (RequestCountPerTarget).',
        type: 'gauge',
        samples: groups.filter((g) => g.lastPerTarget !== undefined).map((g) => ({ labels: labels(g), value: g.lastPerTarget! })),
      },
      {
        name: 'aws_applicationelb_healthy_host_count',
        help: 'Healthy targets at the last health sample (HealthyHostCount).',
        type: 'gauge',
        samples: groups.filter((g) => g.topology.healthCheckEnabled).map((g) => ({ labels: labels(g), value: g.latest.healthy })),
      },
      {
        name: 'aws_applicationelb_unhealthy_host_count',
        help: 'Unhealthy targets at the last health sample (UnHealthyHostCount).',
        type: 'gauge',
        samples: groups.filter((g) => g.topology.healthCheckEnabled).map((g) => ({ labels: labels(g), value: g.latest.unhealthy })),
      },
      {
        name: 'aws_ecs_cpu_utilization_percent',
        help: 'CPU units used / reserved by the tasks, x 100, over the last interval (AWS/ECS CPUUtilization Average).',
        type: 'gauge',
        samples: ecs.map((u) => ({ labels: ecsLabels(u), value: u.cpu.sum / u.cpu.sampleCount })),
      },
      {
        name: 'aws_ecs_memory_utilization_percent',
        help: 'Memory used / reserved by the tasks, x 100, over the last interval (AWS/ECS MemoryUtilization Average).',
        type: 'gauge',
        samples: ecs.filter((u) => u.memory).map((u) => ({ labels: ecsLabels(u), value: u.memory!.sum / u.memory!.sampleCount })),
      },
    ];
    return renderPrometheus(families);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
