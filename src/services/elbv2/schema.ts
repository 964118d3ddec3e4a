/**
 * ELBv2 tables. Each resource is a JSON document (`doc`, the record of records.ts) plus the
 * columns that lookups, listings and uniqueness rules use.
 */
import type { Migration } from '../../state/index.js';

/** The ELBv2 component's migrations, in order. */
export const elbv2Migrations: Migration[] = [
  {
    version: 1,
    name: 'load balancers, target groups, targets, listeners, rules',
    up: `
      CREATE TABLE elbv2_load_balancers (
        arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, address TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE elbv2_target_groups (
        arn TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE TABLE elbv2_targets (
        target_group_arn TEXT NOT NULL REFERENCES elbv2_target_groups (arn) ON DELETE CASCADE,
        id TEXT NOT NULL, port INTEGER NOT NULL, availability_zone TEXT, registered_at TEXT NOT NULL,
        PRIMARY KEY (target_group_arn, id, port));
      CREATE TABLE elbv2_listeners (
        arn TEXT PRIMARY KEY, load_balancer_arn TEXT NOT NULL REFERENCES elbv2_load_balancers (arn) ON DELETE CASCADE,
        port INTEGER NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (load_balancer_arn, port));
      CREATE TABLE elbv2_rules (
        arn TEXT PRIMARY KEY, listener_arn TEXT NOT NULL REFERENCES elbv2_listeners (arn) ON DELETE CASCADE,
        priority INTEGER, created_at TEXT NOT NULL, doc TEXT NOT NULL);
      CREATE UNIQUE INDEX elbv2_rules_priority ON elbv2_rules (listener_arn, priority);
      CREATE TABLE elbv2_rule_target_groups (
        rule_arn TEXT NOT NULL REFERENCES elbv2_rules (arn) ON DELETE CASCADE,
        target_group_arn TEXT NOT NULL REFERENCES elbv2_target_groups (arn),
        PRIMARY KEY (rule_arn, target_group_arn));
      CREATE INDEX elbv2_rule_target_groups_tg ON elbv2_rule_target_groups (target_group_arn);
    `,
  },
];
