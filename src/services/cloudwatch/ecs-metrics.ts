/**
 * AWS/ECS CPUUtilization and MemoryUtilization from the task agent's per-task samples (the
 * `agent_task_stats` table the StatsSampler writes every 10 s), computed as ECS computes them:
 *
 * - per service (ClusterName + ServiceName): Average = CPU units used by the service's tasks /
 *   CPU units reserved for them x 100 (a weighted average, as ECS's formula), Minimum and Maximum
 *   the utilization of the least and the most loaded task; one statistic set per interval whose
 *   SampleCount is the number of tasks and Sum = Average x SampleCount, so that every CloudWatch
 *   statistic reads as ECS's does. Memory likewise with bytes; tasks without a memory reservation
 *   are left out of MemoryUtilization (ECS has nothing to measure them against).
 * - per cluster (ClusterName): the same over every sampled task of the cluster. (ECS measures a
 *   cluster against its container instances' registered CPU; Berth has no container instances,
 *   so it measures against what the tasks reserve.)
 *
 * A task's utilization over the interval is its used total over its reserved total across its
 * samples; CPU reserved is the task's `cpu`, else the sum of its containers' `cpu`, else 1024
 * (agent/stats-sampler.ts applies ECS's rules when sampling). Nothing is published for a service
 * or cluster without samples in the interval (ECS reports only resources with RUNNING tasks).
 */
import type { Datum } from './metric-store.js';

/** One row of `agent_task_stats`. */
export interface UtilizationSample {
  taskArn: string;
  clusterName: string;
  serviceName?: string;
  cpuUnitsUsed: number;
  cpuUnitsReserved: number;
  memoryBytes: number;
  memoryReservedBytes?: number;
}

/** A statistic set (what PutMetricData's StatisticValues holds). */
export interface StatisticSet {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

/** One service's (or cluster's) utilization over an interval, for `/metrics`. */
export interface EcsUtilization {
  clusterName: string;
  /** Undefined for the cluster-level figures. */
  serviceName?: string;
  cpu: StatisticSet;
  memory?: StatisticSet;
}

interface TaskTotals {
  used: number;
  reserved: number;
  mem: number;
  memReserved: number;
}

/** The statistic set of per-task (used, reserved) totals: weighted average, extremes per task. */
function utilizationSet(tasks: { used: number; reserved: number }[]): StatisticSet | undefined {
  const withReservation = tasks.filter((t) => t.reserved > 0);
  if (withReservation.length === 0) return undefined;
  let used = 0;
  let reserved = 0;
  let minimum = Infinity;
  let maximum = -Infinity;
  for (const t of withReservation) {
    used += t.used;
    reserved += t.reserved;
    const u = (t.used / t.reserved) * 100;
    minimum = Math.min(minimum, u);
    maximum = Math.max(maximum, u);
  }
  const average = (used / reserved) * 100;
  return { sampleCount: withReservation.length, sum: average * withReservation.length, minimum, maximum };
}

/** Per service and per cluster utilization of the samples of one interval. */
export function ecsUtilization(samples: readonly UtilizationSample[]): EcsUtilization[] {
  const groups = new Map<string, { clusterName: string; serviceName?: string; tasks: Map<string, TaskTotals> }>();
  const add = (key: string, clusterName: string, serviceName: string | undefined, s: UtilizationSample) => {
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { clusterName, serviceName, tasks: new Map() }));
    let t = g.tasks.get(s.taskArn);
    if (!t) g.tasks.set(s.taskArn, (t = { used: 0, reserved: 0, mem: 0, memReserved: 0 }));
    t.used += s.cpuUnitsUsed;
    t.reserved += s.cpuUnitsReserved;
    if (s.memoryReservedBytes) {
      t.mem += s.memoryBytes;
      t.memReserved += s.memoryReservedBytes;
    }
  };
  for (const s of samples) {
    add(JSON.stringify([s.clusterName]), s.clusterName, undefined, s);
    if (s.serviceName) add(JSON.stringify([s.clusterName, s.serviceName]), s.clusterName, s.serviceName, s);
  }
  const out: EcsUtilization[] = [];
  for (const g of groups.values()) {
    const tasks = [...g.tasks.values()];
    const cpu = utilizationSet(tasks);
    if (!cpu) continue;
    const memory = utilizationSet(tasks.map((t) => ({ used: t.mem, reserved: t.memReserved })));
    out.push({ clusterName: g.clusterName, serviceName: g.serviceName, cpu, memory });
  }
  return out;
}

/** The AWS/ECS datums of one interval, timestamped `timestamp` (the interval's start). */
export function ecsDatums(utilization: readonly EcsUtilization[], timestamp: number): Datum[] {
  const out: Datum[] = [];
  for (const u of utilization) {
    const dimensions = [{ name: 'ClusterName', value: u.clusterName }, ...(u.serviceName ? [{ name: 'ServiceName', value: u.serviceName }] : [])];
    out.push({ metricName: 'CPUUtilization', dimensions, timestamp, unit: 'Percent', statisticValues: u.cpu });
    if (u.memory) out.push({ metricName: 'MemoryUtilization', dimensions, timestamp, unit: 'Percent', statisticValues: u.memory });
  }
  return out;
}
