/** Per target group counters (TargetGroupCounters) and how a response is added to them. */
import type { TargetGroupCounters } from './config.js';

/** Fresh zeroed counters. */
export function emptyCounters(): TargetGroupCounters {
  return {
    requests: 0,
    targetResponses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
    elbResponses: { '4xx': 0, '5xx': 0 },
    targetResponseTimeSum: 0,
    targetResponseTimeCount: 0,
  };
}

/** Counts a target's response with its response time in seconds. */
export function countTargetResponse(c: TargetGroupCounters, status: number, seconds: number): void {
  const cls = `${Math.floor(status / 100)}xx`;
  if (cls === '2xx' || cls === '3xx' || cls === '4xx' || cls === '5xx') c.targetResponses[cls]++;
  c.targetResponseTimeSum += seconds;
  c.targetResponseTimeCount++;
}

/** Counts a response the load balancer made itself (502, 503, 504, 460, ...). */
export function countElbResponse(c: TargetGroupCounters, status: number): void {
  if (status >= 500) c.elbResponses['5xx']++;
  else if (status >= 400) c.elbResponses['4xx']++;
}
