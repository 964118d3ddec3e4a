/**
 * The metric alarm operations: PutMetricAlarm (metric and metric-math alarms), DescribeAlarms,
 * DescribeAlarmsForMetric, DescribeAlarmHistory, DeleteAlarms, SetAlarmState,
 * Enable/DisableAlarmActions, and TagResource / UntagResource / ListTagsForResource on alarm ARNs.
 * Evaluation is alarm-engine.ts's; the state machine alarm-evaluate.ts's.
 */
import type { CallContext, Operation } from '../../api/index.js';
import { ServiceError } from '../../errors/index.js';
import { COMPARISON_OPERATORS, TREAT_MISSING_DATA, type StateValue } from './alarm-evaluate.js';
import { AlarmStore, alarmPeriodSeconds, runAlarmActions, toMetricAlarm, type AlarmActionHook, type AlarmConfig, type AlarmRecord, type HistoryItemType, type WireMetricDataQuery } from './alarm-store.js';
import type { CloudWatchDeps } from './deps.js';
import { invalidNextToken, invalidParameterCombination, invalidParameterValue, missingParameter } from './errors.js';
import { checkQueryShape } from './get-metric-data.js';
import { MathError, parseExpression } from './math.js';
import { canonicalDimensions } from './series.js';
import { parseStat } from './stats.js';

/** Alarms per account and region (CloudWatch's quota). */
export const MAX_ALARMS = 10_000;
/** An alarm's evaluation span (Period x EvaluationPeriods) is at most a day. */
export const MAX_EVALUATION_SECONDS = 86_400;
/** Queries in a metric-math alarm. */
export const MAX_ALARM_METRICS = 10;
/** History is kept 30 days, as CloudWatch. */
export const HISTORY_RETENTION_MS = 30 * 86_400_000;

const BAND_OPERATORS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'];
const STATE_VALUES: StateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

const resourceNotFound = (message: string) => new ServiceError('ResourceNotFound', message, { statusCode: 404 });
const unsupported = (message: string) => new ServiceError('UnsupportedOperation', message);

interface PutInput extends Partial<Omit<AlarmConfig, 'ActionsEnabled' | 'OKActions' | 'AlarmActions' | 'InsufficientDataActions'>> {
  AlarmName: string;
  ActionsEnabled?: boolean;
  OKActions?: string[];
  AlarmActions?: string[];
  InsufficientDataActions?: string[];
  Tags?: { Key: string; Value: string }[];
  EvaluationCriteria?: unknown;
  EvaluationInterval?: number;
}

const alarmArn = (ctx: CallContext, name: string) => `arn:aws:cloudwatch:${ctx.region}:${ctx.accountId}:alarm:${name}`;

/** Alarm periods: 10, 30 (high-resolution alarms) or a multiple of 60. */
function checkAlarmPeriod(period: number, parameter: string): void {
  if (period === 10 || period === 30 || (period >= 60 && period % 60 === 0)) return;
  throw invalidParameterValue(`The value ${period} for parameter ${parameter} is invalid: an alarm's period must be 10, 30 or a multiple of 60.`);
}

function checkActions(input: PutInput): void {
  for (const key of ['OKActions', 'AlarmActions', 'InsufficientDataActions'] as const) {
    for (const arn of input[key] ?? []) {
      if (!/^arn:[^:]+:[^:]+:[^:]*:[^:]*:.+/.test(arn)) throw invalidParameterValue(`Invalid arn syntax: ${arn}`);
    }
  }
}

