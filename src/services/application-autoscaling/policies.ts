/**
 * Scaling policies: PutScalingPolicy (create or update; TargetTrackingScaling with the alarms it
 * owns, StepScaling driven by the caller's alarms), DescribeScalingPolicies and
 * DeleteScalingPolicy (which deletes a target tracking policy's alarms).
 */
import type { Operation } from '../../api/index.js';
import { scalingPolicyArn } from './arns.js';
import type { AutoScalingDeps } from './deps.js';
import { noScalableTarget, noScalingPolicy, validationError } from './errors.js';
import type { PolicyRecord, StepScalingConfig, TargetKey, TargetTrackingConfig } from './records.js';
import { checkFilter, checkNamespace, page } from './target-key.js';
import { alarmNames, targetTrackingAlarms } from './target-tracking-alarms.js';
import { requireTarget } from './targets.js';

/** The predefined metrics of an ECS service. */
export const ECS_PREDEFINED_METRICS = ['ECSServiceAverageCPUUtilization', 'ECSServiceAverageMemoryUtilization', 'ALBRequestCountPerTarget'];
/** Cooldowns are at most a year, as AWS bounds them. */
export const MAX_COOLDOWN_SECONDS = 31_536_000;

export const policyToWire = (p: PolicyRecord) => ({ ...p, CreationTime: new Date(p.CreationTime) });

/** Deletes a policy and the alarms it owns (inside the caller's transaction). */
export function deletePolicy(deps: AutoScalingDeps, p: PolicyRecord): void {
  if (p.PolicyType === 'TargetTrackingScaling' && p.Alarms.length) deps.alarms?.delete(p.Alarms.map((a) => a.AlarmName));
  deps.records.deletePolicy(p.PolicyARN);
}

function checkCooldown(name: string, v: number | undefined): void {
  if (v !== undefined && (v < 0 || v > MAX_COOLDOWN_SECONDS)) throw validationError(`${name} must be between 0 and ${MAX_COOLDOWN_SECONDS} seconds; got ${v}.`);
}

/** Checks a target tracking configuration for an ECS service. */
function checkTargetTracking(deps: AutoScalingDeps, c: TargetTrackingConfig | undefined): TargetTrackingConfig {
  if (!c) throw validationError('TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.');
  if (!Number.isFinite(c.TargetValue) || c.TargetValue <= 0) throw validationError(`TargetValue must be a positive number; got ${c.TargetValue}.`);
  checkCooldown('ScaleOutCooldown', c.ScaleOutCooldown);
  checkCooldown('ScaleInCooldown', c.ScaleInCooldown);
  const pre = c.PredefinedMetricSpecification;
  const custom = c.CustomizedMetricSpecification;
  if (pre && custom) throw validationError('Specify either a PredefinedMetricSpecification or a CustomizedMetricSpecification, not both.');
  if (!pre && !custom) throw validationError('Either a PredefinedMetricSpecification or a CustomizedMetricSpecification is required.');
  if (pre) {
    if (!ECS_PREDEFINED_METRICS.includes(pre.PredefinedMetricType)) {
      throw validationError(`Unsupported metric type ${pre.PredefinedMetricType} for an ECS service: use ${ECS_PREDEFINED_METRICS.join(', ')}.`);
    }
    if (pre.PredefinedMetricType === 'ALBRequestCountPerTarget') {
      if (!pre.ResourceLabel) throw validationError('ResourceLabel is required for the ALBRequestCountPerTarget metric type: app/LOAD_BALANCER/ID/targetgroup/TARGET_GROUP/ID.');
      const m = /^(app\/[^/]+\/[^/]+)\/(targetgroup\/[^/]+\/[^/]+)$/.exec(pre.ResourceLabel);
      if (!m) throw validationError(`Invalid ResourceLabel ${pre.ResourceLabel}: expected app/LOAD_BALANCER/ID/targetgroup/TARGET_GROUP/ID.`);
      const problem = deps.elbv2.labelProblem(m[1], m[2]);
      if (problem) throw validationError(`Invalid ResourceLabel ${pre.ResourceLabel}: ${problem}.`);
    } else if (pre.ResourceLabel !== undefined) {
      throw validationError(`ResourceLabel can only be specified with the ALBRequestCountPerTarget metric type, not ${pre.PredefinedMetricType}.`);
    }
  }
  if (custom) {
    if (custom.Metrics?.length) {
      if (custom.MetricName || custom.Namespace || custom.Statistic || custom.Dimensions) throw validationError('A CustomizedMetricSpecification takes either Metrics or MetricName/Namespace/Statistic/Dimensions, not both.');
    } else if (!custom.MetricName || !custom.Namespace || !custom.Statistic) {
      throw validationError('A CustomizedMetricSpecification needs MetricName, Namespace and Statistic (or Metrics).');
    }
  }
  return c;
}

