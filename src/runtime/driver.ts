/**
 * The driver contract every runtime (process, oci, ...) implements, modelled on Nomad's
 * DriverPlugin. A task controller drives it; it never knows which driver it talks to.
 *
 * Shape of a task's life, as the task controller calls it:
 *
 * ```
 * prepareTask(spec)            -> TaskSandbox     (network: namespace / IP / host ports)
 *   startTask(sandbox, config) -> TaskHandle      (one per container, in dependsOn order)
 *   readLogs(handle, {offset}) -> LogLine...      (awslogs router; resumes from an offset)
 *   waitTask(handle)           -> ExitResult      (essential container exit stops the task)
 *   stopTask(handle, timeoutMs, 'SIGTERM')        (SIGTERM, wait, then SIGKILL)
 *   destroyTask(handle)                            (release the container; idempotent)
 * destroyTaskSandbox(sandbox)                      (release network, ports, task files; idempotent)
 * ```
 *
 * After a Berth restart the controller builds a new driver, then calls
 * {@link Driver.recoverTaskSandbox} and {@link Driver.recoverTask} with the persisted
 * {@link TaskSandbox} and {@link TaskHandle}; both are plain JSON so they can live in the state store.
 *
 * Times inside persisted values (handles, sandboxes) are ISO-8601 strings; times in answers
 * (exit results, states, stats, log lines) are `Date`s.
 */

/** A JSON value: what may be stored in a handle's or sandbox's `driverState`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** ECS network modes. `awsvpc`: one network namespace (and IP) per task, shared by its containers. */
export type NetworkMode = 'awsvpc' | 'bridge' | 'host' | 'none';

/** Transport protocol of a port mapping. */
export type PortProtocol = 'tcp' | 'udp';

/** What a driver reports about itself on this machine (Nomad's Fingerprint). */
export interface Fingerprint {
  /** The driver can run here at all (e.g. the runc binary exists). */
  detected: boolean;
  /** The driver is ready to start tasks now. */
  healthy: boolean;
  /** Why it is not detected or not healthy; a sentence for the operator. */
  reason?: string;
  /**
   * Facts about what the driver can do, as strings, e.g. `driver.process.version`,
   * `os.user` (`root` or a name), `memory.enforcement` (`cgroup` | `rss-watch` | `none`),
   * `cpu.enforcement` (`cgroup` | `none`), `network.modes` (comma-separated {@link NetworkMode}s).
   */
  attributes: Record<string, string>;
}

/** A container port a task wants reachable, from the task definition's `portMappings`. */
export interface PortMapping {
  /** The port the container listens on. */
  containerPort: number;
  /** A fixed host port (bridge/host mode); absent or 0 asks for a dynamic one. */
  hostPort?: number;
  /** Default `tcp`. */
  protocol?: PortProtocol;
}

/** Where a container port is reachable, as ECS reports it in `networkBindings`. */
export interface NetworkBinding {
  containerPort: number;
  hostPort: number;
  protocol: PortProtocol;
  /** The address to connect to (`0.0.0.0` means any host address; awsvpc: the task's IP). */
  bindIP: string;
}

/** The task-level part of a task definition a driver needs to build the task's sandbox. */
export interface TaskSpec {
  /** The task's id (last part of its ARN); unique among live tasks. */
  taskId: string;
  /** The task's network mode; drivers reject modes their fingerprint does not list. */
  networkMode: NetworkMode;
  /** Task-level CPU units (1024 = one vCPU), if set. */
  cpuUnits?: number;
  /** Task-level hard memory limit in bytes, if set. */
  memoryLimitBytes?: number;
  /** Every container's port mappings, so the sandbox can reserve all host ports up front. */
  containers: { name: string; portMappings: PortMapping[] }[];
}

/**
 * What {@link Driver.prepareTask} made for one task: its network and reserved ports. Plain JSON;
 * persisted by the caller and given back for recovery and destruction.
 */
export interface TaskSandbox {
  /** Format version of this record. */
  version: 1;
  /** The driver that made it. */
  driver: string;
  taskId: string;
  networkMode: NetworkMode;
  /**
   * The task's address (ECS `privateIPv4Address` in awsvpc mode); the process driver, which has
   * no network namespace, answers `127.0.0.1`.
   */
  ipv4Address?: string;
  /** The task's MAC address, when it has its own interface. */
  macAddress?: string;
  /** Host ports reserved for each container, by container name (reported as `networkBindings`). */
  networkBindings: Record<string, NetworkBinding[]>;
  /** Directory holding the task's files (logs, driver state); removed by destroyTaskSandbox. */
  dir: string;
  /** Driver-private state needed to recover or destroy (e.g. netns path, bridge veth name). */
  driverState: { [key: string]: JsonValue };
}

