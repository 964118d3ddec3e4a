/** What every Parameter Store module is built from. */
import type { SealedServiceDeps } from '../../secret-values/index.js';
import type { ArnScope } from './names.js';

/** Shared dependencies of the Parameter Store operations. */
export type SsmDeps = SealedServiceDeps<ArnScope>;
