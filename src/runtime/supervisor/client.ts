/**
 * Berth's side of the supervisor daemon (daemon.ts): connects to the daemon of a state dir,
 * starting it (detached, own session, output to its log) when none answers; asks it to start
 * containers; and hears about exits, so that waiting for a thousand containers costs no polling.
 * One client per state dir per Berth process, shared by its drivers ({@link SupervisorClient.for}).
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError, type ExitResult } from '../driver.js';
import { socketAddress, supervisorPaths, type SupervisorPaths } from './address.js';
import { toExitResult } from './exit-file.js';
import { isAlive } from './proc.js';
import { SUPERVISOR_PROTOCOL, type DaemonMessage, type ProcessIdentity, type ShimConfig, type ShimHello, type StartRequest } from './types.js';

const DAEMON_PATH = fileURLToPath(new URL('./daemon.js', import.meta.url));
/** How long a started daemon may take to answer on its socket. */
const DAEMON_START_TIMEOUT_MS = 15_000;
/** How long the daemon may take to answer a start request. */
const START_TIMEOUT_MS = 30_000;
/** How many daemons one connection attempt starts at most (each one that lost the election or failed, one more). */
const MAX_DAEMON_SPAWNS = 5;
/** After a failed attempt to reach a daemon without starting one, wait this long before trying again. */
const RECONNECT_BACKOFF_MS = 1000;

/** A container the daemon started (or why it could not), and which daemon supervises it. */
export interface StartedContainer {
  hello: ShimHello;
  supervisor: ProcessIdentity;
}

/** A registered interest in one container's exit; see {@link SupervisorClient.watchExit}. */
export interface ExitWatch {
  /**
   * Resolves with the exit when the daemon reports it; with undefined when `timeoutMs` passes or
   * the connection is lost (look at the exit file then); rejects with the signal's reason when aborted.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<ExitResult | undefined>;
  /** Forgets the watch (call it when done, whatever happened). */
  cancel(): void;
}

interface Connection {
  socket: net.Socket;
  supervisor: ProcessIdentity;
  pending: Map<number, { resolve: (h: ShimHello) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
  watchers: Map<string, Set<(exit: ExitResult | undefined) => void>>;
}

/** Options of {@link SupervisorClient}. */
export interface SupervisorClientOptions {
  /** How long a daemon it starts waits with no container and no client before exiting (default the daemon's, 30 s). */
  idleExitMs?: number;
}

/** Talks to the supervisor daemon of one state dir; see the module comment. */
export class SupervisorClient {
  private static readonly shared = new Map<string, SupervisorClient>();
  private connection: Connection | undefined;
  private connecting: Promise<Connection | undefined> | undefined;
  private lastFailedAttempt = 0;
  private nextId = 1;
  private paths: SupervisorPaths | undefined;

  /** The client of this process for `stateDir` (drivers of one Berth share it). */
  static for(stateDir: string): SupervisorClient {
    let c = SupervisorClient.shared.get(stateDir);
    if (!c) SupervisorClient.shared.set(stateDir, (c = new SupervisorClient(stateDir)));
    return c;
  }

  constructor(
    private readonly stateDir: string,
    private readonly options: SupervisorClientOptions = {},
  ) {}

  /** The daemon this client is connected to now, if any. */
  get supervisor(): ProcessIdentity | undefined {
    return this.connection?.supervisor;
  }

  /** Where the daemon's files are (the state dir must exist). */
  get daemonPaths(): SupervisorPaths {
    return (this.paths ??= supervisorPaths(this.stateDir));
  }

  /**
   * Asks the daemon (started if none runs) to start a container. Rejects with a
   * `CannotStartContainerError` when the daemon cannot be reached or does not answer.
   */
  async start(config: ShimConfig): Promise<StartedContainer> {
    let conn = await this.connect(true);
    // Lost just now (the daemon left after its idle time, or was killed and its close is not read
    // yet): a request written to a dead daemon would fail, so connect afresh (starting one).
    if (conn && !conn.socket.destroyed && !isAlive(conn.supervisor.pid, conn.supervisor.startTicks)) {
      conn.socket.destroy();
      if (this.connection === conn) this.connection = undefined;
    }
    if (conn?.socket.destroyed) conn = await this.connect(true);
    if (!conn || conn.socket.destroyed) throw new DriverError('CannotStartContainerError', `the container supervisor daemon could not be reached; see ${this.daemonPaths.log}`);
    const id = this.nextId++;
    const hello = await new Promise<ShimHello>((resolve, reject) => {
      const timer = setTimeout(() => {
        conn.pending.delete(id);
        this.updateRef(conn);
        reject(new DriverError('CannotStartContainerError', `the container supervisor daemon did not answer within ${START_TIMEOUT_MS} ms; see ${this.daemonPaths.log}`));
      }, START_TIMEOUT_MS);
      conn.pending.set(id, { resolve, reject, timer });
      this.updateRef(conn);
      const request: StartRequest = { id, start: config };
      conn.socket.write(JSON.stringify(request) + '\n');
    });
    return { hello, supervisor: conn.supervisor };
  }

