/**
 * `npm run bench:scheduler`: reconcile throughput of the service scheduler and the task agent.
 * Starts a real Berth (process driver, fresh data dir), creates N services of M `sleep 3600`
 * tasks with CreateService (concurrently, bounded), and measures the time until every task is
 * RUNNING and every service steady, Berth's CPU and peak RSS (and its children's, from /proc),
 * and the cost of `decideService` per call in process; then, as the reference, N x M bare
 * `child_process.spawn('sleep', ['3600'])`. Prints the table, the ratio and whether issue 4's bar
 * (1,000 tasks RUNNING within 30 s) holds. Not a test.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { spawnRound } from '../run-task/reference.js';
import { benchClient } from '../shared/ecs-client.js';
import { armWatchdog, registerCleanup, runBench, say, startManagedBerth } from '../shared/lifecycle.js';
import { measureDecideCost } from './decide-cost.js';
import { compileSchedulerBenchOptions, parseSchedulerBenchArgs, USAGE } from './options.js';
import { killProc, processesUnder, TreeSampler, type ProcInfo } from './proc-tree.js';
import { formatDecide, formatMain, type BerthFigures, type SpawnFigures } from './report.js';
import { COMMAND, createServices, prepare, runningTasks, serviceNames, steadyAt, waitSteady } from './services.js';

/** Issue 4's bar. */
const BAR_TASKS = 1000;
const BAR_S = 30;
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

