/**
 * Metric alarms in SQLite (`cw_alarms`, `cw_alarm_history`, schema.ts version 2): reading and
 * writing alarm rows, the MetricAlarm wire shape, history items with HistoryData as CloudWatch
 * writes it, and the alarm-action hook that state changes run (alarm-actions are described in
 * README.md). Shared by the operations (alarms.ts) and the evaluation loop (alarm-engine.ts).
 */
import type { Store } from '../../state/index.js';
import type { StateValue } from './alarm-evaluate.js';

/** A MetricDataQuery as PutMetricAlarm takes it. */
export interface WireMetricDataQuery {
  Id: string;
  MetricStat?: { Metric: { Namespace?: string; MetricName?: string; Dimensions?: { Name: string; Value: string }[] }; Period: number; Stat: string; Unit?: string };
  Expression?: string;
  Label?: string;
  ReturnData?: boolean;
  Period?: number;
  AccountId?: string;
}

/** An alarm's configuration, wire-shaped (the members PutMetricAlarm takes and MetricAlarm returns). */
/** What {@link alarmPeriodSeconds} reads of an alarm (PutMetricAlarm's members). */
export interface AlarmPeriodFields {
  Period?: number;
  Metrics?: { Period?: number; ReturnData?: boolean; MetricStat?: { Period: number } }[];
}

/**
 * The period an alarm is evaluated at, in seconds: its Period; for a metric-math alarm the
 * returned query's, else the shortest of its queries' (PutMetricAlarm makes sure there is one).
 */
export function alarmPeriodSeconds(alarm: AlarmPeriodFields): number {
  if (alarm.Period !== undefined) return alarm.Period;
  const queries = alarm.Metrics ?? [];
  const returned = queries.find((q) => q.ReturnData !== false);
  const periods = queries.flatMap((q) => (q.MetricStat ? [q.MetricStat.Period] : q.Period !== undefined ? [q.Period] : []));
  return returned?.MetricStat?.Period ?? returned?.Period ?? (periods.length ? Math.min(...periods) : 60);
}

