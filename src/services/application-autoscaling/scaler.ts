/**
 * The scaler's arithmetic, pure: given a policy, which of its alarms went to ALARM, the metric
 * value, the current desired count, the target's bounds and what recent activities did, it
 * decides the new desired count as Application Auto Scaling does (README.md says how, rule by
 * rule). execute.ts applies the decision and records the activity. At `--time-scale N` (the
 * input's `timeScale`) a cooldown of C seconds lasts scaledCooldownSeconds(C, N) real seconds.
 */
import { scaledCooldownSeconds } from '../../config/time-scale.js';
import type { StepScalingConfig, SuspendedState, TargetTrackingConfig } from './records.js';

/** AWS's default cooldown for ECS services, target tracking and step scaling alike. */
export const DEFAULT_ECS_COOLDOWN_SECONDS = 300;
/** The low alarm of a target tracking policy sits at this fraction of the target, as AWS creates it. */
export const SCALE_IN_THRESHOLD_FACTOR = 0.9;
/** Scale-in removes at most this fraction of the current count per activity (at least one task). */
export const SCALE_IN_STEP_FRACTION = 0.1;

/** The last scaled activities of the target, for cooldowns. Times are epoch ms. */
export interface ScalingHistory {
  lastScaleOut?: { at: number; from: number; to: number };
  lastScaleIn?: { at: number; from: number; to: number };
}

interface Common {
  current: number;
  min: number;
  max: number;
  /** The metric value (target tracking: the latest datapoint; step: aggregated per MetricAggregationType). */
  metric: number | undefined;
  now: number;
  history: ScalingHistory;
  suspended: SuspendedState;
  /** Berth's --time-scale: cooldowns last 1/N as long. Default 1. */
  timeScale?: number;
}

export type ScalerInput =
  | (Common & { type: 'TargetTrackingScaling'; config: TargetTrackingConfig; alarm: 'high' | 'low' })
  | (Common & { type: 'StepScaling'; config: StepScalingConfig; threshold: number });

/** Not-scaled reasons AWS reports in NotScaledReasons. */
export type NotScaledCode = 'AlreadyAtMaxCapacity' | 'AlreadyAtMinCapacity' | 'AlreadyAtDesiredCapacity';

export type ScalerDecision =
  /** Set the desired count to `to`. */
  | { kind: 'scale'; to: number; direction: 'out' | 'in' }
  /** The policy asked for a change the bounds or the current count leave nothing of (an activity that did not scale). */
  | { kind: 'not-scaled'; code: NotScaledCode; wanted: number; direction: 'out' | 'in' }
  /** Nothing to do and nothing to record (suspended, in cooldown, scale-in disabled, no metric, no step). */
  | { kind: 'skip'; why: string };

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));
// Products like 3 × 0.7 / 0.7 land a hair above an integer; ceil must not count that hair as a task.
const ceilish = (x: number) => Math.ceil(x - 1e-9);
/** Whether `since` is less than a cooldown of `seconds` (scaled by `timeScale`) before `now`. */
const within = (since: { at: number } | undefined, seconds: number, now: number, timeScale = 1) => since !== undefined && now - since.at < scaledCooldownSeconds(seconds, timeScale) * 1000;

/** Decides one scaling step. */
export function decide(input: ScalerInput): ScalerDecision {
  return input.type === 'TargetTrackingScaling' ? decideTargetTracking(input) : decideStep(input);
}

function settle(input: Common, wanted: number, direction: 'out' | 'in'): ScalerDecision {
  const to = clamp(wanted, input.min, input.max);
  if (direction === 'out' ? to > input.current : to < input.current) return { kind: 'scale', to, direction };
  const code: NotScaledCode =
    direction === 'out' && input.current >= input.max ? 'AlreadyAtMaxCapacity' : direction === 'in' && input.current <= input.min ? 'AlreadyAtMinCapacity' : 'AlreadyAtDesiredCapacity';
  return { kind: 'not-scaled', code, wanted, direction };
}

