/** The stored CodeDeploy records (applications, custom deployment configs, deployment groups) and their reads and writes. */
import type { Store } from '../../state/index.js';
import { LIVE_STATUSES, type DeploymentRecord } from './deployment-types.js';

export type ComputePlatform = 'Server' | 'Lambda' | 'ECS';

/** An application. */
export interface ApplicationRecord {
  applicationId: string;
  applicationName: string;
  computePlatform: ComputePlatform;
  createTime: string;
}

/** How traffic moves from the original to the replacement (ECS and Lambda). */
export interface TrafficRoutingConfig {
  type: 'TimeBasedCanary' | 'TimeBasedLinear' | 'AllAtOnce';
  timeBasedCanary?: { canaryPercentage: number; canaryInterval: number };
  timeBasedLinear?: { linearPercentage: number; linearInterval: number };
}

/** A deployment configuration (custom ones are stored; predefined ones live in predefined.ts). */
export interface DeploymentConfigRecord {
  deploymentConfigId: string;
  deploymentConfigName: string;
  computePlatform: ComputePlatform;
  createTime: string;
  minimumHealthyHosts?: { type: 'HOST_COUNT' | 'FLEET_PERCENT'; value: number };
  trafficRoutingConfig?: TrafficRoutingConfig;
}

/** The ECS service a deployment group deploys. */
export interface EcsServiceRef {
  serviceName: string;
  clusterName: string;
}

/** The two target groups and the listeners a blue/green ECS deployment shifts between. */
export interface TargetGroupPair {
  targetGroups: { name: string }[];
  prodTrafficRoute: { listenerArns: string[] };
  testTrafficRoute?: { listenerArns: string[] };
}

/** The blue/green settings of a deployment group. */
export interface BlueGreenConfig {
  deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' | 'STOP_DEPLOYMENT'; waitTimeInMinutes: number };
  terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE' | 'KEEP_ALIVE'; terminationWaitTimeInMinutes: number };
}

/** A deployment group, in CodeDeploy's names. */
export interface DeploymentGroupRecord {
  deploymentGroupId: string;
  applicationId: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  serviceRoleArn: string;
  computePlatform: ComputePlatform;
  ecsServices: EcsServiceRef[];
  loadBalancerInfo: { targetGroupPairInfoList: TargetGroupPair[] };
  deploymentStyle: { deploymentType: 'BLUE_GREEN'; deploymentOption: 'WITH_TRAFFIC_CONTROL' };
  blueGreenDeploymentConfiguration: BlueGreenConfig;
  autoRollbackConfiguration: { enabled: boolean; events: string[] };
  alarmConfiguration: { enabled: boolean; ignorePollAlarmFailure: boolean; alarms: { name: string }[] };
  outdatedInstancesStrategy: 'UPDATE' | 'IGNORE';
  terminationHookEnabled: boolean;
  createTime: string;
  /** Set by the deployment engine (next): the last deployment tried and the last that succeeded. */
  lastAttemptedDeployment?: LastDeploymentInfo;
  lastSuccessfulDeployment?: LastDeploymentInfo;
}

/** What a deployment group says of a deployment. */
export interface LastDeploymentInfo {
  deploymentId: string;
  status: string;
  createTime: string;
  endTime?: string;
}

const parse = <T>(doc: unknown): T | undefined => (doc === undefined ? undefined : (JSON.parse(doc as string) as T));
const parseAll = <T>(docs: unknown[]): T[] => docs.map((d) => JSON.parse(d as string) as T);

/** Reads and writes CodeDeploy records. */
export class Records {
  constructor(private readonly store: Store) {}

