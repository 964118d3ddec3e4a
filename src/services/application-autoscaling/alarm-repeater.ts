/**
 * Keeps invoking a policy while its alarm stays in ALARM, as Application Auto Scaling does (CloudWatch's
 * hook fires on the state change only): each pass (a Runnable, once a minute) runs every policy
 * whose alarm has been in ALARM for at least half a pass, so a target tracking policy keeps scaling in
 * gradually, and out again after its cooldown, while the load stays where it is. Cooldowns and the
 * bounds decide whether anything changes. At `--time-scale N` the minute is scaledSeconds(60, N)
 * real seconds.
 */
import { scaledSeconds } from '../../config/time-scale.js';
import { every } from '../../reconcile/index.js';
import type { AutoScalingDeps } from './deps.js';
import { runPolicy, type PolicyRun } from './execute.js';

/** How often alarms in ALARM re-invoke their policies (CloudWatch re-invokes Auto Scaling actions each minute). */
export const REPEAT_MS = 60_000;

/** One pass; answers what each re-invocation did. */
export function repeatAlarmedPolicies(deps: AutoScalingDeps, intervalMs = repeatIntervalMs(deps)): PolicyRun[] {
  const alarms = deps.alarms;
  if (!alarms) return [];
  const now = deps.now().getTime();
  const runs: PolicyRun[] = [];
  const policies = deps.store.transaction(() => deps.records.policies('ecs'));
  for (const p of policies) {
    for (const alarm of alarms.inAlarmFor(p.PolicyARN)) {
      // The hook ran the policy when the alarm entered ALARM: a pass that comes less than half an
      // interval after that leaves it (passes and transitions are not in step).
      const since = alarm.StateTransitionedTimestamp ? new Date(alarm.StateTransitionedTimestamp).getTime() : 0;
      if (now - since < intervalMs / 2) continue;
      try {
        runs.push(runPolicy(deps, p.PolicyARN, alarm.AlarmName, 'ALARM'));
      } catch (err) {
        deps.log(`application-autoscaling: re-invoking ${p.PolicyName} for ${alarm.AlarmName} failed: ${(err as Error).message}`);
      }
    }
  }
  return runs;
}

/** The repeater's interval at the deps' time scale: a minute, scaled. */
export function repeatIntervalMs(deps: Pick<AutoScalingDeps, 'timeScale'>): number {
  return scaledSeconds(REPEAT_MS / 1000, deps.timeScale ?? 1) * 1000;
}

/** The Runnable `berth up` runs (`application-autoscaling-alarms`). */
export function alarmRepeater(deps: AutoScalingDeps, intervalMs = repeatIntervalMs(deps)) {
  return { start: (signal: AbortSignal) => every(intervalMs, signal, () => repeatAlarmedPolicies(deps, intervalMs)) };
}
