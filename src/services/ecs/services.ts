/**
 * ECS services, stored and validated: CreateService, DescribeServices, ListServices,
 * UpdateService, DeleteService. The service scheduler (src/scheduler) places and stops a
 * service's tasks; a service's counts are read from the tasks that really exist.
 */
import { createHash } from 'node:crypto';
import { paginate } from '../../pagination/index.js';
import { lastSegment, serviceArn } from './arns.js';
import { requireActiveCluster, type ClusterRecord } from './clusters.js';
import {
  compileDeploymentConfiguration,
  newDeployment,
  replacePrimary,
  type DeploymentConfiguration,
  type DeploymentConfigurationInput,
  type DeploymentControllerType,
  type DeploymentRecord,
  type SchedulingStrategy,
} from './deployments.js';
import type { EcsDeps } from './deps.js';
import { clientException, ecsError, invalidParameter, serviceNotActive, serviceNotFound } from './errors.js';
import {
  checkNetworkConfiguration,
  checkPlacement,
  resolveLaunch,
  serviceRoom,
  type CapacityProviderStrategyItem,
  type Launch,
  type LaunchType,
  type NetworkConfiguration,
  type PlacementConstraint,
  type PlacementStrategy,
} from './launch.js';
import { PENDING_TASK_STATUSES, ServiceStatus } from './lifecycle.js';
import { checkTargetGroups } from './load-balancers.js';
import { checkTags, MAX_TAGS, tagsToWire, type WireTag } from './tags.js';
import { requireTaskDefinition, type TaskDefinitionRecord } from './task-definition-records.js';
import { addTaskSet, rescaleTaskSets, taskSetToWire } from './task-sets.js';

const NAME = /^[a-zA-Z0-9_-]{1,255}$/;
/** The most load balancers (target groups) one service may use. */
export const MAX_LOAD_BALANCERS = 5;
/** The most services one DescribeServices call may name. */
export const MAX_DESCRIBE_SERVICES = 10;

/** A load balancer attachment as ECS writes it. */
export interface LoadBalancer {
  targetGroupArn?: string;
  loadBalancerName?: string;
  containerName?: string;
  containerPort?: number;
  advancedConfiguration?: unknown;
}

/** A task set of an EXTERNAL or CODE_DEPLOY service (task-sets.ts); its tasks are started by its id. */
export interface TaskSetRecord {
  id: string;
  taskSetArn: string;
  /** CODE_DEPLOY when CodeDeploy (or CreateService of a CODE_DEPLOY service) made it; unset for EXTERNAL. */
  startedBy?: string;
  externalId?: string;
  /** CreateTaskSet's clientToken, for idempotent retries (never on the wire). */
  clientToken?: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  taskDefinition: string;
  computedDesiredCount: number;
  createdAt: string;
  updatedAt: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  networkConfiguration?: unknown;
  loadBalancers: LoadBalancer[];
  serviceRegistries: unknown[];
  scale: { value: number; unit: 'PERCENT' };
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  stabilityStatusAt: string;
}

/** A service as Berth keeps it. */
export interface ServiceRecord {
  arn: string;
  name: string;
  clusterArn: string;
  status: ServiceStatus;
  desiredCount: number;
  taskDefinition?: string;
  /** The launch type tasks get (kept for filters even when a capacity provider strategy chose it). */
  effectiveLaunchType: LaunchType;
  /** Set when tasks launch by launch type rather than by a capacity provider strategy. */
  launchType?: LaunchType;
  capacityProviderStrategy: CapacityProviderStrategyItem[];
  platformVersion?: string;
  platformFamily?: string;
  loadBalancers: LoadBalancer[];
  serviceRegistries: unknown[];
  deploymentConfiguration: DeploymentConfiguration;
  deployments: DeploymentRecord[];
  taskSets: TaskSetRecord[];
  roleArn?: string;
  events: { id: string; createdAt: string; message: string }[];
  createdAt: string;
  createdBy: string;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  schedulingStrategy: SchedulingStrategy;
  deploymentController: { type: DeploymentControllerType };
  enableECSManagedTags: boolean;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand: boolean;
  availabilityZoneRebalancing: 'ENABLED' | 'DISABLED';
  /** A digest of the CreateService request, to tell an idempotent retry from a conflicting create. */
  createDigest: string;
  /** What the service scheduler carries from one round to the next (never on the wire). */
  scheduler?: ServiceSchedulerState;
}

