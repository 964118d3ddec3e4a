/** The metrics bench's printed tables: the fill, the queries, and the ratios Berth / moto. */
import { fmt, table } from '../shared/table.js';
import type { FillResult, QueryResult } from './phases.js';
import type { BenchQuery } from './workload.js';

/** Everything measured on one target. */
export interface TargetRun {
  target: string;
  fill?: FillResult;
  queries: Map<string, QueryResult>;
}

/** The fill table: one row per target. */
export function fillTable(runs: TargetRun[]): string {
  return table(
    ['target', 'datapoints', 'calls', 'errors', 'seconds', 'datapoints/s', 'calls/s', 'p50 ms/call', 'p99 ms/call', 'server CPU µs/datapoint', 'server cores', 'client cores', 'server RSS MB before > after'],
    runs
      .filter((r) => r.fill)
      .map(({ target, fill: f }) => [
        target,
        String(f!.datapoints),
        String(f!.calls),
        String(f!.errors),
        fmt(f!.elapsedS, 1),
        fmt(f!.datapointsPerS, 0),
        fmt(f!.callsPerS, 1),
        fmt(f!.p50Ms, 1),
        fmt(f!.p99Ms, 1),
        fmt(f!.serverCpuUsPerDatapoint, 1),
        fmt(f!.serverCores, 2),
        fmt(f!.clientCores, 2),
        `${fmt(f!.serverRssStartMb, 0)} > ${fmt(f!.serverRssMb, 0)}`,
      ]),
    1,
  );
}

/** The query table: one row per query and target, with the datapoints each answered against the expected count. */
export function queryTable(runs: TargetRun[], queries: BenchQuery[]): string {
  const rows: string[][] = [];
  for (const q of queries) {
    for (const r of runs) {
      const m = r.queries.get(q.name);
      if (!m) continue;
      rows.push([
        q.name,
        r.target,
        String(m.calls),
        String(m.errors),
        fmt(m.p50Ms, 1),
        fmt(m.p99Ms, 1),
        fmt(m.serverCpuMsPerCall, 1),
        m.datapoints === undefined ? '-' : String(m.datapoints),
        String(q.expectedDatapoints),
        [m.note, m.errors ? m.firstError : undefined].filter(Boolean).join('; '),
      ]);
    }
  }
  return table(['query', 'target', 'calls', 'errors', 'p50 ms', 'p99 ms', 'server CPU ms/call', 'datapoints', 'expected', 'notes'], rows);
}

/**
 * Ratios of `base` over `ref`: fill throughput (above 1: `base` puts faster), each query's p50 and p99
 * latency (below 1: `base` answers faster) and the same the other way round, the server CPU per
 * datapoint or call, and whether both answered the same datapoints with the same values.
 */
export function ratioTable(runs: TargetRun[], queries: BenchQuery[], base = 'berth', ref = 'moto'): string {
  const b = runs.find((r) => r.target === base);
  const m = runs.find((r) => r.target === ref);
  if (!b || !m) return '';
  const rows: string[][] = [];
  if (b.fill && m.fill) {
    const t = b.fill.datapointsPerS / m.fill.datapointsPerS;
    rows.push([
      'fill: datapoints/s',
      `${fmt(b.fill.datapointsPerS, 0)} / ${fmt(m.fill.datapointsPerS, 0)}`,
      `${fmt(t, 2)}x`,
      '',
      `${fmt(m.fill.serverCpuUsPerDatapoint! / b.fill.serverCpuUsPerDatapoint!, 1)}x`,
      '',
    ]);
  }
  for (const q of queries) {
    const bq = b.queries.get(q.name);
    const mq = m.queries.get(q.name);
    if (!bq || !mq) continue;
    const usable = bq.calls > 0 && mq.calls > 0 && mq.errors === 0 && bq.errors === 0;
    const same = bq.datapoints !== undefined && bq.datapoints === mq.datapoints && Math.abs((bq.valueSum ?? 0) - (mq.valueSum ?? 0)) <= 1e-6 * Math.abs(bq.valueSum ?? 1);
    rows.push([
      `${q.name}: p50 / p99 ms`,
      usable ? `${fmt(bq.p50Ms, 1)} / ${fmt(mq.p50Ms, 1)}; ${fmt(bq.p99Ms, 1)} / ${fmt(mq.p99Ms, 1)}` : `${fmt(bq.p50Ms, 1)} / ${ref} failed`,
      usable ? `${fmt(bq.p50Ms / mq.p50Ms, 3)}; ${fmt(bq.p99Ms / mq.p99Ms, 3)}` : '-',
      usable ? `${fmt(mq.p50Ms / bq.p50Ms, 1)}x` : '-',
      usable && bq.serverCpuMsPerCall && mq.serverCpuMsPerCall ? `${fmt(mq.serverCpuMsPerCall / bq.serverCpuMsPerCall, 1)}x` : '-',
      same ? 'same datapoints and values' : `DIFFER: ${base} ${bq.datapoints ?? 'error'} datapoints, ${ref} ${mq.datapoints ?? 'error'}`,
    ]);
  }
  return table(['measure', `${base} / ${ref}`, `ratio ${base}/${ref}`, `p50 ${ref}/${base} (times faster)`, `server CPU ${ref}/${base}`, 'answers'], rows, 1);
}
