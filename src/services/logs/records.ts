/**
 * Log groups and log streams as Berth keeps them: ARNs in AWS's format, lookups by name,
 * identifier or ARN, creation, and the retention cutoff every read and the sweep apply.
 */
import type { LogsDeps, LogsScope } from './deps.js';
import { alreadyExists, groupNotFound, invalidParameter, streamNotFound } from './errors.js';

/** A log group row. */
export interface GroupRecord {
  id: number;
  name: string;
  createdAt: number;
  retentionDays: number | null;
  logGroupClass: string;
  deletionProtection: boolean;
  storedBytes: number;
}

/** A log stream row. */
export interface StreamRecord {
  id: number;
  groupId: number;
  name: string;
  createdAt: number;
  firstEvent: number | null;
  lastEvent: number | null;
  lastIngestion: number | null;
  storedBytes: number;
}

/** The retention periods PutRetentionPolicy accepts, in days. */
export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Milliseconds in a day. */
export const DAY_MS = 86_400_000;

/** `arn:aws:logs:REGION:ACCOUNT:log-group:NAME` (DescribeLogGroups' `logGroupArn`, and what tagging takes). */
export const logGroupArn = (s: LogsScope, name: string) => `arn:aws:logs:${s.region}:${s.accountId}:log-group:${name}`;
/** `arn:aws:logs:REGION:ACCOUNT:log-stream:...`-style stream ARN as AWS writes it. */
export const logStreamArn = (s: LogsScope, group: string, stream: string) => `${logGroupArn(s, group)}:log-stream:${stream}`;

/** The log group name an ARN names (with or without the trailing `:*`); undefined when it is not a log group ARN of this scope. */
export function groupNameOfArn(s: LogsScope, arn: string): string | undefined {
  const prefix = logGroupArn(s, '');
  if (!arn.startsWith(prefix)) return undefined;
  const name = arn.slice(prefix.length).replace(/:\*$/, '');
  return name === '' || name.includes(':') ? undefined : name;
}

const GROUP_COLUMNS = `id, name, created_at AS createdAt, retention_days AS retentionDays, log_group_class AS logGroupClass,
  deletion_protection AS deletionProtection, stored_bytes AS storedBytes`;
const STREAM_COLUMNS = `id, group_id AS groupId, name, created_at AS createdAt, first_event AS firstEvent, last_event AS lastEvent,
  last_ingestion AS lastIngestion, stored_bytes AS storedBytes`;

function toGroup(row: any): GroupRecord | undefined {
  return row ? { ...row, deletionProtection: row.deletionProtection === 1 } : undefined;
}

/** The log group of that name, if any. */
export function findGroup(deps: Pick<LogsDeps, 'store'>, name: string): GroupRecord | undefined {
  return toGroup(deps.store.prepare(`SELECT ${GROUP_COLUMNS} FROM logs_groups WHERE name = ?`).get(name));
}

/** Every log group, by name. */
export function listGroups(deps: Pick<LogsDeps, 'store'>): GroupRecord[] {
  return (deps.store.prepare(`SELECT ${GROUP_COLUMNS} FROM logs_groups ORDER BY name`).all() as any[]).map((r) => toGroup(r)!);
}

/** The log group of that name, or ResourceNotFoundException. */
export function requireGroup(deps: Pick<LogsDeps, 'store'>, name: string): GroupRecord {
  const g = findGroup(deps, name);
  if (!g) throw groupNotFound();
  return g;
}

/**
 * The log group a request names by `logGroupName` or `logGroupIdentifier` (name or ARN); exactly
 * one of them must be given, as AWS requires.
 */
export function requireGroupOf(deps: LogsDeps, input: { logGroupName?: string; logGroupIdentifier?: string }): GroupRecord {
  if (input.logGroupName !== undefined && input.logGroupIdentifier !== undefined) {
    throw invalidParameter('LogGroupName and LogGroupIdentifier are mutually exclusive; specify one of them.');
  }
  const ref = input.logGroupName ?? input.logGroupIdentifier;
  if (ref === undefined) throw invalidParameter('Either LogGroupName or LogGroupIdentifier must be specified.');
  if (input.logGroupIdentifier !== undefined && ref.startsWith('arn:')) {
    const name = groupNameOfArn(deps.scope, ref);
    if (name === undefined) throw invalidParameter(`'${ref}' is not a log group ARN of account ${deps.scope.accountId} in ${deps.scope.region}.`);
    return requireGroup(deps, name);
  }
  return requireGroup(deps, ref);
}

/** The stream of that name in a group, if any. */
export function findStream(deps: Pick<LogsDeps, 'store'>, groupId: number, name: string): StreamRecord | undefined {
  return deps.store.prepare(`SELECT ${STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? AND name = ?`).get(groupId, name) as StreamRecord | undefined;
}

/** The stream of that name in a group, or ResourceNotFoundException. */
export function requireStream(deps: Pick<LogsDeps, 'store'>, groupId: number, name: string): StreamRecord {
  const s = findStream(deps, groupId, name);
  if (!s) throw streamNotFound();
  return s;
}

/** Every stream of a group, by name. */
export function listStreams(deps: Pick<LogsDeps, 'store'>, groupId: number): StreamRecord[] {
  return deps.store.prepare(`SELECT ${STREAM_COLUMNS} FROM logs_streams WHERE group_id = ? ORDER BY name`).all(groupId) as StreamRecord[];
}

/** Checks the name rules the model's pattern does not carry. */
export function checkGroupName(name: string): void {
  if (name.startsWith('aws/')) throw invalidParameter(`Log group name '${name}' is not valid: log group names can't start with the string aws/.`);
}

/** What a new log group is made with. */
export interface NewGroup {
  name: string;
  logGroupClass?: string;
  deletionProtection?: boolean;
}

/** Creates a log group; ResourceAlreadyExistsException when the name is taken. */
export function insertGroup(deps: Pick<LogsDeps, 'store' | 'now'>, g: NewGroup): GroupRecord {
  checkGroupName(g.name);
  if (findGroup(deps, g.name)) throw alreadyExists('The specified log group already exists');
  deps.store
    .prepare('INSERT INTO logs_groups (name, created_at, log_group_class, deletion_protection) VALUES (?, ?, ?, ?)')
    .run(g.name, deps.now(), g.logGroupClass ?? 'STANDARD', g.deletionProtection ? 1 : 0);
  return findGroup(deps, g.name)!;
}

/** Creates a log stream in a group; ResourceAlreadyExistsException when the name is taken. */
export function insertStream(deps: Pick<LogsDeps, 'store' | 'now'>, group: GroupRecord, name: string): StreamRecord {
  if (findStream(deps, group.id, name)) throw alreadyExists('The specified log stream already exists');
  deps.store.prepare('INSERT INTO logs_streams (group_id, name, created_at) VALUES (?, ?, ?)').run(group.id, name, deps.now());
  return findStream(deps, group.id, name)!;
}

/** The oldest timestamp a group keeps at `now` (epoch ms); 0 when events never expire. */
export function retentionCutoff(group: Pick<GroupRecord, 'retentionDays'>, now: number): number {
  return group.retentionDays === null ? 0 : now - group.retentionDays * DAY_MS;
}
