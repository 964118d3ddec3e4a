/**
 * `npm run bench:metrics`: the CloudWatch metrics benchmark of issue 7. Starts a real Berth
 * (`berth up`, default durability) and then `moto_server`, one after the other; fills each with the
 * same 1-second datapoints through PutMetricData and times the same GetMetricData queries, with
 * the same @aws-sdk/client-cloudwatch client on the same wire protocol; prints the figures and the
 * ratios Berth / moto. Not a test: it measures, prints, and cleans up after itself.
 */
import os from 'node:os';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { TEST_CREDENTIALS } from '../../test/fixtures/berth.js';
import { startMoto } from '../api/moto.js';
import { armWatchdog, checkStopping, registerCleanup, runBench, say, startManagedBerth } from '../shared/lifecycle.js';
import type { TargetEndpoint } from '../shared/ecs-client.js';
import { cloudWatchClient, PROTOCOL_NAMES } from './client.js';
import { compileMetricsOptions, parseMetricsArgs, USAGE, type ResolvedMetricsOptions } from './options.js';
import { fill, measureQuery } from './phases.js';
import { fillTable, queryTable, ratioTable, type TargetRun } from './report.js';
import { benchQueries, type BenchQuery, dataWindow, type DataWindow, METRIC, NAMESPACE, totalDatapoints } from './workload.js';

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Target extends TargetEndpoint {
  label: string;
  pid: number | undefined;
}

async function startBerth(opts: ResolvedMetricsOptions): Promise<{ target: Target; stop: () => Promise<void> }> {
  const env: NodeJS.ProcessEnv = { BERTH_SYNC: opts.sync };
  if (opts.cpuProfDir) {
    mkdirSync(opts.cpuProfDir, { recursive: true });
    const preload = pathToFileURL(fileURLToPath(new URL('../api/cpu-profile-preload.js', import.meta.url))).href;
    env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim();
    env.BENCH_CPU_PROF_FILE = path.resolve(opts.cpuProfDir, `berth-metrics-${Date.now()}.cpuprofile`);
  }
  const { berth, stop } = await startManagedBerth({ env });
  return { target: { label: 'berth', endpoint: berth.endpoint, region: berth.region, credentials: TEST_CREDENTIALS, pid: berth.process.pid }, stop };
}

async function startMotoTarget(): Promise<{ target: Target; stop: () => Promise<void> }> {
  checkStopping();
  const moto = await startMoto();
  const stop = await registerCleanup(moto.stop);
  const credentials = { accessKeyId: 'AKIABENCHMOTO0000001', secretAccessKey: 'bench-moto-secret' };
  return { target: { label: 'moto', endpoint: moto.endpoint, region: 'us-east-1', credentials, pid: moto.process.pid }, stop };
}

/** Fills one target and runs every query on it. */
async function benchTarget(target: Target, w: DataWindow, queries: BenchQuery[], opts: ResolvedMetricsOptions): Promise<TargetRun> {
  const client = cloudWatchClient(target, opts.concurrency, opts.callTimeoutS, opts.protocol);
  try {
    const run: TargetRun = { target: target.label, queries: new Map() };
    const f = await fill(client, w, { batch: opts.batch, concurrency: opts.concurrency, serverPid: target.pid }, (done, total, s) =>
      say(`  ${target.label}: ${done} of ${total} datapoints after ${s.toFixed(0)} s (${(done / s).toFixed(0)}/s)`),
    );
    run.fill = f;
    say(`  ${target.label}: fill ${f.datapoints} datapoints in ${f.elapsedS.toFixed(1)} s: ${f.datapointsPerS.toFixed(0)} datapoints/s, ${f.callsPerS.toFixed(1)} calls/s${f.errors ? `, ${f.errors} ERRORS (${f.firstError})` : ''}`);
    for (const q of queries) {
      const r = await measureQuery(client, q, { repeat: opts.repeat, budgetS: opts.queryBudgetS, serverPid: target.pid });
      run.queries.set(q.name, r);
      const answer = r.datapoints === undefined ? 'no answer' : `${r.datapoints} datapoints (expected ${q.expectedDatapoints})`;
      say(`  ${target.label}: ${q.name.padEnd(16)} ${r.calls} calls  p50 ${r.p50Ms.toFixed(1)} ms  max ${r.maxMs.toFixed(1)} ms  ${answer}${r.note ? `; ${r.note}` : ''}${r.errors ? `; ${r.errors} ERRORS (${r.firstError})` : ''}`);
    }
    return run;
  } finally {
    client.destroy();
  }
}

