/**
 * ECS tables. Each resource is a JSON document (`doc`, the resource in Berth's internal form)
 * plus the columns that lookups and listings filter on.
 */
import type { Migration } from '../../state/index.js';

/** The ECS component's migrations, in order. */
export const ecsMigrations: Migration[] = [
  {
    version: 1,
    name: 'clusters, task definitions, services, tasks',
    up: `
      CREATE TABLE ecs_clusters (
        arn TEXT PRIMARY KEY, name TEXT NOT NULL, status TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE ecs_task_definitions (
        family TEXT NOT NULL, revision INTEGER NOT NULL, arn TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
        registered_at TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (family, revision));
      CREATE INDEX ecs_task_definitions_status ON ecs_task_definitions (status, family, revision);
      CREATE TABLE ecs_services (
        arn TEXT PRIMARY KEY, cluster_arn TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
        launch_type TEXT, scheduling_strategy TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX ecs_services_cluster ON ecs_services (cluster_arn, status, name);
      CREATE TABLE ecs_tasks (
        arn TEXT PRIMARY KEY, cluster_arn TEXT NOT NULL, family TEXT NOT NULL, service_name TEXT,
        started_by TEXT, desired_status TEXT NOT NULL, last_status TEXT NOT NULL, launch_type TEXT,
        container_instance_arn TEXT, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE INDEX ecs_tasks_cluster ON ecs_tasks (cluster_arn, desired_status, created_at);
    `,
  },
  {
    version: 2,
    name: 'task runtime state kept by the task agent',
    up: `
      CREATE TABLE ecs_task_runtime (
        task_arn TEXT PRIMARY KEY, driver TEXT NOT NULL, sandbox TEXT, sandbox_error TEXT,
        handles TEXT NOT NULL DEFAULT '{}', failures TEXT NOT NULL DEFAULT '{}', notes TEXT NOT NULL DEFAULT '{}');
    `,
  },
  {
    version: 3,
    name: 'log offsets of the task agent',
    up: `ALTER TABLE ecs_task_runtime ADD COLUMN log_offsets TEXT NOT NULL DEFAULT '{}';`,
  },
  {
    version: 4,
    name: "indexes: a service's tasks by status; STOPPED tasks by stoppedAt (retention)",
    // The service scheduler and service counts read a service's live tasks without touching its
    // STOPPED ones; the retention sweep (retention.ts) walks STOPPED tasks only, oldest first or
    // per service. The stoppedAt expression must match the sweep's queries verbatim.
    up: `
      CREATE INDEX IF NOT EXISTS ecs_tasks_service ON ecs_tasks (cluster_arn, service_name, last_status);
      CREATE INDEX IF NOT EXISTS ecs_tasks_stopped_at ON ecs_tasks (json_extract(doc, '$.stoppedAt')) WHERE last_status = 'STOPPED';
      CREATE INDEX IF NOT EXISTS ecs_tasks_stopped_service ON ecs_tasks (cluster_arn, service_name, json_extract(doc, '$.stoppedAt')) WHERE last_status = 'STOPPED';
    `,
  },
  {
    version: 5,
    name: 'index: tasks by lastStatus',
    // The task agent sweeps the live tasks on every wake-up and the stats sampler reads the
    // RUNNING ones: without it both scan every kept STOPPED task too.
    up: `CREATE INDEX IF NOT EXISTS ecs_tasks_status ON ecs_tasks (last_status);`,
  },
];
