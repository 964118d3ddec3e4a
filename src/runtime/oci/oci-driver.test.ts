import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxSkipReason, openImageStore, writeTestImage, type ImageStore } from '../../images/index.js';
import { PortAllocator, type TaskHandle, type TaskSandbox } from '../index.js';
import { OciDriver } from './index.js';
import { runDriverConformance } from '../conformance.js';

const exec = async (file: string, args: string[]) => (await promisify(execFile)(file, args)).stdout;
const runcPresent = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/bin/runc', '/usr/local/sbin/runc'].some(existsSync);
const skip = !runcPresent ? 'runc is absent (.ci/run installs it)' : process.getuid?.() !== 0 ? 'the oci driver needs root' : busyboxSkipReason();

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** Fails if runc containers, mounts, task namespaces or veths, or the bridge made under `stateDir` are still there. */
async function assertNothingLeft(stateDir: string, bridge: string, taskIds: string[]): Promise<void> {
  const prefix = path.join(stateDir, 'oci') + path.sep;
  const containers = (JSON.parse((await exec('runc', ['list', '--format', 'json'])) || 'null') as { id: string; bundle: string }[] | null) ?? [];
  assert.deepEqual(containers.filter((c) => c.bundle.startsWith(prefix)).map((c) => c.id), [], 'runc containers left');
  const mounts = (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(prefix));
  assert.deepEqual(mounts, [], 'mounts left');
  const netns = (await exec('ip', ['netns', 'list'])).split('\n').map((l) => l.split(' ')[0]);
  const links = await exec('ip', ['-o', 'link', 'show']);
  for (const taskId of taskIds) {
    const short = createHash('sha256').update(taskId).digest('hex').slice(0, 10);
    assert.ok(!netns.includes(`berth-${short}`), `network namespace of ${taskId} left`);
    assert.ok(!links.includes(`bv${short}`), `veth of ${taskId} left`);
    const cid = `berth-${createHash('sha256').update(taskId).digest('hex').slice(0, 12)}-`;
    const cgroups = existsSync('/sys/fs/cgroup/memory/berth') ? readdirSync('/sys/fs/cgroup/memory/berth') : [];
    assert.deepEqual(cgroups.filter((name) => name.startsWith(cid)), [], `cgroups of ${taskId} left`);
  }
  assert.ok(!new RegExp(`^\\d+: ${bridge}[:@]`, 'm').test(links), `bridge ${bridge} left`);
}

