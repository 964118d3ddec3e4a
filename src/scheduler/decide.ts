/**
 * The service scheduler's decision: a pure function from a service's desired state, its
 * deployments, and its tasks as observed to the actions that move it toward `desiredCount` healthy
 * tasks of its PRIMARY deployment, by ECS's rolling-update rules and deployment circuit breaker.
 * No I/O and no clock here (`now` is an input); the apply step does the work (see README.md).
 */
import type { TaskDesiredStatus, TaskRecord, TaskStatus } from '../services/ecs/index.js';
import * as say from './events.js';
import { backoffMs, circuitBreakerThreshold, compileBackoffOptions, maxTasks, minHealthyTasks, type BackoffOptions } from './limits.js';

import type { DeploymentStatus, RolloutState } from '../services/ecs/index.js';

export type { DeploymentStatus, RolloutState };

/** What the service asks for. */
export interface ServiceDesired {
  serviceName: string;
  desiredCount: number;
  schedulingStrategy: 'REPLICA' | 'DAEMON';
  deploymentConfiguration: {
    minimumHealthyPercent: number;
    maximumPercent: number;
    deploymentCircuitBreaker: { enable: boolean; rollback: boolean };
    /** ECS deployment alarms: one entering ALARM during a rollout fails it (and rolls back with `rollback`). */
    alarms?: { alarmNames: string[]; enable: boolean; rollback: boolean };
  };
  /** Seconds after a task starts during which an UNHEALTHY status is ignored. */
  healthCheckGracePeriodSeconds: number;
}

/** One deployment as the decision sees it. */
export interface DeploymentView {
  id: string;
  status: DeploymentStatus;
  taskDefinition: string;
  desiredCount: number;
  rolloutState: RolloutState;
  failedTasks: number;
  /** Epoch milliseconds. */
  createdAt: number;
}

/** One task of the service as observed. */
export interface TaskObservation {
  taskArn: string;
  /** The deployment id that started the task. */
  startedBy: string;
  lastStatus: TaskStatus;
  desiredStatus: TaskDesiredStatus;
  healthStatus: TaskRecord['healthStatus'];
  /** Epoch milliseconds; set once the task reached RUNNING. */
  startedAt?: number;
  stopCode?: TaskRecord['stopCode'];
  /** Why it stopped (the scheduler's own reason tells a task it stopped for failing its health checks). */
  stoppedReason?: string;
  /** Whether the task ever reached RUNNING. */
  reachedRunning: boolean;
  /**
   * Whether an essential container of the task has a container health check: such a task counts as
   * healthy only once HEALTHY (ECS, DeploymentConfiguration.minimumHealthyPercent). Default false.
   */
  healthChecked?: boolean;
  /**
   * Seen HEALTHY by an earlier round and not UNHEALTHY since: a health status UNKNOWN again (the
   * checks started over after a restart of Berth) keeps counting it as healthy.
   */
  wasHealthy?: boolean;
  /**
   * Set by the apply step once a decision listed this STOPPED task in `acknowledge`: its failure
   * (if any) is counted, so later rounds ignore it.
   */
  acknowledged: boolean;
}

/** The start throttle's state, carried from one decision to the next by the apply step. */
export interface ThrottleState {
  /** Failures to start since a task last reached RUNNING. */
  consecutiveFailures: number;
  /** Epoch milliseconds of the last failure to start. */
  lastFailureAt: number;
  /** No task is placed before this time (epoch milliseconds). */
  notBefore: number;
}

/** A throttle that has seen no failure. */
export const NO_THROTTLE: ThrottleState = { consecutiveFailures: 0, lastFailureAt: 0, notBefore: 0 };

/** Everything the decision needs. */
export interface ServiceInput {
  service: ServiceDesired;
  deployments: readonly DeploymentView[];
  tasks: readonly TaskObservation[];
  /** How many tasks of this service the available capacity holds (DAEMON: the number of container instances). */
  capacity: number;
  /** When placement constraints limit `capacity`: the container instance and the constraint it fails (for ECS's event). */
  unplaced?: { containerInstanceId: string; error: string };
  throttle: ThrottleState;
  /** Epoch milliseconds. */
  now: number;
  backoff?: BackoffOptions;
  /**
   * How long after reaching RUNNING a task without a container health check starts to count toward
   * minimumHealthyPercent (ECS waits 40 s when there is no load balancer). Default 0.
   */
  unmonitoredCountsAfterMs?: number;
  /**
   * The deployment alarms' CloudWatch state and last transition (epoch ms), by name; null when
   * CloudWatch has none. `bakeMs`: the bake time the alarm asks for (limits.ts deploymentAlarmBakeMs).
   */
  alarms?: Record<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; transitionedAt: number; bakeMs?: number } | null>;
  /** When the PRIMARY's rollout settled and its bake time began (epoch ms), if it has (kept by the apply step). */
  bakeStartedAt?: number;
}

