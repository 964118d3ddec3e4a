/**
 * The per-container supervisor every driver uses (like Nomad's executor or conmon), run as its
 * own detached node program so it outlives Berth: it starts the container's process in a new
 * session (the process driver: the container itself; the oci driver: `runc run`), timestamps
 * its stdout/stderr into the output file, optionally enforces a memory limit by watching RSS or
 * reads a cgroup's OOM kill counter, and writes how the container ended to the exit file.
 * Berth gives it a {@link ShimConfig} on stdin and reads one {@link ShimHello} line from its
 * stdout (see {@link startShim}).
 */
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeSync, writeFileSync, renameSync, closeSync } from 'node:fs';
import { constants } from 'node:os';
import { formatLogLine, LineSplitter } from '../logs.js';
import { readProcStat, residentBytes, sessionMembers, signalSession } from './proc.js';
import { OOM_REASON, type ShimConfig, type ShimExit, type ShimHello } from './types.js';
import type { OutputStream } from '../driver.js';

/** The number on the `oom_kill <n>` line of a cgroup file; 0 when it cannot be read. */
function oomKillCount(file: string): number {
  try {
    return Number(/^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** How long output may still arrive after the container's process exits (from leftover holders of its pipes). */
const DRAIN_AFTER_EXIT_MS = 2000;

function main(config: ShimConfig): void {
  const logFd = openSync(config.logPath, 'a', 0o640);
  const hello = (h: ShimHello) => {
    process.stdout.on('error', () => {}); // Berth may be gone; nothing else is written there.
    process.stdout.end(JSON.stringify(h) + '\n');
  };
  const child = spawn(config.file, config.argv.slice(1), {
    argv0: config.argv[0],
    env: config.env,
    cwd: config.cwd,
    uid: config.uid,
    gid: config.gid,
    detached: true, // setsid: the container is a session (and process group) of its own
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let spawned = false;
  let oomKilled = false;
  let memoryTimer: NodeJS.Timeout | undefined;
  child.once('error', (err: NodeJS.ErrnoException) => {
    if (spawned) return;
    hello({ error: err.code === 'ENOENT' ? `exec: "${config.argv[0]}": stat ${config.argv[0]}: no such file or directory` : `exec: "${config.argv[0]}": ${err.message}` });
    closeSync(logFd);
    process.exitCode = 0;
  });
  child.once('spawn', () => {
    spawned = true;
    const pid = child.pid!;
    hello({ pid, startTicks: readProcStat(pid)?.startTicks ?? 0, startedAt: new Date().toISOString() });
    const limit = config.memoryLimitBytes;
    if (limit && config.memoryCheckIntervalMs) {
      memoryTimer = setInterval(() => {
        const rss = sessionMembers(pid).reduce((sum, p) => sum + residentBytes(p.pid), 0);
        if (rss > limit) {
          oomKilled = true;
          signalSession(pid, 'SIGKILL');
        }
      }, config.memoryCheckIntervalMs);
    }
  });

  const capture = (stream: OutputStream, source: NodeJS.ReadableStream | null) => {
    const splitter = new LineSplitter();
    const write = (lines: string[]) => {
      if (lines.length === 0) return;
      const at = new Date();
      writeSync(logFd, lines.map((l) => formatLogLine(stream, l, at)).join(''));
    };
    source?.on('data', (chunk: Buffer) => write(splitter.push(chunk)));
    return () => write(splitter.end());
  };
  const flushOut = capture('stdout', child.stdout);
  const flushErr = capture('stderr', child.stderr);

  let exit: ShimExit | undefined;
  const finish = () => {
    if (!exit) return;
    clearInterval(memoryTimer);
    flushOut();
    flushErr();
    closeSync(logFd);
    writeFileSync(config.exitPath + '.tmp', JSON.stringify(exit));
    renameSync(config.exitPath + '.tmp', config.exitPath);
    process.exit(0);
  };
  child.once('exit', (code, signal) => {
    // Like a container whose init exits: whatever the process left behind dies with it.
    signalSession(child.pid!, 'SIGKILL');
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
    setTimeout(finish, DRAIN_AFTER_EXIT_MS).unref();
  });
  child.once('close', finish);
}

process.on('SIGHUP', () => {});
process.on('SIGINT', () => {});
const chunks: Buffer[] = [];
process.stdin.on('data', (c: Buffer) => chunks.push(c));
process.stdin.on('end', () => main(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ShimConfig));
