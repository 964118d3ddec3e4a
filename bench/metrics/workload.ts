/**
 * The data and the queries of the metrics bench, identical for every target: `series` series of
 * 1-second datapoints over a window ending at the last full hour, put time-major (each call
 * carries consecutive seconds of every series, as producers publish), and the GetMetricData
 * queries of issue 7 with the number of datapoints each must answer.
 */
import type { GetMetricDataCommandInput, MetricDatum } from '@aws-sdk/client-cloudwatch';

export const NAMESPACE = 'Bench';
export const METRIC = 'Latency';

/** The window the data covers: [start, end) in epoch ms, whole seconds. */
export interface DataWindow {
  startMs: number;
  endMs: number;
  series: number;
  spanS: number;
}

/** The window for `spanS` seconds ending at the last full hour before `nowMs` (so every query's periods line up on both targets). */
export function dataWindow(series: number, spanS: number, nowMs = Date.now()): DataWindow {
  const endMs = Math.floor(nowMs / 3_600_000) * 3_600_000;
  return { startMs: endMs - spanS * 1000, endMs, series, spanS };
}

/** Series `s`'s value at second `t` (epoch seconds): 10..109.9 ms, with one in a hundred 10x slower (a tail for p99). */
export function valueAt(s: number, t: number): number {
  const v = 10 + ((s * 7919 + t * 31) % 1000) / 10;
  return (t + s) % 100 === 0 ? v * 10 : v;
}

const dimensionsCache: { Name: string; Value: string }[][] = [];
/** The one dimension of series `s`. */
export function dimensions(s: number): { Name: string; Value: string }[] {
  return (dimensionsCache[s] ??= [{ Name: 'Series', Value: String(s) }]);
}

/** Datapoints in the window (every series, every second). */
export const totalDatapoints = (w: DataWindow): number => w.series * w.spanS;

/** The datums of batch `b` (`batch` datapoints, time-major: second by second, every series within a second). */
export function batchDatums(w: DataWindow, batch: number, b: number): MetricDatum[] {
  const total = totalDatapoints(w);
  const from = b * batch;
  const to = Math.min(total, from + batch);
  const out: MetricDatum[] = [];
  for (let k = from; k < to; k++) {
    const second = Math.floor(k / w.series);
    const s = k % w.series;
    const t = w.startMs / 1000 + second;
    out.push({ MetricName: METRIC, Dimensions: dimensions(s), Timestamp: new Date(t * 1000), Value: valueAt(s, t), Unit: 'Milliseconds', StorageResolution: 1 });
  }
  return out;
}

/** One measured GetMetricData call shape. */
export interface BenchQuery {
  name: string;
  /** What it asks, for the report. */
  shape: string;
  input: GetMetricDataCommandInput;
  /** Datapoints a complete answer has, over every returned result. */
  expectedDatapoints: number;
}

const metric = (s: number) => ({ Namespace: NAMESPACE, MetricName: METRIC, Dimensions: dimensions(s) });

/** The queries of issue 7 over the window. */
export function benchQueries(w: DataWindow): BenchQuery[] {
  const start = new Date(w.startMs);
  const end = new Date(w.endMs);
  const span = w.spanS;
  const lastS = Math.min(3600, span);
  const whole = `${span / 3600} h`;
  return [
    {
      name: 'day-avg-60',
      shape: `Series=0, the whole ${whole}, Period 60, Average`,
      input: { StartTime: start, EndTime: end, MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: metric(0), Period: 60, Stat: 'Average' } }] },
      expectedDatapoints: span / 60,
    },
    {
      name: 'day-p99-300',
      shape: `Series=0, the whole ${whole}, Period 300, p99`,
      input: { StartTime: start, EndTime: end, MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: metric(0), Period: 300, Stat: 'p99' } }] },
      expectedDatapoints: Math.ceil(span / 300),
    },
    {
      name: 'all-series-3600',
      shape: `${w.series} MetricStat queries (every series) in one call, the whole ${whole}, Period 3600, Average`,
      input: {
        StartTime: start,
        EndTime: end,
        MetricDataQueries: Array.from({ length: w.series }, (_, s) => ({ Id: `m${s}`, MetricStat: { Metric: metric(s), Period: 3600, Stat: 'Average' } })),
      },
      expectedDatapoints: w.series * Math.ceil(span / 3600),
    },
    {
      name: 'hour-1s',
      shape: `Series=0, the last ${lastS / 60} min, Period 1 (high resolution), Average`,
      input: { StartTime: new Date(w.endMs - lastS * 1000), EndTime: end, MetricDataQueries: [{ Id: 'm0', MetricStat: { Metric: metric(0), Period: 1, Stat: 'Average' } }] },
      expectedDatapoints: lastS,
    },
    {
      name: 'math-2',
      shape: `expression "a + b" over Series=0 and Series=${Math.min(1, w.series - 1)} (not returned), the whole ${whole}, Period 60`,
      input: {
        StartTime: start,
        EndTime: end,
        MetricDataQueries: [
          { Id: 'a', MetricStat: { Metric: metric(0), Period: 60, Stat: 'Average' }, ReturnData: false },
          { Id: 'b', MetricStat: { Metric: metric(Math.min(1, w.series - 1)), Period: 60, Stat: 'Average' }, ReturnData: false },
          { Id: 'e', Expression: 'a + b', Label: 'a + b' },
        ],
      },
      expectedDatapoints: span / 60,
    },
  ];
}

/** The exact Average of series `s` over [fromS, toS) epoch seconds, to check answers against. */
export function exactAverage(s: number, fromS: number, toS: number): number {
  let sum = 0;
  for (let t = fromS; t < toS; t++) sum += valueAt(s, t);
  return sum / (toS - fromS);
}
