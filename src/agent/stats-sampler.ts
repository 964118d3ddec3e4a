/**
 * Per-task CPU and memory utilization, sampled for metrics and autoscaling: every interval, each
 * RUNNING task the agent runs has its running containers' resource use read through the driver
 * (`stats`), summed, and kept as one row in `agent_task_stats` (component `agent-stats`).
 *
 * Utilization is computed as ECS computes a service's CPUUtilization and MemoryUtilization:
 * - CPU: CPU units used / CPU units reserved * 100, where reserved is the task's `cpu`, else the
 *   sum of its containers' `cpu`, else one vCPU (1024 units). It may exceed 100 when nothing
 *   enforces the reservation (the process driver).
 * - memory: bytes used / bytes reserved * 100, where reserved is the task's `memory`, else the sum
 *   of its containers' hard limits (`memory`), else their `memoryReservation`; undefined when
 *   none is set.
 *
 * A round is cheap at 1,000 tasks: the runtime rows are read in one query, and each driver samples
 * all of its containers at once: `statsMany` where the driver has it (the process driver: one pass
 * over /proc, and one short wait for all containers seen for the first time, not one per
 * container), else `stats` calls a bounded number at a time ({@link STATS_CONCURRENCY}).
 *
 * The interval is 10 s, or the CloudWatch producers' interval when that is shorter (at
 * `--time-scale 60` a minute of metrics is one real second), so each published interval has at
 * least one sample; `BERTH_STATS_INTERVAL` overrides it.
 *
 * Bounded: rows older than the retention (default 24 h) are deleted at each sample, and beyond a
 * row cap (default 100,000) the oldest rows go first. No downsampling: a reader that wants a
 * coarser series aggregates what it reads.
 */
import { parseTaskCpu, parseTaskMemory, type TaskRecord } from '../services/ecs/index.js';
import type { Store, Migration } from '../state/index.js';
import type { Driver, ResourceUsage, TaskHandle } from '../runtime/index.js';
import { OptionsError } from '../config/index.js';
import type { DriverSet } from './drivers.js';
import { liveRuntimeStates } from './runtime-state.js';

/** At most this many `stats` calls in flight per driver without `statsMany` (the OCI driver runs `runc events` per call). */
export const STATS_CONCURRENCY = 16;

/** One CPU, in ECS CPU units. */
const ONE_VCPU_UNITS = 1024;
const MIB = 1024 * 1024;

/** The `agent-stats` component's migrations. */
const statsMigrations: Migration[] = [
  {
    version: 1,
    name: 'per-task resource samples',
    up: `
      CREATE TABLE agent_task_stats (
        id INTEGER PRIMARY KEY AUTOINCREMENT, task_arn TEXT NOT NULL, cluster_arn TEXT NOT NULL,
        cluster_name TEXT NOT NULL, service_name TEXT, at INTEGER NOT NULL,
        cpu_units_used REAL NOT NULL, cpu_units_reserved REAL NOT NULL, cpu_utilization REAL NOT NULL,
        memory_bytes INTEGER NOT NULL, memory_reserved_bytes INTEGER, memory_utilization REAL);
      CREATE INDEX agent_task_stats_cluster ON agent_task_stats (cluster_name, service_name, at);
      CREATE INDEX agent_task_stats_at ON agent_task_stats (at);
    `,
  },
];

/** Creates the stats table if needed (idempotent). */
export function migrateTaskStats(store: Store): void {
  store.migrate('agent-stats', statsMigrations);
}

/** One task's resource use at one moment. */
export interface TaskStatsSample {
  taskArn: string;
  clusterArn: string;
  clusterName: string;
  /** From the task's `serviceName`, or its group `service:NAME`; undefined for a standalone task. */
  serviceName?: string;
  at: Date;
  /** CPU units used by all running containers (1024 = one vCPU busy). */
  cpuUnitsUsed: number;
  /** CPU units the utilization is measured against (see the module comment). */
  cpuUnitsReserved: number;
  /** cpuUnitsUsed / cpuUnitsReserved * 100. */
  cpuUtilization: number;
  /** Resident memory of all running containers, in bytes. */
  memoryBytes: number;
  /** Memory the utilization is measured against; undefined when nothing reserves memory. */
  memoryReservedBytes?: number;
  /** memoryBytes / memoryReservedBytes * 100; undefined without a reservation. */
  memoryUtilization?: number;
}

