/** Errors of the image store. */

/** An image could not be imported, found or unpacked; the message says why. */
export class ImageError extends Error {}

/**
 * No stored image matches a task definition's `image`. The message starts with ECS's
 * `CannotPullContainerError:` so that it can be a container's `reason` unchanged.
 */
export class ImageNotFoundError extends ImageError {
  /** The ECS container failure name. */
  readonly code = 'CannotPullContainerError';
}
