/**
 * Where the supervisor daemon of one runtime state dir lives: its directory, socket and log, the
 * abstract socket name it holds to be the only daemon of that dir, and how to reach a socket
 * whose path is longer than a Unix socket address allows.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, realpathSync } from 'node:fs';
import path from 'node:path';

/** The files and names of one state dir's supervisor daemon. */
export interface SupervisorPaths {
  /** The runtime state dir, resolved through symlinks (one dir, one daemon, whatever path names it). */
  stateDir: string;
  /** `<stateDir>/supervisor`, mode 0700: only Berth's user may reach the socket in it. */
  dir: string;
  /** The daemon's socket, `<dir>/daemon.sock`. */
  socket: string;
  /** The daemon's own log (its stdout and stderr), `<dir>/daemon.log`. Never holds a container's environment. */
  log: string;
  /**
   * A Linux abstract socket name derived from the state dir's real path. The daemon binds it
   * first: the kernel lets one process hold it and frees it when that process dies, so it elects
   * exactly one daemon per state dir with no stale lock to clean up after a kill -9.
   */
  electionName: string;
}

/** The paths of the daemon serving `stateDir` (which must exist). */
export function supervisorPaths(stateDir: string): SupervisorPaths {
  const real = realpathSync(stateDir);
  const dir = path.join(real, 'supervisor');
  const hash = createHash('sha256').update(real).digest('hex').slice(0, 32);
  return { stateDir: real, dir, socket: path.join(dir, 'daemon.sock'), log: path.join(dir, 'daemon.log'), electionName: `\0berth-supervisor-${hash}` };
}

/** Longest socket path passed to bind/connect as it is (sun_path holds 108 bytes with its NUL; leave room). */
const MAX_DIRECT_SOCKET_PATH = 100;

/**
 * Calls `use` with an address for the socket at `socketPath` and returns a function to call once
 * the bind or connect has happened. A path too long for a Unix socket address (deep temp dirs) is
 * reached through an open descriptor of its directory, `/proc/self/fd/<n>/<name>`, which is
 * short and resolves to the same file; the descriptor is closed by the returned function.
 */
export function socketAddress(socketPath: string): { address: string; release: () => void } {
  if (Buffer.byteLength(socketPath) <= MAX_DIRECT_SOCKET_PATH) return { address: socketPath, release: () => {} };
  const fd = openSync(path.dirname(socketPath), 'r');
  let open = true;
  return {
    address: `/proc/self/fd/${fd}/${path.basename(socketPath)}`,
    release: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}
