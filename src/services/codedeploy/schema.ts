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
  {
    version: 2,
    name: 'deployments and lifecycle hook executions',
    up: `
      CREATE TABLE codedeploy_deployments (
        id TEXT PRIMARY KEY, group_id TEXT NOT NULL, application_id TEXT NOT NULL, status TEXT NOT NULL,
        create_time TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE UNIQUE INDEX codedeploy_deployments_live ON codedeploy_deployments (group_id)
        WHERE status IN ('Created', 'Queued', 'InProgress', 'Baking', 'Ready');
      CREATE INDEX codedeploy_deployments_group ON codedeploy_deployments (group_id, create_time);
      CREATE INDEX codedeploy_deployments_status ON codedeploy_deployments (status);
      CREATE TABLE codedeploy_hook_executions (
        execution_id TEXT PRIMARY KEY, deployment_id TEXT NOT NULL, lifecycle_event TEXT NOT NULL,
        function_name TEXT NOT NULL, status TEXT NOT NULL, invoked_at TEXT, reported_at TEXT);
      CREATE INDEX codedeploy_hook_executions_deployment ON codedeploy_hook_executions (deployment_id);
    `,
  },
];
