/**
 * Berth's options in two stages: {@link BerthOptions} (all optional, documented defaults) and
 * {@link compileBerthOptions}, which resolves flags, environment and defaults and validates them.
 */
import os from 'node:os';
import path from 'node:path';

/** What a user may set; every member has a default. */
export interface BerthOptions {
  /** Address the API listens on. Default `127.0.0.1`. */
  host?: string;
  /** API port; 0 picks an ephemeral port. Default `BERTH_PORT` or 4600. */
  port?: number | string;
  /** Where state, credentials and the account id live. Default `BERTH_DATA_DIR` or `$XDG_DATA_HOME/berth` (`~/.local/share/berth`). */
  dataDir?: string;
  /** The region Berth serves, like a regional endpoint. Default `BERTH_REGION` or `us-east-1`. */
  region?: string;
  /** Root access key id (with the secret, replaces the stored pair). Default `BERTH_ACCESS_KEY_ID`. */
  accessKeyId?: string;
  /** Root secret access key. Default `BERTH_SECRET_ACCESS_KEY`. */
  secretAccessKey?: string;
  /** SQLite durability: `FULL` fsyncs each commit (default), `NORMAL` does not. Default `BERTH_SYNC` or FULL. */
  synchronous?: 'FULL' | 'NORMAL' | string;
  /**
   * Worker processes serving the load balancers' requests, like nginx's worker_processes: 0 serves
   * them in Berth's own event loop, N (1..64) in N processes, `auto` one per CPU. Default
   * `BERTH_LB_WORKERS` or 0.
   */
  lbWorkers?: number | string;
  /**
   * Berth's own minutes pass this many times faster, for tests and demos: CodeDeploy's traffic
   * intervals, waits and hook timeouts; metric intervals, alarm periods and their cadence, auto
   * scaling cooldowns, ECS deployment alarms' bake time (config/time-scale.ts). 60 makes a minute
   * last a second; the clock itself stays real. Default `BERTH_TIME_SCALE` or 1. 1 to 3600.
   */
  timeScale?: number | string;
}

/** Fully resolved options. */
export interface ResolvedBerthOptions {
  host: string;
  port: number;
  dataDir: string;
  region: string;
  rootCredentials?: { accessKeyId: string; secretAccessKey: string };
  synchronous: 'FULL' | 'NORMAL';
  lbWorkers: number;
  timeScale: number;
}

/** Thrown for options a user got wrong; the CLI prints the message and exits 2. */
export class OptionsError extends Error {}

/** The data dir used when none is given. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME || path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'berth');
}

/** Resolves options against the environment and defaults, reporting every problem at once. */
export function compileBerthOptions(o: BerthOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedBerthOptions {
  const problems: string[] = [];
  const portRaw = o.port ?? env.BERTH_PORT ?? 4600;
  const port = Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push(`port must be a whole number from 0 to 65535; got '${portRaw}'.`);
  const region = o.region ?? env.BERTH_REGION ?? 'us-east-1';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region)) problems.push(`region must look like an AWS region (us-east-1); got '${region}'.`);
  const synchronous = (o.synchronous ?? env.BERTH_SYNC ?? 'FULL').toUpperCase();
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') problems.push(`synchronous must be FULL or NORMAL; got '${synchronous}'.`);
  const accessKeyId = o.accessKeyId ?? env.BERTH_ACCESS_KEY_ID;
  const secretAccessKey = o.secretAccessKey ?? env.BERTH_SECRET_ACCESS_KEY;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    problems.push('BERTH_ACCESS_KEY_ID and BERTH_SECRET_ACCESS_KEY must be set together.');
  }
  if (accessKeyId !== undefined && !/^[A-Z0-9]{16,128}$/.test(accessKeyId)) {
    problems.push('BERTH_ACCESS_KEY_ID must be 16 to 128 upper-case letters and digits, like an AWS access key id.');
  }
  if (secretAccessKey !== undefined && secretAccessKey.length < 16) problems.push('BERTH_SECRET_ACCESS_KEY must be at least 16 characters.');
  const lbWorkersRaw = o.lbWorkers ?? env.BERTH_LB_WORKERS ?? 0;
  // "auto": one worker per CPU, as nginx's worker_processes auto.
  const lbWorkers = lbWorkersRaw === '' ? 0 : lbWorkersRaw === 'auto' ? Math.min(64, os.availableParallelism()) : Number(lbWorkersRaw);
  if (!Number.isInteger(lbWorkers) || lbWorkers < 0 || lbWorkers > 64) {
    problems.push(`BERTH_LB_WORKERS must be a whole number from 0 to 64, or auto (one per CPU); got '${lbWorkersRaw}'.`);
  }
  const timeScaleRaw = o.timeScale ?? env.BERTH_TIME_SCALE ?? 1;
  const timeScale = timeScaleRaw === '' ? 1 : Number(timeScaleRaw);
  if (!Number.isFinite(timeScale) || timeScale < 1 || timeScale > 3600) {
    problems.push(`time scale (--time-scale, BERTH_TIME_SCALE) must be a number from 1 to 3600; got '${timeScaleRaw}'.`);
  }
  if (problems.length) throw new OptionsError(problems.join('\n'));
  return {
    host: o.host ?? env.BERTH_HOST ?? '127.0.0.1',
    port,
    dataDir: path.resolve(o.dataDir ?? env.BERTH_DATA_DIR ?? defaultDataDir(env)),
    region,
    rootCredentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    synchronous: synchronous as 'FULL' | 'NORMAL',
    lbWorkers,
    timeScale,
  };
}
