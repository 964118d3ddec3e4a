/**
 * The metric store: statistic sets and percentile sketches per series per bucket, kept at four
 * resolutions with CloudWatch's retention (1 s for 3 hours, 60 s for 15 days, 300 s for 63 days,
 * 3600 s for 455 days), in SQLite.
 *
 * Writes land at the finest resolution the datum has (1 s for StorageResolution 1 within the last
 * 3 hours, 60 s otherwise), both in `cw_buckets` and in `cw_pending`. The roll-up pass (on a timer,
 * bounded per pass) moves pending cells one resolution up: it merges them into the coarser
 * bucket and its pending row, then drops them. Because statistic sets and sketches add up, a
 * bucket can be rolled up before it is complete and late data (up to two weeks back) just makes
 * the bucket pending again; a read at resolution R adds the pending cells of finer resolutions to
 * R's buckets, so it is exact whether or not the roll-up has run. The retention pass deletes
 * buckets past their resolution's retention once nothing of them is pending.
 *
 * Berth's own producers call {@link MetricStore.put}: datums are aggregated in memory per bucket
 * and written in one transaction per flush (every second, or when the queue is half full); the
 * queue is bounded and counts what it drops. PutMetricData writes inside its own API transaction
 * with {@link MetricStore.write} (the API server already commits concurrent calls together).
 */
import type { Store } from '../../state/index.js';
import { canonicalDimensions, copyCell, mergeCell, statisticSetCell, valueCell, type Cell, type Dimension, type SeriesKey } from './series.js';
import { decodeSketch, encodeSketch } from './sketch.js';
import { parseStat, statValue, type Stat } from './stats.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** One resolution's bucket size and how long its buckets are kept. */
export interface Resolution {
  /** Bucket size in seconds. */
  seconds: number;
  /** How long buckets are kept, in milliseconds. */
  retentionMs: number;
}

/** CloudWatch's resolutions, finest first. */
export const RESOLUTIONS: readonly Resolution[] = [
  { seconds: 1, retentionMs: 3 * HOUR },
  { seconds: 60, retentionMs: 15 * DAY },
  { seconds: 300, retentionMs: 63 * DAY },
  { seconds: 3600, retentionMs: 455 * DAY },
];

/** A datum as Berth's producers and PutMetricData give it (AWS's MetricDatum, in camelCase). */
export interface Datum {
  metricName: string;
  dimensions?: Dimension[];
  /** Epoch milliseconds or a Date; default now. */
  timestamp?: number | Date;
  value?: number;
  values?: number[];
  counts?: number[];
  statisticValues?: { sampleCount: number; sum: number; minimum: number; maximum: number };
  /** An AWS StandardUnit; default `None`. */
  unit?: string;
  /** 1 (high resolution) or 60 (default). */
  storageResolution?: number;
}

/** What {@link MetricStore.query} takes. */
export interface MetricQuery {
  namespace: string;
  metricName: string;
  dimensions?: Dimension[];
  /** SampleCount, Sum, Average, Minimum, Maximum or pNN(.NN). */
  stat: string;
  periodSeconds: number;
  /** Inclusive, epoch milliseconds or Date. */
  start: number | Date;
  /** Exclusive, epoch milliseconds or Date. */
  end: number | Date;
  /** Only series stored with this unit; default every unit. */
  unit?: string;
}

/** One period of aggregated statistics. */
export interface PeriodCell {
  /** Period start, epoch milliseconds. */
  timestamp: number;
  cell: Cell;
  /** The unit of the series that contributed (the first one when several). */
  unit: string;
}

/** A stored series. */
export interface SeriesRecord extends SeriesKey {
  id: number;
  lastPut: number;
}

/** Options for {@link MetricStore}. */
export interface MetricStoreOptions {
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** How long {@link MetricStore.put} holds datums before writing them. Default 1000 ms. */
  flushIntervalMs?: number;
  /** The most buckets the put queue holds; datums for further buckets are dropped and counted. Default 100,000. */
  maxQueuedBuckets?: number;
  /** Where a failed flush is reported. Default: stderr. */
  log?: (line: string) => void;
}

/** What a maintenance pass did. */
export interface PassResult {
  /** Pending cells rolled up one resolution. */
  rolledUp: number;
  /** Buckets (and series) deleted past retention. */
  deleted: number;
}

