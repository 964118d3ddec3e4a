/** AWS Systems Manager Parameter Store: String, StringList and SecureString parameters, versions, paths, tags; values sealed at rest. */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import { compileSealedServiceDeps, type SealedServiceOptions } from '../../secret-values/index.js';
import type { SsmDeps } from './deps.js';
import { validation } from './errors.js';
import type { ArnScope } from './names.js';
import { ssmOperations } from './operations.js';
import { resolveParameterValueFrom } from './resolver.js';
import { ssmMigrations } from './schema.js';

export type { ArnScope } from './names.js';

/** Options for the service and its resolver. */
export type SsmServiceOptions = SealedServiceOptions<ArnScope>;

function compileDeps(opts: SsmServiceOptions): SsmDeps {
  return compileSealedServiceDeps('ssm', ssmMigrations, opts);
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