async function main(): Promise<number> {
  const parsed = parseMetricsArgs(process.argv.slice(2), process.env);
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = compileMetricsOptions(parsed);
  const disarm = armWatchdog('bench:metrics', opts.timeoutS);
  const w = dataWindow(opts.series, opts.spanS);
  let queries = benchQueries(w);
  if (opts.queries) {
    const unknown = opts.queries.filter((n) => !queries.some((q) => q.name === n));
    if (unknown.length) throw new Error(`--queries: unknown ${unknown.join(', ')} (known: ${queries.map((q) => q.name).join(', ')})`);
    queries = queries.filter((q) => opts.queries!.includes(q.name));
  }

  say(`bench:metrics — ${opts.series} series x ${opts.spanS / 3600} h of 1-second datapoints = ${totalDatapoints(w)} per target`);
  say(`  ${NAMESPACE}/${METRIC}, dimension Series=0..${opts.series - 1}, Unit Milliseconds, StorageResolution 1, ${new Date(w.startMs).toISOString()} .. ${new Date(w.endMs).toISOString()}`);
  say(`  PutMetricData: ${opts.batch} datums a call (time-major), ${opts.concurrency} calls in flight; GetMetricData: one call at a time, 1 warm-up + up to ${opts.repeat} calls or ${opts.queryBudgetS} s per query`);
  say(`  client: @aws-sdk/client-cloudwatch, ${PROTOCOL_NAMES[opts.protocol]}, the same for every target`);
  say(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average ${loadavg()}; targets run one at a time`);
  for (const q of queries) say(`  ${q.name}: ${q.shape} (${q.expectedDatapoints} datapoints)`);

  const runs: TargetRun[] = [];
  if (opts.targets.includes('berth')) {
    say(`\nBerth (BERTH_SYNC=${opts.sync}${opts.sync === 'FULL' ? ', the default' : ': survives kill -9, not power loss'}):`);
    const b = await startBerth(opts);
    try {
      runs.push(await benchTarget(b.target, w, queries, opts));
    } finally {
      await b.stop();
    }
  }
  if (opts.targets.includes('moto')) {
    say('\nmoto_server:');
    const m = await startMotoTarget();
    try {
      runs.push(await benchTarget(m.target, w, queries, opts));
    } finally {
      await m.stop();
    }
  }

  say(`\nload average now ${loadavg()} (other work on the host skews the figures; the client shares the host's CPUs with the server)`);
  say('\n=== Fill: PutMetricData ===');
  say(fillTable(runs));
  say('\n=== Queries: GetMetricData, one call at a time ===');
  say(queryTable(runs, queries));
  const ratios = ratioTable(runs, queries);
  if (ratios) {
    say('\n=== Berth / moto ===');
    say(ratios);
  }
  disarm();
  // Berth must answer everything; moto's gaps (percentiles, expressions) are printed, not fatal.
  const berth = runs.find((r) => r.target === 'berth');
  const berthErrors = (berth?.fill?.errors ?? 0) + [...(berth?.queries.values() ?? [])].reduce((n, q) => n + q.errors, 0);
  const wrongBerth = [...(berth?.queries.entries() ?? [])].some(([name, q]) => q.datapoints !== queries.find((x) => x.name === name)!.expectedDatapoints || q.note?.includes('WRONG'));
  return berthErrors > 0 || wrongBerth ? 1 : 0;
}

runBench('bench:metrics', main);
