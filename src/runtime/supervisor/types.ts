/**
 * What Berth and the supervisor daemon (daemon.ts) exchange: a container's configuration, the
 * daemon's answer, its exit file, and the newline-delimited JSON messages on the daemon's socket.
 */

/** What Berth tells the supervisor to run for one container. */
export interface ShimConfig {
  /** The executable to start and its argv (`argv[0]` as the container definition wrote it). */
  file: string;
  argv: string[];
  /** The container's environment (it may hold secrets: it travels over the socket only, never to disk or a log). */
  env: Record<string, string>;
  cwd: string;
  uid?: number;
  gid?: number;
  /** The output file (runtime log format, appended). */
  logPath: string;
  /** Where the {@link ShimExit} is written (atomically) once the process has ended and its output is drained. */
  exitPath: string;
  /** RSS limit of the process's session, checked every `memoryCheckIntervalMs`: over it, the session is SIGKILLed (oomKilled). */
  memoryLimitBytes?: number;
  memoryCheckIntervalMs?: number;
  /**
   * A cgroup file with an `oom_kill <n>` line (v1 `memory.oom_control`, v2 `memory.events`), read
   * when the process has exited: a non-zero count marks the exit oomKilled. The cgroup must still
   * exist then (the oci driver runs `runc run --keep`).
   */
  oomKillCounter?: string;
}

/** The supervisor's answer to a start: the process runs (pid and start time), or why it could not start. */
export type ShimHello = { pid: number; startTicks: number; startedAt: string } | { error: string };

/** What the exit file holds. */
export interface ShimExit {
  exitCode?: number;
  signal?: NodeJS.Signals;
  oomKilled: boolean;
  reason?: string;
  finishedAt: string;
}

/** The reason ECS gives a container killed for exceeding its memory limit. */
export const OOM_REASON = 'OutOfMemoryError: Container killed due to memory usage';

/** One process for ever: its pid and its start time in clock ticks after boot. */
export interface ProcessIdentity {
  pid: number;
  startTicks: number;
}

/** Version of the socket protocol; a client refuses a daemon that speaks another. */
export const SUPERVISOR_PROTOCOL = 1;

/** Client -> daemon: start one container. */
export interface StartRequest {
  id: number;
  start: ShimConfig;
}

/** Daemon -> client messages, one JSON object per line. */
export type DaemonMessage =
  /** Sent first on every connection: who the daemon is. */
  | { supervisor: ProcessIdentity & { protocol: number } }
  /** The answer to the {@link StartRequest} with the same id. */
  | { id: number; hello: ShimHello }
  /** Sent to every connected client once a container's exit file is written. */
  | { exited: { exitPath: string; exit: ShimExit } };