async function main(): Promise<number> {
  const parsed = parseSchedulerBenchArgs(process.argv.slice(2), process.env);
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = compileSchedulerBenchOptions(parsed);
  if (process.platform !== 'linux') throw new Error('bench:scheduler reads /proc: Linux only');
  const disarm = armWatchdog('bench:scheduler', opts.timeoutS);
  const total = opts.services * opts.tasks;
  say(`bench:scheduler — ${opts.services} services x ${opts.tasks} tasks (${total}) of ${JSON.stringify(COMMAND)}, process driver`);
  say(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg()}`);

  // 1. The decision's cost, in this process, before anything else runs.
  const costs = measureDecideCost(opts.tasks, opts.decideCalls);

  // 2. Berth.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-scheduler-data-'));
  let berthStarted = false;
  const removeDataDir = await registerCleanup(async () => {
    if (!berthStarted) rmSync(dataDir, { recursive: true, force: true });
  });
  const env: NodeJS.ProcessEnv = {};
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    const preload = pathToFileURL(fileURLToPath(new URL('../api/cpu-profile-preload.js', import.meta.url))).href;
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
    env.BENCH_CPU_PROF_FILE = path.resolve(opts.cpuProfDir, `berth-scheduler-${Date.now()}.cpuprofile`);
  }
  let sampler: TreeSampler | undefined;
  const { berth, stop } = await startManagedBerth({ dataDir, env }, async (b) => {
    // Freeze Berth so it starts nothing more, kill every process it made (supervisors,
    // containers: each a process group), then let it stop. What slipped through is found by
    // its working directory (inside the data dir) once Berth has exited.
    const pid = b.process.pid!;
    const seen: ProcInfo[] = [];
    try {
      process.kill(pid, 'SIGSTOP');
      seen.push(...(sampler?.sample() ?? []), ...new TreeSampler(pid).sample());
      for (const p of seen) killProc(p);
    } catch {
      /* Berth already gone */
    } finally {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
  });
  berthStarted = true;
  await registerCleanup(async () => {
    // Runs beside Berth's own clean-up; loops until Berth has exited, then sweeps the data dir's containers.
    while (berth.process.exitCode === null && berth.process.signalCode === null) await new Promise((r) => setTimeout(r, 100));
    for (const p of processesUnder(dataDir)) killProc(p);
  });
  const ecs = benchClient(berth, Math.max(opts.concurrency, 16));
  let figures: BerthFigures;
  try {
    const taskDefinition = await prepare(ecs);
    const names = serviceNames(opts.services);
    sampler = new TreeSampler(berth.process.pid!);
    const sampleTimer = setInterval(() => sampler!.sample(), 100);
    try {
      const t0Epoch = Date.now();
      const t0 = performance.now();
      await createServices(ecs, names, taskDefinition, opts.tasks, opts.concurrency);
      const createMs = performance.now() - t0;
      say(`  ${opts.services} CreateService calls answered in ${(createMs / 1000).toFixed(2)} s`);
      const progress = await waitSteady(ecs, names, opts.tasks, t0, opts.pollMs, opts.phaseTimeoutS * 1000, () => {
        sampler!.sample();
      });
      sampler.sample();
      clearInterval(sampleTimer);
      const tasks = await runningTasks(ecs);
      if (tasks.length !== total) throw new Error(`${tasks.length} tasks with desiredStatus RUNNING, not ${total}`);
      const started = tasks.map((t) => t.startedAt!.getTime());
      const steady = progress.services.map((s) => steadyAt(s));
      if (steady.some((x) => x === undefined)) throw new Error('a steady service has no "has reached a steady state." event');
      figures = {
        services: opts.services,
        tasksPerService: opts.tasks,
        createMs,
        allRunningMs: Math.max(...started) - t0Epoch,
        taskLatenciesMs: tasks.map((t) => t.startedAt!.getTime() - t.createdAt!.getTime()).sort((a, b) => a - b),
        allSteadyMs: Math.max(...(steady as number[])) - t0Epoch,
        steadySeenMs: progress.allSteadySeenMs!,
        berthCpuMs: sampler.ownCpuMs(),
        childrenCpuMs: sampler.childrenCpuMs(),
        peakBerthRss: sampler.peakOwnRss,
        peakTreeRss: sampler.peakTreeRss,
        peakChildren: sampler.peakChildren,
      };
      say(`  all ${total} RUNNING after ${(figures.allRunningMs / 1000).toFixed(2)} s, all steady after ${(figures.allSteadyMs / 1000).toFixed(2)} s (${progress.polls} polls)`);
      if (opts.idleS > 0) {
        // What keeping them costs: Berth's CPU while nothing changes (the agent's sweeps, the
        // scheduler's passes, stats sampling), the bench sending nothing meanwhile.
        const idle = new TreeSampler(berth.process.pid!);
        const i0 = performance.now();
        await new Promise((r) => setTimeout(r, opts.idleS * 1000));
        idle.sample();
        figures.idleCores = idle.ownCpuMs() / (performance.now() - i0);
        say(`  steady for ${opts.idleS} s: Berth used ${(figures.idleCores * 100).toFixed(1)}% of a core`);
      }
    } finally {
      clearInterval(sampleTimer);
    }
  } finally {
    ecs.destroy();
    await stop();
  }

  // 3. The reference, after Berth and everything it ran is gone.
  let ref: SpawnFigures | undefined;
  if (opts.reference) {
    const r = await spawnRound(COMMAND, total);
    ref = { n: total, allRunningMs: r.startElapsedMs };
    say(`  reference: ${total} bare spawns running after ${(r.startElapsedMs / 1000).toFixed(2)} s`);
  }

  say(`\nload average now ${loadavg()} (other work on the host moves the figures)`);
  say(`\n=== Berth (${opts.services} services x ${opts.tasks} tasks) vs bare spawn ===`);
  say(formatMain(figures, ref));
  say(`  peak processes under Berth: ${figures.peakChildren}`);
  say(`\n=== decideService, in process (${opts.tasks}-task services) ===`);
  say(formatDecide(costs, opts.services));
  say(`
all RUNNING: the first CreateService sent -> the last task's startedAt (Berth's clock); all steady: -> the last
service's "has reached a steady state." event; steady seen: until a DescribeServices poll saw every service with
runningCount = desired and one COMPLETED PRIMARY deployment; task p50/p99: per task, createdAt -> startedAt.
CPU: user + system over the phase from /proc; children: the supervisors and containers under Berth (a lower
bound: a child that exited unwaited between 100 ms samples is missed). RSS: peak of Berth alone, and of
Berth plus every descendant. Reference: ${total} x spawn('sleep', ['3600']) at once, to the last 'spawn' event.
Ratio: Berth's time over the reference's (and the reference's rate over Berth's): Berth's overhead, higher is worse.`);
  const verdict =
    total === BAR_TASKS
      ? `bar (issue 4): ${BAR_TASKS} tasks RUNNING within ${BAR_S} s: ${figures.allRunningMs / 1000 <= BAR_S ? 'MET' : 'NOT MET'} (${(figures.allRunningMs / 1000).toFixed(2)} s)`
      : `bar (issue 4) is stated for ${BAR_TASKS} tasks (100 x 10); this run had ${total}: ${(figures.allRunningMs / 1000).toFixed(2)} s, ${fmtRate(total, figures.allRunningMs)} tasks/s (the bar needs ${(BAR_TASKS / BAR_S).toFixed(1)} tasks/s)`;
  say(`\n${verdict}`);
  await removeDataDir();
  disarm();
  return 0;
}

const fmtRate = (n: number, ms: number) => (n / (ms / 1000)).toFixed(1);

runBench('bench:scheduler', main);
