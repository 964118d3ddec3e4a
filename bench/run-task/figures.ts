/** What one round measures, on Berth or on a reference, and the figures derived from it. */
import { percentile } from '../shared/table.js';

/** The raw measurements of starting (and stopping) N tasks or containers. */
export interface RoundResult {
  /** Tasks or containers started. */
  n: number;
  /** From the first start call to the last one running, in ms. */
  startElapsedMs: number;
  /** Per task: from its start call (or, on Berth, its createdAt) to running, in ms. */
  startLatenciesMs: number[];
  /** From the first stop call to the last one stopped, in ms. */
  stopElapsedMs: number;
}

/** The printed figures of a round. */
export interface RoundFigures {
  startedPerS: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  stoppedPerS: number;
}

/** Rates and latency percentiles of a round. */
export function roundFigures(r: RoundResult): RoundFigures {
  const sorted = [...r.startLatenciesMs].sort((a, b) => a - b);
  return {
    startedPerS: r.n / (r.startElapsedMs / 1000),
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    maxMs: sorted[sorted.length - 1] ?? NaN,
    stoppedPerS: r.n / (r.stopElapsedMs / 1000),
  };
}
