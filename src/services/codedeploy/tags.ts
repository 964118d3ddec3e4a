/** CodeDeploy tags: TagResource, UntagResource, ListTagsForResource on applications, deployment groups and custom deployment configs. */
import type { Operation } from '../../api/index.js';
import type { Tag } from '../../tagging/index.js';
import { parseArn } from './arns.js';
import type { CodeDeployDeps } from './deps.js';
import { applicationDoesNotExist, cdError, deploymentConfigDoesNotExist, deploymentGroupDoesNotExist } from './errors.js';
import { page } from './names.js';
import { PREDEFINED_PREFIX } from './predefined.js';

/** A tag as CodeDeploy writes it on the wire. */
export interface WireTag {
  Key?: string;
  Value?: string;
}

/** The most tags one resource may carry. */
export const MAX_TAGS = 50;

/** Checks wire tags (key present, 1-128 characters, value up to 256, `aws:` reserved, no repeats) and returns them in Berth's form. */
export function checkTags(tags: readonly WireTag[] | undefined): Tag[] {
  const seen = new Set<string>();
  const out = (tags ?? []).map((t) => {
    const bad = (why: string) => cdError('InvalidTagsToAddException', `The specified tags are not valid: ${why}`);
    if (t.Key === undefined || t.Key === '') throw bad('a tag key must be specified.');
    if (t.Key.length > 128) throw bad(`the key '${t.Key.slice(0, 20)}...' is longer than 128 characters.`);
    if ((t.Value ?? '').length > 256) throw bad(`the value of '${t.Key}' is longer than 256 characters.`);
    if (/^aws:/i.test(t.Key)) throw bad(`keys starting with 'aws:' are reserved for AWS use ('${t.Key}').`);
    if (seen.has(t.Key)) throw bad(`the key '${t.Key}' is given more than once.`);
    seen.add(t.Key);
    return { key: t.Key, value: t.Value ?? '' };
  });
  if (out.length > MAX_TAGS) throw cdError('InvalidTagsToAddException', `The specified tags are not valid: a resource can have at most ${MAX_TAGS} tags.`);
  return out;
}

/** Throws unless `arn` names a CodeDeploy resource Berth has; returns it for use as the tag key. */
function requireResource(deps: CodeDeployDeps, arn: string, mustExist: boolean): string {
  const p = parseArn(arn);
  if (!p || p.accountId !== deps.scope.accountId || p.region !== deps.scope.region) {
    throw cdError('InvalidArnException', `The ARN '${arn}' is not a CodeDeploy ARN of account ${deps.scope.accountId} in ${deps.scope.region}.`);
  }
  if (!mustExist) return arn;
  switch (p.kind) {
    case 'application':
      if (!deps.records.application(p.application)) throw applicationDoesNotExist(p.application);
      return arn;
    case 'deploymentgroup': {
      const a = deps.records.application(p.application);
      if (!a) throw applicationDoesNotExist(p.application);
      if (!deps.records.group(a.applicationId, p.group)) throw deploymentGroupDoesNotExist(p.application, p.group);
      return arn;
    }
    case 'deploymentconfig':
      if (p.config.startsWith(PREDEFINED_PREFIX)) throw cdError('ArnNotSupportedException', `Predefined deployment configurations cannot be tagged: ${arn}`);
      if (!deps.records.config(p.config)) throw deploymentConfigDoesNotExist(p.config);
      return arn;
    default:
      throw cdError('ArnNotSupportedException', `The ARN '${arn}' is not supported: Berth tags applications, deployment groups and deployment configurations.`);
  }
}

export function tagOperations(deps: CodeDeployDeps): Record<string, Operation> {
  return {
    TagResource(input: { ResourceArn: string; Tags: WireTag[] }) {
      if (!input.Tags.length) throw cdError('TagRequiredException', 'A tag was not specified.');
      const tags = checkTags(input.Tags);
      const arn = requireResource(deps, input.ResourceArn, true);
      const existing = new Set(deps.tags.list(arn).map((t) => t.key));
      const total = existing.size + tags.filter((t) => !existing.has(t.key)).length;
      if (total > MAX_TAGS) throw cdError('InvalidTagsToAddException', `The specified tags are not valid: the resource would have ${total} tags, more than ${MAX_TAGS}.`);
      deps.tags.put(arn, tags);
      return {};
    },
    UntagResource(input: { ResourceArn: string; TagKeys: string[] }) {
      if (!input.TagKeys.length) throw cdError('TagRequiredException', 'A tag key was not specified.');
      deps.tags.remove(requireResource(deps, input.ResourceArn, true), input.TagKeys);
      return {};
    },
    ListTagsForResource(input: { ResourceArn: string; NextToken?: string }) {
      const arn = requireResource(deps, input.ResourceArn, false);
      const p = page(deps.tags.list(arn), input.NextToken, `ListTagsForResource:${arn}`);
      return { Tags: p.items.map((t) => ({ Key: t.key, Value: t.value })), NextToken: p.nextToken };
    },
  };
}
