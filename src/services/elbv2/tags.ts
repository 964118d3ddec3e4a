/** ELBv2 tags: AddTags, RemoveTags, DescribeTags on load balancers, target groups, listeners and rules. */
import { asyncOperation } from '../../api/index.js';
import type { Tag } from '../../tagging/index.js';
import { kindOf, type ResourceKind } from './arns.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, listenerNotFound, loadBalancerNotFound, ruleNotFound, targetGroupNotFound, validationError } from './errors.js';
import { Records } from './records.js';

/** A tag as ELBv2 writes it on the wire. */
export interface WireTag {
  Key?: string;
  Value?: string;
}

/** The most tags one ELBv2 resource may carry. */
export const MAX_TAGS = 50;
/** The most resources one AddTags, RemoveTags or DescribeTags call may name. */
export const MAX_TAG_RESOURCES = 20;

/** Checks wire tags (keys present, `aws:` reserved, no repeated keys) and returns them in Berth's form. */
export function checkTags(tags: readonly WireTag[] | undefined): Tag[] {
  const seen = new Set<string>();
  return (tags ?? []).map((t) => {
    if (t.Key === undefined) throw validationError('A tag key must be specified');
    if (/^aws:/i.test(t.Key)) throw validationError(`Tag key '${t.Key}' is not valid: keys starting with 'aws:' are reserved for AWS use`);
    if (seen.has(t.Key)) throw elbError('DuplicateTagKeys', `Tag key '${t.Key}' specified more than once`);
    seen.add(t.Key);
    return { key: t.Key, value: t.Value ?? '' };
  });
}

/** Stores the tags of a new resource, enforcing the per-resource limit. */
export function putTags(deps: Elbv2Deps, arn: string, tags: readonly Tag[]): void {
  const existing = new Set(deps.tags.list(arn).map((t) => t.key));
  const total = existing.size + tags.filter((t) => !existing.has(t.key)).length;
  if (total > MAX_TAGS) throw elbError('TooManyTags', `The quota for the number of tags per resource (${MAX_TAGS}) would be exceeded: the resource would have ${total} tags`);
  deps.tags.put(arn, tags);
}

/** Berth's tags in ELBv2's wire form. */
export const tagsToWire = (tags: readonly Tag[]) => tags.map((t) => ({ Key: t.key, Value: t.value }));

const NOT_FOUND: Record<ResourceKind, () => Error> = {
  loadbalancer: loadBalancerNotFound,
  targetgroup: targetGroupNotFound,
  listener: listenerNotFound,
  'listener-rule': ruleNotFound,
};

/** Throws unless `arn` names an ELBv2 resource Berth has. */
function requireResource(deps: Elbv2Deps, records: Records, arn: string): void {
  const kind = kindOf(arn);
  if (!kind) throw validationError(`'${arn}' is not a valid load balancer, target group, listener or rule ARN`);
  const found =
    kind === 'loadbalancer' ? records.loadBalancer(arn) : kind === 'targetgroup' ? records.targetGroup(arn) : kind === 'listener' ? records.listener(arn) : records.rule(arn);
  if (!found) throw NOT_FOUND[kind]();
}

function checkResourceCount(arns: readonly string[]): void {
  if (arns.length === 0) throw validationError('At least one resource ARN must be specified');
  if (arns.length > MAX_TAG_RESOURCES) throw validationError(`At most ${MAX_TAG_RESOURCES} resource ARNs can be specified; got ${arns.length}`);
}

/** Builds the tagging operations. */
export function tagOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    AddTags: asyncOperation(async (input: { ResourceArns: string[]; Tags: WireTag[] }) => {
      checkResourceCount(input.ResourceArns);
      const tags = checkTags(input.Tags);
      return deps.commit.run(() => {
        for (const arn of input.ResourceArns) requireResource(deps, records, arn);
        for (const arn of input.ResourceArns) putTags(deps, arn, tags);
        return {};
      });
    }),
    RemoveTags: asyncOperation(async (input: { ResourceArns: string[]; TagKeys: string[] }) => {
      checkResourceCount(input.ResourceArns);
      return deps.commit.run(() => {
        for (const arn of input.ResourceArns) requireResource(deps, records, arn);
        for (const arn of input.ResourceArns) deps.tags.remove(arn, input.TagKeys);
        return {};
      });
    }),
    DescribeTags(input: { ResourceArns: string[] }) {
      checkResourceCount(input.ResourceArns);
      for (const arn of input.ResourceArns) requireResource(deps, records, arn);
      return { TagDescriptions: input.ResourceArns.map((arn) => ({ ResourceArn: arn, Tags: tagsToWire(deps.tags.list(arn)) })) };
    },
  };
}
