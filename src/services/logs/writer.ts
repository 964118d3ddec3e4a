/**
 * Berth's own log ingestion (the `awslogs` log driver's side of it): callers append events for a
 * group and stream; the writer queues them in memory, bounded by events and bytes, and writes them
 * in batches, one transaction per flush. Events that arrive while the queue is full are dropped and
 * counted, and the stream gets one marker event saying how many were lost, so a chatty task costs
 * at most the queue's memory and never blocks.
 */
import type { Store } from '../../state/index.js';
import { appendEvents, EVENT_OVERHEAD, type NewEvent } from './events.js';
import { checkGroupName, findGroup, findStream, insertGroup, insertStream } from './records.js';
import { logsMigrations } from './schema.js';

/** Options for {@link createLogWriter}. */
export interface LogWriterOptions {
  /** Most events queued in memory across all streams. Default 10,000. */
  maxQueuedEvents?: number;
  /** Most message bytes (UTF-8, plus 26 per event) queued in memory across all streams. Default 8 MiB. */
  maxQueuedBytes?: number;
  /** How long an appended event waits before its batch is written, in ms. Default 200. */
  flushIntervalMs?: number;
  /** The clock in epoch milliseconds. Default `Date.now`. */
  now?: () => number;
  /** Where write failures are reported. Default: stderr. */
  log?: (line: string) => void;
}

/** Fully resolved {@link LogWriterOptions}. */
export interface ResolvedLogWriterOptions {
  maxQueuedEvents: number;
  maxQueuedBytes: number;
  flushIntervalMs: number;
  now: () => number;
  log: (line: string) => void;
}

/** Resolves writer options, refusing limits that are not positive whole numbers. */
export function compileLogWriterOptions(o: LogWriterOptions = {}): ResolvedLogWriterOptions {
  const problems: string[] = [];
  const positive = (name: string, v: number | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    if (!Number.isInteger(v) || v < 1) problems.push(`${name} must be a positive whole number; got ${v}.`);
    return v;
  };
  const resolved = {
    maxQueuedEvents: positive('maxQueuedEvents', o.maxQueuedEvents, 10_000),
    maxQueuedBytes: positive('maxQueuedBytes', o.maxQueuedBytes, 8 * 1024 * 1024),
    flushIntervalMs: positive('flushIntervalMs', o.flushIntervalMs, 200),
    now: o.now ?? Date.now,
    log: o.log ?? ((l: string) => process.stderr.write(l + '\n')),
  };
  if (problems.length) throw new RangeError(problems.join(' '));
  return resolved;
}

/** Where appended events go. */
export interface LogTarget {
  group: string;
  stream: string;
  /** Create the group when it does not exist (`awslogs-create-group`); otherwise such events are dropped and counted. */
  createGroup?: boolean;
}

/** What {@link LogWriter.append} did with a call's events. */
export interface AppendResult {
  queued: number;
  dropped: number;
}

/** Counters since the writer was made. */
export interface LogWriterStats {
  queuedEvents: number;
  queuedBytes: number;
  written: number;
  /** Dropped because the queue was full. */
  droppedQueueFull: number;
  /** Dropped because the group did not exist and createGroup was not set. */
  droppedNoGroup: number;
}

/** The largest message of one event; longer messages are split, as Docker's awslogs driver splits them. */
export const MAX_EVENT_MESSAGE_BYTES = 262_144 - EVENT_OVERHEAD;

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
const STREAM_NAME = /^[^:*]{1,512}$/;

/** Splits a message into pieces of at most `maxBytes` UTF-8 bytes, never inside a character. */
export function splitMessage(message: string, maxBytes = MAX_EVENT_MESSAGE_BYTES): string[] {
  if (Buffer.byteLength(message, 'utf8') <= maxBytes) return [message];
  const out: string[] = [];
  let piece = '';
  let size = 0;
  for (const ch of message) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (size + n > maxBytes) {
      out.push(piece);
      piece = '';
      size = 0;
    }
    piece += ch;
    size += n;
  }
  if (piece) out.push(piece);
  return out;
}

interface Pending {
  target: LogTarget;
  events: NewEvent[];
  dropped: number;
}

