/** The load balancer benchmark's printed tables: figures per target, the ratios, and issue 5's bar. */
import { fmt, table } from '../shared/table.js';
import type { TargetName } from './options.js';
import type { WrkResult } from './wrk.js';

/** Issue 5's bar: Berth's load balancer at least this fraction of nginx's throughput, at the same worker count. */
export const BAR = 0.4;

/** One target measured. */
export interface Row {
  target: TargetName;
  label: string;
  result: WrkResult;
  /** CPU of the proxy (nginx master and workers, or the Berth process) during the measurement, in cores. */
  proxy?: { user: number; sys: number };
  /** CPU of the backend (all its processes), in cores. */
  backend?: { user: number; sys: number };
}

/** CPU microseconds per request from cores used. */
const perReq = (cores: number, r: Row) => (cores * 1e6) / r.result.rps;
const errors = (r: WrkResult) => r.non2xx + r.socketErrors;

/**
 * Formats the figures, the ratios of Berth against each other target, and whether the bar is met:
 * `met` for Berth in its event loop against nginx worker_processes 1, `metN` for Berth with N
 * load balancer workers against nginx worker_processes N (--lb-workers N).
 */
/** The bar at one worker count: Berth's throughput over nginx's, and whether it is met (errors fail it). */
export interface BarResult {
  ratio: number;
  met: boolean;
}

export function formatReport(rows: Row[], lbWorkers = 0): { text: string; met: BarResult | undefined; metN: BarResult | undefined } {
  const figures = table(
    ['target', 'what', 'requests', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'sock err', 'proxy cores', 'proxy µs/req user+sys', 'backend cores'],
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
      r.proxy ? fmt(r.proxy.user + r.proxy.sys, 2) : '-',
      r.proxy && r.result.rps > 0 ? `${fmt(perReq(r.proxy.user + r.proxy.sys, r), 1)} = ${fmt(perReq(r.proxy.user, r), 1)}+${fmt(perReq(r.proxy.sys, r), 1)}` : '-',
      r.backend ? fmt(r.backend.user + r.backend.sys, 2) : '-',
    ]),
  );
  let met: BarResult | undefined;
  let metN: BarResult | undefined;
  const ratios: string[][] = [];
  for (const [name, barRef] of [['berth', 'nginx'], ['berth-n', 'nginx-n']] as const) {
    const berth = rows.find((r) => r.target === name);
    if (!berth) continue;
    const refs = name === 'berth' ? rows.filter((r) => r.target !== 'berth' && r.target !== 'berth-n') : rows.filter((r) => r.target === 'nginx-n' || r.target === 'nginx' || r.target === 'berth');
    for (const ref of refs) {
      const ratio = berth.result.rps / ref.result.rps;
      const bar = ref.target === barRef;
      const ok = ratio >= BAR && errors(berth.result) === 0 && errors(ref.result) === 0;
      if (bar && name === 'berth') met = { ratio, met: ok };
      if (bar && name === 'berth-n') metN = { ratio, met: ok };
      ratios.push([
        `${name} / ${ref.target}`,
        `${fmt(berth.result.rps, 0)} / ${fmt(ref.result.rps, 0)}`,
        `${fmt(ratio, 2)}x`,
        `${fmt(berth.result.p50Ms / ref.result.p50Ms, 2)}x`,
        `${fmt(berth.result.p99Ms / ref.result.p99Ms, 2)}x`,
        bar ? (ok ? 'yes' : 'NO') : '',
      ]);
    }
  }
  const ratioTable = ratios.length
    ? table(['ratio', 'req/s', 'throughput', 'p50 (higher is slower)', 'p99 (higher is slower)', `bar >= ${BAR}x nginx, same worker count${lbWorkers ? ` (1; n = ${lbWorkers})` : ''}`], ratios, 1)
    : '';
  return { text: ratioTable ? `${figures}\n\n${ratioTable}` : figures, met, metN };
}