/** Why the scheduler stops a task without replacing it. */
export type StopReason = 'scale-in' | 'deployment' | 'unhealthy';

/** A task to stop. */
export interface StopAction {
  taskArn: string;
  reason: StopReason;
}

/** A task to stop because it failed its health checks after the grace period; a later round places its replacement. */
export interface ReplaceAction {
  taskArn: string;
  deploymentId: string;
}

/** A change to one deployment (only the fields that change are set). */
export interface DeploymentUpdate {
  deploymentId: string;
  status?: DeploymentStatus;
  rolloutState?: RolloutState;
  rolloutStateReason?: string;
  failedTasks?: number;
}

/** The deployment to restore after the circuit breaker failed `failedDeploymentId`. */
export interface RollbackAction {
  failedDeploymentId: string;
  toDeploymentId: string;
  taskDefinition: string;
  /** What failed the deployment: the circuit breaker, or deployment alarms (their names). */
  cause?: { alarms: string[] };
}

/** The decision, in named buckets. */
export interface ServiceActions {
  /** New tasks to start, per deployment id. */
  place: Record<string, number>;
  stop: StopAction[];
  replace: ReplaceAction[];
  deploymentUpdates: DeploymentUpdate[];
  rollback?: RollbackAction;
  /** STOPPED tasks whose outcome this decision has counted. */
  acknowledge: string[];
  /** How many of the PRIMARY's placements replace tasks that failed their health checks (ECS says so in the started event). */
  replacedUnhealthy?: number;
  throttle: ThrottleState;
  /** Service event messages in ECS's wording, oldest first. */
  events: string[];
  /** While the PRIMARY's settled rollout bakes: when its bake time began (for the next round's `bakeStartedAt`). */
  bakeStartedAt?: number;
}

/** ECS's rule for REPLICA/DAEMON: the number of tasks the PRIMARY should have. */
export function targetCount(service: ServiceDesired, capacity: number): number {
  return service.schedulingStrategy === 'DAEMON' ? capacity : service.desiredCount;
}

const live = (t: TaskObservation) => t.lastStatus !== 'STOPPED';
const wanted = (t: TaskObservation) => live(t) && t.desiredStatus === 'RUNNING';
/**
 * A healthy task: RUNNING, meant to keep running, and HEALTHY when it has a container health check
 * (not UNHEALTHY when it has none). A rollout completes only on healthy tasks.
 */
export const isHealthy = (t: TaskObservation): boolean =>
  wanted(t) &&
  t.lastStatus === 'RUNNING' &&
  (t.healthChecked ? t.healthStatus === 'HEALTHY' || (t.healthStatus === 'UNKNOWN' && t.wasHealthy === true) : t.healthStatus !== 'UNHEALTHY');
/** A healthy task that counts toward minimumHealthyPercent: one without a health check only `unmonitoredCountsAfterMs` after it started. */
const countsHealthy = (t: TaskObservation, now: number, afterMs: number): boolean =>
  isHealthy(t) && (t.healthChecked || afterMs <= 0 || now - (t.startedAt ?? now) >= afterMs);
/** Stopped by the scheduler or the user, not on its own. */
const stoppedOnPurpose = (t: TaskObservation) => t.stopCode === 'ServiceSchedulerInitiated' || t.stopCode === 'UserInitiated';
const failedToStart = (t: TaskObservation) => !t.reachedRunning && !stoppedOnPurpose(t);
/** Stopped while UNHEALTHY (not by the user), or by the scheduler for failing its health checks whatever its last health reads. */
const failedHealth = (t: TaskObservation) =>
  (t.healthStatus === 'UNHEALTHY' && t.stopCode !== 'UserInitiated') ||
  (t.stopCode === 'ServiceSchedulerInitiated' && t.stoppedReason === say.stoppedReason('replace', ''));
/**
 * A failed task as the circuit breaker counts it (Deployment.failedTasks): one that stopped on its
 * own (never reached RUNNING, or its essential container exited) or failed its health checks. A
 * healthy task of the deployment resets the count (see the breaker step).
 */