/** The bounded, batching writer; also a Runnable that flushes until its signal aborts. */
export class LogWriter {
  private readonly opts: ResolvedLogWriterOptions;
  private readonly pending = new Map<string, Pending>();
  private readonly counters: LogWriterStats = { queuedEvents: 0, queuedBytes: 0, written: 0, droppedQueueFull: 0, droppedNoGroup: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly store: Store,
    options: LogWriterOptions = {},
  ) {
    this.opts = compileLogWriterOptions(options);
    store.migrate('logs', logsMigrations);
  }

  /**
   * Queues events for a stream (empty messages are skipped, long ones split). Never blocks:
   * events beyond the queue's limits are dropped and counted. Throws on a malformed target.
   */
  append(target: LogTarget, events: readonly NewEvent[]): AppendResult {
    if (!GROUP_NAME.test(target.group)) throw new RangeError(`Log group name '${target.group}' is not valid: use 1 to 512 of a-z A-Z 0-9 _ - / . #.`);
    checkGroupName(target.group);
    if (!STREAM_NAME.test(target.stream)) throw new RangeError(`Log stream name '${target.stream}' is not valid: 1 to 512 characters, no ':' or '*'.`);
    const key = `${target.group}\0${target.stream}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { target: { ...target }, events: [], dropped: 0 };
      this.pending.set(key, p);
    }
    if (target.createGroup) p.target.createGroup = true;
    const result: AppendResult = { queued: 0, dropped: 0 };
    for (const e of events) {
      for (const message of e.message === '' ? [] : splitMessage(e.message)) {
        const size = Buffer.byteLength(message, 'utf8') + EVENT_OVERHEAD;
        if (this.counters.queuedEvents + 1 > this.opts.maxQueuedEvents || this.counters.queuedBytes + size > this.opts.maxQueuedBytes) {
          p.dropped++;
          this.counters.droppedQueueFull++;
          result.dropped++;
          continue;
        }
        p.events.push({ timestamp: e.timestamp, message });
        this.counters.queuedEvents++;
        this.counters.queuedBytes += size;
        result.queued++;
      }
    }
    this.schedule();
    return result;
  }

  /** Writes everything queued now, in one transaction; returns how many events it stored. */
  flush(): number {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.counters.queuedEvents = 0;
    this.counters.queuedBytes = 0;
    if (batch.length === 0) return 0;
    const now = this.opts.now();
    const deps = { store: this.store, now: this.opts.now };
    let written = 0;
    try {
      this.store.transaction(() => {
        for (const p of batch) {
          let group = findGroup(deps, p.target.group);
          if (!group && !p.target.createGroup) {
            this.counters.droppedNoGroup += p.events.length;
            continue;
          }
          group ??= insertGroup(deps, { name: p.target.group });
          const stream = findStream(deps, group.id, p.target.stream) ?? insertStream(deps, group, p.target.stream);
          const events = p.events.sort((a, b) => a.timestamp - b.timestamp);
          if (p.dropped > 0) {
            events.push({
              timestamp: Math.max(now, events.at(-1)?.timestamp ?? now),
              message: `[berth] ${p.dropped} log event${p.dropped === 1 ? ' was' : 's were'} dropped: the log queue was full (${this.opts.maxQueuedEvents} events or ${this.opts.maxQueuedBytes} bytes).`,
            });
          }
          appendEvents(deps, group, stream, events, now);
          written += events.length;
        }
      });
    } catch (err) {
      this.opts.log(`logs writer: could not store ${batch.reduce((n, p) => n + p.events.length, 0)} events: ${(err as Error).message}`);
      return 0;
    }
    this.counters.written += written;
    return written;
  }

  /** The writer's counters. */
  stats(): LogWriterStats {
    return { ...this.counters };
  }

  /** Flushes on a timer until `signal` aborts, then flushes what is left. */
  async start(signal: AbortSignal): Promise<void> {
    this.running = true;
    this.schedule();
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    this.running = false;
    this.flush();
  }

  private schedule(): void {
    if (!this.running || this.pending.size === 0) return;
    const half = this.counters.queuedEvents * 2 >= this.opts.maxQueuedEvents || this.counters.queuedBytes * 2 >= this.opts.maxQueuedBytes;
    if (this.timer && !half) return;
    // A half-full queue is written at once rather than at the end of the interval.
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, half ? 0 : this.opts.flushIntervalMs);
  }
}

/** Makes Berth's internal log writer over a store (see {@link LogWriter}; add it to the Manager to flush on a timer). */
export function createLogWriter(store: Store, options?: LogWriterOptions): LogWriter {
  return new LogWriter(store, options);
}
