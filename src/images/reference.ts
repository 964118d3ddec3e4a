/** Image references as Docker and ECS read them: `[registry/]repository[:tag][@digest]`. */

/** A parsed image reference. */
export interface ImageRef {
  /** The text as given. */
  raw: string;
  /** `docker.io`, `localhost`, `123456789012.dkr.ecr.us-east-1.amazonaws.com`, ... */
  registry: string;
  /** The repository path inside the registry (`library/busybox`, `web`, `team/api`). */
  repository: string;
  /** The tag; `latest` when neither a tag nor a digest is given. */
  tag: string;
  /** `sha256:...` when the reference pins a digest. */
  digest?: string;
}

const DEFAULT_REGISTRY = 'docker.io';
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** Thrown for a reference that is not a valid image name. */
export class InvalidImageRefError extends Error {}

/** Parses an image reference, normalising it as Docker does (`busybox` is `docker.io/library/busybox:latest`). */
export function parseImageRef(raw: string): ImageRef {
  const bad = (why: string) => new InvalidImageRefError(`invalid image reference '${raw}': ${why}`);
  if (raw.length === 0 || raw.length > 255) throw bad('it must be 1 to 255 characters');
  let rest = raw;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) throw bad('a digest must be sha256: and 64 lower-case hex digits');
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`tag '${tag}' must be 1 to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'`);
  }
  const parts = rest.split('/');
  let registry = DEFAULT_REGISTRY;
  if (parts.length > 1 && (parts[0].includes('.') || parts[0].includes(':') || parts[0] === 'localhost')) {
    registry = parts.shift()!;
  }
  for (const p of parts) if (!COMPONENT.test(p)) throw bad(`repository component '${p}' must be lower-case letters and digits, separated by '.', '_', '__' or '-'`);
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift('library');
  return { raw, registry, repository: parts.join('/'), tag: tag ?? 'latest', digest };
}

/** The fully qualified `registry/repository:tag` form (the digest, if any, is not included). */
export function canonicalName(ref: ImageRef): string {
  return `${ref.registry}/${ref.repository}:${ref.tag}`;
}

/** The short `repository:tag` form without registry (and without Docker Hub's `library/`). */
export function shortName(ref: ImageRef): string {
  const repo = ref.registry === DEFAULT_REGISTRY && ref.repository.startsWith('library/') ? ref.repository.slice(8) : ref.repository;
  return `${repo}:${ref.tag}`;
}

/** Splits the `NAME:TAG` given to `berth image import --name`; the tag defaults to `latest`. */
export function splitNameTag(nameTag: string): { name: string; tag: string } {
  const ref = parseImageRef(nameTag);
  if (ref.digest) throw new InvalidImageRefError(`invalid image name '${nameTag}': a stored name takes a tag, not a digest`);
  const colon = nameTag.lastIndexOf(':');
  const name = colon > nameTag.lastIndexOf('/') ? nameTag.slice(0, colon) : nameTag;
  return { name, tag: ref.tag };
}
