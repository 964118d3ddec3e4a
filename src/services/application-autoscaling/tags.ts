/** Tags on scalable targets (the only taggable resource): TagResource, UntagResource, ListTagsForResource. */
import type { Operation } from '../../api/index.js';
import type { Tag } from '../../tagging/index.js';
import type { AutoScalingDeps } from './deps.js';
import { aasError, validationError } from './errors.js';

export type TagMap = Record<string, string>;

/** AWS's limit of tags per scalable target. */
export const MAX_TAGS = 50;

/** The tags of a TagMap, checked (no `aws:` keys, at most {@link MAX_TAGS}). */
export function checkTagMap(map: TagMap | undefined): Tag[] {
  const tags = Object.entries(map ?? {}).map(([key, value]) => ({ key, value }));
  for (const t of tags) if (t.key.toLowerCase().startsWith('aws:')) throw validationError(`Tag keys starting with aws: are reserved: ${t.key}`);
  if (tags.length > MAX_TAGS) throw aasError('TooManyTagsException', `A scalable target can have at most ${MAX_TAGS} tags; got ${tags.length}.`);
  return tags;
}

export function tagOperations(deps: AutoScalingDeps): Record<string, Operation> {
  const requireArn = (arn: string) => {
    if (!deps.records.targetByArn(arn)) throw aasError('ResourceNotFoundException', `No scalable target found for ARN: ${arn}`);
  };
  return {
    ListTagsForResource(input: { ResourceARN: string }) {
      requireArn(input.ResourceARN);
      return { Tags: Object.fromEntries(deps.tags.list(input.ResourceARN).map((t) => [t.key, t.value])) };
    },
    TagResource(input: { ResourceARN: string; Tags: TagMap }) {
      requireArn(input.ResourceARN);
      const tags = checkTagMap(input.Tags);
      const keys = new Set([...deps.tags.list(input.ResourceARN).map((t) => t.key), ...tags.map((t) => t.key)]);
      if (keys.size > MAX_TAGS) throw aasError('TooManyTagsException', `A scalable target can have at most ${MAX_TAGS} tags; this would make ${keys.size}.`);
      deps.tags.put(input.ResourceARN, tags);
      return {};
    },
    UntagResource(input: { ResourceARN: string; TagKeys: string[] }) {
      requireArn(input.ResourceARN);
      deps.tags.remove(input.ResourceARN, input.TagKeys);
      return {};
    },
  };
}
