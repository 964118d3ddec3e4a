/**
 * Log events: PutLogEvents, GetLogEvents (forward and backward tokens), FilterLogEvents, and
 * {@link appendEvents}, the one place events are written (the API and Berth's own log writer).
 */
import { createHash } from 'node:crypto';
import type { LogsDeps } from './deps.js';
import { invalidParameter } from './errors.js';
import { compileFilterPattern, FilterPatternError, type EventMatcher } from './filter-pattern.js';
import { DAY_MS, listStreams, requireGroup, requireGroupOf, requireStream, retentionCutoff, type GroupRecord, type StreamRecord } from './records.js';

/** The most bytes one PutLogEvents batch (and one read page) carries: messages in UTF-8 plus {@link EVENT_OVERHEAD} each. */
export const MAX_BATCH_BYTES = 1_048_576;
/** The bytes CloudWatch Logs counts for each event on top of its message. */
export const EVENT_OVERHEAD = 26;
/** The most events in one PutLogEvents batch, and the default and largest read page. */
export const MAX_BATCH_EVENTS = 10_000;
/** Events older than this (ms) are rejected as too old. */
export const MAX_AGE_MS = 14 * DAY_MS;
/** Events further ahead than this (ms) are rejected as too new. */
export const MAX_AHEAD_MS = 2 * 3_600_000;
/** The longest time span (ms) of the accepted events of one batch. */
export const MAX_BATCH_SPAN_MS = DAY_MS;
/** Most events FilterLogEvents examines in one call before it answers with what it found and a nextToken. */
export const FILTER_SCAN_BUDGET = 100_000;

/** An event to store. */
export interface NewEvent {
  /** Epoch milliseconds. */
  timestamp: number;
  message: string;
}

/** The bytes an event counts for against batch and page limits. */
export const eventSize = (message: string) => Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD;

/**
 * Stores events in a stream and updates the stream's and group's counters; returns the id of the
 * last event stored. Callers check the events first; this runs inside the caller's transaction.
 */
export function appendEvents(deps: Pick<LogsDeps, 'store'>, group: GroupRecord, stream: StreamRecord, events: readonly NewEvent[], ingestedAt: number): number {
  const insert = deps.store.prepare('INSERT INTO logs_events (group_id, stream_id, ts, ingested, bytes, message) VALUES (?, ?, ?, ?, ?, ?)');
  let bytes = 0;
  let first = Infinity;
  let last = -Infinity;
  let lastId = 0;
  for (const e of events) {
    const size = Buffer.byteLength(e.message, 'utf8');
    lastId = Number(insert.run(group.id, stream.id, e.timestamp, ingestedAt, size, e.message).lastInsertRowid);
    bytes += size;
    first = Math.min(first, e.timestamp);
    last = Math.max(last, e.timestamp);
  }
  if (events.length === 0) return lastId;
  deps.store
    .prepare(
      `UPDATE logs_streams SET first_event = min(coalesce(first_event, @first), @first), last_event = max(coalesce(last_event, @last), @last),
         last_ingestion = @ingestedAt, stored_bytes = stored_bytes + @bytes WHERE id = @id`,
    )
    .run({ first, last, ingestedAt, bytes, id: stream.id });
  deps.store.prepare('UPDATE logs_groups SET stored_bytes = stored_bytes + ? WHERE id = ?').run(bytes, group.id);
  return lastId;
}

/** Where PutLogEvents rejected events, as `rejectedLogEventsInfo` reports it. */
export interface Rejections {
  tooNewLogEventStartIndex?: number;
  tooOldLogEventEndIndex?: number;
  expiredLogEventEndIndex?: number;
}

/**
 * Splits a checked, chronological batch into the events CloudWatch Logs accepts and the report of
 * those it rejects: too old (over 14 days; end index exclusive), older than the group's retention
 * (end index exclusive), too new (over 2 hours ahead; start index inclusive).
 */
export function classifyEvents(events: readonly NewEvent[], group: Pick<GroupRecord, 'retentionDays'>, now: number): { accepted: NewEvent[]; rejected?: Rejections } {
  const tooOld = now - MAX_AGE_MS;
  const expired = retentionCutoff(group, now);
  const tooNew = now + MAX_AHEAD_MS;
  const rejected: Rejections = {};
  const accepted: NewEvent[] = [];
  events.forEach((e, i) => {
    if (e.timestamp < tooOld) rejected.tooOldLogEventEndIndex = i + 1;
    else if (e.timestamp < expired) rejected.expiredLogEventEndIndex = i + 1;
    else if (e.timestamp > tooNew) rejected.tooNewLogEventStartIndex ??= i;
    else accepted.push(e);
  });
  return { accepted, rejected: Object.keys(rejected).length ? rejected : undefined };
}

// ---- GetLogEvents tokens: 'f/<ts><id>' (after that event) and 'b/<ts><id>' (before it) ----

interface Key {
  ts: number;
  id: number;
}
const KEY_DIGITS = 16;
const MAX_KEY: Key = { ts: Number.MAX_SAFE_INTEGER, id: Number.MAX_SAFE_INTEGER };
const MIN_KEY: Key = { ts: -1, id: 0 };