/** The service scheduler's own state on a service record: the start throttle and the STOPPED tasks it has counted. */
export interface ServiceSchedulerState {
  throttle: { consecutiveFailures: number; lastFailureAt: number; notBefore: number };
  /** ARNs of STOPPED tasks whose outcome a decision has counted. */
  acknowledged: string[];
  /** ARNs the next round reads besides the live tasks: those live (or placed) at the last round, which may have stopped since. */
  watch?: string[];
  /**
   * ARNs of live tasks a round saw HEALTHY and not UNHEALTHY since: their health reads UNKNOWN for
   * a while after Berth restarts (the checks start over), which must not make them uncounted.
   */
  healthy?: string[];
  /** The PRIMARY deployment whose settled rollout bakes (deployment alarms), and since when (epoch ms). */
  bake?: { deploymentId: string; startedAt: number };
}

/** Writes a service (insert or replace), keeping the filter columns in step with the document. */
export function saveService(deps: EcsDeps, s: ServiceRecord): void {
  deps.store
    .prepare(
      `INSERT INTO ecs_services (arn, cluster_arn, name, status, launch_type, scheduling_strategy, created_at, doc)
       VALUES (@arn, @clusterArn, @name, @status, @launchType, @scheduling, @createdAt, @doc)
       ON CONFLICT(arn) DO UPDATE SET cluster_arn = excluded.cluster_arn, name = excluded.name, status = excluded.status,
         launch_type = excluded.launch_type, scheduling_strategy = excluded.scheduling_strategy,
         created_at = excluded.created_at, doc = excluded.doc`,
    )
    .run({
      arn: s.arn,
      clusterArn: s.clusterArn,
      name: s.name,
      status: s.status,
      launchType: s.effectiveLaunchType,
      scheduling: s.schedulingStrategy,
      createdAt: s.createdAt,
      doc: JSON.stringify(s),
    });
}

/** The ARN a service reference (name, or short or long ARN) names in `cluster`; undefined when it can name none there. */
function arnFor(deps: EcsDeps, cluster: ClusterRecord, ref: string): string | undefined {
  const arn = serviceArn(deps.scope, cluster.name, lastSegment(ref));
  if (ref.startsWith('arn:')) {
    const short = arn.replace(`/${cluster.name}/`, '/');
    if (ref !== arn && ref !== short) return undefined;
  }
  return arn;
}

/** Reads a service of a cluster by name or ARN, in any status; undefined when there is none. */
export function findService(deps: EcsDeps, cluster: ClusterRecord, ref: string): ServiceRecord | undefined {
  const arn = arnFor(deps, cluster, ref);
  if (!arn) return undefined;
  const doc = deps.store.prepare('SELECT doc FROM ecs_services WHERE arn = ?').pluck().get(arn) as string | undefined;
  return doc === undefined ? undefined : (JSON.parse(doc) as ServiceRecord);
}

/**
 * Moves a DRAINING service to INACTIVE once none of its tasks is left unstopped. Callers that stop
 * a service's task call this; DeleteService calls it at once.
 */
export function settleDrainingService(deps: EcsDeps, clusterArn: string, serviceName: string): void {
  const arn = deps.store
    .prepare(`SELECT arn FROM ecs_services WHERE cluster_arn = ? AND name = ? AND status = 'DRAINING'`)
    .pluck()
    .get(clusterArn, serviceName) as string | undefined;
  if (!arn) return;
  const live = deps.store
    .prepare(`SELECT count(*) FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status != 'STOPPED'`)
    .pluck()
    .get(clusterArn, serviceName) as number;
  if (live > 0) return;
  const s = JSON.parse(deps.store.prepare('SELECT doc FROM ecs_services WHERE arn = ?').pluck().get(arn) as string) as ServiceRecord;
  s.status = ServiceStatus.move(s.status, 'INACTIVE');
  const now = deps.now().toISOString();
  s.deployments = s.deployments.map((d) => ({ ...d, status: 'INACTIVE' as const, updatedAt: now }));
  // Its task sets were DRAINING and have no task left: they are gone with it.
  s.taskSets = [];
  saveService(deps, s);
}