interface Row {
  ts: number;
  n: number;
  sum: number;
  min: number;
  max: number;
  sketch: Uint8Array | null;
}

interface QueuedCell {
  namespace: string;
  datum: Datum;
  res: number;
  ts: number;
  cell: Cell;
  dimensions: string;
  unit: string;
}

/** The bucket start (seconds) of `ms` at resolution `res`. */
const bucketOf = (ms: number, res: number) => Math.floor(ms / 1000 / res) * res;
const toMs = (t: number | Date) => (typeof t === 'number' ? t : t.getTime());

/** The finest resolution a datum is stored at, given its age. */
export function writeResolution(storageResolution: number | undefined, timestampMs: number, now: number): number {
  return storageResolution === 1 && timestampMs > now - RESOLUTIONS[0].retentionMs ? 1 : 60;
}

/**
 * The resolution a read with `periodSeconds` starting at `startMs` uses: 1 s for periods under a
 * minute; otherwise the finest resolution that divides the period and still keeps `startMs`
 * (the coarsest dividing one when none does). A period no coarser resolution divides (75 s: only
 * the alarm engine's scaled periods, the API refuses it) reads 1 s buckets while they are kept.
 */
export function readResolution(periodSeconds: number, startMs: number, now: number): number {
  if (periodSeconds < 60) return 1;
  const dividing = RESOLUTIONS.filter((r) => r.seconds >= 60 && periodSeconds % r.seconds === 0);
  if (dividing.length === 0) return startMs >= now - RESOLUTIONS[0].retentionMs ? 1 : 60;
  return (dividing.find((r) => startMs >= now - r.retentionMs) ?? dividing[dividing.length - 1]).seconds;
}

/** The cell a datum contributes (after PutMetricData's validation: exactly one of value, values, statisticValues). */
export function datumCell(d: Datum): Cell | undefined {
  if (d.statisticValues) return statisticSetCell(d.statisticValues);
  if (d.values) {
    let cell: Cell | undefined;
    d.values.forEach((v, i) => {
      const count = d.counts?.[i] ?? 1;
      if (!(count > 0)) return;
      const c = valueCell(v, count);
      cell = cell ? mergeCell(cell, c) : c;
    });
    return cell;
  }
  if (d.value !== undefined) return valueCell(d.value);
  return undefined;
}

/** Statistic sets and sketches per series per bucket, with roll-up and retention. */
export class MetricStore {
  private readonly now: () => number;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;
  private readonly log: (line: string) => void;
  private queue = new Map<string, QueuedCell>();
  private timer: NodeJS.Timeout | undefined;
  private dropped = 0;

