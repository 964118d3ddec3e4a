/**
 * The driver conformance suite: the same node:test tests for every driver, with real processes,
 * real ports and real signals. A driver's test file calls {@link runDriverConformance} with a
 * factory and {@link ConformanceFixtures} saying which command lines to use in its containers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DriverError, type ContainerConfig, type Driver, type LogLine, type NetworkBinding, type NetworkMode, type TaskHandle, type TaskSandbox } from './driver.js';

/** A container's command line, as a fixture gives it. */
export type CommandLine = Pick<ContainerConfig, 'entryPoint' | 'command'>;

/** What differs between drivers in the suite: images and command lines. */
export interface ConformanceFixtures {
  /** The `image` of every test container. */
  image: string;
  /** Runs a POSIX shell script (echo, sleep, trap, pwd, exit), e.g. `["/bin/sh", "-c", script]`. */
  shell(script: string): CommandLine;
  /** Serves HTTP on `$PORT`, answering every GET with exactly `body`. */
  httpServer(body: string): CommandLine;
  /** A directory that exists in the container, for the workingDirectory test. */
  workingDirectory: string;
  /** The network mode of test tasks; default `bridge`. */
  networkMode?: NetworkMode;
  /** Where the test connects to reach a binding; default: 127.0.0.1 and the host port. */
  address?(sandbox: TaskSandbox, binding: NetworkBinding): { host: string; port: number };
  /** A command that keeps allocating memory, and a hard limit it exceeds. */
  memoryHog: { command: CommandLine; limitBytes: number };
  /** Skip the whole suite, with this reason (e.g. runc missing). */
  skip?: string;
}

/** Makes a new driver instance over the same state each call (a second call simulates a Berth restart). */
export type DriverFactory = () => Driver | Promise<Driver>;

/** How long any single wait in the suite may take before the test fails (not a timing assertion). */
const PATIENCE_MS = 30_000;

