/**
 * `berth logs`: print a log group's events, or an ECS task's or service's container output, through
 * the CloudWatch Logs API, and follow new ones.
 */
import type { CloudWatchLogsClient, FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import { OptionsError } from '../config/index.js';
import { noCredentialsMessage, resolveClientTarget } from './env.js';
import { ecsLogResolver, type LogSource } from './logs-ecs.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: berth logs <log-group> [--stream-prefix PREFIX] [--since DURATION|TIME] [--follow] [options]
       berth logs <cluster> <task-id|task-arn|service-name> [--since DURATION|TIME] [--follow] [options]

With one argument, prints the events of a CloudWatch Logs log group in Berth, oldest first:
  TIMESTAMP STREAM MESSAGE
With two, the first is a cluster and the second a task (its 32-hex id or ARN) or else a service
(all its tasks, running and stopped); prints the output of their awslogs containers, interleaved
by time:
  TIMESTAMP CONTAINER MESSAGE          (a task)
  TIMESTAMP CONTAINER/TASK-ID MESSAGE  (a service; --follow picks up tasks that start later)
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
  /** The log group, or the cluster and the task or service. */
  positional: string[];
  streamPrefix?: string;
  since: string;
  follow: boolean;
  rest: string[];
}

function parseLogsFlags(args: string[]): LogsFlags {
  const out: LogsFlags = { positional: [], since: '10m', follow: false, rest: [] };
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
    else if (out.positional.length < 2) out.positional.push(a);
    else throw new OptionsError(`berth logs takes a log group, or a cluster and a task or service; got '${[...out.positional, a].join("' '")}'.`);
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
  if (flags.positional.length === 0) throw new OptionsError(`berth logs needs a log group name, or a cluster and a task or service.\n\n${HELP}`);
  if (flags.positional.length === 2 && flags.streamPrefix !== undefined) throw new OptionsError('--stream-prefix applies to a log group, not to a task or service.');
  const since = parseSince(flags.since, Date.now());
  const target = resolveClientTarget(common);
  if (!target) {
    process.stderr.write(noCredentialsMessage(common));
    return 1;
  }
  // Loaded here, not at the top, so the other subcommands never need the SDK.
  const { CloudWatchLogsClient } = await import('@aws-sdk/client-cloudwatch-logs');
  const config = { endpoint: target.endpoint, region: target.region, credentials: target.credentials, maxAttempts: 3 };
  const client = new CloudWatchLogsClient(config);
  const clients: { destroy(): void }[] = [client];
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let resolve: () => Promise<LogSource[]>;
    if (flags.positional.length === 1) {
      const source: LogSource = { logGroupName: flags.positional[0], logStreamNamePrefix: flags.streamPrefix };
      resolve = async () => [source];
    } else {
      const { ECSClient } = await import('@aws-sdk/client-ecs');
      const ecs = new ECSClient(config);
      clients.push(ecs);
      resolve = ecsLogResolver(ecs, flags.positional[0], flags.positional[1], (line) => process.stderr.write(line + '\n'));
    }
    await printEvents(client, resolve, since, { follow: flags.follow, stopped: () => stopped, idle: () => new Promise<void>((r) => ((wake = r), setTimeout(r, POLL_MS))) });
    return 0;
  } catch (err) {
    const e = err as Error;
    if (e instanceof OptionsError) throw e;
    process.stderr.write(`berth: ${e.name}: ${e.message}\n`);
    return 1;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    for (const c of clients) c.destroy();
  }
}

/** Where one source has been read up to: the newest timestamp printed and the events printed at it. */
interface Cursor {
  startTime: number;
  seenAtStart: Set<string>;
}

/**
 * Prints the events of every source from `since`, interleaved by time within each round, and with
 * `follow` keeps polling (sources are resolved again each round, so new tasks join) until stopped.
 * A source whose log group does not exist yet prints nothing.
 */
async function printEvents(
  client: CloudWatchLogsClient,
  resolve: () => Promise<LogSource[]>,
  since: number,
  loop: { follow: boolean; stopped: () => boolean; idle: () => Promise<void> },
): Promise<void> {
  const { FilterLogEventsCommand } = await import('@aws-sdk/client-cloudwatch-logs');
  const cursors = new Map<string, Cursor>();
  do {
    const round: { event: FilteredLogEvent; label?: string }[] = [];
    for (const source of await resolve()) {
      const key = JSON.stringify([source.logGroupName, source.logStreamName, source.logStreamNamePrefix]);
      let cursor = cursors.get(key);
      if (!cursor) cursors.set(key, (cursor = { startTime: since, seenAtStart: new Set() }));
      let nextToken: string | undefined;
      const from = cursor.startTime;
      do {
        const page = await client
          .send(
            new FilterLogEventsCommand({
              logGroupName: source.logGroupName,
              logStreamNames: source.logStreamName === undefined ? undefined : [source.logStreamName],
              logStreamNamePrefix: source.logStreamNamePrefix,
              startTime: from,
              nextToken,
            }),
          )
          .catch((err: Error) => {
            // A task's group may not exist until its container first writes; a named group must.
            if (err.name === 'ResourceNotFoundException' && source.logStreamName !== undefined) return { events: [], nextToken: undefined };
            throw err;
          });
        for (const e of page.events ?? []) {
          if (e.timestamp === undefined || e.eventId === undefined || (e.timestamp === cursor.startTime && cursor.seenAtStart.has(e.eventId))) continue;
          round.push({ event: e, label: source.label });
          if (e.timestamp > cursor.startTime) {
            cursor.startTime = e.timestamp;
            cursor.seenAtStart = new Set();
          }
          cursor.seenAtStart.add(e.eventId);
        }
        nextToken = page.nextToken;
      } while (nextToken && !loop.stopped());
    }
    round.sort((a, b) => a.event.timestamp! - b.event.timestamp!);
    for (const r of round) process.stdout.write(formatEvent(r.event, r.label));
    if (!loop.follow || loop.stopped()) break;
    await loop.idle();
  } while (!loop.stopped());
}

function formatEvent(e: FilteredLogEvent, label = e.logStreamName): string {
  return `${new Date(e.timestamp!).toISOString()} ${label} ${e.message}\n`;
}
