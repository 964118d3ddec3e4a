/**
 * The service scheduler's apply step: a Runnable owned by Berth's Manager. Level-based and keyed
 * by service ARN: every `pollMs`, and at once when woken (a service or a task changed; no payload
 * is read), it takes one round per ACTIVE or DRAINING service of the ECS deployment controller.
 * A round re-reads the service and its tasks, calls {@link decideService}, and applies the actions
 * in one state transaction, so a restart at any point finds a consistent state and carries on.
 */
import { randomUUID } from 'node:crypto';
import {
  checkOverrides,
  deploymentFor,
  findCluster,
  findService,
  newTask,
  replacePrimary,
  requestStop,
  requireTaskDefinition,
  saveService,
  saveTask,
  serviceRoom,
  serviceTaskTags,
  settleDrainingService,
  type ClusterRecord,
  type EcsDeps,
  type ServiceRecord,
  type ServiceRoom,
  type TaskRecord,
  type TaskDefinitionRecord,
} from '../services/ecs/index.js';
import type { Store } from '../state/index.js';
import { TagStore } from '../tagging/index.js';
import { decideService, NO_THROTTLE, type ServiceActions, type ServiceInput, type TaskObservation } from './decide.js';
import * as say from './events.js';
import { WakeSignal, type WakeReason } from '../reconcile/index.js';
import { loadBalancersOf, targetEvents, type LoadBalancerTargets } from './load-balancers.js';
import { decideTaskSets } from './task-sets.js';

/** The key a wake-up names a service by. */
const serviceKey = (clusterArn: string, serviceName: string): string => `${clusterArn}|${serviceName}`;

/** The most events a service keeps (ECS shows the newest 100). */
export const MAX_SERVICE_EVENTS = 100;
/** ECS counts a task without a container health check toward minimumHealthyPercent 40 s after RUNNING. */
const UNMONITORED_COUNTS_AFTER_MS = 40_000;
/** Capacity of Berth's one host for a REPLICA service: placement is not limited by it. */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

/** Options of {@link ServiceScheduler}. */
export interface ServiceSchedulerOptions {
  store: Store;
  /** The account and region the ECS tables belong to. */
  scope: EcsDeps['scope'];
  /** Called after a round placed or stopped tasks (wakes the task agent). */
  onTaskChange?: () => void;
  /** How often every service is looked at even without a wake-up. Default 1000 ms. */
  pollMs?: number;
  /**
   * How long after RUNNING a task with no container health check starts to count toward
   * minimumHealthyPercent. Default 40 s, as ECS waits for services without a load balancer.
   */
  unmonitoredCountsAfterMs?: number;
  /** Where the scheduler reports what it could not do. Default stderr. */
  log?: (line: string) => void;
  /** The clock. */
  now?: () => Date;
  /** Target health of services with load balancers (load-balancers.ts): such a task counts once healthy in its target groups. */
  loadBalancers?: Pick<LoadBalancerTargets, 'observe'>;
  /** CloudWatch alarms by name (state, last transition in epoch ms, the bake time each asks for; null when absent), for deployment alarms. */
  alarmStates?: (names: string[]) => NonNullable<ServiceInput['alarms']>;
}

/** The service scheduler; a Runnable owned by Berth's Manager. */
export class ServiceScheduler {
  private readonly deps: EcsDeps;
  private readonly log: (line: string) => void;
  private readonly wakeSignal: WakeSignal;

  constructor(private readonly options: ServiceSchedulerOptions) {
    this.deps = { store: options.store, tags: new TagStore(options.store), scope: options.scope, now: options.now ?? (() => new Date()) };
    this.wakeSignal = new WakeSignal(options.pollMs ?? 1000);
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
  }

  /**
   * Asks the loop to look now (after the caller's transaction commits) at the service of `task`, or
   * at every service when no task is given or the task belongs to none. The poll looks at every
   * service anyway, so a narrowed wake-up never leaves a service behind for longer than `pollMs`.
   */
  wake(task?: { clusterArn: string; serviceName?: string }): void {
    this.wakeSignal.wake(task?.serviceName ? serviceKey(task.clusterArn, task.serviceName) : undefined);
  }