/** Registers the conformance tests for one driver. */
export function runDriverConformance(name: string, makeDriver: DriverFactory, fixtures: ConformanceFixtures): void {
  describe(`driver conformance: ${name}`, { skip: fixtures.skip }, () => {
    let driver: Driver;
    const sandboxes: TaskSandbox[] = [];
    const handles: TaskHandle[] = [];

    const getDriver = async () => (driver ??= await makeDriver());
    const newTask = async (containers: { name: string; ports?: number[] }[] = [{ name: 'app' }]): Promise<TaskSandbox> => {
      const d = await getDriver();
      const sandbox = await d.prepareTask({
        taskId: `conf-${randomBytes(6).toString('hex')}`,
        networkMode: fixtures.networkMode ?? 'bridge',
        containers: containers.map((c) => ({ name: c.name, portMappings: (c.ports ?? []).map((containerPort) => ({ containerPort, protocol: 'tcp' as const })) })),
      });
      sandboxes.push(sandbox);
      return sandbox;
    };
    const start = async (sandbox: TaskSandbox, config: Partial<ContainerConfig> & CommandLine): Promise<TaskHandle> => {
      const handle = await (await getDriver()).startTask(sandbox, { name: 'app', image: fixtures.image, ...config });
      handles.push(handle);
      return handle;
    };
    const lines = async (d: Driver, handle: TaskHandle, options: { offset?: number; follow?: boolean } = {}): Promise<LogLine[]> => {
      const out: LogLine[] = [];
      for await (const l of d.readLogs(handle, { ...options, signal: AbortSignal.timeout(PATIENCE_MS) })) out.push(l);
      return out;
    };
    const waitForLine = async (handle: TaskHandle, text: string): Promise<void> => {
      const signal = AbortSignal.timeout(PATIENCE_MS);
      for await (const l of driver.readLogs(handle, { follow: true, signal })) if (l.text === text) return;
      assert.fail(`the container never printed '${text}'`);
    };

    after(async () => {
      const d = await getDriver();
      for (const h of handles) await d.destroyTask(h).catch(() => {});
      for (const s of sandboxes) await d.destroyTaskSandbox(s).catch(() => {});
    });

    test('fingerprint: detected and healthy, with attributes', async () => {
      const fp = await (await getDriver()).fingerprint();
      assert.equal(fp.detected, true, fp.reason);
      assert.equal(fp.healthy, true, fp.reason);
      assert.equal(typeof fp.attributes, 'object');
    });

    test('a container serves HTTP on its assigned host port, reported in its network bindings', async () => {
      const sandbox = await newTask([{ name: 'app', ports: [8080] }]);
      const handle = await start(sandbox, fixtures.httpServer('hello from berth'));
      assert.equal(handle.networkBindings.length, 1);
      const binding = handle.networkBindings[0]!;
      assert.deepEqual(binding, sandbox.networkBindings.app![0]);
      assert.equal(binding.containerPort, 8080);
      const { host, port } = fixtures.address?.(sandbox, binding) ?? { host: '127.0.0.1', port: binding.hostPort };
      assert.equal(await getUntilUp(host, port), 'hello from berth');
      await driver.stopTask(handle, 5000);
    });

    test('output is captured as lines with their stream, in order, and readable from an offset', async () => {
      const sandbox = await newTask();
      const handle = await start(sandbox, fixtures.shell('echo out1; echo err1 >&2; echo out2; echo err2 >&2; printf tail'));
      await driver.waitTask(handle, AbortSignal.timeout(PATIENCE_MS));
      const all = await lines(driver, handle);
      assert.deepEqual(all.filter((l) => l.stream === 'stdout').map((l) => l.text), ['out1', 'out2', 'tail']);
      assert.deepEqual(all.filter((l) => l.stream === 'stderr').map((l) => l.text), ['err1', 'err2']);
      for (const l of all) assert.ok(l.at instanceof Date && !Number.isNaN(l.at.getTime()));
      const rest = await lines(driver, handle, { offset: all[0]!.nextOffset });
      assert.deepEqual(rest.map((l) => l.text), all.slice(1).map((l) => l.text));
      const followed = await lines(driver, handle, { follow: true });
      assert.equal(followed.length, all.length, 'follow ends once the container has exited and its output is read');
    });

    test('the exit code of a command that exits 3 is reported by waitTask and inspectTask', async () => {
      const handle = await start(await newTask(), fixtures.shell('exit 3'));
      const exit = await driver.waitTask(handle, AbortSignal.timeout(PATIENCE_MS));
      assert.equal(exit.exitCode, 3);
      assert.equal(exit.oomKilled, false);
      assert.ok(exit.finishedAt instanceof Date);
      const st = await driver.inspectTask(handle);
      assert.equal(st.state, 'exited');
      assert.equal(st.exit?.exitCode, 3);
    });

    test('stopTask sends SIGTERM and a process that traps it exits cleanly', async () => {
      const handle = await start(await newTask(), fixtures.shell(`trap 'echo bye; exit 0' TERM; echo ready; while :; do sleep 0.1; done`));
      await waitForLine(handle, 'ready');
      await driver.stopTask(handle, PATIENCE_MS);
      const exit = await driver.waitTask(handle);
      assert.equal(exit.exitCode, 0);
      assert.ok((await lines(driver, handle)).some((l) => l.text === 'bye'));
    });

    test('a process that ignores SIGTERM is killed with SIGKILL after the timeout', async () => {
      const handle = await start(await newTask(), fixtures.shell(`trap '' TERM; echo ready; while :; do sleep 0.1; done`));
      await waitForLine(handle, 'ready');
      await driver.stopTask(handle, 300);
      const exit = await driver.waitTask(handle);
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.signal, 'SIGKILL');
      assert.equal((await driver.inspectTask(handle)).state, 'exited');
    });

    test('destroyTask and destroyTaskSandbox are idempotent', async () => {
      const sandbox = await newTask([{ name: 'app', ports: [80] }]);
      const handle = await start(sandbox, fixtures.shell('sleep 600'));
      await driver.destroyTask(handle);
      await driver.destroyTask(handle);
      assert.notEqual((await driver.inspectTask(handle)).state, 'running');
      await driver.destroyTaskSandbox(sandbox);
      await driver.destroyTaskSandbox(sandbox);
      await driver.destroyTask(handle);
    });

    test('a new driver instance recovers a running container from its handle, and reports a dead one as gone', async () => {
      const sandbox = await newTask([{ name: 'app', ports: [8080] }, { name: 'done' }]);
      const running = await start(sandbox, fixtures.httpServer('still here'));
      const done = await start(sandbox, { ...fixtures.shell('exit 0'), name: 'done' });
      await driver.waitTask(done, AbortSignal.timeout(PATIENCE_MS));
      const persisted = JSON.parse(JSON.stringify({ sandbox, running, done })) as { sandbox: TaskSandbox; running: TaskHandle; done: TaskHandle };

      const restarted = await makeDriver();
      assert.equal(await restarted.recoverTaskSandbox(persisted.sandbox), true);
      assert.equal(await restarted.recoverTask(persisted.running), true);
      assert.equal(await restarted.recoverTask(persisted.done), false);
      assert.equal((await restarted.inspectTask(persisted.running)).state, 'running');
      // The recovered task keeps its host port: a new task on the restarted driver gets another.
      const other = await restarted.prepareTask({ taskId: `conf-${randomBytes(6).toString('hex')}`, networkMode: fixtures.networkMode ?? 'bridge', containers: [{ name: 'app', portMappings: [{ containerPort: 8080 }] }] });
      sandboxes.push(other);
      if (sandbox.networkMode !== 'awsvpc') assert.notEqual(other.networkBindings.app![0]!.hostPort, running.networkBindings[0]!.hostPort);
      const { host, port } = fixtures.address?.(sandbox, running.networkBindings[0]!) ?? { host: '127.0.0.1', port: running.networkBindings[0]!.hostPort };
      assert.equal(await getUntilUp(host, port), 'still here');
      await restarted.stopTask(persisted.running, 5000);
      const exit = await restarted.waitTask(persisted.running, AbortSignal.timeout(PATIENCE_MS));
      assert.notEqual(exit.exitCode, undefined);
      assert.equal(await restarted.recoverTask(persisted.running), false);
    });

    test('concurrent waits on several containers, from two driver instances, each get their own container\'s exit', async () => {
      const sandbox = await newTask(['a', 'b', 'c', 'd'].map((name) => ({ name })));
      const started = await Promise.all(['a', 'b', 'c', 'd'].map((name, i) => start(sandbox, { ...fixtures.shell(`sleep 1; exit ${10 + i}`), name })));
      const other = await makeDriver();
      const waits = started.flatMap((h) => [driver.waitTask(h, AbortSignal.timeout(PATIENCE_MS)), other.waitTask(JSON.parse(JSON.stringify(h)) as TaskHandle, AbortSignal.timeout(PATIENCE_MS))]);
      const codes = (await Promise.all(waits)).map((e) => e.exitCode);
      assert.deepEqual(codes, [10, 10, 11, 11, 12, 12, 13, 13]);
    });

    test('stats report non-zero memory for a running container', async () => {
      const handle = await start(await newTask(), fixtures.shell('while :; do sleep 0.1; done'));
      const s = await driver.stats(handle);
      assert.ok(s.memoryBytes > 0, `memoryBytes ${s.memoryBytes}`);
      assert.ok(s.cpuPercent >= 0 && Number.isFinite(s.cpuPercent));
      assert.ok(s.cpuUnitsUsed >= 0);
      assert.ok(s.at instanceof Date);
      await driver.stopTask(handle, 5000);
      await assert.rejects(driver.stats(handle), DriverError);
    });

    test('a missing executable fails startTask with ECS wording and leaves nothing running', async () => {
      const sandbox = await newTask();
      await assert.rejects(start(sandbox, { command: ['berth-no-such-executable'] }), (err: unknown) => {
        assert.ok(err instanceof DriverError, String(err));
        assert.equal(err.code, 'CannotStartContainerError');
        assert.match(err.reason, /^CannotStartContainerError: .*"berth-no-such-executable": executable file not found in \$PATH/);
        return true;
      });
    });

    test('two containers never get the same host port', async () => {
      const a = await newTask([{ name: 'web', ports: [80, 443] }, { name: 'side', ports: [80] }]);
      const b = await newTask([{ name: 'web', ports: [80, 443] }]);
      if (a.networkMode === 'awsvpc') return; // ports are per task namespace there
      const ports = [a, b].flatMap((s) => Object.values(s.networkBindings).flat().map((x) => x.hostPort));
      assert.equal(ports.length, 5);
      assert.equal(new Set(ports).size, 5, `host ports ${ports.join(', ')}`);
    });

    test('environment and workingDirectory are applied, and the container learns its port', async () => {
      const sandbox = await newTask([{ name: 'app', ports: [9000] }]);
      const handle = await start(sandbox, {
        ...fixtures.shell('echo "FOO=$FOO"; echo "PORT=$PORT"; echo "BOUND=$BERTH_HOST_PORT_9000"; pwd'),
        environment: { FOO: 'bar baz' },
        workingDirectory: fixtures.workingDirectory,
      });
      await driver.waitTask(handle, AbortSignal.timeout(PATIENCE_MS));
      const out = (await lines(driver, handle)).map((l) => l.text);
      const port = handle.networkBindings[0]!.hostPort;
      assert.deepEqual(out, ['FOO=bar baz', `PORT=${port}`, `BOUND=${port}`, fixtures.workingDirectory]);
    });

    test('execTask runs a command inside a running container (health checks)', async () => {
      const handle = await start(await newTask(), { ...fixtures.shell('while :; do sleep 0.1; done'), environment: { PROBE: 'ok' } });
      const good = await driver.execTask(handle, argv(fixtures.shell('echo "probe $PROBE"')), 10_000);
      assert.deepEqual({ exitCode: good.exitCode, output: good.output.trim(), timedOut: good.timedOut }, { exitCode: 0, output: 'probe ok', timedOut: false });
      const bad = await driver.execTask(handle, argv(fixtures.shell('exit 1')), 10_000);
      assert.equal(bad.exitCode, 1);
      const slow = await driver.execTask(handle, argv(fixtures.shell('sleep 600')), 200);
      assert.equal(slow.timedOut, true);
      await driver.stopTask(handle, 5000);
    });

    test('a container over its hard memory limit is killed with OutOfMemoryError', async () => {
      const hog = fixtures.memoryHog;
      const handle = await start(await newTask(), { ...hog.command, memoryLimitBytes: hog.limitBytes });
      const exit = await driver.waitTask(handle, AbortSignal.timeout(PATIENCE_MS));
      assert.equal(exit.oomKilled, true);
      assert.equal(exit.exitCode, 137);
      assert.match(exit.reason ?? '', /^OutOfMemoryError: Container killed due to memory usage/);
    });
  });
}

/** A command line as one argv. */
function argv(cl: CommandLine): string[] {
  return [...(cl.entryPoint ?? []), ...(cl.command ?? [])];
}

/** GETs `/` until the server answers (it may still be starting), returning the body. */
async function getUntilUp(host: string, port: number): Promise<string> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    try {
      return await new Promise<string>((resolve, reject) => {
        const req = http.get({ host, port, path: '/', timeout: 2000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve(body));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', reject);
      });
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}
