/**
 * What the task agent persists per task in `ecs_task_runtime`: the driver it chose, the task's
 * sandbox and every container's handle (written as soon as the driver returns them, so a kill -9
 * never loses a running container), and why a container could not start.
 */
import type { TaskHandle, TaskSandbox } from '../runtime/index.js';
import type { Store } from '../state/index.js';

/** One task's runtime state. */
export interface TaskRuntimeState {
  taskArn: string;
  /** The driver that runs the task (`process`, `oci`). */
  driver: string;
  /** The task's sandbox, once prepared. */
  sandbox?: TaskSandbox;
  /** Why the sandbox could not be prepared (`ResourceInitializationError: ...`). */
  sandboxError?: string;
  /** Handles of started containers, by container name. */
  handles: Record<string, TaskHandle>;
  /** Why a container could not start, by container name (its ECS `reason`). */
  failures: Record<string, string>;
  /** Facts found on recovery, by container name (e.g. it exited while Berth was down). */
  notes: Record<string, string>;
  /** How far each container's output has been shipped to CloudWatch Logs (driver log offsets). */
  logOffsets: Record<string, number>;
}

interface Row {
  task_arn: string;
  driver: string;
  sandbox: string | null;
  sandbox_error: string | null;
  handles: string;
  failures: string;
  notes: string;
  log_offsets: string;
}

function fromRow(r: Row): TaskRuntimeState {
  return {
    taskArn: r.task_arn,
    driver: r.driver,
    sandbox: r.sandbox === null ? undefined : (JSON.parse(r.sandbox) as TaskSandbox),
    sandboxError: r.sandbox_error ?? undefined,
    handles: JSON.parse(r.handles) as Record<string, TaskHandle>,
    failures: JSON.parse(r.failures) as Record<string, string>,
    notes: JSON.parse(r.notes) as Record<string, string>,
    logOffsets: JSON.parse(r.log_offsets) as Record<string, number>,
  };
}

/** Reads a task's runtime state; undefined when the agent never touched the task. */
export function loadRuntimeState(store: Store, taskArn: string): TaskRuntimeState | undefined {
  const r = store.prepare('SELECT * FROM ecs_task_runtime WHERE task_arn = ?').get(taskArn) as Row | undefined;
  return r && fromRow(r);
}

/** Every runtime state of a task that is not STOPPED. */
export function liveRuntimeStates(store: Store): TaskRuntimeState[] {
  const rows = store
    .prepare(`SELECT r.* FROM ecs_task_runtime r JOIN ecs_tasks t ON t.arn = r.task_arn WHERE t.last_status != 'STOPPED' ORDER BY t.created_at, t.rowid`)
    .all() as Row[];
  return rows.map(fromRow);
}

/** Writes a task's runtime state (insert or replace). */
export function saveRuntimeState(store: Store, s: TaskRuntimeState): void {
  store
    .prepare(
      `INSERT INTO ecs_task_runtime (task_arn, driver, sandbox, sandbox_error, handles, failures, notes, log_offsets)
       VALUES (@taskArn, @driver, @sandbox, @sandboxError, @handles, @failures, @notes, @logOffsets)
       ON CONFLICT(task_arn) DO UPDATE SET driver = excluded.driver, sandbox = excluded.sandbox, sandbox_error = excluded.sandbox_error,
         handles = excluded.handles, failures = excluded.failures, notes = excluded.notes, log_offsets = excluded.log_offsets`,
    )
    .run({
      taskArn: s.taskArn,
      driver: s.driver,
      sandbox: s.sandbox ? JSON.stringify(s.sandbox) : null,
      sandboxError: s.sandboxError ?? null,
      handles: JSON.stringify(s.handles),
      failures: JSON.stringify(s.failures),
      notes: JSON.stringify(s.notes),
      logOffsets: JSON.stringify(s.logOffsets),
    });
}

/** Records how far a container's output has been shipped. */
export function saveLogOffset(store: Store, taskArn: string, container: string, offset: number): void {
  store.prepare(`UPDATE ecs_task_runtime SET log_offsets = json_set(log_offsets, '$.' || json_quote(?), ?) WHERE task_arn = ?`).run(container, offset, taskArn);
}

/** Forgets a task's runtime state (once everything it held is released). */
export function deleteRuntimeState(store: Store, taskArn: string): void {
  store.prepare('DELETE FROM ecs_task_runtime WHERE task_arn = ?').run(taskArn);
}