/** Checks a step scaling configuration: its steps may neither overlap nor leave gaps. */
function checkStep(c: StepScalingConfig | undefined): StepScalingConfig {
  if (!c) throw validationError('StepScalingPolicyConfiguration is required for a StepScaling policy.');
  if (!c.AdjustmentType) throw validationError('AdjustmentType is required for a step scaling policy configuration.');
  if (!c.StepAdjustments?.length) throw validationError('At least one step adjustment is required for a step scaling policy configuration.');
  checkCooldown('Cooldown', c.Cooldown);
  if (c.MinAdjustmentMagnitude !== undefined && c.AdjustmentType !== 'PercentChangeInCapacity') {
    throw validationError('MinAdjustmentMagnitude is only supported with the PercentChangeInCapacity adjustment type.');
  }
  if (c.MinAdjustmentMagnitude !== undefined && c.MinAdjustmentMagnitude < 1) throw validationError(`MinAdjustmentMagnitude must be at least 1; got ${c.MinAdjustmentMagnitude}.`);
  const steps = [...c.StepAdjustments].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity));
  steps.forEach((s, i) => {
    const lo = s.MetricIntervalLowerBound ?? -Infinity;
    const hi = s.MetricIntervalUpperBound ?? Infinity;
    if (lo === -Infinity && hi === Infinity && steps.length > 1) throw validationError('Only one step adjustment can be unbounded at both ends.');
    if (lo >= hi) throw validationError(`A step adjustment's MetricIntervalLowerBound (${lo}) must be below its MetricIntervalUpperBound (${hi}).`);
    if (c.AdjustmentType === 'ExactCapacity' && s.ScalingAdjustment < 0) throw validationError(`An ExactCapacity ScalingAdjustment cannot be negative; got ${s.ScalingAdjustment}.`);
    if (i > 0) {
      const prevHi = steps[i - 1].MetricIntervalUpperBound ?? Infinity;
      if (prevHi > lo) throw validationError('Step adjustments cannot overlap.');
      if (prevHi < lo) throw validationError(`Step adjustments cannot have gaps: nothing covers ${prevHi} to ${lo}.`);
    }
  });
  return { ...c, StepAdjustments: c.StepAdjustments };
}

interface PutInput extends TargetKey {
  PolicyName: string;
  PolicyType?: string;
  StepScalingPolicyConfiguration?: StepScalingConfig;
  TargetTrackingScalingPolicyConfiguration?: TargetTrackingConfig;
  PredictiveScalingPolicyConfiguration?: unknown;
}