async function eventually<T>(fn: () => Promise<T>, tries = 100): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= tries) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('oci driver: runc specifics', { skip }, () => {
  let tmp: string;
  let images: ImageStore;
  let driver: OciDriver;
  const sandboxes: TaskSandbox[] = [];
  const handles: TaskHandle[] = [];

  const task = async (taskId: string, networkMode: 'awsvpc' | 'bridge' | 'host', containers: { name: string; portMappings: { containerPort: number }[] }[], limits: { cpuUnits?: number; memoryLimitBytes?: number } = {}) => {
    const sb = await driver.prepareTask({ taskId, networkMode, containers, ...limits });
    sandboxes.push(sb);
    return sb;
  };

  before(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-oci-'));
    images = openImageStore(path.join(tmp, 'data'));
    await writeTestImage(path.join(tmp, 'img'), 'oci-layout', { config: { Env: ['PATH=/bin', 'FROM_IMAGE=yes'], Cmd: ['httpd', '-f', '-p', '8080', '-h', '/www'] } });
    await images.import(path.join(tmp, 'img'), 'busybox:latest');
    driver = makeDriver();
  });
  /** A driver over the test's state dir; a second one is a Berth restart. */
  const makeDriver = () => new OciDriver({ images, ports: new PortAllocator({ from: 42100, to: 42199 }), stateDir: path.join(tmp, 'runtime'), bridge: { name: 'berth-test0', prefix: '10.213.250' } });

  after(async () => {
    if (driver) {
      for (const h of handles) await driver.destroyTask(h).catch(() => {});
      for (const sb of sandboxes) await driver.destroyTaskSandbox(sb).catch(() => {});
      await driver.removeAll(); // whatever a failed test left behind
      await assertNothingLeft(path.join(tmp, 'runtime'), 'berth-test0', sandboxes.map((s) => s.taskId));
    }
    await rm(tmp, { recursive: true, force: true });
  });

  it('fingerprints as healthy here', async () => {
    const fp = await driver.fingerprint();
    assert.equal(fp.healthy, true, fp.reason);
    assert.equal(fp.attributes['memory.enforcement'], 'cgroup');
  });

  it('serves an awsvpc task on its private IP from the host, with the image CMD', async () => {
    const sb = await task('web-awsvpc', 'awsvpc', [{ name: 'web', portMappings: [{ containerPort: 8080 }] }]);
    assert.match(sb.ipv4Address!, /^10\.213\.250\.\d+$/);
    const h = await driver.startTask(sb, { name: 'web', image: 'busybox' });
    handles.push(h);
    assert.equal(await eventually(() => get(`http://${sb.ipv4Address}:8080/`)), 'hello from berth\n');
    assert.equal((await driver.inspectTask(h)).state, 'running');
    assert.equal(await driver.recoverTask(h), true);
    await driver.stopTask(h, 1000);
    const exit = await driver.waitTask(h);
    assert.equal(exit.exitCode, 137, 'httpd is PID 1 without a SIGTERM handler, so (as under Docker) only SIGKILL ends it');
  });

  it('publishes a bridge-mode port on a host port', async () => {
    const sb = await task('web-bridge', 'bridge', [{ name: 'web', portMappings: [{ containerPort: 8080 }] }]);
    const binding = sb.networkBindings.web[0];
    const h = await driver.startTask(sb, { name: 'web', image: 'busybox' });
    handles.push(h);
    assert.equal(await eventually(() => get(`http://127.0.0.1:${binding.hostPort}/`)), 'hello from berth\n');
  });

  it('applies the memory limit and cpu shares to the container cgroup', async () => {
    const sb = await task('limits', 'awsvpc', [{ name: 'app', portMappings: [] }], { cpuUnits: 512, memoryLimitBytes: 64 * 1024 * 1024 });
    const h = await driver.startTask(sb, { name: 'app', image: 'busybox', command: ['sleep', '30'] });
    handles.push(h);
    const cg = `/berth/${h.driverState.containerId}`;
    assert.equal((await readFile(`/sys/fs/cgroup/memory${cg}/memory.limit_in_bytes`, 'utf8')).trim(), String(64 * 1024 * 1024));
    assert.equal((await readFile(`/sys/fs/cgroup/cpu${cg}/cpu.shares`, 'utf8')).trim(), '512');
    const usage = await driver.stats(h);
    assert.ok(usage.memoryBytes > 0);
    assert.equal(usage.memoryLimitBytes, 64 * 1024 * 1024);
    await driver.stopTask(h, 0, 'SIGKILL');
  });

  it('records an OOM kill in the exit file (read after a restart) and keeps the cgroup until destroyTask', async () => {
    const sb = await task('oom', 'awsvpc', [{ name: 'app', portMappings: [] }], { memoryLimitBytes: 32 << 20 });
    const h = await driver.startTask(sb, { name: 'app', image: 'busybox', entryPoint: ['sh', '-c'], command: ['x=$(yes | head -c 268435456); echo survived'] });
    handles.push(h);
    await driver.waitTask(h, AbortSignal.timeout(30_000));
    const cgroup = `/sys/fs/cgroup/memory/berth/${h.driverState.containerId}`;
    assert.equal(existsSync(cgroup), true, 'runc run --keep leaves the cgroup until destroyTask');
    const restarted = makeDriver();
    const persisted = JSON.parse(JSON.stringify(h)) as TaskHandle;
    assert.equal(await restarted.recoverTask(persisted), false);
    const exit = await restarted.waitTask(persisted, AbortSignal.timeout(30_000));
    assert.deepEqual({ oomKilled: exit.oomKilled, exitCode: exit.exitCode, signal: exit.signal, reason: exit.reason }, { oomKilled: true, exitCode: 137, signal: 'SIGKILL', reason: 'OutOfMemoryError: Container killed due to memory usage' });
    assert.equal((await restarted.inspectTask(persisted)).exit?.oomKilled, true);
    await restarted.destroyTask(persisted);
    assert.equal(existsSync(cgroup), false);
  });

  it('runs a task in its own PID namespace, with image and definition environment, and reports exit codes', async () => {
    const sb = await task('pidns', 'awsvpc', [{ name: 'app', portMappings: [] }]);
    const h = await driver.startTask(sb, { name: 'app', image: 'busybox', entryPoint: ['sh', '-c'], command: ['echo pid=$$ procs=$(ls /proc | grep -c "^[0-9]") $FROM_IMAGE $MINE; exit 3'], environment: { MINE: 'mine' } });
    handles.push(h);
    const exit = await driver.waitTask(h);
    assert.equal(exit.exitCode, 3);
    const lines: string[] = [];
    for await (const l of driver.readLogs(h)) lines.push(l.text);
    assert.match(lines.join('\n'), /pid=1 procs=[1-5] yes mine/, 'the shell is PID 1 and sees only its own processes');
  });

  it('refuses an image that is not in the store with ECS\'s CannotPullContainerError', async () => {
    const sb = await task('nopull', 'awsvpc', [{ name: 'app', portMappings: [] }]);
    await assert.rejects(driver.startTask(sb, { name: 'app', image: 'nginx:1.25' }), (err: Error & { code?: string }) => err.code === 'CannotPullContainerError' && /not found/.test(err.message));
    await assert.rejects(driver.startTask(sb, { name: 'app', image: 'busybox', command: ['/no/such'] }), (err: Error & { code?: string }) => err.code === 'CannotStartContainerError');
  });
});

