/** What every ELBv2 operation module is built from. */
import type { LoadBalancerEngine } from '../../lb/config.js';
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';
import type { Committer } from './commit.js';

/** Shared dependencies of the ELBv2 operations. */
export interface Elbv2Deps {
  store: Store;
  tags: TagStore;
  /** The account and region ARNs are minted in. */
  scope: ArnScope;
  /** The clock (tests may pin it). */
  now(): Date;
  /**
   * Runs a state change under the ELBv2 lock, commits it and programs the data plane
   * (see commit.ts); every mutating operation goes through it.
   */
  commit: Committer;
  /** The data plane, when one is attached (health reports come from it). */
  engine?: LoadBalancerEngine;
}
