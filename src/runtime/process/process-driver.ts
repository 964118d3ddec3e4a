/**
 * The process driver: every container is a host process tree (its own session and process
 * group) supervised by the state dir's supervisor daemon (`runtime/supervisor/`), which outlives
 * Berth. Works on any Linux with /proc, as any user; see runtime/README.md for what it can and
 * cannot enforce.
 */
import { spawn } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readlinkSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { constants as osConstants, userInfo } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DriverError,
  type ContainerConfig,
  type Driver,
  type ExecResult,
  type ExitResult,
  type Fingerprint,
  type LogLine,
  type NetworkBinding,
  type NetworkMode,
  type PortMapping,
  type ReadLogsOptions,
  type ResourceUsage,
  type TaskHandle,
  type TaskSandbox,
  type TaskSpec,
  type TaskState,
} from '../driver.js';
import { readLogFile } from '../logs.js';
import type { ResolvedRuntimeOptions } from '../options.js';
import { portEnvironment, type PortAllocator } from '../ports.js';
import { resolveCommand } from './command.js';
import { CLOCK_TICKS_PER_SECOND, isAlive, pageSize, processesBySession, readShimExit, signalSession, SupervisorClient, type ProcStat, type ShimConfig } from '../supervisor/index.js';

/** What the process driver needs from Berth. */
export interface ProcessDriverOptions {
  runtime: ResolvedRuntimeOptions;
  /** Host port reservations, shared with every other driver of this Berth. */
  ports: PortAllocator;
}

/** The process driver's part of a {@link TaskHandle}. */
interface ProcessState {
  /** The container's process (its session and process group leader) and its start time. */
  pid: number;
  startTicks: number;
  /** The supervisor daemon running it (its pid and start time). */
  shimPid: number;
  shimStartTicks: number;
  exitPath: string;
  memoryLimitBytes: number | null;
}

const NAME_RE = /^[A-Za-z0-9_-]{1,255}$/;
/** How often `waitTask` looks at the exit file when the daemon cannot tell it (it is gone, or another one runs). */
const WAIT_POLL_MS = 100;
/** While the daemon will report the exit, the exit file is still looked at this often (a safety net). */
const WAIT_RECHECK_MS = 30_000;
const KILL_WAIT_MS = 10_000;
const CPU_SAMPLE_MS = 100;
/** `stats` calls made within this long of each other share one pass over /proc (the agent samples every container in turn). */
const PROC_SNAPSHOT_MS = 50;

/** Every live process, by session, at one moment. */
interface ProcSnapshot {
  at: number;
  bySession: Map<number, ProcStat[]>;
}
let procSnapshot: ProcSnapshot | undefined;
/** Every live process by session, at most {@link PROC_SNAPSHOT_MS} old: a thousand containers' stats cost one pass over /proc, not a thousand. */
function sessionsNow(): ProcSnapshot {
  const now = Date.now();
  if (!procSnapshot || now - procSnapshot.at > PROC_SNAPSHOT_MS) procSnapshot = { at: now, bySession: processesBySession() };
  return procSnapshot;
}
/**
 * A pass taken now, for a batch: a batch reads liveness from the pass, so a container started
 * since the last pass must not be missed. It also serves the `stats` calls of the next 50 ms.
 */
function freshSessions(): ProcSnapshot {
  procSnapshot = { at: Date.now(), bySession: processesBySession() };
  return procSnapshot;
}

/** A container's CPU ticks (all its processes) and resident memory, at one pass over /proc. */
interface CpuReading {
  ticks: number;
  memoryBytes: number;
  at: number;
}
/**
 * Reads a container from a pass; throws a DriverError when it does not run. `checkAlive` reads
 * the leader's /proc entry afresh; without it the pass itself says whether the leader runs (a
 * batch then costs no read per container).
 */
function reading(handle: TaskHandle, snapshot: ProcSnapshot, checkAlive: boolean): CpuReading {
  const s = state(handle);
  const members = snapshot.bySession.get(s.pid) ?? [];
  const alive = checkAlive ? isAlive(s.pid, s.startTicks) : members.some((p) => p.pid === s.pid && p.startTicks === s.startTicks);
  if (!alive) throw new DriverError('CannotInspectContainerError', `container ${handle.containerName} is not running`);
  return {
    ticks: members.reduce((sum, p) => sum + p.cpuTicks, 0),
    memoryBytes: members.reduce((sum, p) => sum + p.rssPages, 0) * pageSize(),
    at: snapshot.at,
  };
}
const EXEC_OUTPUT_LIMIT = 4096;

