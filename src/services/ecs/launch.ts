/**
 * Where and how a service's or a task's tasks run, checked the way ECS checks it: launch type
 * or capacity provider strategy, platform version, awsvpc network configuration, placement.
 * Shared by CreateService, UpdateService and RunTask.
 */
import type { ClusterRecord } from './clusters.js';
import { ecsError, invalidParameter } from './errors.js';
import type { TaskDefinitionRecord } from './task-definition-records.js';

/** The launch types a task can run with. */
export type LaunchType = 'EC2' | 'FARGATE' | 'EXTERNAL' | 'MANAGED_INSTANCES';

/** One item of a capacity provider strategy, as ECS writes it. */
export interface CapacityProviderStrategyItem {
  capacityProvider: string;
  weight?: number;
  base?: number;
}

/** What a caller asked for: a launch type, or a capacity provider strategy, and a platform version. */
export interface LaunchRequest {
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
}

/** How tasks launch, resolved. */
export interface Launch {
  /** The launch type tasks actually get (FARGATE for the FARGATE and FARGATE_SPOT providers). */
  launchType: LaunchType;
  /** The strategy in use (given, or the cluster's default); empty when a launch type was used. */
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  /** Fargate only: the platform version asked for (LATEST by default). */
  platformVersion?: string;
  /** Fargate only: the platform family (`Linux`, or the task definition's Windows family). */
  platformFamily?: string;
}

/** The Fargate platform versions Berth accepts, and what LATEST means. */
export const FARGATE_PLATFORM_VERSIONS = ['LATEST', '1.4.0', '1.3.0'];
/** The Fargate platform version LATEST resolves to on a task. */
export const LATEST_FARGATE_PLATFORM = '1.4.0';

/** Resolves and checks the launch type, capacity provider strategy and platform version. */
export function resolveLaunch(cluster: ClusterRecord, td: TaskDefinitionRecord | undefined, req: LaunchRequest): Launch {
  const strategy = req.capacityProviderStrategy?.length ? req.capacityProviderStrategy : undefined;
  if (req.launchType && strategy) {
    throw invalidParameter('Specifying both a launch type and capacity provider strategy is not supported. Remove one and try again.');
  }
  if (req.launchType === 'MANAGED_INSTANCES') {
    throw invalidParameter('Amazon ECS Managed Instances must be used through a capacity provider strategy, not the MANAGED_INSTANCES launch type.');
  }
  let launchType: LaunchType = req.launchType ?? 'EC2';
  let used: CapacityProviderStrategyItem[] = [];
  if (!req.launchType) {
    used = strategy ?? cluster.defaultCapacityProviderStrategy;
    if (used.length > 0) {
      checkStrategy(cluster, used);
      launchType = 'FARGATE';
    }
  }
  if (td) {
    const compat = td.compatibilities ?? td.requiresCompatibilities ?? ['EC2'];
    if (!compat.includes(launchType)) throw invalidParameter(`Task definition does not support launch_type ${launchType}.`);
    if (launchType === 'FARGATE' && td.networkMode !== 'awsvpc') {
      throw invalidParameter(`Fargate only supports network mode 'awsvpc'; task definition ${td.family}:${td.revision} uses '${td.networkMode ?? 'bridge'}'.`);
    }
  }
  if (launchType !== 'FARGATE') {
    if (req.platformVersion !== undefined) throw invalidParameter(`The platform version must be null when specifying an ${launchType} launch type.`);
    return { launchType, capacityProviderStrategy: used };
  }
  const platformVersion = req.platformVersion ?? 'LATEST';
  if (!FARGATE_PLATFORM_VERSIONS.includes(platformVersion)) {
    throw ecsError('PlatformUnknownException', `The specified platform version '${platformVersion}' does not exist.`);
  }
  const os = (td?.runtimePlatform as { operatingSystemFamily?: string } | undefined)?.operatingSystemFamily;
  const platformFamily = os === undefined || os === 'LINUX' ? 'Linux' : os;
  return { launchType, capacityProviderStrategy: used, platformVersion, platformFamily };
}

function checkStrategy(cluster: ClusterRecord, strategy: CapacityProviderStrategyItem[]): void {
  for (const item of strategy) {
    if (!cluster.capacityProviders.includes(item.capacityProvider)) {
      throw invalidParameter(
        `The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster. Associate the capacity provider with the cluster or specify a valid capacity provider and try again.`,
      );
    }
  }
  if (new Set(strategy.map((s) => s.capacityProvider)).size !== strategy.length) {
    throw invalidParameter('A capacity provider strategy must not name the same capacity provider twice.');
  }
  if (strategy.filter((s) => (s.base ?? 0) > 0).length > 1) {
    throw invalidParameter('Only one capacity provider in a capacity provider strategy can have a base defined.');
  }
  if (!strategy.some((s) => (s.weight ?? 0) > 0)) {
    throw invalidParameter('At least one capacity provider in a capacity provider strategy must have a weight greater than zero.');
  }
}

