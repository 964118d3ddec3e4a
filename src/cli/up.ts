/** `berth up`: start the endpoint and serve until SIGINT or SIGTERM. */
import { startBerth } from '../berth/index.js';
import { COMMON_FLAGS, parseCommonFlags } from './options.js';

const HELP = `Usage: berth up [options]

Starts Berth: one HTTP endpoint for every AWS service Berth serves, signed with SigV4.
The first start makes an account id and a root access key pair and keeps them in the data dir.

${COMMON_FLAGS}
  --time-scale N     Minutes of Berth's own machinery pass N times faster, for tests and demos
                     (60 makes a minute a second): CodeDeploy traffic intervals, waits and hook
                     timeouts; CloudWatch's published metric interval, alarm periods and
                     evaluation cadence; Auto Scaling cooldowns and policy re-invocation.
                     Timestamps stay real; scheduled actions keep the wall clock
                     (default 1: real minutes; env BERTH_TIME_SCALE).`;

/** Runs `berth up`. */
export async function runUp(args: string[]): Promise<number> {
  // --time-scale is up's own flag; the rest are shared with `env`.
  let timeScale: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--time-scale') timeScale = args[++i] ?? '';
    else if (a.startsWith('--time-scale=')) timeScale = a.slice('--time-scale='.length);
    else rest.push(a);
  }
  const flags = { ...parseCommonFlags(rest), timeScale };
  if (flags.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const berth = await startBerth(flags);
  const say = (s: string) => process.stdout.write(s + '\n');
  say(`Berth is up at ${berth.endpoint} (region ${berth.region}, account ${berth.accountId}).`);
  say(`Data dir: ${berth.options.dataDir}`);
  if (berth.options.timeScale !== 1) say(`Time scale: deployment minutes pass ${berth.options.timeScale} times faster.`);
  if (berth.createdCredentials) say(`Made a root access key ${berth.credentials.accessKeyId}; its secret is in ${berth.options.dataDir}/credentials.json (mode 0600).`);
  else say(`Root access key: ${berth.credentials.accessKeyId}.`);
  say(`To use it from a shell:  eval "$(npx berth env${berth.options.dataDir ? ` --data-dir ${berth.options.dataDir}` : ''})"`);
  say(`Then, e.g.:              aws ecs create-cluster --cluster-name demo --endpoint-url "$AWS_ENDPOINT_URL"`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    say(`Received ${sig}; stopping (in-flight calls finish first).`);
    void berth.stop();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  await berth.done;
  say('Berth stopped.');
  return 0;
}
