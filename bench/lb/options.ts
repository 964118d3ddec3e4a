/**
 * Options of the load balancer benchmark in two stages: {@link LbBenchOptions} (flags or
 * environment, all optional) -> {@link compileLbBenchOptions} -> {@link ResolvedLbBenchOptions}.
 */
import os from 'node:os';
import { checkPositive, forEachFlag, numberOrUndefined } from '../shared/options.js';

/** The targets wrk is pointed at, in the order they run. */
export const ALL_TARGETS = ['direct', 'nginx', 'nginx-auto', 'node-proxy', 'berth', 'berth-1', 'nginx-n', 'berth-n'] as const;
/** The targets that run only with --lb-workers N: nginx with worker_processes N, Berth with N load balancer workers. */
export const WORKER_TARGETS: readonly TargetName[] = ['nginx-n', 'berth-n'];
export type TargetName = (typeof ALL_TARGETS)[number];

/** What a user may set; every member has a documented default. */
export interface LbBenchOptions {
  /** Measured seconds per target and round (`--duration`, `BENCH_DURATION`; default 5). */
  durationS?: number;
  /** Rounds: every target is measured once per round, in turn (`--rounds`, `BENCH_ROUNDS`; default 3). */
  rounds?: number;
  /** Unrecorded wrk run before each measurement, seconds (`--warmup`, `BENCH_WARMUP`; default 2). */
  warmupS?: number;
  /** wrk connections (`--connections`, `BENCH_CONNECTIONS`; default 32). */
  connections?: number;
  /** wrk threads (`--threads`, `BENCH_THREADS`; default 2). */
  threads?: number;
  /** Backend worker processes (`--backend-workers`, `BENCH_BACKEND_WORKERS`; default 1). */
  backendWorkers?: number;
  /** Which targets to measure (`--targets a,b`, `BENCH_TARGETS`; default all). */
  targets?: string[];
  /** Hard limit on the whole run, seconds (`--timeout`, `BENCH_TIMEOUT`; default 240). */
  timeoutS?: number;
  /** Write V8 CPU profiles of Berth and node-proxy into this directory (`--cpu-prof DIR`, `BENCH_CPU_PROF`). */
  cpuProfDir?: string;
  /**
   * Also measure nginx worker_processes N against Berth with BERTH_LB_WORKERS=N (`--lb-workers N`,
   * `BENCH_LB_WORKERS`; default `auto`: one per CPU, as nginx's worker_processes auto; 0: not).
   */
  lbWorkers?: number | 'auto';
}

/** Options with every default applied. */
export interface ResolvedLbBenchOptions {
  durationS: number;
  rounds: number;
  warmupS: number;
  connections: number;
  threads: number;
  backendWorkers: number;
  targets: TargetName[];
  timeoutS: number;
  cpuProfDir?: string;
  lbWorkers: number;
}

/** `--help` text. */
export const USAGE = `npm run bench:lb -- [options]

HTTP throughput and latency of Berth's Application Load Balancer (a path rule and a weighted
forward to two target groups) against nginx proxying to the same backend with upstream
keepalive, and against the backend itself: wrk, the same path, connections, threads and duration
on each target, one after the other in one run. Needs wrk and nginx on PATH
(apt-get install wrk nginx-light).

  --duration S          measured seconds per target and round         (BENCH_DURATION, 5)
  --rounds N            rounds; each measures every target in turn    (BENCH_ROUNDS, 3)
  --warmup S            unrecorded wrk run before each target         (BENCH_WARMUP, 2)
  --connections N       wrk connections (-c)                          (BENCH_CONNECTIONS, 32)
  --threads N           wrk threads (-t)                              (BENCH_THREADS, 2)
  --backend-workers N   backend processes sharing its ports           (BENCH_BACKEND_WORKERS, 1)
  --targets LIST        of ${ALL_TARGETS.join(',')}
                                                                      (BENCH_TARGETS, all but nginx-auto)
  --timeout S           hard limit for the whole run                  (BENCH_TIMEOUT, 300)
  --cpu-prof DIR        write V8 CPU profiles of Berth and node-proxy (BENCH_CPU_PROF)
  --lb-workers N|auto   also nginx worker_processes N (nginx-n) against Berth with
                        BERTH_LB_WORKERS=N (berth-n); auto: one per CPU, 0: not
                                                                      (BENCH_LB_WORKERS, auto)

Issue 5's bar, Berth >= 0.4x nginx's throughput at the same worker count, is judged at both
counts measured: nginx worker_processes 1 against BERTH_LB_WORKERS=1 (berth-1: one load balancer
worker process next to Berth's main one, as nginx has one worker next to its master), and
worker_processes N against BERTH_LB_WORKERS=N (berth-n; N = one per CPU by default, what
worker_processes auto gives). berth is Berth's default (its load balancer in Berth's own event
loop, with the API), for information; so is nginx-auto, on request. node-proxy (for information) is
the least a Node proxy on Berth's parts does (node:http + undici Pool, no rules, no headers added):
the gap between it and nginx is Node's, between Berth and it Berth's own work.
With --lb-workers N, Berth's load balancer serves requests in N worker processes (its API stays
in the main process) and is compared with nginx worker_processes N: the same worker count.
Every target is started first; then each round measures every target in turn, and the report
shows each target's median round (by req/s): drift in what else the host runs then touches all
targets alike instead of whichever ran during it.
A quick run: npm run bench:lb -- --duration 3 --warmup 1 --rounds 1
`;

