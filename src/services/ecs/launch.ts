/**
 * Where and how a service's or a task's tasks run, checked the way ECS checks it: launch type
 * or capacity provider strategy, platform version, awsvpc network configuration, placement (the
 * rules and the query language are in scheduler/placement.ts; this file applies them to Berth's
 * host as a container instance). Shared by CreateService, UpdateService, RunTask and the scheduler.
 */
import { createHash } from 'node:crypto';
import {
  checkPlacementRules,
  hostAttributes,
  hostRoom,
  MAX_PLACEMENT_CONSTRAINTS,
  MAX_PLACEMENT_STRATEGIES,
  PlacementError,
  type Expression,
  type HostRoom,
  type HostView,
} from '../../scheduler/index.js';
import type { ArnScope } from './arns.js';
import type { ClusterRecord } from './clusters.js';
import type { EcsDeps } from './deps.js';
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

export { MAX_PLACEMENT_CONSTRAINTS, MAX_PLACEMENT_STRATEGIES };

/** The task definition's own placement constraints (memberOf only, as RegisterTaskDefinition takes them). */
function taskDefinitionConstraints(td: TaskDefinitionRecord | undefined): PlacementConstraint[] {
  return (td?.placementConstraints as PlacementConstraint[] | undefined) ?? [];
}

/**
 * Checks placement constraints and strategies as ECS does at CreateService, UpdateService and
 * RunTask (counts, types, fields, memberOf expressions in the cluster query language, Fargate's
 * refusal); InvalidParameterException says what is wrong. Returns the parsed memberOf
 * expressions, the task definition's included.
 */
export function checkPlacement(
  td: TaskDefinitionRecord | undefined,
  launchType: LaunchType,
  constraints: readonly PlacementConstraint[],
  strategies: readonly PlacementStrategy[],
): Expression[] {
  try {
    return checkPlacementRules(launchType, constraints, strategies, taskDefinitionConstraints(td));
  } catch (err) {
    if (err instanceof PlacementError) throw invalidParameter(err.message);
    throw err;
  }
}

/**
 * The id of the container instance Berth's host is in a cluster (ECS names one per cluster the
 * instance is registered in): stable, derived from the cluster ARN, in ECS's 32-hex-digit form.
 */
export function hostContainerInstanceId(clusterArn: string): string {
  return createHash('sha256').update(`berth-host|${clusterArn}`).digest('hex').slice(0, 32);
}

/** The ARN of the container instance Berth's host is in `cluster`. */
export function hostContainerInstanceArn(scope: ArnScope, clusterName: string, clusterArn: string): string {
  return `arn:aws:ecs:${scope.region}:${scope.accountId}:container-instance/${clusterName}/${hostContainerInstanceId(clusterArn)}`;
}

/** Berth's host as a container instance of a cluster: its attributes, and its live tasks read only when an expression asks. */
export function hostView(deps: EcsDeps, clusterArn: string): HostView {
  return {
    attributes: new Map(hostAttributes(deps.scope.region).map((a) => [a.name, a.value])),
    runningTasksCount: () =>
      deps.store.prepare(`SELECT count(*) FROM ecs_tasks WHERE cluster_arn = ? AND last_status != 'STOPPED' AND launch_type != 'FARGATE'`).pluck().get(clusterArn) as number,
    hasTaskGroup: (group) => liveTasksInGroup(deps, clusterArn, group) > 0,
  };
}

/** Live (not STOPPED) tasks of a task group in a cluster. */
function liveTasksInGroup(deps: EcsDeps, clusterArn: string, group: string): number {
  return deps.store
    .prepare(`SELECT count(*) FROM ecs_tasks WHERE cluster_arn = ? AND last_status != 'STOPPED' AND json_extract(doc, '$.group') = ?`)
    .pluck()
    .get(clusterArn, group) as number;
}

/** Where RunTask's tasks go: how many of `count` the host takes, and ECS's failures for the rest. */
export interface RunPlacement {
  placed: number;
  failures: { arn: string; reason: string }[];
}

/**
 * How many of RunTask's `count` tasks the host takes under the constraints (FARGATE tasks are not
 * placed on a container instance: all of them). distinctInstance counts the group's live tasks
 * already on the host. The rest fail as RunTask reports it: the container instance, and why.
 */
export function placeRunTasks(
  deps: EcsDeps,
  cluster: { arn: string; name: string },
  launchType: LaunchType,
  group: string,
  constraints: readonly PlacementConstraint[],
  expressions: readonly Expression[],
  count: number,
): RunPlacement {
  if (launchType === 'FARGATE' || (constraints.length === 0 && expressions.length === 0)) return { placed: count, failures: [] };
  const room = hostRoom(constraints, expressions, hostView(deps, cluster.arn));
  const free = room.holds === Infinity ? count : Math.max(0, room.holds - (room.holds > 0 ? liveTasksInGroup(deps, cluster.arn, group) : 0));
  const placed = Math.min(count, free);
  const arn = hostContainerInstanceArn(deps.scope, cluster.name, cluster.arn);
  return { placed, failures: Array.from({ length: count - placed }, () => ({ arn, reason: room.unsatisfied ?? 'RESOURCE' })) };
}

/** What Berth's host holds of a service's tasks, and ECS's reason when a constraint limits it. */
export interface ServiceRoom extends HostRoom {
  containerInstanceId: string;
}

/**
 * How many tasks of a service the host holds in total under its constraints and its task
 * definition's (Infinity when unlimited; FARGATE services are not placed on a container instance).
 */
export function serviceRoom(deps: EcsDeps, s: { clusterArn: string; effectiveLaunchType: LaunchType; placementConstraints: PlacementConstraint[] }, td: TaskDefinitionRecord | undefined): ServiceRoom {
  const containerInstanceId = hostContainerInstanceId(s.clusterArn);
  if (s.effectiveLaunchType === 'FARGATE') return { holds: Infinity, containerInstanceId };
  const fromTd = taskDefinitionConstraints(td);
  if (s.placementConstraints.length === 0 && fromTd.length === 0) return { holds: Infinity, containerInstanceId };
  let expressions: Expression[];
  try {
    expressions = checkPlacementRules(s.effectiveLaunchType, s.placementConstraints, [], fromTd);
  } catch {
    // Stored constraints were checked when they were set; one that no longer parses admits nothing.
    return { holds: 0, unsatisfied: 'MemberOf placement constraint unsatisfied.', containerInstanceId };
  }
  return { ...hostRoom(s.placementConstraints, expressions, hostView(deps, s.clusterArn)), containerInstanceId };
}
