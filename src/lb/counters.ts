/**
 * Per target group counters (TargetGroupCounters) and how a response is added to them. They are
 * cumulative since the engine (or worker) started; the CloudWatch producer publishes their deltas.
 *
 * Target response times are also kept as a histogram with log-sized bins (relative width 2%, the
 * same bins as CloudWatch's percentile sketch in services/cloudwatch/sketch.ts), so p99 of
 * TargetResponseTime can be published without keeping every value: one Math.log and one
 * property increment per response on the hot path; a group holds at most a few hundred bins
 * (0.1 ms to 1 hour span about 820, real traffic far fewer).
 */
import type { TargetGroupCounters } from './config.js';

/** Relative accuracy of a response time bin's representative value. */
export const RESPONSE_TIME_ACCURACY = 0.01;
const GAMMA = (1 + RESPONSE_TIME_ACCURACY) / (1 - RESPONSE_TIME_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
/**
 * Bin numbers are shifted by this much so they are positive integers (an object's integer keys
 * are its fast elements; string keys cost twice as much per response): bin 1 is about 40 ps.
 */
const BIN_OFFSET = 1200;
/** The bin of zero (and of anything too small for a bin of its own). */
export const ZERO_TIME_BIN = 0;

/** The histogram bin of a response time in seconds. */
export function responseTimeBin(seconds: number): number {
  if (!(seconds > 0)) return ZERO_TIME_BIN;
  return Math.max(1, Math.ceil(Math.log(seconds) / LN_GAMMA) + BIN_OFFSET);
}

/** The value (seconds) a bin stands for: within RESPONSE_TIME_ACCURACY of every value in it. */
export function responseTimeBinValue(bin: number | string): number {
  const b = Number(bin);
  if (b === ZERO_TIME_BIN) return 0;
  return (2 * Math.pow(GAMMA, b - BIN_OFFSET)) / (GAMMA + 1);
}

/** Fresh zeroed counters. */
export function emptyCounters(): TargetGroupCounters {
  return {
    requests: 0,
    targetResponses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    elbResponses: { '4xx': 0, '5xx': 0 },
    elbResponseCodes: { '500': 0, '502': 0, '503': 0, '504': 0 },
    targetResponseTimeSum: 0,
    targetResponseTimeCount: 0,
    targetResponseTimeBins: {},
  };
}

const STATUS_CLASSES = ['2xx', '3xx', '4xx', '5xx'] as const;

/** Counts a target's response with its response time in seconds. */
export function countTargetResponse(c: TargetGroupCounters, status: number, seconds: number): void {
  if (status >= 200 && status < 600) c.targetResponses[STATUS_CLASSES[Math.floor(status / 100) - 2]]++;
  c.targetResponseTimeSum += seconds;
  c.targetResponseTimeCount++;
  const bin = responseTimeBin(seconds);
  c.targetResponseTimeBins[bin] = (c.targetResponseTimeBins[bin] ?? 0) + 1;
}

/** Counts a response the load balancer made itself (502, 503, 504, 460, ...). */
export function countElbResponse(c: TargetGroupCounters, status: number): void {
  if (status >= 500) {
    c.elbResponses['5xx']++;
    if (status === 500 || status === 502 || status === 503 || status === 504) c.elbResponseCodes[status]++;
  } else if (status >= 400) c.elbResponses['4xx']++;
}

/** a + b, field by field (either may be undefined: zero). */
export function addCounters(a: TargetGroupCounters | undefined, b: TargetGroupCounters | undefined): TargetGroupCounters {
  const x = a ?? emptyCounters();
  const y = b ?? emptyCounters();
  const bins: Record<string, number> = { ...x.targetResponseTimeBins };
  for (const [bin, n] of Object.entries(y.targetResponseTimeBins ?? {})) bins[bin] = (bins[bin] ?? 0) + n;
  const codes = (k: '500' | '502' | '503' | '504') => (x.elbResponseCodes?.[k] ?? 0) + (y.elbResponseCodes?.[k] ?? 0);
  return {
    requests: x.requests + y.requests,
    targetResponses: {
      '2xx': x.targetResponses['2xx'] + y.targetResponses['2xx'],
      '3xx': x.targetResponses['3xx'] + y.targetResponses['3xx'],
      '4xx': x.targetResponses['4xx'] + y.targetResponses['4xx'],
      '5xx': x.targetResponses['5xx'] + y.targetResponses['5xx'],
    },
    elbResponses: { '4xx': x.elbResponses['4xx'] + y.elbResponses['4xx'], '5xx': x.elbResponses['5xx'] + y.elbResponses['5xx'] },
    elbResponseCodes: { '500': codes('500'), '502': codes('502'), '503': codes('503'), '504': codes('504') },
    targetResponseTimeSum: x.targetResponseTimeSum + y.targetResponseTimeSum,
    targetResponseTimeCount: x.targetResponseTimeCount + y.targetResponseTimeCount,
    targetResponseTimeBins: bins,
  };
}
