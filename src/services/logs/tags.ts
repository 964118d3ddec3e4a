/** Log group tags: TagResource, UntagResource, ListTagsForResource and the older TagLogGroup, UntagLogGroup, ListTagsLogGroup. */
import type { Tag } from '../../tagging/index.js';
import type { LogsDeps } from './deps.js';
import { invalidParameter, resourceNotFound, tooManyTags } from './errors.js';
import { findGroup, groupNameOfArn, logGroupArn, requireGroup } from './records.js';

/** The most tags one log group may carry. */
export const MAX_TAGS = 50;

/** Checks a wire tag map (`aws:` is reserved) and returns it in Berth's form. */
export function checkTags(tags: Record<string, string> | undefined): Tag[] {
  return Object.entries(tags ?? {}).map(([key, value]) => {
    if (/^aws:/i.test(key)) throw invalidParameter(`Tag key '${key}' is not valid: the aws: prefix is reserved for AWS use.`);
    return { key, value };
  });
}

/** Adds or overwrites tags on a log group's ARN, refusing to go past {@link MAX_TAGS}. */
export function putTags(deps: LogsDeps, arn: string, tags: readonly Tag[]): void {
  const existing = new Set(deps.tags.list(arn).map((t) => t.key));
  const total = existing.size + tags.filter((t) => !existing.has(t.key)).length;
  if (total > MAX_TAGS) throw tooManyTags(`A resource can have no more than ${MAX_TAGS} tags; this request would give it ${total}.`);
  deps.tags.put(arn, tags);
}

/** The tags of an ARN as CloudWatch Logs writes them on the wire (a map). */
export function tagsToWire(deps: LogsDeps, arn: string): Record<string, string> {
  return Object.fromEntries(deps.tags.list(arn).map((t) => [t.key, t.value]));
}

/** The tagging ARN (`logGroupArn`, no `:*`) of the log group a resource ARN names, or ResourceNotFoundException. */
function taggableArn(deps: LogsDeps, resourceArn: string): string {
  const name = groupNameOfArn(deps.scope, resourceArn);
  if (name === undefined) {
    throw invalidParameter(`'${resourceArn}' is not a log group ARN (arn:aws:logs:${deps.scope.region}:${deps.scope.accountId}:log-group:NAME); Berth tags log groups only.`);
  }
  if (!findGroup(deps, name)) throw resourceNotFound(`The specified resource '${resourceArn}' does not exist.`);
  return logGroupArn(deps.scope, name);
}

/** Builds the tagging operations. */
export function tagOperations(deps: LogsDeps) {
  return {
    TagResource(input: { resourceArn: string; tags: Record<string, string> }) {
      putTags(deps, taggableArn(deps, input.resourceArn), checkTags(input.tags));
      return {};
    },
    UntagResource(input: { resourceArn: string; tagKeys: string[] }) {
      deps.tags.remove(taggableArn(deps, input.resourceArn), input.tagKeys);
      return {};
    },
    ListTagsForResource(input: { resourceArn: string }) {
      return { tags: tagsToWire(deps, taggableArn(deps, input.resourceArn)) };
    },
    TagLogGroup(input: { logGroupName: string; tags: Record<string, string> }) {
      putTags(deps, logGroupArn(deps.scope, requireGroup(deps, input.logGroupName).name), checkTags(input.tags));
      return {};
    },
    UntagLogGroup(input: { logGroupName: string; tags: string[] }) {
      deps.tags.remove(logGroupArn(deps.scope, requireGroup(deps, input.logGroupName).name), input.tags);
      return {};
    },
    ListTagsLogGroup(input: { logGroupName: string }) {
      return { tags: tagsToWire(deps, logGroupArn(deps.scope, requireGroup(deps, input.logGroupName).name)) };
    },
  };
}
