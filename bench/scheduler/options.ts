/**
 * Options of the scheduler benchmark in two stages: {@link SchedulerBenchOptions} (flags or
 * environment, all optional) -> {@link compileSchedulerBenchOptions} -> {@link ResolvedSchedulerBenchOptions}.
 */
import { checkPositive, forEachFlag, numberOrUndefined } from '../shared/options.js';

/** What a user may set; every member has a documented default. */
export interface SchedulerBenchOptions {
  /** Services created (`--services`, `BENCH_SERVICES`; default 100). */
  services?: number;
  /** desiredCount of each service (`--tasks`, `BENCH_TASKS`; default 10). */
  tasks?: number;
  /** CreateService calls in flight at once (`--concurrency`, `BENCH_CONCURRENCY`; default 16). */
  concurrency?: number;
  /** How often the services are polled, in milliseconds (`--poll-ms`, `BENCH_POLL_MS`; default 250). */
  pollMs?: number;
  /** Limit for every service to be steady, in seconds (`--phase-timeout`, `BENCH_PHASE_TIMEOUT`; default 120). */
  phaseTimeoutS?: number;
  /** Hard limit on the whole run, in seconds (`--timeout`, `BENCH_TIMEOUT`; default 300). */
  timeoutS?: number;
  /** decideService calls timed per input shape (`--decide-calls`, `BENCH_DECIDE_CALLS`; default 20000). */
  decideCalls?: number;
  /** Write a V8 CPU profile of Berth into this directory (`--cpu-prof DIR`, `BENCH_CPU_PROF`). */
  cpuProfDir?: string;
  /** Skip the spawn reference (`--no-reference`, `BENCH_NO_REFERENCE=1`). */
  noReference?: boolean;
  /** Seconds Berth's CPU is measured once everything is steady (`--idle`, `BENCH_IDLE`; default 10; 0 skips). */
  idleS?: number;
}

/** Options with every default applied. */
export interface ResolvedSchedulerBenchOptions {
  services: number;
  tasks: number;
  concurrency: number;
  pollMs: number;
  phaseTimeoutS: number;
  timeoutS: number;
  decideCalls: number;
  cpuProfDir?: string;
  reference: boolean;
  idleS: number;
}

/** `--help` text. */
export const USAGE = `npm run bench:scheduler -- [options]

Reconcile throughput of the service scheduler and task agent on a real Berth (process driver,
fresh data dir): services x tasks of \`sleep 3600\` created with CreateService; time until every
task is RUNNING and every service steady, Berth's CPU and peak RSS (and its children's), the cost
of decideService per call; against N bare child_process.spawn('sleep', ['3600']) in the same run.

  --services N      services created                                (BENCH_SERVICES, 100)
  --tasks N         desiredCount of each service                    (BENCH_TASKS, 10)
  --concurrency N   CreateService calls in flight                   (BENCH_CONCURRENCY, 16)
  --poll-ms MS      DescribeServices polling interval               (BENCH_POLL_MS, 250)
  --phase-timeout S limit for every service to be steady            (BENCH_PHASE_TIMEOUT, 120)
  --timeout S       hard limit for the whole run                    (BENCH_TIMEOUT, 300)
  --decide-calls N  decideService calls timed per input shape       (BENCH_DECIDE_CALLS, 20000)
  --cpu-prof DIR    write a V8 CPU profile of Berth into DIR        (BENCH_CPU_PROF)
  --no-reference    skip the bare spawn reference                   (BENCH_NO_REFERENCE=1)
  --idle S          measure Berth's CPU for S s once all is steady  (BENCH_IDLE, 10; 0 skips)

A quick run: npm run bench:scheduler -- --services 10 --tasks 10
`;

/** Applies defaults and checks ranges, with a message naming the bad option. */
export function compileSchedulerBenchOptions(o: SchedulerBenchOptions): ResolvedSchedulerBenchOptions {
  checkPositive('--services', o.services, true);
  checkPositive('--tasks', o.tasks, true);
  checkPositive('--concurrency', o.concurrency, true);
  checkPositive('--poll-ms', o.pollMs, false);
  checkPositive('--phase-timeout', o.phaseTimeoutS, false);
  checkPositive('--timeout', o.timeoutS, false);
  checkPositive('--decide-calls', o.decideCalls, true);
  if (o.idleS !== undefined && !(Number.isFinite(o.idleS) && o.idleS >= 0)) throw new Error(`--idle must be a number of seconds, 0 or more; got ${o.idleS}`);
  if ((o.tasks ?? 10) > 1000) throw new Error('--tasks must be at most 1000 (a service of more is not what this measures)');
  return {
    services: o.services ?? 100,
    tasks: o.tasks ?? 10,
    concurrency: o.concurrency ?? 16,
    pollMs: o.pollMs ?? 250,
    phaseTimeoutS: o.phaseTimeoutS ?? 120,
    timeoutS: o.timeoutS ?? 300,
    decideCalls: o.decideCalls ?? 20_000,
    cpuProfDir: o.cpuProfDir || undefined,
    reference: !o.noReference,
    idleS: o.idleS ?? 10,
  };
}

/** Reads flags (which win) and BENCH_* environment variables. Returns undefined for --help. */
export function parseSchedulerBenchArgs(argv: string[], env: NodeJS.ProcessEnv): SchedulerBenchOptions | undefined {
  const num = numberOrUndefined;
  const o: SchedulerBenchOptions = {
    services: num(env.BENCH_SERVICES),
    tasks: num(env.BENCH_TASKS),
    concurrency: num(env.BENCH_CONCURRENCY),
    pollMs: num(env.BENCH_POLL_MS),
    phaseTimeoutS: num(env.BENCH_PHASE_TIMEOUT),
    timeoutS: num(env.BENCH_TIMEOUT),
    decideCalls: num(env.BENCH_DECIDE_CALLS),
    cpuProfDir: env.BENCH_CPU_PROF,
    noReference: env.BENCH_NO_REFERENCE === '1' || undefined,
    idleS: num(env.BENCH_IDLE),
  };
  const known = forEachFlag(argv, USAGE, (flag, value) => {
    switch (flag) {
      case '--services': o.services = num(value()); break;
      case '--tasks': o.tasks = num(value()); break;
      case '--concurrency': o.concurrency = num(value()); break;
      case '--poll-ms': o.pollMs = num(value()); break;
      case '--phase-timeout': o.phaseTimeoutS = num(value()); break;
      case '--timeout': o.timeoutS = num(value()); break;
      case '--decide-calls': o.decideCalls = num(value()); break;
      case '--cpu-prof': o.cpuProfDir = value(); break;
      case '--no-reference': o.noReference = true; break;
      case '--idle': o.idleS = num(value()); break;
      default:
        return false;
    }
    return true;
  });
  return known ? o : undefined;
}
