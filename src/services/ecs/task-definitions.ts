/** ECS task definitions: register, describe, list, list families, deregister, delete. */
import type { EcsDeps } from './deps.js';

/** Builds the task definition operations. */
export function taskDefinitionOperations(_deps: EcsDeps) {
  return {};
}
