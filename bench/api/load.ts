/**
 * A closed-loop load generator: `concurrency` workers each issue one call, await it, and issue
 * the next, for a warm-up (not recorded) and then a measured phase bounded by a duration or a
 * call count. Latency is taken around each SDK `send`, so it includes signing and parsing.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { WorkerJob, WorkerResult, WorkerSetup } from './load-worker.js';
import { percentile } from '../shared/table.js';

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
  /** CPU microseconds the server process spent per call, when its pid is known (Linux /proc). */
  serverCpuUsPerCall?: number;
  /** Cores the server kept busy during the measured phase (1.0 = one core all the time). */
  serverCores?: number;
  /** Cores the client (every load thread) kept busy, warm-up included. */
  clientCores: number;
}

/** How long a phase lasts: a duration or a fixed number of calls. */
export type Bound = { durationS: number } | { calls: number };

/** Runs `call` with `concurrency` in flight until the bound is reached; records nothing when `record` is false. */
export async function drive(call: Call, concurrency: number, bound: Bound, record: boolean) {
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

/** The load threads of one target (see load-worker.ts). */
export class LoadPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `threads` workers, each with its own client to the target. */
  static async start(setup: Omit<WorkerSetup, 'concurrency'>, threads: number, concurrency: number): Promise<LoadPool> {
    const url = new URL('./load-worker.js', import.meta.url);
    const workers = shares(concurrency, threads).map((c) => new Worker(url, { workerData: { ...setup, concurrency: c } satisfies WorkerSetup }));
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('online', () => resolve());
      w.once('error', reject);
    })));
    return new LoadPool(workers);
  }

  /**
   * A warm-up phase, then a measured phase, of one operation on every thread at once (the calls
   * in flight split between them); figures for the measured phase only.
   */
  async measure(op: string, opts: { concurrency: number; warmupS: number; bound: Bound; serverPid?: number }): Promise<PhaseResult> {
    const inFlight = shares(opts.concurrency, this.workers.length);
    const callShares = 'calls' in opts.bound ? shares(opts.bound.calls, this.workers.length) : undefined;
    const client0 = process.cpuUsage();
    let server0: number | undefined;
    // The server's CPU is read when the warm-up ends (workers start together, so one timer does).
    const warmTimer = setTimeout(() => (server0 = processCpuUs(opts.serverPid)), opts.warmupS * 1000);
    if (opts.warmupS === 0) server0 = processCpuUs(opts.serverPid);
    const results = await Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<WorkerResult>((resolve, reject) => {
            const onError = (e: Error) => reject(e);
            w.once('error', onError);
            w.once('message', (r: WorkerResult) => {
              w.off('error', onError);
              resolve(r);
            });
            const job: WorkerJob = { op, concurrency: inFlight[i], warmupS: opts.warmupS, bound: callShares ? { calls: callShares[i] } : opts.bound };
            w.postMessage(job);
          }),
      ),
    );
    clearTimeout(warmTimer);
    const server1 = processCpuUs(opts.serverPid);
    const clientCpu = process.cpuUsage(client0);
    const latencies: number[] = [];
    for (const r of results) for (const l of r.latencies) latencies.push(l);
    const sorted = latencies.sort((a, b) => a - b);
    const calls = sorted.length;
    const errors = results.reduce((n, r) => n + r.errors, 0);
    const elapsedS = Math.max(...results.map((r) => r.elapsedS));
    return {
      calls,
      errors,
      firstError: results.find((r) => r.firstError)?.firstError,
      elapsedS,
      throughput: (calls - errors) / elapsedS,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      serverCpuUsPerCall: server0 !== undefined && server1 !== undefined ? (server1 - server0) / calls : undefined,
      serverCores: server0 !== undefined && server1 !== undefined ? (server1 - server0) / 1e6 / elapsedS : undefined,
      clientCores: (clientCpu.user + clientCpu.system) / 1e6 / (opts.warmupS + elapsedS),
    };
  }

  /** Stops the threads. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Splits `total` into `n` near-equal whole shares (none zero when total >= n). */
function shares(total: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => Math.floor(total / n) + (i < total % n ? 1 : 0));
}

/** Issues `count` calls with `concurrency` in flight, for setup; throws on the first error. */
export async function runAll(call: Call, count: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await call(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}
