/**
 * The two measured phases on one target: the fill (PutMetricData of every batch, N calls in
 * flight, closed loop) and the queries (each GetMetricData shape called one at a time, a warm-up
 * call then repeated calls), with the server's CPU from /proc around each.
 */
import { readFileSync } from 'node:fs';
import { type CloudWatchClient, GetMetricDataCommand, type GetMetricDataCommandOutput, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { processCpuUs } from '../api/load.js';
import { percentile } from '../shared/table.js';
import { checkStopping } from '../shared/lifecycle.js';
import { batchDatums, type BenchQuery, type DataWindow, exactAverage, NAMESPACE, totalDatapoints } from './workload.js';

/** What the fill measured. */
export interface FillResult {
  datapoints: number;
  calls: number;
  errors: number;
  firstError?: string;
  elapsedS: number;
  datapointsPerS: number;
  callsPerS: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuUsPerDatapoint?: number;
  serverCores?: number;
  clientCores: number;
  /** The server's resident memory before and once the fill is done (MB), from /proc. */
  serverRssStartMb?: number;
  serverRssMb?: number;
}

/** Resident memory of a process in MB, from /proc; undefined elsewhere. */
export function processRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** One line for a failed call: the HTTP status (when there was an answer), the error's name and message. */
function describe(err: unknown): string {
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return `${status ? `HTTP ${status}: ` : ''}${(err as Error).name}: ${(err as Error).message}`.split('\n')[0].slice(0, 200);
}

/** Puts every datapoint of the window, `batch` per call, `concurrency` calls in flight; `progress` is called every ~5 s. */
export async function fill(
  client: CloudWatchClient,
  w: DataWindow,
  opts: { batch: number; concurrency: number; serverPid?: number },
  progress: (done: number, total: number, elapsedS: number) => void,
): Promise<FillResult> {
  const total = totalDatapoints(w);
  const batches = Math.ceil(total / opts.batch);
  const latencies: number[] = [];
  let next = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const rss0 = processRssMb(opts.serverPid);
  const server0 = processCpuUs(opts.serverPid);
  const client0 = process.cpuUsage();
  const start = performance.now();
  let lastReport = start;
  const worker = async () => {
    while (next < batches) {
      checkStopping();
      const b = next++;
      const MetricData = batchDatums(w, opts.batch, b);
      const t0 = performance.now();
      try {
        await client.send(new PutMetricDataCommand({ Namespace: NAMESPACE, MetricData }));
        done += MetricData.length;
      } catch (err) {
        errors++;
        firstError ??= describe(err);
      }
      const t1 = performance.now();
      latencies.push(t1 - t0);
      if (t1 - lastReport > 5000) {
        lastReport = t1;
        progress(done, total, (t1 - start) / 1000);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.concurrency, batches) }, worker));
  const elapsedS = (performance.now() - start) / 1000;
  const server1 = processCpuUs(opts.serverPid);
  const clientCpu = process.cpuUsage(client0);
  const sorted = latencies.sort((a, b) => a - b);
  const serverUs = server0 !== undefined && server1 !== undefined ? server1 - server0 : undefined;
  return {
    datapoints: done,
    calls: latencies.length,
    errors,
    firstError,
    elapsedS,
    datapointsPerS: done / elapsedS,
    callsPerS: (latencies.length - errors) / elapsedS,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    serverCpuUsPerDatapoint: serverUs !== undefined && done > 0 ? serverUs / done : undefined,
    serverCores: serverUs !== undefined ? serverUs / 1e6 / elapsedS : undefined,
    clientCores: (clientCpu.user + clientCpu.system) / 1e6 / elapsedS,
    serverRssStartMb: rss0,
    serverRssMb: processRssMb(opts.serverPid),
  };
}

/** What one query shape measured on one target. */
export interface QueryResult {
  /** Measured calls (the warm-up call is not one). */
  calls: number;
  /** Failed calls, the warm-up included. */
  errors: number;
  firstError?: string;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  serverCpuMsPerCall?: number;
  /** Datapoints in the last successful answer, over every returned result; undefined when none succeeded. */
  datapoints?: number;
  /** The sum of every value of that answer (compared between targets). */
  valueSum?: number;
  /** A note on the answer: partial data, values checked against the exact averages. */
  note?: string;
}

