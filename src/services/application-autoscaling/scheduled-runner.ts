/**
 * Fires scheduled actions: each pass (a Runnable, every 15 s) finds the actions whose schedule
 * has an occurrence due now that has not fired yet (schedule.ts), within StartTime/EndTime and
 * unless the target's ScheduledScalingSuspended, sets the target's min/max from its
 * ScalableTargetAction and moves the desired count into them — each change with its activity, as
 * AWS records them — in one transaction per action.
 */
import { every } from '../../reconcile/index.js';
import { recordActivity } from './activities.js';
import type { AutoScalingDeps } from './deps.js';
import type { ScheduledActionRecord } from './records.js';
import { dueOccurrence, parseSchedule } from './schedule.js';
import { enforceBounds } from './targets.js';

/** How often the runner looks for due actions. */
export const SCHEDULE_PASS_MS = 15_000;

/** Fires one action's due occurrence, if any; answers whether it fired. */
function fire(deps: AutoScalingDeps, a: ScheduledActionRecord, now: number): boolean {
  const target = deps.records.target(a);
  if (!target || target.SuspendedState.ScheduledScalingSuspended) return false;
  if ((a.StartTime && now < Date.parse(a.StartTime)) || (a.EndTime && now > Date.parse(a.EndTime))) return false;
  const occurrence = dueOccurrence(parseSchedule(a.Schedule), now, Date.parse(a.StartTime ?? a.CreationTime), a.Timezone);
  if (occurrence === undefined || occurrence === a.lastFired) return false;
  deps.records.saveScheduledAction({ ...a, lastFired: occurrence });
  const want = a.ScalableTargetAction ?? {};
  let min = want.MinCapacity ?? target.MinCapacity;
  let max = want.MaxCapacity ?? target.MaxCapacity;
  // One bound given past the other: the other follows it.
  if (min > max) {
    if (want.MinCapacity !== undefined) max = min;
    else min = max;
  }
  if (min !== target.MinCapacity || max !== target.MaxCapacity) {
    const updated = { ...target, MinCapacity: min, MaxCapacity: max };
    deps.records.saveTarget(updated);
    recordActivity(deps, target, `scheduled action name ${a.ScheduledActionName} was triggered`, {
      Description: `Setting min capacity to ${min} and max capacity to ${max}`,
      StatusCode: 'Successful',
      StatusMessage: `Successfully set min capacity to ${min} and max capacity to ${max}`,
    });
    enforceBounds(deps, updated, { min: `minimum capacity was set to ${min}`, max: `maximum capacity was set to ${max}` });
  }
  return true;
}

/** One pass over every scheduled action; answers the names that fired. */
export function runScheduledActions(deps: AutoScalingDeps): string[] {
  const fired: string[] = [];
  const now = deps.now().getTime();
  for (const a of deps.store.transaction(() => deps.records.scheduledActions('ecs'))) {
    try {
      const fresh = () => deps.records.scheduledAction(a, a.ScheduledActionName);
      // Read again inside the transaction: it may have changed or gone since the listing.
      if (deps.store.transaction(() => { const current = fresh(); return current !== undefined && fire(deps, current, now); })) fired.push(a.ScheduledActionName);
    } catch (err) {
      deps.log(`application-autoscaling: scheduled action ${a.ScheduledActionName} failed: ${(err as Error).message}`);
    }
  }
  return fired;
}

/** The Runnable `berth up` runs (`application-autoscaling-schedules`). */
export function scheduledActionRunner(deps: AutoScalingDeps, intervalMs = SCHEDULE_PASS_MS) {
  return { start: (signal: AbortSignal) => every(intervalMs, signal, () => runScheduledActions(deps)) };
}
