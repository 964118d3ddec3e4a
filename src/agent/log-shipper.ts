/**
 * The `awslogs` log driver: ships a container's output (stdout and stderr lines, as the runtime
 * driver captured them) to a CloudWatch Logs group and stream through Berth's log writer.
 *
 * Routing follows ECS: `awslogs-group` (required), `awslogs-stream-prefix` (stream
 * `prefix/container-name/task-id`; without one the stream is named after the container's id,
 * which in Berth is `task-id-container-name`), `awslogs-create-group` (`"true"` makes a missing
 * group; otherwise the writer drops the events and counts them), `awslogs-region` (must be
 * Berth's region), and the multiline options `awslogs-multiline-pattern` (a regular expression)
 * and `awslogs-datetime-format` (strftime, as Docker's awslogs driver converts it): a line that
 * matches starts an event, following lines that do not are appended to it. Other options
 * (`mode`, `max-buffer-size`, `awslogs-endpoint`, ...) are accepted and ignored.
 *
 * Resuming: the shipper reports, after each batch is written, the output-file offset after the
 * last line it shipped; started again from that offset (e.g. after a Berth restart) it loses
 * nothing and repeats nothing. A multiline event still open is not counted as shipped.
 */
import type { Driver, LogLine, TaskHandle } from '../runtime/index.js';
import type { LogWriter, LogTarget } from '../services/logs/index.js';
import { containerRuntimeId } from './container-config.js';

/** Where and how a container's output is shipped. */
export interface AwsLogsSettings {
  target: LogTarget;
  /** A line matching this starts a new event; others continue the open one. None: one event per line. */
  multilineStart?: RegExp;
}

/** What to do with a container's output. */
export type LogRouting =
  /** No `logConfiguration`: the output stays in the driver's file only. */
  | { kind: 'none' }
  | { kind: 'awslogs'; settings: AwsLogsSettings }
  /** The container cannot start as configured: `reason` is its stopped reason. */
  | { kind: 'invalid'; reason: string };

/** Options of {@link logRouting}. */
export interface LogRoutingInput {
  containerName: string;
  taskId: string;
  /** Berth's region; `awslogs-region` must name it. */
  region: string;
  /** The container definition's `logConfiguration`. */
  logConfiguration?: { logDriver: string; options?: Record<string, string> };
}

/** Decides where a container's output goes, or why its `logConfiguration` cannot be honoured. */
export function logRouting(input: LogRoutingInput): LogRouting {
  const lc = input.logConfiguration;
  if (!lc) return { kind: 'none' };
  const fail = (why: string): LogRouting => ({ kind: 'invalid', reason: `CannotStartContainerError: ${why}` });
  if (lc.logDriver !== 'awslogs') return fail(`Berth supports only the awslogs log driver; container ${input.containerName} uses ${lc.logDriver}`);
  const o = lc.options ?? {};
  const group = o['awslogs-group'];
  if (!group) return fail(`failed to initialize logging driver for container ${input.containerName}: must specify a value for log opt 'awslogs-group'`);
  if (o['awslogs-region'] && o['awslogs-region'] !== input.region) {
    return fail(`failed to initialize logging driver for container ${input.containerName}: awslogs-region ${o['awslogs-region']} is not Berth's region ${input.region}`);
  }
  if (o['awslogs-datetime-format'] && o['awslogs-multiline-pattern']) {
    return fail(`failed to initialize logging driver for container ${input.containerName}: you cannot configure log opt 'awslogs-datetime-format' and 'awslogs-multiline-pattern' at the same time`);
  }
  let multilineStart: RegExp | undefined;
  try {
    if (o['awslogs-multiline-pattern']) multilineStart = new RegExp(o['awslogs-multiline-pattern']);
    if (o['awslogs-datetime-format']) multilineStart = new RegExp('^' + strftimeToRegExp(o['awslogs-datetime-format']));
  } catch (err) {
    return fail(`failed to initialize logging driver for container ${input.containerName}: awslogs multiline pattern is not a valid regular expression: ${(err as Error).message}`);
  }
  const prefix = o['awslogs-stream-prefix'];
  const stream = prefix ? `${prefix}/${input.containerName}/${input.taskId}` : containerRuntimeId(input.taskId, input.containerName);
  return { kind: 'awslogs', settings: { target: { group, stream, createGroup: o['awslogs-create-group'] === 'true' }, ...(multilineStart ? { multilineStart } : {}) } };
}

