/**
 * `npm run bench:lb`: the load balancer benchmark (issue 5). One backend process (node:http, a
 * fixed small body, on two loopback ports); wrk with the same path, connections, threads and
 * duration against (a) the backend directly, (b) nginx proxying to it with upstream keepalive,
 * worker_processes 1, (b') the same with worker_processes auto and (b'') a bare Node proxy on
 * Berth's parts (both for information), (c) Berth's Application Load Balancer with a path rule
 * and a weighted forward to two target groups. All targets are started first, then measured in
 * rounds, each round measuring every target in turn; each target's median round is reported
 * (req/s, latency percentiles, errors, CPU) with the ratios and whether Berth reaches 0.4x
 * nginx's throughput. Not a test.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { armWatchdog, managedTempDir, runBench, say } from '../shared/lifecycle.js';
import { startBerthAlb } from './berth-alb.js';
import { findNginx, startNginx } from './nginx.js';
import { compileLbBenchOptions, parseLbBenchArgs, USAGE, type ResolvedLbBenchOptions, type TargetName } from './options.js';
import { cpuProfileEnv, freePort, onPath, startManaged, treeCpu, type TreeCpu } from './processes.js';
import { BAR, formatReport, type BarResult, type Row } from './report.js';
import { fmt } from '../shared/table.js';
import { runWrk, writeDoneScript, type WrkResult } from './wrk.js';

/** The path wrk requests, and the rule's pattern it must match. */
const BENCH_PATH = '/bench/hello';
const PATH_PATTERN = '/bench/*';
/** nginx's idle upstream connections kept per worker: at least the connections wrk opens. */
const upstreamKeepalive = (opts: ResolvedLbBenchOptions) => Math.max(64, opts.connections);

const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');
const firstLine = (cmd: string, args: string[]) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '')?.trim() ?? '?';
};

/** Sends `n` GETs one after the other over one keep-alive connection; returns the distinct answers. */
async function probe(host: string, port: number, n: number): Promise<Map<string, number>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const seen = new Map<string, number>();
  try {
    for (let i = 0; i < n; i++) {
      const answer = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host, port, path: BENCH_PATH, agent, timeout: 10_000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve(`${res.statusCode} ${body.trim()}`));
        });
        req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${BENCH_PATH} timed out`)));
        req.on('error', reject);
      });
      seen.set(answer, (seen.get(answer) ?? 0) + 1);
    }
  } finally {
    agent.destroy();
  }
  return seen;
}

/** Checks that a target answers the bench path with 200 from every backend port it should use. */
async function verify(label: string, host: string, port: number, expected: string[]): Promise<void> {
  const seen = await probe(host, port, 40);
  const shown = [...seen].map(([a, n]) => `${n}x "${a}"`).join(', ');
  const wrong = [...seen.keys()].filter((a) => !expected.includes(a));
  const missing = expected.filter((a) => !seen.has(a));
  if (wrong.length || missing.length) throw new Error(`${label} does not answer as expected (want ${expected.map((e) => `"${e}"`).join(' and ')}; got ${shown})`);
  say(`  ${label}: 40 probe requests answered ${shown}`);
}

/** What one target's measured run gives: wrk's figures, and CPU in cores (user + system) over its wall time. */
interface Measured {
  result: WrkResult;
  proxy?: { user: number; sys: number };
  backend: { user: number; sys: number };
}

/** A warm-up run (not recorded), then the measured run with the CPU of the proxy and the backend. */
async function measure(opts: ResolvedLbBenchOptions, wrkBin: string, script: string, url: string, pids: { proxy?: number; backend: number }): Promise<Measured> {
  const base = { url, threads: opts.threads, connections: opts.connections, script };
  if (opts.warmupS > 0) await runWrk(wrkBin, { ...base, durationS: opts.warmupS });
  const p0 = pids.proxy ? treeCpu(pids.proxy) : undefined;
  const b0 = treeCpu(pids.backend);
  const t0 = performance.now();
  const result = await runWrk(wrkBin, { ...base, durationS: opts.durationS });
  const wallMs = performance.now() - t0;
  const cores = (a: TreeCpu, b: TreeCpu) => ({ user: (b.userMs - a.userMs) / wallMs, sys: (b.sysMs - a.sysMs) / wallMs });
  return { result, proxy: pids.proxy && p0 ? cores(p0, treeCpu(pids.proxy)) : undefined, backend: cores(b0, treeCpu(pids.backend)) };
}

const labels = (n: number): Record<TargetName, string> => ({
  direct: 'the backend itself',
  nginx: 'nginx, worker_processes 1',
  'nginx-auto': `nginx, worker_processes auto (${os.cpus().length})`,
  'node-proxy': 'minimal node:http + undici proxy',
  berth: "Berth's ALB: path rule + weighted forward 50/50, in Berth's event loop",
  'berth-1': "Berth's ALB as above, BERTH_LB_WORKERS=1 (1 worker process)",
  'nginx-n': `nginx, worker_processes ${n}`,
  'berth-n': `Berth's ALB as above, BERTH_LB_WORKERS=${n} (${n} worker processes)`,
});

