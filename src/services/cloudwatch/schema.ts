/**
 * CloudWatch metric tables. A series is one (namespace, metric name, sorted dimensions, unit).
 * `cw_buckets` holds one statistic set plus percentile sketch per series, resolution (1, 60, 300,
 * 3600 s) and bucket start; `cw_pending` holds, per bucket, what has not yet been rolled up into
 * the next resolution (see metric-store.ts for why reads add it in). Both are WITHOUT ROWID
 * tables keyed by (series, resolution, start): one b-tree instead of a table and a key index.
 * Version 2 adds the metric alarms (`cw_alarms`: configuration as wire-shaped JSON, state, tags,
 * when the evaluation loop next looks at it) and their history (`cw_alarm_history`).
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
  {
    version: 2,
    name: 'metric alarms and alarm history',
    up: `
      CREATE TABLE cw_alarms (
        name TEXT PRIMARY KEY, arn TEXT NOT NULL, config TEXT NOT NULL,
        namespace TEXT, metric_name TEXT, dimensions TEXT,
        state TEXT NOT NULL, state_reason TEXT NOT NULL, state_reason_data TEXT,
        state_updated INTEGER NOT NULL, state_transitioned INTEGER NOT NULL, config_updated INTEGER NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]', next_due INTEGER NOT NULL DEFAULT 0);
      CREATE INDEX cw_alarms_metric ON cw_alarms (namespace, metric_name);
      CREATE INDEX cw_alarms_due ON cw_alarms (next_due);
      CREATE TABLE cw_alarm_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT, alarm_name TEXT NOT NULL, ts INTEGER NOT NULL,
        item_type TEXT NOT NULL, summary TEXT NOT NULL, data TEXT NOT NULL);
      CREATE INDEX cw_alarm_history_ts ON cw_alarm_history (ts);
      CREATE INDEX cw_alarm_history_alarm ON cw_alarm_history (alarm_name, ts);
    `,
  },
];
