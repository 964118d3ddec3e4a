/** What every Lambda operation module is built from. */
import type { Store } from '../../state/index.js';
import type { ArnScope } from './arns.js';
import type { Runner } from './runner.js';

/** Shared dependencies of the Lambda operations. */
export interface LambdaDeps {
  store: Store;
  /** The account and region ARNs are minted in. */
  scope: ArnScope;
  /** The Lambda data folder: unpacked code (code.ts). */
  root: string;
  /** Starts invocations. */
  runner: Runner;
  /** The clock (tests may pin it). */
  now(): Date;
  /** Most invocations running at once; beyond it Invoke answers TooManyRequestsException. */
  maxConcurrency: number;
  /** Most bytes of code (sum of CodeSize) stored across functions; Lambda's default is 75 GB. */
  codeStorageLimit: number;
  log(line: string): void;
}