/** The shared conformance suite on the oci driver: awsvpc tasks reached on their own IP. */
const conformance = { tmp: '', images: undefined as ImageStore | undefined };
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
runDriverConformance(
  'oci',
  async () => {
    if (!conformance.images) {
      conformance.tmp = await mkdtemp(path.join(os.tmpdir(), 'berth-oci-conformance-'));
      conformance.images = openImageStore(path.join(conformance.tmp, 'data'));
      await writeTestImage(path.join(conformance.tmp, 'img'), 'oci-layout');
      await conformance.images.import(path.join(conformance.tmp, 'img'), 'busybox:latest');
    }
    // a new instance (with its own port reservations) over the same state, as after a restart
    return new OciDriver({ images: conformance.images, ports: new PortAllocator({ from: 42200, to: 42299 }), stateDir: path.join(conformance.tmp, 'runtime'), bridge: { name: 'berth-test1', prefix: '10.213.251' } });
  },
  {
    image: 'busybox:latest',
    shell: (script) => ({ entryPoint: ['/bin/sh', '-c'], command: [script] }),
    httpServer: (body) => ({ entryPoint: ['/bin/sh', '-c'], command: [`mkdir -p /tmp/www && printf %s ${quote(body)} > /tmp/www/index.html && exec httpd -f -p "$PORT" -h /tmp/www`] }),
    workingDirectory: '/www',
    // the shell reads 256 MiB of "y" lines into a variable: far over a 32 MiB cgroup limit
    memoryHog: { command: { entryPoint: ['/bin/sh', '-c'], command: ['x=$(yes | head -c 268435456); echo "survived ${#x}"'] }, limitBytes: 32 << 20 },
    networkMode: 'awsvpc',
    address: (sandbox, binding) => ({ host: sandbox.ipv4Address!, port: binding.containerPort }),
    skip,
  },
);

after(async () => {
  if (!conformance.tmp) return;
  const stateDir = path.join(conformance.tmp, 'runtime');
  const taskIds = await readdir(path.join(stateDir, 'oci', 'tasks')).catch(() => [] as string[]);
  const leftover = new OciDriver({ images: conformance.images!, ports: new PortAllocator({ from: 42200, to: 42299 }), stateDir, bridge: { name: 'berth-test1', prefix: '10.213.251' } });
  await leftover.removeAll(); // the suite destroyed its tasks; this catches what a failed test left
  await assertNothingLeft(stateDir, 'berth-test1', taskIds);
  await rm(conformance.tmp, { recursive: true, force: true });
});
