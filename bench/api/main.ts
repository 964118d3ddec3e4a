/**
 * `npm run bench:api`: the API benchmark. Starts a real Berth (`berth up`, default durability)
 * and `moto_server`, one after the other, drives each with the same @aws-sdk/client-ecs client
 * settings and the same calls, and prints throughput and p50/p99 latency per operation with the
 * ratio Berth/moto. Not a test: it measures, prints, and cleans up after itself.
 */
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TEST_CREDENTIALS } from '../../test/fixtures/berth.js';
import { armWatchdog, checkStopping, registerCleanup, runBench, say, startManagedBerth } from '../shared/lifecycle.js';
import { LoadPool, type Bound } from './load.js';
import { startMoto, type MotoServer } from './moto.js';
import { compileBenchOptions, parseBenchArgs, USAGE, type ResolvedBenchOptions } from './options.js';
import { BAR, formatReport, type Row } from './report.js';
import { benchClient, clusterWorkload, taskDefinitionWorkload, type TargetEndpoint, type Workload } from './workload.js';

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Target extends TargetEndpoint {
  label: string;
  pid: number | undefined;
}

async function startBerth(opts: ResolvedBenchOptions, sync: 'FULL' | 'NORMAL'): Promise<{ target: Target; stop: () => Promise<void> }> {
  const env: NodeJS.ProcessEnv = { BERTH_SYNC: sync };
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    const preload = pathToFileURL(fileURLToPath(new URL('./cpu-profile-preload.js', import.meta.url))).href;
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
    env.BENCH_CPU_PROF_FILE = path.resolve(opts.cpuProfDir, `berth-${sync.toLowerCase()}-${Date.now()}.cpuprofile`);
  }
  const { berth, stop } = await startManagedBerth({ env });
  return {
    target: { label: 'berth', endpoint: berth.endpoint, region: berth.region, credentials: TEST_CREDENTIALS, pid: berth.process.pid },
    stop,
  };
}

async function startMotoTarget(): Promise<{ target: Target; stop: () => Promise<void> }> {
  checkStopping();
  const moto: MotoServer = await startMoto();
  const stop = await registerCleanup(moto.stop);
  return {
    target: {
      label: 'moto',
      endpoint: moto.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIABENCHMOTO0000001', secretAccessKey: 'bench-moto-secret' },
      pid: moto.process.pid,
    },
    stop,
  };
}

/** Seeds, verifies and measures the workload's operations on one target. */
async function benchTarget(
  target: Target,
  label: string,
  workload: Workload,
  opts: ResolvedBenchOptions,
  only?: (op: { writes: boolean }) => boolean,
): Promise<Row[]> {
  const client = benchClient(target, opts.concurrency);
  try {
    const t0 = performance.now();
    await workload.seed(client, opts.concurrency);
    for (const line of await workload.verify(client)) say(`  ${label}: ${line}`);
    say(`  ${label}: seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const bound: Bound = opts.calls !== undefined ? { calls: opts.calls } : { durationS: opts.durationS };
    const rows: Row[] = [];
    const pool = await LoadPool.start({ target: { endpoint: target.endpoint, region: target.region, credentials: target.credentials }, workload: opts.workload, revisions: opts.revisions }, opts.threads, opts.concurrency);
    try {
      for (const op of workload.operations(client)) {
        if (only && !only(op)) continue;
        const result = await pool.measure(op.name, { concurrency: opts.concurrency, warmupS: opts.warmupS, bound, serverPid: target.pid });
        say(`  ${label}: ${op.name.padEnd(24)} ${result.throughput.toFixed(0).padStart(6)} calls/s  p50 ${result.p50Ms.toFixed(2)} ms  p99 ${result.p99Ms.toFixed(2)} ms${result.errors ? `  ${result.errors} ERRORS (${result.firstError})` : ''}`);
        rows.push({ operation: op.name, target: label, result });
      }
    } finally {
      await pool.close();
    }
    return rows;
  } finally {
    client.destroy();
  }
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2), process.env);
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = compileBenchOptions(parsed);
  const disarm = armWatchdog('bench:api', opts.timeoutS);

  const workload = () => {
    const w = opts.workload === 'clusters' ? clusterWorkload() : taskDefinitionWorkload(opts.revisions);
    const all = w.operations(undefined as never).map((o) => o.name);
    const unknown = (opts.ops ?? []).filter((o) => !all.includes(o));
    if (unknown.length) throw new Error(`--ops: ${unknown.join(', ')} not in the ${opts.workload} workload (${all.join(', ')})`);
    return opts.ops ? { ...w, operations: (c: Parameters<Workload['operations']>[0]) => w.operations(c).filter((o) => opts.ops!.includes(o.name)) } : w;
  };
  const opNames = workload()
    .operations(undefined as never)
    .map((o) => o.name);
  const writeOps = workload()
    .operations(undefined as never)
    .filter((o) => o.writes)
    .map((o) => o.name);
  say(`bench:api — ${opts.workload}; ${opts.concurrency} calls in flight over ${opts.threads} load thread(s); ${opts.calls !== undefined ? `${opts.calls} calls` : `${opts.durationS} s`} per operation after ${opts.warmupS} s warm-up`);
  say(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg()}; targets run one at a time`);
  for (const op of workload().operations(undefined as never)) say(`  ${op.name}: ${op.shape}`);

  const rows: Row[] = [];
  if (opts.targets.includes('berth')) {
    say('\nBerth (BERTH_SYNC=FULL, the default):');
    const b = await startBerth(opts, 'FULL');
    try {
      rows.push(...(await benchTarget(b.target, 'berth', workload(), opts)));
    } finally {
      await b.stop();
    }
  }
  if (opts.targets.includes('moto')) {
    say('\nmoto_server:');
    const m = await startMotoTarget();
    try {
      rows.push(...(await benchTarget(m.target, 'moto', workload(), opts)));
    } finally {
      await m.stop();
    }
  }
  const normalRows: Row[] = [];
  if (opts.targets.includes('berth') && opts.normalRun) {
    say('\nBerth with BERTH_SYNC=NORMAL (write operations only; reads do not commit):');
    const b = await startBerth(opts, 'NORMAL');
    try {
      normalRows.push(...(await benchTarget(b.target, 'berth', workload(), opts, (op) => op.writes)));
    } finally {
      await b.stop();
    }
  }

  say(`\nload average now ${loadavg()} (other work on the host skews the figures; the client shares the host's CPUs with the server)`);
  say('\n=== Results (Berth with its default durability, BERTH_SYNC=FULL) ===');
  const order = (r: Row) => opNames.indexOf(r.operation);
  const sorted = [...rows].sort((a, b) => order(b) - order(a) || a.target.localeCompare(b.target));
  const { text, met } = formatReport(sorted, [...opNames].reverse());
  say(text);
  if (normalRows.length) {
    say('\n=== Berth with BERTH_SYNC=NORMAL (survives kill -9, not power loss) — write operations ===');
    const motoWrites = rows.filter((r) => r.target === 'moto' && writeOps.includes(r.operation));
    const relabelled = normalRows.map((r) => ({ ...r, target: 'berth NORMAL' }));
    say(formatReport([...relabelled, ...motoWrites], writeOps, 'berth NORMAL').text);
  }
  if (met !== undefined) {
    say(`\nBar "Berth at least ${BAR}x moto's throughput on each operation" (default durability): ${met ? 'MET' : 'NOT MET'}`);
  }
  disarm();
  const errors = [...rows, ...normalRows].reduce((n, r) => n + r.result.errors, 0);
  return errors > 0 ? 1 : 0;
}

runBench('bench:api', main);
