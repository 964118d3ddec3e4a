/**
 * GetMetricStatistics: the simple statistics or the percentiles of one metric (exact dimensions,
 * optionally one unit) per period, at most 1,440 datapoints, ascending.
 */
import type { Operation } from '../../api/index.js';
import type { CloudWatchDeps } from './deps.js';
import { invalidParameterCombination, invalidParameterValue, missingParameter } from './errors.js';
import { checkPeriod, checkRange, datapointsIn, roundStart } from './periods.js';
import { parseStat, statValue, type SimpleStatistic } from './stats.js';

/** The most datapoints one call returns. */
export const MAX_DATAPOINTS = 1440;

interface Input {
  Namespace: string;
  MetricName: string;
  Dimensions?: { Name: string; Value: string }[];
  StartTime: Date;
  EndTime: Date;
  Period: number;
  Statistics?: SimpleStatistic[];
  ExtendedStatistics?: string[];
  Unit?: string;
}

/** The GetMetricStatistics operation. */
export function getMetricStatisticsOperations(deps: CloudWatchDeps): Record<string, Operation> {
  return {
    GetMetricStatistics(input: Input) {
      const now = deps.now();
      const statistics = input.Statistics ?? [];
      const extended = input.ExtendedStatistics ?? [];
      if (statistics.length === 0 && extended.length === 0) throw missingParameter('Must specify either Statistics or ExtendedStatistics.');
      if (statistics.length > 0 && extended.length > 0) throw invalidParameterCombination('The parameters Statistics and ExtendedStatistics are mutually exclusive and you have specified both.');
      const percentiles = extended.map((text, i) => {
        const stat = parseStat(text);
        if (!stat || stat.kind !== 'percentile') throw invalidParameterValue(`The value ${text} for parameter ExtendedStatistics.member.${i + 1} is invalid: use a percentile between p0.0 and p100.`);
        return { text, stat };
      });
      checkPeriod(input.Period, 'Period');
      const end = input.EndTime.getTime();
      const start = roundStart(input.StartTime.getTime(), now);
      checkRange(input.StartTime.getTime(), end);
      const asked = datapointsIn(start, end, input.Period);
      if (asked > MAX_DATAPOINTS) {
        throw invalidParameterCombination(
          `You have requested up to ${asked.toLocaleString('en-US')} datapoints, which exceeds the limit of ${MAX_DATAPOINTS.toLocaleString('en-US')}. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
        );
      }
      const series = deps.metrics.matchingSeries(input.Namespace, input.MetricName, (input.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })), input.Unit);
      const datapoints = [];
      for (const p of deps.metrics.periods(series, input.Period, start, end, { sketches: percentiles.length > 0 })) {
        const point: Record<string, unknown> = { Timestamp: new Date(p.timestamp), Unit: input.Unit ?? p.unit };
        for (const name of statistics) point[name] = statValue(p.cell, { kind: 'simple', name });
        if (percentiles.length) {
          const values: Record<string, number> = {};
          for (const { text, stat } of percentiles) {
            const v = statValue(p.cell, stat);
            if (v !== undefined) values[text] = v;
          }
          // Percentiles are unavailable for this period (negative values, statistic sets).
          if (Object.keys(values).length === 0) continue;
          point.ExtendedStatistics = values;
        }
        datapoints.push(point);
      }
      return { Label: input.MetricName, Datapoints: datapoints };
    },
  };
}
