/**
 * GetMetricData: MetricStat queries and metric math expressions over one time range, results in
 * ScanBy order, paged by MaxDatapoints (default 100,800) across all returned results. The
 * NextToken is the number of datapoints already returned; every page recomputes the results, so
 * data arriving between pages may shift them (as with CloudWatch, page within seconds).
 *
 * The alarm engine evaluates metric-math alarms through the same code with CloudWatch's period
 * rules off (`periodRules: false`): at `--time-scale N` its periods are scaled (a Period 60 alarm
 * reads 1 s periods at N = 60, 7 s ones at N = 9), which the API itself keeps refusing.
 */
import type { Operation } from '../../api/index.js';
import type { CloudWatchDeps } from './deps.js';
import { invalidNextToken, invalidParameterCombination, invalidParameterValue, missingParameter } from './errors.js';
import { evaluate, MathError, parseExpression, referencedIds, type MathValue, type Points } from './math.js';
import { checkPeriod, checkRange, roundStart } from './periods.js';
import { parseStat } from './stats.js';

/** Queries per call. */
export const MAX_QUERIES = 500;
/** Datapoints per page when MaxDatapoints is not given. */
export const DEFAULT_MAX_DATAPOINTS = 100_800;

interface WireMetricStat {
  Metric: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: string }[] };
  Period: number;
  Stat: string;
  Unit?: string;
}
interface WireQuery {
  Id: string;
  MetricStat?: WireMetricStat;
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
}
interface Input {
  MetricDataQueries: WireQuery[];
  StartTime: Date;
  EndTime: Date;
  NextToken?: string;
  ScanBy?: 'TimestampDescending' | 'TimestampAscending';
  MaxDatapoints?: number;
}

const encodeToken = (offset: number) => Buffer.from(JSON.stringify({ o: offset })).toString('base64url');
function decodeToken(token: string): number {
  try {
    const o = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { o?: unknown }).o;
    if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
  } catch {
    // fall through
  }
  throw invalidNextToken();
}

/** Checks each query's shape (periods too, unless `periodRules` is false); returns the parsed statistic and expression trees by id. */
/**
 * The checks every metric data query gets, in GetMetricData and in a metric-math alarm's Metrics
 * (`p` names it in messages, e.g. "MetricDataQueries.member.2"): a valid Id not used before in
 * `ids` (added to it), and exactly one of MetricStat and Expression.
 */
export function checkQueryShape(q: { Id: string; MetricStat?: unknown; Expression?: string }, p: string, ids: Set<string>): void {
  if (!/^[a-z][a-zA-Z0-9_]*$/.test(q.Id)) throw invalidParameterValue(`The value ${q.Id} for parameter ${p}.Id is invalid: it must start with a lowercase letter and hold only letters, digits and underscores.`);
  if (ids.has(q.Id)) throw invalidParameterValue(`The value ${q.Id} for parameter ${p}.Id is a duplicate: every query needs its own Id.`);
  ids.add(q.Id);
  if (q.MetricStat && q.Expression !== undefined) throw invalidParameterCombination(`The parameters ${p}.MetricStat and ${p}.Expression are mutually exclusive and you have specified both.`);
  if (!q.MetricStat && q.Expression === undefined) throw missingParameter(`The parameter ${p}.MetricStat or ${p}.Expression is required.`);
}

