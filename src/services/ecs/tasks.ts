/**
 * ECS tasks, stored and validated: RunTask, StartTask, StopTask, DescribeTasks, ListTasks.
 * A new task is PROVISIONING (desired RUNNING) until the task agent (src/agent) runs it; stopping
 * a task the agent never touched takes it straight to STOPPED, any other goes through the agent.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { paginate } from '../../pagination/index.js';
import { lastSegment, taskArn as taskArnOf } from './arns.js';
import { requireActiveCluster, type ClusterRecord } from './clusters.js';
import type { EcsDeps } from './deps.js';
import { clientException, invalidParameter, serviceNotFound } from './errors.js';
import {
  capacityProviderFor,
  checkNetworkConfiguration,
  checkPlacement,
  LATEST_FARGATE_PLATFORM,
  placeRunTasks,
  resolveLaunch,
  type AwsVpcConfiguration,
  type CapacityProviderStrategyItem,
  type Launch,
  type LaunchType,
  type NetworkConfiguration,
  type PlacementConstraint,
  type PlacementStrategy,
} from './launch.js';
import { ContainerStatus, TaskDesiredStatus, TaskStatus } from './lifecycle.js';
import { findService, settleDrainingService } from './services.js';
import { checkTags, MANAGED_TAG_KEYS, MAX_TAGS, tagsToWire, type WireTag } from './tags.js';
import type { Tag } from '../../tagging/index.js';
import { requireTaskDefinition, type TaskDefinitionRecord } from './task-definition-records.js';

/** The most tasks one RunTask call may start. */
export const MAX_RUN_COUNT = 10;
/** The most tasks one DescribeTasks call may name. */
export const MAX_DESCRIBE_TASKS = 100;
/** The longest StopTask reason ECS keeps. */
export const MAX_STOP_REASON = 255;
const STARTED_BY = /^[a-zA-Z0-9_/-]{1,128}$/;

/** A container override as ECS writes it. */
export interface ContainerOverride {
  name?: string;
  command?: string[];
  environment?: { name?: string; value?: string }[];
  environmentFiles?: { value: string; type: string }[];
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
  resourceRequirements?: { value: string; type: string }[];
}

/** A task override as ECS writes it. */
export interface TaskOverride {
  containerOverrides?: ContainerOverride[];
  cpu?: string;
  memory?: string;
  taskRoleArn?: string;
  executionRoleArn?: string;
  ephemeralStorage?: { sizeInGiB: number };
  inferenceAcceleratorOverrides?: unknown[];
}

/** One container of a task, as Berth keeps it. */
export interface ContainerRecord {
  containerArn: string;
  taskArn: string;
  name: string;
  image: string;
  lastStatus: ContainerStatus;
  exitCode?: number;
  reason?: string;
  networkBindings: { bindIP: string; containerPort: number; hostPort: number; protocol: 'tcp' | 'udp' }[];
  networkInterfaces: { attachmentId?: string; privateIpv4Address?: string }[];
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  cpu: string;
  memory?: string;
  memoryReservation?: string;
  /** The driver's id of the running container (`<taskId>/<name>`). */
  runtimeId?: string;
}

/** An attachment of a task (its awsvpc network interface). */
export interface AttachmentRecord {
  id: string;
  type: 'ElasticNetworkInterface';
  status: 'PRECREATED' | 'CREATED' | 'ATTACHING' | 'ATTACHED' | 'DETACHING' | 'DETACHED' | 'DELETED' | 'FAILED';
  details: { name: string; value: string }[];
}