const encodeKey = (dir: 'f' | 'b', k: Key) =>
  `${dir}/${String(Math.max(k.ts, 0)).padStart(KEY_DIGITS, '0')}${String(k.id).padStart(KEY_DIGITS, '0')}`;

function decodeKey(token: string): { dir: 'f' | 'b'; key: Key } {
  const m = /^([fb])\/(\d{16})(\d{16})$/.exec(token);
  if (!m) throw invalidParameter(`The specified nextToken is invalid: '${token}' is not a token GetLogEvents returned.`);
  const key = { ts: Number(m[2]), id: Number(m[3]) };
  // f/ at ts 0 id 0 stands for "from the head"; keep it inclusive of timestamp 0.
  return { dir: m[1] as 'f' | 'b', key: key.ts === 0 && key.id === 0 ? MIN_KEY : key };
}

/** The key just after `k` / just before `k`, so an empty page's token for the other direction covers `k` itself. */
const succ = (k: Key): Key => ({ ts: k.ts, id: k.id + 1 });
const pred = (k: Key): Key => (k.id > 0 ? { ts: k.ts, id: k.id - 1 } : { ts: k.ts - 1, id: Number.MAX_SAFE_INTEGER });

interface EventRow {
  id: number;
  ts: number;
  ingested: number;
  message: string;
  bytes: number;
}

/** Keeps the first rows that fit in one page of {@link MAX_BATCH_BYTES} (at least one). */
function fitPage<T extends { bytes: number }>(rows: T[]): T[] {
  let size = 0;
  let n = 0;
  for (const r of rows) {
    size += r.bytes + EVENT_OVERHEAD;
    if (size > MAX_BATCH_BYTES && n > 0) break;
    n++;
  }
  return rows.slice(0, n);
}

function timeRange(group: GroupRecord, startTime: number | undefined, endTime: number | undefined, now: number): { lo: number; hi: number } {
  if (startTime !== undefined && endTime !== undefined && startTime > endTime) {
    throw invalidParameter(`startTime (${startTime}) must not be after endTime (${endTime}).`);
  }
  return { lo: Math.max(startTime ?? 0, retentionCutoff(group, now)), hi: endTime ?? Number.MAX_SAFE_INTEGER };
}

function compile(pattern: string | undefined): EventMatcher {
  try {
    return compileFilterPattern(pattern);
  } catch (err) {
    if (err instanceof FilterPatternError) throw invalidParameter(err.message);
    throw err;
  }
}

interface FilterToken {
  ts: number;
  id: number;
  scope: string;
}

function encodeFilterToken(t: FilterToken): string {
  return Buffer.from(JSON.stringify(t), 'utf8').toString('base64url');
}

function decodeFilterToken(token: string, scope: string): Key {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (t && Number.isSafeInteger(t.ts) && Number.isSafeInteger(t.id) && t.scope === scope) return { ts: t.ts, id: t.id };
  } catch {
    // fall through
  }
  throw invalidParameter('The specified nextToken is invalid: it was not returned by FilterLogEvents with the same parameters.');
}