function checkMetrics(metrics: WireMetricDataQuery[]): number {
  if (metrics.length === 0) throw missingParameter('The parameter Metrics must hold at least one query.');
  if (metrics.length > MAX_ALARM_METRICS) throw invalidParameterValue(`The collection Metrics must not have a size greater than ${MAX_ALARM_METRICS}.`);
  if (metrics.filter((q) => q.ReturnData !== false).length !== 1) throw invalidParameterValue('Exactly one element of the metrics list should return data.');
  const ids = new Set<string>();
  const periods: number[] = [];
  metrics.forEach((q, i) => {
    const p = `Metrics.member.${i + 1}`;
    checkQueryShape(q, p, ids);
    if (q.Period !== undefined) checkAlarmPeriod(q.Period, `${p}.Period`);
    if (q.MetricStat) {
      const m = q.MetricStat;
      if (!m.Metric.Namespace) throw missingParameter(`The parameter ${p}.MetricStat.Metric.Namespace is required.`);
      if (!m.Metric.MetricName) throw missingParameter(`The parameter ${p}.MetricStat.Metric.MetricName is required.`);
      checkAlarmPeriod(m.Period, `${p}.MetricStat.Period`);
      if (!parseStat(m.Stat)) throw invalidParameterValue(`The value ${m.Stat} for parameter ${p}.MetricStat.Stat is invalid: use SampleCount, Average, Sum, Minimum, Maximum or a percentile pNN.NN.`);
      periods.push(m.Period);
    } else {
      if (/ANOMALY_DETECTION_BAND/i.test(q.Expression!)) throw unsupported('Berth does not support anomaly detection alarms yet (ANOMALY_DETECTION_BAND).');
      try {
        parseExpression(q.Expression!);
      } catch (err) {
        if (err instanceof MathError) throw invalidParameterValue(`The value ${q.Expression} for parameter ${p}.Expression is invalid: ${err.message}.`);
        throw err;
      }
      if (q.Period !== undefined) periods.push(q.Period);
    }
  });
  if (periods.length === 0) throw missingParameter('The metric-math alarm needs a period: give a MetricStat query or an expression Period.');
  return alarmPeriodSeconds({ Metrics: metrics });
}

