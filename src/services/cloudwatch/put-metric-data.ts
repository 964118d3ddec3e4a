/**
 * PutMetricData: validates every datum as CloudWatch does (every problem reported at once, one
 * line each, the first problem's kind deciding the error code) and writes them in the call's
 * transaction; nothing is stored when any datum is refused.
 */
import type { Operation } from '../../api/index.js';
import type { CloudWatchDeps } from './deps.js';
import { invalidParameterCombination, invalidParameterValue, missingParameter } from './errors.js';
import type { Datum } from './metric-store.js';

/** Datums per call, as the model documents (MetricData and EntityMetricData together). */
export const MAX_DATUMS = 1000;
/** Values (and Counts) per datum. */
export const MAX_VALUES = 150;
/** The largest magnitude CloudWatch accepts. */
const MAX_MAGNITUDE = 2 ** 360;
const TWO_WEEKS = 14 * 86_400_000;
const TWO_HOURS = 2 * 3_600_000;

interface WireDimension {
  Name: string;
  Value: string;
}
interface WireDatum {
  MetricName: string;
  Dimensions?: WireDimension[];
  Timestamp?: Date;
  Value?: number;
  StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  Values?: number[];
  Counts?: number[];
  Unit?: string;
  StorageResolution?: number;
}

type Problem = { kind: 'value' | 'combination' | 'missing'; message: string };

const finite = (v: number) => Number.isFinite(v) && Math.abs(v) <= MAX_MAGNITUDE;

/** The problems of one datum at `p` (`MetricData.member.N`). */
export function datumProblems(d: WireDatum, p: string, now: number): Problem[] {
  const out: Problem[] = [];
  const value = (message: string) => out.push({ kind: 'value', message });
  const seen = new Set<string>();
  (d.Dimensions ?? []).forEach((dim, j) => {
    const at = `${p}.Dimensions.member.${j + 1}`;
    if (!/\S/.test(dim.Name) || dim.Name.startsWith(':')) value(`The value ${dim.Name} for parameter ${at}.Name is invalid.`);
    if (!/\S/.test(dim.Value)) value(`The value ${dim.Value} for parameter ${at}.Value is invalid.`);
    if (seen.has(dim.Name)) value(`The parameter ${at}.Name is a duplicate: the dimension ${dim.Name} appears more than once.`);
    seen.add(dim.Name);
  });
  // An empty Values list gives no value at all.
  const given = (['Value', 'Values', 'StatisticValues'] as const).filter((k) => d[k] !== undefined && !(k === 'Values' && d.Values!.length === 0));
  if (given.length > 1) out.push({ kind: 'combination', message: `The parameters ${p}.${given[0]} and ${p}.${given[1]} are mutually exclusive and you have specified both.` });
  if (given.length === 0) out.push({ kind: 'missing', message: `The parameter ${p}.Value, ${p}.Values or ${p}.StatisticValues is required.` });
  if (d.Value !== undefined && !finite(d.Value)) value(`The value ${d.Value} for parameter ${p}.Value is invalid.`);
  if (d.Values !== undefined) {
    if (d.Values.length > MAX_VALUES) value(`The collection ${p}.Values must not have a size greater than ${MAX_VALUES}.`);
    d.Values.forEach((v, j) => {
      if (!finite(v)) value(`The value ${v} for parameter ${p}.Values.member.${j + 1} is invalid.`);
    });
  }
  if (d.Counts !== undefined) {
    if (d.Values === undefined) out.push({ kind: 'combination', message: `The parameter ${p}.Counts can only be used with ${p}.Values.` });
    else if (d.Counts.length !== d.Values.length) out.push({ kind: 'combination', message: `The parameters ${p}.Values and ${p}.Counts must be of the same size.` });
    d.Counts.forEach((c, j) => {
      if (!(Number.isFinite(c) && c >= 0)) value(`The value ${c} for parameter ${p}.Counts.member.${j + 1} is invalid.`);
    });
  }
  const s = d.StatisticValues;
  if (s) {
    for (const k of ['SampleCount', 'Sum', 'Minimum', 'Maximum'] as const) if (!finite(s[k])) value(`The value ${s[k]} for parameter ${p}.StatisticValues.${k} is invalid.`);
    if (!(s.SampleCount > 0)) value(`The value ${s.SampleCount} for parameter ${p}.StatisticValues.SampleCount is invalid: it must be greater than 0.`);
    if (s.Minimum > s.Maximum) value(`The parameter ${p}.StatisticValues.Minimum must be less than or equal to ${p}.StatisticValues.Maximum.`);
  }
  if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) value(`The value ${d.StorageResolution} for parameter ${p}.StorageResolution is invalid: use 1 (high resolution) or 60.`);
  if (d.Timestamp) {
    const t = d.Timestamp.getTime();
    if (t < now - TWO_WEEKS) value(`The parameter ${p}.Timestamp must specify a time within the past two weeks.`);
    else if (t > now + TWO_HOURS) value(`The parameter ${p}.Timestamp must specify a time no more than two hours in the future.`);
  }
  return out;
}

/** The datum as the metric store takes it. */
function toDatum(d: WireDatum): Datum {
  return {
    metricName: d.MetricName,
    dimensions: d.Dimensions?.map((x) => ({ name: x.Name, value: x.Value })),
    timestamp: d.Timestamp,
    value: d.Value,
    values: d.Values,
    counts: d.Counts,
    statisticValues: d.StatisticValues && { sampleCount: d.StatisticValues.SampleCount, sum: d.StatisticValues.Sum, minimum: d.StatisticValues.Minimum, maximum: d.StatisticValues.Maximum },
    unit: d.Unit,
    storageResolution: d.StorageResolution,
  };
}

/** The PutMetricData operation. */
export function putMetricDataOperations(deps: CloudWatchDeps): Record<string, Operation> {
  return {
    PutMetricData(input: { Namespace: string; MetricData?: WireDatum[]; EntityMetricData?: { MetricData?: WireDatum[] }[] }) {
      const now = deps.now();
      const direct = input.MetricData ?? [];
      // Entities are accepted and not kept: their datums count as the metric's.
      const entity = (input.EntityMetricData ?? []).flatMap((e) => e.MetricData ?? []);
      if (direct.length + entity.length === 0) throw missingParameter('The parameter MetricData is required.');
      if (direct.length + entity.length > MAX_DATUMS) throw invalidParameterValue(`The collection MetricData must not have a size greater than ${MAX_DATUMS}.`);
      if (input.Namespace.startsWith('AWS/')) throw invalidParameterValue(`The value ${input.Namespace} for parameter Namespace is invalid: the AWS/ prefix is reserved for AWS services.`);
      const problems = [
        ...direct.flatMap((d, i) => datumProblems(d, `MetricData.member.${i + 1}`, now)),
        ...(input.EntityMetricData ?? []).flatMap((e, i) => (e.MetricData ?? []).flatMap((d, j) => datumProblems(d, `EntityMetricData.member.${i + 1}.MetricData.member.${j + 1}`, now))),
      ];
      if (problems.length) {
        const kind = problems[0].kind;
        const message = problems.filter((x) => x.kind === kind).map((x) => x.message).join('\n');
        throw kind === 'value' ? invalidParameterValue(message) : kind === 'combination' ? invalidParameterCombination(message) : missingParameter(message);
      }
      deps.metrics.write(input.Namespace, [...direct, ...entity].map(toDatum));
      return {};
    },
  };
}
