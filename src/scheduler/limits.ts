/**
 * The numbers ECS derives from a service's deployment configuration: how many tasks may run during
 * a rollout, how many must stay healthy, when the circuit breaker trips, how long the start
 * throttle waits, and how long a rollout watched by deployment alarms bakes.
 */
import { scaledSeconds } from '../config/time-scale.js';
import { alarmPeriodSeconds, type AlarmPeriodFields } from '../services/cloudwatch/alarm-store.js';

/** The most tasks (RUNNING + PENDING, every deployment) a rollout may have: maximumPercent of desired, rounded down. */
export function maxTasks(desiredCount: number, maximumPercent: number): number {
  return Math.floor((desiredCount * maximumPercent) / 100);
}

/** The fewest healthy tasks a rollout must keep: minimumHealthyPercent of desired, rounded up. */
export function minHealthyTasks(desiredCount: number, minimumHealthyPercent: number): number {
  return Math.ceil((desiredCount * minimumHealthyPercent) / 100);
}

/** The smallest circuit-breaker failure threshold (ECS API reference, ServiceDeploymentCircuitBreaker). */
export const CIRCUIT_BREAKER_MIN_THRESHOLD = 3;
/** The largest circuit-breaker failure threshold. */
export const CIRCUIT_BREAKER_MAX_THRESHOLD = 200;

/** Failed tasks that trip the circuit breaker: ceil(0.5 x desired), clamped to [3, 200]. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(CIRCUIT_BREAKER_MAX_THRESHOLD, Math.max(CIRCUIT_BREAKER_MIN_THRESHOLD, Math.ceil(desiredCount * 0.5)));
}

/** How the start throttle backs off (Berth's numbers; ECS does not publish its own). */
export interface BackoffOptions {
  /** Failures to start retried at once, before any wait. Default 1. */
  freeFailures?: number;
  /** The first wait, in milliseconds. Default 5,000. */
  baseMs?: number;
  /** The longest wait, in milliseconds. Default 15 minutes. */
  maxMs?: number;
}

/** Backoff options with every default filled in. */
export type ResolvedBackoff = Required<BackoffOptions>;

/** Fills in the start throttle's defaults. */
export function compileBackoffOptions(options: BackoffOptions = {}): ResolvedBackoff {
  return { freeFailures: options.freeFailures ?? 1, baseMs: options.baseMs ?? 5_000, maxMs: options.maxMs ?? 15 * 60_000 };
}

/** The wait before the next start after `consecutiveFailures` failures to start: doubling, capped; 0 while failures are free. */
export function backoffMs(consecutiveFailures: number, b: ResolvedBackoff): number {
  const n = consecutiveFailures - b.freeFailures;
  if (n <= 0) return 0;
  return Math.min(b.maxMs, b.baseMs * 2 ** Math.min(n - 1, 30));
}

/** What {@link deploymentAlarmBakeMs} reads of a CloudWatch alarm (PutMetricAlarm's members). */
export interface BakedAlarm extends AlarmPeriodFields {
  EvaluationPeriods: number;
}

/**
 * The bake time a deployment alarm asks for: after a rollout has settled, ECS keeps watching its
 * alarms for a while (computed from their configuration; AWS publishes no formula) before the
 * rollout is COMPLETED. Berth's choice: the alarm's evaluation window plus one period, so that
 * datapoints of the new version alone can fill the window and the last one be published and
 * evaluated. The period is the alarm's (a metric-math alarm: its returned query's, else the
 * shortest), lasting scaledSeconds(period, timeScale) real seconds as the alarm engine evaluates it.
 */
export function deploymentAlarmBakeMs(alarm: BakedAlarm, timeScale = 1): number {
  return scaledSeconds(alarmPeriodSeconds(alarm), timeScale) * (alarm.EvaluationPeriods + 1) * 1000;
}
