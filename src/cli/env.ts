/** `berth env`: print the shell exports that point the AWS CLI and SDKs at Berth. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileBerthOptions, type BerthOptions } from '../config/index.js';
import { readStoredCredentials, type Credentials } from '../identity/index.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: eval "$(berth env [options])"

Prints exports of AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
AWS_DEFAULT_REGION for the Berth whose data dir is given (the endpoint of its last start).

${COMMON_FLAGS}`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Where a client finds Berth: endpoint, region and root key pair. */
export interface ClientTarget {
  endpoint: string;
  region: string;
  credentials: Credentials;
}

/**
 * Finds the Berth that the flags and environment name (the endpoint of its last start, its stored
 * or configured key pair); undefined when it has no credentials yet.
 */
export function resolveClientTarget(flags: BerthOptions, env: NodeJS.ProcessEnv = process.env): ClientTarget | undefined {
  const fromShell = shellTarget(flags, env);
  if (fromShell) return fromShell;
  const opts = compileBerthOptions(flags, env);
  const credentials = opts.rootCredentials ?? readStoredCredentials(opts.dataDir);
  if (!credentials) return undefined;
  let endpoint = `http://${opts.host}:${opts.port}`;
  let region = opts.region;
  if (flags.port === undefined && process.env.BERTH_PORT === undefined) {
    try {
      const last = JSON.parse(readFileSync(path.join(opts.dataDir, 'endpoint.json'), 'utf8'));
      endpoint = last.endpoint;
      if (flags.region === undefined) region = last.region;
    } catch {
      // never started: the configured endpoint is the best guess
    }
  }
  return { endpoint, region, credentials };
}

/**
 * A shell set up by `eval "$(berth env)"` (or pointed at a Berth by hand) names it with AWS_ENDPOINT_URL
 * and AWS's key variables: client commands use those when no flag or BERTH_* variable names a Berth.
 */
function shellTarget(flags: BerthOptions, env: NodeJS.ProcessEnv): ClientTarget | undefined {
  const named = flags.dataDir ?? flags.host ?? flags.port ?? env.BERTH_DATA_DIR ?? env.BERTH_PORT ?? env.BERTH_HOST;
  const { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
  if (named !== undefined || !endpoint || !accessKeyId || !secretAccessKey) return undefined;
  return { endpoint, region: flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1', credentials: { accessKeyId, secretAccessKey } };
}

/** The message for a data dir without credentials. */
export const noCredentialsMessage = (flags: BerthOptions) =>
  `berth: no credentials in ${compileBerthOptions(flags).dataDir}; start Berth once with 'berth up' first.\n`;

/** Runs `berth env`. */
export async function runEnv(args: string[]): Promise<number> {
  const flags = parseCommonFlags(args);
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const target = resolveClientTarget(flags);
  if (!target) {
    process.stderr.write(noCredentialsMessage(flags));
    return 1;
  }
  const lines = [
    ['AWS_ENDPOINT_URL', target.endpoint],
    ['AWS_ACCESS_KEY_ID', target.credentials.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', target.credentials.secretAccessKey],
    ['AWS_REGION', target.region],
    ['AWS_DEFAULT_REGION', target.region],
  ];
  process.stdout.write(lines.map(([k, v]) => `export ${k}=${quote(v)}`).join('\n') + '\n');
  return 0;
}