/** An `environmentFiles` entry of a container definition. */
export interface EnvironmentFile {
  /** ECS only defines `s3`; Berth reads `value` as a local path when it is not an S3 ARN. */
  type: 's3' | string;
  /** An S3 object ARN (`arn:aws:s3:::bucket/key.env`) or, in Berth, a local file path. */
  value: string;
}

/** One container to start, already resolved by the caller (overrides applied, secrets fetched). */
export interface ContainerConfig {
  /** The container's name, unique within the task. */
  name: string;
  /** The task definition's `image`; how it is read is up to the driver (see runtime/README.md). */
  image: string;
  /** Executable and leading arguments (exec form); `command` is appended as arguments. */
  entryPoint?: string[];
  /** Arguments, or the executable and its arguments when there is no `entryPoint`. */
  command?: string[];
  /** Environment variables, including resolved `secrets`; these win over `environmentFiles`. */
  environment?: Record<string, string>;
  /** Files of `NAME=value` lines, read in order (later files win for the same name). */
  environmentFiles?: EnvironmentFile[];
  /** Working directory of the container's process. */
  workingDirectory?: string;
  /** `user`, `user:group`, `uid`, `uid:gid`, `user:gid` or `uid:group`, as ECS accepts. */
  user?: string;
  /** Hard memory limit in bytes (container `memory`, else the task's); exceeding it kills the container. */
  memoryLimitBytes?: number;
  /** Soft memory limit in bytes (container `memoryReservation`), where the driver supports it. */
  memoryReservationBytes?: number;
  /** CPU units (1024 = one vCPU), where the driver supports it. */
  cpuUnits?: number;
}

/**
 * A started container, as plain JSON: everything a new driver instance needs to find it again
 * after a Berth restart. Persist it as soon as {@link Driver.startTask} returns.
 */
export interface TaskHandle {
  /** Format version of this record. */
  version: 1;
  /** The driver that started it. */
  driver: string;
  taskId: string;
  containerName: string;
  /** When the container's process started (ISO-8601). */
  startedAt: string;
  /** The container's host port bindings (a copy of its sandbox entry). */
  networkBindings: NetworkBinding[];
  /** The container's output file, read with {@link Driver.readLogs}. */
  logPath: string;
  /** Driver-private state: pid and process start time, runc container id, shim pid, ... */
  driverState: { [key: string]: JsonValue };
}

/** How a container ended. */
export interface ExitResult {
  /**
   * The exit code; for a container killed by a signal, 128 + the signal number (137 for
   * SIGKILL), as Docker and ECS report it. Absent when it could not be known.
   */
  exitCode?: number;
  /** The signal that killed it, if any. */
  signal?: NodeJS.Signals;
  /** It was killed for exceeding its memory limit. */
  oomKilled: boolean;
  /** Why it ended, when Berth knows better than the exit code (ECS container `reason`). */
  reason?: string;
  /** When it ended. */
  finishedAt: Date;
}

/** What {@link Driver.inspectTask} sees now. */
export interface TaskState {
  /** `unknown`: the driver cannot find the container at all (e.g. state lost). */
  state: 'running' | 'exited' | 'unknown';
  startedAt?: Date;
  /** Set when `state` is `exited`. */
  exit?: ExitResult;
}

/** A sample of a container's resource use. */
export interface ResourceUsage {
  /** CPU use since the previous sample, in percent of one CPU (200 = two CPUs busy). */
  cpuPercent: number;
  /** The same as ECS CPU units (1024 = one vCPU busy). */
  cpuUnitsUsed: number;
  /** Resident memory of all the container's processes, in bytes. */
  memoryBytes: number;
  /** The enforced memory limit, if any. */
  memoryLimitBytes?: number;
  /** When the sample was taken. */
  at: Date;
}

/** Which output stream a line came from. */
export type OutputStream = 'stdout' | 'stderr';

/** One line of container output. */
export interface LogLine {
  stream: OutputStream;
  /** The line without its newline (long lines are split, see runtime/README.md). */
  text: string;
  /** When the driver captured it. */
  at: Date;
  /** Offset to give {@link ReadLogsOptions.offset} to resume after this line. */
  nextOffset: number;
}

/** Options of {@link Driver.readLogs}. */
export interface ReadLogsOptions {
  /** Resume after this offset (a {@link LogLine.nextOffset}); default 0, the first line. */
  offset?: number;
  /**
   * Keep reading new lines until the container has exited and all its output is read (or
   * `signal` aborts); default false: stop at the current end.
   */
  follow?: boolean;
  /** Ends the iteration (without error) when aborted. */
  signal?: AbortSignal;
}