function state(handle: TaskHandle): ProcessState {
  if (handle.driver !== 'process') throw new DriverError('InvalidParameter', `handle of driver ${handle.driver} given to the process driver`);
  return handle.driverState as unknown as ProcessState;
}

/** Runs each container as a host process; see the module comment. */
export class ProcessDriver implements Driver {
  readonly name = 'process';
  private readonly lastCpu = new Map<string, { ticks: number; at: number }>();
  private readonly supervisor: SupervisorClient;

  constructor(private readonly options: ProcessDriverOptions) {
    this.supervisor = SupervisorClient.for(options.runtime.stateDir);
  }

  async fingerprint(): Promise<Fingerprint> {
    const attributes: Record<string, string> = {
      'driver.process.version': '1',
      'os.user': userInfo().username,
      'user.switching': String(process.getuid?.() === 0),
      'memory.enforcement': 'rss-watch',
      'cpu.enforcement': 'none',
      'network.modes': 'awsvpc,bridge,host,none',
    };
    if (process.platform !== 'linux' || !existsSync('/proc/self/stat')) {
      return { detected: false, healthy: false, reason: 'the process driver needs Linux with /proc mounted', attributes };
    }
    try {
      await mkdir(path.join(this.options.runtime.stateDir, 'tasks'), { recursive: true });
    } catch (err) {
      return { detected: true, healthy: false, reason: `cannot create the state dir ${this.options.runtime.stateDir}: ${(err as Error).message}`, attributes };
    }
    return { detected: true, healthy: true, attributes };
  }

