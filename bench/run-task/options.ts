/**
 * Options of the run-task benchmark in two stages: {@link RunTaskBenchOptions} (flags or
 * environment, all optional) -> {@link compileRunTaskBenchOptions} -> {@link ResolvedRunTaskBenchOptions}.
 */
import { checkPositive, forEachFlag, numberOrUndefined } from '../shared/options.js';

/** The drivers the benchmark knows. */
export type DriverName = 'process' | 'oci';
const DRIVERS: readonly DriverName[] = ['process', 'oci'];

/** What a user may set; every member has a documented default. */
export interface RunTaskBenchOptions {
  /** How many tasks each round starts (`--counts 1,10,100`, `BENCH_COUNTS`; default 1,10,100). */
  counts?: number[];
  /** Leave out counts above 10 (`--skip-100`, `BENCH_SKIP_100=1`; default off). */
  skip100?: boolean;
  /** Which drivers (`--drivers process,oci`, `BENCH_DRIVERS`; default both, oci skipped with a reason where it cannot run). */
  drivers?: DriverName[];
  /** How often DescribeTasks is polled, in milliseconds (`--poll-ms`, `BENCH_POLL_MS`; default 50). */
  pollMs?: number;
  /** Limit for all tasks of one round to reach RUNNING, or STOPPED, in seconds (`--phase-timeout`, `BENCH_PHASE_TIMEOUT`; default 60). */
  phaseTimeoutS?: number;
  /** Hard limit on the whole run in seconds; everything is stopped after it (`--timeout`, `BENCH_TIMEOUT`; default 170). */
  timeoutS?: number;
}

/** Options with every default applied. */
export interface ResolvedRunTaskBenchOptions {
  counts: number[];
  drivers: DriverName[];
  pollMs: number;
  phaseTimeoutS: number;
  timeoutS: number;
}

/** `--help` text. */
export const USAGE = `npm run bench:run-task -- [options]

Tasks started per second and time from RunTask to RUNNING on a real Berth, per driver and
task count, against bare child_process.spawn (process driver) and bare runc run --detach (oci
driver) of the same command, in one run.

  --counts A,B,C    tasks per round                                  (BENCH_COUNTS, 1,10,100)
  --skip-100        leave out counts above 10 (a quick run)           (BENCH_SKIP_100=1)
  --drivers D       process,oci | process | oci                      (BENCH_DRIVERS, process,oci)
  --poll-ms MS      DescribeTasks polling interval                   (BENCH_POLL_MS, 50)
  --phase-timeout S limit for a round's tasks to be RUNNING/STOPPED  (BENCH_PHASE_TIMEOUT, 60)
  --timeout S       hard limit for the whole run                     (BENCH_TIMEOUT, 170)
`;

/** Applies defaults and checks ranges, with a message naming the bad option. */
export function compileRunTaskBenchOptions(o: RunTaskBenchOptions): ResolvedRunTaskBenchOptions {
  const counts = o.counts ?? [1, 10, 100];
  if (counts.length === 0) throw new Error('--counts must list at least one count');
  for (const n of counts) checkPositive('--counts', n, true);
  const drivers = o.drivers ?? [...DRIVERS];
  if (drivers.length === 0 || drivers.some((d) => !DRIVERS.includes(d))) throw new Error(`--drivers must list process and/or oci; got ${drivers.join(',')}`);
  checkPositive('--poll-ms', o.pollMs, false);
  checkPositive('--phase-timeout', o.phaseTimeoutS, false);
  checkPositive('--timeout', o.timeoutS, false);
  return {
    counts: o.skip100 ? counts.filter((n) => n <= 10) : counts,
    drivers,
    pollMs: o.pollMs ?? 50,
    phaseTimeoutS: o.phaseTimeoutS ?? 60,
    timeoutS: o.timeoutS ?? 170,
  };
}

/** Reads flags (which win) and BENCH_* environment variables. Returns undefined for --help. */
export function parseRunTaskBenchArgs(argv: string[], env: NodeJS.ProcessEnv): RunTaskBenchOptions | undefined {
  const num = numberOrUndefined;
  const list = (s: string | undefined) => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
  const o: RunTaskBenchOptions = {
    counts: list(env.BENCH_COUNTS)?.map(Number),
    skip100: env.BENCH_SKIP_100 === '1' || undefined,
    drivers: list(env.BENCH_DRIVERS) as DriverName[] | undefined,
    pollMs: num(env.BENCH_POLL_MS),
    phaseTimeoutS: num(env.BENCH_PHASE_TIMEOUT),
    timeoutS: num(env.BENCH_TIMEOUT),
  };
  const known = forEachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--counts': o.counts = list(value())?.map(Number); break;
      case '--skip-100': o.skip100 = true; break;
      case '--drivers': o.drivers = list(value()) as DriverName[] | undefined; break;
      case '--poll-ms': o.pollMs = num(value()); break;
      case '--phase-timeout': o.phaseTimeoutS = num(value()); break;
      case '--timeout': o.timeoutS = num(value()); break;
      default:
        return false;
    }
    return true;
  });
  return known ? o : undefined;
}
