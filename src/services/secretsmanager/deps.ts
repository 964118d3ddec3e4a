/** What every Secrets Manager module is built from. */
import type { SealedServiceDeps } from '../../secret-values/index.js';
import type { ArnScope } from './arns.js';

/** Shared dependencies of the Secrets Manager operations. */
export type SecretsManagerDeps = SealedServiceDeps<ArnScope>;