export function policyOperations(deps: AutoScalingDeps): Record<string, Operation> {
  const { records } = deps;
  return {
    PutScalingPolicy(input: PutInput) {
      const target = requireTarget(deps, input, noScalableTarget);
      const type = input.PolicyType ?? 'StepScaling';
      if (type !== 'StepScaling' && type !== 'TargetTrackingScaling') throw validationError(`Berth does not support ${type} policies: use TargetTrackingScaling or StepScaling.`);
      if (input.PredictiveScalingPolicyConfiguration) throw validationError('PredictiveScalingPolicyConfiguration is only valid for a PredictiveScaling policy.');
      const existing = records.policy(target, input.PolicyName);
      const arn = existing?.PolicyARN ?? scalingPolicyArn(deps.scope, target, input.PolicyName);
      const p: PolicyRecord = {
        PolicyARN: arn,
        PolicyName: input.PolicyName,
        ServiceNamespace: target.ServiceNamespace,
        ResourceId: target.ResourceId,
        ScalableDimension: target.ScalableDimension,
        PolicyType: type,
        Alarms: [],
        CreationTime: existing?.CreationTime ?? deps.now().toISOString(),
      };
      if (type === 'StepScaling') {
        if (input.TargetTrackingScalingPolicyConfiguration) throw validationError('TargetTrackingScalingPolicyConfiguration is only valid for a TargetTrackingScaling policy.');
        // An update may leave members out: they keep their values.
        const merged = existing?.StepScalingPolicyConfiguration ? { ...existing.StepScalingPolicyConfiguration, ...input.StepScalingPolicyConfiguration } : input.StepScalingPolicyConfiguration;
        p.StepScalingPolicyConfiguration = checkStep(merged);
        if (existing?.PolicyType === 'TargetTrackingScaling') deletePolicy(deps, existing);
      } else {
        if (input.StepScalingPolicyConfiguration) throw validationError('StepScalingPolicyConfiguration is only valid for a StepScaling policy.');
        const config = checkTargetTracking(deps, input.TargetTrackingScalingPolicyConfiguration);
        if (!deps.alarms) throw validationError('Berth cannot create the CloudWatch alarms of a target tracking policy: CloudWatch alarms are not available in this Berth.');
        // An update keeps the alarms' names (AWS updates them in place); a low alarm goes when scale-in is disabled.
        const old = existing?.PolicyType === 'TargetTrackingScaling' ? existing.Alarms : [];
        const fresh = alarmNames(target);
        const names = { high: old.find((a) => a.AlarmName.includes('-AlarmHigh-'))?.AlarmName ?? fresh.high, low: old.find((a) => a.AlarmName.includes('-AlarmLow-'))?.AlarmName ?? fresh.low };
        const alarms = targetTrackingAlarms(target, arn, config, names);
        p.TargetTrackingScalingPolicyConfiguration = config;
        p.Alarms.push({ AlarmName: names.high, AlarmARN: deps.alarms.put(alarms.high) });
        if (alarms.low) p.Alarms.push({ AlarmName: names.low, AlarmARN: deps.alarms.put(alarms.low) });
        else if (old.some((a) => a.AlarmName === names.low)) deps.alarms.delete([names.low]);
      }
      records.savePolicy(p);
      return { PolicyARN: p.PolicyARN, Alarms: p.Alarms };
    },

    DescribeScalingPolicies(input: { ServiceNamespace: string; PolicyNames?: string[]; ResourceId?: string; ScalableDimension?: string; MaxResults?: number; NextToken?: string }) {
      checkNamespace(input.ServiceNamespace);
      checkFilter(input.ScalableDimension, input.ResourceId);
      const names = input.PolicyNames?.length ? new Set(input.PolicyNames) : undefined;
      const all = records.policies(input.ServiceNamespace, { ResourceId: input.ResourceId, ScalableDimension: input.ScalableDimension }).filter((p) => !names || names.has(p.PolicyName));
      const p = page(all, input, `DescribeScalingPolicies|${[...(names ?? [])].join(',')}|${input.ResourceId ?? ''}|${input.ScalableDimension ?? ''}`);
      return { ScalingPolicies: p.items.map(policyToWire), NextToken: p.nextToken };
    },

    DeleteScalingPolicy(input: TargetKey & { PolicyName: string }) {
      requireTarget(deps, input, () => noScalingPolicy(input.ServiceNamespace, input.ResourceId, input.ScalableDimension, input.PolicyName));
      const p = records.policy(input, input.PolicyName);
      if (!p) throw noScalingPolicy(input.ServiceNamespace, input.ResourceId, input.ScalableDimension, input.PolicyName);
      deletePolicy(deps, p);
      return {};
    },
  };
}
