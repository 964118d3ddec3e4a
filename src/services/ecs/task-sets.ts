/**
 * ECS task sets: the tasks of a service of the EXTERNAL or CODE_DEPLOY deployment controller, in
 * sets (PRIMARY, ACTIVE, DRAINING), each scaled to a percentage of the service's desiredCount.
 * CreateTaskSet, DescribeTaskSets, UpdateTaskSet, UpdateServicePrimaryTaskSet, DeleteTaskSet, and
 * the same logic as internal functions for CodeDeploy (which drives CODE_DEPLOY services, whose
 * task sets the API refuses to change, as ECS does). Task sets live in their service's record
 * (`ServiceRecord.taskSets`); the service scheduler runs their tasks (src/scheduler/task-sets.ts),
 * tasks whose `startedBy` is the task set's id.
 */
import { clusterNameOf, lastSegment } from './arns.js';
import { requireActiveCluster, type ClusterRecord } from './clusters.js';
import { newDeploymentId } from './deployments.js';
import type { EcsDeps } from './deps.js';
import { ecsError, invalidParameter, serviceNotActive, serviceNotFound } from './errors.js';
import { checkNetworkConfiguration, resolveLaunch, type CapacityProviderStrategyItem, type LaunchType, type NetworkConfiguration } from './launch.js';
import { PENDING_TASK_STATUSES } from './lifecycle.js';
import { checkTargetGroups } from './load-balancers.js';
import { checkLoadBalancers, findService, saveService, type LoadBalancer, type ServiceRecord, type TaskSetRecord } from './services.js';
import { checkTags, MAX_TAGS, tagsToWire, type WireTag } from './tags.js';
import { requireTaskDefinition } from './task-definition-records.js';

/** ECS's limit: at most 5 task sets (deployments) on a service. */
export const MAX_TASK_SETS = 5;

/** ECS's refusal of task-set management on a service of another deployment controller. */
export const EXTERNAL_ONLY_MESSAGE = 'Amazon ECS only supports task set management on services configured to use external deployment controllers.';

/**
 * The tasks a task set should run: the service's desiredCount x scale / 100, always rounded up (API
 * reference, TaskSet.computedDesiredCount: "1.2 rounds up to 2"). The product is rounded to 9
 * decimals first so that a float error (e.g. 3 x 33.33...) does not round an exact count up.
 */
export function computedDesiredCount(desiredCount: number, scalePercent: number): number {
  const exact = Math.round(((desiredCount * scalePercent) / 100) * 1e9) / 1e9;
  return Math.ceil(exact);
}

/** Checks a Scale as ECS takes it: unit PERCENT, value 0 to 100. */
export function checkScale(scale: { value?: number; unit?: string } | undefined): { value: number; unit: 'PERCENT' } {
  if (!scale) return { value: 100, unit: 'PERCENT' };
  if (scale.unit !== undefined && scale.unit !== 'PERCENT') throw invalidParameter(`Invalid scale unit '${scale.unit}'. The only supported unit is PERCENT.`);
  const value = scale.value ?? 0;
  if (!Number.isFinite(value) || value < 0 || value > 100) throw invalidParameter(`The scale value must be between 0 and 100; got ${value}.`);
  return { value, unit: 'PERCENT' };
}

/** What a new task set is made from (CreateTaskSet, CreateService of a CODE_DEPLOY service, CodeDeploy). */
export interface NewTaskSetInput {
  taskDefinition: string;
  externalId?: string;
  startedBy?: string;
  launchType?: LaunchType;
  capacityProviderStrategy?: CapacityProviderStrategyItem[];
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
  loadBalancers?: LoadBalancer[];
  serviceRegistries?: unknown[];
  scale?: { value?: number; unit?: string };
  tags?: WireTag[];
  /** Make it the service's PRIMARY task set (the first task set always is). */
  primary?: boolean;
}

/**
 * Adds a task set to `s` (validated as CreateTaskSet validates; the caller saves). The service's
 * first task set is PRIMARY; later ones ACTIVE unless `primary`.
 */
