/**
 * Stopped-task retention. ECS shows a STOPPED task for at least an hour, then it leaves
 * ListTasks and DescribeTasks (which answers MISSING). Berth deletes a STOPPED task once its
 * `stoppedAt` is older than the retention (default 1 hour), and keeps at most `maxPerService`
 * STOPPED tasks of any one service (the newest), so a crash-looping service cannot pile them up.
 * The sweep runs at start and periodically; every query walks an index over STOPPED tasks only
 * (migration 4), so its cost follows the number of tasks it deletes, not the table's size.
 */
import { every } from '../../reconcile/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';

/** ECS's retention of STOPPED tasks: at least one hour. */
export const DEFAULT_STOPPED_TASK_RETENTION_MS = 60 * 60_000;
/** The most STOPPED tasks Berth keeps per service. */
export const DEFAULT_MAX_STOPPED_TASKS_PER_SERVICE = 100;
/** The environment variable that shortens (or lengthens) the retention, in seconds. */
export const RETENTION_ENV = 'BERTH_STOPPED_TASK_RETENTION_SECONDS';

/** The bounds of the sweep. */
export interface StoppedTaskRetention {
  /** A STOPPED task is deleted once its stoppedAt is older than this. */
  retentionMs: number;
  /** At most this many STOPPED tasks are kept per service (the newest by stoppedAt). */
  maxPerService: number;
}

/** The expression the STOPPED-task indexes are built on (schema.ts); queries must use it verbatim. */
const STOPPED_AT = `json_extract(doc, '$.stoppedAt')`;

/**
 * Deletes the STOPPED tasks that fall outside `bounds` at `now` (their tags and any runtime row
 * the agent left with them), in one transaction; returns the deleted task ARNs.
 */
export function purgeStoppedTasks(store: Store, bounds: StoppedTaskRetention, now: number): string[] {
  return store.transaction(() => {
    const cutoff = new Date(now - bounds.retentionMs).toISOString();
    const old = store
      .prepare(`SELECT arn FROM ecs_tasks WHERE last_status = 'STOPPED' AND ${STOPPED_AT} < ?`)
      .pluck()
      .all(cutoff) as string[];
    const crowded = store
      .prepare(
        `SELECT cluster_arn AS clusterArn, service_name AS serviceName FROM ecs_tasks
          WHERE last_status = 'STOPPED' AND service_name IS NOT NULL
          GROUP BY cluster_arn, service_name HAVING count(*) > ?`,
      )
      .all(bounds.maxPerService) as { clusterArn: string; serviceName: string }[];
    const excess = crowded.flatMap(
      (c) =>
        store
          .prepare(
            `SELECT arn FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status = 'STOPPED'
              ORDER BY ${STOPPED_AT} DESC, rowid DESC LIMIT -1 OFFSET ?`,
          )
          .pluck()
          .all(c.clusterArn, c.serviceName, bounds.maxPerService) as string[],
    );
    const arns = [...new Set([...old, ...excess])];
    const tags = new TagStore(store);
    const deleteTask = store.prepare('DELETE FROM ecs_tasks WHERE arn = ?');
    const deleteRuntime = store.prepare('DELETE FROM ecs_task_runtime WHERE task_arn = ?');
    for (const arn of arns) {
      deleteTask.run(arn);
      deleteRuntime.run(arn);
      tags.clear(arn);
    }
    return arns;
  });
}

/** Reads the retention from the environment (`BERTH_STOPPED_TASK_RETENTION_SECONDS`), else ECS's hour. */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): StoppedTaskRetention {
  const raw = env[RETENTION_ENV];
  const seconds = raw === undefined || raw === '' ? undefined : Number(raw);
  if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) {
    throw new RangeError(`${RETENTION_ENV} must be a positive number of seconds; got '${raw}'.`);
  }
  return { retentionMs: seconds === undefined ? DEFAULT_STOPPED_TASK_RETENTION_MS : seconds * 1000, maxPerService: DEFAULT_MAX_STOPPED_TASKS_PER_SERVICE };
}

/** Options of {@link StoppedTaskSweeper}. */
export interface StoppedTaskSweeperOptions {
  bounds?: StoppedTaskRetention;
  /** How often the sweep runs. Default: a tenth of the retention, between 1 s and 1 minute. */
  intervalMs?: number;
  /** The clock in epoch milliseconds. */
  now?: () => number;
  /** Where a failed sweep is reported; the sweeper carries on. Default stderr. */
  log?: (line: string) => void;
}

/** The periodic sweep of old STOPPED tasks: a Runnable for Berth's Manager. */
export class StoppedTaskSweeper {
  readonly bounds: StoppedTaskRetention;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: Store,
    options: StoppedTaskSweeperOptions = {},
  ) {
    this.bounds = options.bounds ?? retentionFromEnv();
    this.intervalMs = options.intervalMs ?? Math.min(60_000, Math.max(1000, this.bounds.retentionMs / 10));
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /** Sweeps once; returns the ARNs of the tasks it deleted. */
  sweep(): string[] {
    try {
      return purgeStoppedTasks(this.store, this.bounds, this.now());
    } catch (err) {
      this.log(`stopped-task retention sweep failed: ${(err as Error).message}`);
      return [];
    }
  }

  /** Sweeps at start and every interval until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    await every(this.intervalMs, signal, () => this.sweep());
  }
}
