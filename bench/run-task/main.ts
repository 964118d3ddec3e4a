/**
 * `npm run bench:run-task`: how fast Berth starts ECS tasks. For each driver (process; oci where
 * runc runs as root) and each task count, starts a real Berth's tasks with RunTask, polls
 * DescribeTasks until all are RUNNING, stops them, and does the same number of bare starts of
 * the same command without Berth (`child_process.spawn`; `runc run --detach`) in the same run;
 * prints tasks started per second, time to RUNNING and the ratio. Not a test.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateClusterCommand, RegisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { busyboxSkipReason, openImageStore, writeTestImage } from '../../src/images/index.js';
import { benchClient } from '../shared/ecs-client.js';
import { armWatchdog, managedTempDir, registerCleanup, runBench, say, startManagedBerth } from '../shared/lifecycle.js';
import { berthRound, stopEveryTask } from './berth-tasks.js';
import { compileRunTaskBenchOptions, parseRunTaskBenchArgs, USAGE, type DriverName, type ResolvedRunTaskBenchOptions } from './options.js';
import { runcRound, spawnRound } from './reference.js';
import { formatDriverTable, type RoundRow } from './report.js';

/** The container's command on both drivers and in both references: it stays up. */
const COMMAND = ['sleep', '3600'];
/** The image the oci driver and `runc run` use: busybox from /bin/busybox. */
const IMAGE = 'busybox:bench';
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

/** Why the oci driver cannot be measured here, or undefined when it can. */
function ociSkipReason(): string | undefined {
  const onPath = (bin: string) => (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').some((d) => existsSync(path.join(d, bin)));
  if (!onPath('runc')) return 'runc is not on PATH';
  if (process.getuid?.() !== 0) return 'the oci driver needs Berth to run as root';
  if (!onPath('ip')) return "the oci driver needs iproute2's ip";
  return busyboxSkipReason();
}

/** Creates the driver's cluster (tag `berth:driver`) and its task definition; returns their names. */
async function prepareDriver(ecs: ECSClient, driver: DriverName): Promise<{ cluster: string; taskDefinition: string }> {
  const name = `bench-${driver}`;
  await ecs.send(new CreateClusterCommand({ clusterName: name, tags: [{ key: 'berth:driver', value: driver }] }));
  await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: name,
      networkMode: 'none',
      containerDefinitions: [{ name: 'main', image: IMAGE, command: COMMAND, memory: 64, essential: true, stopTimeout: 0 }],
    }),
  );
  return { cluster: name, taskDefinition: name };
}

async function main(): Promise<number> {
  const parsed = parseRunTaskBenchArgs(process.argv.slice(2), process.env);
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts: ResolvedRunTaskBenchOptions = compileRunTaskBenchOptions(parsed);
  const disarm = armWatchdog('bench:run-task', opts.timeoutS);
  const ociSkip = opts.drivers.includes('oci') ? ociSkipReason() : undefined;
  const drivers = opts.drivers.filter((d) => d !== 'oci' || !ociSkip);
  say(`bench:run-task — drivers ${drivers.join(', ')}; ${opts.counts.join(', ')} tasks per round; command ${JSON.stringify(COMMAND)}`);
  if (ociSkip) say(`oci driver skipped: ${ociSkip}`);
  say(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg()}`);

  const scratch = await managedTempDir('berth-bench-run-task-');
  let rootfs: string | undefined;
  const image = path.join(scratch.dir, 'image');
  if (drivers.includes('oci')) {
    await writeTestImage(image, 'oci-layout', { config: { Env: ['PATH=/bin'], Cmd: COMMAND } });
    const refStore = openImageStore(path.join(scratch.dir, 'reference-store'));
    rootfs = await refStore.unpacked(await refStore.import(image, IMAGE));
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-bench-run-task-data-'));
  let berthStarted = false; // from then on, Berth's own clean-up stops its tasks and removes its data dir
  const removeDataDir = await registerCleanup(async () => {
    if (!berthStarted) rmSync(dataDir, { recursive: true, force: true });
  });
  const clusters: string[] = [];
  if (rootfs) await openImageStore(dataDir).import(image, IMAGE);
  const { berth, stop } = await startManagedBerth({ dataDir }, async (b) => {
    const client = b.ecs();
    await Promise.allSettled(clusters.map((c) => stopEveryTask(client, c, 30_000)));
  });
  berthStarted = true;
  const ecs = benchClient(berth, 64);
  const rows = new Map<DriverName, RoundRow[]>();
  try {
    for (const driver of drivers) {
      const { cluster, taskDefinition } = await prepareDriver(ecs, driver);
      clusters.push(cluster);
      const round = (n: number) => berthRound({ ecs, cluster, taskDefinition, n, pollMs: opts.pollMs, timeoutMs: opts.phaseTimeoutS * 1000 });
      await round(1); // warm-up, not recorded (the oci driver unpacks the image for its first task)
      say(`\n${driver} driver (warmed up with one task):`);
      const driverRows: RoundRow[] = [];
      for (const n of opts.counts) {
        const b = await round(n);
        const ref =
          driver === 'process'
            ? await spawnRound(COMMAND, n)
            : await runcRound({ rootfs: rootfs!, command: COMMAND, n, workDir: path.join(scratch.dir, `runc-${n}`) });
        driverRows.push({ driver, reference: driver === 'process' ? 'spawn' : 'runc run', berth: b, ref });
        say(`  N=${n}: berth ${(b.startElapsedMs / 1000).toFixed(2)} s to start, ${(b.stopElapsedMs / 1000).toFixed(2)} s to stop; reference ${(ref.startElapsedMs / 1000).toFixed(2)} s / ${(ref.stopElapsedMs / 1000).toFixed(2)} s`);
      }
      rows.set(driver, driverRows);
    }
  } finally {
    ecs.destroy();
    await stop();
  }
  say(`\nload average now ${loadavg()} (other work on the host moves the figures)`);
  for (const [driver, driverRows] of rows) {
    say(`\n=== ${driver} driver: Berth vs bare ${driverRows[0].reference} ===`);
    say(formatDriverTable(driverRows));
  }
  say(`
started/s: N / (last task's startedAt - the first RunTask sent); p50/p99/max ms: per task, createdAt -> startedAt
(Berth's own timestamps); client p50/max: the RunTask call sent -> startedAt; all seen ms: until a DescribeTasks
poll saw the last one RUNNING; stopped/s: N / (last stoppedAt - the first StopTask sent). Reference: per call,
spawn() -> 'spawn' event, or runc run --detach until it exits 0; stop: SIGTERM and exit / runc delete --force.
Ratios: reference rate / Berth rate, Berth latency / reference latency (Berth's overhead factor).`);
  if (ociSkip) say(`\noci driver skipped: ${ociSkip}`);
  await removeDataDir();
  disarm();
  return 0;
}

runBench('bench:run-task', main);
