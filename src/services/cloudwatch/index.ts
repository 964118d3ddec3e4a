/**
 * Amazon CloudWatch metrics: PutMetricData, GetMetricStatistics, GetMetricData (with basic metric
 * math) and ListMetrics over the metric store (metric-store.ts), which keeps CloudWatch's
 * resolutions and retention; plus the store's internal API (`put`, `query`) for Berth's own
 * producers and for alarms and auto scaling, and its maintenance loop; metric alarms (alarms.ts)
 * and their evaluation loop (alarm-engine.ts). Composite alarms, dashboards, streams and the rest
 * of the model answer UnsupportedOperation for now.
 */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { AlarmEngine, type AlarmEngineOptions } from './alarm-engine.js';
import type { AlarmActionHook } from './alarm-store.js';
import { alarmOperations } from './alarms.js';
import type { CloudWatchDeps } from './deps.js';
import { validationError } from './errors.js';
import { getMetricDataOperations } from './get-metric-data.js';
import { getMetricStatisticsOperations } from './get-metric-statistics.js';
import { listMetricsOperations } from './list-metrics.js';
import { MetricStore, type MetricStoreOptions } from './metric-store.js';
import { MetricSweeper, type MetricSweeperOptions } from './metric-sweeper.js';
import { putMetricDataOperations } from './put-metric-data.js';
import { cloudwatchMigrations } from './schema.js';

export { MetricStore, RESOLUTIONS, type Datum, type MetricQuery, type MetricStoreOptions, type PassResult } from './metric-store.js';
export { MetricSweeper, type MetricSweeperOptions } from './metric-sweeper.js';
export type { Dimension } from './series.js';
export type { CloudWatchDeps } from './deps.js';
export { getMetricDataOperations } from './get-metric-data.js';
export { RELATIVE_ACCURACY } from './sketch.js';
export { AlarmEngine, type AlarmEngineOptions } from './alarm-engine.js';
export { AlarmStore, type ActionOutcome, type AlarmActionHook, type AlarmRecord } from './alarm-store.js';
export type { StateValue } from './alarm-evaluate.js';

/** Makes the alarm evaluation loop (a Runnable for the Manager) over the metric store. */
export function createAlarmEngine(store: Store, metrics: MetricStore, options?: AlarmEngineOptions & { now?: () => number }): AlarmEngine {
  store.migrate('cloudwatch', cloudwatchMigrations);
  return new AlarmEngine({ store, metrics, now: options?.now ?? Date.now }, options);
}

/** Migrates the metric tables and makes the metric store (shared by the service, producers and the sweeper). */
export function createMetricStore(store: Store, options?: MetricStoreOptions): MetricStore {
  store.migrate('cloudwatch', cloudwatchMigrations);
  return new MetricStore(store, options);
}

/** Makes the metric store's maintenance loop (a Runnable for the Manager). */
export function createMetricSweeper(metrics: MetricStore, options?: MetricSweeperOptions): MetricSweeper {
  return new MetricSweeper(metrics, options);
}

/** Options for {@link createCloudWatchService}. */
export interface CloudWatchServiceOptions {
  store: Store;
  /** The metric store; default one made over `store` with the same clock. */
  metrics?: MetricStore;
  /** The clock in epoch milliseconds; defaults to `Date.now`. */
  now?: () => number;
  /** Run on SetAlarmState's state changes of alarms with actions enabled (the engine takes its own). */
  onAlarmAction?: AlarmActionHook;
}

/** Migrates the metric tables and builds the CloudWatch service for api/. */
export function createCloudWatchService(opts: CloudWatchServiceOptions): ServiceDefinition {
  const now = opts.now ?? Date.now;
  const metrics = opts.metrics ?? createMetricStore(opts.store, { now });
  opts.store.migrate('cloudwatch', cloudwatchMigrations);
  const deps: CloudWatchDeps = { store: opts.store, metrics, now };
  return {
    model: loadServiceModel('cloudwatch'),
    operations: {
      ...putMetricDataOperations(deps),
      ...getMetricStatisticsOperations(deps),
      ...getMetricDataOperations(deps),
      ...listMetricsOperations(deps),
      ...alarmOperations(deps, { onAlarmAction: opts.onAlarmAction }),
    },
    validationError,
    isReadOnly: (operation) => operation.startsWith('Get') || operation.startsWith('List') || operation.startsWith('Describe'),
    unsupportedCode: 'UnsupportedOperation',
  };
}
