/** AWS Systems Manager Parameter Store: String, StringList and SecureString parameters, versions, paths, tags; values sealed at rest. */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import { openSecretCipher, type SecretCipher } from '../../secret-values/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import type { SsmDeps } from './deps.js';
import { validation } from './errors.js';
import type { ArnScope } from './names.js';
import { ssmOperations } from './operations.js';
import { resolveParameterValueFrom } from './resolver.js';
import { ssmMigrations } from './schema.js';

export type { ArnScope } from './names.js';

/** Options for {@link createSsmService} and {@link createParameterResolver}. */
export interface SsmServiceOptions {
  store: Store;
  scope: ArnScope;
  /** The data dir whose `secrets.key` seals values (made at first start). Ignored when `cipher` is given. */
  dataDir?: string;
  /** The cipher to seal values with; default: the data dir's key. */
  cipher?: SecretCipher;
  /** The clock; defaults to the system clock. */
  now?: () => Date;
}

function compileDeps(opts: SsmServiceOptions): SsmDeps {
  if (!opts.cipher && !opts.dataDir) throw new Error('Parameter Store needs a dataDir (for its key) or a cipher.');
  opts.store.migrate('ssm', ssmMigrations);
  return {
    store: opts.store,
    tags: new TagStore(opts.store),
    scope: opts.scope,
    cipher: opts.cipher ?? openSecretCipher(opts.dataDir!),
    now: opts.now ?? (() => new Date()),
  };
}

const READ_ONLY = new Set(['GetParameter', 'GetParameters', 'GetParametersByPath', 'GetParameterHistory', 'DescribeParameters', 'ListTagsForResource']);

/** Migrates the Parameter Store tables and builds the SSM service for api/ (other SSM operations answer UnsupportedOperationException). */
export function createSsmService(opts: SsmServiceOptions): ServiceDefinition {
  const deps = compileDeps(opts);
  const model = loadServiceModel('ssm');
  return {
    model,
    operations: ssmOperations(deps),
    validationError: validation,
    isReadOnly: (operation) => READ_ONLY.has(operation),
    unsupportedCode: 'UnsupportedOperationException',
  };
}

/** Resolves ECS container `secrets` that name SSM parameters. */
export interface ParameterResolver {
  /** The plaintext (SecureString decrypted) of a parameter name or ARN; throws SecretResolutionError, in ECS's words. */
  resolve(valueFrom: string): string;
}

/** Builds the resolver the ECS runtime uses to inject Parameter Store values into containers. */
export function createParameterResolver(opts: SsmServiceOptions): ParameterResolver {
  const deps = compileDeps(opts);
  return { resolve: (valueFrom) => resolveParameterValueFrom(deps, valueFrom) };
}