async function main(): Promise<number> {
  const parsed = parseLbBenchArgs(process.argv.slice(2), process.env);
  if (!parsed) {
    process.stdout.write(USAGE);
    return 0;
  }
  const opts = compileLbBenchOptions(parsed);
  const LABELS = labels(opts.lbWorkers);

  const wrkBin = onPath('wrk');
  const nginxBin = findNginx();
  const needNginx = opts.targets.some((t) => t.startsWith('nginx'));
  const missing = [...(wrkBin ? [] : ['wrk']), ...(nginxBin || !needNginx ? [] : ['nginx'])];
  if (missing.length) {
    process.stderr.write(`bench:lb needs ${missing.join(' and ')} on PATH; on Debian/Ubuntu: sudo apt-get install -y wrk nginx-light\n`);
    return 1;
  }
  if (!existsSync('/proc/self/stat')) {
    process.stderr.write('bench:lb reads CPU times from /proc: Linux only\n');
    return 1;
  }
  const disarm = armWatchdog('bench:lb', opts.timeoutS);

  say(`bench:lb — wrk -t ${opts.threads} -c ${opts.connections}, GET ${BENCH_PATH}; ${opts.rounds} round(s), each measuring every target in turn for ${opts.durationS} s (the first after a ${opts.warmupS} s warm-up); targets: ${opts.targets.join(', ')}`);
  say(`host: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, ${firstLine(wrkBin!, ['-v'])}${nginxBin ? `, ${firstLine(nginxBin, ['-v'])}` : ''}`);
  say(`load average at start ${loadavg()} (uptime: ${firstLine('uptime', [])})`);

  const { dir } = await managedTempDir('berth-bench-lb-');
  const script = writeDoneScript(dir);

  // The backend: its own process (or --backend-workers processes), two ports.
  const backendPorts: [number, number] = [await freePort('127.0.0.1'), await freePort('127.0.0.1')];
  const backendJs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'backend-server.js');
  const backend = await startManaged(process.execPath, [backendJs, String(opts.backendWorkers), ...backendPorts.map(String)], { readyLine: 'ready' });
  say(`backend: pid ${backend.pid}, ${opts.backendWorkers} process(es), 127.0.0.1:${backendPorts.join(' and :')}`);

  const rows: Row[] = [];
  const record = (target: TargetName, m: Measured, rounds: number[]) => {
    const r = m.result;
    const c = (x: { user: number; sys: number } | undefined) => (x ? `${(x.user + x.sys).toFixed(2)} cores (user ${x.user.toFixed(2)}, sys ${x.sys.toFixed(2)})` : '-');
    say(`  ${target}: median round ${r.rps.toFixed(0)} req/s (rounds: ${rounds.map((x) => x.toFixed(0)).join(', ')})  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms  non-2xx ${r.non2xx}  socket errors ${r.socketErrors}`);
    say(`  ${target}: proxy ${c(m.proxy)}; backend ${c(m.backend)}`);
    rows.push({ target, label: LABELS[target], result: r, proxy: m.proxy, backend: m.backend });
  };

  /** A target that is up and checked: where wrk points, whose CPU counts, how it stops. */
  interface Started {
    target: TargetName;
    url: string;
    proxyPid?: number;
    stop(): Promise<unknown>;
  }
  const start = async (target: TargetName): Promise<Started> => {
    say(`\n${target} — ${LABELS[target]}:`);
    if (target === 'direct') {
      await verify(target, '127.0.0.1', backendPorts[0], ['200 ok a']);
      return { target, url: `http://127.0.0.1:${backendPorts[0]}${BENCH_PATH}`, stop: async () => {} };
    }
    if (target === 'nginx' || target === 'nginx-auto' || target === 'nginx-n') {
      const workers = target === 'nginx' ? 1 : target === 'nginx-n' ? opts.lbWorkers : 'auto';
      const nginx = await startNginx(nginxBin!, { prefix: path.join(dir, target), workers, backendPorts, keepalive: upstreamKeepalive(opts) });
      const started = { target, url: `http://127.0.0.1:${nginx.port}${BENCH_PATH}`, proxyPid: nginx.process.pid, stop: () => nginx.process.stop() };
      say(`  nginx: pid ${nginx.process.pid}, 127.0.0.1:${nginx.port}, worker_processes ${workers}, upstream keepalive ${upstreamKeepalive(opts)}`);
      await verify(target, '127.0.0.1', nginx.port, ['200 ok a', '200 ok b']).catch(async (err) => {
        await started.stop();
        throw err;
      });
      return started;
    }
    if (target === 'node-proxy') {
      const port = await freePort('127.0.0.1');
      const proxyJs = path.join(path.dirname(fileURLToPath(import.meta.url)), 'node-proxy-server.js');
      const env = opts.cpuProfDir ? { ...process.env, ...cpuProfileEnv(opts.cpuProfDir, 'node-proxy') } : process.env;
      const proxy = await startManaged(process.execPath, [proxyJs, String(port), ...backendPorts.map(String)], { readyLine: 'ready', env });
      say(`  node-proxy: pid ${proxy.pid}, 127.0.0.1:${port}`);
      const started = { target, url: `http://127.0.0.1:${port}${BENCH_PATH}`, proxyPid: proxy.pid, stop: () => proxy.stop() };
      await verify(target, '127.0.0.1', port, ['200 ok a', '200 ok b']).catch(async (err) => {
        await started.stop();
        throw err;
      });
      return started;
    }
    const t0 = performance.now();
    const lbWorkers = target === 'berth-n' ? opts.lbWorkers : target === 'berth-1' ? 1 : 0;
    const alb = await startBerthAlb({ backendPorts, pathPattern: PATH_PATTERN, cpuProfDir: opts.cpuProfDir, lbWorkers });
    say(`  Berth: pid ${alb.pid} (CPU counted with its load balancer workers: ${lbWorkers}); load balancer ${alb.dnsName} at ${alb.address}:${alb.port}; targets healthy after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const started = { target, url: `http://${alb.address}:${alb.port}${BENCH_PATH}`, proxyPid: alb.pid, stop: () => alb.managed.stop() };
    await verify(target, alb.address, alb.port, ['200 ok a', '200 ok b']).catch(async (err) => {
      await started.stop();
      throw err;
    });
    return started;
  };

  // Everything is started first; then each round measures every target in turn (the first round
  // after a warm-up), so a change in what else the host runs touches all targets alike.
  const running: Started[] = [];
  try {
    for (const target of opts.targets) running.push(await start(target));
    const measured = new Map<TargetName, Measured[]>();
    for (let round = 1; round <= opts.rounds; round++) {
      say(`\nround ${round} of ${opts.rounds}:`);
      for (const s of running) {
        const m = await measure({ ...opts, warmupS: round === 1 ? opts.warmupS : 0 }, wrkBin!, script, s.url, { proxy: s.proxyPid, backend: backend.pid });
        say(`  ${s.target}: ${m.result.rps.toFixed(0)} req/s`);
        measured.set(s.target, [...(measured.get(s.target) ?? []), m]);
      }
    }
    say('');
    for (const s of running) {
      const all = measured.get(s.target)!;
      const sorted = [...all].sort((a, b) => a.result.rps - b.result.rps);
      record(s.target, sorted[Math.floor((sorted.length - 1) / 2)], all.map((m) => m.result.rps));
    }
  } finally {
    for (const s of running.reverse()) await s.stop();
  }
  await backend.stop();

  say(`\nload average at end ${loadavg()} (other work on the host skews the figures; wrk, the proxy and the backend share the host's ${os.cpus().length} CPUs)`);
  say('\n=== Results ===');
  const { text, met, metN, inLoop } = formatReport(rows, opts.lbWorkers);
  say(text);
  if (met || metN) say(`\nBar "Berth's load balancer at least ${BAR}x nginx's throughput, at the same worker count":`);
  const verdict = (b: BarResult) => `${fmt(b.ratio, 2)}x, ${b.met ? 'MET' : 'NOT MET'}`;
  if (met) say(`  1 worker each (nginx worker_processes 1; BERTH_LB_WORKERS=1): ${verdict(met)}`);
  if (metN) say(`  ${opts.lbWorkers} workers each (nginx worker_processes ${opts.lbWorkers}; BERTH_LB_WORKERS=${opts.lbWorkers})${opts.lbWorkers === os.availableParallelism() ? ', one per CPU as worker_processes auto' : ''}: ${verdict(metN)}`);
  if (inLoop !== undefined) say(`  for information, Berth's default (its load balancer in Berth's own event loop, with the API) / nginx worker_processes 1: ${fmt(inLoop, 2)}x`);
  disarm();
  const errors = rows.reduce((n, r) => n + r.result.non2xx + r.result.socketErrors, 0);
  if (errors > 0) say(`\n${errors} errors (non-2xx responses or socket errors): the figures are not trustworthy.`);
  return errors > 0 ? 1 : 0;
}

runBench('bench:lb', main);