const failedForBreaker = (t: TaskObservation) => !stoppedOnPurpose(t) || failedHealth(t);

/** Stop preference: tasks not yet RUNNING, then UNHEALTHY ones, then ones not yet HEALTHY, then the newest. */
function stopFirst(a: TaskObservation, b: TaskObservation): number {
  const rank = (t: TaskObservation) => (t.lastStatus !== 'RUNNING' ? 0 : t.healthStatus === 'UNHEALTHY' ? 1 : isHealthy(t) ? 3 : 2);
  return rank(a) - rank(b) || (b.startedAt ?? Infinity) - (a.startedAt ?? Infinity) || a.taskArn.localeCompare(b.taskArn);
}

/** Decides the next actions for one service. */
export function decideService(input: ServiceInput): ServiceActions {
  const { service, deployments, tasks, now } = input;
  const name = service.serviceName;
  const cfg = service.deploymentConfiguration;
  const out: ServiceActions = { place: {}, stop: [], replace: [], deploymentUpdates: [], acknowledge: [], throttle: { ...input.throttle }, events: [] };
  const updates = new Map<string, DeploymentUpdate>();
  const update = (id: string, change: Omit<DeploymentUpdate, 'deploymentId'>) => updates.set(id, { ...updates.get(id), deploymentId: id, ...change });

  const primary = deployments.find((d) => d.status === 'PRIMARY');
  const target = primary ? targetCount(service, input.capacity) : 0;

  // 1. Count what stopped since the last round: failedTasks per deployment, the start throttle.
  const newlyStopped = tasks.filter((t) => t.lastStatus === 'STOPPED' && !t.acknowledged);
  /** Deployments with a healthy task now: the circuit breaker does not count their failures. */
  const succeeding = new Set(tasks.filter(isHealthy).map((t) => t.startedBy));
  let newStartFailures = 0;
  for (const t of newlyStopped) {
    out.acknowledge.push(t.taskArn);
    if (failedToStart(t)) newStartFailures++;
    const d = deployments.find((x) => x.id === t.startedBy);
    if (d && failedForBreaker(t) && !succeeding.has(d.id)) update(d.id, { failedTasks: (updates.get(d.id)?.failedTasks ?? d.failedTasks) + 1 });
  }
  // ECS: "once a service deployment has one or more successfully running tasks, the failed task
  // count resets to zero" — and failures are not counted while it has one.
  for (const d of deployments) if (succeeding.has(d.id) && d.failedTasks > 0 && d.rolloutState === 'IN_PROGRESS') update(d.id, { failedTasks: 0 });
  const throttle = nextThrottle(input, newStartFailures, primary);
  if (throttle.notBefore > now && input.throttle.notBefore <= now) out.events.push(say.throttledEvent(name));
  out.throttle = throttle;

  // 2. The circuit breaker, and the deployment alarms, watch the PRIMARY while its rollout is in progress.
  let primaryState = primary?.rolloutState;
  const alarmed = primary && primaryState === 'IN_PROGRESS' ? activatedAlarms(cfg.alarms, input.alarms, primary.createdAt) : [];
  const breakerTripped = () => cfg.deploymentCircuitBreaker.enable && (updates.get(primary!.id)?.failedTasks ?? primary!.failedTasks) >= circuitBreakerThreshold(target);
  if (primary && primaryState === 'IN_PROGRESS' && (alarmed.length > 0 || breakerTripped())) {
    const rollback = alarmed.length > 0 ? cfg.alarms!.rollback : cfg.deploymentCircuitBreaker.rollback;
    const back = rollback ? rollbackTarget(deployments, primary) : undefined;
    primaryState = 'FAILED';
    // The failed deployment says why it failed; the rollback deployment (made by the apply step) says where it goes.
    update(primary.id, { rolloutState: 'FAILED', rolloutStateReason: alarmed.length > 0 ? say.alarmsReason(alarmed) : say.circuitBreakerReason(undefined) });
    out.events.push(say.deploymentFailedEvent(name, primary.id, alarmed.length > 0 ? 'alarm detected' : undefined));
    if (back) {
      out.rollback = { failedDeploymentId: primary.id, toDeploymentId: back.id, taskDefinition: back.taskDefinition, ...(alarmed.length > 0 ? { cause: { alarms: alarmed } } : {}) };
      out.events.push(say.rollingBackEvent(name, back.id));
      // The rollback is a new deployment: ECS resumes normal behaviour after an update.
      out.throttle = { ...NO_THROTTLE };
      out.events = out.events.filter((e) => e !== say.throttledEvent(name));
    }
  }

  // A FAILED PRIMARY launches nothing more and drains nothing: the service holds until a new deployment (or the rollback).
  if (primary && primaryState === 'FAILED') return finish(out, updates);

  // 3. Tasks unhealthy past the grace period: PRIMARY tasks are replaced, others just stop.
  const graceMs = service.healthCheckGracePeriodSeconds * 1000;
  const leaving = new Set<string>();
  for (const t of tasks) {
    if (!wanted(t) || t.lastStatus !== 'RUNNING' || t.healthStatus !== 'UNHEALTHY') continue;
    if (now - (t.startedAt ?? now) < graceMs) continue;
    leaving.add(t.taskArn);
    if (t.startedBy === primary?.id) out.replace.push({ taskArn: t.taskArn, deploymentId: t.startedBy });
    else out.stop.push({ taskArn: t.taskArn, reason: 'unhealthy' });
  }

  // 4. The rolling math: stop within the healthy floor, place within the ceiling.
  const stays = (t: TaskObservation) => wanted(t) && !leaving.has(t.taskArn);
  const mine = tasks.filter((t) => stays(t) && t.startedBy === primary?.id);
  const byAge = [...deployments].sort((a, b) => a.createdAt - b.createdAt);
  const others = tasks
    .filter((t) => stays(t) && t.startedBy !== primary?.id)
    .sort((a, b) => rankOf(byAge, a.startedBy) - rankOf(byAge, b.startedBy) || stopFirst(a, b));
  const ceiling = maxTasks(target, cfg.maximumPercent);
  const floor = minHealthyTasks(target, cfg.minimumHealthyPercent);
  const countAfterMs = input.unmonitoredCountsAfterMs ?? 0;
  const counted = (t: TaskObservation) => countsHealthy(t, now, countAfterMs);
  let stopBudget = tasks.filter(counted).length - floor;
  const candidates: { task: TaskObservation; reason: StopReason }[] = [
    ...others.map((task) => ({ task, reason: 'deployment' as const })),
    ...[...mine].sort(stopFirst).slice(0, Math.max(0, mine.length - target)).map((task) => ({ task, reason: 'scale-in' as const })),
  ];
  let blockedStops = 0;
  for (const c of candidates) {
    if (counted(c.task)) {
      if (stopBudget <= 0) {
        blockedStops++;
        continue;
      }
      stopBudget--;
    }
    out.stop.push({ taskArn: c.task.taskArn, reason: c.reason });
  }
  const liveCount = tasks.filter(live).length;
  const missing = primary ? Math.max(0, target - mine.length) : 0;
  const room = Math.max(0, Math.min(ceiling, input.capacity) - liveCount);
  const throttled = throttle.notBefore > now;
  const toPlace = throttled ? 0 : Math.min(missing, room);
  if (primary && toPlace > 0) {
    out.place[primary.id] = toPlace;
    // Successors of PRIMARY tasks replaced for their health: this round's, and those stopped for it since the last round.
    const unhealthyGone = out.replace.length + newlyStopped.filter((t) => t.startedBy === primary.id && failedHealth(t) && stoppedOnPurpose(t)).length;
    if (unhealthyGone > 0) out.replacedUnhealthy = Math.min(toPlace, unhealthyGone);
  }
  if (!throttled && toPlace < missing) {
    const capacityRoom = input.capacity - liveCount;
    // In flight: starting, stopping, or RUNNING but not yet counted healthy (health checks pending).
    const inFlight = tasks.some((t) => live(t) && (t.lastStatus !== 'RUNNING' || t.desiredStatus === 'STOPPED' || (t.healthStatus !== 'UNHEALTHY' && !counted(t))));
    if (capacityRoom < ceiling - liveCount && capacityRoom < missing) out.events.push(say.noCapacityEvent(name, input.unplaced));
    // A stall is a round that can do nothing at all: no start, no stop, nothing on its way.
    else if (blockedStops > 0 && toPlace === 0 && out.stop.length === 0 && out.replace.length === 0 && !inFlight) out.events.push(say.deploymentConfigurationStallEvent(name));
  }
  const stopped = [...out.stop.map((s) => s.taskArn), ...out.replace.map((r) => r.taskArn)];
  for (const r of out.replace) out.events.push(say.failedHealthChecksEvent(name, r.taskArn));
  for (const s of out.stop) if (s.reason === 'unhealthy') out.events.push(say.failedHealthChecksEvent(name, s.taskArn));
  if (stopped.length > 0) out.events.push(say.stoppedTasksEvent(name, stopped));

  // 5. Rollout state: COMPLETED once the PRIMARY alone runs `target` healthy tasks; drained deployments go INACTIVE.
  const nothingToDo = toPlace === 0 && stopped.length === 0;
  const settled = primary !== undefined && nothingToDo && mine.length === target && mine.every(isHealthy) && !tasks.some((t) => live(t) && t.startedBy !== primary.id);
  if (primary && settled) {
    if (primaryState === 'IN_PROGRESS') {
      // ECS's bake time: with deployment alarms, the settled rollout stays IN_PROGRESS (alarms still
      // watched, the older deployments kept to roll back to) until the alarms had time to see it.
      const bakeStartedAt = input.bakeStartedAt ?? now;
      if (now - bakeStartedAt < bakeTimeMs(cfg.alarms, input.alarms)) {
        out.bakeStartedAt = bakeStartedAt;
        return finish(out, updates);
      }
      update(primary.id, { rolloutState: 'COMPLETED', rolloutStateReason: say.completedReason(primary.id) });
      out.events.push(say.deploymentCompletedEvent(name, primary.id));
    }
    for (const d of deployments) if (d.status === 'ACTIVE') update(d.id, { status: 'INACTIVE' });
    if (newlyStopped.length === 0 && !throttled) out.events.push(say.steadyStateEvent(name));
  }
  return finish(out, updates);
}