/** The service a task belongs to: `serviceName`, else its group `service:NAME`. */
export function taskServiceName(task: Pick<TaskRecord, 'serviceName' | 'group'>): string | undefined {
  if (task.serviceName) return task.serviceName;
  return task.group?.startsWith('service:') ? task.group.slice('service:'.length) : undefined;
}

/** Sums the containers' usage into one sample of the task (pure; the ECS arithmetic). */
export function taskSample(task: Pick<TaskRecord, 'taskArn' | 'clusterArn' | 'cpu' | 'memory' | 'containers' | 'serviceName' | 'group'>, usages: ResourceUsage[], at: Date): TaskStatsSample {
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const taskCpu = task.cpu === undefined ? undefined : parseTaskCpu(task.cpu);
  const containerCpu = sum(task.containers.map((c) => Number(c.cpu) || 0));
  const cpuUnitsReserved = taskCpu || containerCpu || ONE_VCPU_UNITS;
  const cpuUnitsUsed = sum(usages.map((u) => u.cpuUnitsUsed));
  const taskMemory = task.memory === undefined ? undefined : parseTaskMemory(task.memory);
  const hard = sum(task.containers.map((c) => Number(c.memory) || 0));
  const soft = sum(task.containers.map((c) => Number(c.memoryReservation) || 0));
  const reservedMiB = taskMemory || hard || soft;
  const memoryBytes = sum(usages.map((u) => u.memoryBytes));
  const memoryReservedBytes = reservedMiB ? reservedMiB * MIB : undefined;
  return {
    taskArn: task.taskArn,
    clusterArn: task.clusterArn,
    clusterName: task.clusterArn.slice(task.clusterArn.lastIndexOf('/') + 1),
    serviceName: taskServiceName(task),
    at,
    cpuUnitsUsed,
    cpuUnitsReserved,
    cpuUtilization: (cpuUnitsUsed / cpuUnitsReserved) * 100,
    memoryBytes,
    memoryReservedBytes,
    memoryUtilization: memoryReservedBytes ? (memoryBytes / memoryReservedBytes) * 100 : undefined,
  };
}

/** How many samples are kept. */
export interface StatsBounds {
  /** Samples older than this are deleted. */
  retentionMs: number;
  /** At most this many rows; the oldest go first. */
  maxRows: number;
}