/** Result of {@link Driver.execTask} (health checks: `CMD` / `CMD-SHELL`). */
export interface ExecResult {
  exitCode: number;
  /** Combined stdout and stderr, truncated to a few KiB. */
  output: string;
  /** It was killed because it ran over its timeout. */
  timedOut: boolean;
}

/**
 * One runtime that runs containers. Every method that takes a handle or sandbox works on a
 * driver instance other than the one that made it (after a restart), once recovered.
 */
export interface Driver {
  /** The driver's name (`process`, `oci`), as in handles and cluster settings. */
  readonly name: string;

  /** Reports whether and how this driver can run tasks on this machine. */
  fingerprint(): Promise<Fingerprint>;

  /**
   * Builds a task's shared environment: its network (awsvpc: a namespace and IP) and host ports
   * for every container's port mappings (from the {@link PortAllocator}). Rejects with a
   * {@link DriverError} (`ResourceInitializationError`) and leaves nothing behind on failure.
   */
  prepareTask(spec: TaskSpec): Promise<TaskSandbox>;

  /** Re-adopts a sandbox after a restart: re-reserves its ports; false if its network is gone. */
  recoverTaskSandbox(sandbox: TaskSandbox): Promise<boolean>;

  /** Releases a sandbox's network, ports and files (including logs); idempotent. */
  destroyTaskSandbox(sandbox: TaskSandbox): Promise<void>;

  /**
   * Starts one container of a prepared task and resolves once its process runs. Rejects with a
   * {@link DriverError} (`CannotStartContainerError`, with ECS's wording in `reason`) when it
   * cannot start, leaving nothing running.
   */
  startTask(sandbox: TaskSandbox, config: ContainerConfig): Promise<TaskHandle>;

  /** Resolves when the container has exited (at once if it already has); rejects when `signal` aborts. */
  waitTask(handle: TaskHandle, signal?: AbortSignal): Promise<ExitResult>;

  /**
   * Sends `signal` (default SIGTERM) to every process of the container, waits up to `timeoutMs`
   * for it to exit, then sends SIGKILL; resolves once it has exited. A no-op for an exited one.
   */
  stopTask(handle: TaskHandle, timeoutMs: number, signal?: NodeJS.Signals): Promise<void>;

  /**
   * Kills whatever is left of the container and releases its driver resources (not its logs,
   * which live until {@link destroyTaskSandbox}); idempotent, also for an unknown handle.
   */
  destroyTask(handle: TaskHandle): Promise<void>;

  /** Tells whether the container runs, has exited (and how), or cannot be found. */
  inspectTask(handle: TaskHandle): Promise<TaskState>;

  /**
   * Re-attaches to a container after a restart (a new driver instance): true if the very process
   * of the handle still runs (a reused pid is not mistaken for it), false if it is gone.
   */
  recoverTask(handle: TaskHandle): Promise<boolean>;

  /** Samples the container's CPU and memory use. Rejects if it is not running. */
  stats(handle: TaskHandle): Promise<ResourceUsage>;

  /**
   * Optional: samples many containers in one go, as cheaply as the driver can (the process
   * driver reads /proc once for all of them, and waits at most once for containers sampled for
   * the first time). One entry per handle, in order: its usage, or the error {@link stats} would
   * have rejected with. Callers without it (or for a driver without it) call {@link stats} per
   * container.
   */
  statsMany?(handles: readonly TaskHandle[]): Promise<(ResourceUsage | Error)[]>;

  /**
   * The container's output from an offset, as lines in capture order. Output is written to a
   * file by something that outlives Berth (see runtime/README.md), so a reader that persists
   * `nextOffset` loses nothing across a restart.
   */
  readLogs(handle: TaskHandle, options?: ReadLogsOptions): AsyncIterable<LogLine>;

  /**
   * Runs a command inside a running container (same environment, user, directory, network),
   * for health checks; kills it after `timeoutMs`.
   */
  execTask(handle: TaskHandle, command: string[], timeoutMs: number): Promise<ExecResult>;
}

/** Failure codes a driver reports, as ECS names them in stopped reasons. */
export type DriverErrorCode =
  | 'CannotStartContainerError'
  | 'CannotPullContainerError'
  | 'ResourceInitializationError'
  | 'CannotStopContainerError'
  | 'CannotInspectContainerError'
  | 'InvalidParameter';

/**
 * A driver call failed in a way a task's status should show. `reason` is the full sentence ECS
 * would put in a container's `reason` / task's `stoppedReason`, starting with the code.
 */
export class DriverError extends Error {
  /** The ECS-style failure code. */
  readonly code: DriverErrorCode;
  /** `"<code>: <detail>"`, ready for a container reason. */
  readonly reason: string;

  constructor(code: DriverErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'DriverError';
    this.code = code;
    this.reason = `${code}: ${detail}`;
  }
}