/** The capacity provider a task placed by `strategy` lands on: the one with a base, else the heaviest. */
export function capacityProviderFor(strategy: readonly CapacityProviderStrategyItem[]): string | undefined {
  if (strategy.length === 0) return undefined;
  const withBase = strategy.find((s) => (s.base ?? 0) > 0);
  if (withBase) return withBase.capacityProvider;
  return [...strategy].sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))[0].capacityProvider;
}

/** ECS's awsvpc network configuration. */
export interface NetworkConfiguration {
  awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: 'ENABLED' | 'DISABLED' };
}

/** A checked awsvpc configuration, with ECS's defaults filled in. */
export interface AwsVpcConfiguration {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

/** Checks a network configuration against the task definition's network mode; undefined outside awsvpc. */
export function checkNetworkConfiguration(
  td: TaskDefinitionRecord,
  launchType: LaunchType,
  nc: NetworkConfiguration | undefined,
): { awsvpcConfiguration: AwsVpcConfiguration } | undefined {
  const vpc = nc?.awsvpcConfiguration;
  if (td.networkMode !== 'awsvpc') {
    if (vpc) throw invalidParameter('Network Configuration is not valid for the given networkMode of this task definition.');
    return undefined;
  }
  if (!vpc) throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  const subnets = vpc.subnets ?? [];
  if (subnets.length === 0) throw invalidParameter('subnets can not be empty.');
  if (subnets.length > 16) throw invalidParameter(`subnets can have at most 16 items; got ${subnets.length}.`);
  const securityGroups = vpc.securityGroups ?? [];
  if (securityGroups.length > 5) throw invalidParameter(`securityGroups can have at most 5 items; got ${securityGroups.length}.`);
  const assignPublicIp = vpc.assignPublicIp ?? 'DISABLED';
  if (assignPublicIp === 'ENABLED' && launchType !== 'FARGATE') throw invalidParameter('Assign public IP is not supported for this launch type.');
  return { awsvpcConfiguration: { subnets, securityGroups, assignPublicIp } };
}

/** A placement constraint as ECS writes it. */
export interface PlacementConstraint {
  type?: 'distinctInstance' | 'memberOf';
  expression?: string;
}

/** A placement strategy as ECS writes it. */
export interface PlacementStrategy {
  type?: 'random' | 'spread' | 'binpack';
  field?: string;
}

/** The most placement constraints a task may have, the task definition's included. */
export const MAX_PLACEMENT_CONSTRAINTS = 10;
/** The most placement strategy rules a service or task may have. */
export const MAX_PLACEMENT_STRATEGIES = 5;

/** Checks placement constraints and strategies (counts, required members, Fargate's refusal). */
export function checkPlacement(
  td: TaskDefinitionRecord | undefined,
  launchType: LaunchType,
  constraints: readonly PlacementConstraint[],
  strategies: readonly PlacementStrategy[],
): void {
  const fromTd = (td?.placementConstraints as unknown[] | undefined)?.length ?? 0;
  if (constraints.length + fromTd > MAX_PLACEMENT_CONSTRAINTS) {
    throw invalidParameter(
      `A task can have at most ${MAX_PLACEMENT_CONSTRAINTS} placement constraints, including those of its task definition; got ${constraints.length + fromTd}.`,
    );
  }
  if (strategies.length > MAX_PLACEMENT_STRATEGIES) {
    throw invalidParameter(`You can specify at most ${MAX_PLACEMENT_STRATEGIES} placement strategy rules; got ${strategies.length}.`);
  }
  if (launchType === 'FARGATE' && (constraints.length > 0 || strategies.length > 0)) {
    throw invalidParameter('Task placement constraints and strategies are not supported with the FARGATE launch type.');
  }
  for (const c of constraints) {
    if (!c.type) throw invalidParameter('A placement constraint must have a type (distinctInstance or memberOf).');
    if (c.type === 'memberOf' && !c.expression) throw invalidParameter('A memberOf placement constraint must have an expression.');
    if (c.type === 'distinctInstance' && c.expression) throw invalidParameter('A distinctInstance placement constraint takes no expression.');
    if (c.expression && c.expression.length > 2000) throw invalidParameter('A placement constraint expression can be at most 2000 characters long.');
  }
  for (const s of strategies) {
    if (!s.type) throw invalidParameter('A placement strategy must have a type (random, spread or binpack).');
    if (s.type === 'binpack' && s.field !== 'cpu' && s.field !== 'memory') {
      throw invalidParameter(`The binpack placement strategy takes the field cpu or memory; got '${s.field ?? ''}'.`);
    }
    if (s.type === 'spread' && !s.field) throw invalidParameter('The spread placement strategy needs a field (for example attribute:ecs.availability-zone or instanceId).');
    if (s.type === 'random' && s.field) throw invalidParameter('The random placement strategy takes no field.');
  }
}
