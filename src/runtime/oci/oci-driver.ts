/**
 * The oci driver: each container runs under runc from an OCI bundle built from Berth's image
 * store, with its own mount, PID, IPC and UTS namespaces; a task's containers share one network
 * namespace on the Berth bridge (awsvpc, bridge) or the host's (host). See README.md.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ImageNotFoundError, type ImageStore } from '../../images/index.js';
import { DriverError, type ContainerConfig, type Driver, type ExecResult, type ExitResult, type Fingerprint, type LogLine, type ReadLogsOptions, type ResourceUsage, type TaskHandle, type TaskSandbox, type TaskSpec, type TaskState } from '../driver.js';
import { readLogFile } from '../logs.js';
import { readEnvironmentFiles } from '../environment-files.js';
import { portEnvironment, type PortAllocator } from '../ports.js';
import { isAlive, readShimExit, SupervisorClient, type ProcessIdentity } from '../supervisor/index.js';
import { cgroupPath, oomKillCounterPath, removeEmptyCgroupParents, underSharedCgroupLock } from './cgroups.js';
import { containerArgs, containerEnv, containerUser, runtimeSpec } from './bundle.js';
import { run, runQuietly } from './exec.js';
import { createTaskNetwork, destroyTaskNetwork, ensureBridge, IpAllocator, netnsPath, PortProxies, removeBridgeIfUnused, taskNetworkExists, taskNetworkNames, type BridgeConfig } from './network.js';

/** Options of {@link OciDriver}. */
export interface OciDriverOptions {
  /** Where images come from. */
  images: ImageStore;
  /** Host ports shared with the other drivers of this Berth. */
  ports: PortAllocator;
  /** The runtime state dir (`<data dir>/runtime`); the driver uses `<stateDir>/oci`. */
  stateDir: string;
  /** Bridge name and /24 prefix. Default `berth0`, `10.213.0` (10.213.0.0/24). */
  bridge?: Partial<BridgeConfig>;
  /** The runc binary. Default `runc` found on PATH. */
  runc?: string;
}

/** The default task network: bridge `berth0` on 10.213.0.0/24 (bridge .1, tasks .2-.254). */
export const DEFAULT_BRIDGE: BridgeConfig = { name: 'berth0', prefix: '10.213.0' };

const signalName = (n: number) => (Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] as NodeJS.Signals | undefined);
const POLL_MS = 100;
/** While the supervisor daemon will report an exit, the exit file is still looked at this often (a safety net). */
const WAIT_RECHECK_MS = 30_000;

/**
 * The supervised `runc run` process of a handle (the `flock` holding the cgroup lock, or runc)
 * and the supervisor daemon running it. Handles written before the daemon existed named the
 * `runc run` process `shimPid` and had no daemon.
 */
function processesOf(handle: TaskHandle): { runc: ProcessIdentity; daemon?: ProcessIdentity } {
  const d = handle.driverState;
  if (typeof d.pid !== 'number') return { runc: { pid: d.shimPid as number, startTicks: d.shimStartTicks as number } };
  return { runc: { pid: d.pid, startTicks: d.startTicks as number }, daemon: { pid: d.shimPid as number, startTicks: d.shimStartTicks as number } };
}

/** An exit with the signal read from runc's 128+n exit status when the record has none. */
function withSignal(exit: ExitResult): ExitResult {
  const code = exit.exitCode;
  return { ...exit, signal: exit.signal ?? (code !== undefined && code > 128 && code <= 128 + 31 ? signalName(code - 128) : undefined) };
}

/** The runc container id of a task's container. */
function containerIdOf(taskId: string, containerName: string): string {
  return `berth-${createHash('sha256').update(taskId).digest('hex').slice(0, 12)}-${containerName.replace(/[^\w.-]/g, '_')}`;
}

/** The oci driver (runc). */
export class OciDriver implements Driver {
  readonly name = 'oci';
  /** The bridge tasks join. */
  readonly bridge: BridgeConfig;
  private readonly root: string;
  private readonly runc: string;
  private readonly ips: IpAllocator;
  private readonly proxies = new PortProxies();
  private readonly lastCpu = new Map<string, { total: number; at: number }>();
  private readonly supervisor: SupervisorClient;

  constructor(private readonly options: OciDriverOptions) {
    this.supervisor = SupervisorClient.for(options.stateDir);
    this.bridge = { ...DEFAULT_BRIDGE, ...options.bridge };
    this.root = path.join(options.stateDir, 'oci');
    this.runc = options.runc ?? 'runc';
    this.ips = new IpAllocator(path.join(this.root, 'ips', this.bridge.name), this.bridge.prefix);
  }