/** Applies defaults and checks ranges, with a message naming the bad option. */
export function compileLbBenchOptions(o: LbBenchOptions): ResolvedLbBenchOptions {
  checkPositive('--duration', o.durationS, true);
  checkPositive('--rounds', o.rounds, true);
  checkPositive('--connections', o.connections, true);
  checkPositive('--threads', o.threads, true);
  checkPositive('--backend-workers', o.backendWorkers, true);
  checkPositive('--timeout', o.timeoutS, false);
  if (o.lbWorkers !== undefined && o.lbWorkers !== 'auto' && (!Number.isInteger(o.lbWorkers) || o.lbWorkers < 0 || o.lbWorkers > 64)) {
    throw new Error(`--lb-workers must be a whole number from 0 to 64, or auto; got ${o.lbWorkers}`);
  }
  // auto: one per CPU; on a 1-CPU host that is the 1-worker pair already measured, so none.
  const cpus = Math.min(64, os.availableParallelism());
  const lbWorkers = o.lbWorkers === undefined || o.lbWorkers === 'auto' ? (cpus > 1 ? cpus : 0) : o.lbWorkers;
  if (o.warmupS !== undefined && (!Number.isInteger(o.warmupS) || o.warmupS < 0)) {
    throw new Error(`--warmup must be a whole number of seconds, 0 or more; got ${o.warmupS}`);
  }
  const threads = o.threads ?? 2;
  const connections = o.connections ?? 32;
  if (connections < threads) throw new Error(`--connections (${connections}) must be at least --threads (${threads}): wrk gives each thread its share`);
  // By default the N pair runs only when N is not 1 (berth-1 and nginx are that pair).
  const targets = (o.targets ?? ALL_TARGETS.filter((t) => t !== 'nginx-auto' && (lbWorkers > 1 || !WORKER_TARGETS.includes(t)))).map((t) => t.trim()).filter((t) => t !== '');
  const unknown = targets.filter((t) => !(ALL_TARGETS as readonly string[]).includes(t));
  if (unknown.length) throw new Error(`--targets: unknown ${unknown.join(', ')} (known: ${ALL_TARGETS.join(', ')})`);
  if (targets.length === 0) throw new Error('--targets names no target');
  const needN = targets.filter((t) => (WORKER_TARGETS as readonly string[]).includes(t));
  if (needN.length && lbWorkers === 0) throw new Error(`--targets ${needN.join(', ')} need --lb-workers N (1 or more)`);
  return {
    durationS: o.durationS ?? 5,
    rounds: o.rounds ?? 3,
    warmupS: o.warmupS ?? 2,
    connections,
    threads,
    backendWorkers: o.backendWorkers ?? 1,
    targets: ALL_TARGETS.filter((t) => targets.includes(t)),
    timeoutS: o.timeoutS ?? 300,
    cpuProfDir: o.cpuProfDir || undefined,
    lbWorkers,
  };
}

/** Reads flags (which win) and BENCH_* environment variables. Returns undefined for --help. */
export function parseLbBenchArgs(argv: string[], env: NodeJS.ProcessEnv): LbBenchOptions | undefined {
  const num = numberOrUndefined;
  const list = (s: string | undefined) => (s === undefined || s === '' ? undefined : s.split(','));
  const workers = (s: string | undefined) => (s === 'auto' ? 'auto' : num(s));
  const o: LbBenchOptions = {
    durationS: num(env.BENCH_DURATION),
    rounds: num(env.BENCH_ROUNDS),
    warmupS: num(env.BENCH_WARMUP),
    connections: num(env.BENCH_CONNECTIONS),
    threads: num(env.BENCH_THREADS),
    backendWorkers: num(env.BENCH_BACKEND_WORKERS),
    targets: list(env.BENCH_TARGETS),
    timeoutS: num(env.BENCH_TIMEOUT),
    cpuProfDir: env.BENCH_CPU_PROF,
    lbWorkers: workers(env.BENCH_LB_WORKERS),
  };
  const known = forEachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--duration': o.durationS = num(value()); break;
      case '--rounds': o.rounds = num(value()); break;
      case '--warmup': o.warmupS = num(value()); break;
      case '--connections': o.connections = num(value()); break;
      case '--threads': o.threads = num(value()); break;
      case '--backend-workers': o.backendWorkers = num(value()); break;
      case '--targets': o.targets = list(value()) ?? []; break;
      case '--timeout': o.timeoutS = num(value()); break;
      case '--cpu-prof': o.cpuProfDir = value(); break;
      case '--lb-workers': o.lbWorkers = workers(value()); break;
      default:
        return false;
    }
    return true;
  });
  return known ? o : undefined;
}