/** Validates PutMetricAlarm's input; answers the configuration to store. */
export function checkPutMetricAlarm(input: PutInput): AlarmConfig {
  if (input.ComparisonOperator === undefined) throw missingParameter('The parameter ComparisonOperator is required.');
  if (BAND_OPERATORS.includes(input.ComparisonOperator) || input.ThresholdMetricId !== undefined) {
    throw unsupported(`Berth does not support anomaly detection alarms yet: ComparisonOperator ${input.ComparisonOperator}${input.ThresholdMetricId ? ` with ThresholdMetricId ${input.ThresholdMetricId}` : ''} needs an anomaly detection band.`);
  }
  if (!COMPARISON_OPERATORS.includes(input.ComparisonOperator as never)) throw invalidParameterValue(`The value ${input.ComparisonOperator} for parameter ComparisonOperator is invalid.`);
  if (input.EvaluationCriteria !== undefined || input.EvaluationInterval !== undefined) throw unsupported('Berth does not support PromQL alarms (EvaluationCriteria, EvaluationInterval).');
  if (input.EvaluationPeriods === undefined) throw missingParameter('The parameter EvaluationPeriods is required.');
  if (!(Number.isInteger(input.EvaluationPeriods) && input.EvaluationPeriods >= 1)) throw invalidParameterValue(`The value ${input.EvaluationPeriods} for parameter EvaluationPeriods is invalid: it must be an integer of at least 1.`);
  if (input.DatapointsToAlarm !== undefined && !(Number.isInteger(input.DatapointsToAlarm) && input.DatapointsToAlarm >= 1 && input.DatapointsToAlarm <= input.EvaluationPeriods)) {
    throw invalidParameterValue(`DatapointsToAlarm must be between 1 and EvaluationPeriods (${input.EvaluationPeriods}); got ${input.DatapointsToAlarm}.`);
  }
  if (input.Threshold === undefined) throw missingParameter('The parameter Threshold is required.');
  if (input.TreatMissingData !== undefined && !TREAT_MISSING_DATA.includes(input.TreatMissingData as never)) {
    throw invalidParameterValue(`The value ${input.TreatMissingData} for parameter TreatMissingData is invalid: use breaching, notBreaching, ignore or missing.`);
  }
  if (input.EvaluateLowSampleCountPercentile !== undefined && !['evaluate', 'ignore'].includes(input.EvaluateLowSampleCountPercentile)) {
    throw invalidParameterValue(`The value ${input.EvaluateLowSampleCountPercentile} for parameter EvaluateLowSampleCountPercentile is invalid: use evaluate or ignore.`);
  }
  checkActions(input);

  const metricMembers = (['MetricName', 'Namespace', 'Statistic', 'ExtendedStatistic', 'Dimensions', 'Period', 'Unit'] as const).filter((k) => input[k] !== undefined);
  let period: number;
  if (input.Metrics !== undefined) {
    if (metricMembers.length) throw invalidParameterCombination(`The parameters Metrics and ${metricMembers[0]} are mutually exclusive and you have specified both.`);
    period = checkMetrics(input.Metrics);
  } else {
    if (input.MetricName === undefined) throw missingParameter('The parameter MetricName is required (or Metrics for a metric-math alarm).');
    if (input.Namespace === undefined) throw missingParameter('The parameter Namespace is required.');
    if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) throw invalidParameterCombination('The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.');
    if (input.Statistic === undefined && input.ExtendedStatistic === undefined) throw missingParameter('The parameter Statistic or ExtendedStatistic is required.');
    if (input.ExtendedStatistic !== undefined) {
      const s = parseStat(input.ExtendedStatistic);
      if (!s || s.kind !== 'percentile') throw invalidParameterValue(`The value ${input.ExtendedStatistic} for parameter ExtendedStatistic is invalid: use a percentile p0.0 to p100.`);
    }
    if (input.Period === undefined) throw missingParameter('The parameter Period is required.');
    checkAlarmPeriod(input.Period, 'Period');
    period = input.Period;
  }
  if (period * input.EvaluationPeriods > MAX_EVALUATION_SECONDS) {
    throw invalidParameterValue(`The product of Period (${period}) and EvaluationPeriods (${input.EvaluationPeriods}) must not exceed ${MAX_EVALUATION_SECONDS} seconds (one day).`);
  }
  const config: AlarmConfig = {
    ...(input.AlarmDescription === undefined ? {} : { AlarmDescription: input.AlarmDescription }),
    ActionsEnabled: input.ActionsEnabled ?? true,
    OKActions: input.OKActions ?? [],
    AlarmActions: input.AlarmActions ?? [],
    InsufficientDataActions: input.InsufficientDataActions ?? [],
    EvaluationPeriods: input.EvaluationPeriods,
    ...(input.DatapointsToAlarm === undefined ? {} : { DatapointsToAlarm: input.DatapointsToAlarm }),
    Threshold: input.Threshold,
    ComparisonOperator: input.ComparisonOperator,
    ...(input.TreatMissingData === undefined ? {} : { TreatMissingData: input.TreatMissingData }),
    ...(input.EvaluateLowSampleCountPercentile === undefined ? {} : { EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile }),
  };
  if (input.Metrics !== undefined) return { ...config, Metrics: input.Metrics };
  return {
    ...config,
    MetricName: input.MetricName,
    Namespace: input.Namespace,
    ...(input.Statistic === undefined ? {} : { Statistic: input.Statistic }),
    ...(input.ExtendedStatistic === undefined ? {} : { ExtendedStatistic: input.ExtendedStatistic }),
    Dimensions: input.Dimensions ?? [],
    Period: input.Period,
    ...(input.Unit === undefined ? {} : { Unit: input.Unit }),
  };
}

/** The metric-identity key DescribeAlarmsForMetric matches on. */
export const dimensionsKey = (c: AlarmConfig) => (c.MetricName === undefined ? null : canonicalDimensions((c.Dimensions ?? []).map((d) => ({ name: d.Name, value: d.Value }))));

function checkTags(tags: { Key: string; Value: string }[]): void {
  if (tags.length > 50) throw invalidParameterValue('An alarm can have at most 50 tags.');
  const keys = new Set(tags.map((t) => t.Key));
  if (keys.size !== tags.length) throw invalidParameterValue('The Tags hold the same key more than once.');
  for (const t of tags) if (t.Key.startsWith('aws:')) throw invalidParameterValue(`The tag key ${t.Key} is invalid: keys starting aws: are reserved.`);
}

