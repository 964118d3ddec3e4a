/**
 * The references, measured in the same run: N bare `child_process.spawn` calls of the process
 * driver's command (running = the child's 'spawn' event), and N bare `runc run --detach` of
 * bundles sharing one read-only busybox root filesystem (running = `runc run --detach` exited 0,
 * which it does once the container's process has started). Everything they start is removed
 * on every exit path.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { registerCleanup } from '../shared/lifecycle.js';
import type { RoundResult } from './figures.js';

/** Children and runc containers not yet removed, for a synchronous last resort at exit. */
const liveChildren = new Set<ChildProcess>();
const liveContainers = new Map<string, string>(); // id -> runc root
process.once('exit', () => {
  for (const c of liveChildren) killGroup(c, 'SIGKILL');
  for (const [id, root] of liveContainers) spawnSync('runc', ['--root', root, 'delete', '--force', id], { stdio: 'ignore' });
});

function killGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    process.kill(-c.pid!, sig);
  } catch {
    /* already gone */
  }
}

/** Starts `n` detached children of `command` at once, then SIGTERMs them and waits for their exit. */
export async function spawnRound(command: string[], n: number): Promise<RoundResult> {
  const children: ChildProcess[] = [];
  const exits: Promise<void>[] = [];
  const stop = await registerCleanup(async () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    await Promise.all(exits);
  });
  try {
    const t0 = performance.now();
    const started = await Promise.all(
      Array.from({ length: n }, () => {
        const sent = performance.now();
        const child = spawn(command[0], command.slice(1), { stdio: 'ignore', detached: true });
        children.push(child);
        liveChildren.add(child);
        exits.push(
          new Promise((resolve) =>
            child.once('close', () => {
              liveChildren.delete(child);
              resolve();
            }),
          ),
        );
        return new Promise<{ at: number; latency: number }>((resolve, reject) => {
          child.once('spawn', () => {
            const at = performance.now();
            resolve({ at, latency: at - sent });
          });
          child.once('error', reject);
        });
      }),
    );
    const t1 = performance.now();
    for (const c of children) killGroup(c, 'SIGTERM');
    await Promise.all(exits);
    const t2 = performance.now();
    return { n, startElapsedMs: Math.max(...started.map((s) => s.at)) - t0, startLatenciesMs: started.map((s) => s.latency), stopElapsedMs: t2 - t1 };
  } finally {
    await stop();
  }
}

/** Runs `runc` with its own state root and a log file; rejects with runc's log when it exits non-zero. */
function runc(root: string, logFile: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('runc', ['--root', root, '--log', logFile, ...args], { stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) return resolve();
      let log = '';
      try {
        log = readFileSync(logFile, 'utf8').slice(-2000);
      } catch {
        /* no log */
      }
      reject(new Error(`runc ${args.join(' ')} exited with ${code}: ${log}`));
    });
  });
}

/** What a runc round needs. */
export interface RuncRound {
  /** The image's unpacked root filesystem, shared read-only by every bundle. */
  rootfs: string;
  command: string[];
  n: number;
  /** A scratch directory (bundles, runc's state root, logs); emptied afterwards. */
  workDir: string;
}

/** Writes one bundle per id from `runc spec`'s default config: `command` on the shared read-only root filesystem. */
async function writeBundles(r: RuncRound, root: string, ids: string[]): Promise<void> {
  const template = path.join(r.workDir, 'template');
  mkdirSync(template, { recursive: true });
  await runc(root, path.join(r.workDir, 'spec.log'), ['spec', '--bundle', template]);
  const spec = JSON.parse(readFileSync(path.join(template, 'config.json'), 'utf8'));
  spec.process.terminal = false;
  spec.process.args = r.command;
  spec.root = { path: r.rootfs, readonly: true };
  for (const id of ids) {
    mkdirSync(path.join(r.workDir, id), { recursive: true });
    writeFileSync(path.join(r.workDir, id, 'config.json'), JSON.stringify({ ...spec, hostname: id.slice(-60) }));
  }
}

/**
 * Makes `n` bundles from `runc spec` (its default: new mount, PID, IPC, UTS and network
 * namespaces, no resource limits) with `command` on the shared root filesystem, runs them all
 * at once with `runc run --detach`, then removes them all at once with `runc delete --force`.
 */
export async function runcRound(r: RuncRound): Promise<RoundResult> {
  const root = path.join(r.workDir, 'runc-root');
  const ids = Array.from({ length: r.n }, (_, i) => `berth-bench-${process.pid}-${r.n}-${i}`);
  const remove = (id: string) => runc(root, path.join(r.workDir, `${id}.delete.log`), ['delete', '--force', id]).then(() => void liveContainers.delete(id));
  // Registered before anything is written, so an interrupted bench leaves nothing behind.
  const stop = await registerCleanup(async () => {
    await Promise.allSettled([...liveContainers.keys()].filter((id) => ids.includes(id)).map(remove));
    rmSync(r.workDir, { recursive: true, force: true });
  });
  try {
    await writeBundles(r, root, ids);
    const t0 = performance.now();
    const settled = await Promise.allSettled(
      ids.map(async (id) => {
        const sent = performance.now();
        liveContainers.set(id, root);
        await runc(root, path.join(r.workDir, `${id}.log`), ['run', '--detach', '--bundle', path.join(r.workDir, id), id]);
        const at = performance.now();
        return { at, latency: at - sent };
      }),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    const started = settled.map((s) => (s as PromiseFulfilledResult<{ at: number; latency: number }>).value);
    const t1 = performance.now();
    await Promise.all(ids.map(remove));
    const t2 = performance.now();
    return { n: r.n, startElapsedMs: Math.max(...started.map((s) => s.at)) - t0, startLatenciesMs: started.map((s) => s.latency), stopElapsedMs: t2 - t1 };
  } finally {
    await stop();
  }
}