/** A digest of a request that ignores member order, for idempotency checks. */
function digest(value: unknown): string {
  const canon = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canon)
      : v && typeof v === 'object' && !(v instanceof Date)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canon((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canon(value))).digest('hex');
}

/** Checks load balancers against the task definition's containers and port mappings. */
export function checkLoadBalancers(td: TaskDefinitionRecord | undefined, lbs: readonly LoadBalancer[]): LoadBalancer[] {
  if (lbs.length > MAX_LOAD_BALANCERS) throw invalidParameter(`A service can use at most ${MAX_LOAD_BALANCERS} load balancers; got ${lbs.length}.`);
  for (const lb of lbs) {
    if (!lb.targetGroupArn && !lb.loadBalancerName) throw invalidParameter('A load balancer needs a targetGroupArn (or, for a Classic Load Balancer, a loadBalancerName).');
    if (lb.targetGroupArn && lb.loadBalancerName) throw invalidParameter('A load balancer takes a targetGroupArn or a loadBalancerName, not both.');
    if (lb.targetGroupArn && !/^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[^/]+\/[^/]+$/.test(lb.targetGroupArn)) {
      throw invalidParameter(`Invalid target group ARN '${lb.targetGroupArn}': expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID.`);
    }
    if (!lb.containerName || lb.containerPort === undefined) {
      throw invalidParameter('A load balancer must name the containerName and containerPort that receive its traffic.');
    }
    if (!td) continue;
    const container = td.containerDefinitions.find((c) => c.name === lb.containerName);
    if (!container) throw invalidParameter(`The container ${lb.containerName} does not exist in the task definition.`);
    const ports = ((container.portMappings as { containerPort?: number }[] | undefined) ?? []).map((p) => p.containerPort);
    if (!ports.includes(lb.containerPort)) {
      throw invalidParameter(`The container ${lb.containerName} did not have a container port ${lb.containerPort} defined.`);
    }
  }
  const seen = new Set<string>();
  for (const lb of lbs) {
    const key = `${lb.targetGroupArn ?? lb.loadBalancerName}|${lb.containerName}|${lb.containerPort}`;
    if (seen.has(key)) throw invalidParameter(`The load balancer ${lb.targetGroupArn ?? lb.loadBalancerName} is given twice for container ${lb.containerName}:${lb.containerPort}.`);
    seen.add(key);
  }
  return lbs.map((lb) => ({ ...lb }));
}

