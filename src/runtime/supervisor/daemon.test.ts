import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SupervisorClient } from './client.js';
import { readShimExit } from './exit-file.js';
import { isAlive, readProcStat, residentBytes } from './proc.js';
import type { ShimConfig } from './types.js';

const PATIENCE_MS = 30_000;
const CLIENT_MODULE = fileURLToPath(new URL('./client.js', import.meta.url));
const dirs: string[] = [];
after(async () => {
  // Removing a state dir is what makes its daemon kill its containers and exit.
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function stateDir(prefix = 'berth-supervisor-'): string {
  const d = realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)));
  dirs.push(d);
  return d;
}

function container(dir: string, name: string, argv: string[], extra: Partial<ShimConfig> = {}): ShimConfig {
  const cdir = path.join(dir, 'c', name);
  mkdirSync(cdir, { recursive: true });
  return { file: argv[0]!, argv, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cwd: cdir, logPath: path.join(cdir, 'output.log'), exitPath: path.join(cdir, 'exit.json'), ...extra };
}

async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function started(hello: { pid: number; startTicks: number } | { error: string }): { pid: number; startTicks: number } {
  assert.ok(!('error' in hello), `the container should start: ${JSON.stringify(hello)}`);
  return hello;
}

/** Runs a separate node process that uses a client of `dir`: starts `sleep` and prints what it got. */
async function clientProcess(dir: string, action: 'start' | 'start-and-hang'): Promise<{ pid: number; startTicks: number; supervisor: { pid: number; startTicks: number } }> {
  const script = `
    import { SupervisorClient } from ${JSON.stringify(CLIENT_MODULE)};
    import { mkdirSync } from 'node:fs';
    const dir = process.argv[1];
    const cdir = dir + '/c/' + process.pid;
    mkdirSync(cdir, { recursive: true });
    const c = new SupervisorClient(dir);
    const r = await c.start({ file: '/bin/sh', argv: ['sh', '-c', 'sleep 2; exit 5'], env: {}, cwd: cdir, logPath: cdir + '/output.log', exitPath: cdir + '/exit.json' });
    console.log(JSON.stringify({ ...r.hello, supervisor: r.supervisor }));
    if (process.argv[2] === 'start-and-hang') setInterval(() => {}, 1000);
    else c.close();
  `;
  const child = execFile(process.execPath, ['--input-type=module', '-e', script, dir, action]);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += String(c);
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.stderr!.on('data', (c: Buffer) => (err += String(c)));
    child.once('exit', (code) => reject(new Error(`client process exited ${code}: ${err}`)));
  });
  if (action === 'start-and-hang') child.kill('SIGKILL'); // the client dies without a word
  return JSON.parse(line);
}

