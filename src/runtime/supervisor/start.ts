/** Starting the supervisor program (shim.ts) as a detached process, and reading what it left behind. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { DriverError, type ExitResult } from '../driver.js';
import { readProcStat } from './proc.js';
import type { ShimConfig, ShimExit, ShimHello } from './types.js';

const SHIM_PATH = fileURLToPath(new URL('./shim.js', import.meta.url));
const SHIM_HELLO_TIMEOUT_MS = 30_000;

/** A started shim: its answer, and its own pid and start time (to tell whether it still runs). */
export interface StartedShim {
  hello: ShimHello;
  shimPid: number;
  shimStartTicks: number;
}

/**
 * Starts a detached shim (own session, outlives Berth) with `config` through a pipe (the
 * environment may hold secrets: it never goes to disk), its stderr appended to `shimLogPath`,
 * and resolves with its one-line answer. Rejects with a `CannotStartContainerError` if it does
 * not answer.
 */
export async function startShim(config: ShimConfig, shimLogPath: string): Promise<StartedShim> {
  const shimLog = openSync(shimLogPath, 'a', 0o600);
  let shim: ChildProcess;
  try {
    shim = spawn(process.execPath, ['--max-old-space-size=32', SHIM_PATH], { detached: true, stdio: ['pipe', 'pipe', shimLog] });
  } finally {
    closeSync(shimLog);
  }
  shim.stdin!.on('error', () => {});
  shim.stdin!.end(JSON.stringify(config));
  const hello = await readHello(shim, shimLogPath);
  shim.unref();
  return { hello, shimPid: shim.pid!, shimStartTicks: readProcStat(shim.pid!)?.startTicks ?? 0 };
}

/** Reads the shim's one-line answer from its stdout. */
function readHello(shim: ChildProcess, shimLog: string): Promise<ShimHello> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const out = shim.stdout!;
    const done = (fn: () => void) => {
      clearTimeout(timer);
      out.removeAllListeners('data');
      out.removeAllListeners('end');
      out.destroy();
      fn();
    };
    const timer = setTimeout(() => {
      shim.kill('SIGKILL');
      done(() => reject(new DriverError('CannotStartContainerError', `the container supervisor did not answer within ${SHIM_HELLO_TIMEOUT_MS} ms; see ${shimLog}`)));
    }, SHIM_HELLO_TIMEOUT_MS);
    out.setEncoding('utf8');
    out.on('data', (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(() => resolve(JSON.parse(buf.slice(0, nl)) as ShimHello));
    });
    out.on('end', () => done(() => reject(new DriverError('CannotStartContainerError', `the container supervisor exited before starting the container; see ${shimLog}`))));
  });
}

/** The exit file a shim wrote, as an {@link ExitResult}; undefined while there is none (or it cannot be read). */
export async function readShimExit(exitPath: string): Promise<ExitResult | undefined> {
  try {
    const e = JSON.parse(await readFile(exitPath, 'utf8')) as ShimExit;
    return { exitCode: e.exitCode, signal: e.signal, oomKilled: e.oomKilled, reason: e.reason, finishedAt: new Date(e.finishedAt) };
  } catch {
    return undefined;
  }
}
