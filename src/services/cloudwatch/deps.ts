/** What every CloudWatch operation module is built from. */
import type { Store } from '../../state/index.js';
import type { MetricStore } from './metric-store.js';

/** Shared dependencies of the CloudWatch operations. */
export interface CloudWatchDeps {
  store: Store;
  metrics: MetricStore;
  /** The clock in epoch milliseconds (tests pin it). */
  now(): number;
}