function decideTargetTracking(input: Common & { config: TargetTrackingConfig; alarm: 'high' | 'low' }): ScalerDecision {
  const { config, metric, current, now, history } = input;
  if (metric === undefined) return { kind: 'skip', why: 'the alarm reported no metric value' };
  const target = config.TargetValue;
  if (input.alarm === 'high') {
    if (input.suspended.DynamicScalingOutSuspended) return { kind: 'skip', why: 'dynamic scale-out is suspended' };
    // Inside the scale-out cooldown the metric still reflects the capacity before the last
    // scale-out, so that capacity is the base: only what goes beyond it is added now.
    const cooling = within(history.lastScaleOut, config.ScaleOutCooldown ?? DEFAULT_ECS_COOLDOWN_SECONDS, now, input.timeScale);
    const base = cooling ? history.lastScaleOut!.from : current;
    // With no task running there is no per-task metric to divide; one task is the first step.
    const wanted = base === 0 ? 1 : ceilish((base * metric) / target);
    return settle(input, wanted, 'out');
  }
  if (config.DisableScaleIn) return { kind: 'skip', why: 'the policy disables scale-in' };
  if (input.suspended.DynamicScalingInSuspended) return { kind: 'skip', why: 'dynamic scale-in is suspended' };
  if (within(history.lastScaleIn, config.ScaleInCooldown ?? DEFAULT_ECS_COOLDOWN_SECONDS, now, input.timeScale)) return { kind: 'skip', why: 'the scale-in cooldown is in effect' };
  // Gradual: at most a tenth of the tasks (at least one) go per activity, and never so many that
  // the remaining tasks would carry the load above the target.
  const keepsUnderTarget = target > 0 ? ceilish((current * metric) / target) : current;
  const step = Math.max(1, Math.floor(current * SCALE_IN_STEP_FRACTION));
  return settle(input, Math.max(keepsUnderTarget, current - step), 'in');
}

/** The step of `steps` that a breach of `breach` (metric − threshold) falls in, as AWS matches bounds. */
export function stepFor(steps: readonly { MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number }[], breach: number) {
  return steps.find((s) => {
    const lo = s.MetricIntervalLowerBound ?? -Infinity;
    const hi = s.MetricIntervalUpperBound ?? Infinity;
    // Above the threshold the lower bound is inclusive and the upper exclusive; below it, the reverse.
    return breach >= 0 ? breach >= lo && breach < hi : breach > lo && breach <= hi;
  });
}

/** PercentChangeInCapacity's change in tasks, rounded as AWS documents. */
export function percentChange(current: number, percent: number, minMagnitude: number | undefined): number {
  const raw = (current * percent) / 100;
  let change: number;
  if (raw >= 1) change = Math.floor(raw);
  else if (raw > 0) change = 1;
  else if (raw <= -1) change = Math.ceil(raw);
  else if (raw < 0) change = -1;
  else change = 0;
  if (minMagnitude !== undefined && change !== 0 && Math.abs(change) < minMagnitude) change = Math.sign(change) * minMagnitude;
  return change;
}

function decideStep(input: Common & { config: StepScalingConfig; threshold: number }): ScalerDecision {
  const { config, metric, current, now, history } = input;
  if (metric === undefined) return { kind: 'skip', why: 'the alarm reported no metric value' };
  const step = stepFor(config.StepAdjustments, metric - input.threshold);
  if (!step) return { kind: 'skip', why: `no step adjustment covers a breach of ${metric - input.threshold}` };
  const cooldown = config.Cooldown ?? DEFAULT_ECS_COOLDOWN_SECONDS;
  const target = (base: number) =>
    config.AdjustmentType === 'ExactCapacity'
      ? step.ScalingAdjustment
      : config.AdjustmentType === 'PercentChangeInCapacity'
        ? base + percentChange(base, step.ScalingAdjustment, config.MinAdjustmentMagnitude)
        : base + step.ScalingAdjustment;
  const direction = target(current) > current ? 'out' : target(current) < current ? 'in' : step.ScalingAdjustment >= 0 ? 'out' : 'in';
  if (direction === 'out') {
    if (input.suspended.DynamicScalingOutSuspended) return { kind: 'skip', why: 'dynamic scale-out is suspended' };
    // During the cooldown the capacity the last scale-out added counts toward this one: the
    // step applies to the capacity before it, and only what goes beyond the current count is added.
    const cooling = within(history.lastScaleOut, cooldown, now, input.timeScale);
    return settle(input, target(cooling ? history.lastScaleOut!.from : current), 'out');
  }
  if (input.suspended.DynamicScalingInSuspended) return { kind: 'skip', why: 'dynamic scale-in is suspended' };
  const last = [history.lastScaleIn, history.lastScaleOut].filter((x) => x !== undefined).sort((a, b) => b.at - a.at)[0];
  if (within(last, cooldown, now, input.timeScale)) return { kind: 'skip', why: 'the cooldown is in effect' };
  return settle(input, target(current), 'in');
}
