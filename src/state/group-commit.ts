/**
 * Group commit for synchronous state changes (API calls, the task agent's writes): the calls that arrive in the same turn of the event
 * loop run one after another inside one IMMEDIATE transaction, each in its own savepoint, and
 * the transaction commits once. Each call is still all-or-nothing (a call that throws rolls back
 * to its savepoint, leaving the others), and no call is answered before the COMMIT that makes it
 * durable has returned, so with synchronous=FULL a batch costs one fsync instead of one per call.
 */
import type { Store } from './index.js';

interface Pending {
  fn: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** Most calls in one transaction; the rest wait for the next one. */
export const MAX_BATCH = 256;

/** Queues synchronous state changes and commits them in batches. */
export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: Store) {}

  /** Runs `fn` in its own savepoint of the next batch; resolves once the batch has committed. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.queue.length === 0) return;
    this.scheduled = true;
    // setImmediate runs after the poll phase, so every request read in this turn joins the batch.
    setImmediate(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const batch = this.queue.splice(0, MAX_BATCH);
    if (batch.length === 1) {
      // Alone: its own transaction is its savepoint.
      const [item] = batch;
      try {
        item.resolve(this.store.transaction(item.fn));
      } catch (error) {
        item.reject(error);
      }
      this.schedule();
      return;
    }
    const db = this.store.db;
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      this.store.transaction(() => {
        for (const item of batch) {
          try {
            outcomes.push({ ok: true, value: db.transaction(item.fn)() });
          } catch (error) {
            outcomes.push({ ok: false, value: error });
          }
          // Some SQLite errors (e.g. SQLITE_FULL) roll back the whole transaction: stop here so
          // no later call runs outside it; the outer COMMIT then fails and the batch is refused.
          if (!db.inTransaction) throw new Error('the transaction was rolled back by SQLite');
        }
      });
    } catch (error) {
      // Nothing in this batch committed: calls that ran are refused, calls that did not run wait
      // for the next batch; when none ran (BEGIN or COMMIT itself failed) the whole batch is refused.
      const ran = outcomes.length;
      if (ran === 0) batch.forEach((item) => item.reject(error));
      batch.slice(0, ran).forEach((item, i) => item.reject(outcomes[i].ok ? error : outcomes[i].value));
      if (ran > 0) this.queue.unshift(...batch.slice(ran));
      this.schedule();
      return;
    }
    batch.forEach((item, i) => (outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].value)));
    this.schedule();
  }
}
