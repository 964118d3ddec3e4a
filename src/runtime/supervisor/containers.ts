/**
 * The containers one supervisor daemon runs: each is started in a new session (setsid) with its
 * uid/gid, environment, directory and argv[0]; its stdout/stderr lines are timestamped into its
 * output file; when its process exits the rest of its session is killed, its output drained
 * (bounded) and how it ended written to its exit file. Memory watches share one timer and the
 * session clean-ups share one pass over /proc, so a container costs the daemon a few KiB and no
 * timer of its own while it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { formatLogLine, LineSplitter } from '../logs.js';
import type { OutputStream } from '../driver.js';
import { writeShimExit } from './exit-file.js';
import { MemoryWatch } from './memory-watch.js';
import { readProcStat, signalSessions } from './proc.js';
import { OOM_REASON, type ShimConfig, type ShimExit, type ShimHello } from './types.js';

/** How long output may still arrive after the container's process exits (from leftover holders of its pipes). */
const DRAIN_AFTER_EXIT_MS = 2000;
/** Exited containers' sessions are swept together at most this often (one pass over /proc for all of them). */
const SESSION_SWEEP_MS = 100;

/** The number on the `oom_kill <n>` line of a cgroup file; 0 when it cannot be read. */
function oomKillCount(file: string): number {
  try {
    return Number(/^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** What the daemon hears from its containers. */
export interface ContainerEvents {
  /** A container's exit file has been written (or could not be: its directory is gone). */
  exited(exitPath: string, exit: ShimExit): void;
  /** The number of running containers changed. */
  changed(): void;
  /** Something worth a line in the daemon's log (never a container's environment). */
  log(message: string): void;
}

/** The running containers of one daemon. */
export class Containers {
  /** Running (or draining) containers by pid; the pid is also their session and process group id. */
  private readonly live = new Map<number, ChildProcess>();
  private readonly memory = new MemoryWatch((pid) => this.live.get(pid)?.emit('oom'));
  private readonly toSweep = new Set<number>();
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(private readonly events: ContainerEvents) {}

  /** How many containers run or are draining. */
  get size(): number {
    return this.live.size;
  }

  /** Starts one container; resolves with its pid and start time, or why it could not start. */
  start(config: ShimConfig): Promise<ShimHello> {
    return new Promise((resolve) => {
      let logFd: number;
      let child: ChildProcess;
      const argv0 = config.argv[0] ?? config.file;
      try {
        logFd = openSync(config.logPath, 'a', 0o640);
      } catch (err) {
        return resolve({ error: `cannot open the output file ${config.logPath}: ${(err as Error).message}` });
      }
      try {
        child = spawn(config.file, config.argv.slice(1), {
          argv0,
          env: config.env,
          cwd: config.cwd,
          uid: config.uid,
          gid: config.gid,
          detached: true, // setsid: the container is a session (and process group) of its own
          stdio: ['ignore', 'pipe', 'pipe'],
        });
      } catch (err) {
        closeSync(logFd);
        // Node's message for a bad argument quotes the value, which may be a secret from the environment.
        const code = (err as NodeJS.ErrnoException).code;
        const detail = code?.startsWith('ERR_INVALID_ARG') ? 'an argument or environment value is not a string without NUL bytes' : (err as Error).message;
        return resolve({ error: `exec: "${argv0}": ${detail}` });
      }
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (child.pid !== undefined) return this.events.log(`container ${child.pid}: ${err.message}`);
        closeSync(logFd);
        resolve({ error: err.code === 'ENOENT' ? `exec: "${argv0}": stat ${argv0}: no such file or directory` : `exec: "${argv0}": ${err.message}` });
      });
      child.once('spawn', () => {
        const pid = child.pid!;
        this.live.set(pid, child);
        this.supervise(child, pid, config, logFd);
        this.events.changed();
        resolve({ pid, startTicks: readProcStat(pid)?.startTicks ?? 0, startedAt: new Date().toISOString() });
      });
    });
  }

  /** SIGKILLs every container's whole session (the daemon is going away for good). */
  killAll(): void {
    for (const pid of this.live.keys()) kill(-pid);
    signalSessions(new Set(this.live.keys()), 'SIGKILL');
  }

  private supervise(child: ChildProcess, pid: number, config: ShimConfig, logFd: number): void {
    let oomKilled = false;
    let exit: ShimExit | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const write = (stream: OutputStream, lines: string[]) => {
      if (lines.length === 0) return;
      const at = new Date();
      try {
        writeSync(logFd, lines.map((l) => formatLogLine(stream, l, at)).join(''));
      } catch (err) {
        this.events.log(`container ${pid}: cannot write ${config.logPath}: ${(err as Error).message}`);
      }
    };
    const capture = (stream: OutputStream, source: NodeJS.ReadableStream | null) => {
      const splitter = new LineSplitter();
      source?.on('data', (chunk: Buffer) => write(stream, splitter.push(chunk)));
      return () => write(stream, splitter.end());
    };
    const flushOut = capture('stdout', child.stdout);
    const flushErr = capture('stderr', child.stderr);

    if (config.memoryLimitBytes && config.memoryCheckIntervalMs) this.memory.add(pid, config.memoryLimitBytes, config.memoryCheckIntervalMs);
    child.on('oom', () => {
      oomKilled = true;
      kill(-pid);
      this.sweep(pid);
    });

    const finish = () => {
      if (!exit || !this.live.has(pid)) return;
      clearTimeout(drainTimer);
      this.live.delete(pid);
      flushOut();
      flushErr();
      closeSync(logFd);
      child.stdout?.destroy();
      child.stderr?.destroy();
      try {
        writeShimExit(config.exitPath, exit);
      } catch (err) {
        this.events.log(`container ${pid}: cannot write ${config.exitPath}: ${(err as Error).message}`);
      }
      this.events.exited(config.exitPath, exit);
      this.events.changed();
    };
    child.once('exit', (code, signal) => {
      this.memory.remove(pid);
      // Like a container whose init exits: whatever the process left behind dies with it. Its
      // process group at once (one syscall); members that left the group with the next sweep.
      kill(-pid);
      this.sweep(pid);
      // The kernel counts an OOM kill before the victim dies, so the count is final by now.
      if (config.oomKillCounter && oomKillCount(config.oomKillCounter) > 0) oomKilled = true;
      const signo = signal ? constants.signals[signal] : undefined;
      exit = {
        exitCode: code ?? (signo !== undefined ? 128 + signo : undefined),
        signal: signal ?? undefined,
        oomKilled,
        reason: oomKilled ? OOM_REASON : undefined,
        finishedAt: new Date().toISOString(),
      };
      drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS);
    });
    child.once('close', finish);
  }

  /** SIGKILLs what is left of this session with the next sweep, one pass over /proc for every session queued by then. */
  private sweep(session: number): void {
    this.toSweep.add(session);
    this.sweepTimer ??= setTimeout(() => {
      this.sweepTimer = undefined;
      const sessions = new Set(this.toSweep);
      this.toSweep.clear();
      signalSessions(sessions, 'SIGKILL');
    }, SESSION_SWEEP_MS);
  }
}

/** SIGKILL to a pid or (negative) process group, ignoring one that has gone. */
function kill(target: number): void {
  try {
    process.kill(target, 'SIGKILL');
  } catch {
    // gone already
  }
}
