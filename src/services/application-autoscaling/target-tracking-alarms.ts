/**
 * The two CloudWatch alarms a target tracking policy owns, as AWS makes them for an ECS service:
 * `TargetTracking-<ResourceId>-AlarmHigh-<uuid>` (3 of 3 one-minute datapoints above the target)
 * and `-AlarmLow-<uuid>` (15 of 15 below 0.9 × the target; none when scale-in is disabled),
 * each with the policy as its only alarm action.
 */
import { randomUUID } from 'node:crypto';
import type { AlarmInput } from './deps.js';
import type { TargetKey, TargetTrackingConfig } from './records.js';
import { SCALE_IN_THRESHOLD_FACTOR } from './scaler.js';
import { parseResourceId } from './target-key.js';

/** The metric members of an alarm for the policy's metric. */
export function alarmMetric(k: TargetKey, config: TargetTrackingConfig): Pick<AlarmInput, 'MetricName' | 'Namespace' | 'Statistic' | 'Dimensions' | 'Unit' | 'Metrics' | 'Period'> {
  const { cluster, service } = parseResourceId(k.ResourceId);
  const predefined = config.PredefinedMetricSpecification;
  if (predefined) {
    switch (predefined.PredefinedMetricType) {
      case 'ECSServiceAverageCPUUtilization':
      case 'ECSServiceAverageMemoryUtilization':
        return {
          Namespace: 'AWS/ECS',
          MetricName: predefined.PredefinedMetricType === 'ECSServiceAverageCPUUtilization' ? 'CPUUtilization' : 'MemoryUtilization',
          Statistic: 'Average',
          Dimensions: [
            { Name: 'ClusterName', Value: cluster },
            { Name: 'ServiceName', Value: service },
          ],
          Unit: 'Percent',
          Period: 60,
        };
      case 'ALBRequestCountPerTarget': {
        // The label is app/LB/ID/targetgroup/TG/ID; the metric's dimension is its target group half.
        const label = predefined.ResourceLabel ?? '';
        return {
          Namespace: 'AWS/ApplicationELB',
          MetricName: 'RequestCountPerTarget',
          Statistic: 'Sum',
          Dimensions: [{ Name: 'TargetGroup', Value: label.slice(label.indexOf('targetgroup/')) }],
          Period: 60,
        };
      }
    }
    throw new Error(`no alarm metric for ${predefined.PredefinedMetricType}`);
  }
  const c = config.CustomizedMetricSpecification!;
  if (c.Metrics?.length) {
    // Metric math: each MetricStat gets the alarm's one-minute period.
    const Metrics = c.Metrics.map((q: any) => (q.MetricStat ? { ...q, MetricStat: { ...q.MetricStat, Period: 60 } } : q));
    return { Metrics };
  }
  return { Namespace: c.Namespace, MetricName: c.MetricName, Statistic: c.Statistic, Dimensions: c.Dimensions ?? [], ...(c.Unit ? { Unit: c.Unit } : {}), Period: 60 };
}

/** A fresh name pair for a new policy's alarms. */
export function alarmNames(k: TargetKey): { high: string; low: string } {
  const base = `TargetTracking-${k.ResourceId}`;
  return { high: `${base}-AlarmHigh-${randomUUID()}`, low: `${base}-AlarmLow-${randomUUID()}` };
}

/** The alarms of a target tracking policy (the low one only when scale-in is enabled). */
export function targetTrackingAlarms(k: TargetKey, policyArn: string, config: TargetTrackingConfig, names: { high: string; low: string }): { high: AlarmInput; low?: AlarmInput } {
  const metric = alarmMetric(k, config);
  const common = { AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${policyArn}.`, ActionsEnabled: true, AlarmActions: [policyArn], ...metric };
  const high: AlarmInput = { ...common, AlarmName: names.high, EvaluationPeriods: 3, DatapointsToAlarm: 3, Threshold: config.TargetValue, ComparisonOperator: 'GreaterThanThreshold' };
  if (config.DisableScaleIn) return { high };
  const low: AlarmInput = { ...common, AlarmName: names.low, EvaluationPeriods: 15, DatapointsToAlarm: 15, Threshold: config.TargetValue * SCALE_IN_THRESHOLD_FACTOR, ComparisonOperator: 'LessThanThreshold' };
  return { high, low };
}

/** Whether `alarmName` is a policy's high alarm (else its low one). */
export const isHighAlarm = (alarmName: string) => alarmName.includes('-AlarmHigh-');
