/**
 * The alarm evaluation loop (a Runnable for the Manager): evaluates every metric alarm on
 * CloudWatch's cadence — once a minute at the minute boundary, every 10 seconds for alarms with a
 * 10- or 30-second period — over the metric store, and writes the state changes of a pass and
 * their history in one transaction; then runs the changes' actions (alarm-store.ts
 * `runAlarmActions`). A new or updated alarm is due at once (within the loop's 1-second tick).
 * `BERTH_ALARM_EVALUATION_SECONDS` (or the `evaluationSeconds` option) evaluates every alarm at
 * that interval instead, for tests and demos; the periods and data are unchanged.
 *
 * At `--time-scale N` (the `timeScale` option) an alarm's Period P is evaluated over periods of
 * scaledSeconds(P, N) real seconds (config/time-scale.ts; metric-math queries' periods too), on
 * CloudWatch's cadence scaled the same way (a minute -> scaledSeconds(60, N), 10 s ->
 * scaledSeconds(10, N)); EvaluationPeriods, DatapointsToAlarm and missing-data rules are
 * unchanged and DescribeAlarms keeps the configured Period. At N = 1 nothing changes.
 */
import { scaledSeconds } from '../../config/time-scale.js';
import { pause } from '../../reconcile/index.js';
import { evaluateAlarm, evaluationRange, type Datapoint, type EvaluationConfig, type Evaluation, type ComparisonOperator, type TreatMissingData } from './alarm-evaluate.js';
import { AlarmStore, alarmPeriodSeconds, runAlarmActions, type AlarmActionHook, type AlarmRecord } from './alarm-store.js';
import { HISTORY_RETENTION_MS } from './alarms.js';
import type { CloudWatchDeps } from './deps.js';
import { getMetricDataOperations } from './get-metric-data.js';
import { parseStat } from './stats.js';

/** Options of {@link AlarmEngine}. */
export interface AlarmEngineOptions {
  /** Evaluate every alarm this often (seconds) instead of CloudWatch's cadence. Default: `BERTH_ALARM_EVALUATION_SECONDS`, else CloudWatch's. */
  evaluationSeconds?: number;
  /** Berth's --time-scale: periods and the cadence last 1/N as long (see the module comment). Default 1. */
  timeScale?: number;
  /** Run on state changes of alarms with actions enabled. Default: none (actions are recorded as not executed). */
  onAlarmAction?: AlarmActionHook;
  log?: (line: string) => void;
}

/** Reads `BERTH_ALARM_EVALUATION_SECONDS`: a positive number of seconds, or undefined. */
export function evaluationSecondsFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.BERTH_ALARM_EVALUATION_SECONDS;
  if (raw === undefined || raw === '') return undefined;
  const v = Number(raw);
  if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`BERTH_ALARM_EVALUATION_SECONDS must be a positive number of seconds; got '${raw}'.`);
  return v;
}

/** Evaluates alarms over the metric store. */
export class AlarmEngine {
  private readonly alarms: AlarmStore;
  private readonly evaluationMs?: number;
  private readonly timeScale: number;
  private readonly log: (line: string) => void;
  private readonly getMetricData: (input: unknown) => unknown;

