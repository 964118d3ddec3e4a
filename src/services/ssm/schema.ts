/**
 * Parameter Store tables: a parameter's current state, and every version it has had (each
 * value sealed with the data dir's key, bound to `<parameter ARN>|<version>`).
 */
import type { Migration } from '../../state/index.js';

/** The SSM component's migrations, in order. */
export const ssmMigrations: Migration[] = [
  {
    version: 1,
    name: 'parameters and their versions',
    up: `
      CREATE TABLE ssm_parameters (name TEXT PRIMARY KEY, arn TEXT NOT NULL UNIQUE, version INTEGER NOT NULL);
      CREATE TABLE ssm_parameter_versions (
        name TEXT NOT NULL REFERENCES ssm_parameters (name) ON DELETE CASCADE, version INTEGER NOT NULL,
        type TEXT NOT NULL, sealed BLOB NOT NULL, description TEXT, key_id TEXT, allowed_pattern TEXT,
        tier TEXT NOT NULL, data_type TEXT NOT NULL, modified_at TEXT NOT NULL, modified_by TEXT NOT NULL,
        PRIMARY KEY (name, version));
    `,
  },
];