export interface AlarmConfig {
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: { Name: string; Value: string }[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: WireMetricDataQuery[];
  ThresholdMetricId?: string;
}

/** One alarm row. Times are epoch ms. */
export interface AlarmRecord {
  name: string;
  arn: string;
  config: AlarmConfig;
  state: StateValue;
  stateReason: string;
  stateReasonData?: string;
  stateUpdated: number;
  stateTransitioned: number;
  configUpdated: number;
  tags: { Key: string; Value: string }[];
  nextDue: number;
}

interface Row {
  name: string;
  arn: string;
  config: string;
  state: StateValue;
  state_reason: string;
  state_reason_data: string | null;
  state_updated: number;
  state_transitioned: number;
  config_updated: number;
  tags: string;
  next_due: number;
}

const fromRow = (r: Row): AlarmRecord => ({
  name: r.name,
  arn: r.arn,
  config: JSON.parse(r.config) as AlarmConfig,
  state: r.state,
  stateReason: r.state_reason,
  ...(r.state_reason_data === null ? {} : { stateReasonData: r.state_reason_data }),
  stateUpdated: r.state_updated,
  stateTransitioned: r.state_transitioned,
  configUpdated: r.config_updated,
  tags: JSON.parse(r.tags) as { Key: string; Value: string }[],
  nextDue: r.next_due,
});

export type HistoryItemType = 'ConfigurationUpdate' | 'StateUpdate' | 'Action';

/** A history row. */
export interface HistoryRecord {
  id: number;
  alarmName: string;
  ts: number;
  itemType: HistoryItemType;
  summary: string;
  data: string;
}

/**
 * What a state change's actions did, one per action ARN. The hook answers these once it runs
 * actions for real; until then none come back and each action is recorded as not executed.
 */
export interface ActionOutcome {
  arn: string;
  ok: boolean;
  /** The error when not ok. */
  message?: string;
}

/**
 * Called on every state change of an alarm whose actions are enabled, with the ARNs configured
 * for the new state (AlarmActions, OKActions or InsufficientDataActions), after the change has
 * committed. Application Auto Scaling policies (`arn:aws:autoscaling:...:scalingPolicy:...`)
 * will be invoked from here; Berth's default does nothing, and the history then records each
 * action as not executed.
 */
export type AlarmActionHook = (alarm: AlarmRecord, state: StateValue, actionArns: readonly string[]) => ActionOutcome[] | void;

/** The MetricAlarm wire shape of a record. */
export function toMetricAlarm(a: AlarmRecord) {
  const c = a.config;
  return {
    AlarmName: a.name,
    AlarmArn: a.arn,
    ...(c.AlarmDescription === undefined ? {} : { AlarmDescription: c.AlarmDescription }),
    AlarmConfigurationUpdatedTimestamp: new Date(a.configUpdated),
    ActionsEnabled: c.ActionsEnabled,
    OKActions: c.OKActions,
    AlarmActions: c.AlarmActions,
    InsufficientDataActions: c.InsufficientDataActions,
    StateValue: a.state,
    StateReason: a.stateReason,
    ...(a.stateReasonData === undefined ? {} : { StateReasonData: a.stateReasonData }),
    StateUpdatedTimestamp: new Date(a.stateUpdated),
    ...(c.MetricName === undefined ? {} : { MetricName: c.MetricName, Namespace: c.Namespace, Dimensions: c.Dimensions ?? [] }),
    ...(c.Statistic === undefined ? {} : { Statistic: c.Statistic }),
    ...(c.ExtendedStatistic === undefined ? {} : { ExtendedStatistic: c.ExtendedStatistic }),
    ...(c.Period === undefined ? {} : { Period: c.Period }),
    ...(c.Unit === undefined ? {} : { Unit: c.Unit }),
    EvaluationPeriods: c.EvaluationPeriods,
    ...(c.DatapointsToAlarm === undefined ? {} : { DatapointsToAlarm: c.DatapointsToAlarm }),
    ...(c.Threshold === undefined ? {} : { Threshold: c.Threshold }),
    ComparisonOperator: c.ComparisonOperator,
    ...(c.TreatMissingData === undefined ? {} : { TreatMissingData: c.TreatMissingData }),
    ...(c.EvaluateLowSampleCountPercentile === undefined ? {} : { EvaluateLowSampleCountPercentile: c.EvaluateLowSampleCountPercentile }),
    ...(c.Metrics === undefined ? {} : { Metrics: c.Metrics }),
    ...(c.ThresholdMetricId === undefined ? {} : { ThresholdMetricId: c.ThresholdMetricId }),
    StateTransitionedTimestamp: new Date(a.stateTransitioned),
  };
}

const lowerFirst = (k: string) => (k === 'OKActions' ? 'okactions' : k[0].toLowerCase() + k.slice(1));
/** The alarm as HistoryData's ConfigurationUpdate items show it: camelCase keys, ISO times. */
function historyAlarm(a: AlarmRecord): Record<string, unknown> {
  const camel = (v: unknown): unknown => {
    if (v instanceof Date) return v.toISOString().replace('Z', '+0000');
    if (Array.isArray(v)) return v.map(camel);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [lowerFirst(k), camel(x)]));
    return v;
  };
  return camel(toMetricAlarm(a)) as Record<string, unknown>;
}

/** Table access for alarms and their history. */
export class AlarmStore {
  constructor(private readonly store: Store) {}

  get(name: string): AlarmRecord | undefined {
    const r = this.store.prepare('SELECT * FROM cw_alarms WHERE name = ?').get(name) as Row | undefined;
    return r && fromRow(r);
  }

  count(): number {
    return this.store.prepare('SELECT count(*) FROM cw_alarms').pluck().get() as number;
  }

  /** Alarms in name order after `after`, at most `limit` (all when absent). */
  list(after = '', limit = -1): AlarmRecord[] {
    return (this.store.prepare('SELECT * FROM cw_alarms WHERE name > ? ORDER BY name LIMIT ?').all(after, limit) as Row[]).map(fromRow);
  }

