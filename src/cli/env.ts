/** `berth env`: print the shell exports that point the AWS CLI and SDKs at Berth. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { compileBerthOptions } from '../config/index.js';
import { readStoredCredentials } from '../identity/index.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: eval "$(berth env [options])"

Prints exports of AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and
AWS_DEFAULT_REGION for the Berth whose data dir is given (the endpoint of its last start).

${COMMON_FLAGS}`;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs `berth env`. */
export async function runEnv(args: string[]): Promise<number> {
  const flags = parseCommonFlags(args);
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const opts = compileBerthOptions(flags);
  const credentials = opts.rootCredentials ?? readStoredCredentials(opts.dataDir);
  if (!credentials) {
    process.stderr.write(`berth: no credentials in ${opts.dataDir}; start Berth once with 'berth up' first.\n`);
    return 1;
  }
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
  const lines = [
    ['AWS_ENDPOINT_URL', endpoint],
    ['AWS_ACCESS_KEY_ID', credentials.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', credentials.secretAccessKey],
    ['AWS_REGION', region],
    ['AWS_DEFAULT_REGION', region],
  ];
  process.stdout.write(lines.map(([k, v]) => `export ${k}=${quote(v)}`).join('\n') + '\n');
  return 0;
}