/** Docker's awslogs conversion of strftime directives to regular expressions. */
const STRFTIME: Record<string, string> = {
  a: '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)',
  A: '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)',
  b: '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)',
  B: '(?:January|February|March|April|May|June|July|August|September|October|November|December)',
  d: '(?:0[1-9]|[1,2][0-9]|3[0,1])',
  f: '(?:\\d{6})',
  H: '(?:[0,1][0-9]|2[0-3])',
  I: '(?:0[0-9]|1[0-2])',
  j: '(?:0[0-9][1-9]|[1,2][0-9][0-9]|3[0-5][0-9]|36[0-6])',
  L: '\\.(?:\\d{3})',
  m: '(?:0[1-9]|1[0-2])',
  M: '(?:[0-5][0-9])',
  p: '(?:AM|PM|am|pm)',
  S: '(?:[0-5][0-9])',
  y: '(?:\\d{2})',
  Y: '(?:\\d{4})',
  z: '(?:[+-]\\d{4})',
  Z: '(?:[A-Z]{1,4}T)',
  '%': '%',
};

/** Converts an `awslogs-datetime-format` (strftime) to a regular expression source, as Docker does. */
export function strftimeToRegExp(format: string): string {
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format[i];
    if (ch === '%' && i + 1 < format.length && STRFTIME[format[i + 1]] !== undefined) {
      out += STRFTIME[format[++i]];
    } else {
      out += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return out;
}

/** Options of {@link LogShipper}. */
export interface LogShipperOptions {
  driver: Driver;
  handle: TaskHandle;
  /** Berth's log writer (each batch is appended and flushed before its offset is reported). */
  writer: Pick<LogWriter, 'append' | 'flush'>;
  settings: AwsLogsSettings;
  /** Resume after this output offset (the last one {@link LogShipperOptions.onOffset} reported). Default 0. */
  offset?: number;
  /** Called after each written batch with the offset to resume from; persist it. */
  onOffset?: (offset: number) => void;
  /** How long lines wait to be batched, in ms. Default 200. */
  batchDelayMs?: number;
  /** Most lines in one batch. Default 1000. */
  maxBatchLines?: number;
  /** How long an open multiline event waits for more lines before it is shipped, in ms. Default 5000 (Docker's flush interval). */
  multilineFlushMs?: number;
}

interface OpenEvent {
  timestamp: number;
  lines: string[];
  /** Offset after its last line. */
  endOffset: number;
}

/**
 * Follows one container's output and ships it until the container has exited and everything is
 * shipped, or the start signal aborts (then what is complete is shipped first); a Runnable.
 */
export class LogShipper {
  private batch: { timestamp: number; message: string }[] = [];
  /** Offset after the last line shipped, and after the last line in the batch. */
  private batchEnd: number;
  private pendingEnd = 0;
  private open: OpenEvent | undefined;
  private batchTimer: NodeJS.Timeout | undefined;
  private multilineTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LogShipperOptions) {
    this.batchEnd = options.offset ?? 0;
  }

  /** The offset after the last line written to CloudWatch Logs. */
  get shippedOffset(): number {
    return this.batchEnd;
  }

  /**
   * Ships until the container's output is exhausted (it exited) or `signal` aborts. Rejects at
   * once with the writer's RangeError when the group or stream name is malformed; otherwise the
   * stream is made (and the group, with awslogs-create-group) when the shipper starts, as ECS does.
   */
  async start(signal: AbortSignal): Promise<void> {
    const { driver, handle, writer, settings } = this.options;
    writer.append(settings.target, []);
    writer.flush();
    try {
      for await (const line of driver.readLogs(handle, { offset: this.batchEnd, follow: true, signal })) this.take(line);
      if (!signal.aborted) this.closeOpen();
    } finally {
      clearTimeout(this.batchTimer);
      clearTimeout(this.multilineTimer);
      this.ship();
    }
  }

  private take(line: LogLine): void {
    const start = this.options.settings.multilineStart;
    if (!start) {
      this.add({ timestamp: line.at.getTime(), lines: [line.text], endOffset: line.nextOffset });
      return;
    }
    if (this.open && !start.test(line.text)) {
      this.open.lines.push(line.text);
      this.open.endOffset = line.nextOffset;
    } else {
      this.closeOpen();
      this.open = { timestamp: line.at.getTime(), lines: [line.text], endOffset: line.nextOffset };
    }
    clearTimeout(this.multilineTimer);
    this.multilineTimer = setTimeout(() => {
      this.closeOpen();
      this.ship();
    }, this.options.multilineFlushMs ?? 5000);
  }

  private closeOpen(): void {
    if (!this.open) return;
    const e = this.open;
    this.open = undefined;
    this.add(e);
  }

  private add(e: OpenEvent): void {
    this.batch.push({ timestamp: e.timestamp, message: e.lines.join('\n') });
    this.pendingEnd = e.endOffset;
    if (this.batch.length >= (this.options.maxBatchLines ?? 1000)) this.ship();
    else this.batchTimer ??= setTimeout(() => this.ship(), this.options.batchDelayMs ?? 200);
  }

  /** Writes the batch (append, then flush) and reports the offset after it. */
  private ship(): void {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    if (this.batch.length === 0) return;
    const events = this.batch;
    this.batch = [];
    this.options.writer.append(this.options.settings.target, events);
    this.options.writer.flush();
    this.batchEnd = this.pendingEnd;
    this.options.onOffset?.(this.batchEnd);
  }
}