  /** Alarms on one metric (namespace and name; callers filter the rest). */
  forMetric(namespace: string, metricName: string): AlarmRecord[] {
    return (this.store.prepare('SELECT * FROM cw_alarms WHERE namespace = ? AND metric_name = ? ORDER BY name').all(namespace, metricName) as Row[]).map(fromRow);
  }

  /** Alarms whose evaluation is due at `now`. */
  due(now: number): AlarmRecord[] {
    return (this.store.prepare('SELECT * FROM cw_alarms WHERE next_due <= ? ORDER BY name').all(now) as Row[]).map(fromRow);
  }

  /** Inserts or replaces the whole row. */
  save(a: AlarmRecord, dimensionsKey: string | null): void {
    this.store
      .prepare(
        `INSERT INTO cw_alarms (name, arn, config, namespace, metric_name, dimensions, state, state_reason, state_reason_data, state_updated, state_transitioned, config_updated, tags, next_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET arn = excluded.arn, config = excluded.config, namespace = excluded.namespace, metric_name = excluded.metric_name,
           dimensions = excluded.dimensions, state = excluded.state, state_reason = excluded.state_reason, state_reason_data = excluded.state_reason_data,
           state_updated = excluded.state_updated, state_transitioned = excluded.state_transitioned, config_updated = excluded.config_updated,
           tags = excluded.tags, next_due = excluded.next_due`,
      )
      .run(a.name, a.arn, JSON.stringify(a.config), a.config.Namespace ?? null, a.config.MetricName ?? null, dimensionsKey, a.state, a.stateReason, a.stateReasonData ?? null, a.stateUpdated, a.stateTransitioned, a.configUpdated, JSON.stringify(a.tags), a.nextDue);
  }

  delete(name: string): void {
    this.store.prepare('DELETE FROM cw_alarms WHERE name = ?').run(name);
  }

  setTags(name: string, tags: { Key: string; Value: string }[]): void {
    this.store.prepare('UPDATE cw_alarms SET tags = ? WHERE name = ?').run(JSON.stringify(tags), name);
  }

  /**
   * Changes the state of `a` as read (unless its configuration or state changed since: then
   * nothing happens and false comes back) and records the StateUpdate history item.
   */
  changeState(a: AlarmRecord, state: StateValue, reason: string, reasonData: string | undefined, now: number): boolean {
    const changed = this.store
      .prepare(
        `UPDATE cw_alarms SET state = ?, state_reason = ?, state_reason_data = ?, state_updated = ?, state_transitioned = CASE WHEN state = ? THEN state_transitioned ELSE ? END
         WHERE name = ? AND config_updated = ? AND state_updated = ?`,
      )
      .run(state, reason, reasonData ?? null, now, state, now, a.name, a.configUpdated, a.stateUpdated).changes;
    if (changed === 0) return false;
    // StateReasonData goes in as written (valid JSON: the engine's, or checked by SetAlarmState), so
    // its doubles keep CloudWatch's form (80.0) that a parse and re-stringify would lose.
    let reasonJson: string | undefined;
    try {
      reasonJson = reasonData?.trim();
      if (reasonJson !== undefined) JSON.parse(reasonJson);
    } catch {
      reasonJson = undefined;
    }
    const newState = `{"stateValue":${JSON.stringify(state)},"stateReason":${JSON.stringify(reason)}${reasonJson === undefined ? '' : `,"stateReasonData":${reasonJson}`}}`;
    const data = `{"version":"1.0","oldState":${JSON.stringify({ stateValue: a.state, stateReason: a.stateReason })},"newState":${newState}}`;
    this.store.prepare('INSERT INTO cw_alarm_history (alarm_name, ts, item_type, summary, data) VALUES (?, ?, ?, ?, ?)').run(a.name, now, 'StateUpdate', `Alarm updated from ${a.state} to ${state}`, data);
    return true;
  }

  /** Sets when the loop next evaluates the alarm. */
  setNextDue(name: string, nextDue: number): void {
    this.store.prepare('UPDATE cw_alarms SET next_due = ? WHERE name = ?').run(nextDue, name);
  }