/** A task as Berth keeps it. */
export interface TaskRecord {
  taskArn: string;
  id: string;
  clusterArn: string;
  taskDefinitionArn: string;
  family: string;
  lastStatus: TaskStatus;
  desiredStatus: TaskDesiredStatus;
  containers: ContainerRecord[];
  attachments: AttachmentRecord[];
  attributes: { name: string; value: string }[];
  availabilityZone: string;
  capacityProviderName?: string;
  cpu?: string;
  memory?: string;
  createdAt: string;
  group: string;
  launchType: LaunchType;
  platformVersion?: string;
  platformFamily?: string;
  startedBy?: string;
  /** The service the task belongs to (set by the service scheduler). */
  serviceName?: string;
  overrides: TaskOverride;
  enableExecuteCommand: boolean;
  version: number;
  healthStatus: 'HEALTHY' | 'UNHEALTHY' | 'UNKNOWN';
  /** CONNECTED once the task's network is ready (set by the task agent), DISCONNECTED once released. */
  connectivity?: 'CONNECTED' | 'DISCONNECTED';
  connectivityAt?: string;
  pullStartedAt?: string;
  pullStoppedAt?: string;
  startedAt?: string;
  stopCode?: 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'ServiceSchedulerInitiated' | 'SpotInterruption' | 'TerminationNotice';
  stoppedReason?: string;
  stoppingAt?: string;
  stoppedAt?: string;
  executionStoppedAt?: string;
  ephemeralStorage?: { sizeInGiB: number };
  /** The checked awsvpc configuration the task's network interface is made from. */
  awsvpcConfiguration?: AwsVpcConfiguration;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  referenceId?: string;
  /** RunTask's clientToken and a digest of its request, for idempotent retries. */
  clientToken?: string;
  requestDigest?: string;
}

/** Writes a task (insert or replace), keeping the filter columns in step with the document. */
export function saveTask(deps: EcsDeps, t: TaskRecord): void {
  deps.store
    .prepare(
      `INSERT INTO ecs_tasks (arn, cluster_arn, family, service_name, started_by, desired_status, last_status, launch_type,
         container_instance_arn, created_at, doc)
       VALUES (@arn, @clusterArn, @family, @serviceName, @startedBy, @desiredStatus, @lastStatus, @launchType, NULL, @createdAt, @doc)
       ON CONFLICT(arn) DO UPDATE SET service_name = excluded.service_name, started_by = excluded.started_by,
         desired_status = excluded.desired_status, last_status = excluded.last_status, launch_type = excluded.launch_type, doc = excluded.doc`,
    )
    .run({
      arn: t.taskArn,
      clusterArn: t.clusterArn,
      family: t.family,
      serviceName: t.serviceName ?? null,
      startedBy: t.startedBy ?? null,
      desiredStatus: t.desiredStatus,
      lastStatus: t.lastStatus,
      launchType: t.launchType,
      createdAt: t.createdAt,
      doc: JSON.stringify(t),
    });
}

/** Reads a task of a cluster by id or ARN; undefined when there is none. */
export function findTask(deps: EcsDeps, cluster: ClusterRecord, ref: string): TaskRecord | undefined {
  const arn = taskArnOf(deps.scope, cluster.name, lastSegment(ref));
  if (ref.startsWith('arn:') && ref !== arn) return undefined;
  const doc = deps.store.prepare('SELECT doc FROM ecs_tasks WHERE arn = ?').pluck().get(arn) as string | undefined;
  return doc === undefined ? undefined : (JSON.parse(doc) as TaskRecord);
}

/** Checks overrides against the task definition's containers. */
export function checkOverrides(td: TaskDefinitionRecord, overrides: TaskOverride | undefined): TaskOverride {
  const o = overrides ?? {};
  const names = new Set<string>();
  for (const c of o.containerOverrides ?? []) {
    if (!c.name) throw invalidParameter('A container override must name its container.');
    if (!td.containerDefinitions.some((d) => d.name === c.name)) {
      throw invalidParameter(`Override for container named ${c.name} is not a container in the TaskDefinition.`);
    }
    if (names.has(c.name)) throw invalidParameter(`Container ${c.name} is overridden more than once.`);
    names.add(c.name);
    for (const [k, v] of [['cpu', c.cpu], ['memory', c.memory], ['memoryReservation', c.memoryReservation]] as const) {
      if (v !== undefined && v < 0) throw invalidParameter(`Container override ${k} for ${c.name} must not be negative.`);
    }
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      throw invalidParameter(`Container ${c.name}: memoryReservation (${c.memoryReservation}) must not exceed memory (${c.memory}).`);
    }
  }
  for (const k of ['cpu', 'memory'] as const) {
    if (o[k] !== undefined && !/^\s*\d+(\.\d+)?\s*([a-zA-Z]+)?\s*$/.test(o[k]!)) {
      throw invalidParameter(`Task ${k} override '${o[k]}' is not valid: give a number (for example 1024) or a unit (for example 1 vCPU, 2 GB).`);
    }
  }
  if (o.ephemeralStorage && (o.ephemeralStorage.sizeInGiB < 20 || o.ephemeralStorage.sizeInGiB > 200)) {
    throw invalidParameter(`ephemeralStorage sizeInGiB must be between 20 and 200; got ${o.ephemeralStorage.sizeInGiB}.`);
  }
  return {
    ...o,
    containerOverrides: td.containerDefinitions.map((d) => (o.containerOverrides ?? []).find((c) => c.name === d.name) ?? { name: d.name as string }),
    inferenceAcceleratorOverrides: o.inferenceAcceleratorOverrides ?? [],
  };
}

