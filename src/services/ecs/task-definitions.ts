/** ECS task definitions: register, describe, list, list families, deregister, delete. */
import { paginate } from '../../pagination/index.js';
import type { EcsDeps } from './deps.js';
import { clientException, invalidParameter } from './errors.js';
import { checkTags, MAX_TAGS, tagsToWire, type WireTag } from './tags.js';
import { compileTaskDefinition, type RegisterInput } from './task-definition-validation.js';
import {
  arnOf,
  findTaskDefinition,
  loadRevision,
  parseTaskDefinitionRef,
  saveTaskDefinition,
  type TaskDefinitionRecord,
} from './task-definition-records.js';

/** Most task definitions one DeleteTaskDefinitions call may name. */
export const MAX_DELETE = 10;

const PAGE = { defaultMax: 100, limit: 100 };
const DELETE_REASONS = {
  noRevision: 'The specified task definition does not have a revision. Specify family:revision or the full task definition ARN.',
  missing: 'The specified task definition does not exist. Specify a valid account, family, revision and try again.',
  active: 'The specified task definition is still in ACTIVE status. Please deregister the target and try again.',
};

/** Builds the task definition operations. */
export function taskDefinitionOperations(deps: EcsDeps) {
  const db = deps.store;

  /** The revision a `family:revision` or ARN reference names, in any status; ClientException for a bare family. */
  function requireRevision(ref: string): TaskDefinitionRecord {
    const { family, revision } = parseTaskDefinitionRef(ref);
    if (revision === undefined) throw clientException(`Invalid task definition '${ref}': specify a revision (family:revision) or the full task definition ARN.`);
    const td = loadRevision(deps, family, revision);
    if (!td) throw clientException('The specified task definition does not exist.');
    return td;
  }

  return {
    RegisterTaskDefinition(input: RegisterInput & { tags?: WireTag[] }) {
      const tags = checkTags(input.tags ?? []);
      if (tags.length > MAX_TAGS) throw invalidParameter(`A resource can have at most ${MAX_TAGS} tags; this request gives ${tags.length}.`);
      const compiled = compileTaskDefinition(input);
      const last = db.prepare('SELECT max(revision) FROM ecs_task_definitions WHERE family = ?').pluck().get(input.family) as number | null;
      const revision = (last ?? 0) + 1;
      const td: TaskDefinitionRecord = {
        ...compiled,
        taskDefinitionArn: arnOf(deps, input.family, revision),
        revision,
        status: 'ACTIVE',
        registeredAt: deps.now().toISOString(),
        registeredBy: `arn:aws:iam::${deps.scope.accountId}:root`,
      };
      saveTaskDefinition(deps, td);
      deps.tags.put(td.taskDefinitionArn, tags);
      return { taskDefinition: td, tags: tagsToWire(tags) };
    },

    DescribeTaskDefinition(input: { taskDefinition: string; include?: string[] }) {
      const { family, revision } = parseTaskDefinitionRef(input.taskDefinition);
      const td = revision === undefined ? findTaskDefinition(deps, family) : loadRevision(deps, family, revision);
      if (!td) throw clientException('Unable to describe task definition.');
      const out: { taskDefinition: TaskDefinitionRecord; tags?: WireTag[] } = { taskDefinition: td };
      if (input.include?.includes('TAGS')) out.tags = tagsToWire(deps.tags.list(td.taskDefinitionArn));
      return out;
    },

    ListTaskDefinitions(input: { familyPrefix?: string; status?: string; sort?: 'ASC' | 'DESC'; nextToken?: string; maxResults?: number }) {
      const status = input.status ?? 'ACTIVE';
      const order = input.sort === 'DESC' ? 'DESC' : 'ASC';
      const arns = (
        input.familyPrefix === undefined
          ? db.prepare(`SELECT arn FROM ecs_task_definitions WHERE status = ? ORDER BY family ${order}, revision ${order}`).pluck().all(status)
          : db.prepare(`SELECT arn FROM ecs_task_definitions WHERE status = ? AND family = ? ORDER BY revision ${order}`).pluck().all(status, input.familyPrefix)
      ) as string[];
      const scope = `ListTaskDefinitions:${status}:${order}:${input.familyPrefix ?? ''}`;
      const page = paginate(arns, { ...input, ...PAGE, scope }, invalidParameter);
      return { taskDefinitionArns: page.items, nextToken: page.nextToken };
    },

    ListTaskDefinitionFamilies(input: { familyPrefix?: string; status?: 'ACTIVE' | 'INACTIVE' | 'ALL'; nextToken?: string; maxResults?: number }) {
      const status = input.status ?? 'ALL';
      const rows = db
        .prepare(`SELECT family, sum(status = 'ACTIVE') AS active FROM ecs_task_definitions GROUP BY family ORDER BY family`)
        .all() as { family: string; active: number }[];
      const families = rows
        .filter((r) => input.familyPrefix === undefined || r.family.startsWith(input.familyPrefix))
        .filter((r) => status === 'ALL' || (status === 'ACTIVE') === r.active > 0)
        .map((r) => r.family);
      const scope = `ListTaskDefinitionFamilies:${status}:${input.familyPrefix ?? ''}`;
      const page = paginate(families, { ...input, ...PAGE, scope }, invalidParameter);
      return { families: page.items, nextToken: page.nextToken };
    },

    DeregisterTaskDefinition(input: { taskDefinition: string }) {
      const td = requireRevision(input.taskDefinition);
      if (td.status === 'DELETE_IN_PROGRESS') throw clientException('The specified task definition is being deleted (DELETE_IN_PROGRESS) and cannot be deregistered.');
      if (td.status === 'ACTIVE') {
        td.status = 'INACTIVE';
        td.deregisteredAt = deps.now().toISOString();
        saveTaskDefinition(deps, td);
      }
      return { taskDefinition: td };
    },

    DeleteTaskDefinitions(input: { taskDefinitions: string[] }) {
      const refs = input.taskDefinitions;
      if (refs.length < 1 || refs.length > MAX_DELETE) {
        throw invalidParameter(`taskDefinitions must name between 1 and ${MAX_DELETE} task definitions; got ${refs.length}.`);
      }
      const taskDefinitions: TaskDefinitionRecord[] = [];
      const failures: { arn: string; reason: string }[] = [];
      const done = new Set<string>();
      for (const ref of refs) {
        let parsed: { family: string; revision?: number };
        try {
          parsed = parseTaskDefinitionRef(ref);
        } catch {
          failures.push({ arn: ref, reason: DELETE_REASONS.missing });
          continue;
        }
        if (parsed.revision === undefined) {
          failures.push({ arn: ref, reason: DELETE_REASONS.noRevision });
          continue;
        }
        const arn = arnOf(deps, parsed.family, parsed.revision);
        if (done.has(arn)) continue;
        done.add(arn);
        const td = loadRevision(deps, parsed.family, parsed.revision);
        if (!td) failures.push({ arn, reason: DELETE_REASONS.missing });
        else if (td.status === 'ACTIVE') failures.push({ arn, reason: DELETE_REASONS.active });
        else {
          if (td.status === 'INACTIVE') {
            td.status = 'DELETE_IN_PROGRESS';
            td.deleteRequestedAt = deps.now().toISOString();
            saveTaskDefinition(deps, td);
          }
          taskDefinitions.push(td);
        }
      }
      return { taskDefinitions, failures };
    },
  };
}