  /** Reconciles every service until `signal` aborts; what it finds on start is carried on. */
  async start(signal: AbortSignal): Promise<void> {
    let reason: WakeReason = { all: true, keys: new Set() };
    while (!signal.aborted) {
      this.reconcileAll(reason.all ? undefined : reason.keys);
      reason = await this.wakeSignal.wait(signal);
    }
  }

  /**
   * One round for every ACTIVE or DRAINING service (only those in `only`, keys made by
   * {@link serviceKey}, when given); a failing service does not hold up the others.
   */
  reconcileAll(only?: ReadonlySet<string>): void {
    type Row = { arn: string; clusterArn: string; createdAt: string };
    const rows = only
      ? // Just the named services, each through the index on (cluster, status, name), oldest first as below.
        [...only]
          .flatMap((key) => {
            const at = key.lastIndexOf('|');
            return (this.options.store
              .prepare(`SELECT arn, cluster_arn AS clusterArn, created_at AS createdAt FROM ecs_services WHERE cluster_arn = ? AND status IN ('ACTIVE', 'DRAINING') AND name = ?`)
              .all(key.slice(0, at), key.slice(at + 1)) as Row[]);
          })
          .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0))
      : (this.options.store
          .prepare(`SELECT arn, cluster_arn AS clusterArn, created_at AS createdAt FROM ecs_services WHERE status IN ('ACTIVE', 'DRAINING') ORDER BY created_at, arn`)
          .all() as Row[]);
    if (rows.length === 0) return;
    let tasksChanged = false;
    const store = this.options.store;
    // One transaction for the pass, each service's round in its own savepoint (a failing round
    // rolls back alone): one commit, so one fsync, however many services changed.
    try {
      store.transaction(() => {
        for (const row of rows) {
          try {
            tasksChanged = this.reconcileService(row.arn, row.clusterArn) || tasksChanged;
          } catch (err) {
            this.log(`service scheduler: ${row.arn}: ${(err as Error).stack ?? (err as Error).message}`);
            if (!store.db.inTransaction) throw err; // SQLite rolled back the whole pass: nothing more runs outside it
          }
        }
      });
    } catch (err) {
      tasksChanged = false;
      this.log(`service scheduler: the pass was rolled back: ${(err as Error).message}`);
    }
    if (tasksChanged) this.options.onTaskChange?.();
  }

  /** One round for one service, in one transaction (a savepoint of the pass's); true when it placed or stopped tasks. */
  private reconcileService(arn: string, clusterArn: string): boolean {
    return this.options.store.transaction(() => {
      const deps = this.deps;
      const cluster = findCluster(deps, clusterArn);
      const s = cluster && findService(deps, cluster, arn);
      if (!cluster || !s || s.status === 'INACTIVE') return false;
      if (s.deploymentController.type !== 'ECS') return this.reconcileTaskSets(cluster, s);
      const before = JSON.stringify(s);
      const now = deps.now();
      const tasks = readServiceTasks(deps, clusterArn, s);
      const room = this.room(s);
      if (s.schedulingStrategy === 'DAEMON' && s.status === 'ACTIVE') setDaemonDesiredCount(s, room, now);
      const checked = healthCheckedLookup(deps);
      // With target groups, a task's health is also its targets' (copies; `tasks` stay the records).
      const lb = this.options.loadBalancers?.observe(s, tasks, checked);
      const seen = lb?.tasks ?? tasks;
      const input = serviceInput(s, seen, now.getTime(), room, lb && s.loadBalancers.some((x) => x.targetGroupArn) ? () => true : checked);
      const watched = s.deploymentConfiguration.alarms?.enable ? s.deploymentConfiguration.alarms.alarmNames : [];
      const alarms = watched.length && this.options.alarmStates ? this.options.alarmStates(watched) : undefined;
      const actions = decideService({ ...input, alarms, unmonitoredCountsAfterMs: this.options.unmonitoredCountsAfterMs ?? UNMONITORED_COUNTS_AFTER_MS });
      const primaryId = s.deployments.find((d) => d.status === 'PRIMARY')?.id ?? '';

      const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
      const stops = [...actions.stop.map((x) => ({ arn: x.taskArn, reason: x.reason })), ...actions.replace.map((x) => ({ arn: x.taskArn, reason: 'replace' as const }))];
      let events = actions.events;
      for (const { arn: taskArn, reason } of stops) {
        const t = byArn.get(taskArn);
        // A task replaced for failing its target group's health checks: ECS's ELB wording, not the container one.
        const failing = reason === 'replace' || reason === 'unhealthy' ? lb?.health.get(taskArn)?.failing : undefined;
        if (failing) {
          const containerEvent = say.failedHealthChecksEvent(s.name, taskArn);
          const elbEvent = targetEvents.unhealthy(s.name, failing.port, failing.targetGroupArn, failing.reason);
          events = events.includes(containerEvent) ? events.map((e) => (e === containerEvent ? elbEvent : e)) : [elbEvent, ...events];
        }
        if (t) requestStop(deps, t, 'ServiceSchedulerInitiated', failing ? targetEvents.stoppedReason(failing.targetGroupArn) : say.stoppedReason(reason, primaryId));
      }
      const started = this.place(cluster, s, actions, now);
      if (started.length) events = [...events, say.startedTasksEvent(s.name, started.map((t) => t.id), actions.replacedUnhealthy)];

      applyDeploymentUpdates(s, actions, now);
      if (actions.rollback) {
        s.taskDefinition = actions.rollback.taskDefinition;
        const next = deploymentFor(s, now);
        const cause = actions.rollback.cause;
        next.rolloutStateReason = cause ? say.alarmsReason(cause.alarms, actions.rollback.toDeploymentId) : say.circuitBreakerReason(actions.rollback.toDeploymentId);
        s.deployments = replacePrimary(s.deployments, next, now);
      }
      const stopped = new Set(tasks.filter((t) => t.lastStatus === 'STOPPED').map((t) => t.taskArn));
      const acknowledged = new Set([...(s.scheduler?.acknowledged ?? []), ...actions.acknowledge]);
      // `watch`: the tasks the next round reads besides the live ones — every task this round saw
      // that is not an acknowledged STOPPED task, and the ones it placed (see readServiceTasks).
      const watch = [...tasks.filter((t) => !acknowledged.has(t.taskArn)).map((t) => t.taskArn), ...started.map((t) => t.taskArn)];
      s.scheduler = { throttle: actions.throttle, acknowledged: [...acknowledged].filter((a) => stopped.has(a)), watch, healthy: stillHealthy(s, seen) };
      if (actions.bakeStartedAt !== undefined) s.scheduler.bake = { deploymentId: primaryId, startedAt: actions.bakeStartedAt };
      appendEvents(s, events, now);

      if (JSON.stringify(s) !== before) saveService(deps, s);
      if (s.status === 'DRAINING') settleDrainingService(deps, s.clusterArn, s.name);
      return stops.length > 0 || started.length > 0;
    });
  }

  /**
   * One round for a service of task sets (EXTERNAL, CODE_DEPLOY): {@link decideTaskSets}, then the
   * same stop, place, watch and event steps as a rolling round, and each task set's stabilityStatus.
   */
  private reconcileTaskSets(cluster: ClusterRecord, s: ServiceRecord): boolean {
    const deps = this.deps;
    const before = JSON.stringify(s);
    const now = deps.now();
    const tasks = readServiceTasks(deps, s.clusterArn, s);
    const checked = healthCheckedLookup(deps);
    const lb = this.options.loadBalancers?.observe(s, tasks, checked);
    const seen = lb?.tasks ?? tasks;
    // A task with target groups counts as healthy only once healthy in them (as for a rolling service with load balancers).
    const byTask = new Map(seen.map((t) => [t.taskArn, t]));
    const observed = serviceInput(s, seen, now.getTime(), undefined, checked).tasks.map((o) => {
      const t = byTask.get(o.taskArn);
      return lb && t && loadBalancersOf(s, t).some((x) => x.targetGroupArn) ? { ...o, healthChecked: true } : o;
    });
    const actions = decideTaskSets({
      taskSets: s.taskSets,
      tasks: observed,
      healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds ?? 0,
      throttle: s.scheduler?.throttle ?? { ...NO_THROTTLE },
      now: now.getTime(),
    });
    const byArn = new Map(tasks.map((t) => [t.taskArn, t]));
    const events: string[] = [];
    for (const { taskArn, reason } of actions.stop) {
      const t = byArn.get(taskArn);
      const failing = reason === 'unhealthy' ? lb?.health.get(taskArn)?.failing : undefined;
      if (reason === 'unhealthy') events.push(failing ? targetEvents.unhealthy(s.name, failing.port, failing.targetGroupArn, failing.reason) : say.failedHealthChecksEvent(s.name, taskArn));
      if (t) requestStop(deps, t, 'ServiceSchedulerInitiated', failing ? targetEvents.stoppedReason(failing.targetGroupArn) : say.stoppedReason(reason, t.startedBy ?? ''));
    }
    if (actions.stop.length) events.push(say.stoppedTasksEvent(s.name, actions.stop.map((x) => x.taskArn)));
    const started = this.place(cluster, s, actions, now);
    if (started.length) events.push(say.startedTasksEvent(s.name, started.map((t) => t.id)));
    const at = now.toISOString();
    s.taskSets = s.taskSets
      .filter((t) => !actions.gone.includes(t.id))
      .map((t) => (actions.stability[t.id] ? { ...t, stabilityStatus: actions.stability[t.id]!, stabilityStatusAt: at } : t));
    const stopped = new Set(tasks.filter((t) => t.lastStatus === 'STOPPED').map((t) => t.taskArn));
    const acknowledged = new Set([...(s.scheduler?.acknowledged ?? []), ...actions.acknowledge]);
    const watch = [...tasks.filter((t) => !acknowledged.has(t.taskArn)).map((t) => t.taskArn), ...started.map((t) => t.taskArn)];
    s.scheduler = { throttle: actions.throttle, acknowledged: [...acknowledged].filter((a) => stopped.has(a)), watch, healthy: stillHealthy(s, seen) };
    appendEvents(s, events, now);
    if (JSON.stringify(s) !== before) saveService(deps, s);
    if (s.status === 'DRAINING') settleDrainingService(deps, s.clusterArn, s.name);
    return actions.stop.length > 0 || started.length > 0;
  }

  /** What Berth's host holds of the service under its placement constraints and its task definition's. */
  private room(s: ServiceRecord): ServiceRoom {
    let td: TaskDefinitionRecord | undefined;
    try {
      td = s.taskDefinition ? requireTaskDefinition(this.deps, s.taskDefinition) : undefined;
    } catch {
      td = undefined;
    }
    return serviceRoom(this.deps, s, td);
  }

  /**
   * Places `actions.place` tasks per deployment or task set: RunTask's path, started by the
   * deployment's (task set's) id, in the service's group.
   */
  private place(cluster: ClusterRecord, s: ServiceRecord, actions: Pick<ServiceActions, 'place'>, now: Date): TaskRecord[] {
    const placed: TaskRecord[] = [];
    for (const [deploymentId, count] of Object.entries(actions.place)) {
      const d = [...s.deployments, ...s.taskSets].find((x) => x.id === deploymentId);
      if (!d) continue;
      const td = requireTaskDefinition(this.deps, d.taskDefinition);
      // propagateTags and enableECSManagedTags, as ECS tags the tasks a service starts.
      const tags = serviceTaskTags(this.deps, s, td.taskDefinitionArn, cluster.name);
      const launch = {
        launchType: d.launchType ?? s.effectiveLaunchType,
        capacityProviderStrategy: d.capacityProviderStrategy ?? [],
        platformVersion: d.platformVersion,
        platformFamily: d.platformFamily,
      };
      for (let i = 0; i < count; i++) {
        const t = newTask(
          this.deps,
          {
            cluster,
            taskDefinition: td,
            launch,
            networkConfiguration: d.networkConfiguration as Parameters<typeof newTask>[1]['networkConfiguration'],
            overrides: checkOverrides(td, undefined),
            group: `service:${s.name}`,
            startedBy: d.id,
            serviceName: s.name,
            enableExecuteCommand: s.enableExecuteCommand,
            placementConstraints: s.placementConstraints,
            placementStrategy: s.placementStrategy,
          },
          now,
        );
        saveTask(this.deps, t);
        if (tags.length > 0) this.deps.tags.put(t.taskArn, tags);
        placed.push(t);
      }
    }
    return placed;
  }
}

