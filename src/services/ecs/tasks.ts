/** ECS tasks, stored and validated: run, start, stop, describe, list. */
import type { EcsDeps } from './deps.js';

/** Builds the task operations. */
export function taskOperations(_deps: EcsDeps) {
  return {};
}
