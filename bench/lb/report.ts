/** The load balancer benchmark's printed tables: figures per target, the ratios, and issue 5's bar. */
import { fmt, table } from '../shared/table.js';
import type { TargetName } from './options.js';
import type { WrkResult } from './wrk.js';

/** Issue 5's bar: Berth's load balancer at least this fraction of nginx's throughput (worker_processes 1). */
export const BAR = 0.4;

/** One target measured. */
export interface Row {
  target: TargetName;
  label: string;
  result: WrkResult;
  /** CPU of the proxy (nginx master and workers, or the Berth process) during the measurement, in cores. */
  proxyCores?: number;
  /** CPU of the backend (all its processes), in cores. */
  backendCores?: number;
}

const errors = (r: WrkResult) => r.non2xx + r.socketErrors;

/** Formats the figures, the ratios of Berth against each other target, and whether the bar is met. */
export function formatReport(rows: Row[]): { text: string; met: boolean | undefined } {
  const figures = table(
    ['target', 'what', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'socket errors', 'proxy cores', 'proxy CPU µs/req', 'backend cores'],
    rows.map((r) => [
      r.target,
      r.label,
      String(r.result.requests),
      fmt(r.result.rps, 0),
      fmt(r.result.p50Ms, 2),
      fmt(r.result.p90Ms, 2),
      fmt(r.result.p99Ms, 2),
      fmt(r.result.maxMs, 1),
      String(r.result.non2xx),
      String(r.result.socketErrors),
      fmt(r.proxyCores, 2),
      r.proxyCores === undefined || r.result.rps === 0 ? '-' : fmt((r.proxyCores * 1e6) / r.result.rps, 1),
      fmt(r.backendCores, 2),
    ]),
  );
  const berth = rows.find((r) => r.target === 'berth');
  let met: boolean | undefined;
  const ratios: string[][] = [];
  if (berth) {
    for (const ref of rows.filter((r) => r.target !== 'berth')) {
      const ratio = berth.result.rps / ref.result.rps;
      const bar = ref.target === 'nginx';
      const ok = ratio >= BAR && errors(berth.result) === 0 && errors(ref.result) === 0;
      if (bar) met = ok;
      ratios.push([
        `berth / ${ref.target}`,
        `${fmt(berth.result.rps, 0)} / ${fmt(ref.result.rps, 0)}`,
        `${fmt(ratio, 2)}x`,
        `${fmt(berth.result.p50Ms / ref.result.p50Ms, 2)}x`,
        `${fmt(berth.result.p99Ms / ref.result.p99Ms, 2)}x`,
        bar ? (ok ? 'yes' : 'NO') : '',
      ]);
    }
  }
  const ratioTable = ratios.length
    ? table(['ratio', 'req/s', 'throughput', 'p50 (higher is slower)', 'p99 (higher is slower)', `bar >= ${BAR}x nginx (1 worker)`], ratios, 1)
    : '';
  return { text: ratioTable ? `${figures}\n\n${ratioTable}` : figures, met };
}