/** What the decision sees of a stored service and its tasks. */
export function serviceInput(
  s: ServiceRecord,
  tasks: readonly TaskRecord[],
  now: number,
  room?: ServiceRoom,
  healthChecked: (taskDefinitionArn: string) => boolean = () => false,
): ServiceInput {
  const acknowledged = new Set(s.scheduler?.acknowledged ?? []);
  const healthy = new Set(s.scheduler?.healthy ?? []);
  const cfg = s.deploymentConfiguration;
  return {
    service: {
      serviceName: s.name,
      desiredCount: s.desiredCount,
      schedulingStrategy: s.schedulingStrategy,
      deploymentConfiguration: { minimumHealthyPercent: cfg.minimumHealthyPercent, maximumPercent: cfg.maximumPercent, deploymentCircuitBreaker: cfg.deploymentCircuitBreaker, alarms: cfg.alarms },
      healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds ?? 0,
    },
    deployments: s.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      rolloutState: d.rolloutState,
      failedTasks: d.failedTasks,
      createdAt: Date.parse(d.createdAt),
    })),
    tasks: tasks.map(
      (t): TaskObservation => ({
        taskArn: t.taskArn,
        startedBy: t.startedBy ?? '',
        lastStatus: t.lastStatus,
        desiredStatus: t.desiredStatus,
        healthStatus: t.healthStatus,
        startedAt: t.startedAt === undefined ? undefined : Date.parse(t.startedAt),
        stopCode: t.stopCode,
        stoppedReason: t.stoppedReason,
        reachedRunning: t.startedAt !== undefined,
        healthChecked: healthChecked(t.taskDefinitionArn),
        acknowledged: acknowledged.has(t.taskArn),
        wasHealthy: healthy.has(t.taskArn),
      }),
    ),
    // Berth has one host: a DAEMON service runs one task there (none when its constraints exclude
    // the host); a REPLICA service as many as its constraints let the host hold (distinctInstance: 1).
    capacity: capacityOf(s, room),
    unplaced: room?.unsatisfied ? { containerInstanceId: room.containerInstanceId, error: room.unsatisfied } : undefined,
    throttle: s.scheduler?.throttle ?? { ...NO_THROTTLE },
    now,
    bakeStartedAt: s.scheduler?.bake && s.scheduler.bake.deploymentId === s.deployments.find((d) => d.status === 'PRIMARY')?.id ? s.scheduler.bake.startedAt : undefined,
  };
}