/** Datapoints and the sum of values over an answer's results. */
function summarize(out: GetMetricDataCommandOutput): { datapoints: number; valueSum: number; partial: boolean } {
  let datapoints = 0;
  let valueSum = 0;
  let partial = Boolean(out.NextToken);
  for (const r of out.MetricDataResults ?? []) {
    datapoints += r.Values?.length ?? 0;
    for (const v of r.Values ?? []) valueSum += v;
    if (r.StatusCode && r.StatusCode !== 'Complete') partial = true;
  }
  return { datapoints, valueSum, partial };
}

/**
 * For a query of plain Averages of one series, how many datapoints differ (beyond 1e-9 relative)
 * from the exact average of their period; undefined for other shapes.
 */
function checkAverages(q: BenchQuery, out: GetMetricDataCommandOutput): { checked: number; wrong: number } | undefined {
  const queries = q.input.MetricDataQueries ?? [];
  if (queries.length !== 1 || queries[0].MetricStat?.Stat !== 'Average') return undefined;
  const period = queries[0].MetricStat.Period!;
  const s = Number(queries[0].MetricStat.Metric!.Dimensions![0].Value);
  const r = out.MetricDataResults?.[0];
  let wrong = 0;
  const n = r?.Values?.length ?? 0;
  for (let i = 0; i < n; i++) {
    const from = r!.Timestamps![i].getTime() / 1000;
    const want = exactAverage(s, from, from + period);
    if (Math.abs(r!.Values![i] - want) > 1e-9 * Math.abs(want)) wrong++;
  }
  return { checked: n, wrong };
}

/**
 * Calls `q` once to warm up (not recorded), then up to `repeat` times one after the other, stopping
 * early once `budgetS` has passed (at least one measured call). A call that fails or times out is
 * counted; after a timeout the query is not repeated (the server may still be working on it).
 */
export async function measureQuery(client: CloudWatchClient, q: BenchQuery, opts: { repeat: number; budgetS: number; serverPid?: number }): Promise<QueryResult> {
  let errors = 0;
  let firstError: string | undefined;
  let last: GetMetricDataCommandOutput | undefined;
  let timedOut = false;
  const call = async (): Promise<number> => {
    const t0 = performance.now();
    try {
      last = await client.send(new GetMetricDataCommand(q.input));
    } catch (err) {
      errors++;
      firstError ??= describe(err);
      if ((err as Error).name === 'TimeoutError' || /timed? ?out/i.test((err as Error).message)) timedOut = true;
    }
    return performance.now() - t0;
  };
  checkStopping();
  await call(); // the warm-up: not timed, but its error counts
  const latencies: number[] = [];
  const server0 = processCpuUs(opts.serverPid);
  const start = performance.now();
  while (!timedOut && latencies.length < opts.repeat && (latencies.length === 0 || performance.now() - start < opts.budgetS * 1000)) {
    checkStopping();
    latencies.push(await call());
  }
  const server1 = processCpuUs(opts.serverPid);
  const sorted = latencies.sort((a, b) => a - b);
  const result: QueryResult = {
    calls: latencies.length,
    errors,
    firstError,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted.length ? sorted[sorted.length - 1] : NaN,
    serverCpuMsPerCall: server0 !== undefined && server1 !== undefined && latencies.length ? (server1 - server0) / 1000 / latencies.length : undefined,
  };
  if (last) {
    const s = summarize(last);
    result.datapoints = s.datapoints;
    result.valueSum = s.valueSum;
    const notes: string[] = [];
    if (s.partial) notes.push('partial answer (NextToken or PartialData)');
    const check = checkAverages(q, last);
    if (check && check.checked) notes.push(check.wrong ? `${check.wrong} of ${check.checked} averages WRONG` : `all ${check.checked} averages exact`);
    if (notes.length) result.note = notes.join('; ');
  }
  return result;
}
