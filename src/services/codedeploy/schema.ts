/**
 * CodeDeploy tables. Each resource is a JSON document (`doc`, the record of records.ts) plus the
 * columns that lookups and uniqueness use. Deployment groups belong to their application by id,
 * so renaming an application touches one row.
 */
import type { Migration } from '../../state/index.js';

/** The CodeDeploy component's migrations, in order. */
export const codedeployMigrations: Migration[] = [
  {
    version: 1,
    name: 'applications, deployment configs, deployment groups',
    up: `
      CREATE TABLE codedeploy_applications (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE codedeploy_deployment_configs (
        id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE codedeploy_deployment_groups (
        id TEXT PRIMARY KEY, application_id TEXT NOT NULL REFERENCES codedeploy_applications (id) ON DELETE CASCADE,
        name TEXT NOT NULL, deployment_config_name TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL,
        UNIQUE (application_id, name));
      CREATE INDEX codedeploy_deployment_groups_config ON codedeploy_deployment_groups (deployment_config_name);
    `,
  },
];