describe('supervisor daemon', () => {
  test('starts a hundred containers over one connection, one daemon for all; output and exits are recorded', async () => {
    const dir = stateDir();
    const client = new SupervisorClient(dir);
    try {
      const configs = Array.from({ length: 100 }, (_, i) => container(dir, `c${i}`, ['/bin/sh', '-c', 'echo "hello $0"; exec sleep 3600', String(i)]));
      const results = await Promise.all(configs.map((c) => client.start(c)));
      const pids = results.map((r) => started(r.hello).pid);
      assert.equal(new Set(results.map((r) => r.supervisor.pid)).size, 1, 'one daemon supervises them all');
      const daemon = results[0]!.supervisor;
      assert.ok(isAlive(daemon.pid, daemon.startTicks));
      for (const pid of pids) assert.equal(readProcStat(pid)?.session, pid, 'each container leads its own session');
      await until('every container to print its line', () =>
        configs.every((c, i) => existsSync(c.logPath) && new RegExp(`^\\S+ O hello ${i}\\n$`).test(readFileSync(c.logPath, 'utf8'))),
      );
      const rss = residentBytes(daemon.pid);
      assert.ok(rss > 0 && rss < 200 << 20, `the daemon holds ${rss} bytes for 100 containers`);
      // Every one is killed; every exit is heard over the socket and written to its file.
      const watches = await Promise.all(configs.map((c) => client.watchExit(c.exitPath, daemon)));
      for (const pid of pids) process.kill(-pid, 'SIGKILL');
      const exits = await Promise.all(watches.map((w) => w!.wait(PATIENCE_MS)));
      for (const e of exits) assert.deepEqual([e?.exitCode, e?.signal], [137, 'SIGKILL']);
      for (const c of configs) assert.equal((await readShimExit(c.exitPath))?.exitCode, 137);
    } finally {
      client.close();
    }
  });

  test('a missing executable is refused with the runtime\'s wording and leaves nothing running', async () => {
    const dir = stateDir();
    const client = new SupervisorClient(dir);
    try {
      const { hello } = await client.start(container(dir, 'x', ['/nonexistent/berth-cmd']));
      assert.deepEqual(hello, { error: 'exec: "/nonexistent/berth-cmd": stat /nonexistent/berth-cmd: no such file or directory' });
      // A value the kernel cannot take is refused without quoting it (it may be a secret).
      const bad = await client.start(container(dir, 'nul', ['true'], { env: { TOKEN: 'hush-\0-hush' } }));
      assert.ok('error' in bad.hello && !bad.hello.error.includes('hush'), JSON.stringify(bad.hello));
    } finally {
      client.close();
    }
  });

  test('exits are recorded while no client is connected, and a client that died is replaced by a new one on the same daemon', async () => {
    const dir = stateDir();
    // A separate Berth-like process starts a container (sh: sleep 2; exit 5) and is killed -9.
    const first = await clientProcess(dir, 'start-and-hang');
    assert.ok(isAlive(first.supervisor.pid, first.supervisor.startTicks), 'the daemon outlives the client');
    const cdir = path.join(dir, 'c');
    const exitPath = path.join(cdir, readdirSync(cdir)[0]!, 'exit.json');
    const exit = await until('the exit file written with no client connected', () => readShimExit(exitPath));
    assert.equal(exit.exitCode, 5);
    // A new client reaches the same daemon, which still starts containers and reports their exits.
    const client = new SupervisorClient(dir);
    try {
      const c = container(dir, 'again', ['/bin/sh', '-c', 'sleep 0.5; exit 9']);
      const r = await client.start(c);
      assert.deepEqual(r.supervisor, first.supervisor);
      const watch = await client.watchExit(c.exitPath, r.supervisor);
      assert.ok(watch, 'the new client hears exits from the daemon');
      const heard = (await watch.wait(PATIENCE_MS)) ?? (await readShimExit(c.exitPath));
      watch.cancel();
      assert.equal(heard?.exitCode, 9);
    } finally {
      client.close();
    }
  });

  test('a container over its memory limit is killed and its exit says so', async () => {
    const dir = stateDir();
    const client = new SupervisorClient(dir);
    try {
      const hog = container(dir, 'hog', [process.execPath, '-e', 'const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 10)'], { memoryLimitBytes: 128 << 20, memoryCheckIntervalMs: 50 });
      const calm = container(dir, 'calm', ['sleep', '3600'], { memoryLimitBytes: 128 << 20, memoryCheckIntervalMs: 50 });
      started((await client.start(hog)).hello);
      const calmPid = started((await client.start(calm)).hello).pid;
      const exit = await until('the hog to be killed', () => readShimExit(hog.exitPath));
      assert.deepEqual([exit.exitCode, exit.oomKilled, exit.reason], [137, true, 'OutOfMemoryError: Container killed due to memory usage']);
      assert.ok(readProcStat(calmPid), 'a container under its limit keeps running');
      process.kill(-calmPid, 'SIGKILL');
    } finally {
      client.close();
    }
  });

  test('removing the state dir kills every container and the daemon exits', async () => {
    const dir = stateDir();
    const client = new SupervisorClient(dir);
    const r = await client.start(container(dir, 'a', ['sleep', '3600']));
    const { pid, startTicks } = started(r.hello);
    const grandchild = started((await client.start(container(dir, 'b', ['/bin/sh', '-c', 'sleep 3600 & wait']))).hello).pid;
    client.close();
    rmSync(dir, { recursive: true, force: true });
    await until('the containers to be killed', () => !isAlive(pid, startTicks) && readProcStat(grandchild) === undefined);
    await until('the daemon to exit', () => !isAlive(r.supervisor.pid, r.supervisor.startTicks));
  });

  test('with no container and no client the daemon exits after its idle time', async () => {
    const dir = stateDir();
    const client = new SupervisorClient(dir, { idleExitMs: 300 });
    const c = container(dir, 'brief', ['true']);
    const r = await client.start(c);
    await until('the container to end', () => readShimExit(c.exitPath));
    assert.ok(isAlive(r.supervisor.pid, r.supervisor.startTicks), 'a connected client keeps the daemon');
    client.close();
    await until('the idle daemon to exit', () => !isAlive(r.supervisor.pid, r.supervisor.startTicks));
    assert.ok(!existsSync(path.join(dir, 'supervisor', 'daemon.sock')), 'it removed its socket');
    // The next start brings up a new one.
    const again = new SupervisorClient(dir);
    try {
      const r2 = await again.start(container(dir, 'next', ['true']));
      assert.notEqual(r2.supervisor.pid, r.supervisor.pid);
    } finally {
      again.close();
    }
  });

  test('clients of several processes racing to start the daemon all get the same one', async () => {
    const dir = stateDir();
    const results = await Promise.all([1, 2, 3, 4].map(() => clientProcess(dir, 'start')));
    assert.equal(new Set(results.map((r) => `${r.supervisor.pid}/${r.supervisor.startTicks}`)).size, 1, JSON.stringify(results.map((r) => r.supervisor)));
    const log = readFileSync(path.join(dir, 'supervisor', 'daemon.log'), 'utf8');
    assert.equal(log.match(/supervising containers of/g)?.length, 1, log);
  });

  test('works with a state dir whose socket path is too long for a Unix socket address; the environment reaches no file', async () => {
    const base = stateDir();
    const dir = path.join(base, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(dir, { recursive: true });
    assert.ok(Buffer.byteLength(path.join(dir, 'supervisor', 'daemon.sock')) > 108);
    const client = new SupervisorClient(dir);
    try {
      const secret = `berth-secret-${process.pid}-${Date.now()}`;
      const c = container(dir, 'env', ['/bin/sh', '-c', 'test "$SECRET" = "$EXPECTED" && echo same'], { env: { SECRET: secret, EXPECTED: secret } });
      const r = await client.start(c);
      started(r.hello);
      const exit = await until('the container to end', () => readShimExit(c.exitPath));
      assert.equal(exit.exitCode, 0);
      assert.match(readFileSync(c.logPath, 'utf8'), / O same\n$/);
      const files = (function walk(d: string): string[] {
        return readdirSync(d).flatMap((n) => (statSync(path.join(d, n)).isDirectory() ? walk(path.join(d, n)) : [path.join(d, n)]));
      })(dir).filter((f) => statSync(f).isFile());
      for (const f of files) assert.ok(!readFileSync(f, 'utf8').includes(secret), `${f} holds the environment`);
    } finally {
      client.close();
    }
  });
});
