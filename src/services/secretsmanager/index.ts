/** AWS Secrets Manager: secrets, versions and staging labels, deletion and restore, tags; values sealed at rest. */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import { compileSealedServiceDeps, type SealedServiceOptions } from '../../secret-values/index.js';
import type { ArnScope } from './arns.js';
import type { SecretsManagerDeps } from './deps.js';
import { validation } from './errors.js';
import { secretsManagerOperations } from './operations.js';
import { resolveSecretValueFrom } from './resolver.js';
import { secretsManagerMigrations } from './schema.js';
import { purgeExpired } from './secrets.js';

export type { ArnScope } from './arns.js';

/** Options for the service and its resolver. */
export type SecretsManagerServiceOptions = SealedServiceOptions<ArnScope>;

function compileDeps(opts: SecretsManagerServiceOptions): SecretsManagerDeps {
  return compileSealedServiceDeps('secretsmanager', secretsManagerMigrations, opts);
}

const READ_ONLY = new Set(['DescribeSecret', 'ListSecrets', 'ListSecretVersionIds', 'GetSecretValue']);

/** Migrates the Secrets Manager tables, purges secrets whose recovery window ended, and builds the service for api/. */
export function createSecretsManagerService(opts: SecretsManagerServiceOptions): ServiceDefinition {
  const deps = compileDeps(opts);
  deps.store.transaction(() => purgeExpired(deps));
  const model = loadServiceModel('secretsmanager');
  return {
    model,
    operations: secretsManagerOperations(deps),
    validationError: validation,
    isReadOnly: (operation) => READ_ONLY.has(operation),
  };
}

/** Resolves ECS container `secrets` that name Secrets Manager secrets. */
export interface SecretResolver {
  /**
   * The plaintext a `valueFrom` names (name, full or partial ARN, or
   * `ARN:json-key:version-stage:version-id`); throws SecretResolutionError, in ECS's words.
   */
  resolve(valueFrom: string): string;
}

/** Builds the resolver the ECS runtime uses to inject Secrets Manager values into containers. */
export function createSecretResolver(opts: SecretsManagerServiceOptions): SecretResolver {
  const deps = compileDeps(opts);
  return { resolve: (valueFrom) => resolveSecretValueFrom(deps, valueFrom) };
}

/** True when a `valueFrom` is a Secrets Manager ARN (otherwise ECS reads it as an SSM parameter). */
export const isSecretsManagerArn = (valueFrom: string): boolean => /^arn:aws[a-z-]*:secretsmanager:/.test(valueFrom);