/** Saves samples and enforces the bounds, in one transaction. */
export function recordTaskStats(store: Store, samples: TaskStatsSample[], bounds: StatsBounds, now: Date = new Date()): void {
  store.transaction(() => {
    const insert = store.prepare(
      `INSERT INTO agent_task_stats (task_arn, cluster_arn, cluster_name, service_name, at, cpu_units_used, cpu_units_reserved, cpu_utilization, memory_bytes, memory_reserved_bytes, memory_utilization)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    for (const s of samples) {
      insert.run(s.taskArn, s.clusterArn, s.clusterName, s.serviceName ?? null, s.at.getTime(), s.cpuUnitsUsed, s.cpuUnitsReserved, s.cpuUtilization, Math.round(s.memoryBytes), s.memoryReservedBytes ?? null, s.memoryUtilization ?? null);
    }
    store.prepare('DELETE FROM agent_task_stats WHERE at < ?').run(now.getTime() - bounds.retentionMs);
    store.prepare('DELETE FROM agent_task_stats WHERE id <= (SELECT id FROM agent_task_stats ORDER BY id DESC LIMIT 1 OFFSET ?)').run(bounds.maxRows);
  });
}

/** What {@link readTaskStats} selects. */
export interface TaskStatsQuery {
  /** A cluster name or ARN. */
  cluster: string;
  /** Only this service's tasks; every task of the cluster when undefined. */
  service?: string;
  /** Samples at or after this time. */
  since: Date;
  /** Samples before this time; default: no end. */
  until?: Date;
}

interface StatsRow {
  task_arn: string;
  cluster_arn: string;
  cluster_name: string;
  service_name: string | null;
  at: number;
  cpu_units_used: number;
  cpu_units_reserved: number;
  cpu_utilization: number;
  memory_bytes: number;
  memory_reserved_bytes: number | null;
  memory_utilization: number | null;
}

/** The kept samples of a cluster (or one of its services), oldest first. */
export function readTaskStats(store: Store, query: TaskStatsQuery): TaskStatsSample[] {
  migrateTaskStats(store);
  const column = query.cluster.startsWith('arn:') ? 'cluster_arn' : 'cluster_name';
  const rows = store
    .prepare(
      `SELECT * FROM agent_task_stats WHERE ${column} = ? AND (? IS NULL OR service_name = ?) AND at >= ? AND (? IS NULL OR at < ?) ORDER BY at, id`,
    )
    .all(query.cluster, query.service ?? null, query.service ?? null, query.since.getTime(), query.until?.getTime() ?? null, query.until?.getTime() ?? null) as StatsRow[];
  return rows.map((r) => ({
    taskArn: r.task_arn,
    clusterArn: r.cluster_arn,
    clusterName: r.cluster_name,
    serviceName: r.service_name ?? undefined,
    at: new Date(r.at),
    cpuUnitsUsed: r.cpu_units_used,
    cpuUnitsReserved: r.cpu_units_reserved,
    cpuUtilization: r.cpu_utilization,
    memoryBytes: r.memory_bytes,
    memoryReservedBytes: r.memory_reserved_bytes ?? undefined,
    memoryUtilization: r.memory_utilization ?? undefined,
  }));
}

/** Options of {@link StatsSampler}. */
export interface StatsSamplerOptions {
  /** Seconds between samples. Default: `BERTH_STATS_INTERVAL` (seconds), else min(10, max(1, metricsIntervalSeconds)). */
  intervalSeconds?: number;
  /** The CloudWatch producers' interval in seconds (at least one sample each). Default 60. */
  metricsIntervalSeconds?: number;
  /** How long samples are kept, in hours. Default 24. */
  retentionHours?: number;
  /** The most rows kept. Default 100,000. */
  maxRows?: number;
}

/** {@link StatsSamplerOptions} with every default applied. */
export interface ResolvedStatsSamplerOptions {
  intervalMs: number;
  bounds: StatsBounds;
}

/** Resolves and checks {@link StatsSamplerOptions}; throws an OptionsError that names the bad value. */
export function compileStatsSamplerOptions(options: StatsSamplerOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedStatsSamplerOptions {
  const fromEnv = env.BERTH_STATS_INTERVAL;
  const perMetricsInterval = Math.min(10, Math.max(1, options.metricsIntervalSeconds ?? 60));
  const interval = options.intervalSeconds ?? (fromEnv === undefined || fromEnv === '' ? perMetricsInterval : Number(fromEnv));
  const problems: string[] = [];
  if (!Number.isFinite(interval) || interval <= 0) problems.push(`the stats interval must be a number of seconds above 0; got '${options.intervalSeconds ?? fromEnv}'.`);
  const retentionHours = options.retentionHours ?? 24;
  if (!Number.isFinite(retentionHours) || retentionHours <= 0) problems.push(`retentionHours must be above 0; got ${retentionHours}.`);
  const maxRows = options.maxRows ?? 100_000;
  if (!Number.isInteger(maxRows) || maxRows < 1) problems.push(`maxRows must be a whole number of at least 1; got ${maxRows}.`);
  if (problems.length > 0) throw new OptionsError(problems.join(' '));
  return { intervalMs: interval * 1000, bounds: { retentionMs: retentionHours * 3_600_000, maxRows } };
}

/** Milliseconds from `now` to the next middle of an `intervalMs` interval of the clock (never 0). */
export function nextSampleDelay(now: number, intervalMs: number): number {
  const wait = Math.floor(now / intervalMs) * intervalMs + intervalMs / 2 - now;
  return wait > 0 ? wait : wait + intervalMs;
}

/** Samples every RUNNING task's resource use on an interval; a Runnable. */
export class StatsSampler {
  private readonly resolved: ResolvedStatsSamplerOptions;

  constructor(
    private readonly deps: { store: Store; drivers: DriverSet; log?: (line: string) => void; now?: () => Date },
    options: StatsSamplerOptions = {},
  ) {
    this.resolved = compileStatsSamplerOptions(options);
    migrateTaskStats(deps.store);
  }

  /**
   * Samples until `signal` aborts, in the middle of each interval of the wall clock (at 5 s, 15 s,
   * ... past the minute with 10 s): the producers' intervals are aligned to the clock, so each of
   * them gets its samples however long a round takes (a fixed pause after each round would drift
   * and, at one-second intervals, leave some intervals without a sample).
   */
  async start(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, nextSampleDelay(Date.now(), this.resolved.intervalMs));
        function done() {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      if (signal.aborted) return;
      try {
        await this.sampleOnce();
      } catch (err) {
        (this.deps.log ?? ((l) => process.stderr.write(l + '\n')))(`stats sampler: ${(err as Error).message}`);
      }
    }
  }

  /** Takes one sample of every RUNNING task and saves it. */
  async sampleOnce(): Promise<TaskStatsSample[]> {
    const { store, drivers } = this.deps;
    const docs = store.prepare(`SELECT doc FROM ecs_tasks WHERE last_status = 'RUNNING'`).pluck().all() as string[];
    const states = new Map(liveRuntimeStates(store).map((rt) => [rt.taskArn, rt]));
    const wanted: { task: TaskRecord; handles: TaskHandle[] }[] = [];
    const byDriver = new Map<Driver, TaskHandle[]>();
    for (const task of docs.map((d) => JSON.parse(d) as TaskRecord)) {
      const rt = states.get(task.taskArn);
      const driver = rt && drivers.byName(rt.driver);
      if (!rt || !driver) continue;
      const handles = task.containers.filter((c) => c.lastStatus === 'RUNNING' && rt.handles[c.name]).map((c) => rt.handles[c.name]);
      if (handles.length === 0) continue;
      wanted.push({ task, handles });
      byDriver.set(driver, [...(byDriver.get(driver) ?? []), ...handles]);
    }
    const usage = new Map<TaskHandle, ResourceUsage>();
    await Promise.all(
      [...byDriver].map(async ([driver, handles]) => {
        const out = await sampleContainers(driver, handles);
        out.forEach((u, i) => u && usage.set(handles[i], u));
      }),
    );
    const at = this.deps.now?.() ?? new Date();
    const samples: TaskStatsSample[] = [];
    for (const { task, handles } of wanted) {
      const usages = handles.map((h) => usage.get(h)).filter((u): u is ResourceUsage => u !== undefined);
      if (usages.length > 0) samples.push(taskSample(task, usages, at));
    }
    recordTaskStats(store, samples, this.resolved.bounds, at);
    return samples;
  }
}

/**
 * The usage of each container of one driver, in order (undefined for one that could not be
 * sampled, e.g. it has just exited): one `statsMany` call where the driver has it, else `stats`
 * calls, at most {@link STATS_CONCURRENCY} at a time.
 */
export async function sampleContainers(driver: Driver, handles: readonly TaskHandle[]): Promise<(ResourceUsage | undefined)[]> {
  if (driver.statsMany) {
    const out = await driver.statsMany(handles).catch((): undefined[] => handles.map(() => undefined));
    return out.map((u) => (u instanceof Error ? undefined : u));
  }
  const out: (ResourceUsage | undefined)[] = handles.map(() => undefined);
  let next = 0;
  const worker = async () => {
    while (next < handles.length) {
      const i = next++;
      out[i] = await driver.stats(handles[i]).catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: Math.min(STATS_CONCURRENCY, handles.length) }, worker));
  return out;
}
