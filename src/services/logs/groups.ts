/** Log groups: CreateLogGroup, DeleteLogGroup, DescribeLogGroups, PutRetentionPolicy, DeleteRetentionPolicy. */
import { paginate } from '../../pagination/index.js';
import type { LogsDeps } from './deps.js';
import { invalidParameter, validationException } from './errors.js';
import { groupNameOfArn, insertGroup, listGroups, logGroupArn, requireGroup, RETENTION_DAYS, type GroupRecord } from './records.js';
import { sweepGroup } from './retention.js';
import { checkTags, putTags } from './tags.js';

/** A log group in CloudWatch Logs' wire form. */
function toWire(deps: LogsDeps, g: GroupRecord): Record<string, unknown> {
  const arn = logGroupArn(deps.scope, g.name);
  return {
    logGroupName: g.name,
    creationTime: g.createdAt,
    retentionInDays: g.retentionDays ?? undefined,
    metricFilterCount: 0,
    arn: `${arn}:*`,
    storedBytes: g.storedBytes,
    logGroupClass: g.logGroupClass,
    logGroupArn: arn,
    deletionProtectionEnabled: g.deletionProtection,
  };
}

/** Builds the log group operations. */
export function groupOperations(deps: LogsDeps) {
  return {
    CreateLogGroup(input: {
      logGroupName: string;
      kmsKeyId?: string;
      tags?: Record<string, string>;
      logGroupClass?: string;
      deletionProtectionEnabled?: boolean;
    }) {
      if (input.kmsKeyId !== undefined) {
        throw invalidParameter(`The KMS key '${input.kmsKeyId}' cannot be used: Berth has no KMS, so log groups cannot be encrypted with a KMS key. Omit kmsKeyId.`);
      }
      const tags = checkTags(input.tags);
      const g = insertGroup(deps, { name: input.logGroupName, logGroupClass: input.logGroupClass, deletionProtection: input.deletionProtectionEnabled });
      const arn = logGroupArn(deps.scope, g.name);
      deps.tags.clear(arn);
      putTags(deps, arn, tags);
      return {};
    },

    DeleteLogGroup(input: { logGroupName: string }) {
      const g = requireGroup(deps, input.logGroupName);
      if (g.deletionProtection) {
        throw validationException(`Log group '${g.name}' has deletion protection enabled; disable it with PutLogGroupDeletionProtection before deleting the log group.`);
      }
      deps.store.prepare('DELETE FROM logs_groups WHERE id = ?').run(g.id);
      deps.tags.clear(logGroupArn(deps.scope, g.name));
      return {};
    },

    DescribeLogGroups(input: {
      logGroupNamePrefix?: string;
      logGroupNamePattern?: string;
      logGroupClass?: string;
      logGroupIdentifiers?: string[];
      accountIdentifiers?: string[];
      nextToken?: string;
      limit?: number;
    }) {
      const filters = [input.logGroupNamePrefix, input.logGroupNamePattern, input.logGroupIdentifiers].filter((f) => f !== undefined).length;
      if (filters > 1) {
        throw invalidParameter('logGroupNamePrefix, logGroupNamePattern and logGroupIdentifiers are mutually exclusive; specify at most one of them.');
      }
      const foreign = (input.accountIdentifiers ?? []).filter((a) => a !== deps.scope.accountId);
      if (foreign.length) throw invalidParameter(`Berth serves only account ${deps.scope.accountId}; it has no linked account ${foreign[0]}.`);
      const names = input.logGroupIdentifiers?.map((id) => (id.startsWith('arn:') ? groupNameOfArn(deps.scope, id) : id));
      const pattern = input.logGroupNamePattern?.toLowerCase();
      const groups = listGroups(deps).filter(
        (g) =>
          (input.logGroupNamePrefix === undefined || g.name.startsWith(input.logGroupNamePrefix)) &&
          (pattern === undefined || g.name.toLowerCase().includes(pattern)) &&
          (names === undefined || names.includes(g.name)) &&
          (input.logGroupClass === undefined || g.logGroupClass === input.logGroupClass),
      );
      const scope = `DescribeLogGroups\0${input.logGroupNamePrefix ?? ''}\0${input.logGroupNamePattern ?? ''}\0${input.logGroupClass ?? ''}\0${(names ?? []).join('\0')}`;
      const page = paginate(groups, { nextToken: input.nextToken, maxResults: input.limit, defaultMax: 50, limit: 50, scope }, invalidParameter);
      return { logGroups: page.items.map((g) => toWire(deps, g)), nextToken: page.nextToken };
    },

    PutRetentionPolicy(input: { logGroupName: string; retentionInDays: number }) {
      if (!(RETENTION_DAYS as readonly number[]).includes(input.retentionInDays)) {
        throw invalidParameter(
          `1 validation error detected: Value '${input.retentionInDays}' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [${RETENTION_DAYS.join(', ')}]`,
        );
      }
      const g = requireGroup(deps, input.logGroupName);
      deps.store.prepare('UPDATE logs_groups SET retention_days = ? WHERE id = ?').run(input.retentionInDays, g.id);
      sweepGroup(deps, { id: g.id, retentionDays: input.retentionInDays }, deps.now());
      return {};
    },

    DeleteRetentionPolicy(input: { logGroupName: string }) {
      const g = requireGroup(deps, input.logGroupName);
      deps.store.prepare('UPDATE logs_groups SET retention_days = NULL WHERE id = ?').run(g.id);
      return {};
    },
  };
}
