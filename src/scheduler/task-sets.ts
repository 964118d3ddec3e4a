/**
 * The service scheduler's decision for a service of the EXTERNAL or CODE_DEPLOY deployment
 * controller: a pure function from its task sets and their tasks as observed to the actions that
 * keep each non-DRAINING task set at `computedDesiredCount` tasks, replace stopped and unhealthy
 * ones, stop the tasks of DRAINING (or deleted) task sets, and each set's stabilityStatus. Task
 * sets move by their controller's calls (scale, primary), not by rolling rules: no
 * minimumHealthyPercent floor or circuit breaker applies, only the start throttle (limits.ts).
 * No I/O and no clock here (`now` is an input); the apply step is in service-scheduler.ts.
 */
import { isHealthy, type StopAction, type TaskObservation, type ThrottleState } from './decide.js';
import { backoffMs, compileBackoffOptions, type BackoffOptions } from './limits.js';

/** One task set as the decision sees it. */
export interface TaskSetView {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  computedDesiredCount: number;
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
}

/** Everything the task-set decision needs. */
export interface TaskSetInput {
  taskSets: readonly TaskSetView[];
  /** The service's tasks; a task belongs to the task set whose id is its `startedBy`. */
  tasks: readonly TaskObservation[];
  /** Seconds after a task starts during which an UNHEALTHY status is ignored. */
  healthCheckGracePeriodSeconds: number;
  throttle: ThrottleState;
  now: number;
  backoff?: BackoffOptions;
}

/** The decision. */
export interface TaskSetActions {
  /** New tasks to start, per task set id. */
  place: Record<string, number>;
  /** Tasks to stop: scale-in, DRAINING or deleted task sets ('deployment'), and UNHEALTHY past the grace period. */
  stop: StopAction[];
  /** STOPPED tasks now counted (start failures): the apply step remembers them. */
  acknowledge: string[];
  /** The throttle after this round. */
  throttle: ThrottleState;
  /** Each task set's stabilityStatus after this round (only the ones that changed). */
  stability: Record<string, 'STEADY_STATE' | 'STABILIZING'>;
  /** Task sets that are DRAINING and have no live task left: they leave the service. */
  gone: string[];
}

const live = (t: TaskObservation) => t.lastStatus !== 'STOPPED';
/** A task meant to keep running (not being stopped). */
const keeping = (t: TaskObservation) => live(t) && t.desiredStatus === 'RUNNING';

/** Which tasks to stop first on scale-in: not yet RUNNING, then not yet healthy, then the newest. */
function scaleInOrder(a: TaskObservation, b: TaskObservation, healthy: (t: TaskObservation) => boolean): number {
  const rank = (t: TaskObservation) => (t.lastStatus !== 'RUNNING' ? 0 : !healthy(t) ? 1 : 2);
  return rank(a) - rank(b) || (b.startedAt ?? Infinity) - (a.startedAt ?? Infinity);
}

/** Decides one round for a service of task sets. */
export function decideTaskSets(input: TaskSetInput): TaskSetActions {
  const backoff = compileBackoffOptions(input.backoff);
  const healthy = isHealthy;
  const out: TaskSetActions = { place: {}, stop: [], acknowledge: [], throttle: { ...input.throttle }, stability: {}, gone: [] };
  const running = new Set(input.taskSets.filter((s) => s.status !== 'DRAINING').map((s) => s.id));

  // Start throttle: failures to start push the next placement out; a RUNNING task since resets it.
  for (const t of input.tasks) {
    if (t.lastStatus !== 'STOPPED' || t.acknowledged) continue;
    out.acknowledge.push(t.taskArn);
    if (!t.reachedRunning && t.stopCode !== 'UserInitiated' && t.stopCode !== 'ServiceSchedulerInitiated') {
      out.throttle.consecutiveFailures += 1;
      out.throttle.lastFailureAt = input.now;
      out.throttle.notBefore = input.now + backoffMs(out.throttle.consecutiveFailures, backoff);
    }
  }
  if (input.tasks.some((t) => t.lastStatus === 'RUNNING' && (t.startedAt ?? 0) > out.throttle.lastFailureAt) && out.throttle.consecutiveFailures > 0) {
    out.throttle = { consecutiveFailures: 0, lastFailureAt: 0, notBefore: 0 };
  }
  const mayPlace = input.now >= out.throttle.notBefore;

  // Tasks of no running task set (DRAINING or deleted) are stopped.
  for (const t of input.tasks) if (keeping(t) && !running.has(t.startedBy)) out.stop.push({ taskArn: t.taskArn, reason: 'deployment' });

  for (const set of input.taskSets) {
    const mine = input.tasks.filter((t) => t.startedBy === set.id);
    if (set.status === 'DRAINING') {
      if (!mine.some(live)) out.gone.push(set.id);
      continue;
    }
    let kept = mine.filter(keeping);
    // UNHEALTHY past the grace period: stopped, and replaced by count below.
    const graceMs = input.healthCheckGracePeriodSeconds * 1000;
    const failing = kept.filter((t) => t.lastStatus === 'RUNNING' && t.healthStatus === 'UNHEALTHY' && (t.startedAt ?? input.now) + graceMs <= input.now);
    for (const t of failing) out.stop.push({ taskArn: t.taskArn, reason: 'unhealthy' });
    kept = kept.filter((t) => !failing.includes(t));
    const want = set.computedDesiredCount;
    if (kept.length > want) {
      const extra = [...kept].sort((a, b) => scaleInOrder(a, b, healthy)).slice(0, kept.length - want);
      for (const t of extra) out.stop.push({ taskArn: t.taskArn, reason: 'scale-in' });
      kept = kept.filter((t) => !extra.includes(t));
    } else if (kept.length < want && mayPlace) {
      out.place[set.id] = want - kept.length;
    }
    // STEADY_STATE: runningCount == computedDesiredCount, nothing pending or being stopped, all healthy.
    const steady = kept.length === want && kept.every((t) => t.lastStatus === 'RUNNING' && healthy(t)) && !mine.some((t) => live(t) && !kept.includes(t)) && out.place[set.id] === undefined;
    const stability = steady ? 'STEADY_STATE' : 'STABILIZING';
    if (stability !== set.stabilityStatus) out.stability[set.id] = stability;
  }
  return out;
}
