/**
 * Statistics: the five simple ones (SampleCount, Sum, Average, Minimum, Maximum) and percentiles
 * `pN` / `pN.N` (0 to 100), read from a cell. A percentile of a bucket without a sketch (negative
 * values, many-sample statistic sets) has no value, as in CloudWatch.
 */
import type { Cell } from './series.js';
import { quantile } from './sketch.js';

/** The statistics GetMetricStatistics' `Statistics` names. */
export const SIMPLE_STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;

/** One of {@link SIMPLE_STATISTICS}. */
export type SimpleStatistic = (typeof SIMPLE_STATISTICS)[number];

/** A parsed statistic. */
export type Stat = { kind: 'simple'; name: SimpleStatistic } | { kind: 'percentile'; p: number };

/** Parses a statistic name; undefined when Berth does not know it. */
export function parseStat(text: string): Stat | undefined {
  if ((SIMPLE_STATISTICS as readonly string[]).includes(text)) return { kind: 'simple', name: text as SimpleStatistic };
  const m = /^p(\d{1,3}(?:\.\d{1,10})?)$/.exec(text);
  if (m) {
    const p = Number(m[1]);
    if (p >= 0 && p <= 100) return { kind: 'percentile', p };
  }
  return undefined;
}

/** The statistic's value for a cell, or undefined when it has none. */
export function statValue(cell: Cell, stat: Stat): number | undefined {
  if (stat.kind === 'percentile') {
    if (!cell.sketch) return undefined;
    if (stat.p === 0) return cell.min;
    if (stat.p === 100) return cell.max;
    return quantile(cell.sketch, stat.p, cell.min, cell.max);
  }
  switch (stat.name) {
    case 'SampleCount':
      return cell.n;
    case 'Sum':
      return cell.sum;
    case 'Average':
      return cell.n > 0 ? cell.sum / cell.n : undefined;
    case 'Minimum':
      return cell.min;
    case 'Maximum':
      return cell.max;
  }
}
