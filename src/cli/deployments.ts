/**
 * `berth deployments`: follow a CodeDeploy blue/green deployment live (`watch`) and list recent
 * ones (`ls`), through the CodeDeploy API at the endpoint and with the credentials `berth env` finds.
 *
 * The rendering is pure ({@link renderDeployment} for a terminal, {@link summaryLine} for logs and
 * pipes): it takes GetDeployment's and GetDeploymentTarget's answers as the SDK returns them.
 */
import type { CodeDeployClient, DeploymentInfo, DeploymentTarget, ECSTaskSet, LifecycleEvent } from '@aws-sdk/client-codedeploy';
import { OptionsError } from '../config/index.js';
import { noCredentialsMessage, resolveClientTarget } from './env.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: berth deployments watch <deployment-id> [--interval SECONDS] [options]
       berth deployments ls [--application-name APP] [--deployment-group-name GROUP] [--max N] [options]

watch   Follows a CodeDeploy deployment until it ends: its status, each lifecycle event, the
        production traffic split between the original (blue) and replacement (green) task sets,
        and each task set's running/desired tasks; then the result (with the error, and the
        rollback deployment if there is one). On a terminal it redraws in place; otherwise it
        prints a line each time something changes.
        Exit status: 0 Succeeded, 1 Failed or Stopped (or an API error, e.g. an unknown id),
        2 bad usage, 130 interrupted.
  --interval S       Seconds between polls (default 1).
ls      Lists deployments, newest first: ID STATUS APPLICATION/GROUP CREATED.
  --application-name A, --deployment-group-name G   Only this application (and group).
  --max N            At most N deployments (default 20).

