/**
 * The supervisor daemon: one long-lived node process per runtime state dir (like containerd's
 * shim, but one for all containers), started detached by the first driver that needs it
 * (client.ts) and reached over `<stateDir>/supervisor/daemon.sock`. It runs every container of
 * that dir (containers.ts), so containers keep running and their exits are recorded while Berth
 * is down or restarting.
 *
 * Usage: `node daemon.js <stateDir> [idleExitMs]`.
 *
 * - Only one daemon per state dir: it first binds an abstract socket named after the dir's real
 *   path; a second daemon fails that bind and exits at once.
 * - Every connection is greeted with the daemon's pid and start time; a client sends
 *   `{id, start}` requests and gets `{id, hello}` answers; every client hears `{exited}` when a
 *   container's exit file has been written.
 * - It exits by itself after `idleExitMs` (default 30 s) with no container and no client, and
 *   kills every container and exits when its state dir is removed (or replaced).
 */
import { rmSync, mkdirSync, chmodSync, statSync } from 'node:fs';
import net from 'node:net';
import { socketAddress, supervisorPaths, type SupervisorPaths } from './address.js';
import { Containers } from './containers.js';
import { readProcStat } from './proc.js';
import { SUPERVISOR_PROTOCOL, type DaemonMessage, type StartRequest } from './types.js';

const DEFAULT_IDLE_EXIT_MS = 30_000;
/** How often the daemon checks that its state dir still exists. */
const DIR_CHECK_MS = 1000;
/** A request line longer than this is refused and the connection closed (a container's config is a few KiB). */
const MAX_REQUEST_BYTES = 16 << 20;

const log = (message: string) => process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${message}\n`);

function main(stateDirArg: string | undefined, idleArg: string | undefined): void {
  if (!stateDirArg) {
    log('usage: daemon.js <stateDir> [idleExitMs]');
    process.exit(2);
  }
  const idleExitMs = idleArg ? Number(idleArg) : DEFAULT_IDLE_EXIT_MS;
  const paths = supervisorPaths(stateDirArg);
  const dirIdentity = identityOf(paths.stateDir)!;
  const election = net.createServer((s) => s.destroy());
  election.once('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EADDRINUSE') {
      log(`another supervisor daemon serves ${paths.stateDir}; exiting`);
      process.exit(0);
    }
    log(`cannot bind the election socket: ${err.message}`);
    process.exit(1);
  });
  election.listen(paths.electionName, () => serve(paths, dirIdentity, idleExitMs, election));
}

/** What tells a directory from another made at the same path later (inode numbers are reused); undefined when it is gone. */
function identityOf(dir: string): string | undefined {
  try {
    const s = statSync(dir);
    return `${s.dev}/${s.ino}/${s.birthtimeMs}`;
  } catch {
    return undefined;
  }
}

/** Runs the daemon once it is the only one for its state dir. */
function serve(paths: SupervisorPaths, dirIdentity: string, idleExitMs: number, election: net.Server): void {
  const clients = new Set<net.Socket>();
  const self = { pid: process.pid, startTicks: readProcStat(process.pid)?.startTicks ?? 0, protocol: SUPERVISOR_PROTOCOL };
  const send = (socket: net.Socket, message: DaemonMessage) => {
    if (!socket.destroyed) socket.write(JSON.stringify(message) + '\n');
  };
  let idleTimer: NodeJS.Timeout | undefined;
  const containers = new Containers({
    exited: (exitPath, exit) => {
      for (const c of clients) send(c, { exited: { exitPath, exit } });
    },
    changed: () => reconsiderIdle(),
    log,
  });
  const server = net.createServer((socket) => {
    clients.add(socket);
    reconsiderIdle();
    socket.on('error', () => {});
    socket.on('close', () => {
      clients.delete(socket);
      reconsiderIdle();
    });
    send(socket, { supervisor: self });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) {
        log('a client sent an over-long request; closing its connection');
        socket.destroy();
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let request: StartRequest;
        try {
          request = JSON.parse(line) as StartRequest;
        } catch {
          log('a client sent a request that is not JSON; closing its connection');
          socket.destroy();
          return;
        }
        if (typeof request.id !== 'number' || typeof request.start !== 'object' || request.start === null) {
          log('a client sent an unknown request; closing its connection');
          socket.destroy();
          return;
        }
        void containers.start(request.start).then((hello) => send(socket, { id: request.id, hello }));
      }
    });
  });

  /** Leaves for good: stops answering (new clients start a new daemon), then exits. */
  const leave = (why: string) => {
    log(why);
    rmSync(paths.socket, { force: true });
    process.exit(0);
  };
  const reconsiderIdle = () => {
    const idle = clients.size === 0 && containers.size === 0;
    if (!idle) {
      clearTimeout(idleTimer);
      idleTimer = undefined;
    } else {
      idleTimer ??= setTimeout(() => leave(`no container and no client for ${idleExitMs} ms; exiting`), idleExitMs);
    }
  };
  const dirCheck = setInterval(() => {
    if (identityOf(paths.stateDir) === dirIdentity) return;
    containers.killAll();
    clearInterval(dirCheck);
    election.close();
    // The socket went with the directory (or belongs to a new one now): do not touch it.
    process.exit(0);
  }, DIR_CHECK_MS);

  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  rmSync(paths.socket, { force: true }); // a dead daemon's; this daemon won the election, so no live one's
  const { address, release } = socketAddress(paths.socket);
  server.once('error', (err) => {
    release();
    log(`cannot listen on ${paths.socket}: ${err.message}`);
    process.exit(1);
  });
  server.listen(address, () => {
    release();
    // From now on a daemon must not die of one container's trouble: every container's pipes would go with it.
    process.on('uncaughtException', (err) => log(`unexpected error: ${err.stack ?? err.message}`));
    log(`supervising containers of ${paths.stateDir} on ${paths.socket}`);
    reconsiderIdle();
  });
}

process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});
main(process.argv[2], process.argv[3]);
