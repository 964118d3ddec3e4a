/**
 * The processes the load balancer benchmark runs (backend, nginx, wrk): starting one with its
 * stop registered as a clean-up (and a SIGKILL at exit as the last resort), free loopback ports,
 * waiting for a port to accept, and the CPU time of a process tree (Linux /proc).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { descendants, readProc } from '../scheduler/proc-tree.js';
import { checkStopping, registerCleanup } from '../shared/lifecycle.js';

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 where it cannot be read). */
const CLK_TCK = (() => {
  const n = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** Children still running, SIGKILLed synchronously at exit as a last resort. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** A started child process. */
export interface Managed {
  child: ChildProcess;
  pid: number;
  /** Everything it printed (stdout and stderr), for error messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) when it exits. */
  exited: Promise<number | string | null>;
  /** Sends `signal`, then SIGKILL after `graceMs`; waits for the exit. Runs once; unregisters it. */
  stop: () => Promise<void>;
}

/**
 * Starts `cmd args`; with `readyLine`, resolves once the output holds it (rejecting when the
 * process exits first or `readyTimeoutMs` passes). `stopSignal` (SIGTERM by default) stops it.
 */
export async function startManaged(
  cmd: string,
  args: string[],
  opts: { readyLine?: string; readyTimeoutMs?: number; stopSignal?: NodeJS.Signals; graceMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<Managed> {
  checkStopping();
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? process.env });
  live.add(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve(code ?? signal);
    });
    child.once('error', (err) => {
      live.delete(child);
      out += String(err);
      resolve(null);
    });
  });
  const gone = () => child.exitCode !== null || child.signalCode !== null || !live.has(child);
  const stop = await registerCleanup(async () => {
    if (gone()) return;
    child.kill(opts.stopSignal ?? 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.graceMs ?? 5_000);
    await exited;
    clearTimeout(timer);
  });
  if (opts.readyLine) {
    const line = opts.readyLine;
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${cmd} did not get ready within ${(opts.readyTimeoutMs ?? 20_000) / 1000} s:\n${out}`)), opts.readyTimeoutMs ?? 20_000);
        const check = () => {
          if (out.includes(line)) {
            clearTimeout(timer);
            resolve();
          }
        };
        child.stdout!.on('data', check);
        check();
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${cmd} exited (${code}) before it was ready:\n${out}`));
        });
      });
    } catch (err) {
      await stop();
      throw err;
    }
  }
  return { child, pid: child.pid ?? 0, output: () => out, exited, stop };
}

/** A port free on `address` right now (bound and released). */
export async function freePort(address: string): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, address, resolve);
  });
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Polls until `address:port` accepts a connection; throws after `timeoutMs`. */
export async function waitForPort(address: string, port: number, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing accepted connections on ${address}:${port} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** CPU time of a process tree, in ms: in user space and in the kernel (system calls, the TCP stack). */
export interface TreeCpu {
  userMs: number;
  sysMs: number;
}

/** /proc/<pid>/stat's utime and stime in ms; zeros when the process is gone. */
function cpuOf(pid: number): TreeCpu {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { userMs: 0, sysMs: 0 };
  }
  // Fields are counted after the command name's last ')': utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { userMs: (Number(f[11]) * 1000) / CLK_TCK, sysMs: (Number(f[12]) * 1000) / CLK_TCK };
}

/** User and system CPU of `pid` and its descendants now (zeros when it is gone). */
export function treeCpu(pid: number): TreeCpu {
  if (!readProc(pid)) return { userMs: 0, sysMs: 0 };
  const all = [pid, ...descendants(pid).map((p) => p.pid)].map(cpuOf);
  return { userMs: all.reduce((n, c) => n + c.userMs, 0), sysMs: all.reduce((n, c) => n + c.sysMs, 0) };
}

/** The path of `cmd` in a directory of PATH (executable), or undefined. */
export function onPath(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const file = path.join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/**
 * Environment that makes a Node process write a V8 CPU profile `<dir>/<label>-<ms>.cpuprofile`
 * at exit (bench/api's preload: Node refuses --cpu-prof in NODE_OPTIONS).
 */
export function cpuProfileEnv(dir: string, label: string): NodeJS.ProcessEnv {
  mkdirSync(dir, { recursive: true });
  const preload = pathToFileURL(fileURLToPath(new URL('../api/cpu-profile-preload.js', import.meta.url))).href;
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
    BENCH_CPU_PROF_FILE: path.resolve(dir, `${label}-${Date.now()}.cpuprofile`),
  };
}
