/** What every Secrets Manager module is built from. */
import type { SecretCipher } from '../../secret-values/index.js';
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { ArnScope } from './arns.js';

/** Shared dependencies of the Secrets Manager operations. */
export interface SecretsManagerDeps {
  store: Store;
  tags: TagStore;
  scope: ArnScope;
  /** Seals and opens secret values (the data dir's key). */
  cipher: SecretCipher;
  /** The clock (tests may pin it). */
  now(): Date;
}
