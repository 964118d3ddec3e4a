/** What the ECS runtime sees when a container's `secrets` reference cannot be resolved. */

/** ECS's prefix for a task that could not fetch its secrets. */
export const RESOURCE_INITIALIZATION_PREFIX = 'ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ';

/**
 * A `valueFrom` reference that names no readable secret or parameter. The message is the task's
 * `stoppedReason`, in ECS's wording; it names the reference and never carries a value.
 */
export class SecretResolutionError extends Error {
  /** ECS's stop reason code for the task. */
  readonly code = 'ResourceInitializationError';
  constructor(
    /** The `valueFrom` that failed. */
    readonly reference: string,
    /** What went wrong, after ECS's fixed prefix. */
    detail: string,
  ) {
    super(RESOURCE_INITIALIZATION_PREFIX + detail);
    this.name = 'SecretResolutionError';
  }
}