  /**
   * Registers interest in the exit of the container whose exit file is `exitPath`, if the daemon
   * `supervisor` runs it and this client is (or can get, without starting a daemon) connected to
   * it; undefined otherwise (the caller polls the exit file). Register first, then look at the
   * exit file, then wait: an exit in between is not missed.
   */
  async watchExit(exitPath: string, supervisor: ProcessIdentity): Promise<ExitWatch | undefined> {
    const conn = await this.connect(false).catch(() => undefined);
    if (!conn || conn.socket.destroyed || conn.supervisor.pid !== supervisor.pid || conn.supervisor.startTicks !== supervisor.startTicks) return undefined;
    let notify!: (exit: ExitResult | undefined) => void;
    const heard = new Promise<ExitResult | undefined>((resolve) => (notify = resolve));
    let set = conn.watchers.get(exitPath);
    if (!set) conn.watchers.set(exitPath, (set = new Set()));
    set.add(notify);
    this.updateRef(conn);
    const cancel = () => {
      const s = conn.watchers.get(exitPath);
      if (s?.delete(notify) && s.size === 0) conn.watchers.delete(exitPath);
      this.updateRef(conn);
    };
    return {
      cancel,
      wait: (timeoutMs, signal) =>
        new Promise<ExitResult | undefined>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason);
          const onAbort = () => done(() => reject(signal!.reason));
          const timer = setTimeout(() => done(() => resolve(undefined)), timeoutMs);
          const done = (fn: () => void) => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            fn();
          };
          signal?.addEventListener('abort', onAbort, { once: true });
          void heard.then((exit) => done(() => resolve(exit)));
        }),
    };
  }

  /** Closes the connection (the daemon keeps running); for tests and shutdown. */
  close(): void {
    this.connection?.socket.destroy();
  }

  /** The connection, made if needed; with `startDaemon`, a daemon is started when none answers. */
  private connect(startDaemon: boolean): Promise<Connection | undefined> {
    if (this.connection) return Promise.resolve(this.connection);
    if (!startDaemon && Date.now() - this.lastFailedAttempt < RECONNECT_BACKOFF_MS) return Promise.resolve(undefined);
    const attempt = (this.connecting ??= this.establish(startDaemon).finally(() => (this.connecting = undefined)));
    // A connection attempt made without starting a daemon does not serve a caller that needs one.
    return attempt.then((c) => c ?? (startDaemon ? this.connect(true) : undefined));
  }

  private async establish(startDaemon: boolean): Promise<Connection | undefined> {
    let paths: SupervisorPaths;
    try {
      if (startDaemon) mkdirSync(this.stateDir, { recursive: true });
      paths = this.daemonPaths;
    } catch (err) {
      if (!startDaemon) return this.failed();
      throw new DriverError('CannotStartContainerError', `cannot create the runtime state dir ${this.stateDir}: ${(err as Error).message}`, { cause: err });
    }
    const first = await this.tryConnect(paths).catch(() => undefined);
    if (first) return this.adopt(first);
    if (!startDaemon) return this.failed();
    // None answers: start one, and keep trying until one does. If two Berths race, both daemons
    // run for a moment, one wins the election, the other exits; whoever started a loser starts
    // again only if no daemon answers after its own exited.
    const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
    let spawned = 0;
    let running = false;
    for (let delay = 10; Date.now() < deadline; delay = Math.min(delay * 2, 200)) {
      if (!running && spawned < MAX_DAEMON_SPAWNS) {
        spawned++;
        running = true;
        void this.spawnDaemon(paths).then(() => (running = false));
      }
      await sleep(delay);
      const c = await this.tryConnect(paths).catch(() => undefined);
      if (c) return this.adopt(c);
    }
    throw new DriverError('CannotStartContainerError', `the container supervisor daemon did not start within ${DAEMON_START_TIMEOUT_MS} ms; see ${paths.log}`);
  }

  private failed(): undefined {
    this.lastFailedAttempt = Date.now();
    return undefined;
  }

  /** Starts a daemon detached (its own session, stdio to its log, cwd `/`); resolves when it exits. */
  private spawnDaemon(paths: SupervisorPaths): Promise<void> {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const logFd = openSync(paths.log, 'a', 0o600);
    try {
      const args = [DAEMON_PATH, paths.stateDir, ...(this.options.idleExitMs !== undefined ? [String(this.options.idleExitMs)] : [])];
      const child = spawn(process.execPath, args, {
        detached: true,
        stdio: ['ignore', logFd, logFd],
        cwd: '/',
        // Nothing of Berth's environment (which may hold credentials) but PATH, which runc and flock are found on.
        env: { PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      });
      child.unref();
      return new Promise((resolve) => {
        child.once('error', () => resolve());
        child.once('exit', () => resolve());
      });
    } finally {
      closeSync(logFd);
    }
  }

  /** Connects to the socket and reads the daemon's greeting. */
  private tryConnect(paths: SupervisorPaths): Promise<{ socket: net.Socket; supervisor: ProcessIdentity; rest: string }> {
    return new Promise((resolve, reject) => {
      const { address, release } = socketAddress(paths.socket);
      const socket = net.connect(address);
      let buffered = '';
      const fail = (err: Error) => {
        release();
        socket.destroy();
        reject(err);
      };
      socket.setEncoding('utf8');
      socket.once('connect', release);
      socket.on('error', fail);
      socket.on('close', () => fail(new Error('the supervisor daemon closed the connection before greeting')));
      socket.on('data', (chunk: string) => {
        buffered += chunk;
        const nl = buffered.indexOf('\n');
        if (nl < 0) return;
        socket.removeAllListeners('data');
        socket.removeAllListeners('close');
        socket.removeAllListeners('error');
        let greeting: DaemonMessage | undefined;
        try {
          greeting = JSON.parse(buffered.slice(0, nl)) as DaemonMessage;
        } catch {
          greeting = undefined;
        }
        if (!greeting || !('supervisor' in greeting) || greeting.supervisor.protocol !== SUPERVISOR_PROTOCOL) {
          return fail(new Error(`the supervisor daemon speaks another protocol (${buffered.slice(0, nl)})`));
        }
        resolve({ socket, supervisor: { pid: greeting.supervisor.pid, startTicks: greeting.supervisor.startTicks }, rest: buffered.slice(nl + 1) });
      });
    });
  }

  private adopt({ socket, supervisor, rest }: { socket: net.Socket; supervisor: ProcessIdentity; rest: string }): Connection {
    const conn: Connection = { socket, supervisor, pending: new Map(), watchers: new Map() };
    this.connection = conn;
    let buffered = rest;
    const onData = (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        let message: DaemonMessage;
        try {
          message = JSON.parse(buffered.slice(0, nl)) as DaemonMessage;
        } catch {
          socket.destroy(); // not the daemon's protocol: what waits on it falls back to the files
          return;
        }
        buffered = buffered.slice(nl + 1);
        if ('hello' in message) {
          const p = conn.pending.get(message.id);
          if (!p) continue;
          conn.pending.delete(message.id);
          clearTimeout(p.timer);
          p.resolve(message.hello);
        } else if ('exited' in message) {
          const set = conn.watchers.get(message.exited.exitPath);
          if (!set) continue;
          conn.watchers.delete(message.exited.exitPath);
          const exit = toExitResult(message.exited.exit);
          for (const notify of set) notify(exit);
        }
      }
      this.updateRef(conn);
    };
    socket.on('data', onData);
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.connection === conn) this.connection = undefined;
      for (const p of conn.pending.values()) {
        clearTimeout(p.timer);
        p.reject(new DriverError('CannotStartContainerError', `the container supervisor daemon closed the connection; see ${this.daemonPaths.log}`));
      }
      conn.pending.clear();
      // Watchers learn nothing more from this daemon: they look at the exit files instead.
      for (const set of conn.watchers.values()) for (const notify of set) notify(undefined);
      conn.watchers.clear();
    });
    if (buffered.includes('\n')) onData('');
    this.updateRef(conn);
    return conn;
  }

  /** The connection keeps this process alive only while something waits on it. */
  private updateRef(conn: Connection): void {
    if (conn.pending.size > 0 || conn.watchers.size > 0) conn.socket.ref();
    else conn.socket.unref();
  }
}
