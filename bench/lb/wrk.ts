/**
 * Running wrk against one URL and reading its figures: a Lua `done()` hook prints the summary and
 * latency percentiles as one JSON line (`WRKJSON {...}`), which is what is parsed; wrk's own text
 * is kept for error messages.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { checkStopping } from '../shared/lifecycle.js';
import { startManaged } from './processes.js';

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  durationS: number;
  /** Completed requests per second. */
  rps: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Responses with a status >= 400 (wrk's "Non-2xx or 3xx responses"). */
  non2xx: number;
  /** Socket errors: connect, read, write, timeout. */
  socketErrors: number;
  bytes: number;
}

/** wrk's Lua hook: latency is in microseconds. */
const DONE_SCRIPT = `-- Written by bench/lb: one JSON line with wrk's summary and latency percentiles.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

/** Writes the Lua hook into `dir`; returns its path. */
export function writeDoneScript(dir: string): string {
  const file = path.join(dir, 'done.lua');
  writeFileSync(file, DONE_SCRIPT);
  return file;
}

/** Parses wrk's output (the WRKJSON line); throws with the output when it is missing. */
export function parseWrkOutput(out: string): WrkResult {
  const line = out.split('\n').find((l) => l.startsWith('WRKJSON '));
  if (!line) throw new Error(`wrk printed no summary:\n${out}`);
  const j = JSON.parse(line.slice('WRKJSON '.length)) as Record<string, number>;
  const durationS = j.duration_us / 1e6;
  return {
    requests: j.requests,
    durationS,
    rps: durationS > 0 ? j.requests / durationS : 0,
    p50Ms: j.p50 / 1000,
    p90Ms: j.p90 / 1000,
    p99Ms: j.p99 / 1000,
    maxMs: j.max / 1000,
    non2xx: j.status,
    socketErrors: j.connect + j.read + j.write + j.timeout,
    bytes: j.bytes,
  };
}

/** Runs `wrk` for `durationS` against `url`; its stop is a registered clean-up while it runs. */
export async function runWrk(bin: string, o: { url: string; threads: number; connections: number; durationS: number; script: string }): Promise<WrkResult> {
  const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.durationS}s`, '--timeout', '10s', '-s', o.script, o.url];
  const wrk = await startManaged(bin, args, { stopSignal: 'SIGKILL' });
  // wrk stops itself after the duration; this bounds a wrk that hangs.
  const limit = setTimeout(() => void wrk.stop(), (o.durationS + 30) * 1000);
  const code = await wrk.exited;
  clearTimeout(limit);
  await wrk.stop();
  checkStopping(); // killed by Ctrl-C's clean-up: say so, not that wrk failed
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${wrk.output()}`);
  return parseWrkOutput(wrk.output());
}
