/** What a service that keeps sealed values (Secrets Manager, Parameter Store) is built from. */
import type { Store, Migration } from '../state/index.js';
import { TagStore } from '../tagging/index.js';
import { openSecretCipher, type SecretCipher } from './cipher.js';

/** Options shared by the services that seal values at rest. */
export interface SealedServiceOptions<Scope> {
  store: Store;
  scope: Scope;
  /** The data dir whose `secrets.key` seals values (made at first start). Ignored when `cipher` is given. */
  dataDir?: string;
  /** The cipher to seal values with; default: the data dir's key. */
  cipher?: SecretCipher;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
}

/** The resolved dependencies of such a service. */
export interface SealedServiceDeps<Scope> {
  store: Store;
  tags: TagStore;
  scope: Scope;
  /** Seals and opens values (the data dir's key). */
  cipher: SecretCipher;
  /** The clock (tests may pin it). */
  now(): Date;
}

/** Migrates the component's tables and resolves its options into dependencies. */
export function compileSealedServiceDeps<Scope>(
  component: string,
  migrations: readonly Migration[],
  opts: SealedServiceOptions<Scope>,
): SealedServiceDeps<Scope> {
  if (!opts.cipher && !opts.dataDir) throw new Error(`${component} needs a dataDir (for its key) or a cipher.`);
  opts.store.migrate(component, migrations);
  return {
    store: opts.store,
    tags: new TagStore(opts.store),
    scope: opts.scope,
    cipher: opts.cipher ?? openSecretCipher(opts.dataDir!),
    now: opts.now ?? (() => new Date()),
  };
}
