/** ECS tags: TagResource, UntagResource, ListTagsForResource on clusters, task definitions, services and tasks. */
import type { Tag } from '../../tagging/index.js';
import { parseArn } from './arns.js';
import type { EcsDeps } from './deps.js';
import { clusterNotFound, invalidParameter, resourceNotFound } from './errors.js';
import { checkDriverTag } from './clusters.js';

/** A tag as ECS writes it on the wire. */
export interface WireTag {
  key?: string;
  value?: string;
}

/** The most tags one ECS resource may carry. */
export const MAX_TAGS = 50;

/** Checks wire tags (keys present, `aws:` reserved, no repeated keys) and returns them in Berth's form. */
export function checkTags(tags: readonly WireTag[]): Tag[] {
  const seen = new Set<string>();
  return tags.map((t) => {
    if (t.key === undefined) throw invalidParameter('Tag keys must not be null or empty.');
    if (/^aws:/i.test(t.key) || /^aws:/i.test(t.value ?? '')) {
      throw invalidParameter(`Tag key '${t.key}' is not valid: the aws: prefix is reserved for AWS use.`);
    }
    if (seen.has(t.key)) throw invalidParameter(`Tag key '${t.key}' appears more than once; each key must be unique.`);
    seen.add(t.key);
    return { key: t.key, value: t.value ?? '' };
  });
}

/** Berth's tags in ECS's wire form. */
export function tagsToWire(tags: readonly Tag[]): WireTag[] {
  return tags.map((t) => ({ key: t.key, value: t.value }));
}

/** Throws unless `arn` names an ECS resource Berth has and that can carry tags. */
function requireTaggable(deps: EcsDeps, arn: string): void {
  const parsed = parseArn(arn);
  if (!parsed || parsed.accountId !== deps.scope.accountId || parsed.region !== deps.scope.region) {
    throw invalidParameter(`The ARN '${arn}' is not a valid ECS resource ARN in ${deps.scope.region} for account ${deps.scope.accountId}.`);
  }
  const db = deps.store;
  switch (parsed.resourceType) {
    case 'cluster': {
      const status = db.prepare('SELECT status FROM ecs_clusters WHERE arn = ?').pluck().get(arn);
      if (status !== 'ACTIVE') throw clusterNotFound();
      return;
    }
    case 'task-definition': {
      const status = db.prepare('SELECT status FROM ecs_task_definitions WHERE arn = ?').pluck().get(arn);
      if (status === undefined || status === 'DELETE_IN_PROGRESS') throw resourceNotFound(`The specified task definition '${arn}' does not exist.`);
      return;
    }
    case 'service': {
      const status = db.prepare('SELECT status FROM ecs_services WHERE arn = ?').pluck().get(arn);
      if (status === undefined || status === 'INACTIVE') throw resourceNotFound(`The specified service '${arn}' does not exist.`);
      return;
    }
    case 'task': {
      if (db.prepare('SELECT 1 FROM ecs_tasks WHERE arn = ?').get(arn) === undefined) throw resourceNotFound(`The specified task '${arn}' does not exist.`);
      return;
    }
    default:
      throw invalidParameter(`Berth does not tag ECS resources of type '${parsed.resourceType}'.`);
  }
}

/** Builds the tagging operations. */
export function tagOperations(deps: EcsDeps) {
  return {
    TagResource(input: { resourceArn: string; tags: WireTag[] }) {
      requireTaggable(deps, input.resourceArn);
      const tags = checkTags(input.tags);
      if (parseArn(input.resourceArn)?.resourceType === 'cluster') checkDriverTag(tags);
      const existing = new Set(deps.tags.list(input.resourceArn).map((t) => t.key));
      const total = existing.size + tags.filter((t) => !existing.has(t.key)).length;
      if (total > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags; this request would give it ${total}.`);
      deps.tags.put(input.resourceArn, tags);
      return {};
    },
    UntagResource(input: { resourceArn: string; tagKeys: string[] }) {
      requireTaggable(deps, input.resourceArn);
      deps.tags.remove(input.resourceArn, input.tagKeys);
      return {};
    },
    ListTagsForResource(input: { resourceArn: string }) {
      requireTaggable(deps, input.resourceArn);
      return { tags: tagsToWire(deps.tags.list(input.resourceArn)) };
    },
  };
}

/** The tag keys ECS adds to a task when `enableECSManagedTags` is on. */
export const MANAGED_TAG_KEYS = { clusterName: 'aws:ecs:clusterName', serviceName: 'aws:ecs:serviceName' } as const;

/** What a service decides about its tasks' tags. */
export interface ServiceTagging {
  arn: string;
  name: string;
  propagateTags: 'TASK_DEFINITION' | 'SERVICE' | 'NONE';
  enableECSManagedTags: boolean;
}

/**
 * The tags of a task the service scheduler places, as ECS gives them: the service's tags
 * (propagateTags SERVICE) or the task definition's (TASK_DEFINITION), at most {@link MAX_TAGS}
 * of them, then with `enableECSManagedTags` ECS's managed tags `aws:ecs:serviceName` and
 * `aws:ecs:clusterName` (which do not count toward the limit).
 */
export function serviceTaskTags(deps: EcsDeps, s: ServiceTagging, taskDefinitionArn: string, clusterName: string): Tag[] {
  const from = s.propagateTags === 'SERVICE' ? s.arn : s.propagateTags === 'TASK_DEFINITION' ? taskDefinitionArn : undefined;
  const tags = from ? deps.tags.list(from).filter((t) => !t.key.startsWith('aws:')).slice(0, MAX_TAGS) : [];
  if (s.enableECSManagedTags) {
    tags.push({ key: MANAGED_TAG_KEYS.serviceName, value: s.name }, { key: MANAGED_TAG_KEYS.clusterName, value: clusterName });
  }
  return tags;
}