function finish(out: ServiceActions, updates: Map<string, DeploymentUpdate>): ServiceActions {
  out.deploymentUpdates = [...updates.values()];
  return out;
}

/** Older deployments drain first; tasks of unknown deployments before all of them. */
function rankOf(byAge: readonly DeploymentView[], id: string): number {
  return byAge.findIndex((d) => d.id === id);
}

/**
 * The deployment alarms that fail a rollout: enabled, and in ALARM by a transition after the
 * deployment was created (one already in ALARM when it began does not count).
 */
function activatedAlarms(config: ServiceDesired['deploymentConfiguration']['alarms'], seen: ServiceInput['alarms'], since: number): string[] {
  if (!config?.enable || !seen) return [];
  return config.alarmNames.filter((n) => {
    const a = seen[n];
    return a !== null && a !== undefined && a.state === 'ALARM' && a.transitionedAt >= since;
  });
}

/** The longest bake time the enabled deployment alarms CloudWatch has ask for (0 without any). */
function bakeTimeMs(config: ServiceDesired['deploymentConfiguration']['alarms'], seen: ServiceInput['alarms']): number {
  if (!config?.enable || !seen) return 0;
  return Math.max(0, ...config.alarmNames.map((n) => seen[n]?.bakeMs ?? 0));
}

