/** What every Parameter Store module is built from. */
import type { SecretCipher } from '../../secret-values/index.js';
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './names.js';

/** Shared dependencies of the Parameter Store operations. */
export interface SsmDeps {
  store: Store;
  tags: TagStore;
  scope: ArnScope;
  /** Seals and opens parameter values (the data dir's key). */
  cipher: SecretCipher;
  /** The clock (tests may pin it). */
  now(): Date;
}
