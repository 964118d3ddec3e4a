/** Options of `npm run bench:metrics`: flags (which win) or BENCH_* environment variables, defaults and range checks. */
import { checkPositive, forEachFlag, numberOrUndefined } from '../shared/options.js';

/** The wire protocols the bench can put both targets on. */
export type Protocol = 'json' | 'query' | 'cbor';
export type TargetName = 'berth' | 'moto';

/** Options as given (undefined = default). */
export interface MetricsBenchOptions {
  series?: number;
  hours?: number;
  full?: boolean;
  batch?: number;
  concurrency?: number;
  repeat?: number;
  queryBudgetS?: number;
  callTimeoutS?: number;
  protocol?: Protocol;
  targets?: TargetName[];
  queries?: string[];
  cpuProfDir?: string;
  timeoutS?: number;
  sync?: 'FULL' | 'NORMAL';
}

/** Options with every default applied. */
export interface ResolvedMetricsOptions {
  series: number;
  /** Seconds of 1-second data per series (hours x 3600, whole minutes). */
  spanS: number;
  batch: number;
  concurrency: number;
  repeat: number;
  queryBudgetS: number;
  callTimeoutS: number;
  protocol: Protocol;
  targets: TargetName[];
  queries: string[] | undefined;
  cpuProfDir: string | undefined;
  timeoutS: number;
  /** Berth's BERTH_SYNC: FULL (the default, an fsync per commit) or NORMAL. */
  sync: 'FULL' | 'NORMAL';
}

/** The defaults, and the full size of issue 7 (`--full`). */
export const DEFAULTS = { series: 100, hours: 0.25, batch: 1000, concurrency: 4, repeat: 10, queryBudgetS: 8, callTimeoutS: 60, timeoutS: 300 };
export const FULL = { series: 100, hours: 24, timeoutS: 1800 };
/** PutMetricData's limit on datums per call (MetricData and EntityMetricData together). */
export const MAX_DATUMS_PER_CALL = 1000;

export const USAGE = `Usage: npm run bench:metrics -- [options]

PutMetricData throughput (1-second datapoints, StorageResolution 1) and GetMetricData latency
through @aws-sdk/client-cloudwatch, Berth (default durability) against moto_server, in one run.

  --series N        series (namespace Bench, metric Latency, dimension Series=0..N-1)  (BENCH_SERIES, ${DEFAULTS.series})
  --hours H         hours of 1-second data per series, ending at the last full hour     (BENCH_HOURS, ${DEFAULTS.hours})
                    (whole minutes; 0.25 = 15 minutes)
  --full            issue 7's size: --series ${FULL.series} --hours ${FULL.hours} (8.64 M datapoints), --timeout ${FULL.timeoutS}
                    (moto cannot take it in bounded time: add --targets berth)
  --batch N         datums per PutMetricData call, at most ${MAX_DATUMS_PER_CALL}              (BENCH_BATCH, ${DEFAULTS.batch})
  --concurrency N   PutMetricData calls in flight during the fill                     (BENCH_CONCURRENCY, ${DEFAULTS.concurrency})
  --repeat N        measured GetMetricData calls per query (after one warm-up call)     (BENCH_REPEAT, ${DEFAULTS.repeat})
  --query-budget S  stop repeating a query after S seconds (at least one measured call)  (BENCH_QUERY_BUDGET, ${DEFAULTS.queryBudgetS})
  --call-timeout S  a call not answered in S seconds counts as an error                 (BENCH_CALL_TIMEOUT, ${DEFAULTS.callTimeoutS})
  --protocol P      json (the SDK's default here: awsJson1_0) | query (awsQuery); both
                    targets speak them. cbor (rpcv2Cbor) only with --targets berth      (BENCH_PROTOCOL, json)
  --targets T       berth,moto | berth | moto                                          (BENCH_TARGETS, berth,moto)
  --queries A,B     only these queries (day-avg-60, day-p99-300, all-series-3600,
                    hour-1s, math-2)                                                   (BENCH_QUERIES)
  --sync S          Berth's durability: FULL (an fsync per commit, the default) | NORMAL  (BENCH_SYNC, FULL)
  --cpu-prof DIR    write a V8 CPU profile of the Berth process to DIR                  (BENCH_CPU_PROF)
  --timeout S       hard limit for the whole run                                       (BENCH_TIMEOUT, ${DEFAULTS.timeoutS})
`;

