/**
 * A closed-loop load generator: `concurrency` workers each issue one call, await it, and issue
 * the next, for a warm-up (not recorded) and then a measured phase bounded by a duration or a
 * call count. Latency is taken around each SDK `send`, so it includes signing and parsing.
 */
import { readFileSync } from 'node:fs';

/** One call of the workload; `i` counts calls within the phase (to vary inputs). */
export type Call = (i: number) => Promise<unknown>;

/** What a measured phase produced. */
export interface PhaseResult {
  calls: number;
  errors: number;
  firstError?: string;
  elapsedS: number;
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU seconds the server process spent per call, when its pid is known (Linux /proc). */
  serverCpuUsPerCall?: number;
  /** CPU seconds this (client) process spent per call. */
  clientCpuUsPerCall: number;
}

/** How long a phase lasts: a duration or a fixed number of calls. */
export type Bound = { durationS: number } | { calls: number };

/** Runs `call` with `concurrency` in flight until the bound is reached; records nothing when `record` is false. */
async function drive(call: Call, concurrency: number, bound: Bound, record: boolean) {
  const latencies: number[] = [];
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const endAt = 'durationS' in bound ? performance.now() + bound.durationS * 1000 : Infinity;
  const maxCalls = 'calls' in bound ? bound.calls : Infinity;
  const worker = async () => {
    while (issued < maxCalls && performance.now() < endAt) {
      const i = issued++;
      const t0 = performance.now();
      try {
        await call(i);
      } catch (err) {
        errors++;
        firstError ??= `${(err as Error).name}: ${(err as Error).message}`;
      }
      if (record) latencies.push(performance.now() - t0);
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { latencies, errors, firstError, elapsedS: (performance.now() - start) / 1000 };
}

/** CPU time (user + system) of a process in microseconds, from /proc; undefined elsewhere. */
export function processCpuUs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14, 15 of stat)
    return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

/** A warm-up phase, then a measured phase; figures for the measured phase only. */
export async function measure(call: Call, opts: { concurrency: number; warmupS: number; bound: Bound; serverPid?: number }): Promise<PhaseResult> {
  if (opts.warmupS > 0) await drive(call, opts.concurrency, { durationS: opts.warmupS }, false);
  const server0 = processCpuUs(opts.serverPid);
  const client0 = process.cpuUsage();
  const run = await drive(call, opts.concurrency, opts.bound, true);
  const server1 = processCpuUs(opts.serverPid);
  const client1 = process.cpuUsage(client0);
  const sorted = run.latencies.sort((a, b) => a - b);
  const calls = sorted.length;
  return {
    calls,
    errors: run.errors,
    firstError: run.firstError,
    elapsedS: run.elapsedS,
    throughput: (calls - run.errors) / run.elapsedS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    serverCpuUsPerCall: server0 !== undefined && server1 !== undefined ? (server1 - server0) / calls : undefined,
    clientCpuUsPerCall: (client1.user + client1.system) / calls,
  };
}

/** Issues `count` calls with `concurrency` in flight, for setup; throws on the first error. */
export async function runAll(call: Call, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
