/**
 * Amazon CloudWatch Logs: log groups, log streams, log events (put, get, filter), retention and
 * tags through the API; plus Berth's internal log writer and the retention sweeper.
 */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import type { LogsDeps, LogsScope } from './deps.js';
import { invalidParameter } from './errors.js';
import { eventOperations } from './events.js';
import { groupOperations } from './groups.js';
import { RetentionSweeper, type RetentionSweeperOptions } from './retention.js';
import { logsMigrations } from './schema.js';
import { streamOperations } from './streams.js';
import { tagOperations } from './tags.js';

export type { LogsScope } from './deps.js';
export { RetentionSweeper, type RetentionSweeperOptions } from './retention.js';
export {
  createLogWriter,
  LogWriter,
  compileLogWriterOptions,
  MAX_EVENT_MESSAGE_BYTES,
  type AppendResult,
  type LogTarget,
  type LogWriterOptions,
  type LogWriterStats,
} from './writer.js';

/** Options for {@link createLogsService}. */
export interface LogsServiceOptions {
  store: Store;
  scope: LogsScope;
  /** The clock in epoch milliseconds; defaults to `Date.now`. */
  now?: () => number;
}

/** Migrates the logs tables and builds the CloudWatch Logs service for api/. */
export function createLogsService(opts: LogsServiceOptions): ServiceDefinition {
  opts.store.migrate('logs', logsMigrations);
  const deps: LogsDeps = { store: opts.store, tags: new TagStore(opts.store), scope: opts.scope, now: opts.now ?? Date.now };
  return {
    model: loadServiceModel('logs'),
    operations: {
      ...groupOperations(deps),
      ...streamOperations(deps),
      ...eventOperations(deps),
      ...tagOperations(deps),
    },
    validationError: invalidParameter,
    isReadOnly: (operation) => operation.startsWith('Describe') || operation.startsWith('List') || operation.startsWith('Get') || operation === 'FilterLogEvents',
  };
}

/** Makes the retention sweeper (a Runnable for the Manager): it deletes expired events at start and periodically. */
export function createRetentionSweeper(store: Store, options?: RetentionSweeperOptions): RetentionSweeper {
  store.migrate('logs', logsMigrations);
  return new RetentionSweeper(store, options);
}