  async prepareTask(spec: TaskSpec): Promise<TaskSandbox> {
    if (!NAME_RE.test(spec.taskId)) throw new DriverError('InvalidParameter', `task id '${spec.taskId}' must be 1-255 letters, digits, hyphens or underscores`);
    const dir = path.join(this.options.runtime.stateDir, 'tasks', spec.taskId);
    const networkBindings: Record<string, NetworkBinding[]> = {};
    try {
      await mkdir(dir, { recursive: true });
      for (const c of spec.containers) {
        if (!NAME_RE.test(c.name)) throw new DriverError('InvalidParameter', `container name '${c.name}' must be 1-255 letters, digits, hyphens or underscores`);
        networkBindings[c.name] = await this.options.ports.reserve(spec.taskId, hostPortRequests(spec.networkMode, c.portMappings));
      }
    } catch (err) {
      this.options.ports.release(spec.taskId);
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
    return { version: 1, driver: this.name, taskId: spec.taskId, networkMode: spec.networkMode, ipv4Address: '127.0.0.1', networkBindings, dir, driverState: {} };
  }

  async recoverTaskSandbox(sandbox: TaskSandbox): Promise<boolean> {
    if (!existsSync(sandbox.dir)) return false;
    this.options.ports.restore(sandbox.taskId, Object.values(sandbox.networkBindings).flat());
    return true;
  }

  async destroyTaskSandbox(sandbox: TaskSandbox): Promise<void> {
    this.options.ports.release(sandbox.taskId);
    await rm(sandbox.dir, { recursive: true, force: true });
  }

  async startTask(sandbox: TaskSandbox, config: ContainerConfig): Promise<TaskHandle> {
    if (!NAME_RE.test(config.name)) throw new DriverError('InvalidParameter', `container name '${config.name}' must be 1-255 letters, digits, hyphens or underscores`);
    const dir = path.join(sandbox.dir, config.name);
    const workDir = path.join(dir, 'work');
    const logPath = path.join(dir, 'output.log');
    const exitPath = path.join(dir, 'exit.json');
    await mkdir(workDir, { recursive: true });
    await rm(exitPath, { force: true });
    const own = sandbox.networkBindings[config.name] ?? [];
    const resolved = resolveCommand(config, portEnvironment(own, Object.values(sandbox.networkBindings).flat()), workDir);
    if (resolved.user) chownSync(workDir, resolved.user.uid, resolved.user.gid);
    const shimConfig: ShimConfig = {
      file: resolved.file,
      argv: resolved.argv,
      env: resolved.env,
      cwd: resolved.cwd,
      uid: resolved.user?.uid,
      gid: resolved.user?.gid,
      logPath,
      exitPath,
      memoryLimitBytes: config.memoryLimitBytes,
      memoryCheckIntervalMs: this.options.runtime.memoryCheckIntervalMs,
    };
    const { hello, supervisor } = await this.supervisor.start(shimConfig);
    if ('error' in hello) throw new DriverError('CannotStartContainerError', hello.error);
    const driverState: ProcessState = {
      pid: hello.pid,
      startTicks: hello.startTicks,
      shimPid: supervisor.pid,
      shimStartTicks: supervisor.startTicks,
      exitPath,
      memoryLimitBytes: config.memoryLimitBytes ?? null,
    };
    return {
      version: 1,
      driver: this.name,
      taskId: sandbox.taskId,
      containerName: config.name,
      startedAt: hello.startedAt,
      networkBindings: own,
      logPath,
      driverState: { ...driverState },
    };
  }

  async waitTask(handle: TaskHandle, signal?: AbortSignal): Promise<ExitResult> {
    const s = state(handle);
    for (;;) {
      signal?.throwIfAborted();
      // Heard from the daemon when it is the one running the container; else the exit file is polled.
      const watch = await this.supervisor.watchExit(s.exitPath, { pid: s.shimPid, startTicks: s.shimStartTicks });
      try {
        const exit = await this.exitOf(handle);
        if (exit) return exit;
        if (watch) {
          const heard = await watch.wait(WAIT_RECHECK_MS, signal);
          if (heard) return heard;
        } else {
          // Reject with the signal's own reason (a TimeoutError for AbortSignal.timeout), not sleep's AbortError.
          await sleep(WAIT_POLL_MS, undefined, { signal }).catch(() => signal?.throwIfAborted());
        }
      } finally {
        watch?.cancel();
      }
    }
  }

  async stopTask(handle: TaskHandle, timeoutMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const s = state(handle);
    if (isAlive(s.pid, s.startTicks)) {
      try {
        process.kill(-s.pid, signal); // the container's process group, as a terminal would
      } catch {
        // exited meanwhile
      }
    }
    try {
      await this.waitTask(handle, AbortSignal.timeout(timeoutMs));
      return;
    } catch (err) {
      if ((err as Error).name !== 'TimeoutError') throw err;
    }
    await this.kill(handle);
  }

  async destroyTask(handle: TaskHandle): Promise<void> {
    await this.kill(handle);
    this.lastCpu.delete(handle.logPath);
  }

  async inspectTask(handle: TaskHandle): Promise<TaskState> {
    const s = state(handle);
    if (!existsSync(path.dirname(s.exitPath))) return { state: 'unknown' };
    const exit = await this.exitOf(handle);
    return exit ? { state: 'exited', startedAt: new Date(handle.startedAt), exit } : { state: 'running', startedAt: new Date(handle.startedAt) };
  }

  async recoverTask(handle: TaskHandle): Promise<boolean> {
    const s = state(handle);
    return isAlive(s.pid, s.startTicks);
  }

  async stats(handle: TaskHandle): Promise<ResourceUsage> {
    let prev: { ticks: number; at: number } | undefined = this.lastCpu.get(handle.logPath);
    if (!prev) {
      prev = reading(handle, sessionsNow(), true);
      await sleep(CPU_SAMPLE_MS);
    }
    return this.usage(handle, prev, reading(handle, sessionsNow(), true));
  }

  /**
   * Every container's usage from one fresh pass over /proc (the pass also tells whether each
   * container's leader runs). Containers sampled for the first time take that pass as their
   * baseline and share one wait of {@link CPU_SAMPLE_MS} and one more pass, however many they are.
   */
  async statsMany(handles: readonly TaskHandle[]): Promise<(ResourceUsage | Error)[]> {
    const read = (snapshot: ProcSnapshot, h: TaskHandle): CpuReading | Error => {
      try {
        return reading(h, snapshot, false);
      } catch (err) {
        return err as Error;
      }
    };
    const pass = freshSessions();
    const now = handles.map((h) => read(pass, h));
    const first = handles.flatMap((h, i) => (now[i] instanceof Error || this.lastCpu.has(h.logPath) ? [] : [i]));
    if (first.length > 0) {
      for (const i of first) {
        const { ticks, at } = now[i] as CpuReading;
        this.lastCpu.set(handles[i].logPath, { ticks, at });
      }
      await sleep(CPU_SAMPLE_MS);
      const later = freshSessions();
      for (const i of first) now[i] = read(later, handles[i]);
    }
    return handles.map((h, i) => {
      const r = now[i];
      return r instanceof Error ? r : this.usage(h, this.lastCpu.get(h.logPath) ?? r, r);
    });
  }

  /** The usage between two readings of a container (CPU over the time between them); the later one becomes the next baseline. */
  private usage(handle: TaskHandle, prev: { ticks: number; at: number }, now: CpuReading): ResourceUsage {
    this.lastCpu.set(handle.logPath, { ticks: now.ticks, at: now.at });
    const seconds = Math.max(now.at - prev.at, 1) / 1000;
    const cpuPercent = Math.max(0, ((now.ticks - prev.ticks) / CLOCK_TICKS_PER_SECOND / seconds) * 100);
    return {
      cpuPercent,
      cpuUnitsUsed: (cpuPercent / 100) * 1024,
      memoryBytes: now.memoryBytes,
      memoryLimitBytes: state(handle).memoryLimitBytes ?? undefined,
      at: new Date(now.at),
    };
  }

  readLogs(handle: TaskHandle, options: ReadLogsOptions = {}): AsyncIterable<LogLine> {
    return readLogFile(handle.logPath, options, async () => (await this.exitOf(handle)) !== undefined);
  }

  async execTask(handle: TaskHandle, command: string[], timeoutMs: number): Promise<ExecResult> {
    const s = state(handle);
    if (!isAlive(s.pid, s.startTicks)) throw new DriverError('CannotInspectContainerError', `container ${handle.containerName} is not running`);
    // The container's own environment, directory and user, read back from /proc (nothing secret is persisted).
    const env = Object.fromEntries(
      readFileSync(`/proc/${s.pid}/environ`, 'utf8').split('\0').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    );
    const cwd = readlinkSync(`/proc/${s.pid}/cwd`);
    const ids = (field: string) => Number(new RegExp(`^${field}:\\s+\\d+\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${s.pid}/status`, 'utf8'))?.[1]);
    return runWithTimeout(command, { env, cwd, uid: ids('Uid'), gid: ids('Gid') }, timeoutMs);
  }

