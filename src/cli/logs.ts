/** `berth logs`: print a log group's events through the CloudWatch Logs API, and follow new ones. */
import type { FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { OptionsError } from '../config/index.js';
import { noCredentialsMessage, resolveClientTarget } from './env.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: berth logs <log-group> [--stream-prefix PREFIX] [--since DURATION|TIME] [--follow] [options]

Prints the events of a CloudWatch Logs log group in Berth, oldest first, one per line:
  TIMESTAMP STREAM MESSAGE
  --stream-prefix P  Only streams whose names start with P (ECS tasks log to PREFIX/CONTAINER/TASK-ID).
  --since S          Start this long ago (30s, 10m, 2h, 1d, 1w) or at an ISO 8601 time (default 10m, as 'aws logs tail').
  --follow, -f       Keep printing new events until interrupted (Ctrl-C).

It reads through the API, at the endpoint and with the credentials 'berth env' finds:
${COMMON_FLAGS}`;

/** How often --follow asks for new events, in ms. */
const POLL_MS = 1000;
const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const COMMON_VALUE_FLAGS = new Set(['--host', '--port', '--data-dir', '--region']);

/** Parses `--since`: a duration back from `now` or an ISO 8601 time, as epoch ms. */
export function parseSince(value: string, now: number): number {
  const m = /^(\d+)([smhdw])$/.exec(value);
  if (m) return now - Number(m[1]) * UNITS[m[2]];
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new OptionsError(`--since must be a duration like 30s, 10m, 2h, 1d, 1w or an ISO 8601 time; got '${value}'.`);
  return t;
}

interface LogsFlags {
  group?: string;
  streamPrefix?: string;
  since: string;
  follow: boolean;
  rest: string[];
}

function parseLogsFlags(args: string[]): LogsFlags {
  const out: LogsFlags = { since: '10m', follow: false, rest: [] };
  const value = (i: number, name: string) => {
    if (i >= args.length) throw new OptionsError(`${name} needs a value.`);
    return args[i];
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--follow' || flag === '-f') out.follow = true;
    else if (flag === '--stream-prefix') out.streamPrefix = inline ?? value(++i, flag);
    else if (flag === '--since') out.since = inline ?? value(++i, flag);
    else if (COMMON_VALUE_FLAGS.has(flag)) out.rest.push(a, ...(inline === undefined ? [value(++i, flag)] : []));
    else if (a.startsWith('-')) out.rest.push(a);
    else if (out.group === undefined) out.group = a;
    else throw new OptionsError(`berth logs takes one log group; got '${out.group}' and '${a}'.`);
  }
  return out;
}

/** Runs `berth logs`. */
export async function runLogs(args: string[]): Promise<number> {
  const flags = parseLogsFlags(args);
  const common = parseCommonFlags(flags.rest);
  if (common.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (flags.group === undefined) throw new OptionsError(`berth logs needs a log group name.\n\n${HELP}`);
  const target = resolveClientTarget(common);
  if (!target) {
    process.stderr.write(noCredentialsMessage(common));
    return 1;
  }
  // Loaded here, not at the top, so the other subcommands never need the SDK.
  const { CloudWatchLogsClient, FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const client = new CloudWatchLogsClient({ endpoint: target.endpoint, region: target.region, credentials: target.credentials, maxAttempts: 3 });
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let startTime = parseSince(flags.since, Date.now());
    // Events at the newest timestamp already printed, so a poll that starts there prints each once.
    let seenAtStart = new Set<string>();
    do {
      let nextToken: string | undefined;
      do {
        const page = await client.send(
          new FilterLogEventsCommand({ logGroupName: flags.group, logStreamNamePrefix: flags.streamPrefix, startTime, nextToken }),
        );
        for (const e of page.events ?? []) {
          if (e.timestamp === undefined || e.eventId === undefined || (e.timestamp === startTime && seenAtStart.has(e.eventId))) continue;
          process.stdout.write(formatEvent(e));
          if (e.timestamp > startTime) {
            startTime = e.timestamp;
            seenAtStart = new Set();
          }
          seenAtStart.add(e.eventId);
        }
        nextToken = page.nextToken;
      } while (nextToken && !stopped);
      if (!flags.follow || stopped) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS);
      });
    } while (!stopped);
    return 0;
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`berth: ${e.name}: ${e.message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    client.destroy();
  }
}

function formatEvent(e: FilteredLogEvent): string {
  return `${new Date(e.timestamp!).toISOString()} ${e.logStreamName} ${e.message}\n`;
}