/** The live tasks seen HEALTHY, now or before and not UNHEALTHY since (see `ServiceSchedulerState.healthy`). */
function stillHealthy(s: ServiceRecord, tasks: readonly TaskRecord[]): string[] {
  const before = new Set(s.scheduler?.healthy ?? []);
  return tasks
    .filter((t) => t.lastStatus !== 'STOPPED' && (t.healthStatus === 'HEALTHY' || (t.healthStatus === 'UNKNOWN' && before.has(t.taskArn))))
    .map((t) => t.taskArn);
}

/** Whether a task definition has an essential container with a health check (memoized for one round). */
function healthCheckedLookup(deps: EcsDeps): (taskDefinitionArn: string) => boolean {
  const memo = new Map<string, boolean>();
  return (arn) => {
    let checked = memo.get(arn);
    if (checked === undefined) {
      try {
        checked = requireTaskDefinition(deps, arn).containerDefinitions.some((c) => c.essential !== false && c.healthCheck !== undefined);
      } catch {
        checked = false;
      }
      memo.set(arn, checked);
    }
    return checked;
  };
}

/** How many of the service's tasks Berth's host holds (the decision's `capacity`). */
function capacityOf(s: ServiceRecord, room: ServiceRoom | undefined): number {
  const holds = room?.holds ?? Infinity;
  // A deleted (DRAINING) daemon wants no task: its target is the capacity, so the capacity is 0.
  if (s.schedulingStrategy === 'DAEMON') return s.status === 'ACTIVE' ? Math.min(1, holds) : 0;
  return holds === Infinity ? UNLIMITED : holds;
}

