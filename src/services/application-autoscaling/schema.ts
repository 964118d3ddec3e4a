/**
 * Application Auto Scaling tables. Each resource is a JSON document (`doc`, the records of
 * records.ts) plus the columns lookups use. A scalable target is keyed by namespace, resource
 * id and dimension as AWS keys it; policies, scheduled actions and activities hang off that key.
 */
import type { Migration } from '../../state/index.js';

export const applicationAutoScalingMigrations: Migration[] = [
  {
    version: 1,
    name: 'scalable targets, scaling policies, scheduled actions, scaling activities',
    up: `
      CREATE TABLE aas_scalable_targets (
        namespace TEXT NOT NULL, resource_id TEXT NOT NULL, dimension TEXT NOT NULL, arn TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (namespace, resource_id, dimension));
      CREATE TABLE aas_policies (
        arn TEXT PRIMARY KEY, namespace TEXT NOT NULL, resource_id TEXT NOT NULL, dimension TEXT NOT NULL, name TEXT NOT NULL,
        created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (namespace, resource_id, dimension, name));
      CREATE TABLE aas_scheduled_actions (
        arn TEXT PRIMARY KEY, namespace TEXT NOT NULL, resource_id TEXT NOT NULL, dimension TEXT NOT NULL, name TEXT NOT NULL,
        created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (namespace, resource_id, dimension, name));
      CREATE TABLE aas_activities (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, namespace TEXT NOT NULL, resource_id TEXT NOT NULL,
        dimension TEXT NOT NULL, policy_arn TEXT, scaled INTEGER NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX aas_activities_target ON aas_activities (namespace, resource_id, dimension, seq);
      CREATE INDEX aas_activities_policy ON aas_activities (policy_arn, seq);
    `,
  },
];
