/**
 * The metric alarm state machine, pure: from an alarm's configuration, the datapoints of its
 * evaluation range (one per period, oldest first, a value or missing) and its current state, the
 * next state and the StateReason / StateReasonData CloudWatch would write.
 *
 * CloudWatch's documented rules ("Configuring how CloudWatch alarms treat missing data"):
 * - The evaluation range holds more periods than EvaluationPeriods (N); Berth uses N + 2, the
 *   range of the documentation's table of examples (5 datapoints for N = 3).
 * - When the range holds at least N real datapoints, the N most recent real ones are evaluated and
 *   TreatMissingData plays no part: ALARM when at least DatapointsToAlarm (M) of them breach, else OK.
 * - When it holds none: `missing` -> INSUFFICIENT_DATA, `ignore` -> the state stays, `breaching`
 *   -> ALARM, `notBreaching` -> OK.
 * - When it holds some but fewer than N, the last N periods are evaluated with each missing one
 *   filled as breaching or not breaching (`breaching` / `notBreaching`); with `missing` and
 *   `ignore` the state changes only when the real datapoints settle it whatever the missing ones
 *   would have been (M breaching already -> ALARM; fewer than M even if every missing one breached
 *   -> OK), else it stays — the documented table's "- - X - -" row keeps its state, "- - - - 0"
 *   goes OK.
 * - EvaluateLowSampleCountPercentile `ignore`: a percentile datapoint from too few samples to be
 *   significant (fewer than 1 / (1 - p) — 100 for p99, 2 for p50) keeps the state unchanged.
 */

export type StateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';
export type ComparisonOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';

export const COMPARISON_OPERATORS: readonly ComparisonOperator[] = ['GreaterThanOrEqualToThreshold', 'GreaterThanThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'];
export const TREAT_MISSING_DATA: readonly TreatMissingData[] = ['missing', 'ignore', 'breaching', 'notBreaching'];

/** What the evaluator needs of an alarm's configuration. */
export interface EvaluationConfig {
  /** Seconds. */
  period: number;
  evaluationPeriods: number;
  /** Default: evaluationPeriods. */
  datapointsToAlarm?: number;
  threshold: number;
  comparisonOperator: ComparisonOperator;
  /** Default `missing`. */
  treatMissingData?: TreatMissingData;
  /** `ignore` keeps the state when a percentile datapoint has too few samples. Default `evaluate`. */
  evaluateLowSampleCountPercentile?: 'evaluate' | 'ignore';
  /** The statistic written in StateReasonData (`Average`, `p99`); absent for metric-math alarms. */
  statistic?: string;
}

/** One period of the evaluation range. */
export interface Datapoint {
  /** The period's start, epoch ms. */
  timestamp: number;
  /** Absent: no data for the period. */
  value?: number;
  /** The period's sample count, when known (StateReasonData shows it). */
  sampleCount?: number;
  /** True for a percentile computed from too few samples to be significant. */
  lowSample?: boolean;
}

export interface EvaluationInput {
  config: EvaluationConfig;
  /** The evaluation range, oldest first, one entry per period (see {@link evaluationRange}). */
  datapoints: readonly Datapoint[];
  state: StateValue;
  /** When the evaluation runs, epoch ms (StateReasonData's queryDate). */
  now: number;
}

export interface Evaluation {
  state: StateValue;
  /** False when the state stays: CloudWatch then keeps the previous reason too. */
  changed: boolean;
  reason: string;
  reasonData: string;
}

/** Periods in the evaluation range for N evaluation periods. */
export const evaluationRangeLength = (evaluationPeriods: number) => evaluationPeriods + 2;

/**
 * The period starts of the evaluation range at `now`, oldest first: the most recent periods that
 * have ended (periods are aligned to multiples of their length from the epoch, as CloudWatch's).
 */
export function evaluationRange(period: number, evaluationPeriods: number, now: number): number[] {
  const ms = period * 1000;
  const lastStart = Math.floor(now / ms) * ms - ms;
  const n = evaluationRangeLength(evaluationPeriods);
  return Array.from({ length: n }, (_, i) => lastStart - (n - 1 - i) * ms);
}

/** Whether `value` breaches `threshold` under `op`. */
export function breaches(op: ComparisonOperator, value: number, threshold: number): boolean {
  switch (op) {
    case 'GreaterThanOrEqualToThreshold':
      return value >= threshold;
    case 'GreaterThanThreshold':
      return value > threshold;
    case 'LessThanThreshold':
      return value < threshold;
    case 'LessThanOrEqualToThreshold':
      return value <= threshold;
  }
}

const OPERATOR_TEXT: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: 'greater than or equal to',
  GreaterThanThreshold: 'greater than',
  LessThanThreshold: 'less than',
  LessThanOrEqualToThreshold: 'less than or equal to',
};