  async fingerprint(): Promise<Fingerprint> {
    const version = await run(this.runc, ['--version']).catch(() => undefined);
    const attributes: Record<string, string> = { 'os.user': process.getuid?.() === 0 ? 'root' : String(process.getuid?.()), 'network.modes': 'awsvpc,bridge,host,none' };
    if (!version) return { detected: false, healthy: false, reason: `runc was not found (${this.runc}); install runc to use the oci driver`, attributes };
    attributes['driver.oci.version'] = /runc version (\S+)/.exec(version)?.[1] ?? 'unknown';
    const v1 = (c: string) => existsSync(`/sys/fs/cgroup/${c}`) && !existsSync('/sys/fs/cgroup/cgroup.controllers');
    const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    attributes['memory.enforcement'] = v1('memory') || v2 ? 'cgroup' : 'none';
    attributes['cpu.enforcement'] = v1('cpu') || v2 ? 'cgroup' : 'none';
    if (process.getuid?.() !== 0) return { detected: true, healthy: false, reason: 'the oci driver needs Berth to run as root (runc, network namespaces and cgroups need it)', attributes };
    if (!(await run('ip', ['-V']).then(() => true, () => false))) return { detected: true, healthy: false, reason: "the 'ip' command (iproute2) is missing; the oci driver needs it for task networks", attributes };
    return { detected: true, healthy: true, attributes };
  }

  async prepareTask(spec: TaskSpec): Promise<TaskSandbox> {
    const dir = path.join(this.root, 'tasks', spec.taskId);
    const sandbox: TaskSandbox = { version: 1, driver: this.name, taskId: spec.taskId, networkMode: spec.networkMode, networkBindings: {}, dir, driverState: { cpuUnits: spec.cpuUnits ?? null, memoryLimitBytes: spec.memoryLimitBytes ?? null } };
    try {
      await mkdir(dir, { recursive: true });
      if (spec.networkMode === 'awsvpc' || spec.networkMode === 'bridge') {
        await ensureBridge(this.bridge);
        const ip = await this.ips.lease(spec.taskId);
        sandbox.driverState.leasedIp = ip;
        const n = await createTaskNetwork(spec.taskId, this.bridge, ip);
        Object.assign(sandbox.driverState, { netns: n.netns, hostVeth: n.hostVeth });
        sandbox.ipv4Address = n.ipv4Address;
        sandbox.macAddress = n.macAddress;
      }
      for (const c of spec.containers) {
        if (spec.networkMode === 'awsvpc') {
          sandbox.networkBindings[c.name] = c.portMappings.map((m) => ({ containerPort: m.containerPort, hostPort: m.containerPort, protocol: m.protocol ?? 'tcp', bindIP: sandbox.ipv4Address! }));
        } else if (spec.networkMode === 'bridge' || spec.networkMode === 'host') {
          const wanted = c.portMappings.map((m) => (spec.networkMode === 'host' ? { ...m, hostPort: m.containerPort } : m));
          sandbox.networkBindings[c.name] = await this.options.ports.reserve(spec.taskId, wanted);
        }
      }
      if (spec.networkMode === 'bridge') await this.proxies.publish(spec.taskId, sandbox.ipv4Address!, Object.values(sandbox.networkBindings).flat());
      return sandbox;
    } catch (err) {
      await this.destroyTaskSandbox(sandbox);
      throw err instanceof DriverError ? err : new DriverError('ResourceInitializationError', `unable to set up the task network: ${(err as Error).message}`, { cause: err });
    }
  }

  async recoverTaskSandbox(sandbox: TaskSandbox): Promise<boolean> {
    const netns = sandbox.driverState.netns;
    if (typeof netns === 'string' && !(await taskNetworkExists({ netns }))) return false;
    if (sandbox.networkMode !== 'awsvpc') this.options.ports.restore(sandbox.taskId, Object.values(sandbox.networkBindings).flat());
    if (sandbox.networkMode === 'bridge') await this.proxies.publish(sandbox.taskId, sandbox.ipv4Address!, Object.values(sandbox.networkBindings).flat());
    return true;
  }

