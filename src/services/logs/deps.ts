/** What every logs operation module is built from. */
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';

/** Where ARNs are minted: the account and region Berth serves. */
export interface LogsScope {
  accountId: string;
  region: string;
}

/** Shared dependencies of the logs operations. */
export interface LogsDeps {
  store: Store;
  tags: TagStore;
  scope: LogsScope;
  /** The clock in epoch milliseconds (tests may pin it). */
  now(): number;
}