/** A task definition a new deployment may use: it must exist and be ACTIVE. */
function requireUsableTaskDefinition(deps: EcsDeps, ref: string): TaskDefinitionRecord {
  const td = requireTaskDefinition(deps, ref);
  if (td.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
  return td;
}

function roleArnOf(deps: EcsDeps, role: string): string {
  return role.startsWith('arn:') ? role : `arn:aws:iam::${deps.scope.accountId}:role/${role.replace(/^\//, '')}`;
}

function checkGracePeriod(seconds: number | undefined): void {
  if (seconds !== undefined && (seconds < 0 || seconds > 2147483647)) {
    throw invalidParameter(`healthCheckGracePeriodSeconds must be between 0 and 2147483647; got ${seconds}.`);
  }
}

/** A new PRIMARY deployment of the service's current task definition, launch and network configuration. */
export function deploymentFor(s: ServiceRecord, now: Date): DeploymentRecord {
  return newDeployment(
    {
      taskDefinition: s.taskDefinition!,
      desiredCount: s.desiredCount,
      launchType: s.launchType,
      capacityProviderStrategy: s.launchType ? undefined : s.capacityProviderStrategy,
      platformVersion: s.platformVersion,
      platformFamily: s.platformFamily,
      networkConfiguration: s.networkConfiguration,
    },
    now,
  );
}

function applyLaunch(s: ServiceRecord, launch: Launch): void {
  s.effectiveLaunchType = launch.launchType;
  s.launchType = launch.capacityProviderStrategy.length ? undefined : launch.launchType;
  s.capacityProviderStrategy = launch.capacityProviderStrategy;
  s.platformVersion = launch.platformVersion;
  s.platformFamily = launch.platformFamily;
}

/** Live task counts of a service, by deployment (startedBy) and in total. */
function taskCounts(deps: EcsDeps, s: ServiceRecord) {
  const rows = deps.store
    .prepare(
      `SELECT started_by AS startedBy, SUM(last_status = 'RUNNING') AS running,
              SUM(last_status IN (${PENDING_TASK_STATUSES.map(() => '?').join(', ')})) AS pending
         FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status != 'STOPPED' GROUP BY started_by`,
    )
    .all(...PENDING_TASK_STATUSES, s.clusterArn, s.name) as { startedBy: string | null; running: number; pending: number }[];
  const of = (id: string) => rows.find((r) => r.startedBy === id) ?? { running: 0, pending: 0 };
  return {
    running: rows.reduce((n, r) => n + r.running, 0),
    pending: rows.reduce((n, r) => n + r.pending, 0),
    of,
  };
}

/** A service in ECS's wire form. */
function toWire(deps: EcsDeps, s: ServiceRecord, withTags: boolean): Record<string, unknown> {
  const counts = taskCounts(deps, s);
  const strategy = s.launchType ? undefined : s.capacityProviderStrategy.length ? s.capacityProviderStrategy : undefined;
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn: s.clusterArn,
    loadBalancers: s.loadBalancers,
    serviceRegistries: s.serviceRegistries,
    status: s.status,
    desiredCount: s.desiredCount,
    runningCount: counts.running,
    pendingCount: counts.pending,
    launchType: s.launchType,
    capacityProviderStrategy: strategy,
    platformVersion: s.platformVersion,
    platformFamily: s.platformFamily,
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: s.deploymentConfiguration,
    taskSets: s.deploymentController.type === 'ECS' ? undefined : s.taskSets.map((t) => taskSetToWire(deps, s, t, counts.of, false)),
    deployments: s.deployments.map((d) => ({ ...d, ...countsOf(counts.of(d.id)) })),
    roleArn: s.roleArn,
    events: s.events,
    createdAt: s.createdAt,
    placementConstraints: s.placementConstraints,
    placementStrategy: s.placementStrategy,
    networkConfiguration: s.networkConfiguration,
    healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds,
    schedulingStrategy: s.schedulingStrategy,
    deploymentController: s.deploymentController,
    tags: withTags ? tagsToWire(deps.tags.list(s.arn)) : undefined,
    createdBy: s.createdBy,
    enableECSManagedTags: s.enableECSManagedTags,
    propagateTags: s.propagateTags,
    enableExecuteCommand: s.enableExecuteCommand,
    availabilityZoneRebalancing: s.availabilityZoneRebalancing,
    resourceManagementType: 'CUSTOMER',
  };
}

const countsOf = (c: { running: number; pending: number }) => ({ runningCount: c.running, pendingCount: c.pending });

/** CreateService's input, as the model delivers it. */
export interface CreateServiceInput {
  cluster?: string;
  serviceName: string;
  taskDefinition?: string;
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
  loadBalancers?: LoadBalancer[];
  serviceRegistries?: { registryArn?: string; port?: number; containerName?: string; containerPort?: number }[];
  desiredCount?: number;
  clientToken?: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  role?: string;
  deploymentConfiguration?: DeploymentConfigurationInput;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  networkConfiguration?: NetworkConfiguration;
  healthCheckGracePeriodSeconds?: number;
  schedulingStrategy?: SchedulingStrategy;
  deploymentController?: { type: DeploymentControllerType };
  tags?: WireTag[];
  enableECSManagedTags?: boolean;
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableExecuteCommand?: boolean;
  serviceConnectConfiguration?: unknown;
  volumeConfigurations?: unknown[];
  vpcLatticeConfigurations?: unknown[];
}

