/**
 * Series identity and statistic cells. A series is namespace + metric name + dimensions (sorted
 * by name) + unit; a cell is what one bucket of a series holds: SampleCount, Sum, Minimum,
 * Maximum and the percentile sketch (null once a negative value or a many-sample statistic set
 * made percentiles unavailable, as CloudWatch does).
 */
import { addValue, mergeInto, type Sketch } from './sketch.js';

/** A metric dimension (AWS's Name/Value). */
export interface Dimension {
  name: string;
  value: string;
}

/** What identifies a series. */
export interface SeriesKey {
  namespace: string;
  metricName: string;
  /** Canonical: JSON of [name, value] pairs sorted by name. */
  dimensions: string;
  unit: string;
}

/** One bucket's statistics. */
export interface Cell {
  n: number;
  sum: number;
  min: number;
  max: number;
  sketch: Sketch | null;
}

/** The canonical text of a dimension list (order-insensitive). */
export function canonicalDimensions(dimensions: readonly Dimension[] = []): string {
  const pairs = dimensions.map((d) => [d.name, d.value]).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify(pairs);
}

/** The dimension list stored as {@link canonicalDimensions}. */
export function parseDimensions(text: string): Dimension[] {
  return (JSON.parse(text) as [string, string][]).map(([name, value]) => ({ name, value }));
}

/** A cell of `count` samples of `value`. */
export function valueCell(value: number, count = 1): Cell {
  const sketch: Sketch | null = value >= 0 ? new Map() : null;
  if (sketch) addValue(sketch, value, count);
  return { n: count, sum: value * count, min: value, max: value, sketch };
}

/** A cell from a statistic set; percentiles survive only when it is one sample (or all equal). */
export function statisticSetCell(s: { sampleCount: number; sum: number; minimum: number; maximum: number }): Cell {
  let sketch: Sketch | null = null;
  if ((s.sampleCount === 1 || s.minimum === s.maximum) && s.minimum >= 0) {
    sketch = new Map();
    addValue(sketch, s.minimum, s.sampleCount);
  }
  return { n: s.sampleCount, sum: s.sum, min: s.minimum, max: s.maximum, sketch };
}

/** Adds `from` into `into` (mutating it). */
export function mergeCell(into: Cell, from: Cell): Cell {
  into.n += from.n;
  into.sum += from.sum;
  into.min = Math.min(into.min, from.min);
  into.max = Math.max(into.max, from.max);
  if (into.sketch && from.sketch) mergeInto(into.sketch, from.sketch);
  else into.sketch = null;
  return into;
}

/** A copy of `c` (its sketch too). */
export function copyCell(c: Cell): Cell {
  return { ...c, sketch: c.sketch ? new Map(c.sketch) : null };
}
