/**
 * The local image store: `berth image import/ls/rm`, and resolving a task definition's `image`
 * to a stored image whose root filesystem a driver can run. See README.md.
 */
export { ImageError, ImageNotFoundError } from './errors.js';
export { MediaTypes, type ImageRunConfig } from './oci.js';
export { InvalidImageRefError, canonicalName, parseImageRef, shortName, type ImageRef } from './reference.js';
export { ImageStore, openImageStore, type StoredImage } from './store.js';
import type { ImageStore, StoredImage } from './store.js';

/** Resolves a task definition's `image` against a store; throws `ImageNotFoundError` (`CannotPullContainerError: ...`) when absent. */
export function resolveImage(store: ImageStore, image: string): Promise<StoredImage> {
  return store.resolve(image);
}
export { busyboxRootfs, busyboxSkipReason, tarBuffer, writeTestImage, type LayerEntry, type TestImageOptions } from './testing.js';