export function addTaskSet(deps: EcsDeps, cluster: ClusterRecord, s: ServiceRecord, input: NewTaskSetInput, now: Date): TaskSetRecord {
  const live = s.taskSets.filter((t) => t.status !== 'DRAINING');
  if (s.taskSets.length >= MAX_TASK_SETS) {
    throw invalidParameter(`${s.taskSets.length} deployments exist on the service. Unable to create new TaskSet since this exceeds the maximum limit.`);
  }
  const td = requireTaskDefinition(deps, input.taskDefinition);
  if (td.status !== 'ACTIVE') throw ecsError('ClientException', 'TaskDefinition is inactive');
  const launch = resolveLaunch(cluster, td, {
    launchType: input.launchType ?? (input.capacityProviderStrategy?.length ? undefined : s.launchType),
    capacityProviderStrategy: input.capacityProviderStrategy ?? (input.launchType ? undefined : s.capacityProviderStrategy),
    platformVersion: input.platformVersion,
  });
  const networkConfiguration = checkNetworkConfiguration(td, launch.launchType, input.networkConfiguration);
  const loadBalancers = checkLoadBalancers(td, input.loadBalancers ?? []);
  checkTargetGroups(deps, td, loadBalancers);
  if ((input.serviceRegistries?.length ?? 0) > 1) throw invalidParameter('A task set can have at most 1 service registry.');
  const scale = checkScale(input.scale);
  const tags = checkTags(input.tags ?? []);
  if (tags.length > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags; got ${tags.length}.`);
  const id = newDeploymentId();
  const at = now.toISOString();
  const set: TaskSetRecord = {
    id,
    taskSetArn: `arn:aws:ecs:${deps.scope.region}:${deps.scope.accountId}:task-set/${clusterNameOf(s.clusterArn)}/${s.name}/${id}`,
    startedBy: input.startedBy,
    externalId: input.externalId,
    status: live.length === 0 || input.primary ? 'PRIMARY' : 'ACTIVE',
    taskDefinition: td.taskDefinitionArn,
    computedDesiredCount: computedDesiredCount(s.desiredCount, scale.value),
    createdAt: at,
    updatedAt: at,
    launchType: launch.capacityProviderStrategy.length ? undefined : launch.launchType,
    capacityProviderStrategy: launch.capacityProviderStrategy.length ? launch.capacityProviderStrategy : undefined,
    platformVersion: launch.platformVersion,
    platformFamily: launch.platformFamily,
    networkConfiguration,
    loadBalancers,
    serviceRegistries: input.serviceRegistries ?? [],
    scale,
    stabilityStatus: 'STABILIZING',
    stabilityStatusAt: at,
  };
  if (set.status === 'PRIMARY') {
    s.taskSets = s.taskSets.map((t) => (t.status === 'PRIMARY' ? { ...t, status: 'ACTIVE' as const, updatedAt: at } : t));
  }
  s.taskSets = [...s.taskSets, set];
  if (set.status === 'PRIMARY') adoptPrimary(s, set);
  deps.tags.clear(set.taskSetArn);
  deps.tags.put(set.taskSetArn, tags);
  return set;
}

/**
 * The service shows its PRIMARY task set's parameters (developer guide, external deployments:
 * "any task set parameter values that exist on the new primary task set ... are updated").
 */
function adoptPrimary(s: ServiceRecord, set: TaskSetRecord): void {
  s.taskDefinition = set.taskDefinition;
  s.loadBalancers = set.loadBalancers;
  s.networkConfiguration = set.networkConfiguration as ServiceRecord['networkConfiguration'];
  s.platformVersion = set.platformVersion;
  s.platformFamily = set.platformFamily;
  if (set.launchType) {
    s.launchType = set.launchType;
    s.effectiveLaunchType = set.launchType;
    s.capacityProviderStrategy = [];
  } else if (set.capacityProviderStrategy) {
    s.launchType = undefined;
    s.capacityProviderStrategy = set.capacityProviderStrategy;
  }
}

/** Recomputes every task set's computedDesiredCount from the service's desiredCount (UpdateService). */
export function rescaleTaskSets(s: ServiceRecord, now: Date): void {
  const at = now.toISOString();
  s.taskSets = s.taskSets.map((t) => {
    const count = t.status === 'DRAINING' ? 0 : computedDesiredCount(s.desiredCount, t.scale.value);
    return count === t.computedDesiredCount ? t : { ...t, computedDesiredCount: count, updatedAt: at };
  });
}

/** The task set `ref` (id or ARN) names in `s`; ECS's TaskSetNotFoundException otherwise. */
function requireTaskSet(s: ServiceRecord, ref: string): TaskSetRecord {
  const id = ref.startsWith('arn:') ? `ecs-svc/${lastSegment(ref)}` : ref;
  const set = s.taskSets.find((t) => t.id === id || t.taskSetArn === ref);
  if (!set) throw ecsError('TaskSetNotFoundException', 'The specified task set does not exist.');
  return set;
}

/** Sets a task set's scale (UpdateTaskSet). */
export function setTaskSetScale(s: ServiceRecord, ref: string, scale: { value?: number; unit?: string }, now: Date): TaskSetRecord {
  const set = requireTaskSet(s, ref);
  const checked = checkScale(scale);
  if (set.status === 'DRAINING') throw invalidParameter('The specified task set is DRAINING and cannot be updated.');
  const updated: TaskSetRecord = { ...set, scale: checked, computedDesiredCount: computedDesiredCount(s.desiredCount, checked.value), updatedAt: now.toISOString() };
  s.taskSets = s.taskSets.map((t) => (t.id === set.id ? updated : t));
  return updated;
}

/** Makes a task set the service's PRIMARY; the former PRIMARY becomes ACTIVE (UpdateServicePrimaryTaskSet). */
export function makePrimaryTaskSet(s: ServiceRecord, ref: string, now: Date): TaskSetRecord {
  const set = requireTaskSet(s, ref);
  if (set.status === 'DRAINING') throw invalidParameter('The specified task set is DRAINING and cannot be made the primary task set.');
  const at = now.toISOString();
  s.taskSets = s.taskSets.map((t) =>
    t.id === set.id ? { ...t, status: 'PRIMARY' as const, updatedAt: at } : t.status === 'PRIMARY' ? { ...t, status: 'ACTIVE' as const, updatedAt: at } : t,
  );
  const primary = s.taskSets.find((t) => t.id === set.id)!;
  adoptPrimary(s, primary);
  return primary;
}

/**
 * Deletes a task set: it turns DRAINING (computedDesiredCount 0), the scheduler drains and stops its
 * tasks, and it leaves the service once none is left. Without `force` a task set must have been
 * scaled down to zero first (DeleteTaskSet's `force`).
 */
export function removeTaskSet(s: ServiceRecord, ref: string, force: boolean, now: Date): TaskSetRecord {
  const set = requireTaskSet(s, ref);
  if (set.status === 'DRAINING') return set;
  if (!force && set.computedDesiredCount > 0) {
    throw invalidParameter(`The task set ${set.id} has not been scaled down to zero. Set its scale to 0 first, or use force to delete it anyway.`);
  }
  const drained: TaskSetRecord = { ...set, status: 'DRAINING', computedDesiredCount: 0, updatedAt: now.toISOString() };
  s.taskSets = s.taskSets.map((t) => (t.id === set.id ? drained : t));
  return drained;
}

/** Live task counts per task set id (tasks started by the task set). */
export function taskSetCounts(deps: EcsDeps, s: Pick<ServiceRecord, 'clusterArn' | 'name'>): (id: string) => { running: number; pending: number } {
  const rows = deps.store
    .prepare(
      `SELECT started_by AS startedBy, SUM(last_status = 'RUNNING') AS running,
              SUM(last_status IN (${PENDING_TASK_STATUSES.map(() => '?').join(', ')})) AS pending
         FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status != 'STOPPED' GROUP BY started_by`,
    )
    .all(...PENDING_TASK_STATUSES, s.clusterArn, s.name) as { startedBy: string | null; running: number; pending: number }[];
  return (id) => rows.find((r) => r.startedBy === id) ?? { running: 0, pending: 0 };
}

/** A task set in ECS's wire form. */
export function taskSetToWire(deps: EcsDeps, s: ServiceRecord, t: TaskSetRecord, counts: (id: string) => { running: number; pending: number }, withTags: boolean): Record<string, unknown> {
  const c = counts(t.id);
  const { clientToken: _token, ...wire } = t;
  return {
    ...wire,
    serviceArn: s.arn,
    clusterArn: s.clusterArn,
    runningCount: c.running,
    pendingCount: c.pending,
    tags: withTags ? tagsToWire(deps.tags.list(t.taskSetArn)) : undefined,
  };
}

/** The ACTIVE service of a cluster that a task-set operation names. */
function requireService(deps: EcsDeps, clusterRef: string | undefined, serviceRef: string): { cluster: ClusterRecord; s: ServiceRecord } {
  const cluster = requireActiveCluster(deps, clusterRef);
  const s = findService(deps, cluster, serviceRef);
  if (!s || s.status === 'INACTIVE') throw serviceNotFound();
  if (s.status !== 'ACTIVE') throw serviceNotActive();
  return { cluster, s };
}

/** Changes a service's task sets through `change`, saves it, wakes the scheduler. */
function commit(deps: EcsDeps, s: ServiceRecord): void {
  saveService(deps, s);
  deps.onServiceChange?.({ clusterArn: s.clusterArn, serviceName: s.name });
}

/** What CodeDeploy gives to make a task set of a CODE_DEPLOY service. */
export interface CodeDeployTaskSetInput extends Omit<NewTaskSetInput, 'startedBy' | 'primary'> {
  cluster: string;
  service: string;
}

/**
 * The internal door CodeDeploy drives task sets through (CODE_DEPLOY services only; the API refuses
 * these changes on them). Each runs in one transaction and returns the task set as ECS shows it.
 */
export function codeDeployTaskSets(deps: EcsDeps) {
  const forCodeDeploy = (clusterRef: string, serviceRef: string) => {
    const r = requireService(deps, clusterRef, serviceRef);
    if (r.s.deploymentController.type !== 'CODE_DEPLOY') throw invalidParameter(`The service ${r.s.name} does not use the CODE_DEPLOY deployment controller.`);
    return r;
  };
  const wire = (s: ServiceRecord, t: TaskSetRecord) => taskSetToWire(deps, s, t, taskSetCounts(deps, s), false);
  return {
    create(input: CodeDeployTaskSetInput) {
      return deps.store.transaction(() => {
        const { cluster, s } = forCodeDeploy(input.cluster, input.service);
        const set = addTaskSet(deps, cluster, s, { ...input, startedBy: 'CODE_DEPLOY', primary: false }, deps.now());
        commit(deps, s);
        return wire(s, set);
      });
    },
    updateScale(cluster: string, service: string, taskSet: string, scale: { value: number; unit?: 'PERCENT' }) {
      return deps.store.transaction(() => {
        const { s } = forCodeDeploy(cluster, service);
        const set = setTaskSetScale(s, taskSet, scale, deps.now());
        commit(deps, s);
        return wire(s, set);
      });
    },
    makePrimary(cluster: string, service: string, taskSet: string) {
      return deps.store.transaction(() => {
        const { s } = forCodeDeploy(cluster, service);
        const set = makePrimaryTaskSet(s, taskSet, deps.now());
        commit(deps, s);
        return wire(s, set);
      });
    },
    delete(cluster: string, service: string, taskSet: string, force = true) {
      return deps.store.transaction(() => {
        const { s } = forCodeDeploy(cluster, service);
        const set = removeTaskSet(s, taskSet, force, deps.now());
        commit(deps, s);
        return wire(s, set);
      });
    },
    describe(cluster: string, service: string) {
      const { s } = forCodeDeploy(cluster, service);
      const counts = taskSetCounts(deps, s);
      return s.taskSets.map((t) => taskSetToWire(deps, s, t, counts, false));
    },
    /** Tasks of the task set `taskSetId` that have stopped (and are still kept). */
    stoppedTasks(clusterArn: string, serviceName: string, taskSetId: string): number {
      return deps.store
        .prepare("SELECT count(*) FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND started_by = ? AND last_status = 'STOPPED'")
        .pluck()
        .get(clusterArn, serviceName, taskSetId) as number;
    },
  };
}

/** CreateTaskSet's input, as the model delivers it. */
export interface CreateTaskSetInput extends Omit<NewTaskSetInput, 'startedBy' | 'primary'> {
  cluster: string;
  service: string;
  clientToken?: string;
}

/** Builds the task-set operations. */
export function taskSetOperations(deps: EcsDeps) {
  /** The mutating operations are for EXTERNAL services only (CodeDeploy owns CODE_DEPLOY services' task sets). */
  const external = (clusterRef: string, serviceRef: string) => {
    const r = requireService(deps, clusterRef, serviceRef);
    if (r.s.deploymentController.type !== 'EXTERNAL') throw invalidParameter(EXTERNAL_ONLY_MESSAGE);
    return r;
  };
  return {
    CreateTaskSet(input: CreateTaskSetInput) {
      const { cluster, s } = external(input.cluster, input.service);
      if (input.clientToken !== undefined && !/^[\x21-\x7e]{1,36}$/.test(input.clientToken)) {
        throw invalidParameter('clientToken must be 1 to 36 ASCII characters in the range 33-126.');
      }
      // A retry with the same clientToken gets the task set the first call made.
      const made = input.clientToken === undefined ? undefined : s.taskSets.find((t) => t.clientToken === input.clientToken);
      if (made) return { taskSet: taskSetToWire(deps, s, made, taskSetCounts(deps, s), true) };
      const set = addTaskSet(deps, cluster, s, input, deps.now());
      if (input.clientToken !== undefined) {
        set.clientToken = input.clientToken;
        s.taskSets = s.taskSets.map((t) => (t.id === set.id ? set : t));
      }
      commit(deps, s);
      return { taskSet: taskSetToWire(deps, s, set, taskSetCounts(deps, s), true) };
    },

    DescribeTaskSets(input: { cluster: string; service: string; taskSets?: string[]; include?: 'TAGS'[] }) {
      const { s } = requireService(deps, input.cluster, input.service);
      if (s.deploymentController.type === 'ECS') throw invalidParameter(EXTERNAL_ONLY_MESSAGE);
      const counts = taskSetCounts(deps, s);
      const withTags = input.include?.includes('TAGS') ?? false;
      if (!input.taskSets?.length) return { taskSets: s.taskSets.map((t) => taskSetToWire(deps, s, t, counts, withTags)), failures: [] };
      const taskSets: Record<string, unknown>[] = [];
      const failures: { arn: string; reason: string }[] = [];
      for (const ref of input.taskSets) {
        const set = s.taskSets.find((t) => t.id === ref || t.taskSetArn === ref);
        if (set) taskSets.push(taskSetToWire(deps, s, set, counts, withTags));
        else failures.push({ arn: ref, reason: 'MISSING' });
      }
      return { taskSets, failures };
    },

    UpdateTaskSet(input: { cluster: string; service: string; taskSet: string; scale: { value?: number; unit?: string } }) {
      const { s } = external(input.cluster, input.service);
      const set = setTaskSetScale(s, input.taskSet, input.scale, deps.now());
      commit(deps, s);
      return { taskSet: taskSetToWire(deps, s, set, taskSetCounts(deps, s), false) };
    },

    UpdateServicePrimaryTaskSet(input: { cluster: string; service: string; primaryTaskSet: string }) {
      const { s } = external(input.cluster, input.service);
      const set = makePrimaryTaskSet(s, input.primaryTaskSet, deps.now());
      commit(deps, s);
      return { taskSet: taskSetToWire(deps, s, set, taskSetCounts(deps, s), false) };
    },

    DeleteTaskSet(input: { cluster: string; service: string; taskSet: string; force?: boolean }) {
      const { s } = external(input.cluster, input.service);
      const set = removeTaskSet(s, input.taskSet, input.force ?? false, deps.now());
      commit(deps, s);
      return { taskSet: taskSetToWire(deps, s, set, taskSetCounts(deps, s), false) };
    },
  };
}
