/**
 * Running a scaling policy when one of its alarms changes state (CloudWatch's alarm-action hook):
 * reads the alarm's metric value, asks scaler.ts for the new desired count and applies it through
 * ECS with its activity, in one transaction. Answers one outcome per action ARN for the alarm's
 * history. At `--time-scale N` (deps.timeScale) cooldowns and the fallback read of the alarm's
 * metric use scaled seconds (config/time-scale.ts), as the alarm engine evaluates.
 */
import { scaledSeconds } from '../../config/time-scale.js';
import type { AlarmView, AutoScalingDeps } from './deps.js';
import { notScaled, scaleTo } from './activities.js';
import { isScalingPolicyArn } from './arns.js';
import type { ActivityRecord, PolicyRecord, ScalableTargetRecord } from './records.js';
import { decide, type ScalingHistory } from './scaler.js';
import { parseResourceId } from './target-key.js';
import { isHighAlarm } from './target-tracking-alarms.js';

/** An alarm as CloudWatch's hook hands it over (the members read here). */
export interface TriggeringAlarm {
  name: string;
}

/** What one action did, as CloudWatch's alarm history records it. */
export interface ActionOutcome {
  arn: string;
  ok: boolean;
  message?: string;
}

/** What running a policy did (for tests and logs). */
export type PolicyRun = { outcome: ActionOutcome; activity?: ActivityRecord; skipped?: string };

/** How many recent activities cooldowns look back over. */
const HISTORY_DEPTH = 50;

/** The last scale-out and scale-in among the target's recent scaled activities. */
export function scalingHistory(deps: AutoScalingDeps, t: ScalableTargetRecord): ScalingHistory {
  const h: ScalingHistory = {};
  for (const a of deps.records.recentScaled(t, HISTORY_DEPTH)) {
    if (a.fromCapacity === undefined || a.toCapacity === undefined || a.fromCapacity === a.toCapacity) continue;
    const entry = { at: Date.parse(a.StartTime), from: a.fromCapacity, to: a.toCapacity };
    if (a.toCapacity > a.fromCapacity) h.lastScaleOut ??= entry;
    else h.lastScaleIn ??= entry;
    if (h.lastScaleOut && h.lastScaleIn) break;
  }
  return h;
}

/** The datapoints CloudWatch recorded in the alarm's StateReasonData, if any. */
function reasonDatapoints(alarm: AlarmView | undefined): number[] {
  if (!alarm?.StateReasonData) return [];
  try {
    const data = JSON.parse(alarm.StateReasonData) as { recentDatapoints?: unknown };
    return Array.isArray(data.recentDatapoints) ? data.recentDatapoints.filter((x): x is number => typeof x === 'number' && Number.isFinite(x)) : [];
  } catch {
    return [];
  }
}

/** The alarm's datapoints: from its state reason, else read from the metric over its evaluation range. */
function datapoints(deps: AutoScalingDeps, alarm: AlarmView | undefined): number[] {
  const recorded = reasonDatapoints(alarm);
  if (recorded.length || !alarm || !deps.metrics || !alarm.Namespace || !alarm.MetricName || !alarm.Period) return recorded;
  // The periods the alarm engine evaluated: the configured Period, scaled.
  const period = scaledSeconds(alarm.Period, deps.timeScale ?? 1);
  const end = Math.floor(deps.now().getTime() / (period * 1000)) * period * 1000;
  const start = end - period * 1000 * (alarm.EvaluationPeriods ?? 1);
  try {
    return deps.metrics.query({
      namespace: alarm.Namespace,
      metricName: alarm.MetricName,
      dimensions: (alarm.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })),
      stat: alarm.Statistic ?? alarm.ExtendedStatistic ?? 'Average',
      periodSeconds: period,
      start,
      end,
      ...(alarm.Unit ? { unit: alarm.Unit } : {}),
    }).values;
  } catch {
    return [];
  }
}

function aggregate(values: number[], how: 'Average' | 'Minimum' | 'Maximum' | 'Latest'): number | undefined {
  if (values.length === 0) return undefined;
  if (how === 'Latest') return values[values.length - 1];
  if (how === 'Minimum') return Math.min(...values);
  if (how === 'Maximum') return Math.max(...values);
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Runs `policy` for `alarmName` in `state`, in one transaction. */
export function runPolicy(deps: AutoScalingDeps, policyArn: string, alarmName: string, state: string): PolicyRun {
  const fail = (message: string): PolicyRun => ({ outcome: { arn: policyArn, ok: false, message } });
  // The alarm is read before the transaction: CloudWatch's reads are its own.
  const alarm = deps.alarms?.describe(alarmName);
  return deps.store.transaction(() => {
    const policy: PolicyRecord | undefined = deps.records.policyByArn(policyArn);
    if (!policy) return fail(`No scaling policy found for ARN: ${policyArn}`);
    const target = deps.records.target(policy);
    if (!target) return fail(`No scalable target registered for ${policy.ResourceId}`);
    const { cluster, service } = parseResourceId(target.ResourceId);
    const s = deps.ecs.service(cluster, service);
    if (!s || s.status !== 'ACTIVE') return fail(`ECS service doesn't exist: ${target.ResourceId}`);
    const points = datapoints(deps, alarm);
    const common = {
      current: s.desiredCount,
      min: target.MinCapacity,
      max: target.MaxCapacity,
      now: deps.now().getTime(),
      history: scalingHistory(deps, target),
      suspended: target.SuspendedState,
      timeScale: deps.timeScale ?? 1,
    };
    const decision =
      policy.PolicyType === 'TargetTrackingScaling'
        ? decide({ ...common, type: 'TargetTrackingScaling', config: policy.TargetTrackingScalingPolicyConfiguration!, alarm: isHighAlarm(alarmName) ? 'high' : 'low', metric: aggregate(points, 'Latest') })
        : decide({
            ...common,
            type: 'StepScaling',
            config: policy.StepScalingPolicyConfiguration!,
            threshold: alarm?.Threshold ?? 0,
            metric: aggregate(points, policy.StepScalingPolicyConfiguration!.MetricAggregationType ?? 'Average'),
          });
    const cause = `monitor alarm ${alarmName} in state ${state} triggered policy ${policy.PolicyName}`;
    if (decision.kind === 'skip') return { outcome: { arn: policyArn, ok: true }, skipped: decision.why };
    if (decision.kind === 'not-scaled') {
      const activity = notScaled(deps, target, decision.wanted, { Code: decision.code, MinCapacity: target.MinCapacity, MaxCapacity: target.MaxCapacity, CurrentCapacity: s.desiredCount }, cause, policyArn);
      return { outcome: { arn: policyArn, ok: true }, activity };
    }
    return { outcome: { arn: policyArn, ok: true }, activity: scaleTo(deps, target, s.desiredCount, decision.to, cause, policyArn) };
  });
}

/** CloudWatch's onAlarmAction hook: runs each scaling policy among the action ARNs; leaves other ARNs to CloudWatch's default. */
export function alarmActionHook(deps: AutoScalingDeps) {
  return (alarm: TriggeringAlarm, state: string, actionArns: readonly string[]): ActionOutcome[] => {
    const outcomes: ActionOutcome[] = [];
    for (const arn of actionArns) {
      if (!isScalingPolicyArn(arn)) continue;
      try {
        const run = runPolicy(deps, arn, alarm.name, state);
        if (run.skipped) deps.log(`application-autoscaling: ${arn} did not scale: ${run.skipped}`);
        outcomes.push(run.outcome);
      } catch (err) {
        outcomes.push({ arn, ok: false, message: (err as Error).message });
      }
    }
    return outcomes;
  };
}