  async destroyTaskSandbox(sandbox: TaskSandbox): Promise<void> {
    await this.proxies.unpublish(sandbox.taskId);
    if (sandbox.networkMode !== 'awsvpc') this.options.ports.release(sandbox.taskId);
    const { netns, hostVeth, leasedIp } = sandbox.driverState;
    if (typeof netns === 'string' && typeof hostVeth === 'string') await destroyTaskNetwork({ netns, hostVeth });
    if (typeof leasedIp === 'string') await this.ips.release(sandbox.taskId, leasedIp);
    await rm(sandbox.dir, { recursive: true, force: true });
  }

  /** Deletes the bridge if no task uses it (for tests and uninstall); true if it is gone. */
  async removeBridgeIfUnused(): Promise<boolean> {
    if ((await this.ips.leased()).length) return false;
    return removeBridgeIfUnused(this.bridge);
  }

  async startTask(sandbox: TaskSandbox, config: ContainerConfig): Promise<TaskHandle> {
    let image;
    try {
      image = await this.options.images.resolve(config.image);
    } catch (err) {
      if (err instanceof ImageNotFoundError) throw new DriverError('CannotPullContainerError', err.message.replace(/^CannotPullContainerError: /, ''), { cause: err });
      throw err;
    }
    const containerId = containerIdOf(sandbox.taskId, config.name);
    const bundle = path.join(sandbox.dir, 'containers', config.name);
    const rootfs = path.join(bundle, 'rootfs');
    const logPath = path.join(sandbox.dir, `${config.name}.log`);
    const exitPath = path.join(bundle, 'exit.json');
    const cleanup = async () => {
      await runQuietly(this.runc, ['delete', '--force', containerId]);
      await runQuietly('umount', ['-l', rootfs]);
      await rm(bundle, { recursive: true, force: true });
    };
    try {
      const lower = await this.options.images.unpacked(image);
      await rm(bundle, { recursive: true, force: true });
      for (const d of ['rootfs', 'upper', 'work']) await mkdir(path.join(bundle, d), { recursive: true });
      await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${path.join(bundle, 'upper')},workdir=${path.join(bundle, 'work')}`, rootfs]);
      const bindings = sandbox.networkBindings[config.name] ?? [];
      // PORT is the port to listen on inside the container (its first containerPort); BERTH_HOST_PORT_<n> tell the host ports
      const ports = portEnvironment(bindings, Object.values(sandbox.networkBindings).flat());
      if (bindings[0]) ports.PORT = String(bindings[0].containerPort);
      const extra: Record<string, string> = { ...readEnvironmentFiles(config.environmentFiles), ...ports, ...config.environment };
      const taskCpu = sandbox.driverState.cpuUnits as number | null;
      const taskMem = sandbox.driverState.memoryLimitBytes as number | null;
      const netns = sandbox.driverState.netns;
      const spec = runtimeSpec({
        args: containerArgs(image.config, config),
        env: containerEnv(image.config, extra),
        cwd: config.workingDirectory ?? (image.config.WorkingDir || '/'),
        user: containerUser(rootfs, config.user ?? image.config.User),
        hostname: sandbox.taskId.slice(0, 63),
        network: typeof netns === 'string' ? { path: netnsPath(netns) } : sandbox.networkMode === 'host' ? 'host' : 'new',
        cgroupsPath: cgroupPath(containerId),
        memoryLimitBytes: config.memoryLimitBytes ?? taskMem ?? undefined,
        memoryReservationBytes: config.memoryReservationBytes,
        cpuShares: config.cpuUnits ? Math.max(2, config.cpuUnits) : taskCpu ? Math.max(2, taskCpu) : undefined,
        cpuLimit: taskCpu ? taskCpu / 1024 : undefined,
      });
      await writeFile(path.join(bundle, 'config.json'), JSON.stringify(spec, null, 2));
      // --keep: the container (and its cgroup) stays after it exits, so the supervisor can read
      // the cgroup's OOM kill counter; destroyTask deletes it.
      const argv = await underSharedCgroupLock([this.runc, 'run', '--keep', '--bundle', bundle, containerId]);
      const { hello, supervisor } = await this.supervisor.start({
        file: argv[0]!,
        argv,
        env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
        cwd: bundle,
        logPath,
        exitPath,
        oomKillCounter: oomKillCounterPath(containerId),
      });
      if ('error' in hello) throw new DriverError('CannotStartContainerError', hello.error);
      const handle: TaskHandle = {
        version: 1,
        driver: this.name,
        taskId: sandbox.taskId,
        containerName: config.name,
        startedAt: hello.startedAt,
        networkBindings: bindings,
        logPath,
        driverState: { containerId, bundle, exitPath, pid: hello.pid, startTicks: hello.startTicks, shimPid: supervisor.pid, shimStartTicks: supervisor.startTicks },
      };
      await this.awaitStarted(handle);
      return handle;
    } catch (err) {
      await cleanup();
      if (err instanceof DriverError) throw err;
      throw new DriverError('CannotStartContainerError', (err as Error).message, { cause: err });
    }
  }

  /** Resolves once runc reports the container running, or it already exited normally; rejects with runc's error otherwise. */
  private async awaitStarted(handle: TaskHandle): Promise<void> {
    for (let i = 0; i < 300; i++) {
      const exit = await this.readExit(handle);
      if (exit) {
        const log = await readFile(handle.logPath, 'utf8').catch(() => '');
        const failed = /runc run failed: (.*)$/m.exec(log);
        if (failed) {
          const detail = failed[1].replace(/^.*unable to start container process: /, '').replace(/\\"/g, '"').replace(/"$/, '');
          throw new DriverError('CannotStartContainerError', detail);
        }
        return;
      }
      if ((await this.runcState(handle))?.status === 'running') return;
      await sleep(POLL_MS);
    }
    throw new DriverError('CannotStartContainerError', 'runc did not start the container within 30 seconds');
  }

  /** How the container ended, from the supervisor's exit file; the signal is read from runc's 128+n exit status. */
  private async readExit(handle: TaskHandle): Promise<ExitResult | undefined> {
    const exit = await readShimExit(handle.driverState.exitPath as string);
    return exit && withSignal(exit);
  }

  private async runcState(handle: TaskHandle): Promise<{ status: string; pid: number } | undefined> {
    const out = await run(this.runc, ['state', handle.driverState.containerId as string]).catch(() => undefined);
    return out ? (JSON.parse(out) as { status: string; pid: number }) : undefined;
  }

  /** Whether the `runc run` process the supervisor runs (`flock` holding the cgroup lock, or runc) still runs. */
  private runcAlive(handle: TaskHandle): boolean {
    const { runc } = processesOf(handle);
    return isAlive(runc.pid, runc.startTicks);
  }

  async waitTask(handle: TaskHandle, signal?: AbortSignal): Promise<ExitResult> {
    const { daemon } = processesOf(handle);
    for (;;) {
      signal?.throwIfAborted();
      // Heard from the daemon when it is the one running the container; else the exit file is polled.
      const watch = daemon && (await this.supervisor.watchExit(handle.driverState.exitPath as string, daemon));
      try {
        const exit = await this.readExit(handle);
        if (exit) return exit;
        if (!this.runcAlive(handle) && !(daemon && isAlive(daemon.pid, daemon.startTicks) && existsSync(path.dirname(handle.driverState.exitPath as string)))) {
          // runc has exited and its supervisor is gone (or cannot write the record), which may have written the exit file just before
          for (let i = 0; i < 50; i++) {
            const late = await this.readExit(handle);
            if (late) return late;
            await sleep(POLL_MS, undefined, { signal });
          }
          return { oomKilled: false, reason: 'the container supervisor died; exit code unknown', finishedAt: new Date() };
        }
        if (watch) {
          const heard = await watch.wait(WAIT_RECHECK_MS, signal);
          if (heard) return withSignal(heard);
        } else await sleep(POLL_MS, undefined, { signal });
      } finally {
        watch?.cancel();
      }
    }
  }

  async stopTask(handle: TaskHandle, timeoutMs: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if ((await this.readExit(handle)) || !this.runcAlive(handle)) return;
    const id = handle.driverState.containerId as string;
    await runQuietly(this.runc, ['kill', id, signal]);
    const deadline = AbortSignal.timeout(Math.max(0, timeoutMs));
    await this.waitTask(handle, deadline).catch(() => undefined);
    if ((await this.readExit(handle)) || !this.runcAlive(handle)) return;
    await runQuietly(this.runc, ['kill', '--all', id, 'KILL']);
    await this.waitTask(handle, AbortSignal.timeout(30_000)).catch(() => undefined);
  }

  async destroyTask(handle: TaskHandle): Promise<void> {
    const id = handle.driverState.containerId as string;
    const bundle = handle.driverState.bundle as string;
    if (!(await this.readExit(handle)) && this.runcAlive(handle)) {
      await runQuietly(this.runc, ['kill', '--all', id, 'KILL']);
      await this.waitTask(handle, AbortSignal.timeout(10_000)).catch(() => undefined);
    }
    await runQuietly(this.runc, ['delete', '--force', id]);
    await runQuietly('umount', ['-l', path.join(bundle, 'rootfs')]);
    await rm(bundle, { recursive: true, force: true });
    this.lastCpu.delete(id);
    await removeEmptyCgroupParents();
  }

  /**
   * Removes everything this driver's state dir accounts for, whatever state it is in: every runc
   * container whose bundle lies under it, every mount under it, every task network and address
   * lease, the task directories, then the bridge and the `/berth` cgroup parents if unused. For
   * tests (an `after()` hook that must leave nothing behind even when a test failed) and uninstall.
   */
  async removeAll(): Promise<void> {
    const listed = await run(this.runc, ['list', '--format', 'json']).catch(() => 'null');
    const containers = (JSON.parse(listed || 'null') as { id: string; bundle: string }[] | null) ?? [];
    for (const c of containers) if (c.bundle.startsWith(this.root + path.sep)) await runQuietly(this.runc, ['delete', '--force', c.id]);
    const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4]?.replace(/\\040/g, ' ')).filter((m): m is string => !!m && m.startsWith(this.root + path.sep));
    for (const m of mounts.reverse()) await runQuietly('umount', ['-l', m]);
    const taskIds = new Set(await readdir(path.join(this.root, 'tasks')).catch(() => [] as string[]));
    for (const ip of await this.ips.leased()) {
      const taskId = await this.ips.holder(ip);
      if (taskId) {
        taskIds.add(taskId);
        await this.ips.release(taskId, ip);
      }
    }
    for (const taskId of taskIds) {
      await this.proxies.unpublish(taskId);
      this.options.ports.release(taskId);
      await destroyTaskNetwork(taskNetworkNames(taskId));
      await rm(path.join(this.root, 'tasks', taskId), { recursive: true, force: true });
    }
    await this.removeBridgeIfUnused();
    await removeEmptyCgroupParents();
  }

  async inspectTask(handle: TaskHandle): Promise<TaskState> {
    const exit = await this.readExit(handle);
    if (exit) return { state: 'exited', startedAt: new Date(handle.startedAt), exit };
    if (this.runcAlive(handle)) return { state: 'running', startedAt: new Date(handle.startedAt) };
    return { state: 'unknown' };
  }

  async recoverTask(handle: TaskHandle): Promise<boolean> {
    return !(await this.readExit(handle)) && this.runcAlive(handle) && (await this.runcState(handle)) !== undefined;
  }

  async stats(handle: TaskHandle): Promise<ResourceUsage> {
    const id = handle.driverState.containerId as string;
    const out = await run(this.runc, ['events', '--stats', id]).catch((err) => {
      throw new DriverError('CannotInspectContainerError', `container ${handle.containerName} is not running: ${(err as Error).message}`);
    });
    const data = (JSON.parse(out) as { data: { cpu?: { usage?: { total?: number } }; memory?: { usage?: { usage?: number; limit?: number } } } }).data;
    const total = data.cpu?.usage?.total ?? 0;
    const now = Date.now();
    const prev = this.lastCpu.get(id) ?? { total: 0, at: Date.parse(handle.startedAt) };
    this.lastCpu.set(id, { total, at: now });
    const cpuPercent = now > prev.at ? ((total - prev.total) / 1e6 / (now - prev.at)) * 100 : 0;
    const limit = data.memory?.usage?.limit;
    return {
      cpuPercent: Math.max(0, cpuPercent),
      cpuUnitsUsed: Math.max(0, (cpuPercent / 100) * 1024),
      memoryBytes: data.memory?.usage?.usage ?? 0,
      memoryLimitBytes: limit && limit < 2 ** 62 ? limit : undefined,
      at: new Date(now),
    };
  }

  readLogs(handle: TaskHandle, options: ReadLogsOptions = {}): AsyncIterable<LogLine> {
    return readLogFile(handle.logPath, options, async () => (await this.readExit(handle)) !== undefined || !this.runcAlive(handle));
  }

  async execTask(handle: TaskHandle, command: string[], timeoutMs: number): Promise<ExecResult> {
    return new Promise((resolve) => {
      const child = spawn(this.runc, ['exec', handle.driverState.containerId as string, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const add = (c: Buffer) => {
        if (output.length < 4096) output = (output + c.toString('utf8')).slice(0, 4096);
      };
      child.stdout.on('data', add);
      child.stderr.on('data', add);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('error', (err) => {
        clearTimeout(timer);
        resolve({ exitCode: 126, output: err.message, timedOut: false });
      });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        resolve({ exitCode: code ?? 128 + (sig === 'SIGKILL' ? 9 : 15), output, timedOut });
      });
    });
  }
}
