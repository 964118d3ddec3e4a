/**
 * The metric store's maintenance loop (a Runnable for the Manager): every interval it flushes
 * Berth's queued datums, rolls pending cells up one resolution and deletes buckets past their
 * retention, each step bounded per pass so one pass never holds the database for long; a backlog
 * is worked off over the following passes. On stop it flushes once more.
 */
import { every } from '../../reconcile/index.js';
import type { MetricStore, PassResult } from './metric-store.js';

/** Options for {@link MetricSweeper}. */
export interface MetricSweeperOptions {
  /** How often a pass runs, in milliseconds. Default 30 seconds. */
  intervalMs?: number;
  /** The most rows one pass rolls up, and deletes, per resolution. Default 20,000. */
  limitPerPass?: number;
  /** Where a failed pass is reported; the sweeper carries on. Default: stderr. */
  log?: (line: string) => void;
}

/** Runs {@link MetricStore.maintain} periodically. */
export class MetricSweeper {
  private readonly intervalMs: number;
  private readonly limit: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly metrics: MetricStore,
    options: MetricSweeperOptions = {},
  ) {
    if (options.intervalMs !== undefined && !(options.intervalMs > 0)) throw new RangeError(`intervalMs must be positive; got ${options.intervalMs}.`);
    if (options.limitPerPass !== undefined && !(Number.isInteger(options.limitPerPass) && options.limitPerPass > 0)) throw new RangeError(`limitPerPass must be a positive integer; got ${options.limitPerPass}.`);
    this.intervalMs = options.intervalMs ?? 30_000;
    this.limit = options.limitPerPass ?? 20_000;
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /** One bounded pass now. */
  pass(): PassResult {
    try {
      return this.metrics.maintain(this.limit);
    } catch (err) {
      this.log(`cloudwatch metrics maintenance failed: ${(err as Error).message}`);
      return { rolledUp: 0, deleted: 0 };
    }
  }

  /** Passes at start and every interval until `signal` aborts, then flushes. */
  async start(signal: AbortSignal): Promise<void> {
    await every(this.intervalMs, signal, () => this.pass());
    try {
      this.metrics.flush();
    } catch (err) {
      this.log(`cloudwatch metrics flush at stop failed: ${(err as Error).message}`);
    }
  }
}