  /** How the container ended, or undefined while it runs (or its supervisor is still draining output). */
  private async exitOf(handle: TaskHandle): Promise<ExitResult | undefined> {
    const s = state(handle);
    const read = () => readShimExit(s.exitPath);
    const exit = await read();
    if (exit || isAlive(s.pid, s.startTicks)) return exit;
    // The container is gone; a live supervisor writes its record once the output is drained, unless its directory went.
    if (isAlive(s.shimPid, s.shimStartTicks) && existsSync(path.dirname(s.exitPath))) return undefined;
    // Both gone: the supervisor may have written the file just now; otherwise its record is lost (supervisor killed).
    return (
      (await read()) ?? {
        oomKilled: false,
        reason: 'CannotInspectContainerError: the container exited while its supervisor was not running; its exit code is unknown',
        finishedAt: new Date(),
      }
    );
  }

  /** SIGKILLs every process of the container and waits until it has exited. */
  private async kill(handle: TaskHandle): Promise<void> {
    const s = state(handle);
    if (isAlive(s.pid, s.startTicks)) signalSession(s.pid, 'SIGKILL');
    try {
      await this.waitTask(handle, AbortSignal.timeout(KILL_WAIT_MS));
    } catch (err) {
      if ((err as Error).name !== 'TimeoutError') throw err;
      throw new DriverError('CannotStopContainerError', `container ${handle.containerName} (pid ${s.pid}) did not exit after SIGKILL`);
    }
  }
}

/**
 * What host ports to ask for without a network namespace: `host` uses the container port itself,
 * `bridge` a fixed `hostPort` if given, `awsvpc` always a dynamic one (its `hostPort` equals the
 * container port, which would make two tasks of one service collide), `none` nothing.
 */
function hostPortRequests(mode: NetworkMode, mappings: readonly PortMapping[]): PortMapping[] {
  switch (mode) {
    case 'none':
      return [];
    case 'host':
      return mappings.map((m) => ({ ...m, hostPort: m.containerPort }));
    case 'awsvpc':
      return mappings.map((m) => ({ ...m, hostPort: undefined }));
    case 'bridge':
      return [...mappings];
  }
}

/** Runs a command in its own process group, killing the group after `timeoutMs`. */
function runWithTimeout(command: string[], options: { env: Record<string, string>; cwd: string; uid: number; gid: number }, timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    if (command.length === 0) return resolve({ exitCode: 127, output: 'no command given', timedOut: false });
    let output = '';
    let timedOut = false;
    const child = spawn(command[0]!, command.slice(1), { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const collect = (c: Buffer) => {
      if (output.length < EXEC_OUTPUT_LIMIT) output = (output + c.toString('utf8')).slice(0, EXEC_OUTPUT_LIMIT);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone
      }
    }, timeoutMs);
    child.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ exitCode: 127, output: err.code === 'ENOENT' ? `exec: "${command[0]}": executable file not found in $PATH` : err.message, timedOut: false });
    });
    child.once('close', (code, sig) => {
      clearTimeout(timer);
      const signo = sig ? osConstants.signals[sig] : undefined;
      resolve({ exitCode: code ?? (signo !== undefined ? 128 + signo : 1), output, timedOut });
    });
  });
}