  application(name: string): ApplicationRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_applications WHERE name = ?').pluck().get(name));
  }
  applicationById(id: string): ApplicationRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_applications WHERE id = ?').pluck().get(id));
  }
  /** Application names in name order. */
  applicationNames(): string[] {
    return this.store.prepare('SELECT name FROM codedeploy_applications ORDER BY name').pluck().all() as string[];
  }
  countApplications(): number {
    return this.store.prepare('SELECT count(*) FROM codedeploy_applications').pluck().get() as number;
  }
  saveApplication(a: ApplicationRecord): void {
    this.store
      .prepare(
        `INSERT INTO codedeploy_applications (id, name, created_at, doc) VALUES (?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, doc = excluded.doc`,
      )
      .run(a.applicationId, a.applicationName, a.createTime, JSON.stringify(a));
  }
  /** Deletes an application; its deployment groups go by ON DELETE CASCADE. */
  deleteApplication(id: string): void {
    this.store.prepare('DELETE FROM codedeploy_applications WHERE id = ?').run(id);
  }

  config(name: string): DeploymentConfigRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_deployment_configs WHERE name = ?').pluck().get(name));
  }
  configNames(): string[] {
    return this.store.prepare('SELECT name FROM codedeploy_deployment_configs ORDER BY name').pluck().all() as string[];
  }
  countConfigs(): number {
    return this.store.prepare('SELECT count(*) FROM codedeploy_deployment_configs').pluck().get() as number;
  }
  saveConfig(c: DeploymentConfigRecord): void {
    this.store
      .prepare('INSERT INTO codedeploy_deployment_configs (id, name, created_at, doc) VALUES (?, ?, ?, ?)')
      .run(c.deploymentConfigId, c.deploymentConfigName, c.createTime, JSON.stringify(c));
  }
  deleteConfig(name: string): void {
    this.store.prepare('DELETE FROM codedeploy_deployment_configs WHERE name = ?').run(name);
  }
  /** True while a deployment group names the config. */
  configInUse(name: string): boolean {
    return this.store.prepare('SELECT 1 FROM codedeploy_deployment_groups WHERE deployment_config_name = ? LIMIT 1').get(name) !== undefined;
  }

  group(applicationId: string, name: string): DeploymentGroupRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_deployment_groups WHERE application_id = ? AND name = ?').pluck().get(applicationId, name));
  }
  groupById(id: string): DeploymentGroupRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_deployment_groups WHERE id = ?').pluck().get(id));
  }
  groups(applicationId: string): DeploymentGroupRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM codedeploy_deployment_groups WHERE application_id = ? ORDER BY name').pluck().all(applicationId));
  }
  countGroups(applicationId: string): number {
    return this.store.prepare('SELECT count(*) FROM codedeploy_deployment_groups WHERE application_id = ?').pluck().get(applicationId) as number;
  }
  /** Every deployment group of every application (the ECS-service-in-one-group rule looks across them). */
  allGroups(): DeploymentGroupRecord[] {
    return parseAll(this.store.prepare('SELECT doc FROM codedeploy_deployment_groups ORDER BY created_at, id').pluck().all());
  }
  saveGroup(g: DeploymentGroupRecord): void {
    this.store
      .prepare(
        `INSERT INTO codedeploy_deployment_groups (id, application_id, name, deployment_config_name, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, deployment_config_name = excluded.deployment_config_name, doc = excluded.doc`,
      )
      .run(g.deploymentGroupId, g.applicationId, g.deploymentGroupName, g.deploymentConfigName, g.createTime, JSON.stringify(g));
  }
  deleteGroup(id: string): void {
    this.store.prepare('DELETE FROM codedeploy_deployment_groups WHERE id = ?').run(id);
  }

  deployment(id: string): DeploymentRecord | undefined {
    return parse(this.store.prepare('SELECT doc FROM codedeploy_deployments WHERE id = ?').pluck().get(id));
  }
  /** The group's deployment that is not over, if any (at most one: a unique index says so). */
  liveDeployment(groupId: string): DeploymentRecord | undefined {
    return parse(
      this.store
        .prepare(`SELECT doc FROM codedeploy_deployments WHERE group_id = ? AND status IN (${LIVE_STATUSES.map(() => '?').join(', ')})`)
        .pluck()
        .get(groupId, ...LIVE_STATUSES),
    );
  }
  /** Every deployment that is not over, oldest first (the engine drives these). */
  liveDeployments(): DeploymentRecord[] {
    return parseAll(
      this.store
        .prepare(`SELECT doc FROM codedeploy_deployments WHERE status IN (${LIVE_STATUSES.map(() => '?').join(', ')}) ORDER BY create_time, id`)
        .pluck()
        .all(...LIVE_STATUSES),
    );
  }
  /** Deployments filtered as ListDeployments filters them, newest first. */
  deploymentIds(filter: { applicationId?: string; groupId?: string; statuses?: string[]; createdAfter?: string; createdBefore?: string }): string[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.applicationId !== undefined) {
      where.push('application_id = ?');
      args.push(filter.applicationId);
    }
    if (filter.groupId !== undefined) {
      where.push('group_id = ?');
      args.push(filter.groupId);
    }
    if (filter.statuses?.length) {
      where.push(`status IN (${filter.statuses.map(() => '?').join(', ')})`);
      args.push(...filter.statuses);
    }
    if (filter.createdAfter !== undefined) {
      where.push('create_time >= ?');
      args.push(filter.createdAfter);
    }
    if (filter.createdBefore !== undefined) {
      where.push('create_time <= ?');
      args.push(filter.createdBefore);
    }
    const sql = `SELECT id FROM codedeploy_deployments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY create_time DESC, id DESC`;
    return this.store.prepare(sql).pluck().all(...args) as string[];
  }
  /**
   * Inserts or updates a deployment. A second live deployment for a group breaks the unique index
   * (SQLITE_CONSTRAINT_UNIQUE): the caller turns that into DeploymentLimitExceededException.
   */
  saveDeployment(d: DeploymentRecord): void {
    this.store
      .prepare(
        `INSERT INTO codedeploy_deployments (id, group_id, application_id, status, create_time, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
      )
      .run(d.deploymentId, d.deploymentGroupId, d.applicationId, d.status, d.createTime, JSON.stringify(d));
  }

  /** A hook execution (PutLifecycleEventHookExecutionStatus looks it up). */
  hookExecution(executionId: string): HookExecutionRow | undefined {
    return this.store
      .prepare('SELECT execution_id AS executionId, deployment_id AS deploymentId, lifecycle_event AS lifecycleEvent, function_name AS functionName, status, invoked_at AS invokedAt, reported_at AS reportedAt FROM codedeploy_hook_executions WHERE execution_id = ?')
      .get(executionId) as HookExecutionRow | undefined;
  }
  /** The hook executions of a deployment. */
  hookExecutions(deploymentId: string): HookExecutionRow[] {
    return this.store
      .prepare('SELECT execution_id AS executionId, deployment_id AS deploymentId, lifecycle_event AS lifecycleEvent, function_name AS functionName, status, invoked_at AS invokedAt, reported_at AS reportedAt FROM codedeploy_hook_executions WHERE deployment_id = ?')
      .all(deploymentId) as HookExecutionRow[];
  }
  /** Records a Pending hook execution; false when it was already recorded. */
  addHookExecution(row: { executionId: string; deploymentId: string; lifecycleEvent: string; functionName: string }): boolean {
    return (
      this.store
        .prepare("INSERT OR IGNORE INTO codedeploy_hook_executions (execution_id, deployment_id, lifecycle_event, function_name, status) VALUES (?, ?, ?, ?, 'Pending')")
        .run(row.executionId, row.deploymentId, row.lifecycleEvent, row.functionName).changes === 1
    );
  }
  markHookInvoked(executionId: string, at: string): void {
    this.store.prepare('UPDATE codedeploy_hook_executions SET invoked_at = ? WHERE execution_id = ?').run(at, executionId);
  }
  /** Sets a Pending execution's outcome; false when it was not Pending (already reported). */
  reportHookExecution(executionId: string, status: 'Succeeded' | 'Failed', at: string): boolean {
    return (
      this.store
        .prepare("UPDATE codedeploy_hook_executions SET status = ?, reported_at = ? WHERE execution_id = ? AND status = 'Pending'")
        .run(status, at, executionId).changes === 1
    );
  }
}

/** One row of codedeploy_hook_executions. */
export interface HookExecutionRow {
  executionId: string;
  deploymentId: string;
  lifecycleEvent: string;
  functionName: string;
  status: 'Pending' | 'Succeeded' | 'Failed';
  invokedAt: string | null;
  reportedAt: string | null;
}
