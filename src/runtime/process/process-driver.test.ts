import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runDriverConformance } from '../conformance.js';
import type { ContainerConfig, ExitResult } from '../driver.js';
import { compileRuntimeOptions } from '../options.js';
import { PortAllocator } from '../ports.js';
import { ProcessDriver } from './process-driver.js';

/** The highest port from `top` down to `bottom` nothing on the host listens on (0.0.0.0). */
async function freeHostPort(top: number, bottom: number): Promise<number> {
  for (let port = top; port >= bottom; port--) {
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error(`no free port from ${bottom} to ${top}`);
}

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-process-driver-')));
const runtime = compileRuntimeOptions({ dataDir: root, portRange: '42000-42999' }, {});
after(() => rmSync(root, { recursive: true, force: true }));

const node = (script: string) => ({ command: [process.execPath, '-e', script] });

runDriverConformance('process', () => new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) }), {
  image: 'host',
  shell: (script) => ({ command: ['/bin/sh', '-c', script] }),
  httpServer: (body) => node(`require('node:http').createServer((q, s) => s.end(${JSON.stringify(body)})).listen(Number(process.env.PORT))`),
  workingDirectory: root,
  memoryHog: { command: node('const a = []; setInterval(() => a.push(Buffer.alloc(16 << 20, 1)), 10)'), limitBytes: 128 << 20 },
});

describe('process driver specifics', () => {
  const driver = new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) });
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => {});
  });
  const run = async (config: Omit<ContainerConfig, 'name' | 'image'>): Promise<{ out: string[]; exit: ExitResult }> => {
    const sandbox = await driver.prepareTask({ taskId: `proc-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: [{ name: 'app', portMappings: [] }] });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    const handle = await driver.startTask(sandbox, { name: 'app', image: 'ignored/by:process-driver', ...config });
    cleanup.push(() => driver.destroyTask(handle));
    const exit = await driver.waitTask(handle, AbortSignal.timeout(30_000));
    const out: string[] = [];
    for await (const l of driver.readLogs(handle)) out.push(l.text);
    return { out, exit };
  };

  test('environmentFiles are read in order, environment wins over them; an S3 ARN is refused clearly', async () => {
    const a = path.join(root, 'a.env');
    const b = path.join(root, 'b.env');
    writeFileSync(a, '# comment\nA=1\nB=from-a\nC=from-a\n');
    writeFileSync(b, 'B=from-b\n');
    const { out } = await run({ command: ['/bin/sh', '-c', 'echo "$A $B $C"'], environmentFiles: [{ type: 's3', value: a }, { type: 's3', value: b }], environment: { C: 'env' } });
    assert.deepEqual(out, ['1 from-b env']);
    await assert.rejects(run({ command: ['true'], environmentFiles: [{ type: 's3', value: 'arn:aws:s3:::bucket/app.env' }] }), /ResourceInitializationError: .*Berth has no S3/);
  });

  test('the container does not inherit Berth\'s environment', async () => {
    process.env.BERTH_TEST_LEAK = 'leaked';
    try {
      const { out } = await run({ command: ['/bin/sh', '-c', 'echo "[$BERTH_TEST_LEAK]"'] });
      assert.deepEqual(out, ['[]']);
    } finally {
      delete process.env.BERTH_TEST_LEAK;
    }
  });

  test('user is applied when Berth runs as root, else refused clearly', async () => {
    if (process.getuid?.() === 0) {
      const { out } = await run({ command: ['/bin/sh', '-c', 'id -u; id -g'], user: '65534:65534' });
      assert.deepEqual(out, ['65534', '65534']);
    } else {
      await assert.rejects(run({ command: ['true'], user: '0' }), /CannotStartContainerError: cannot run as user "0"/);
    }
    await assert.rejects(run({ command: ['true'], user: 'berth-no-such-user' }), /unable to find user berth-no-such-user/);
  });

  test('a missing working directory and a non-executable file give runc\'s wording', async () => {
    await assert.rejects(run({ command: ['true'], workingDirectory: path.join(root, 'nope') }), /CannotStartContainerError: chdir to cwd .* no such file or directory/);
    const plain = path.join(root, 'plain.txt');
    writeFileSync(plain, 'x', { mode: 0o644 });
    await assert.rejects(run({ command: [path.join(root, 'absent')] }), /exec: ".*absent": stat .*absent: no such file or directory/);
    if (process.getuid?.() !== 0) await assert.rejects(run({ command: [plain] }), /permission denied/);
  });

  test('entryPoint is exec\'d with command as its arguments, argv[0] as written', async () => {
    const { out } = await run({ entryPoint: ['sh', '-c', 'echo "$0|$1"'], command: ['first', 'second'] });
    assert.deepEqual(out, ['first|second']);
  });

  test('a container killed while its supervisor daemon is gone reports an unknown exit with a reason; the next start brings up a new daemon', async () => {
    // A state dir of its own: killing its daemon must not touch the other tests' containers.
    const own = compileRuntimeOptions({ dataDir: path.join(root, 'lone'), portRange: '43000-43099' }, {});
    const lone = new ProcessDriver({ runtime: own, ports: new PortAllocator(own.portRange) });
    const task = async () => {
      const sandbox = await lone.prepareTask({ taskId: `proc-${randomBytes(6).toString('hex')}`, networkMode: 'bridge', containers: [{ name: 'app', portMappings: [] }] });
      cleanup.push(() => lone.destroyTaskSandbox(sandbox));
      const handle = await lone.startTask(sandbox, { name: 'app', image: 'host', command: ['sleep', '600'] });
      cleanup.push(() => lone.destroyTask(handle));
      return handle;
    };
    const handle = await task();
    const st = handle.driverState as { shimPid: number; pid: number };
    process.kill(st.shimPid, 'SIGKILL');
    assert.equal(await lone.recoverTask(handle), true, 'the container outlives its supervisor');
    process.kill(-st.pid, 'SIGKILL');
    const exit = await lone.waitTask(handle, AbortSignal.timeout(30_000));
    assert.equal(exit.exitCode, undefined);
    assert.match(exit.reason ?? '', /exit code is unknown/);
    const next = await task();
    assert.notEqual((next.driverState as { shimPid: number }).shimPid, st.shimPid, 'a new daemon runs the next container');
    await lone.stopTask(next, 5_000);
    assert.equal((await lone.waitTask(next, AbortSignal.timeout(30_000))).exitCode, 143);
  });

  test('one supervisor daemon runs every container of a state dir', async () => {
    const a = await run({ command: ['true'] });
    assert.equal(a.exit.exitCode, 0);
    const sandbox = await driver.prepareTask({ taskId: `proc-${randomBytes(6).toString('hex')}`, networkMode: 'bridge', containers: [{ name: 'x', portMappings: [] }, { name: 'y', portMappings: [] }] });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    const x = await driver.startTask(sandbox, { name: 'x', image: 'host', command: ['sleep', '600'] });
    cleanup.push(() => driver.destroyTask(x));
    const y = await driver.startTask(sandbox, { name: 'y', image: 'host', command: ['sleep', '600'] });
    cleanup.push(() => driver.destroyTask(y));
    assert.equal(x.driverState.shimPid, y.driverState.shimPid);
    assert.notEqual(x.driverState.shimPid, x.driverState.pid);
    await driver.stopTask(x, 5_000);
    await driver.stopTask(y, 5_000);
  });

  test('statsMany reads every container from one pass over /proc, in order, with an error for one that does not run', { timeout: 60_000 }, async () => {
    const sandbox = await driver.prepareTask({ taskId: `many-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: ['busy', 'idle', 'gone'].map((name) => ({ name, portMappings: [] })) });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    const start = async (name: string, config: Omit<ContainerConfig, 'name' | 'image'>) => {
      const h = await driver.startTask(sandbox, { name, image: 'host', ...config });
      cleanup.push(() => driver.destroyTask(h));
      return h;
    };
    // busy: spins and holds 64 MiB; idle: a shell that sleeps; gone: exited.
    const busy = await start('busy', node('const b = Buffer.alloc(64 << 20, 1); for (;;) b[0]++;'));
    const idle = await start('idle', { command: ['/bin/sh', '-c', 'sleep 300'] });
    const gone = await start('gone', { command: ['/bin/sh', '-c', 'exit 0'] });
    await driver.waitTask(gone, AbortSignal.timeout(30_000));
    let [b, i, g] = await driver.statsMany([busy, idle, gone]);
    assert.ok(g instanceof Error && /CannotInspectContainerError: container gone is not running/.test(g.message), String(g));
    const deadline = Date.now() + 30_000;
    // A loaded machine may give the spinner no tick in a short window, or not have filled its buffer
    // yet: sample until it has had a tick and holds the whole buffer.
    while (!(b instanceof Error) && (b.cpuPercent === 0 || b.memoryBytes <= 64 << 20) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      [b, i] = await driver.statsMany([busy, idle]);
    }
    assert.ok(!(b instanceof Error) && !(i instanceof Error), `${String(b)} ${String(i)}`);
    assert.ok(b.memoryBytes > 64 << 20, `busy holds its 64 MiB: ${b.memoryBytes}`);
    assert.ok(i.memoryBytes > 0 && i.memoryBytes < 64 << 20, `idle: ${i.memoryBytes}`);
    assert.ok(b.cpuPercent > i.cpuPercent, `busy ${b.cpuPercent}% vs idle ${i.cpuPercent}%`);
    assert.equal(b.at.getTime(), i.at.getTime(), 'both read from the same pass');
    const single = await driver.stats(idle);
    assert.ok(single.memoryBytes > 0, 'stats still works beside statsMany');
    await driver.stopTask(busy, 5000);
  });
});