  constructor(
    private readonly store: Store,
    options: MetricStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.maxQueued = options.maxQueuedBuckets ?? 100_000;
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /**
   * Queues Berth's own datums for the next batched write (visible to {@link query} at once, to the
   * API within a second). Producers keep to PutMetricData's rules; a datum whose value is not
   * finite is dropped and counted.
   */
  put(namespace: string, datums: readonly Datum[]): void {
    const now = this.now();
    for (const d of datums) {
      const cell = datumCell(d);
      if (!cell) continue;
      const at = d.timestamp === undefined ? now : toMs(d.timestamp);
      // A producer's NaN (a division by a zero sample count) must not poison the bucket.
      if (!Number.isFinite(cell.sum) || !Number.isFinite(at)) {
        this.dropped++;
        continue;
      }
      const res = writeResolution(d.storageResolution, at, now);
      const ts = bucketOf(at, res);
      const dimensions = canonicalDimensions(d.dimensions);
      const unit = d.unit ?? 'None';
      const key = JSON.stringify([namespace, d.metricName, dimensions, unit, res, ts]);
      const queued = this.queue.get(key);
      if (queued) mergeCell(queued.cell, cell);
      else if (this.queue.size >= this.maxQueued) this.dropped++;
      else this.queue.set(key, { namespace, datum: d, res, ts, cell, dimensions, unit });
    }
    if (this.queue.size >= this.maxQueued / 2) this.flush();
    else if (!this.timer && this.queue.size > 0) {
      this.timer = setTimeout(() => this.flush(), this.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** How many datums {@link put} dropped (queue full, value not finite, failed flush). */
  droppedDatums(): number {
    return this.dropped;
  }

  /** Writes what {@link put} queued, in one transaction. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.size === 0) return;
    const batch = [...this.queue.values()];
    this.queue = new Map();
    const now = this.now();
    try {
      this.store.transaction(() => {
        const ids = new Map<string, number>();
        for (const q of batch) this.writeCell({ namespace: q.namespace, metricName: q.datum.metricName, dimensions: q.dimensions, unit: q.unit }, q.res, q.ts, q.cell, now, ids);
      });
    } catch (err) {
      this.dropped += batch.length;
      this.log(`cloudwatch metrics flush failed (${batch.length} buckets dropped): ${(err as Error).message}`);
    }
  }

  /** Writes datums now, in the caller's transaction (PutMetricData). */
  write(namespace: string, datums: readonly Datum[]): void {
    const now = this.now();
    // Aggregate first so that a call with many datums for one bucket costs one row write.
    const cells = new Map<string, { key: SeriesKey; res: number; ts: number; cell: Cell }>();
    for (const d of datums) {
      const cell = datumCell(d);
      if (!cell) continue;
      const at = d.timestamp === undefined ? now : toMs(d.timestamp);
      const res = writeResolution(d.storageResolution, at, now);
      const ts = bucketOf(at, res);
      const key: SeriesKey = { namespace, metricName: d.metricName, dimensions: canonicalDimensions(d.dimensions), unit: d.unit ?? 'None' };
      const k = JSON.stringify([key.metricName, key.dimensions, key.unit, res, ts]);
      const had = cells.get(k);
      if (had) mergeCell(had.cell, cell);
      else cells.set(k, { key, res, ts, cell });
    }
    const ids = new Map<string, number>();
    for (const c of cells.values()) this.writeCell(c.key, c.res, c.ts, c.cell, now, ids);
  }

  /**
   * The series' id, created when new, its last_put moved to `now`. `ids` remembers it for the rest
   * of one write: a call of 1,000 datums over a few series then costs one upsert per series, not
   * one per bucket (the upsert was an eighth of PutMetricData's CPU in bench:metrics).
   */
  private seriesId(key: SeriesKey, now: number, ids: Map<string, number>): number {
    const k = JSON.stringify([key.namespace, key.metricName, key.dimensions, key.unit]);
    const known = ids.get(k);
    if (known !== undefined) return known;
    const id = this.store
      .prepare(
        `INSERT INTO cw_series (namespace, metric_name, dimensions, unit, last_put) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (namespace, metric_name, dimensions, unit) DO UPDATE SET last_put = max(last_put, excluded.last_put) RETURNING id`,
      )
      .pluck()
      .get(key.namespace, key.metricName, key.dimensions, key.unit, now) as number;
    ids.set(k, id);
    return id;
  }

  private writeCell(key: SeriesKey, res: number, ts: number, cell: Cell, now: number, ids: Map<string, number>): void {
    const id = this.seriesId(key, now, ids);
    this.mergeRow('cw_buckets', id, res, ts, cell);
    this.mergeRow('cw_pending', id, res, ts, cell);
  }

  /** Adds `cell` into the row (table, series, res, ts), creating it when absent. */
  private mergeRow(table: 'cw_buckets' | 'cw_pending', id: number, res: number, ts: number, cell: Cell): void {
    const row = this.store.prepare(`SELECT ts, n, sum, min, max, sketch FROM ${table} WHERE series_id = ? AND res = ? AND ts = ?`).get(id, res, ts) as Row | undefined;
    const merged = row ? mergeCell(rowCell(row), cell) : cell;
    this.store
      .prepare(`INSERT OR REPLACE INTO ${table} (series_id, res, ts, n, sum, min, max, sketch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(id, res, ts, merged.n, merged.sum, merged.min, merged.max, merged.sketch ? encodeSketch(merged.sketch) : null);
  }

  /** Series of `namespace`/`metricName` with exactly `dimensions` (and `unit`, when given). */
  matchingSeries(namespace: string, metricName: string, dimensions: readonly Dimension[] = [], unit?: string): SeriesRecord[] {
    const dims = canonicalDimensions(dimensions);
    const rows = this.store
      .prepare(
        `SELECT id, namespace, metric_name AS metricName, dimensions, unit, last_put AS lastPut FROM cw_series
         WHERE namespace = ? AND metric_name = ? AND dimensions = ? ORDER BY id`,
      )
      .all(namespace, metricName, dims) as SeriesRecord[];
    return unit === undefined ? rows : rows.filter((r) => r.unit === unit);
  }

  /**
   * Up to `limit` series put since `since` (epoch ms) in (namespace, name, dimensions, unit) order,
   * optionally of one namespace and metric name, after the (namespace, name, dimensions) `after`.
   */
  listSeries(filter: { namespace?: string; metricName?: string; since: number; after?: [string, string, string]; limit: number }): SeriesRecord[] {
    const [ns, name, dims] = filter.after ?? ['', '', ''];
    return this.store
      .prepare(
        `SELECT id, namespace, metric_name AS metricName, dimensions, unit, last_put AS lastPut FROM cw_series
         WHERE last_put >= ? AND (? IS NULL OR namespace = ?) AND (? IS NULL OR metric_name = ?)
           AND (namespace, metric_name, dimensions) > (?, ?, ?)
         ORDER BY namespace, metric_name, dimensions, unit LIMIT ?`,
      )
      .all(filter.since, filter.namespace ?? null, filter.namespace ?? null, filter.metricName ?? null, filter.metricName ?? null, ns, name, dims, filter.limit) as SeriesRecord[];
  }

  /**
   * The statistics of `series` per period of `periodSeconds` from `startMs` (inclusive) to `endMs`
   * (exclusive), ascending, only periods with data. A bucket counts in the period its start falls in.
   * With `sketches: false` the cells carry no sketch (no percentiles), which reads faster.
   */
  periods(series: readonly SeriesRecord[], periodSeconds: number, startMs: number, endMs: number, options: { sketches?: boolean } = {}): PeriodCell[] {
    // Decoding sketches is most of a read's cost; reads without percentiles skip it (their cells' sketch is null).
    const sketch = options.sketches === false ? 'NULL AS sketch' : 'sketch';
    const res = readResolution(periodSeconds, startMs, this.now());
    const from = Math.floor(startMs / 1000);
    const to = Math.ceil(endMs / 1000);
    const out = new Map<number, PeriodCell>();
    const add = (row: Row, unit: string) => {
      const p = from + Math.floor((row.ts - from) / periodSeconds) * periodSeconds;
      const had = out.get(p);
      if (had) mergeCell(had.cell, rowCell(row));
      else out.set(p, { timestamp: p * 1000, cell: rowCell(row), unit });
    };
    for (const s of series) {
      for (const row of this.store.prepare(`SELECT ts, n, sum, min, max, ${sketch} FROM cw_buckets WHERE series_id = ? AND res = ? AND ts >= ? AND ts < ?`).iterate(s.id, res, from, to) as Iterable<Row>) add(row, s.unit);
      // What finer resolutions hold that has not been rolled up to `res` yet.
      for (const finer of RESOLUTIONS.filter((r) => r.seconds < res)) {
        for (const row of this.store.prepare(`SELECT ts, n, sum, min, max, ${sketch} FROM cw_pending WHERE series_id = ? AND res = ? AND ts >= ? AND ts < ?`).iterate(s.id, finer.seconds, from, to) as Iterable<Row>) add(row, s.unit);
      }
    }
    return [...out.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  /**
   * The internal query API (alarms, auto scaling): one statistic of one metric per period,
   * ascending, periods without data left out. Flushes {@link put}'s queue first. Throws a
   * RangeError for an unknown statistic or a period that is not positive.
   */
  query(q: MetricQuery): { timestamps: number[]; values: number[] } {
    const stat = parseStat(q.stat);
    if (!stat) throw new RangeError(`Unknown statistic ${q.stat}: use SampleCount, Sum, Average, Minimum, Maximum or pNN.`);
    if (!(q.periodSeconds > 0) || !Number.isInteger(q.periodSeconds)) throw new RangeError(`periodSeconds must be a positive integer; got ${q.periodSeconds}.`);
    this.flush();
    const series = this.matchingSeries(q.namespace, q.metricName, q.dimensions, q.unit);
    return this.statSeries(series, stat, q.periodSeconds, toMs(q.start), toMs(q.end));
  }

  /** One statistic per period of `series`, ascending (used by query and GetMetricData). */
  statSeries(series: readonly SeriesRecord[], stat: Stat, periodSeconds: number, startMs: number, endMs: number): { timestamps: number[]; values: number[] } {
    const timestamps: number[] = [];
    const values: number[] = [];
    for (const p of this.periods(series, periodSeconds, startMs, endMs, { sketches: stat.kind === 'percentile' })) {
      const v = statValue(p.cell, stat);
      if (v === undefined) continue;
      timestamps.push(p.timestamp);
      values.push(v);
    }
    return { timestamps, values };
  }

  /**
   * Rolls up to `limit` pending cells per resolution one resolution up (oldest first), each
   * resolution in its own transaction; returns how many it rolled.
   */
  rollUp(limit: number): number {
    const nowSec = Math.floor(this.now() / 1000);
    let rolled = 0;
    for (let i = 0; i < RESOLUTIONS.length - 1; i++) {
      const res = RESOLUTIONS[i].seconds;
      const parent = RESOLUTIONS[i + 1].seconds;
      rolled += this.store.transaction(() => {
        // Only buckets that have ended: a bucket still filling would be rolled again and again.
        const rows = this.store
          .prepare('SELECT series_id AS id, ts, n, sum, min, max, sketch FROM cw_pending WHERE res = ? AND ts <= ? ORDER BY ts LIMIT ?')
          .all(res, nowSec - res, limit) as (Row & { id: number })[];
        const merged = new Map<string, { id: number; ts: number; cell: Cell }>();
        for (const r of rows) {
          const ts = Math.floor(r.ts / parent) * parent;
          const k = `${r.id}/${ts}`;
          const had = merged.get(k);
          if (had) mergeCell(had.cell, rowCell(r));
          else merged.set(k, { id: r.id, ts, cell: rowCell(r) });
        }
        for (const m of merged.values()) {
          this.mergeRow('cw_buckets', m.id, parent, m.ts, copyCell(m.cell));
          // The coarsest resolution has nothing to roll into: its cells are never pending.
          if (i + 1 < RESOLUTIONS.length - 1) this.mergeRow('cw_pending', m.id, parent, m.ts, m.cell);
        }
        const del = this.store.prepare('DELETE FROM cw_pending WHERE series_id = ? AND res = ? AND ts = ?');
        for (const r of rows) del.run(r.id, res, r.ts);
        return rows.length;
      });
    }
    return rolled;
  }

  /**
   * Deletes up to `limit` buckets per resolution past its retention (only those with nothing
   * pending, so no data is lost before it is rolled up), then up to `limit` series with no
   * buckets left; returns how many rows it deleted.
   */
  expire(limit: number): number {
    const now = this.now();
    let deleted = 0;
    for (const r of RESOLUTIONS) {
      const cutoff = Math.floor((now - r.retentionMs) / 1000);
      deleted += this.store.transaction(
        () =>
          this.store
            .prepare(
              `DELETE FROM cw_buckets WHERE (series_id, res, ts) IN (
                 SELECT b.series_id, b.res, b.ts FROM cw_buckets b WHERE b.res = ? AND b.ts <= ?
                   AND NOT EXISTS (SELECT 1 FROM cw_pending p WHERE p.series_id = b.series_id AND p.res = b.res AND p.ts = b.ts)
                 ORDER BY b.ts LIMIT ?)`,
            )
            // A bucket goes once its end (ts + res) is past the retention.
            .run(r.seconds, cutoff - r.seconds, limit).changes,
      );
    }
    const oldest = now - RESOLUTIONS[RESOLUTIONS.length - 1].retentionMs;
    deleted += this.store.transaction(
      () =>
        this.store
          .prepare(
            `DELETE FROM cw_series WHERE id IN (
               SELECT s.id FROM cw_series s WHERE s.last_put < ?
                 AND NOT EXISTS (SELECT 1 FROM cw_buckets b WHERE b.series_id = s.id)
                 AND NOT EXISTS (SELECT 1 FROM cw_pending p WHERE p.series_id = s.id) LIMIT ?)`,
          )
          .run(oldest, limit).changes,
    );
    return deleted;
  }

  /** One maintenance pass: flush, roll up, expire (each bounded by `limit` rows per resolution). */
  maintain(limit: number): PassResult {
    this.flush();
    return { rolledUp: this.rollUp(limit), deleted: this.expire(limit) };
  }
}

/** A stored row as a cell. */
function rowCell(row: Row): Cell {
  return { n: row.n, sum: row.sum, min: row.min, max: row.max, sketch: row.sketch ? decodeSketch(row.sketch) : null };
}

