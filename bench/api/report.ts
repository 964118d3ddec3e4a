/** The benchmark's printed table: figures per operation and target, ratio Berth/moto, and the bar. */
import type { PhaseResult } from './load.js';
import { fmt, table } from '../shared/table.js';

/** The bar from issue 2: Berth at least this many times moto's throughput on each operation. */
export const BAR = 5;

/** One measured phase, labelled. */
export interface Row {
  operation: string;
  target: string;
  result: PhaseResult;
}

/** Formats every phase, then the ratio per operation against moto and whether the bar is met. */
export function formatReport(rows: Row[], operations: string[], baseline = 'berth', reference = 'moto'): { text: string; met: boolean | undefined } {
  const figures = table(
    ['operation', 'target', 'calls', 'errors', 'calls/s', 'p50 ms', 'p99 ms', 'server CPU µs/call', 'server cores', 'client cores'],
    rows.map((r) => [
      r.operation,
      r.target,
      String(r.result.calls),
      String(r.result.errors),
      fmt(r.result.throughput, 0),
      fmt(r.result.p50Ms, 2),
      fmt(r.result.p99Ms, 2),
      fmt(r.result.serverCpuUsPerCall, 0),
      fmt(r.result.serverCores, 2),
      fmt(r.result.clientCores, 2),
    ]),
  );
  const ratios: string[][] = [];
  let met: boolean | undefined;
  for (const op of operations) {
    const b = rows.find((r) => r.operation === op && r.target === baseline);
    const m = rows.find((r) => r.operation === op && r.target === reference);
    if (!b || !m) continue;
    const ratio = b.result.throughput / m.result.throughput;
    const ok = ratio >= BAR && b.result.errors === 0 && m.result.errors === 0;
    met = (met ?? true) && ok;
    const cpu = m.result.serverCpuUsPerCall !== undefined && b.result.serverCpuUsPerCall ? m.result.serverCpuUsPerCall / b.result.serverCpuUsPerCall : NaN;
    ratios.push([
      op,
      `${fmt(b.result.throughput, 0)} / ${fmt(m.result.throughput, 0)}`,
      `${fmt(ratio, 2)}x`,
      `${fmt(m.result.p50Ms / b.result.p50Ms, 2)}x`,
      `${fmt(m.result.p99Ms / b.result.p99Ms, 2)}x`,
      `${fmt(cpu, 1)}x`,
      ok ? 'yes' : 'NO',
    ]);
  }
  const ratioTable = ratios.length
    ? table(['operation', `calls/s ${baseline} / ${reference}`, `throughput ${baseline}/${reference}`, `p50 ${reference}/${baseline}`, `p99 ${reference}/${baseline}`, `server CPU/call ${reference}/${baseline}`, `throughput >= ${BAR}x`], ratios)
    : '';
  return { text: ratioTable ? `${figures}\n\n${ratioTable}` : figures, met };
}