/** Everything a new task is made from (RunTask now; the service scheduler later). */
export interface NewTaskSpec {
  cluster: ClusterRecord;
  taskDefinition: TaskDefinitionRecord;
  launch: Launch;
  networkConfiguration?: { awsvpcConfiguration: AwsVpcConfiguration };
  overrides: TaskOverride;
  group: string;
  startedBy?: string;
  serviceName?: string;
  enableExecuteCommand: boolean;
  placementConstraints: PlacementConstraint[];
  placementStrategy: PlacementStrategy[];
  referenceId?: string;
}

const CPU_ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'arm64' };

/** A new task, PROVISIONING with desired status RUNNING, its containers PENDING. */
export function newTask(deps: EcsDeps, spec: NewTaskSpec, now: Date): TaskRecord {
  const id = randomBytes(16).toString('hex');
  const arn = taskArnOf(deps.scope, spec.cluster.name, id);
  const td = spec.taskDefinition;
  const vpc = spec.networkConfiguration?.awsvpcConfiguration;
  const attachment: AttachmentRecord | undefined = vpc && {
    id: randomUUID(),
    type: 'ElasticNetworkInterface',
    status: 'PRECREATED',
    details: [{ name: 'subnetId', value: vpc.subnets[0] }],
  };
  const fargate = spec.launch.launchType === 'FARGATE';
  const str = (n: unknown) => (n === undefined || n === null ? undefined : String(n));
  return {
    taskArn: arn,
    id,
    clusterArn: spec.cluster.arn,
    taskDefinitionArn: td.taskDefinitionArn,
    family: td.family,
    lastStatus: 'PROVISIONING',
    desiredStatus: 'RUNNING',
    containers: td.containerDefinitions.map((c) => ({
      containerArn: `arn:aws:ecs:${deps.scope.region}:${deps.scope.accountId}:container/${spec.cluster.name}/${id}/${randomUUID()}`,
      taskArn: arn,
      name: c.name as string,
      image: c.image as string,
      lastStatus: 'PENDING',
      networkBindings: [],
      networkInterfaces: attachment ? [{ attachmentId: attachment.id }] : [],
      healthStatus: 'UNKNOWN',
      cpu: String(c.cpu ?? 0),
      memory: str(c.memory),
      memoryReservation: str(c.memoryReservation),
    })),
    attachments: attachment ? [attachment] : [],
    attributes: [{ name: 'ecs.cpu-architecture', value: CPU_ARCH[process.arch] ?? process.arch }],
    availabilityZone: `${deps.scope.region}a`,
    capacityProviderName: capacityProviderFor(spec.launch.capacityProviderStrategy) ?? (fargate ? 'FARGATE' : undefined),
    cpu: spec.overrides.cpu ?? td.cpu,
    memory: spec.overrides.memory ?? td.memory,
    createdAt: now.toISOString(),
    group: spec.group,
    launchType: spec.launch.launchType,
    platformVersion: fargate ? (spec.launch.platformVersion === 'LATEST' ? LATEST_FARGATE_PLATFORM : spec.launch.platformVersion) : undefined,
    platformFamily: spec.launch.platformFamily,
    startedBy: spec.startedBy,
    serviceName: spec.serviceName,
    overrides: spec.overrides,
    enableExecuteCommand: spec.enableExecuteCommand,
    version: 1,
    healthStatus: 'UNKNOWN',
    ephemeralStorage: fargate ? (spec.overrides.ephemeralStorage ?? (td.ephemeralStorage as { sizeInGiB: number } | undefined) ?? { sizeInGiB: 20 }) : undefined,
    awsvpcConfiguration: vpc,
    placementConstraints: spec.placementConstraints,
    placementStrategy: spec.placementStrategy,
    referenceId: spec.referenceId,
  };
}

