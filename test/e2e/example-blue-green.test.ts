/**
 * The example a newcomer runs, run as they would run it: `examples/blue-green/run.sh` starts its
 * own Berth (time scale 60), builds the whole layout with the AWS CLI and deploys v2 with
 * CodeDeployDefault.ECSCanary10Percent5Minutes under load. Checked from what it prints and how it
 * exits: the deployment's outcome, the share of v2 through the production listener while the
 * canary runs and after the deployment, zero failed requests; with BREAK=1 the rollback and v1
 * answering everything again; on Ctrl-C (SIGINT to its process group, as a terminal sends it) an
 * exit status of 130. Each run must leave nothing behind: its temporary dir gone and no task of
 * the example's app still running.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '../fixtures/http.js';

/** The repository root (this file runs from dist/test/e2e/). */
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const EXAMPLE = path.join(REPO, 'examples/blue-green');
const RUN_SH = path.join(EXAMPLE, 'run.sh');
/** How long one run of the script may take on a loaded machine before it is interrupted. */
const RUN_LIMIT_MS = 480_000;

/** Whether an executable named `name` is on PATH. */
function onPath(name: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

const skip = existsSync('/usr/bin/aws') || onPath('aws') ? false : 'the example needs the AWS CLI (v2 at /usr/bin/aws, or v1 as aws on PATH); neither is installed';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * Runs run.sh in its own process group, as from a fresh shell: no AWS_ENDPOINT_URL (so it starts
 * its own Berth), no AWS credentials or user config of the machine. `interruptWhen`: send SIGINT
 * to the group once the output matches it. Past RUN_LIMIT_MS the group gets SIGTERM, then SIGKILL.
 */
async function runExample(extraEnv: NodeJS.ProcessEnv, interruptWhen?: RegExp): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extraEnv, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
  for (const key of Object.keys(env)) {
    if (/^(AWS_(ENDPOINT_URL|ACCESS_KEY_ID|SECRET_ACCESS_KEY|SESSION_TOKEN|PROFILE)|BERTH_.*)$/.test(key)) delete env[key];
  }
  const child = spawn('bash', [RUN_SH], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let interrupted = false;
  const onData = (d: Buffer) => {
    output += d;
    if (interruptWhen && !interrupted && interruptWhen.test(output)) {
      interrupted = true;
      process.kill(-child.pid!, 'SIGINT');
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const done = new Promise<Run>((resolve) => child.once('close', (code, signal) => resolve({ code, signal, output })));
  const limit = setTimeout(() => {
    output += `\n[test] run.sh still running after ${RUN_LIMIT_MS / 1000} s: SIGTERM to its process group\n`;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
    setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, 60_000).unref();
  }, RUN_LIMIT_MS);
  const run = await done;
  clearTimeout(limit);
  return run;
}

/** The temporary dir the run printed (`log: berth.log in DIR`). */
function workDir(output: string): string {
  const m = /\(log: berth\.log in (\S+)\)/.exec(output);
  assert.ok(m, `run.sh did not say where its Berth lives:\n${output}`);
  return m[1];
}

/**
 * Processes of a run still alive: those whose command line names its temporary dir (its Berth,
 * Berth's supervisor) or whose working directory is the example's app (its tasks).
 */
function leftovers(dir: string): string[] {
  const appDir = path.join(EXAMPLE, 'app');
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      if (cmdline.includes(dir) || readlinkSync(`/proc/${name}/cwd`) === appDir) found.push(`${name}: ${cmdline}`);
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** The run left nothing behind: its temporary dir is gone and, soon, none of its processes runs. */
async function assertCleanedUp(output: string): Promise<void> {
  const dir = workDir(output);
  assert.equal(existsSync(dir), false, `run.sh left ${dir} behind`);
  // Berth's supervisor ends the tasks once their state dir is gone (it checks every second).
  let last: string[] = [];
  await until('no process of the run still alive', () => ((last = leftovers(dir)).length === 0 ? true : undefined), 30_000, 250).catch((err) => {
    throw new Error(`${(err as Error).message}; still running:\n${last.join('\n')}`);
  });
}

/** Per-second lines of load.js: the share of v2 in that second, in percent. */
function v2SharesPerSecond(output: string): number[] {
  return [...output.matchAll(/^load +\d+s .*v2 +([\d.]+)% +\d+ req\/s/gm)].map((m) => Number(m[1]));
}

describe('examples/blue-green/run.sh', { skip }, () => {
  it('deploys v2 with a canary under load: 10% first, then 100%, no failed request', { timeout: RUN_LIMIT_MS + 120_000 }, async () => {
    const run = await runExample({});
    const out = run.output;
    assert.equal(run.code, 0, `run.sh failed:\n${out}`);
    assert.match(out, /^Deployment d-[A-Z0-9]{9}: Succeeded$/m, out);
    assert.match(out, /^Production traffic after the deployment: v1 0% \| v2 100% \([1-9]\d* requests\)$/m, out);
    assert.match(out, /^Failed requests: 0 of [1-9]\d*$/m, out);
    assert.match(out, /^OK: v2 took all production traffic/m, out);
    const shares = v2SharesPerSecond(out);
    assert.equal(shares[0], 0, `before the deployment only v1 answers:\n${out}`);
    // The canary: seconds in which a small share of requests (10% configured; a second has about
    // 50 requests, so a few more or less) went to v2, before the seconds in which all did.
    const canary = shares.findIndex((s) => s > 0 && s <= 40);
    const all = shares.findIndex((s) => s === 100);
    assert.ok(canary >= 0 && all > canary, `the v2 share should go 0 -> about 10 -> 100; per second: ${shares.join(' ')}\n${out}`);
    await assertCleanedUp(out);
  });

  it('with BREAK=1 v2 fails its hook and the deployment rolls back to v1, no failed request', { timeout: RUN_LIMIT_MS + 120_000 }, async () => {
    const run = await runExample({ BREAK: '1' });
    const out = run.output;
    assert.equal(run.code, 0, `run.sh failed:\n${out}`);
    assert.match(out, /^Deployment d-[A-Z0-9]{9}: Failed \(.*AfterAllowTraffic.*\); rolled back by d-[A-Z0-9]{9}: Succeeded$/m, out);
    assert.match(out, /^Production traffic after the deployment: v1 100% \| v2 0% \([1-9]\d* requests\)$/m, out);
    assert.match(out, /^Failed requests: 0 of [1-9]\d*$/m, out);
    assert.match(out, /^OK: v2's hook reported Failed, the deployment rolled back to v1/m, out);
    const shares = v2SharesPerSecond(out);
    assert.ok(shares.some((s) => s > 0), `v2 got production traffic before its hook failed; per second: ${shares.join(' ')}\n${out}`);
    assert.equal(shares.at(-1), 0, `v1 answers everything at the end; per second: ${shares.join(' ')}\n${out}`);
    await assertCleanedUp(out);
  });

  it('on Ctrl-C mid-deployment it stops its Berth and removes everything, exit status 130', { timeout: RUN_LIMIT_MS + 120_000 }, async () => {
    const run = await runExample({}, /^deployment d-[A-Z0-9]{9} created$/m);
    assert.equal(run.code, 130, `run.sh should exit 130 on SIGINT:\n${run.output}`);
    assert.doesNotMatch(run.output, /^== Result$/m);
    await assertCleanedUp(run.output);
  });
});