function checkQueries(queries: WireQuery[], periodRules: boolean) {
  if (queries.length === 0) throw missingParameter('The parameter MetricDataQueries is required.');
  if (queries.length > MAX_QUERIES) throw invalidParameterValue(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}.`);
  const ids = new Set<string>();
  return queries.map((q, i) => {
    const p = `MetricDataQueries.member.${i + 1}`;
    checkQueryShape(q, p, ids);
    if (q.Period !== undefined && periodRules) checkPeriod(q.Period, `${p}.Period`);
    if (q.MetricStat) {
      const m = q.MetricStat;
      if (!m.Metric.Namespace) throw missingParameter(`The parameter ${p}.MetricStat.Metric.Namespace is required.`);
      if (!m.Metric.MetricName) throw missingParameter(`The parameter ${p}.MetricStat.Metric.MetricName is required.`);
      if (periodRules) checkPeriod(m.Period, `${p}.MetricStat.Period`);
      const stat = parseStat(m.Stat);
      if (!stat) throw invalidParameterValue(`The value ${m.Stat} for parameter ${p}.MetricStat.Stat is invalid: use SampleCount, Average, Sum, Minimum, Maximum or a percentile pNN.NN.`);
      return { q, stat, expr: undefined };
    }
    try {
      return { q, stat: undefined, expr: parseExpression(q.Expression!) };
    } catch (err) {
      if (err instanceof MathError) throw invalidParameterValue(`The value ${q.Expression} for parameter ${p}.Expression is invalid: ${err.message}.`);
      throw err;
    }
  });
}

/**
 * The GetMetricData operation. `periodRules: false` (the alarm engine's scaled evaluations only)
 * takes any whole-second period and does not round StartTime down.
 */
export function getMetricDataOperations(deps: CloudWatchDeps, options: { periodRules?: boolean } = {}): Record<string, Operation> {
  const periodRules = options.periodRules ?? true;
  return {
    GetMetricData(input: Input) {
      const now = deps.now();
      const checked = checkQueries(input.MetricDataQueries, periodRules);
      const endMs = input.EndTime.getTime();
      checkRange(input.StartTime.getTime(), endMs);
      const startMs = periodRules ? roundStart(input.StartTime.getTime(), now) : input.StartTime.getTime();
      if (input.MaxDatapoints !== undefined && !(input.MaxDatapoints > 0)) throw invalidParameterValue(`The value ${input.MaxDatapoints} for parameter MaxDatapoints is invalid: it must be greater than 0.`);
      const maxDatapoints = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
      const offset = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);

      // The grid FILL uses: the expression's Period, else the smallest MetricStat period of the call.
      const statPeriods = checked.flatMap((c) => (c.q.MetricStat ? [c.q.MetricStat.Period] : []));
      const defaultPeriod = statPeriods.length ? Math.min(...statPeriods) : 60;
      const gridOf = (period: number) => {
        const grid: number[] = [];
        for (let t = startMs; t < endMs && grid.length <= DEFAULT_MAX_DATAPOINTS; t += period * 1000) grid.push(t);
        return grid;
      };

      const byId = new Map(checked.map((c) => [c.q.Id, c]));
      const values = new Map<string, MathValue>();
      const evaluating = new Set<string>();
      const valueOf = (id: string): MathValue => {
        const had = values.get(id);
        if (had) return had;
        const c = byId.get(id);
        if (!c) throw new MathError(`no query has the Id ${id}`);
        if (evaluating.has(id)) throw new MathError(`the expressions refer to each other in a cycle through ${id}`);
        evaluating.add(id);
        let v: MathValue;
        if (c.stat) {
          const m = c.q.MetricStat!;
          const series = deps.metrics.matchingSeries(m.Metric.Namespace!, m.Metric.MetricName!, (m.Metric.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })), m.Unit);
          const r = deps.metrics.statSeries(series, c.stat, m.Period, startMs, endMs);
          v = { kind: 'series', points: new Map(r.timestamps.map((t, i) => [t, r.values[i]])) };
        } else {
          const grid = gridOf(c.q.Period ?? defaultPeriod);
          v = evaluate(c.expr!, {
            resolve: valueOf,
            metrics: () => checked.filter((x) => x.stat).map((x) => (valueOf(x.q.Id) as { points: Points }).points),
            grid,
          });
          if (v.kind === 'scalar') {
            const scalar = v.value;
            v = { kind: 'series', points: new Map(Number.isFinite(scalar) ? grid.map((t) => [t, scalar]) : []) };
          }
        }
        evaluating.delete(id);
        values.set(id, v);
        return v;
      };

      const descending = (input.ScanBy ?? 'TimestampDescending') === 'TimestampDescending';
      const full = checked
        .filter((c) => c.q.ReturnData !== false)
        .map((c) => {
          let v: MathValue;
          try {
            if (c.expr) for (const ref of referencedIds(c.expr)) if (!byId.has(ref) && ref !== c.q.Id) throw new MathError(`no query has the Id ${ref}`);
            v = valueOf(c.q.Id);
          } catch (err) {
            if (err instanceof MathError) throw invalidParameterValue(`The value ${c.q.Expression} for parameter MetricDataQueries.member.${input.MetricDataQueries.indexOf(c.q) + 1}.Expression is invalid: ${err.message}.`);
            throw err;
          }
          if (v.kind === 'array') throw invalidParameterValue(`The expression ${c.q.Id} returns ${v.items.length} time series; a returned query must give one (wrap it in SUM, AVG, MIN or MAX).`);
          // valueOf turns scalars into series, so a returned value is a series here.
          const points = (v as { points: Points }).points;
          const times = [...points.keys()].sort((a, b) => (descending ? b - a : a - b));
          return { id: c.q.Id, label: c.q.Label ?? (c.q.MetricStat ? c.q.MetricStat.Metric.MetricName! : c.q.Id), times, values: times.map((t) => points.get(t)!) };
        });

      const total = full.reduce((n, r) => n + r.times.length, 0);
      if (offset > total) throw invalidNextToken();
      let skip = offset;
      let room = maxDatapoints;
      const results = full.map((r) => {
        const from = Math.min(skip, r.times.length);
        skip -= from;
        const take = Math.min(room, r.times.length - from);
        room -= take;
        const complete = from + take === r.times.length;
        return {
          Id: r.id,
          Label: r.label,
          Timestamps: r.times.slice(from, from + take).map((t) => new Date(t)),
          Values: r.values.slice(from, from + take),
          StatusCode: complete ? 'Complete' : 'PartialData',
          Messages: [],
        };
      });
      const returned = offset + (maxDatapoints - room);
      return { MetricDataResults: results, Messages: [], ...(returned < total ? { NextToken: encodeToken(returned) } : {}) };
    },
  };
}