/**
 * Asks a task to stop: desired status STOPPED, with the stop code and reason. A task the task
 * agent never touched (no runtime state in `ecs_task_runtime`) has nothing running, so it moves
 * straight to STOPPED (its containers too); any other is stopped by the agent, which moves it
 * through DEACTIVATING/STOPPING to STOPPED. Returns false when the task was already asked to stop.
 */
export function requestStop(deps: EcsDeps, t: TaskRecord, stopCode: NonNullable<TaskRecord['stopCode']>, reason: string): boolean {
  if (t.desiredStatus === 'STOPPED') return false;
  const at = deps.now().toISOString();
  t.desiredStatus = TaskDesiredStatus.move(t.desiredStatus, 'STOPPED');
  t.stopCode = stopCode;
  t.stoppedReason = reason;
  t.stoppingAt = at;
  const touched = deps.store.prepare('SELECT 1 FROM ecs_task_runtime WHERE task_arn = ?').pluck().get(t.taskArn) !== undefined;
  if (t.lastStatus === 'PROVISIONING' && !touched) {
    t.lastStatus = TaskStatus.move(t.lastStatus, 'STOPPED');
    t.stoppedAt = at;
    t.executionStoppedAt = at;
    for (const c of t.containers) if (c.lastStatus !== 'STOPPED') c.lastStatus = ContainerStatus.move(c.lastStatus, 'STOPPED');
    for (const a of t.attachments) a.status = 'DELETED';
  }
  t.version++;
  saveTask(deps, t);
  if (t.serviceName) settleDrainingService(deps, t.clusterArn, t.serviceName);
  deps.onTaskChange?.();
  return true;
}

