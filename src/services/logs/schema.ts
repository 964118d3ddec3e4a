/**
 * CloudWatch Logs tables. Groups and streams are rows with integer ids; events are rows keyed by
 * an ever-growing id and indexed by (stream, timestamp) for GetLogEvents and by (group,
 * timestamp) for FilterLogEvents and the retention sweep. Deleting a group or stream cascades.
 */
import type { Migration } from '../../state/index.js';

/** The logs component's migrations, in order. */
export const logsMigrations: Migration[] = [
  {
    version: 1,
    name: 'log groups, log streams, log events',
    up: `
      CREATE TABLE logs_groups (
        id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL,
        retention_days INTEGER, log_group_class TEXT NOT NULL, deletion_protection INTEGER NOT NULL DEFAULT 0,
        stored_bytes INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE logs_streams (
        id INTEGER PRIMARY KEY, group_id INTEGER NOT NULL REFERENCES logs_groups (id) ON DELETE CASCADE,
        name TEXT NOT NULL, created_at INTEGER NOT NULL, first_event INTEGER, last_event INTEGER,
        last_ingestion INTEGER, stored_bytes INTEGER NOT NULL DEFAULT 0, UNIQUE (group_id, name));
      CREATE TABLE logs_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_id INTEGER NOT NULL REFERENCES logs_groups (id) ON DELETE CASCADE,
        stream_id INTEGER NOT NULL REFERENCES logs_streams (id) ON DELETE CASCADE,
        ts INTEGER NOT NULL, ingested INTEGER NOT NULL, bytes INTEGER NOT NULL, message TEXT NOT NULL);
      CREATE INDEX logs_events_stream ON logs_events (stream_id, ts, id);
      CREATE INDEX logs_events_group ON logs_events (group_id, ts, id);
    `,
  },
];
