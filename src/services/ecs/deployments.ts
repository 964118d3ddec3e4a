/**
 * Service deployments as ECS shows them: the deployment configuration with ECS's defaults, and
 * deployment records (one PRIMARY, older ones ACTIVE) with ids in ECS's `ecs-svc/` format.
 */
import { randomInt } from 'node:crypto';
import { ecsError, invalidParameter } from './errors.js';
import type { CapacityProviderStrategyItem, LaunchType } from './launch.js';

/** A service's scheduling strategy. */
export type SchedulingStrategy = 'REPLICA' | 'DAEMON';
/** A service's deployment controller type. */
export type DeploymentControllerType = 'ECS' | 'CODE_DEPLOY' | 'EXTERNAL';

/** ECS's DeploymentConfiguration, as given on the wire (every member optional). */
export interface DeploymentConfigurationInput {
  deploymentCircuitBreaker?: { enable: boolean; rollback: boolean };
  maximumPercent?: number;
  minimumHealthyPercent?: number;
  alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  strategy?: string;
  bakeTimeInMinutes?: number;
  lifecycleHooks?: unknown[];
  linearConfiguration?: unknown;
  canaryConfiguration?: unknown;
}

/** A deployment configuration with every default filled in. */
export interface DeploymentConfiguration {
  deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
  maximumPercent: number;
  minimumHealthyPercent: number;
  alarms: { alarmNames: string[]; enable: boolean; rollback: boolean };
  strategy: 'ROLLING';
}

/** ECS's default maximumPercent / minimumHealthyPercent for a scheduling strategy. */
export function defaultPercents(scheduling: SchedulingStrategy): { maximumPercent: number; minimumHealthyPercent: number } {
  return scheduling === 'DAEMON' ? { maximumPercent: 100, minimumHealthyPercent: 0 } : { maximumPercent: 200, minimumHealthyPercent: 100 };
}

/**
 * Applies `input` over `current` (or over ECS's defaults for a new service) and checks the result:
 * members absent from `input` keep their current value, as UpdateService keeps them.
 */
export function compileDeploymentConfiguration(
  input: DeploymentConfigurationInput | undefined,
  scheduling: SchedulingStrategy,
  current?: DeploymentConfiguration,
): DeploymentConfiguration {
  const base: DeploymentConfiguration = current ?? {
    ...defaultPercents(scheduling),
    deploymentCircuitBreaker: { enable: false, rollback: false },
    alarms: { alarmNames: [], enable: false, rollback: false },
    strategy: 'ROLLING',
  };
  const i = input ?? {};
  if (i.strategy !== undefined && i.strategy !== 'ROLLING') {
    throw ecsError('UnsupportedFeatureException', `Berth does not support the ${i.strategy} deployment strategy yet; use ROLLING.`);
  }
  if (i.lifecycleHooks?.length || i.linearConfiguration !== undefined || i.canaryConfiguration !== undefined || i.bakeTimeInMinutes !== undefined) {
    throw ecsError('UnsupportedFeatureException', 'Berth does not support lifecycle hooks, bake time, linear or canary configuration for ECS deployments yet.');
  }
  const out: DeploymentConfiguration = {
    maximumPercent: i.maximumPercent ?? base.maximumPercent,
    minimumHealthyPercent: i.minimumHealthyPercent ?? base.minimumHealthyPercent,
    deploymentCircuitBreaker: i.deploymentCircuitBreaker ?? base.deploymentCircuitBreaker,
    alarms: i.alarms ?? base.alarms,
    strategy: 'ROLLING',
  };
  if (out.minimumHealthyPercent < 0 || out.minimumHealthyPercent > 100) {
    throw invalidParameter(`minimumHealthyPercent must be between 0 and 100; got ${out.minimumHealthyPercent}.`);
  }
  if (out.maximumPercent < 0) throw invalidParameter(`maximumPercent must not be negative; got ${out.maximumPercent}.`);
  if (scheduling === 'REPLICA' && out.maximumPercent < 100) {
    throw invalidParameter(`maximumPercent must be at least 100 for a REPLICA service; got ${out.maximumPercent}.`);
  }
  if (out.alarms.enable && out.alarms.alarmNames.length === 0) {
    throw invalidParameter('Deployment alarms are enabled but no alarmNames were given.');
  }
  return out;
}

/** A deployment's status: the newest is PRIMARY, the ones it replaces are ACTIVE until drained. */
export type DeploymentStatus = 'PRIMARY' | 'ACTIVE' | 'INACTIVE';
/** A deployment's rollout state. */
export type RolloutState = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

/** One deployment of a service, as Berth keeps it (task counts are read from the tasks). */
export interface DeploymentRecord {
  id: string;
  status: DeploymentStatus;
  taskDefinition: string;
  desiredCount: number;
  failedTasks: number;
  createdAt: string;
  updatedAt: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: unknown;
  rolloutState: RolloutState;
  rolloutStateReason: string;
}

/** A new deployment id: `ecs-svc/` and 19 digits, as ECS formats them. */
export function newDeploymentId(): string {
  let digits = String(randomInt(1, 10));
  while (digits.length < 19) digits += String(randomInt(0, 10));
  return `ecs-svc/${digits}`;
}

/** Everything a new PRIMARY deployment is made from. */
export interface DeploymentSpec {
  taskDefinition: string;
  desiredCount: number;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: unknown;
}

/** A new PRIMARY deployment, rollout IN_PROGRESS, with ECS's rolloutStateReason. */
export function newDeployment(spec: DeploymentSpec, now: Date): DeploymentRecord {
  const id = newDeploymentId();
  const at = now.toISOString();
  return {
    id,
    status: 'PRIMARY',
    ...spec,
    failedTasks: 0,
    createdAt: at,
    updatedAt: at,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: `ECS deployment ${id} in progress.`,
  };
}

/** Puts `next` first as PRIMARY and makes the deployments it replaces ACTIVE (they drain later). */
export function replacePrimary(deployments: readonly DeploymentRecord[], next: DeploymentRecord, now: Date): DeploymentRecord[] {
  const older = deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, status: 'ACTIVE' as const, updatedAt: now.toISOString() } : d));
  return [next, ...older];
}