/** UpdateService's input, as the model delivers it. */
export interface UpdateServiceInput {
  cluster?: string;
  service: string;
  desiredCount?: number;
  taskDefinition?: string;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  deploymentConfiguration?: DeploymentConfigurationInput;
  availabilityZoneRebalancing?: 'ENABLED' | 'DISABLED';
  networkConfiguration?: NetworkConfiguration;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  platformVersion?: string;
  forceNewDeployment?: boolean;
  healthCheckGracePeriodSeconds?: number;
  deploymentController?: { type: DeploymentControllerType };
  enableExecuteCommand?: boolean;
  enableECSManagedTags?: boolean;
  loadBalancers?: LoadBalancer[];
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  serviceRegistries?: unknown[];
  serviceConnectConfiguration?: unknown;
  volumeConfigurations?: unknown[];
  vpcLatticeConfigurations?: unknown[];
}

function refuseUnbuilt(input: { serviceConnectConfiguration?: unknown; volumeConfigurations?: unknown[]; vpcLatticeConfigurations?: unknown[] }): void {
  if (input.serviceConnectConfiguration !== undefined) throw ecsError('UnsupportedFeatureException', 'Berth does not support Service Connect yet.');
  if (input.volumeConfigurations?.length) throw ecsError('UnsupportedFeatureException', 'Berth does not support service volume configurations yet.');
  if (input.vpcLatticeConfigurations?.length) throw ecsError('UnsupportedFeatureException', 'Berth does not support VPC Lattice configurations yet.');
}