/** Builds the log event operations. */
export function eventOperations(deps: LogsDeps) {
  const { store } = deps;
  return {
    PutLogEvents(input: { logGroupName: string; logStreamName: string; logEvents: NewEvent[]; sequenceToken?: string }) {
      const group = requireGroup(deps, input.logGroupName);
      const stream = requireStream(deps, group.id, input.logStreamName);
      const events = input.logEvents;
      let size = 0;
      for (let i = 0; i < events.length; i++) {
        if (i > 0 && events[i].timestamp < events[i - 1].timestamp) {
          throw invalidParameter('Log events in a single PutLogEvents request must be in chronological order.');
        }
        size += eventSize(events[i].message);
      }
      if (size > MAX_BATCH_BYTES) {
        throw invalidParameter(`Upload too large: ${size} bytes exceeds limit of ${MAX_BATCH_BYTES} (messages in UTF-8 plus ${EVENT_OVERHEAD} bytes per event).`);
      }
      const now = deps.now();
      const { accepted, rejected } = classifyEvents(events, group, now);
      if (accepted.length > 1 && accepted[accepted.length - 1].timestamp - accepted[0].timestamp > MAX_BATCH_SPAN_MS) {
        throw invalidParameter('The batch of log events in a single PutLogEvents request cannot span more than 24 hours.');
      }
      const lastId = appendEvents(deps, group, stream, accepted, now);
      const last = lastId || (store.prepare('SELECT max(id) FROM logs_events WHERE stream_id = ?').pluck().get(stream.id) as number | null) || 0;
      return { nextSequenceToken: String(last).padStart(56, '0'), rejectedLogEventsInfo: rejected };
    },

    GetLogEvents(input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamName: string;
      startTime?: number;
      endTime?: number;
      nextToken?: string;
      limit?: number;
      startFromHead?: boolean;
    }) {
      const group = requireGroupOf(deps, input);
      const stream = requireStream(deps, group.id, input.logStreamName);
      const { lo, hi } = timeRange(group, input.startTime, input.endTime, deps.now());
      const limit = input.limit ?? MAX_BATCH_EVENTS;
      const token = input.nextToken === undefined ? undefined : decodeKey(input.nextToken);
      const forward = token ? token.dir === 'f' : input.startFromHead === true;
      const from = token?.key ?? (forward ? MIN_KEY : MAX_KEY);
      const rows = forward
        ? (store
            .prepare(
              `SELECT id, ts, ingested, message, bytes FROM logs_events
                WHERE stream_id = ? AND ts >= ? AND ts < ? AND (ts, id) > (?, ?) ORDER BY ts, id LIMIT ?`,
            )
            .all(stream.id, lo, hi, from.ts, from.id, limit) as EventRow[])
        : (store
            .prepare(
              `SELECT id, ts, ingested, message, bytes FROM logs_events
                WHERE stream_id = ? AND ts >= ? AND ts < ? AND (ts, id) < (?, ?) ORDER BY ts DESC, id DESC LIMIT ?`,
            )
            .all(stream.id, lo, hi, from.ts, from.id, limit) as EventRow[]);
      const page = fitPage(rows);
      if (!forward) page.reverse();
      let nextForwardToken: string;
      let nextBackwardToken: string;
      if (page.length > 0) {
        nextForwardToken = encodeKey('f', page[page.length - 1]);
        nextBackwardToken = encodeKey('b', page[0]);
      } else if (token) {
        nextForwardToken = forward ? input.nextToken! : encodeKey('f', pred(from));
        nextBackwardToken = forward ? encodeKey('b', succ(from)) : input.nextToken!;
      } else {
        nextForwardToken = encodeKey('f', { ts: 0, id: 0 });
        nextBackwardToken = encodeKey('b', MAX_KEY);
      }
      return {
        events: page.map((r) => ({ timestamp: r.ts, message: r.message, ingestionTime: r.ingested })),
        nextForwardToken,
        nextBackwardToken,
      };
    },

    FilterLogEvents(input: {
      logGroupName?: string;
      logGroupIdentifier?: string;
      logStreamNames?: string[];
      logStreamNamePrefix?: string;
      startTime?: number;
      endTime?: number;
      filterPattern?: string;
      nextToken?: string;
      limit?: number;
    }) {
      if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined) {
        throw invalidParameter('logStreamNames and logStreamNamePrefix are mutually exclusive; specify at most one of them.');
      }
      const group = requireGroupOf(deps, input);
      const matcher = compile(input.filterPattern);
      const { lo, hi } = timeRange(group, input.startTime, input.endTime, deps.now());
      const limit = input.limit ?? MAX_BATCH_EVENTS;
      const selected =
        input.logStreamNames === undefined && input.logStreamNamePrefix === undefined
          ? undefined
          : listStreams(deps, group.id).filter((s) =>
              input.logStreamNames ? input.logStreamNames.includes(s.name) : s.name.startsWith(input.logStreamNamePrefix!),
            );
      const scope = createHash('sha256')
        .update(JSON.stringify([group.id, input.logStreamNames ?? null, input.logStreamNamePrefix ?? null, input.startTime ?? null, input.endTime ?? null, input.filterPattern ?? '']))
        .digest('base64url')
        .slice(0, 22);
      const from = input.nextToken === undefined ? MIN_KEY : decodeFilterToken(input.nextToken, scope);
      const events: { logStreamName: string; timestamp: number; message: string; ingestionTime: number; eventId: string }[] = [];
      if (selected?.length === 0) return { events, searchedLogStreams: [] };
      const streamFilter = selected ? 'AND e.stream_id IN (SELECT value FROM json_each(?))' : '';
      const params: unknown[] = [group.id, lo, hi, from.ts, from.id];
      if (selected) params.push(JSON.stringify(selected.map((s) => s.id)));
      const rows = store
        .prepare(
          `SELECT e.id, e.ts, e.ingested, e.message, e.bytes, s.name AS stream FROM logs_events e JOIN logs_streams s ON s.id = e.stream_id
            WHERE e.group_id = ? AND e.ts >= ? AND e.ts < ? AND (e.ts, e.id) > (?, ?) ${streamFilter} ORDER BY e.ts, e.id`,
        )
        .iterate(...params) as IterableIterator<EventRow & { stream: string }>;
      let scanned = 0;
      let size = 0;
      let last: Key | undefined;
      let stopped = false;
      for (const r of rows) {
        if (events.length >= limit || scanned >= FILTER_SCAN_BUDGET || (events.length > 0 && size + r.bytes + EVENT_OVERHEAD > MAX_BATCH_BYTES)) {
          stopped = true;
          break;
        }
        scanned++;
        last = r;
        if (!matcher(r.message)) continue;
        size += r.bytes + EVENT_OVERHEAD;
        events.push({ logStreamName: r.stream, timestamp: r.ts, message: r.message, ingestionTime: r.ingested, eventId: String(r.id) });
      }
      return {
        events,
        searchedLogStreams: [],
        nextToken: stopped && last ? encodeFilterToken({ ts: last.ts, id: last.id, scope }) : undefined,
      };
    },
  };
}
