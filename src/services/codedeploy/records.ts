/** The stored CodeDeploy records (applications, custom deployment configs, deployment groups) and their reads and writes. */
import type { Store } from '../../state/index.js';

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
}