  constructor(
    private readonly deps: CloudWatchDeps,
    private readonly options: AlarmEngineOptions = {},
  ) {
    this.alarms = new AlarmStore(deps.store);
    const seconds = options.evaluationSeconds ?? evaluationSecondsFromEnv();
    if (seconds !== undefined && !(seconds > 0)) throw new RangeError(`evaluationSeconds must be positive; got ${seconds}.`);
    this.evaluationMs = seconds === undefined ? undefined : seconds * 1000;
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale >= 1)) throw new RangeError(`timeScale must be at least 1; got ${options.timeScale}.`);
    this.log = options.log ?? ((l) => process.stderr.write(l + '\n'));
    // Scaled periods need not be ones the API allows (a Period 60 alarm at N = 9 reads 7 s periods).
    this.getMetricData = getMetricDataOperations(deps, { periodRules: false }).GetMetricData as (input: unknown) => unknown;
  }

  /** When an alarm evaluated at `now` is next due: the next boundary of its (scaled) cadence. */
  private nextDue(a: AlarmRecord, now: number): number {
    const period = this.periodOf(a);
    const cadence = this.evaluationMs ?? scaledSeconds(period < 60 ? 10 : 60, this.timeScale) * 1000;
    return Math.floor(now / cadence) * cadence + cadence;
  }

  /** The real seconds one of the alarm's periods lasts at the time scale. */
  evaluationPeriodSeconds(a: AlarmRecord): number {
    return scaledSeconds(this.periodOf(a), this.timeScale);
  }

  private periodOf(a: AlarmRecord): number {
    return alarmPeriodSeconds(a.config);
  }

  /** The evaluation range's datapoints for `a` at `now`. */
  datapoints(a: AlarmRecord, now: number): Datapoint[] {
    const c = a.config;
    const period = this.evaluationPeriodSeconds(a);
    const starts = evaluationRange(period, c.EvaluationPeriods, now);
    const start = starts[0];
    const end = starts[starts.length - 1] + period * 1000;
    const values = new Map<number, number>();
    const counts = new Map<number, number>();
    if (c.MetricName !== undefined) {
      const series = this.deps.metrics.matchingSeries(c.Namespace!, c.MetricName, (c.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value })), c.Unit);
      const stat = parseStat(c.Statistic ?? c.ExtendedStatistic!)!;
      const r = this.deps.metrics.statSeries(series, stat, period, start, end);
      r.timestamps.forEach((t, i) => values.set(t, r.values[i]));
      const n = this.deps.metrics.statSeries(series, { kind: 'simple', name: 'SampleCount' }, period, start, end);
      n.timestamps.forEach((t, i) => counts.set(t, n.values[i]));
    } else {
      const scale = (p: number) => scaledSeconds(p, this.timeScale);
      const queries = c.Metrics!.map((q) => ({ ...q, ...(q.Period !== undefined ? { Period: scale(q.Period) } : {}), ...(q.MetricStat ? { MetricStat: { ...q.MetricStat, Period: scale(q.MetricStat.Period) } } : {}) }));
      const out = this.getMetricData({ MetricDataQueries: queries, StartTime: new Date(start), EndTime: new Date(end), ScanBy: 'TimestampAscending' }) as { MetricDataResults: { Timestamps: Date[]; Values: number[] }[] };
      const r = out.MetricDataResults[0];
      r.Timestamps.forEach((t, i) => values.set(t.getTime(), r.Values[i]));
    }
    const stat = c.ExtendedStatistic ? parseStat(c.ExtendedStatistic) : undefined;
    const significant = stat?.kind === 'percentile' && stat.p < 100 ? 1 / (1 - stat.p / 100) : 0;
    return starts.map((t) => {
      const value = values.get(t);
      if (value === undefined) return { timestamp: t };
      const sampleCount = counts.get(t);
      return { timestamp: t, value, ...(sampleCount === undefined ? {} : { sampleCount, lowSample: sampleCount < significant }) };
    });
  }

  /** Evaluates one alarm at `now` (no writes). */
  evaluate(a: AlarmRecord, now: number): Evaluation {
    const c = a.config;
    const config: EvaluationConfig = {
      period: this.periodOf(a),
      evaluationPeriods: c.EvaluationPeriods,
      ...(c.DatapointsToAlarm === undefined ? {} : { datapointsToAlarm: c.DatapointsToAlarm }),
      threshold: c.Threshold!,
      comparisonOperator: c.ComparisonOperator as ComparisonOperator,
      ...(c.TreatMissingData === undefined ? {} : { treatMissingData: c.TreatMissingData as TreatMissingData }),
      ...(c.EvaluateLowSampleCountPercentile === undefined ? {} : { evaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile as 'evaluate' | 'ignore' }),
      ...(c.Statistic ?? c.ExtendedStatistic ? { statistic: c.Statistic ?? c.ExtendedStatistic } : {}),
    };
    return evaluateAlarm({ config, datapoints: this.datapoints(a, now), state: a.state, now });
  }

  /** Evaluates the alarms due at `now`; writes the pass's changes in one transaction; runs their actions. Returns how many changed state. */
  pass(now = this.deps.now()): number {
    const due = this.alarms.due(now);
    if (due.length === 0) return 0;
    // Berth's own producers queue their datums: make them visible to this pass.
    this.deps.metrics.flush();
    const results: { alarm: AlarmRecord; evaluation?: Evaluation }[] = due.map((alarm) => {
      try {
        return { alarm, evaluation: this.evaluate(alarm, now) };
      } catch (err) {
        this.log(`alarm ${alarm.name}: evaluation failed: ${(err as Error).message}`);
        return { alarm };
      }
    });
    const changed: AlarmRecord[] = [];
    this.deps.store.transaction(() => {
      for (const { alarm, evaluation } of results) {
        if (evaluation?.changed) {
          const at = Math.max(now, alarm.stateUpdated + 1);
          if (this.alarms.changeState(alarm, evaluation.state, evaluation.reason, evaluation.reasonData, at)) changed.push({ ...alarm, state: evaluation.state, stateUpdated: at });
        }
        this.alarms.setNextDue(alarm.name, this.nextDue(alarm, now));
      }
      this.alarms.expireHistory(now - HISTORY_RETENTION_MS);
    });
    for (const a of changed) {
      try {
        runAlarmActions(this.deps.store, this.alarms, this.options.onAlarmAction, a, a.state, a.stateUpdated, this.log);
      } catch (err) {
        this.log(`alarm ${a.name}: recording actions failed: ${(err as Error).message}`);
      }
    }
    return changed.length;
  }

  /** Passes every second (alarms are due on their cadence's boundaries) until `signal` aborts. */
  async start(signal: AbortSignal): Promise<void> {
    const tick = Math.min(1000, this.evaluationMs ?? 1000);
    while (!signal.aborted) {
      try {
        this.pass();
      } catch (err) {
        this.log(`alarm evaluation failed: ${(err as Error).message}`);
      }
      // Wake just after the next tick boundary, so evaluations line up with period ends.
      const now = Date.now();
      await pause(Math.floor(now / tick) * tick + tick - now + 5, signal);
    }
  }
}
