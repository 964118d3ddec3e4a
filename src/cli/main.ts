#!/usr/bin/env node
/** The `berth` command: dispatches to one subcommand per file. */
import { OptionsError } from '../config/index.js';

const USAGE = `Usage: berth <command> [options]

Commands:
  up     Start Berth: one AWS API endpoint for every service Berth serves.
  env    Print shell exports (AWS_ENDPOINT_URL, keys, region) for the AWS CLI and SDKs.
  image  Manage the local image store (import, ls, rm).
  logs   Print a log group's events, or a task's or service's (berth logs CLUSTER TASK|SERVICE); --follow tails.
  deployments  Watch a CodeDeploy blue/green deployment live (watch ID) or list recent ones (ls).
  help   Show this help.

Run 'berth <command> --help' for a command's options.`;

/**
 * Berth's client commands (logs, deployments) call Berth through the AWS SDK, which warns on every
 * run that its releases after January 2027 need Node 22: nothing a `berth` user can act on
 * mid-command, so these commands turn it off (set the variable to false to see it). Not for `up`,
 * whose environment its children may see.
 */
const quietSdk = () => {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
};

type Command = (args: string[]) => Promise<number>;
// Each command's module is loaded only when it runs: `up` pulls in all of Berth (seconds on a busy
// machine), which a client command such as `deployments watch` must not wait for.
const commands: Record<string, () => Promise<Command>> = {
  up: async () => (await import('./up.js')).runUp,
  env: async () => (await import('./env.js')).runEnv,
  image: async () => (await import('./image.js')).runImage,
  logs: async () => (quietSdk(), (await import('./logs.js')).runLogs),
  deployments: async () => (quietSdk(), (await import('./deployments.js')).runDeployments),
};

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(USAGE + '\n');
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!load) {
    process.stderr.write(`berth: unknown command '${name}'.\n\n${USAGE}\n`);
    return 2;
  }
  return (await load())(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (err instanceof OptionsError || (err as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: string }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      process.stderr.write(`berth: ${(err as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
    process.stderr.write(`berth: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
