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

/** The bar at one worker count: Berth's throughput over nginx's, and whether it is met (errors fail it). */
export interface BarResult {
  ratio: number;
  met: boolean;
}

/**
 * Formats the figures, the ratios of Berth against the other targets, and whether the bar is met:
 * `met` for BERTH_LB_WORKERS=1 against nginx worker_processes 1, `metN` for N workers each
 * (--lb-workers N); `inLoop` is Berth's default (load balancer in its own event loop) over nginx.
 */
export function formatReport(rows: Row[], lbWorkers = 0): { text: string; met: BarResult | undefined; metN: BarResult | undefined; inLoop: number | undefined } {
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
  let inLoop: number | undefined;
  const ratios: string[][] = [];
  // Each Berth row over what it is read against; the two bar rows compare the same worker count.
  const pairs: [TargetName, TargetName, ('1' | 'n')?][] = [
    ['berth', 'direct'],
    ['berth', 'nginx'],
    ['berth', 'nginx-auto'],
    ['berth', 'node-proxy'],
    ['berth-1', 'nginx', '1'],
    ['berth-1', 'berth'],
    ['berth-1', 'node-proxy'],
    ['berth-n', 'nginx-n', 'n'],
    ['berth-n', 'nginx'],
    ['berth-n', 'berth-1'],
  ];
  for (const [name, refName, bar] of pairs) {
    const berth = rows.find((r) => r.target === name);
    const ref = rows.find((r) => r.target === refName);
    if (!berth || !ref) continue;
    const ratio = berth.result.rps / ref.result.rps;
    const ok = ratio >= BAR && errors(berth.result) === 0 && errors(ref.result) === 0;
    if (bar === '1') met = { ratio, met: ok };
    if (bar === 'n') metN = { ratio, met: ok };
    if (name === 'berth' && refName === 'nginx') inLoop = ratio;
    ratios.push([
      `${name} / ${ref.target}`,
      `${fmt(berth.result.rps, 0)} / ${fmt(ref.result.rps, 0)}`,
      `${fmt(ratio, 2)}x`,
      `${fmt(berth.result.p50Ms / ref.result.p50Ms, 2)}x`,
      `${fmt(berth.result.p99Ms / ref.result.p99Ms, 2)}x`,
      bar ? (ok ? 'yes' : 'NO') : '',
    ]);
  }
  const ratioTable = ratios.length
    ? table(['ratio', 'req/s', 'throughput', 'p50 (higher is slower)', 'p99 (higher is slower)', `bar >= ${BAR}x nginx, same worker count${lbWorkers > 1 ? ` (1; n = ${lbWorkers})` : ' (1)'}`], ratios, 1)
    : '';
  return { text: ratioTable ? `${figures}\n\n${ratioTable}` : figures, met, metN, inLoop };
}