/** The deployment a circuit-breaker rollback restores: the newest other deployment whose rollout COMPLETED. */
export function rollbackTarget(deployments: readonly DeploymentView[], failed: DeploymentView): DeploymentView | undefined {
  return deployments
    .filter((d) => d.id !== failed.id && d.rolloutState === 'COMPLETED')
    .sort((a, b) => b.createdAt - a.createdAt)[0];
}

/**
 * The throttle after this round: failures to start push `notBefore` out; a task RUNNING since the
 * last failure, or a PRIMARY deployment made since then (an update, a rollback), resets it.
 */
function nextThrottle(input: ServiceInput, newFailures: number, primary: DeploymentView | undefined): ThrottleState {
  const prev = input.throttle;
  if (newFailures === 0 && prev.consecutiveFailures > 0 && primary && primary.createdAt >= prev.lastFailureAt) return { ...NO_THROTTLE };
  if (newFailures > 0) {
    const consecutiveFailures = prev.consecutiveFailures + newFailures;
    return { consecutiveFailures, lastFailureAt: input.now, notBefore: input.now + backoffMs(consecutiveFailures, compileBackoffOptions(input.backoff)) };
  }
  const recovered = input.tasks.some((t) => t.lastStatus === 'RUNNING' && (t.startedAt ?? 0) > prev.lastFailureAt);
  return recovered && prev.consecutiveFailures > 0 ? { ...NO_THROTTLE } : { ...prev };
}