test('awsvpc ignores hostPort (two tasks of one service never collide); host mode reserves the container port', async () => {
  const ports = new PortAllocator(runtime.portRange);
  const driver = new ProcessDriver({ runtime, ports });
  const spec = (mode: 'awsvpc' | 'host', containerPort: number) => ({ taskId: `proc-${randomBytes(6).toString('hex')}`, networkMode: mode, containers: [{ name: 'app', portMappings: [{ containerPort, hostPort: containerPort }] }] });
  const a = await driver.prepareTask(spec('awsvpc', 80));
  const b = await driver.prepareTask(spec('awsvpc', 80));
  try {
    assert.notEqual(a.networkBindings.app![0]!.hostPort, b.networkBindings.app![0]!.hostPort);
    assert.ok(a.networkBindings.app![0]!.hostPort >= runtime.portRange.from);
    // Inside the test range (nothing else of this suite holds it), and free on the host: the
    // kernel's ephemeral ports can land in this range too.
    const port = await freeHostPort(runtime.portRange.to, runtime.portRange.from + 500);
    const h = await driver.prepareTask(spec('host', port));
    assert.deepEqual(h.networkBindings.app, [{ containerPort: port, hostPort: port, protocol: 'tcp', bindIP: '0.0.0.0' }]);
    await assert.rejects(driver.prepareTask(spec('host', port)), /ResourceInitializationError: host port tcp\/\d+ is already in use/);
    await driver.destroyTaskSandbox(h);
  } finally {
    await driver.destroyTaskSandbox(a);
    await driver.destroyTaskSandbox(b);
  }
});
