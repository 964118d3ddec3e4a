/**
 * Period and time-range rules shared by GetMetricStatistics and GetMetricData: which periods are
 * allowed (1, 5, 10, 20, 30 or a multiple of 60), how CloudWatch rounds StartTime down (to the
 * minute when under 15 days old, to 5 minutes up to 63 days, to the hour beyond), and how many
 * datapoints a range asks for.
 */
import { invalidParameterValue } from './errors.js';

const DAY = 86_400_000;

/** Periods under a minute that high-resolution metrics allow. */
export const HIGH_RESOLUTION_PERIODS = [1, 5, 10, 20, 30];

/** Throws InvalidParameterValue unless `period` is 1, 5, 10, 20, 30 or a multiple of 60. */
export function checkPeriod(period: number, parameter: string): void {
  if (HIGH_RESOLUTION_PERIODS.includes(period) || (period >= 60 && period % 60 === 0)) return;
  throw invalidParameterValue(`The parameter ${parameter} must be a multiple of 60, or one of 1, 5, 10, 20 or 30 for high-resolution metrics; got ${period}.`);
}

/** StartTime rounded down as CloudWatch does for its age at `now`. */
export function roundStart(startMs: number, now: number): number {
  const age = now - startMs;
  const unit = age <= 15 * DAY ? 60_000 : age <= 63 * DAY ? 300_000 : 3_600_000;
  return Math.floor(startMs / unit) * unit;
}

/** Throws InvalidParameterValue unless StartTime is before EndTime. */
export function checkRange(startMs: number, endMs: number): void {
  if (!(startMs < endMs)) throw invalidParameterValue('The parameter StartTime must be less than the parameter EndTime.');
}

/** How many periods of `period` seconds [start, end) spans. */
export function datapointsIn(startMs: number, endMs: number, period: number): number {
  return Math.ceil((endMs - startMs) / (period * 1000));
}
