/** Resolving an ECS container secret's `valueFrom` (SSM parameter name or ARN) against Berth's Parameter Store. */
import { BerthError } from '../../errors/index.js';
import { SecretResolutionError } from '../../secret-values/index.js';
import type { SsmDeps } from './deps.js';
import { findParameter, openValue } from './parameters.js';

/** Reads the plaintext (SecureString decrypted) a `valueFrom` names; throws {@link SecretResolutionError}. */
export function resolveParameterValueFrom(deps: SsmDeps, valueFrom: string): string {
  try {
    const { arn, row } = findParameter(deps, valueFrom);
    return openValue(deps, arn, row);
  } catch (err) {
    if (!(err instanceof BerthError)) throw err;
    throw new SecretResolutionError(valueFrom, `unable to retrieve secrets from ssm: invalid ssm parameters: ${valueFrom}`);
  }
}