${COMMON_FLAGS}`;

const COMMON_VALUE_FLAGS = new Set(['--host', '--port', '--data-dir', '--region']);
/** Deployment statuses after which nothing changes any more. */
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped']);
/** Cells of the traffic bar. */
const BAR_CELLS = 20;

// ---------------------------------------------------------------------------------------------
// Rendering (pure)

/** The production split: percent of traffic on the original (blue) and replacement (green) task sets. */
export function trafficSplit(target: DeploymentTarget | undefined): { blue: number; green: number } | undefined {
  const sets = target?.ecsTarget?.taskSetsInfo;
  if (!sets?.length) return undefined;
  const weight = (label: string) => sets.find((s) => s.taskSetLabel === label)?.trafficWeight ?? 0;
  return { blue: weight('Blue'), green: weight('Green') };
}

const percent = (n: number) => `${Number.isInteger(n) ? n : n.toFixed(1)}%`;

/** `blue ████████████████░░░░ green  80% / 20%`: blue's share filled, green's shaded. */
export function trafficBar(split: { blue: number; green: number }, cells = BAR_CELLS): string {
  const total = split.blue + split.green;
  const blueCells = total > 0 ? Math.round((split.blue / total) * cells) : cells;
  return `blue ${'█'.repeat(blueCells)}${'░'.repeat(cells - blueCells)} green  ${percent(split.blue)} / ${percent(split.green)}`;
}

/** The event under way: the one InProgress, else (while the deployment runs) the first Pending. */
export function currentEvent(info: DeploymentInfo | undefined, target: DeploymentTarget | undefined): LifecycleEvent | undefined {
  const events = target?.ecsTarget?.lifecycleEvents ?? [];
  const running = events.find((e) => e.status === 'InProgress');
  if (running || FINAL.has(info?.status ?? '')) return running;
  return events.find((e) => e.status === 'Pending');
}

const MARK: Record<string, string> = { Succeeded: '✓', Failed: '✗', InProgress: '▸', Pending: '·', Skipped: '-', Unknown: '?' };

function taskSetLine(s: ECSTaskSet): string {
  const label = (s.taskSetLabel ?? '?').toLowerCase().padEnd(5);
  const pending = s.pendingCount ? `, ${s.pendingCount} pending` : '';
  const tg = s.targetGroup?.name ? `  target group ${s.targetGroup.name}` : '';
  return `  ${label} ${s.identifer ?? '?'}  ${s.status ?? ''}  running ${s.runningCount ?? 0}/${s.desiredCount ?? 0}${pending}${tg}`;
}

/** The end of a deployment: its outcome, error and rollback, or undefined while it runs. */
function resultLines(info: DeploymentInfo): string[] {
  if (!FINAL.has(info.status ?? '')) return [];
  const out = [`Result: ${info.status}`];
  if (info.errorInformation?.code || info.errorInformation?.message) {
    out[0] += ` — ${[info.errorInformation.code, info.errorInformation.message].filter(Boolean).join(': ')}`;
  }
  const rb = info.rollbackInfo;
  if (rb?.rollbackDeploymentId) out.push(`Rollback deployment: ${rb.rollbackDeploymentId} (berth deployments watch ${rb.rollbackDeploymentId})`);
  if (rb?.rollbackMessage) out.push(`Rollback: ${rb.rollbackMessage}`);
  return out;
}

/** What the deployment waits for, when it waits for someone. */
function waitLine(info: DeploymentInfo): string | undefined {
  if (info.status === 'Ready') return `Waiting: traffic is not shifted until 'aws deploy continue-deployment --deployment-id ${info.deploymentId} --deployment-wait-type READY_WAIT' (or the wait ends)`;
  if (info.instanceTerminationWaitTimeStarted && !FINAL.has(info.status ?? '')) {
    return `Waiting: the original task set is removed when the termination wait ends (or on 'aws deploy continue-deployment --deployment-id ${info.deploymentId} --deployment-wait-type TERMINATION_WAIT')`;
  }
  return undefined;
}

/**
 * The full picture of a deployment, for a terminal: header and status, each lifecycle event with
 * its status, the traffic bar, the task sets, and the result once it ended.
 */
export function renderDeployment(info: DeploymentInfo, target: DeploymentTarget | undefined): string {
  const lines: string[] = [];
  const where = [info.applicationName, info.deploymentGroupName].filter(Boolean).join('/');
  lines.push(`Deployment ${info.deploymentId}  ${where}  ${info.deploymentConfigName ?? ''}`.trimEnd());
  const rolling = info.rollbackInfo?.rollbackTriggeringDeploymentId ? `  (rolls back ${info.rollbackInfo.rollbackTriggeringDeploymentId})` : '';
  lines.push(`Status: ${info.status ?? '?'}${rolling}`);
  const wait = waitLine(info);
  if (wait) lines.push(wait);
  const events = target?.ecsTarget?.lifecycleEvents ?? [];
  const current = currentEvent(info, target);
  if (events.length) {
    lines.push(`Lifecycle: ${current?.lifecycleEventName ?? (FINAL.has(info.status ?? '') ? 'done' : '-')}`);
    const width = Math.max(...events.map((e) => (e.lifecycleEventName ?? '').length));
    for (const e of events) {
      const diag = e.diagnostics?.message ? `  ${e.diagnostics.message}` : '';
      lines.push(`  ${MARK[e.status ?? 'Unknown'] ?? '?'} ${(e.lifecycleEventName ?? '').padEnd(width)}  ${e.status ?? ''}${diag}`);
    }
  }
  const split = trafficSplit(target);
  if (split) lines.push(`Traffic: ${trafficBar(split)}`);
  const sets = target?.ecsTarget?.taskSetsInfo ?? [];
  if (sets.length) {
    lines.push('Task sets:');
    for (const s of [...sets].sort((a, b) => (a.taskSetLabel ?? '').localeCompare(b.taskSetLabel ?? ''))) lines.push(taskSetLine(s));
  }
  lines.push(...resultLines(info));
  return lines.join('\n') + '\n';
}

/**
 * One line of the same, for a pipe or log (printed when it differs from the last one):
 * `InProgress AllowTraffic blue ██░░ green 80% / 20% blue 2/2 green 2/2`, then the result lines.
 */
export function summaryLine(info: DeploymentInfo, target: DeploymentTarget | undefined): string {
  const parts = [info.deploymentId ?? '?', info.status ?? '?'];
  const current = currentEvent(info, target);
  if (current?.lifecycleEventName) parts.push(`${current.lifecycleEventName}${current.status === 'Pending' ? ' (pending)' : ''}`);
  const split = trafficSplit(target);
  if (split) parts.push(trafficBar(split));
  for (const s of [...(target?.ecsTarget?.taskSetsInfo ?? [])].sort((a, b) => (a.taskSetLabel ?? '').localeCompare(b.taskSetLabel ?? ''))) {
    parts.push(`${(s.taskSetLabel ?? '?').toLowerCase()} ${s.runningCount ?? 0}/${s.desiredCount ?? 0}`);
  }
  const failed = (target?.ecsTarget?.lifecycleEvents ?? []).find((e) => e.status === 'Failed');
  if (failed && !FINAL.has(info.status ?? '')) parts.push(`${failed.lifecycleEventName} failed`);
  const wait = info.status === 'Ready' ? 'waiting for READY_WAIT' : info.instanceTerminationWaitTimeStarted && !FINAL.has(info.status ?? '') ? 'termination wait' : undefined;
  if (wait) parts.push(wait);
  return [parts.join('  '), ...resultLines(info)].join('\n') + '\n';
}

/** The exit status for a deployment's final status (undefined while it runs). */
export function exitStatus(status: string | undefined): number | undefined {
  if (status === 'Succeeded') return 0;
  if (status === 'Failed' || status === 'Stopped') return 1;
  return undefined;
}

/** `ls`'s rows, newest first: ID STATUS APPLICATION/GROUP CREATED (ISO 8601). */
export function renderDeploymentList(infos: readonly DeploymentInfo[], max: number): string {
  const rows = [...infos]
    .sort((a, b) => (b.createTime?.getTime() ?? 0) - (a.createTime?.getTime() ?? 0))
    .slice(0, max)
    .map((d) => [d.deploymentId ?? '', d.status ?? '', `${d.applicationName ?? ''}/${d.deploymentGroupName ?? ''}`, d.createTime?.toISOString() ?? '']);
  if (rows.length === 0) return 'No deployments.\n';
  const table = [['DEPLOYMENT', 'STATUS', 'APPLICATION/GROUP', 'CREATED'], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// The command

interface DeploymentsFlags {
  sub?: string;
  positional: string[];
  interval: number;
  applicationName?: string;
  deploymentGroupName?: string;
  max: number;
  rest: string[];
}

/** Parses `berth deployments` arguments (throws OptionsError, exit 2, for bad usage). */
export function parseDeploymentsFlags(args: string[]): DeploymentsFlags {
  const out: DeploymentsFlags = { positional: [], interval: 1, max: 20, rest: [] };
  const value = (i: number, name: string) => {
    if (i >= args.length) throw new OptionsError(`${name} needs a value.`);
    return args[i];
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--interval') {
      const v = inline ?? value(++i, flag);
      const n = Number(v);
      if (!/^\d+(\.\d+)?$/.test(v) || n < 0.1 || n > 3600) throw new OptionsError(`--interval must be a number of seconds from 0.1 to 3600; got '${v}'.`);
      out.interval = n;
    } else if (flag === '--max') {
      const v = inline ?? value(++i, flag);
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new OptionsError(`--max must be a whole number of at least 1; got '${v}'.`);
      out.max = Number(v);
    } else if (flag === '--application-name') out.applicationName = inline ?? value(++i, flag);
    else if (flag === '--deployment-group-name') out.deploymentGroupName = inline ?? value(++i, flag);
    else if (COMMON_VALUE_FLAGS.has(flag)) out.rest.push(a, ...(inline === undefined ? [value(++i, flag)] : []));
    else if (a.startsWith('-')) out.rest.push(a);
    else if (out.sub === undefined) out.sub = a;
    else out.positional.push(a);
  }
  return out;
}

/** Runs `berth deployments`. */
export async function runDeployments(args: string[]): Promise<number> {
  const flags = parseDeploymentsFlags(args);
  const common = parseCommonFlags(flags.rest);
  if (common.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (flags.sub === 'watch') {
    if (flags.positional.length !== 1) throw new OptionsError(`berth deployments watch takes one deployment id (d-XXXXXXXXX).\n\n${HELP}`);
  } else if (flags.sub === 'ls') {
    if (flags.positional.length) throw new OptionsError(`berth deployments ls takes no arguments; got '${flags.positional.join("' '")}'.`);
    if (flags.deploymentGroupName !== undefined && flags.applicationName === undefined) throw new OptionsError('--deployment-group-name needs --application-name.');
  } else {
    throw new OptionsError(flags.sub === undefined ? `berth deployments needs a subcommand: watch or ls.\n\n${HELP}` : `unknown deployments subcommand '${flags.sub}'; use watch or ls.`);
  }
  const target = resolveClientTarget(common);
  if (!target) {
    process.stderr.write(noCredentialsMessage(common));
    return 1;
  }
  // Loaded here, not at the top, so the other subcommands never need the SDK.
  const { CodeDeployClient } = await import('@aws-sdk/client-codedeploy');
  const client = new CodeDeployClient({ endpoint: target.endpoint, region: target.region, credentials: target.credentials, maxAttempts: 3 });
  try {
    if (flags.sub === 'ls') {
      process.stdout.write(await listDeployments(client, flags));
      return 0;
    }
    return await watch(client, flags.positional[0], flags.interval * 1000);
  } catch (err) {
    const e = err as Error;
    process.stderr.write(`berth: ${e.name}: ${e.message}\n`);
    return 1;
  } finally {
    client.destroy();
  }
}

async function listDeployments(client: CodeDeployClient, flags: DeploymentsFlags): Promise<string> {
  const { ListDeploymentsCommand, BatchGetDeploymentsCommand } = await import('@aws-sdk/client-codedeploy');
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListDeploymentsCommand({ applicationName: flags.applicationName, deploymentGroupName: flags.deploymentGroupName, nextToken }));
    ids.push(...(page.deployments ?? []));
    nextToken = page.nextToken;
  } while (nextToken && ids.length < 10_000);
  const infos: DeploymentInfo[] = [];
  // BatchGetDeployments takes at most 25 ids.
  for (let i = 0; i < ids.length; i += 25) {
    const batch = await client.send(new BatchGetDeploymentsCommand({ deploymentIds: ids.slice(i, i + 25) }));
    infos.push(...(batch.deploymentsInfo ?? []));
  }
  return renderDeploymentList(infos, flags.max);
}

/** A failure to reach Berth at all (no HTTP answer), as opposed to an API error. */
const unreachable = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === undefined;

async function watch(client: CodeDeployClient, deploymentId: string, intervalMs: number): Promise<number> {
  const { GetDeploymentCommand, GetDeploymentTargetCommand, ListDeploymentTargetsCommand } = await import('@aws-sdk/client-codedeploy');
  const tty = process.stdout.isTTY === true;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let shown = '';
  let shownLines = 0;
  let targetId: string | undefined;
  let unreachableSaid = false;
  try {
    for (;;) {
      let info: DeploymentInfo | undefined;
      let target: DeploymentTarget | undefined;
      try {
        info = (await client.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo;
        targetId ??= (await client.send(new ListDeploymentTargetsCommand({ deploymentId }))).targetIds?.[0];
        if (targetId) target = (await client.send(new GetDeploymentTargetCommand({ deploymentId, targetId }))).deploymentTarget;
        unreachableSaid = false;
      } catch (err) {
        // Berth restarting (or not up yet): keep watching; an API error (e.g. an unknown id) ends it.
        if (!unreachable(err)) throw err;
        if (!unreachableSaid) process.stderr.write(`berth: Berth does not answer (${(err as Error).message}); still trying, Ctrl-C to stop.\n`);
        unreachableSaid = true;
      }
      if (info) {
        const text = tty ? renderDeployment(info, target) : summaryLine(info, target);
        if (text !== shown) {
          // On a terminal: back to the first line of the last picture, clear below, draw again.
          process.stdout.write((tty && shownLines ? `\x1b[${shownLines}F\x1b[J` : '') + text);
          shown = text;
          shownLines = text.split('\n').length - 1;
        }
        const code = exitStatus(info.status);
        if (code !== undefined) return code;
      }
      if (stopped) return 130;
      await new Promise<void>((r) => ((wake = r), setTimeout(r, intervalMs)));
      if (stopped) return 130;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
