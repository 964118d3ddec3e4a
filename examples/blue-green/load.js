/**
 * A small, bounded load through the production listener, as users would send it: a few clients
 * asking for the page over kept-alive connections, about --rate requests a second in all.
 *
 * Every second it prints which versions answered in that second (`v1 90%  v2 10%`); at the end
 * (SIGTERM, SIGINT, or --max-seconds) the totals, the split of the requests sent after the mark
 * (SIGUSR2: run.sh marks the moment the deployment is over), and the failed requests (no answer,
 * a status other than 200, or a body that is not the app's), which is the number a blue/green
 * deployment must keep at zero. --summary FILE also writes those numbers as KEY=VALUE lines.
 *
 * Usage: node load.js URL [--rate N] [--concurrency N] [--max-seconds N] [--summary FILE]
 */
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rate: { type: 'string', default: '50' },
    concurrency: { type: 'string', default: '4' },
    'max-seconds': { type: 'string', default: '600' },
    summary: { type: 'string' },
  },
});
const url = positionals[0];
if (!url) {
  console.error('usage: node load.js URL [--rate N] [--concurrency N] [--max-seconds N] [--summary FILE]');
  process.exit(2);
}
const rate = Number(values.rate);
const concurrency = Number(values.concurrency);
const maxSeconds = Number(values['max-seconds']);

const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const started = Date.now();
/** Counts since the start, for the last second, and since the mark. */
const total = { requests: 0, failed: 0, versions: {} };
let second = { requests: 0, failed: 0, versions: {} };
let afterMark;
const failures = [];
let running = true;

/** One GET; resolves with the version that answered (`v1`), or throws saying what went wrong. */
function get() {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        const m = /^hello from (v\d+)/.exec(body);
        if (res.statusCode !== 200) reject(new Error(`status ${res.statusCode}: ${body.trim().slice(0, 80)}`));
        else if (!m) reject(new Error(`unexpected body: ${body.trim().slice(0, 80)}`));
        else resolve(m[1]);
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('no answer within 10 s')));
    req.on('error', reject);
  });
}

function count(tally, version) {
  tally.requests++;
  if (version) tally.versions[version] = (tally.versions[version] ?? 0) + 1;
  else tally.failed++;
}

async function worker() {
  const gap = (concurrency * 1000) / rate;
  while (running) {
    const t0 = Date.now();
    let version;
    try {
      version = await get();
    } catch (err) {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (failures.length < 10) failures.push(`${seconds}s: ${err.code ?? ''} ${err.message}`.trim());
    }
    for (const tally of [total, second, afterMark]) if (tally) count(tally, version);
    await sleep(Math.max(0, gap - (Date.now() - t0)));
  }
}

/** `0`, `100`, else one decimal: 100% is only ever shown when every request got that version. */
function percent(n, of) {
  if (of === 0 || n === 0) return '0';
  if (n === of) return '100';
  const p = (100 * n) / of;
  return p < 1 || p > 99 ? p.toFixed(1) : String(Math.round(p));
}

function split(tally) {
  const names = Object.keys(tally.versions).sort();
  for (const v of ['v1', 'v2']) if (!names.includes(v)) names.push(v);
  const answered = tally.requests - tally.failed;
  return names.sort().map((v) => `${v} ${percent(tally.versions[v] ?? 0, answered).padStart(3)}%`).join(' | ');
}

function bar(tally) {
  const answered = tally.requests - tally.failed;
  if (answered === 0) return ' '.repeat(20);
  const v1 = Math.round(((tally.versions.v1 ?? 0) / answered) * 20);
  return '█'.repeat(v1) + '░'.repeat(20 - v1);
}

const ticker = setInterval(() => {
  const s = Math.round((Date.now() - started) / 1000);
  const line = `load ${String(s).padStart(3)}s  v1 ${bar(second)} v2   ${split(second)}   ${second.requests} req/s   failed ${total.failed}`;
  console.log(line);
  second = { requests: 0, failed: 0, versions: {} };
}, 1000);

let finished = false;
async function finish() {
  if (finished) return;
  finished = true;
  running = false;
  clearInterval(ticker);
  // Let the requests in flight end (each has its own 10 s timeout).
  await Promise.all(workers);
  agent.destroy();
  const seconds = Math.round((Date.now() - started) / 1000);
  console.log(`load: ${total.requests} requests in ${seconds} s: ${split(total)}`);
  if (afterMark) console.log(`load: after the deployment: ${split(afterMark)} (${afterMark.requests} requests)`);
  console.log(`load: failed requests: ${total.failed} of ${total.requests}`);
  for (const f of failures) console.log(`load:   failed at ${f}`);
  if (values.summary) {
    const after = afterMark ?? { requests: 0, failed: 0, versions: {} };
    const answered = after.requests - after.failed;
    const lines = [
      `total=${total.requests}`,
      `failed=${total.failed}`,
      `after_total=${after.requests}`,
      `after_v1=${percent(after.versions.v1 ?? 0, answered)}`,
      `after_v2=${percent(after.versions.v2 ?? 0, answered)}`,
    ];
    writeFileSync(values.summary, lines.join('\n') + '\n');
  }
  process.exit(0);
}

process.on('SIGUSR2', () => {
  afterMark = { requests: 0, failed: 0, versions: {} };
});
process.on('SIGTERM', finish);
process.on('SIGINT', finish);
setTimeout(finish, maxSeconds * 1000).unref();

const workers = Array.from({ length: concurrency }, worker);
