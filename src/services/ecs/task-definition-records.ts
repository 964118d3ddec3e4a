/**
 * How task definitions are kept and found: the stored document is the TaskDefinition exactly
 * as DescribeTaskDefinition returns it (tags are kept apart, in the tag store). Services and
 * tasks resolve their `taskDefinition` references here.
 */
import { taskDefinitionArn } from './arns.js';
import type { EcsDeps } from './deps.js';
import { clientException, invalidParameter } from './errors.js';

/** A task definition revision as stored: ECS's TaskDefinition shape. */
export interface TaskDefinitionRecord {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: 'ACTIVE' | 'INACTIVE' | 'DELETE_IN_PROGRESS';
  containerDefinitions: Record<string, any>[];
  networkMode?: string;
  requiresCompatibilities?: string[];
  compatibilities?: string[];
  cpu?: string;
  memory?: string;
  registeredAt: string;
  deregisteredAt?: string;
  deleteRequestedAt?: string;
  [member: string]: unknown;
}

/** Splits `family`, `family:revision` or a task definition ARN; revision undefined for "latest ACTIVE". */
export function parseTaskDefinitionRef(ref: string): { family: string; revision?: number } {
  let body = ref;
  if (ref.startsWith('arn:')) {
    const m = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/(.+)$/.exec(ref);
    if (!m) throw invalidParameter(`Invalid task definition ARN '${ref}': expected arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION.`);
    body = m[1];
  }
  const colon = body.lastIndexOf(':');
  if (colon < 0) return { family: body };
  const rev = body.slice(colon + 1);
  if (!/^[1-9]\d{0,9}$/.test(rev)) throw clientException(`Invalid revision number. Number: ${rev}`);
  return { family: body.slice(0, colon), revision: Number(rev) };
}

/**
 * The revision a reference names: an explicit revision in any status but DELETE_IN_PROGRESS, or,
 * for a bare family, its latest ACTIVE revision. Undefined when there is none.
 */
export function findTaskDefinition(deps: EcsDeps, ref: string): TaskDefinitionRecord | undefined {
  const { family, revision } = parseTaskDefinitionRef(ref);
  const db = deps.store;
  const doc =
    revision === undefined
      ? (db
          .prepare(`SELECT doc FROM ecs_task_definitions WHERE family = ? AND status = 'ACTIVE' ORDER BY revision DESC LIMIT 1`)
          .pluck()
          .get(family) as string | undefined)
      : (db
          .prepare(`SELECT doc FROM ecs_task_definitions WHERE family = ? AND revision = ? AND status != 'DELETE_IN_PROGRESS'`)
          .pluck()
          .get(family, revision) as string | undefined);
  return doc === undefined ? undefined : (JSON.parse(doc) as TaskDefinitionRecord);
}

/** Like {@link findTaskDefinition}, but throws ECS's ClientException when there is none. */
export function requireTaskDefinition(deps: EcsDeps, ref: string): TaskDefinitionRecord {
  const td = findTaskDefinition(deps, ref);
  if (!td) throw clientException('Unable to describe task definition.');
  return td;
}

/** The ARN a family and revision get in this account and region. */
export const arnOf = (deps: EcsDeps, family: string, revision: number) => taskDefinitionArn(deps.scope, family, revision);

/** One revision in any status (DELETE_IN_PROGRESS included); undefined when Berth never had it. */
export function loadRevision(deps: EcsDeps, family: string, revision: number): TaskDefinitionRecord | undefined {
  const doc = deps.store.prepare('SELECT doc FROM ecs_task_definitions WHERE family = ? AND revision = ?').pluck().get(family, revision) as string | undefined;
  return doc === undefined ? undefined : (JSON.parse(doc) as TaskDefinitionRecord);
}

/** Inserts a new revision or rewrites an existing one (status changes). */
export function saveTaskDefinition(deps: EcsDeps, td: TaskDefinitionRecord): void {
  deps.store
    .prepare(
      `INSERT INTO ecs_task_definitions (family, revision, arn, status, registered_at, doc) VALUES (@family, @revision, @arn, @status, @registeredAt, @doc)
       ON CONFLICT(family, revision) DO UPDATE SET status = excluded.status, doc = excluded.doc`,
    )
    .run({ family: td.family, revision: td.revision, arn: td.taskDefinitionArn, status: td.status, registeredAt: td.registeredAt, doc: JSON.stringify(td) });
}