  /** Records a ConfigurationUpdate item: `Create`, `Update` (with the original) or `Delete`. */
  configurationUpdate(type: 'Create' | 'Update' | 'Delete', alarm: AlarmRecord, original: AlarmRecord | undefined, now: number): void {
    const verb = type === 'Create' ? 'created' : type === 'Update' ? 'updated' : 'deleted';
    const data =
      type === 'Create' ? { type, createdAlarm: historyAlarm(alarm) } : type === 'Update' ? { type, updatedAlarm: historyAlarm(alarm), originalAlarm: historyAlarm(original!) } : { type, deletedAlarm: historyAlarm(alarm) };
    this.addHistory(alarm.name, now, 'ConfigurationUpdate', `Alarm "${alarm.name}" ${verb}`, data);
  }

  addHistory(alarmName: string, ts: number, itemType: HistoryItemType, summary: string, data: unknown): void {
    this.store.prepare('INSERT INTO cw_alarm_history (alarm_name, ts, item_type, summary, data) VALUES (?, ?, ?, ?, ?)').run(alarmName, ts, itemType, summary, JSON.stringify(data));
  }

  /** History items matching the filter, in time order (then insertion order), after the item `afterId`. */
  history(filter: { alarmName?: string; itemType?: HistoryItemType; start: number; end: number; descending: boolean; afterId?: number; limit: number }): HistoryRecord[] {
    const order = filter.descending ? 'DESC' : 'ASC';
    const cursor = filter.afterId === undefined ? '' : filter.descending ? 'AND id < ?' : 'AND id > ?';
    const args: unknown[] = [filter.alarmName ?? null, filter.alarmName ?? null, filter.itemType ?? null, filter.itemType ?? null, filter.start, filter.end];
    if (filter.afterId !== undefined) args.push(filter.afterId);
    // Ids grow with time (one clock, one writer), so id order is time order.
    return this.store
      .prepare(
        `SELECT id, alarm_name AS alarmName, ts, item_type AS itemType, summary, data FROM cw_alarm_history
         WHERE (? IS NULL OR alarm_name = ?) AND (? IS NULL OR item_type = ?) AND ts >= ? AND ts <= ? ${cursor}
         ORDER BY id ${order} LIMIT ?`,
      )
      .all(...args, filter.limit) as HistoryRecord[];
  }

  /** Deletes history older than `before` (CloudWatch keeps 30 days). */
  expireHistory(before: number): number {
    return this.store.prepare('DELETE FROM cw_alarm_history WHERE ts < ?').run(before).changes;
  }
}

/** The action ARNs an alarm runs on entering `state`. */
export function actionsFor(config: AlarmConfig, state: StateValue): string[] {
  return state === 'ALARM' ? config.AlarmActions : state === 'OK' ? config.OKActions : config.InsufficientDataActions;
}

/**
 * Runs the actions of a committed state change (when ActionsEnabled and any are configured) and
 * records one Action history item per action, in its own transaction.
 */
export function runAlarmActions(store: Store, alarms: AlarmStore, hook: AlarmActionHook | undefined, alarm: AlarmRecord, state: StateValue, now: number, log: (line: string) => void): void {
  if (!alarm.config.ActionsEnabled) return;
  const arns = actionsFor(alarm.config, state);
  if (arns.length === 0) return;
  let outcomes: ActionOutcome[] | void;
  try {
    outcomes = hook?.(alarm, state, arns);
  } catch (err) {
    log(`alarm ${alarm.name}: actions failed: ${(err as Error).message}`);
    outcomes = arns.map((arn) => ({ arn, ok: false, message: (err as Error).message }));
  }
  const byArn = new Map((outcomes ?? []).map((o) => [o.arn, o]));
  store.transaction(() => {
    for (const arn of arns) {
      const o = byArn.get(arn) ?? { arn, ok: false, message: 'Berth does not execute alarm actions of this type yet' };
      alarms.addHistory(
        alarm.name,
        now,
        'Action',
        o.ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}. Received error: "${o.message ?? 'unknown error'}"`,
        { actionState: o.ok ? 'Succeeded' : 'Failed', stateUpdateTimestamp: now, notificationResource: arn, ...(o.ok ? {} : { error: o.message ?? 'unknown error' }) },
      );
    }
  });
}