/** Builds the service operations. */
export function serviceOperations(deps: EcsDeps) {
  return {
    CreateService(input: CreateServiceInput) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (!NAME.test(input.serviceName)) {
        throw invalidParameter('Service name can contain only letters (uppercase and lowercase), numbers, underscores (_) and hyphens (-), and must be 1 to 255 characters long.');
      }
      if (input.clientToken !== undefined && !/^[\x21-\x7e]{1,36}$/.test(input.clientToken)) {
        throw invalidParameter('clientToken must be 1 to 36 ASCII characters in the range 33-126.');
      }
      const createDigest = digest({ ...input, cluster: cluster.arn });
      const existing = findService(deps, cluster, input.serviceName);
      if (existing && existing.status !== 'INACTIVE') {
        if (existing.status === 'ACTIVE' && existing.createDigest === createDigest) return { service: toWire(deps, existing, true) };
        throw invalidParameter('Creation of service was not idempotent.');
      }
      refuseUnbuilt(input);
      const controller = input.deploymentController?.type ?? 'ECS';
      const scheduling = input.schedulingStrategy ?? 'REPLICA';
      if (scheduling === 'DAEMON' && controller !== 'ECS') {
        throw invalidParameter(`The DAEMON scheduling strategy is not supported with the ${controller} deployment controller.`);
      }
      if (scheduling === 'REPLICA' && input.desiredCount === undefined) {
        throw invalidParameter('desiredCount is required for services that use the REPLICA scheduling strategy.');
      }
      if (scheduling === 'DAEMON' && input.desiredCount !== undefined) {
        throw invalidParameter('desiredCount cannot be specified for services that use the DAEMON scheduling strategy.');
      }
      if ((input.desiredCount ?? 0) < 0) throw invalidParameter(`desiredCount must not be negative; got ${input.desiredCount}.`);
      if (scheduling === 'DAEMON' && input.placementStrategy?.length) {
        throw invalidParameter('Placement strategies are not supported for services that use the DAEMON scheduling strategy.');
      }
      if (controller !== 'EXTERNAL' && !input.taskDefinition) {
        throw invalidParameter(`taskDefinition is required for services that use the ${controller} deployment controller.`);
      }
      const td = input.taskDefinition ? requireUsableTaskDefinition(deps, input.taskDefinition) : undefined;
      const launch = resolveLaunch(cluster, td, input);
      if (launch.launchType === 'FARGATE' && scheduling === 'DAEMON') {
        throw invalidParameter('The DAEMON scheduling strategy is not supported for services that use the FARGATE launch type.');
      }
      const networkConfiguration = td ? checkNetworkConfiguration(td, launch.launchType, input.networkConfiguration) : input.networkConfiguration;
      checkPlacement(td, launch.launchType, input.placementConstraints ?? [], input.placementStrategy ?? []);
      const loadBalancers = checkLoadBalancers(td, input.loadBalancers ?? []);
      checkTargetGroups(deps, td, loadBalancers);
      if (controller === 'CODE_DEPLOY' && loadBalancers.length === 0) {
        throw invalidParameter('A service that uses the CODE_DEPLOY deployment controller must use an Application Load Balancer or Network Load Balancer.');
      }
      if (input.role !== undefined) {
        if (loadBalancers.length === 0) throw invalidParameter('A role can only be specified for a service that uses a load balancer.');
        if (td?.networkMode === 'awsvpc') {
          throw invalidParameter('You cannot specify an IAM role for services that require a service linked role.');
        }
      }
      if ((input.serviceRegistries?.length ?? 0) > 1) throw invalidParameter('A service can have at most 1 service registry.');
      checkGracePeriod(input.healthCheckGracePeriodSeconds);
      const tags = checkTags(input.tags ?? []);
      if (tags.length > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags; got ${tags.length}.`);

      const now = deps.now();
      const s: ServiceRecord = {
        arn: serviceArn(deps.scope, cluster.name, input.serviceName),
        name: input.serviceName,
        clusterArn: cluster.arn,
        status: 'ACTIVE',
        desiredCount: input.desiredCount ?? 0,
        taskDefinition: td?.taskDefinitionArn,
        effectiveLaunchType: launch.launchType,
        capacityProviderStrategy: [],
        loadBalancers,
        serviceRegistries: input.serviceRegistries ?? [],
        deploymentConfiguration: compileDeploymentConfiguration(input.deploymentConfiguration, scheduling),
        deployments: [],
        taskSets: [],
        roleArn: input.role === undefined ? undefined : roleArnOf(deps, input.role),
        events: [],
        createdAt: now.toISOString(),
        createdBy: `arn:aws:iam::${deps.scope.accountId}:root`,
        placementConstraints: input.placementConstraints ?? [],
        placementStrategy: input.placementStrategy ?? [],
        networkConfiguration,
        healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds,
        schedulingStrategy: scheduling,
        deploymentController: { type: controller },
        enableECSManagedTags: input.enableECSManagedTags ?? false,
        propagateTags: input.propagateTags ?? 'NONE',
        enableExecuteCommand: input.enableExecuteCommand ?? false,
        availabilityZoneRebalancing: input.availabilityZoneRebalancing ?? 'ENABLED',
        createDigest,
      };
      applyLaunch(s, launch);
      // ECS reports a daemon's desiredCount as the container instances it runs on: Berth's one host, unless excluded.
      if (scheduling === 'DAEMON') s.desiredCount = Math.min(1, serviceRoom(deps, s, td).holds);
      if (controller === 'ECS') s.deployments = [deploymentFor(s, now)];
      if (controller === 'CODE_DEPLOY' && td) {
        // The first task set, as ECS makes it for a CODE_DEPLOY service: PRIMARY at 100%, started by CODE_DEPLOY.
        addTaskSet(deps, cluster, s, { taskDefinition: td.taskDefinitionArn, startedBy: 'CODE_DEPLOY', launchType: s.launchType, capacityProviderStrategy: s.launchType ? undefined : s.capacityProviderStrategy, platformVersion: s.platformVersion, networkConfiguration: s.networkConfiguration, loadBalancers: s.loadBalancers, serviceRegistries: s.serviceRegistries, primary: true }, now);
      }
      saveService(deps, s);
      deps.tags.clear(s.arn);
      deps.tags.put(s.arn, tags);
      deps.onServiceChange?.({ clusterArn: s.clusterArn, serviceName: s.name });
      return { service: toWire(deps, s, true) };
    },

    DescribeServices(input: { cluster?: string; services: string[]; include?: 'TAGS'[] }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (input.services.length === 0) throw invalidParameter('Services cannot be empty.');
      if (input.services.length > MAX_DESCRIBE_SERVICES) {
        throw invalidParameter(`Services cannot have more than ${MAX_DESCRIBE_SERVICES} elements; got ${input.services.length}.`);
      }
      const withTags = input.include?.includes('TAGS') ?? false;
      const services: Record<string, unknown>[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of input.services) {
        const s = findService(deps, cluster, ref);
        if (s) services.push(toWire(deps, s, withTags));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : serviceArn(deps.scope, cluster.name, ref), reason: 'MISSING' });
      }
      return { services, failures };
    },

    ListServices(input: {
      cluster?: string;
      nextToken?: string;
      maxResults?: number;
      launchType?: LaunchType;
      schedulingStrategy?: SchedulingStrategy;
      resourceManagementType?: 'CUSTOMER' | 'ECS';
    }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      const arns =
        input.resourceManagementType === 'ECS'
          ? []
          : (deps.store
              .prepare(
                `SELECT arn FROM ecs_services
                  WHERE cluster_arn = @cluster AND status IN ('ACTIVE', 'DRAINING')
                    AND (@launchType IS NULL OR launch_type = @launchType)
                    AND (@scheduling IS NULL OR scheduling_strategy = @scheduling)
                  ORDER BY created_at, name`,
              )
              .pluck()
              .all({ cluster: cluster.arn, launchType: input.launchType ?? null, scheduling: input.schedulingStrategy ?? null }) as string[]);
      const scope = `ListServices|${cluster.arn}|${input.launchType ?? ''}|${input.schedulingStrategy ?? ''}|${input.resourceManagementType ?? ''}`;
      const page = paginate(arns, { nextToken: input.nextToken, maxResults: input.maxResults, defaultMax: 10, limit: 100, scope }, invalidParameter);
      return { serviceArns: page.items, nextToken: page.nextToken };
    },

    UpdateService(input: UpdateServiceInput) {
      const cluster = requireActiveCluster(deps, input.cluster);
      const s = findService(deps, cluster, input.service);
      if (!s) throw serviceNotFound();
      if (s.status !== 'ACTIVE') throw serviceNotActive();
      refuseUnbuilt(input);
      const controller = s.deploymentController.type;
      if (input.deploymentController && input.deploymentController.type !== controller) {
        throw ecsError('UnsupportedFeatureException', `Berth cannot change a service's deployment controller from ${controller} to ${input.deploymentController.type} yet.`);
      }
      if (controller !== 'ECS') {
        const fixed: [unknown, string][] = [
          [input.taskDefinition, 'task definition'],
          [input.networkConfiguration, 'network configuration'],
          [input.platformVersion, 'platform version'],
          [input.loadBalancers, 'load balancers'],
          [input.capacityProviderStrategy, 'capacity provider strategy'],
          [input.serviceRegistries, 'service registries'],
          [input.forceNewDeployment || undefined, 'deployment (forceNewDeployment)'],
        ];
        for (const [value, what] of fixed) {
          if (value === undefined) continue;
          throw invalidParameter(
            controller === 'CODE_DEPLOY'
              ? `Unable to update ${what} on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.`
              : `Unable to update ${what} on services with an EXTERNAL deployment controller. Use CreateTaskSet to deploy a new task set.`,
          );
        }
      }
      if (input.desiredCount !== undefined) {
        if (s.schedulingStrategy === 'DAEMON') throw invalidParameter('desiredCount cannot be specified for services that use the DAEMON scheduling strategy.');
        if (input.desiredCount < 0) throw invalidParameter(`desiredCount must not be negative; got ${input.desiredCount}.`);
      }
      checkGracePeriod(input.healthCheckGracePeriodSeconds);
      const now = deps.now();
      const td = input.taskDefinition ? requireUsableTaskDefinition(deps, input.taskDefinition) : s.taskDefinition ? requireTaskDefinition(deps, s.taskDefinition) : undefined;
      const strategyChanged =
        input.capacityProviderStrategy !== undefined && digest(input.capacityProviderStrategy) !== digest(s.launchType ? [] : s.capacityProviderStrategy);
      if (strategyChanged && !input.forceNewDeployment) {
        throw invalidParameter('Changing the capacity provider strategy of a service requires forceNewDeployment.');
      }
      const launch = resolveLaunch(cluster, td, {
        launchType: input.capacityProviderStrategy?.length ? undefined : s.launchType,
        capacityProviderStrategy: input.capacityProviderStrategy?.length ? input.capacityProviderStrategy : s.launchType ? undefined : s.capacityProviderStrategy,
        platformVersion: input.platformVersion ?? s.platformVersion,
      });
      const networkConfiguration = td ? checkNetworkConfiguration(td, launch.launchType, input.networkConfiguration ?? s.networkConfiguration) : s.networkConfiguration;
      const constraints = input.placementConstraints ?? s.placementConstraints;
      const strategies = input.placementStrategy ?? s.placementStrategy;
      if (s.schedulingStrategy === 'DAEMON' && strategies.length) {
        throw invalidParameter('Placement strategies are not supported for services that use the DAEMON scheduling strategy.');
      }
      checkPlacement(td, launch.launchType, constraints, strategies);
      const loadBalancers = checkLoadBalancers(td, input.loadBalancers ?? s.loadBalancers);
      checkTargetGroups(deps, td, loadBalancers);
      const deploymentConfiguration = compileDeploymentConfiguration(input.deploymentConfiguration, s.schedulingStrategy, s.deploymentConfiguration);

      const newDeploymentNeeded =
        controller === 'ECS' &&
        (input.forceNewDeployment === true ||
          (td !== undefined && td.taskDefinitionArn !== s.taskDefinition) ||
          digest(networkConfiguration ?? null) !== digest(s.networkConfiguration ?? null) ||
          launch.platformVersion !== s.platformVersion ||
          strategyChanged ||
          digest(loadBalancers) !== digest(s.loadBalancers) ||
          (input.serviceRegistries !== undefined && digest(input.serviceRegistries) !== digest(s.serviceRegistries)));

      if (input.desiredCount !== undefined) s.desiredCount = input.desiredCount;
      s.taskDefinition = td?.taskDefinitionArn ?? s.taskDefinition;
      applyLaunch(s, launch);
      s.networkConfiguration = networkConfiguration;
      s.placementConstraints = constraints;
      s.placementStrategy = strategies;
      s.loadBalancers = loadBalancers;
      s.deploymentConfiguration = deploymentConfiguration;
      if (input.serviceRegistries !== undefined) s.serviceRegistries = input.serviceRegistries;
      if (input.healthCheckGracePeriodSeconds !== undefined) s.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (input.enableExecuteCommand !== undefined) s.enableExecuteCommand = input.enableExecuteCommand;
      if (input.enableECSManagedTags !== undefined) s.enableECSManagedTags = input.enableECSManagedTags;
      if (input.propagateTags !== undefined) s.propagateTags = input.propagateTags;
      if (input.availabilityZoneRebalancing !== undefined) s.availabilityZoneRebalancing = input.availabilityZoneRebalancing;

      if (newDeploymentNeeded) {
        s.deployments = replacePrimary(s.deployments, deploymentFor(s, now), now);
      } else if (input.desiredCount !== undefined) {
        const at = now.toISOString();
        s.deployments = s.deployments.map((d) => (d.status === 'PRIMARY' ? { ...d, desiredCount: s.desiredCount, updatedAt: at } : d));
      }
      // Every task set follows the service's desiredCount at its own scale.
      if (input.desiredCount !== undefined) rescaleTaskSets(s, now);
      saveService(deps, s);
      deps.onServiceChange?.({ clusterArn: s.clusterArn, serviceName: s.name });
      return { service: toWire(deps, s, false) };
    },

    DeleteService(input: { cluster?: string; service: string; force?: boolean }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      const s = findService(deps, cluster, input.service);
      if (!s || s.status === 'INACTIVE') throw serviceNotFound();
      if (s.status === 'ACTIVE') {
        if (s.schedulingStrategy === 'REPLICA' && s.desiredCount > 0 && !input.force) {
          throw invalidParameter('The service cannot be stopped while it is scaled above 0.');
        }
        const at = deps.now().toISOString();
        s.status = ServiceStatus.move(s.status, 'DRAINING');
        s.desiredCount = 0;
        s.deployments = s.deployments.map((d) => ({ ...d, desiredCount: 0, updatedAt: at }));
        s.taskSets = s.taskSets.map((t) => ({ ...t, computedDesiredCount: 0, status: 'DRAINING' as const, updatedAt: at }));
        saveService(deps, s);
        // AWS answers with the service as DeleteService left it (DRAINING); it turns INACTIVE
        // once no task of it is left, which describe calls show.
        const answer = toWire(deps, s, false);
        settleDrainingService(deps, s.clusterArn, s.name);
        deps.onServiceChange?.({ clusterArn: s.clusterArn, serviceName: s.name });
        return { service: answer };
      }
      return { service: toWire(deps, s, false) };
    },
  };
}
