/** Log streams: CreateLogStream, DeleteLogStream, DescribeLogStreams. */
import { paginate } from '../../pagination/index.js';
import type { LogsDeps } from './deps.js';
import { invalidParameter } from './errors.js';
import { insertStream, listStreams, logStreamArn, requireGroup, requireGroupOf, requireStream, type GroupRecord, type StreamRecord } from './records.js';

function toWire(deps: LogsDeps, g: GroupRecord, s: StreamRecord): Record<string, unknown> {
  return {
    logStreamName: s.name,
    creationTime: s.createdAt,
    firstEventTimestamp: s.firstEvent ?? undefined,
    lastEventTimestamp: s.lastEvent ?? undefined,
    lastIngestionTime: s.lastIngestion ?? undefined,
    arn: logStreamArn(deps.scope, g.name, s.name),
    storedBytes: s.storedBytes,
  };
}

/** Builds the log stream operations. */
export function streamOperations(deps: LogsDeps) {
  return {
    CreateLogStream(input: { logGroupName: string; logStreamName: string }) {
      insertStream(deps, requireGroup(deps, input.logGroupName), input.logStreamName);
      return {};
    },

    DeleteLogStream(input: { logGroupName: string; logStreamName: string }) {
      const g = requireGroup(deps, input.logGroupName);
      const s = requireStream(deps, g.id, input.logStreamName);
      deps.store.prepare('DELETE FROM logs_streams WHERE id = ?').run(s.id);
      deps.store.prepare('UPDATE logs_groups SET stored_bytes = max(0, stored_bytes - ?) WHERE id = ?').run(s.storedBytes, g.id);
      return {};
    },

    DescribeLogStreams(input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamNamePrefix?: string;
      orderBy?: 'LogStreamName' | 'LastEventTime';
      descending?: boolean;
      nextToken?: string;
      limit?: number;
    }) {
      const orderBy = input.orderBy ?? 'LogStreamName';
      if (orderBy === 'LastEventTime' && input.logStreamNamePrefix !== undefined) {
        throw invalidParameter('Cannot order by LastEventTime with a logStreamNamePrefix.');
      }
      const g = requireGroupOf(deps, input);
      const prefix = input.logStreamNamePrefix;
      const streams = listStreams(deps, g.id).filter((s) => prefix === undefined || s.name.startsWith(prefix));
      if (orderBy === 'LastEventTime') streams.sort((a, b) => (a.lastEvent ?? 0) - (b.lastEvent ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      if (input.descending) streams.reverse();
      const scope = `DescribeLogStreams\0${g.id}\0${prefix ?? ''}\0${orderBy}\0${input.descending ? 1 : 0}`;
      const page = paginate(streams, { nextToken: input.nextToken, maxResults: input.limit, defaultMax: 50, limit: 50, scope }, invalidParameter);
      return { logStreams: page.items.map((s) => toWire(deps, g, s)), nextToken: page.nextToken };
    },
  };
}
