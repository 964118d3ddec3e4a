/**
 * Secrets Manager tables: a secret, its versions (each value sealed with the data dir's key,
 * bound to `<secret ARN>|<version id>`), and the staging labels that point at versions.
 */
import type { Migration } from '../../state/index.js';

/** The Secrets Manager component's migrations, in order. */
export const secretsManagerMigrations: Migration[] = [
  {
    version: 1,
    name: 'secrets, versions, staging labels',
    up: `
      CREATE TABLE sm_secrets (
        arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, description TEXT, kms_key_id TEXT,
        created_at TEXT NOT NULL, last_changed_at TEXT NOT NULL, last_accessed_at TEXT,
        deleted_at TEXT, deletion_date TEXT);
      CREATE INDEX sm_secrets_deletion ON sm_secrets (deletion_date) WHERE deletion_date IS NOT NULL;
      CREATE TABLE sm_versions (
        secret_arn TEXT NOT NULL REFERENCES sm_secrets (arn) ON DELETE CASCADE, version_id TEXT NOT NULL,
        seq INTEGER NOT NULL, created_at TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('string', 'binary')),
        sealed BLOB NOT NULL, PRIMARY KEY (secret_arn, version_id));
      CREATE TABLE sm_stages (
        secret_arn TEXT NOT NULL, stage TEXT NOT NULL, version_id TEXT NOT NULL,
        PRIMARY KEY (secret_arn, stage),
        FOREIGN KEY (secret_arn, version_id) REFERENCES sm_versions (secret_arn, version_id) ON DELETE CASCADE);
    `,
  },
];
