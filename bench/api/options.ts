/**
 * Options of the API benchmark in two stages: {@link BenchOptions} (flags or environment, all
 * optional) -> {@link compileBenchOptions} -> fully-resolved {@link ResolvedBenchOptions}.
 */
import { checkPositive, forEachFlag, numberOrUndefined } from '../shared/options.js';

/** What a user may set; every member has a documented default. */
export interface BenchOptions {
  /** Measured seconds per operation and target (`--duration`, `BENCH_DURATION`; default 4). */
  durationS?: number;
  /** Calls per operation and target instead of a duration (`--calls`, `BENCH_CALLS`; default unset). */
  calls?: number;
  /** Warm-up seconds before each measured phase, not recorded (`--warmup`, `BENCH_WARMUP`; default 1). */
  warmupS?: number;
  /** Calls in flight at once (`--concurrency`, `BENCH_CONCURRENCY`; default 16). */
  concurrency?: number;
  /** Load-generating threads, each with its own client; the calls in flight are split between them (`--threads`, `BENCH_THREADS`; default 1). */
  threads?: number;
  /** Revisions of the family that ListTaskDefinitions and DescribeTaskDefinition read (`--revisions`, `BENCH_REVISIONS`; default 300). */
  revisions?: number;
  /** `task-definitions` (default) or `clusters` (a smoke workload) (`--workload`, `BENCH_WORKLOAD`). */
  workload?: 'task-definitions' | 'clusters';
  /** Which targets to run (`--targets berth,moto`, `BENCH_TARGETS`; default both). */
  targets?: ('berth' | 'moto')[];
  /** Also measure the write operation on Berth with BERTH_SYNC=NORMAL (`--no-normal` turns off; default on). */
  normalRun?: boolean;
  /** Write a V8 CPU profile of each Berth process into this directory (`--cpu-prof DIR`, `BENCH_CPU_PROF`). */
  cpuProfDir?: string;
  /** Only these operations, by AWS name (`--ops A,B`, `BENCH_OPS`; default all three). */
  ops?: string[];
  /** Hard limit on the whole run in seconds; everything is killed after it (`--timeout`, `BENCH_TIMEOUT`; default 300). */
  timeoutS?: number;
}

/** Options with every default applied. */
export interface ResolvedBenchOptions {
  durationS: number;
  calls: number | undefined;
  warmupS: number;
  concurrency: number;
  threads: number;
  revisions: number;
  workload: 'task-definitions' | 'clusters';
  targets: ('berth' | 'moto')[];
  normalRun: boolean;
  cpuProfDir: string | undefined;
  ops: string[] | undefined;
  timeoutS: number;
}

/** The usage text printed by `--help`. */
export const USAGE = `Usage: npm run bench:api -- [options]

Throughput and p50/p99 latency of RegisterTaskDefinition, DescribeTaskDefinition and
ListTaskDefinitions through @aws-sdk/client-ecs, Berth against moto_server, in one run.

  --duration S      measured seconds per operation and target     (BENCH_DURATION, 4)
  --calls N         a fixed number of calls instead of a duration  (BENCH_CALLS)
  --warmup S        warm-up seconds before each measurement        (BENCH_WARMUP, 1)
  --concurrency N   calls in flight                                (BENCH_CONCURRENCY, 16)
  --threads N       load threads (each its own client), calls split   (BENCH_THREADS, 1)
  --revisions N     revisions in the listed/described family       (BENCH_REVISIONS, 300)
  --workload W      task-definitions | clusters                    (BENCH_WORKLOAD, task-definitions)
  --targets T       berth,moto | berth | moto                      (BENCH_TARGETS, berth,moto)
  --no-normal       skip the extra RegisterTaskDefinition run with BERTH_SYNC=NORMAL
  --ops A,B         only these operations (e.g. RegisterTaskDefinition)  (BENCH_OPS)
  --cpu-prof DIR    write a V8 CPU profile of each Berth process to DIR  (BENCH_CPU_PROF)
  --timeout S       hard limit for the whole run                   (BENCH_TIMEOUT, 300)
`;

