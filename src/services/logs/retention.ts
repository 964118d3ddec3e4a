/**
 * Retention: deleting the events a log group no longer keeps. Reads already hide expired events;
 * the sweep frees their space and corrects `storedBytes` and `firstEventTimestamp`. It runs at
 * start, every {@link RetentionSweeperOptions.intervalMs}, and for one group on PutRetentionPolicy.
 */
import { every } from '../../reconcile/index.js';
import type { Store } from '../../state/index.js';
import type { LogsDeps } from './deps.js';
import { retentionCutoff, type GroupRecord } from './records.js';

/** Deletes a group's events older than its retention at `now`; returns how many it deleted. */
export function sweepGroup(deps: Pick<LogsDeps, 'store'>, group: Pick<GroupRecord, 'id' | 'retentionDays'>, now: number): number {
  if (group.retentionDays === null) return 0;
  const cutoff = retentionCutoff(group, now);
  const { store } = deps;
  const expired = store
    .prepare('SELECT stream_id AS streamId, count(*) AS n, sum(bytes) AS bytes FROM logs_events WHERE group_id = ? AND ts < ? GROUP BY stream_id')
    .all(group.id, cutoff) as { streamId: number; n: number; bytes: number }[];
  if (expired.length === 0) return 0;
  store.prepare('DELETE FROM logs_events WHERE group_id = ? AND ts < ?').run(group.id, cutoff);
  let deleted = 0;
  let bytes = 0;
  for (const e of expired) {
    store
      .prepare(
        `UPDATE logs_streams SET stored_bytes = max(0, stored_bytes - ?),
           first_event = (SELECT min(ts) FROM logs_events WHERE stream_id = ?) WHERE id = ?`,
      )
      .run(e.bytes, e.streamId, e.streamId);
    deleted += e.n;
    bytes += e.bytes;
  }
  store.prepare('UPDATE logs_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?').run(bytes, group.id);
  return deleted;
}

/** Sweeps every group that has a retention policy, each in its own transaction; returns how many events it deleted. */
export function sweepAll(store: Store, now: number): number {
  const groups = store.prepare('SELECT id, retention_days AS retentionDays FROM logs_groups WHERE retention_days IS NOT NULL').all() as Pick<
    GroupRecord,
    'id' | 'retentionDays'
  >[];
  let deleted = 0;
  for (const g of groups) deleted += store.transaction(() => sweepGroup({ store }, g, now));
  return deleted;
}

/** Options for {@link RetentionSweeper}. */
export interface RetentionSweeperOptions {
  /** How often the sweep runs, in milliseconds. Default 10 minutes. */
  intervalMs?: number;
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Where a failed sweep is reported; the sweeper carries on. Default: stderr. */
  log?: (line: string) => void;
}

/** The long-running retention sweep (a Runnable for the manager): sweeps at start and then periodically. */
export class RetentionSweeper {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly store: Store,
    options: RetentionSweeperOptions = {},
  ) {
    if (options.intervalMs !== undefined && !(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive; got ${options.intervalMs}.`);
    this.intervalMs = options.intervalMs ?? 10 * 60_000;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /** Sweeps once now; returns how many events were deleted. */
  sweep(): number {
    try {
      return sweepAll(this.store, this.now());
    } catch (err) {
      this.log(`logs retention sweep failed: ${(err as Error).message}`);
      return 0;
    }
  }

  /** Sweeps at start and every interval until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    await every(this.intervalMs, signal, () => this.sweep());
  }
}