const encodeToken = (v: string | number) => Buffer.from(JSON.stringify({ k: v })).toString('base64url');
function decodeToken<T extends string | number>(token: string, kind: 'string' | 'number'): T {
  try {
    const k = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { k?: unknown }).k;
    if (typeof k === kind) return k as T;
  } catch {
    // fall through
  }
  throw invalidNextToken();
}

function maxRecords(value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!(Number.isInteger(value) && value >= 1 && value <= 100)) throw invalidParameterValue(`The value ${value} for parameter MaxRecords is invalid: it must be from 1 to 100.`);
  return value;
}

/** Options of {@link alarmOperations}. */
export interface AlarmOperationOptions {
  /** Run on SetAlarmState's state changes when actions are enabled (see alarm-store.ts). */
  onAlarmAction?: AlarmActionHook;
  log?: (line: string) => void;
}

/** The alarm operations. */
export function alarmOperations(deps: CloudWatchDeps, opts: AlarmOperationOptions = {}): Record<string, Operation> {
  const alarms = new AlarmStore(deps.store);
  const log = opts.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const found = (name: string) => {
    const a = alarms.get(name);
    if (!a) throw resourceNotFound(`Could not find alarm ${name}.`);
    return a;
  };
  const alarmNameOf = (arn: string, ctx: CallContext) => {
    const prefix = alarmArn(ctx, '');
    const name = arn.startsWith(prefix) ? arn.slice(prefix.length) : undefined;
    const a = name === undefined ? undefined : alarms.get(name);
    if (!a) throw new ServiceError('ResourceNotFoundException', `The resource ${arn} was not found.`, { statusCode: 404, members: { ResourceType: 'Alarm', ResourceId: arn } });
    return a;
  };
  const setActionsEnabled = (names: string[], enabled: boolean) => {
    const now = deps.now();
    for (const name of names) {
      const a = alarms.get(name);
      if (!a || a.config.ActionsEnabled === enabled) continue; // unknown names are ignored, as CloudWatch
      const updated: AlarmRecord = { ...a, config: { ...a.config, ActionsEnabled: enabled }, configUpdated: now };
      alarms.save(updated, dimensionsKey(updated.config));
      alarms.configurationUpdate('Update', updated, a, now);
    }
    return {};
  };

  return {
    PutMetricAlarm(input: PutInput, ctx: CallContext) {
      const config = checkPutMetricAlarm(input);
      const now = deps.now();
      const old = alarms.get(input.AlarmName);
      if (!old && alarms.count() >= MAX_ALARMS) throw new ServiceError('LimitExceeded', `The maximum number of alarms (${MAX_ALARMS}) has been reached.`);
      if (!old && input.Tags) checkTags(input.Tags);
      // An update keeps the state and tags and replaces the whole configuration, as CloudWatch.
      const alarm: AlarmRecord = old
        ? { ...old, config, configUpdated: Math.max(now, old.configUpdated + 1), nextDue: 0 }
        : { name: input.AlarmName, arn: alarmArn(ctx, input.AlarmName), config, state: 'INSUFFICIENT_DATA', stateReason: 'Unchecked: Initial alarm creation', stateUpdated: now, stateTransitioned: now, configUpdated: now, tags: input.Tags ?? [], nextDue: 0 };
      alarms.save(alarm, dimensionsKey(config));
      alarms.configurationUpdate(old ? 'Update' : 'Create', alarm, old, now);
      return {};
    },

    DescribeAlarms(input: { AlarmNames?: string[]; AlarmNamePrefix?: string; AlarmTypes?: string[]; ChildrenOfAlarmName?: string; ParentsOfAlarmName?: string; StateValue?: StateValue; ActionPrefix?: string; MaxRecords?: number; NextToken?: string }) {
      if (input.AlarmNames?.length && input.AlarmNamePrefix !== undefined) throw invalidParameterCombination('The parameters AlarmNames and AlarmNamePrefix are mutually exclusive and you have specified both.');
      if ((input.AlarmNames?.length ?? 0) > 100) throw invalidParameterValue('The collection AlarmNames must not have a size greater than 100.');
      const limit = maxRecords(input.MaxRecords, 50);
      const types = input.AlarmTypes?.length ? input.AlarmTypes : ['MetricAlarm'];
      // Berth has no composite alarms: their filters match nothing.
      if (!types.includes('MetricAlarm') || input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined) return { MetricAlarms: [], CompositeAlarms: [] };
      let after = input.NextToken === undefined ? '' : decodeToken<string>(input.NextToken, 'string');
      const names = input.AlarmNames?.length ? new Set(input.AlarmNames) : undefined;
      const matches = (a: AlarmRecord) =>
        (!names || names.has(a.name)) &&
        (input.AlarmNamePrefix === undefined || a.name.startsWith(input.AlarmNamePrefix)) &&
        (input.StateValue === undefined || a.state === input.StateValue) &&
        (input.ActionPrefix === undefined || [...a.config.AlarmActions, ...a.config.OKActions, ...a.config.InsufficientDataActions].some((x) => x.startsWith(input.ActionPrefix!)));
      const page: AlarmRecord[] = [];
      let more = false;
      for (;;) {
        const chunk = alarms.list(after, 500);
        for (const a of chunk) {
          after = a.name;
          if (!matches(a)) continue;
          if (page.length === limit) {
            more = true;
            break;
          }
          page.push(a);
        }
        if (more || chunk.length < 500) break;
      }
      return { MetricAlarms: page.map(toMetricAlarm), CompositeAlarms: [], ...(more ? { NextToken: encodeToken(page[page.length - 1].name) } : {}) };
    },

    DescribeAlarmsForMetric(input: { MetricName: string; Namespace: string; Statistic?: string; ExtendedStatistic?: string; Dimensions?: { Name: string; Value: string }[]; Period?: number; Unit?: string }) {
      const dims = input.Dimensions === undefined ? undefined : canonicalDimensions(input.Dimensions.map((d) => ({ name: d.Name, value: d.Value })));
      const list = alarms
        .forMetric(input.Namespace, input.MetricName)
        .filter(
          (a) =>
            (dims === undefined || dimensionsKey(a.config) === dims) &&
            (input.Statistic === undefined || a.config.Statistic === input.Statistic) &&
            (input.ExtendedStatistic === undefined || a.config.ExtendedStatistic === input.ExtendedStatistic) &&
            (input.Period === undefined || a.config.Period === input.Period) &&
            (input.Unit === undefined || a.config.Unit === input.Unit),
        );
      return { MetricAlarms: list.map(toMetricAlarm) };
    },

    DescribeAlarmHistory(input: { AlarmName?: string; AlarmTypes?: string[]; HistoryItemType?: string; StartDate?: Date; EndDate?: Date; MaxRecords?: number; NextToken?: string; ScanBy?: string; AlarmContributorId?: string }) {
      const types: string[] = ['ConfigurationUpdate', 'StateUpdate', 'Action', 'AlarmContributorStateUpdate', 'AlarmContributorAction'];
      if (input.HistoryItemType !== undefined && !types.includes(input.HistoryItemType)) throw invalidParameterValue(`The value ${input.HistoryItemType} for parameter HistoryItemType is invalid.`);
      if (input.ScanBy !== undefined && !['TimestampDescending', 'TimestampAscending'].includes(input.ScanBy)) throw invalidParameterValue(`The value ${input.ScanBy} for parameter ScanBy is invalid.`);
      const start = input.StartDate?.getTime() ?? 0;
      const end = input.EndDate?.getTime() ?? Number.MAX_SAFE_INTEGER;
      if (start > end) throw invalidParameterValue('The parameter StartDate must be less than the parameter EndDate.');
      const limit = maxRecords(input.MaxRecords, 100);
      const alarmTypes = input.AlarmTypes?.length ? input.AlarmTypes : ['MetricAlarm'];
      if (!alarmTypes.includes('MetricAlarm') || input.HistoryItemType?.startsWith('AlarmContributor') || input.AlarmContributorId !== undefined) return { AlarmHistoryItems: [] };
      const afterId = input.NextToken === undefined ? undefined : decodeToken<number>(input.NextToken, 'number');
      const rows = alarms.history({ alarmName: input.AlarmName, itemType: input.HistoryItemType as HistoryItemType | undefined, start, end, descending: input.ScanBy !== 'TimestampAscending', afterId, limit: limit + 1 });
      const page = rows.slice(0, limit);
      return {
        AlarmHistoryItems: page.map((h) => ({ AlarmName: h.alarmName, AlarmType: 'MetricAlarm', Timestamp: new Date(h.ts), HistoryItemType: h.itemType, HistorySummary: h.summary, HistoryData: h.data })),
        ...(rows.length > limit ? { NextToken: encodeToken(page[page.length - 1].id) } : {}),
      };
    },

    DeleteAlarms(input: { AlarmNames: string[] }) {
      if (input.AlarmNames.length > 100) throw invalidParameterValue('The collection AlarmNames must not have a size greater than 100.');
      const now = deps.now();
      const records = input.AlarmNames.map((n) => alarms.get(n));
      const missing = input.AlarmNames.filter((_, i) => !records[i]);
      // Nothing is deleted when any name is wrong, as CloudWatch.
      if (missing.length) throw resourceNotFound(`${missing.length} of the alarms specified ${missing.length === 1 ? 'was' : 'were'} not found: ${missing.join(', ')}.`);
      for (const a of records) {
        alarms.delete(a!.name);
        alarms.configurationUpdate('Delete', a!, undefined, now);
      }
      return {};
    },

    SetAlarmState(input: { AlarmName: string; StateValue: StateValue; StateReason: string; StateReasonData?: string }) {
      if (!STATE_VALUES.includes(input.StateValue)) throw invalidParameterValue(`The value ${input.StateValue} for parameter StateValue is invalid.`);
      if (input.StateReasonData !== undefined) {
        try {
          JSON.parse(input.StateReasonData);
        } catch {
          throw new ServiceError('InvalidFormat', 'StateReasonData is not valid JSON.');
        }
      }
      const a = found(input.AlarmName);
      const now = Math.max(deps.now(), a.stateUpdated + 1);
      // The state holds until the next evaluation, which may set it back (as CloudWatch).
      alarms.changeState(a, input.StateValue, input.StateReason, input.StateReasonData, now);
      if (a.state !== input.StateValue) {
        const hook = opts.onAlarmAction;
        // After the call's transaction commits: actions may call other parts of Berth.
        setImmediate(() => {
          try {
            runAlarmActions(deps.store, alarms, hook, { ...a, state: input.StateValue }, input.StateValue, now, log);
          } catch (err) {
            log(`alarm ${a.name}: recording actions failed: ${(err as Error).message}`);
          }
        });
      }
      return {};
    },

    EnableAlarmActions: (input: { AlarmNames: string[] }) => setActionsEnabled(input.AlarmNames, true),
    DisableAlarmActions: (input: { AlarmNames: string[] }) => setActionsEnabled(input.AlarmNames, false),

    TagResource(input: { ResourceARN: string; Tags: { Key: string; Value: string }[] }, ctx: CallContext) {
      const a = alarmNameOf(input.ResourceARN, ctx);
      const merged = new Map(a.tags.map((t) => [t.Key, t.Value]));
      for (const t of input.Tags) merged.set(t.Key, t.Value);
      const tags = [...merged].map(([Key, Value]) => ({ Key, Value }));
      checkTags(tags);
      alarms.setTags(a.name, tags);
      return {};
    },
    UntagResource(input: { ResourceARN: string; TagKeys: string[] }, ctx: CallContext) {
      const a = alarmNameOf(input.ResourceARN, ctx);
      alarms.setTags(a.name, a.tags.filter((t) => !input.TagKeys.includes(t.Key)));
      return {};
    },
    ListTagsForResource(input: { ResourceARN: string }, ctx: CallContext) {
      return { Tags: alarmNameOf(input.ResourceARN, ctx).tags };
    },
  };
}
