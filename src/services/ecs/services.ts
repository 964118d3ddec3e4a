/** ECS services, stored and validated: create, describe, list, update, delete. */
import type { EcsDeps } from './deps.js';

/** Builds the service operations. */
export function serviceOperations(_deps: EcsDeps) {
  return {};
}
