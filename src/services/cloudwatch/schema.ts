/**
 * CloudWatch metric tables. A series is one (namespace, metric name, sorted dimensions, unit).
 * `cw_buckets` holds one statistic set plus percentile sketch per series, resolution (1, 60, 300,
 * 3600 s) and bucket start; `cw_pending` holds, per bucket, what has not yet been rolled up into
 * the next resolution (see metric-store.ts for why reads add it in). Both are WITHOUT ROWID
 * tables keyed by (series, resolution, start): one b-tree instead of a table and a key index.
 */
import type { Migration } from '../../state/index.js';

/** The cloudwatch component's migrations, in order. */
export const cloudwatchMigrations: Migration[] = [
  {
    version: 1,
    name: 'metric series, buckets per resolution, pending rollups',
    up: `
      CREATE TABLE cw_series (
        id INTEGER PRIMARY KEY, namespace TEXT NOT NULL, metric_name TEXT NOT NULL,
        dimensions TEXT NOT NULL, unit TEXT NOT NULL, last_put INTEGER NOT NULL,
        UNIQUE (namespace, metric_name, dimensions, unit));
      CREATE INDEX cw_series_last_put ON cw_series (last_put);
      CREATE TABLE cw_buckets (
        series_id INTEGER NOT NULL REFERENCES cw_series (id) ON DELETE CASCADE,
        res INTEGER NOT NULL, ts INTEGER NOT NULL,
        n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sketch BLOB,
        PRIMARY KEY (series_id, res, ts)) WITHOUT ROWID;
      CREATE INDEX cw_buckets_age ON cw_buckets (res, ts);
      CREATE TABLE cw_pending (
        series_id INTEGER NOT NULL REFERENCES cw_series (id) ON DELETE CASCADE,
        res INTEGER NOT NULL, ts INTEGER NOT NULL,
        n REAL NOT NULL, sum REAL NOT NULL, min REAL NOT NULL, max REAL NOT NULL, sketch BLOB,
        PRIMARY KEY (series_id, res, ts)) WITHOUT ROWID;
      CREATE INDEX cw_pending_age ON cw_pending (res, ts);
    `,
  },
];