/** Applies defaults and checks ranges, with a message naming the bad option. */
export function compileMetricsOptions(o: MetricsBenchOptions): ResolvedMetricsOptions {
  checkPositive('--series', o.series, true);
  checkPositive('--hours', o.hours, false);
  checkPositive('--batch', o.batch, true);
  checkPositive('--concurrency', o.concurrency, true);
  checkPositive('--repeat', o.repeat, true);
  checkPositive('--query-budget', o.queryBudgetS, false);
  checkPositive('--call-timeout', o.callTimeoutS, false);
  checkPositive('--timeout', o.timeoutS, false);
  const series = o.series ?? (o.full ? FULL.series : DEFAULTS.series);
  const hours = o.hours ?? (o.full ? FULL.hours : DEFAULTS.hours);
  const minutes = hours * 60;
  if (Math.abs(minutes - Math.round(minutes)) > 1e-9) throw new Error(`--hours must be whole minutes (e.g. 0.25 or 1.5); got ${hours}`);
  // Berth refuses datapoints more than two weeks old, as CloudWatch does.
  if (hours > 14 * 24 - 1) throw new Error(`--hours must be under two weeks (CloudWatch's limit on past timestamps); got ${hours}`);
  const batch = o.batch ?? DEFAULTS.batch;
  if (batch > MAX_DATUMS_PER_CALL) throw new Error(`--batch must be at most ${MAX_DATUMS_PER_CALL} (PutMetricData's limit); got ${batch}`);
  const protocol = o.protocol ?? 'json';
  if (!['json', 'query', 'cbor'].includes(protocol)) throw new Error(`--protocol must be json, query or cbor; got ${protocol}`);
  const targets = o.targets ?? ['berth', 'moto'];
  if (targets.length === 0 || targets.some((t) => t !== 'berth' && t !== 'moto')) throw new Error(`--targets must list berth and/or moto; got ${targets.join(',')}`);
  const sync = (o.sync ?? 'FULL').toUpperCase();
  if (sync !== 'FULL' && sync !== 'NORMAL') throw new Error(`--sync must be FULL or NORMAL; got ${o.sync}`);
  if (protocol === 'cbor' && targets.includes('moto')) throw new Error('--protocol cbor: moto_server does not speak rpcv2Cbor; add --targets berth (the comparison needs the same wire on both)');
  return {
    series,
    spanS: Math.round(minutes) * 60,
    batch,
    concurrency: o.concurrency ?? DEFAULTS.concurrency,
    repeat: o.repeat ?? DEFAULTS.repeat,
    queryBudgetS: o.queryBudgetS ?? DEFAULTS.queryBudgetS,
    callTimeoutS: o.callTimeoutS ?? DEFAULTS.callTimeoutS,
    protocol,
    targets,
    queries: o.queries,
    cpuProfDir: o.cpuProfDir,
    timeoutS: o.timeoutS ?? (o.full ? FULL.timeoutS : DEFAULTS.timeoutS),
    sync: sync as 'FULL' | 'NORMAL',
  };
}

/** Reads flags (which win) and BENCH_* environment variables. Returns undefined for --help. */
export function parseMetricsArgs(argv: string[], env: NodeJS.ProcessEnv): MetricsBenchOptions | undefined {
  const num = numberOrUndefined;
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
  const o: MetricsBenchOptions = {
    series: num(env.BENCH_SERIES),
    hours: num(env.BENCH_HOURS),
    batch: num(env.BENCH_BATCH),
    concurrency: num(env.BENCH_CONCURRENCY),
    repeat: num(env.BENCH_REPEAT),
    queryBudgetS: num(env.BENCH_QUERY_BUDGET),
    callTimeoutS: num(env.BENCH_CALL_TIMEOUT),
    protocol: (env.BENCH_PROTOCOL || undefined) as Protocol | undefined,
    targets: list(env.BENCH_TARGETS) as TargetName[] | undefined,
    queries: list(env.BENCH_QUERIES),
    cpuProfDir: env.BENCH_CPU_PROF || undefined,
    timeoutS: num(env.BENCH_TIMEOUT),
    sync: (env.BENCH_SYNC || undefined) as MetricsBenchOptions['sync'],
  };
  const known = forEachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--series': o.series = num(value()); break;
      case '--hours': o.hours = num(value()); break;
      case '--full': o.full = true; break;
      case '--batch': o.batch = num(value()); break;
      case '--concurrency': o.concurrency = num(value()); break;
      case '--repeat': o.repeat = num(value()); break;
      case '--query-budget': o.queryBudgetS = num(value()); break;
      case '--call-timeout': o.callTimeoutS = num(value()); break;
      case '--protocol': o.protocol = value() as Protocol; break;
      case '--targets': o.targets = list(value()) as TargetName[]; break;
      case '--queries': o.queries = list(value()); break;
      case '--cpu-prof': o.cpuProfDir = value(); break;
      case '--timeout': o.timeoutS = num(value()); break;
      case '--sync': o.sync = value() as MetricsBenchOptions['sync']; break;
      default:
        return false;
    }
    return true;
  });
  return known ? o : undefined;
}
