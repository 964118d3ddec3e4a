/** What Berth and the supervisor program (shim.ts) exchange: its configuration, its answer, its exit file. */

/** What Berth tells the shim to run. */
export interface ShimConfig {
  /** The executable to start and its argv (`argv[0]` as the container definition wrote it). */
  file: string;
  argv: string[];
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

/** The shim's one-line answer: the process runs (pid and start time), or why it could not start. */
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