/** A number as CloudWatch (Java) prints a double: 85.0, 0.5, 1.0E7. */
export function formatDouble(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'Infinity' : v < 0 ? '-Infinity' : 'NaN';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs >= 1e7 || abs < 1e-3)) {
    const [mantissa, exp] = v.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : mantissa + '.0'}E${Number(exp)}`;
  }
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

const pad = (n: number) => String(n).padStart(2, '0');
/** A reason's datapoint time: dd/MM/yy HH:mm:ss in UTC. */
export function reasonTime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A StateReasonData time: 2026-11-30T02:10:00.000+0000. */
export function reasonDataTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** JSON with numbers written as Java doubles (`85.0`), as StateReasonData is. */
function javaJson(value: unknown): string {
  if (typeof value === 'number') return formatDouble(value);
  if (Array.isArray(value)) return `[${value.map(javaJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${JSON.stringify(k)}:${typeof v === 'number' && k === 'period' ? String(v) : javaJson(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Evaluates the alarm once. */
export function evaluateAlarm(input: EvaluationInput): Evaluation {
  const { config, datapoints, state, now } = input;
  const n = config.evaluationPeriods;
  const m = config.datapointsToAlarm ?? n;
  const treat = config.treatMissingData ?? 'missing';
  const op = config.comparisonOperator;
  const threshold = config.threshold;
  const real = datapoints.filter((d) => d.value !== undefined);
  const newestFirst = (ds: readonly Datapoint[]) => [...ds].sort((a, b) => b.timestamp - a.timestamp);

  const reasonData = (evaluated: readonly Datapoint[]) =>
    javaJson({
      version: '1.0',
      queryDate: reasonDataTime(now),
      startDate: datapoints.length ? reasonDataTime(datapoints[0].timestamp) : undefined,
      statistic: config.statistic,
      period: config.period,
      recentDatapoints: real.map((d) => d.value),
      threshold,
      evaluatedDatapoints: newestFirst(evaluated).map((d) => ({ timestamp: reasonDataTime(d.timestamp), sampleCount: d.sampleCount, value: d.value })),
    });
  const stay = (evaluated: readonly Datapoint[], why: string): Evaluation => ({ state, changed: false, reason: why, reasonData: reasonData(evaluated) });
  const to = (next: StateValue, reason: string, evaluated: readonly Datapoint[]): Evaluation =>
    next === state ? stay(evaluated, reason) : { state: next, changed: true, reason, reasonData: reasonData(evaluated) };

  // No data at all in the range.
  if (real.length === 0) {
    const periods = datapoints.length;
    const missing = Math.min(n, periods);
    switch (treat) {
      case 'missing':
        return to('INSUFFICIENT_DATA', `Insufficient Data: ${plural(periods, 'datapoint')} ${periods === 1 ? 'was' : 'were'} unknown.`, []);
      case 'ignore':
        return stay([], 'Missing data ignored: the state is kept.');
      case 'breaching':
      case 'notBreaching': {
        const label = treat === 'breaching' ? 'Breaching' : 'NotBreaching';
        const reason = `Threshold Crossed: no datapoints were received for ${plural(periods, 'period')} and ${plural(missing, 'missing datapoint')} ${missing === 1 ? 'was' : 'were'} treated as [${label}].`;
        return to(treat === 'breaching' ? 'ALARM' : 'OK', reason, []);
      }
    }
  }

  // Which datapoints are evaluated, and how many missing ones count as breaching (or may).
  let evaluated: Datapoint[];
  let filled = 0;
  if (real.length >= n) {
    evaluated = real.slice(-n);
  } else {
    const window = datapoints.slice(-n);
    evaluated = window.filter((d) => d.value !== undefined);
    filled = window.length - evaluated.length;
  }
  if (config.evaluateLowSampleCountPercentile === 'ignore' && evaluated.some((d) => d.lowSample)) {
    return stay(evaluated, 'Low sample count: the state is kept.');
  }
  const breaching = evaluated.filter((d) => breaches(op, d.value!, threshold));
  const notBreaching = evaluated.filter((d) => !breaches(op, d.value!, threshold));
  let alarm: boolean;
  if (filled === 0 || treat === 'breaching' || treat === 'notBreaching') {
    alarm = breaching.length + (treat === 'breaching' ? filled : 0) >= m;
  } else if (breaching.length >= m) {
    alarm = true;
  } else if (breaching.length + filled < m) {
    alarm = false;
  } else {
    return stay(evaluated, 'Not enough datapoints to settle the state: the state is kept.');
  }

  const list = (ds: readonly Datapoint[]) => newestFirst(ds).map((d) => `${formatDouble(d.value!)} (${reasonTime(d.timestamp)})`).join(', ');
  const threshText = `the threshold (${formatDouble(threshold)})`;
  /**
   * `K out of the last N datapoints [...] were <op> the threshold (T)`, then the missing
   * datapoints filled in on the same side, then the transition's minimum.
   */
  const crossed = (listed: readonly Datapoint[], not: boolean, filledHere: number, label: string, minimum: number, next: StateValue) => {
    const k = listed.length;
    const real = k > 0 ? `${k} out of the last ${n} datapoints [${list(listed)}] ${k === 1 ? 'was' : 'were'} ${not ? 'not ' : ''}${OPERATOR_TEXT[op]} ${threshText}` : '';
    const missing = filledHere > 0 ? `${plural(filledHere, 'missing datapoint')} ${filledHere === 1 ? 'was' : 'were'} treated as [${label}]` : '';
    return `Threshold Crossed: ${[real, missing].filter(Boolean).join(' and ')} (minimum ${plural(minimum, 'datapoint')} for ${state} -> ${next} transition).`;
  };
  if (alarm) return to('ALARM', crossed(breaching, false, treat === 'breaching' ? filled : 0, 'Breaching', m, 'ALARM'), evaluated);
  return to('OK', crossed(notBreaching, true, treat === 'notBreaching' ? filled : 0, 'NotBreaching', n - m + 1, 'OK'), evaluated);
}