/** A task in ECS's wire form. */
function toWire(deps: EcsDeps, t: TaskRecord, tags: readonly Tag[] | undefined): Record<string, unknown> {
  const { id: _id, family: _family, serviceName: _s, awsvpcConfiguration: _v, placementConstraints: _pc, placementStrategy: _ps, referenceId: _r, clientToken: _c, requestDigest: _d, ...wire } = t;
  return { ...wire, tags: tags ? tagsToWire(tags) : undefined };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** RunTask's input, as the model delivers it. */
export interface RunTaskInput {
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  cluster?: string;
  count?: number;
  enableECSManagedTags?: boolean;
  enableExecuteCommand?: boolean;
  group?: string;
  launchType?: LaunchType;
  networkConfiguration?: NetworkConfiguration;
  overrides?: TaskOverride;
  placementConstraints?: PlacementConstraint[];
  placementStrategy?: PlacementStrategy[];
  platformVersion?: string;
  propagateTags?: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  referenceId?: string;
  startedBy?: string;
  tags?: WireTag[];
  taskDefinition: string;
  clientToken?: string;
  volumeConfigurations?: unknown[];
}

/** Checks the members RunTask and StartTask share and returns the task's tags. */
function checkStartMembers(deps: EcsDeps, cluster: ClusterRecord, td: TaskDefinitionRecord, input: RunTaskInput): Tag[] {
  if (input.startedBy !== undefined && !STARTED_BY.test(input.startedBy)) {
    throw invalidParameter('startedBy can be up to 128 letters (uppercase and lowercase), numbers, hyphens (-), forward slashes (/) and underscores (_).');
  }
  if (input.group !== undefined && (input.group.length === 0 || input.group.length > 255)) {
    throw invalidParameter('group must be 1 to 255 characters long.');
  }
  if (input.referenceId !== undefined && input.referenceId.length > 64) throw invalidParameter('referenceId can be at most 64 characters long.');
  if (input.volumeConfigurations?.length) throw invalidParameter('Berth does not support task volume configurations yet.');
  const own = checkTags(input.tags ?? []);
  let tags: Tag[] = own;
  if (input.propagateTags === 'SERVICE') throw invalidParameter('propagateTags SERVICE is only valid for tasks that a service starts.');
  if (input.propagateTags === 'TASK_DEFINITION') {
    const fromTd = deps.tags.list(td.taskDefinitionArn).filter((t) => !own.some((o) => o.key === t.key));
    tags = [...fromTd, ...own];
  }
  if (tags.length > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags; this task would have ${tags.length}.`);
  if (input.enableECSManagedTags) tags = [...tags, { key: MANAGED_TAG_KEYS.clusterName, value: cluster.name }];
  return tags;
}

/** The task definition a new task may use: it must exist and be ACTIVE. */
function requireRunnableTaskDefinition(deps: EcsDeps, ref: string): TaskDefinitionRecord {
  const td = requireTaskDefinition(deps, ref);
  if (td.status !== 'ACTIVE') throw clientException('TaskDefinition is inactive');
  return td;
}

/** Builds the task operations. */
export function taskOperations(deps: EcsDeps) {
  return {
    RunTask(input: RunTaskInput) {
      const cluster = requireActiveCluster(deps, input.cluster);
      const count = input.count ?? 1;
      if (count < 1 || count > MAX_RUN_COUNT) throw invalidParameter(`count must be between 1 and ${MAX_RUN_COUNT}; got ${count}.`);
      if (input.clientToken !== undefined && !/^[\x21-\x7e]{1,64}$/.test(input.clientToken)) {
        throw invalidParameter('clientToken must be 1 to 64 ASCII characters in the range 33-126.');
      }
      const requestDigest = digest({ ...input, cluster: cluster.arn });
      if (input.clientToken !== undefined) {
        const earlier = (
          deps.store
            .prepare(`SELECT doc FROM ecs_tasks WHERE cluster_arn = ? AND json_extract(doc, '$.clientToken') = ? ORDER BY created_at, rowid`)
            .pluck()
            .all(cluster.arn, input.clientToken) as string[]
        ).map((d) => JSON.parse(d) as TaskRecord);
        if (earlier.length > 0) {
          if (earlier[0].requestDigest !== requestDigest) {
            throw invalidParameter('The clientToken was already used for a RunTask request with different parameters.');
          }
          return { tasks: earlier.map((t) => toWire(deps, t, deps.tags.list(t.taskArn))), failures: [] };
        }
      }
      const td = requireRunnableTaskDefinition(deps, input.taskDefinition);
      const launch = resolveLaunch(cluster, td, input);
      const networkConfiguration = checkNetworkConfiguration(td, launch.launchType, input.networkConfiguration);
      const placementConstraints = input.placementConstraints ?? [];
      const placementStrategy = input.placementStrategy ?? [];
      const expressions = checkPlacement(td, launch.launchType, placementConstraints, placementStrategy);
      const overrides = checkOverrides(td, input.overrides);
      const tags = checkStartMembers(deps, cluster, td, input);
      const group = input.group ?? `family:${td.family}`;
      // Constraints decide how many of `count` Berth's one host takes; the rest are failures, as ECS reports them.
      const placement = placeRunTasks(deps, cluster, launch.launchType, group, placementConstraints, expressions, count);
      const now = deps.now();
      const tasks: Record<string, unknown>[] = [];
      for (let i = 0; i < placement.placed; i++) {
        const t = newTask(
          deps,
          {
            cluster,
            taskDefinition: td,
            launch,
            networkConfiguration,
            overrides,
            group,
            startedBy: input.startedBy,
            enableExecuteCommand: input.enableExecuteCommand ?? false,
            placementConstraints,
            placementStrategy,
            referenceId: input.referenceId,
          },
          now,
        );
        t.clientToken = input.clientToken;
        t.requestDigest = input.clientToken === undefined ? undefined : requestDigest;
        saveTask(deps, t);
        deps.tags.put(t.taskArn, tags);
        tasks.push(toWire(deps, t, tags));
      }
      if (tasks.length > 0) deps.onTaskChange?.();
      return { tasks, failures: placement.failures };
    },

    StartTask(input: Omit<RunTaskInput, 'count' | 'launchType' | 'capacityProviderStrategy' | 'placementConstraints' | 'placementStrategy' | 'platformVersion' | 'clientToken'> & { containerInstances: string[] }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (input.containerInstances.length === 0) throw invalidParameter('containerInstances can not be empty.');
      if (input.containerInstances.length > 10) throw invalidParameter(`containerInstances can have at most 10 items; got ${input.containerInstances.length}.`);
      const td = requireRunnableTaskDefinition(deps, input.taskDefinition);
      checkOverrides(td, input.overrides);
      checkStartMembers(deps, cluster, td, input);
      // Berth registers no container instances (tasks run on Berth's own host through RunTask),
      // so every container instance StartTask names is one the cluster does not have.
      throw invalidParameter(
        `Container instance ${input.containerInstances[0]} was not found in cluster ${cluster.name}: Berth has no container instances; use RunTask to start tasks.`,
      );
    },

    StopTask(input: { cluster?: string; task: string; reason?: string }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (input.reason !== undefined && input.reason.length > MAX_STOP_REASON) {
        throw invalidParameter(`reason can be at most ${MAX_STOP_REASON} characters long; got ${input.reason.length}.`);
      }
      const t = findTask(deps, cluster, input.task);
      if (!t) throw invalidParameter('The referenced task was not found.');
      requestStop(deps, t, 'UserInitiated', input.reason ?? 'Task stopped by user');
      // As on ECS, a stopped task's tags are deleted.
      deps.tags.clear(t.taskArn);
      return { task: toWire(deps, t, []) };
    },

    DescribeTasks(input: { cluster?: string; tasks: string[]; include?: 'TAGS'[] }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (input.tasks.length === 0) throw invalidParameter('Tasks cannot be empty.');
      if (input.tasks.length > MAX_DESCRIBE_TASKS) {
        throw invalidParameter(`Tasks cannot have more than ${MAX_DESCRIBE_TASKS} elements; got ${input.tasks.length}.`);
      }
      const withTags = input.include?.includes('TAGS') ?? false;
      const tasks: Record<string, unknown>[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of input.tasks) {
        const t = findTask(deps, cluster, ref);
        if (t) tasks.push(toWire(deps, t, withTags ? deps.tags.list(t.taskArn) : undefined));
        else failures.push({ arn: ref.startsWith('arn:') ? ref : taskArnOf(deps.scope, cluster.name, ref), reason: 'MISSING' });
      }
      return { tasks, failures };
    },

    ListTasks(input: {
      cluster?: string;
      containerInstance?: string;
      family?: string;
      nextToken?: string;
      maxResults?: number;
      startedBy?: string;
      serviceName?: string;
      desiredStatus?: TaskDesiredStatus;
      launchType?: LaunchType;
      daemonName?: string;
    }) {
      const cluster = requireActiveCluster(deps, input.cluster);
      if (input.serviceName !== undefined && !findService(deps, cluster, input.serviceName)) throw serviceNotFound();
      const filters = {
        cluster: cluster.arn,
        desiredStatus: input.desiredStatus ?? 'RUNNING',
        family: input.family ?? null,
        startedBy: input.startedBy ?? null,
        serviceName: input.serviceName === undefined ? null : lastSegment(input.serviceName),
        launchType: input.launchType ?? null,
      };
      // No task runs on a container instance or belongs to a daemon yet, so those filters match nothing.
      const arns =
        input.containerInstance !== undefined || input.daemonName !== undefined
          ? []
          : (deps.store
              .prepare(
                `SELECT arn FROM ecs_tasks
                  WHERE cluster_arn = @cluster AND desired_status = @desiredStatus
                    AND (@family IS NULL OR family = @family)
                    AND (@startedBy IS NULL OR started_by = @startedBy)
                    AND (@serviceName IS NULL OR service_name = @serviceName)
                    AND (@launchType IS NULL OR launch_type = @launchType)
                  ORDER BY created_at, rowid`,
              )
              .pluck()
              .all(filters) as string[]);
      const scope = `ListTasks|${JSON.stringify(filters)}|${input.containerInstance ?? ''}|${input.daemonName ?? ''}`;
      const page = paginate(arns, { nextToken: input.nextToken, maxResults: input.maxResults, defaultMax: 100, limit: 100, scope }, invalidParameter);
      return { taskArns: page.items, nextToken: page.nextToken };
    },
  };
}
