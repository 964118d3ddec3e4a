/**
 * What every benchmark needs around its measurements: a registry of clean-ups that every exit
 * path runs (normal end, failure, SIGINT/SIGTERM, the watchdog), a real Berth stopped through
 * it, and the `main()` wrapper that wires all of that up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBerthProcess, type StartOptions, type TestBerth } from '../../test/fixtures/berth.js';

/** Writes one line to stdout. */
export const say = (s: string): void => void process.stdout.write(s + '\n');

/** Everything started so far, so any exit path can stop it. */
const cleanups = new Set<() => Promise<void>>();
/** Set by SIGINT/SIGTERM: nothing new is started. */
let stopping = false;

/** Throws when the bench is being interrupted (call before starting anything). */
export function checkStopping(): void {
  if (stopping) throw new Error('interrupted');
}

/**
 * Registers `stop` to run on every exit path and returns a function that runs it now (once)
 * and unregisters it. When the bench is already being interrupted, cleans up and throws.
 */
export async function registerCleanup(stop: () => Promise<void>): Promise<() => Promise<void>> {
  cleanups.add(stop);
  if (stopping) {
    await cleanupAll();
    checkStopping();
  }
  return async () => {
    if (!cleanups.delete(stop)) return;
    await stop();
  };
}

/** Runs every registered clean-up at once and waits for all of them. */
export async function cleanupAll(): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  await Promise.allSettled(all.map((c) => c()));
}

/** Berth processes still running, for a synchronous last resort at exit. */
const liveBerths = new Set<TestBerth>();
process.once('exit', () => {
  for (const b of liveBerths) {
    try {
      b.process.kill('SIGKILL');
    } catch {
      /* already gone */
    }
    rmSync(b.dataDir, { recursive: true, force: true });
  }
});

/** A Berth started by a benchmark; `stop` is also registered as a clean-up. */
export interface ManagedBerth {
  berth: TestBerth;
  /** Runs `beforeStop` (if given), stops Berth gracefully (SIGKILL after 10 s) and removes its data dir. */
  stop: () => Promise<void>;
}

/**
 * Starts a real Berth (`berth up` through test/fixtures/berth.ts). `beforeStop` runs before
 * Berth is stopped on every exit path (e.g. to stop the tasks it runs).
 */
export async function startManagedBerth(opts: StartOptions, beforeStop?: (berth: TestBerth) => Promise<void>): Promise<ManagedBerth> {
  checkStopping();
  const berth: TestBerth = await startBerthProcess(opts);
  liveBerths.add(berth);
  const stop = registerCleanup(async () => {
    if (beforeStop) await beforeStop(berth).catch((err) => process.stderr.write(`clean-up before stopping Berth failed: ${(err as Error).message}\n`));
    // Graceful first (a CPU profile is written at exit), then the fixture's kill and data-dir removal.
    const timer = setTimeout(() => void berth.kill9(), 10_000);
    await berth.stop().catch(() => undefined);
    clearTimeout(timer);
    await berth.cleanup();
    if (opts.dataDir) rmSync(opts.dataDir, { recursive: true, force: true });
    liveBerths.delete(berth);
  });
  return { berth, stop: await stop };
}

/**
 * Runs a benchmark's `main`: SIGINT/SIGTERM and a failure run every clean-up, and so does the
 * end; the exit code is what `main` returns (1 on a failure, 130 on a signal). `name` prefixes
 * messages. Returns nothing; sets `process.exitCode`.
 */
export function runBench(name: string, main: () => Promise<number>): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      stopping = true;
      process.stderr.write(`${name}: ${sig}; stopping everything it started.\n`);
      void cleanupAll().finally(() => process.exit(130));
    });
  }
  main()
    .then(async (code) => {
      await cleanupAll();
      process.exitCode = code;
    })
    .catch(async (err) => {
      process.stderr.write(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      await cleanupAll();
      process.exitCode = 1;
    });
}

/** After `timeoutS`, runs every clean-up and exits with 2; returns a function that disarms it. */
export function armWatchdog(name: string, timeoutS: number): () => void {
  const watchdog = setTimeout(() => {
    process.stderr.write(`${name}: over the ${timeoutS} s limit; stopping everything.\n`);
    void cleanupAll().finally(() => process.exit(2));
  }, timeoutS * 1000);
  watchdog.unref();
  return () => clearTimeout(watchdog);
}

/** Temporary directories still present, removed synchronously at exit as a last resort. */
const liveTempDirs = new Set<string>();
process.once('exit', () => {
  for (const d of liveTempDirs) rmSync(d, { recursive: true, force: true });
});

/** Makes a temporary directory that every exit path removes; returns its path and a remover. */
export async function managedTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  checkStopping();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  liveTempDirs.add(dir);
  const remove = await registerCleanup(async () => {
    // Kept in liveTempDirs: something still running may write into it again before exit.
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, remove };
}