/** Applies defaults and checks ranges, with a message naming the bad option. */
export function compileBenchOptions(o: BenchOptions): ResolvedBenchOptions {
  checkPositive('--duration', o.durationS, false);
  checkPositive('--calls', o.calls, true);
  checkPositive('--concurrency', o.concurrency, true);
  checkPositive('--revisions', o.revisions, true);
  checkPositive('--threads', o.threads, true);
  if ((o.threads ?? 1) > (o.concurrency ?? 16)) throw new Error(`--threads (${o.threads ?? 1}) must not exceed --concurrency (${o.concurrency ?? 16})`);
  checkPositive('--timeout', o.timeoutS, false);
  if (o.warmupS !== undefined && !(o.warmupS >= 0)) throw new Error(`--warmup must be 0 or more seconds; got ${o.warmupS}`);
  if (o.workload !== undefined && o.workload !== 'task-definitions' && o.workload !== 'clusters') {
    throw new Error(`--workload must be task-definitions or clusters; got ${o.workload}`);
  }
  const targets = o.targets ?? ['berth', 'moto'];
  if (targets.length === 0 || targets.some((t) => t !== 'berth' && t !== 'moto')) {
    throw new Error(`--targets must list berth and/or moto; got ${targets.join(',')}`);
  }
  return {
    durationS: o.durationS ?? 4,
    calls: o.calls,
    warmupS: o.warmupS ?? 1,
    concurrency: o.concurrency ?? 16,
    threads: o.threads ?? 1,
    revisions: o.revisions ?? 300,
    workload: o.workload ?? 'task-definitions',
    targets,
    normalRun: o.normalRun ?? true,
    cpuProfDir: o.cpuProfDir,
    ops: o.ops,
    timeoutS: o.timeoutS ?? 300,
  };
}

/** Reads flags (which win) and BENCH_* environment variables. Returns undefined for --help. */
export function parseBenchArgs(argv: string[], env: NodeJS.ProcessEnv): BenchOptions | undefined {
  const num = numberOrUndefined;
  const list = (s: string | undefined) => (s ? (s.split(',').map((x) => x.trim()).filter(Boolean) as ('berth' | 'moto')[]) : undefined);
  const o: BenchOptions = {
    durationS: num(env.BENCH_DURATION),
    calls: num(env.BENCH_CALLS),
    warmupS: num(env.BENCH_WARMUP),
    concurrency: num(env.BENCH_CONCURRENCY),
    threads: num(env.BENCH_THREADS),
    revisions: num(env.BENCH_REVISIONS),
    workload: (env.BENCH_WORKLOAD || undefined) as BenchOptions['workload'],
    targets: list(env.BENCH_TARGETS),
    cpuProfDir: env.BENCH_CPU_PROF || undefined,
    ops: env.BENCH_OPS ? env.BENCH_OPS.split(',').map((x) => x.trim()).filter(Boolean) : undefined,
    timeoutS: num(env.BENCH_TIMEOUT),
  };
  const known = forEachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--duration': o.durationS = num(value()); break;
      case '--calls': o.calls = num(value()); break;
      case '--warmup': o.warmupS = num(value()); break;
      case '--concurrency': o.concurrency = num(value()); break;
      case '--threads': o.threads = num(value()); break;
      case '--revisions': o.revisions = num(value()); break;
      case '--workload': o.workload = value() as BenchOptions['workload']; break;
      case '--targets': o.targets = list(value()); break;
      case '--no-normal': o.normalRun = false; break;
      case '--ops': o.ops = value().split(',').map((x) => x.trim()).filter(Boolean); break;
      case '--cpu-prof': o.cpuProfDir = value(); break;
      case '--timeout': o.timeoutS = num(value()); break;
      default:
        return false;
    }
    return true;
  });
  if (!known) return undefined;
  return o;
}