/** ECS reports a DAEMON service's desiredCount as the number of container instances it runs on: here 1, or 0 when excluded. */
function setDaemonDesiredCount(s: ServiceRecord, room: ServiceRoom, now: Date): void {
  const count = capacityOf(s, room);
  if (s.desiredCount !== count) s.desiredCount = count;
  s.deployments = s.deployments.map((d) => (d.status === 'PRIMARY' && d.desiredCount !== count ? { ...d, desiredCount: count, updatedAt: now.toISOString() } : d));
}

const LIVE_STATUSES = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING'];

/**
 * The tasks one round looks at: the service's live tasks (through the index on cluster, service
 * and status, so old STOPPED tasks are never read) and, by ARN, the tasks the previous round
 * watched — the ones that were live then and may have stopped since, which the decision has yet
 * to count. A service saved before `watch` existed is read whole once.
 */
function readServiceTasks(deps: { store: Store }, clusterArn: string, s: ServiceRecord): TaskRecord[] {
  const parse = (docs: string[]) => docs.map((d) => JSON.parse(d) as TaskRecord);
  const watch = s.scheduler?.watch;
  if (!watch) {
    return parse(deps.store.prepare('SELECT doc FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? ORDER BY created_at, rowid').pluck().all(clusterArn, s.name) as string[]);
  }
  const live = parse(
    deps.store
      .prepare(`SELECT doc FROM ecs_tasks WHERE cluster_arn = ? AND service_name = ? AND last_status IN (${LIVE_STATUSES.map(() => '?').join(', ')}) ORDER BY created_at, rowid`)
      .pluck()
      .all(clusterArn, s.name, ...LIVE_STATUSES) as string[],
  );
  const seen = new Set(live.map((t) => t.taskArn));
  const byArn = deps.store.prepare('SELECT doc FROM ecs_tasks WHERE arn = ?').pluck();
  const stopped = parse(watch.filter((a) => !seen.has(a)).flatMap((a) => (byArn.get(a) as string | undefined) ?? []));
  if (stopped.length === 0) return live;
  return [...live, ...stopped].sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0));
}

/** Merges the decision's deployment updates; deployments that went INACTIVE leave `deployments[]`. */
function applyDeploymentUpdates(s: ServiceRecord, actions: ServiceActions, now: Date): void {
  if (actions.deploymentUpdates.length === 0) return;
  const at = now.toISOString();
  s.deployments = s.deployments
    .map((d) => {
      const u = actions.deploymentUpdates.find((x) => x.deploymentId === d.id);
      if (!u) return d;
      const { deploymentId: _id, ...change } = u;
      return { ...d, ...change, updatedAt: at };
    })
    .filter((d) => d.status !== 'INACTIVE');
}

/** Adds events newest first, as ECS lists them, skipping a message equal to the newest; keeps {@link MAX_SERVICE_EVENTS}. */
function appendEvents(s: ServiceRecord, messages: readonly string[], now: Date): void {
  for (const message of messages) {
    if (s.events[0]?.message === message) continue;
    s.events.unshift({ id: randomUUID(), createdAt: now.toISOString(), message });
  }
  if (s.events.length > MAX_SERVICE_EVENTS) s.events.length = MAX_SERVICE_EVENTS;
}
