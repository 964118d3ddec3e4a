/**
 * One Berth per data dir. Two Berths on one data dir would both run its tasks (every container
 * twice, host ports fought over) and interleave their writes, so `startBerth` takes this lock
 * before it opens the store. The lock is a Linux abstract socket named after the data dir's real
 * path: the kernel lets one process hold the name and frees it the moment that process dies, so a
 * kill -9 never leaves a stale lock behind (the supervisor daemon elects itself the same way).
 */
import { createHash } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** A held data-dir lock. */
export interface DataDirLock {
  /** Frees the lock (idempotent). */
  release(): Promise<void>;
}

/** Thrown when another live Berth holds the data dir. */
export class DataDirInUseError extends Error {
  override readonly name = 'DataDirInUseError';
}

/** The abstract socket name that stands for `dataDir` (which must exist). */
export function dataDirLockName(dataDir: string): string {
  const hash = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 32);
  return `\0berth-data-dir-${hash}`;
}

/** Takes the lock of `dataDir`, or rejects with {@link DataDirInUseError} naming the Berth that holds it. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EADDRINUSE') return reject(err);
      reject(new DataDirInUseError(`another Berth is running on the data dir ${dataDir}${holderOf(dataDir)}; stop it first, or give this one another --data-dir`));
    });
    server.listen({ path: dataDirLockName(dataDir) }, () => resolve());
  });
  server.unref();
  let released: Promise<void> | undefined;
  return {
    release: () => (released ??= new Promise<void>((resolve) => server.close(() => resolve()))),
  };
}

/** " (pid N, http://...)" from the endpoint file the running Berth wrote, when it can be read. */
function holderOf(dataDir: string): string {
  try {
    const e = JSON.parse(readFileSync(path.join(dataDir, 'endpoint.json'), 'utf8')) as { endpoint?: string; pid?: number };
    return e.pid ? ` (pid ${e.pid}, ${e.endpoint})` : '';
  } catch {
    return '';
  }
}
