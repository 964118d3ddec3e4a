/**
 * Berth's container output file format, shared by drivers: one line per output line,
 * `<ISO-8601 time> <O|E> <text>\n` (O = stdout, E = stderr), appended by a writer that outlives
 * Berth and read from a byte offset, so a reader that keeps its offset resumes where it was.
 */
import { open } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LogLine, OutputStream, ReadLogsOptions } from './driver.js';

/** Longest text of one log line, in characters; longer output lines are split (≤ 256 KiB in UTF-8, CloudWatch's event limit). */
export const MAX_LOG_LINE_CHARS = 65_536;

const STREAM_CODE: Record<OutputStream, string> = { stdout: 'O', stderr: 'E' };

/** Formats one captured line for the output file. */
export function formatLogLine(stream: OutputStream, text: string, at: Date): string {
  return `${at.toISOString()} ${STREAM_CODE[stream]} ${text}\n`;
}

/** Parses one line of the output file (without its newline); undefined for a malformed one. */
export function parseLogLine(line: string): { stream: OutputStream; text: string; at: Date } | undefined {
  const m = /^(\S+) ([OE]) ([\s\S]*)$/.exec(line);
  if (!m) return undefined;
  const at = new Date(m[1]!);
  if (Number.isNaN(at.getTime())) return undefined;
  return { stream: m[2] === 'O' ? 'stdout' : 'stderr', text: m[3]!, at };
}

/** Cuts one output stream's bytes into lines (UTF-8 safe across chunks, long lines split). */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** Adds a chunk; returns the complete lines it finished. */
  push(chunk: Buffer): string[] {
    const parts = (this.partial + this.decoder.write(chunk)).split('\n');
    this.partial = parts.pop()!;
    const lines = parts.flatMap(splitLong);
    while (this.partial.length > MAX_LOG_LINE_CHARS) {
      lines.push(this.partial.slice(0, MAX_LOG_LINE_CHARS));
      this.partial = this.partial.slice(MAX_LOG_LINE_CHARS);
    }
    return lines;
  }

  /** Ends the stream; returns the last, unterminated line if there is one. */
  end(): string[] {
    const rest = this.partial + this.decoder.end();
    this.partial = '';
    return rest === '' ? [] : splitLong(rest);
  }
}

function splitLong(line: string): string[] {
  if (line.length <= MAX_LOG_LINE_CHARS) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += MAX_LOG_LINE_CHARS) out.push(line.slice(i, i + MAX_LOG_LINE_CHARS));
  return out;
}

/** How often a following reader looks for new output. */
const FOLLOW_POLL_MS = 100;
const READ_CHUNK = 64 * 1024;

/**
 * Reads an output file from an offset as {@link LogLine}s. With `follow`, waits for more until
 * `finished()` says the writer is done (checked before the last read, so nothing is missed).
 * A missing file reads as empty.
 */
export async function* readLogFile(path: string, options: ReadLogsOptions, finished: () => Promise<boolean>): AsyncGenerator<LogLine> {
  let offset = options.offset ?? 0;
  const signal = options.signal;
  let pending = Buffer.alloc(0);
  let pendingStart = offset;
  for (;;) {
    if (signal?.aborted) return;
    const done = options.follow ? await finished() : true;
    const handle = await open(path, 'r').catch(() => undefined);
    if (handle) {
      try {
        const buf = Buffer.allocUnsafe(READ_CHUNK);
        for (;;) {
          const { bytesRead } = await handle.read(buf, 0, READ_CHUNK, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          pending = Buffer.concat([pending, buf.subarray(0, bytesRead)]);
          let nl: number;
          while ((nl = pending.indexOf(10)) >= 0) {
            const parsed = parseLogLine(pending.subarray(0, nl).toString('utf8'));
            pendingStart += nl + 1;
            pending = pending.subarray(nl + 1);
            if (parsed) yield { ...parsed, nextOffset: pendingStart };
            if (signal?.aborted) return;
          }
        }
      } finally {
        await handle.close();
      }
    }
    if (done) return;
    try {
      await sleep(FOLLOW_POLL_MS, undefined, { signal });
    } catch {
      return;
    }
  }
}
