import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { compileRuntimeOptions, PortAllocator, ProcessDriver, type TaskHandle } from '../runtime/index.js';
import type { HealthStatus } from './decide.js';
import { compileHealthCheck, HealthChecker, type Clock, type HealthCheckSettings } from './health.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-health-')));
const runtime = compileRuntimeOptions({ dataDir: root, portRange: '43100-43199' }, {});
const driver = new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) });
const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c().catch(() => {});
  rmSync(root, { recursive: true, force: true });
});

/** A clock whose sleeps end only when the test advances it. */
class ManualClock implements Clock {
  private t = 0;
  private sleepers: { until: number; resolve: () => void }[] = [];
  private waiters: (() => void)[] = [];
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const s = { until: this.t + ms, resolve };
      this.sleepers.push(s);
      signal?.addEventListener('abort', () => resolve(), { once: true });
      for (const w of this.waiters.splice(0)) w();
    });
  }
  /** Moves time forward by `ms` and wakes every sleeper that is due. */
  advance(ms: number): void {
    this.t += ms;
    const due = this.sleepers.filter((s) => s.until <= this.t);
    this.sleepers = this.sleepers.filter((s) => s.until > this.t);
    for (const s of due) s.resolve();
  }
  /** Resolves when someone next starts sleeping. */
  nextSleep(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

async function container(): Promise<TaskHandle> {
  const sandbox = await driver.prepareTask({ taskId: `health-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: [{ name: 'app', portMappings: [] }] });
  cleanup.push(() => driver.destroyTaskSandbox(sandbox));
  const handle = await driver.startTask(sandbox, { name: 'app', image: 'host', command: ['/bin/sh', '-c', 'sleep 300'] });
  cleanup.push(() => driver.destroyTask(handle));
  return handle;
}

/** A checker on a manual clock whose check succeeds while `flag` exists. */
async function setup(overrides: Partial<HealthCheckSettings> = {}, initial?: HealthStatus) {
  const flag = path.join(root, `flag-${randomBytes(4).toString('hex')}`);
  const clock = new ManualClock();
  const changes: HealthStatus[] = [];
  const settings = { ...compileHealthCheck({ command: ['CMD-SHELL', `test -f ${flag}`] }), ...overrides };
  const checker = new HealthChecker({ driver, handle: await container(), settings, clock, initial, onChange: (s) => changes.push(s) });
  const abort = new AbortController();
  const first = clock.nextSleep();
  const running = checker.start(abort.signal);
  await first;
  /** Lets one interval pass and waits until that check has been recorded. */
  const tick = async () => {
    const next = clock.nextSleep();
    clock.advance(settings.intervalMs);
    await next;
  };
  const healthy = (yes: boolean) => (yes ? writeFileSync(flag, '') : rmSync(flag, { force: true }));
  const done = async () => {
    abort.abort();
    await running;
  };
  return { checker, changes, tick, healthy, done, clock };
}

describe('compileHealthCheck', () => {
  test('CMD runs the executable, CMD-SHELL runs /bin/sh -c, ECS defaults fill the rest', () => {
    assert.deepEqual(compileHealthCheck({ command: ['CMD', 'curl', '-f', 'http://localhost/'] }), {
      argv: ['curl', '-f', 'http://localhost/'],
      intervalMs: 30_000,
      timeoutMs: 5_000,
      retries: 3,
      startPeriodMs: 0,
    });
    assert.deepEqual(compileHealthCheck({ command: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: 5, timeout: 2, retries: 1, startPeriod: 60 }), {
      argv: ['/bin/sh', '-c', 'curl -f http://localhost/ || exit 1'],
      intervalMs: 5_000,
      timeoutMs: 2_000,
      retries: 1,
      startPeriodMs: 60_000,
    });
  });

  test('refuses other forms', () => {
    assert.throws(() => compileHealthCheck({ command: ['NONE'] }), /must be \["CMD", executable, args\.\.\.\] or \["CMD-SHELL", "command"\]/);
    assert.throws(() => compileHealthCheck({ command: ['CMD'] }), RangeError);
    assert.throws(() => compileHealthCheck({ command: [] }), RangeError);
  });
});

describe('HealthChecker (manual clock, real checks in a process-driver container)', () => {
  test('UNKNOWN until the first result, HEALTHY after a success, UNHEALTHY after `retries` consecutive failures, HEALTHY again', async () => {
    const h = await setup();
    try {
      assert.equal(h.checker.status(), 'UNKNOWN');
      h.healthy(true);
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY');
      assert.equal(h.checker.result().exitCode, 0);
      h.healthy(false);
      await h.tick();
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY', 'two failures of three are not enough');
      await h.tick();
      assert.equal(h.checker.status(), 'UNHEALTHY');
      assert.equal(h.checker.result().exitCode, 1);
      assert.equal(h.checker.result().statusSince, h.clock.now());
      h.healthy(true);
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY');
      assert.deepEqual(h.changes, ['HEALTHY', 'UNHEALTHY', 'HEALTHY']);
    } finally {
      await h.done();
    }
  });

  test('a success between failures resets the count', async () => {
    const h = await setup({ retries: 2 });
    try {
      await h.tick();
      h.healthy(true);
      await h.tick();
      h.healthy(false);
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY');
      await h.tick();
      assert.equal(h.checker.status(), 'UNHEALTHY');
    } finally {
      await h.done();
    }
  });

  test('failures during startPeriod do not count; later ones do', async () => {
    const h = await setup({ retries: 1, startPeriodMs: 95_000 });
    try {
      await h.tick(); // 30 s
      await h.tick(); // 60 s
      await h.tick(); // 90 s
      assert.equal(h.checker.status(), 'UNKNOWN');
      await h.tick(); // 120 s: past the start period
      assert.equal(h.checker.status(), 'UNHEALTHY');
    } finally {
      await h.done();
    }
  });

  test('a success during startPeriod ends it: the next failure counts', async () => {
    const h = await setup({ retries: 1, startPeriodMs: 300_000 });
    try {
      h.healthy(true);
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY');
      h.healthy(false);
      await h.tick();
      assert.equal(h.checker.status(), 'UNHEALTHY');
    } finally {
      await h.done();
    }
  });

  test('a re-adopted container starts from its saved HEALTHY: kept through fewer than `retries` failures, UNHEALTHY after them', async () => {
    const h = await setup({ retries: 2, startPeriodMs: 300_000 }, 'HEALTHY');
    try {
      assert.equal(h.checker.status(), 'HEALTHY', 'before any check has run');
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY', 'one failure of two is not enough');
      await h.tick();
      assert.equal(h.checker.status(), 'UNHEALTHY', 'the start period does not apply to a container that already had a result');
      assert.deepEqual(h.changes, ['UNHEALTHY'], 'the saved status itself is no change');
    } finally {
      await h.done();
    }
  });

  test('a re-adopted container starts from its saved UNHEALTHY and turns HEALTHY at the first success', async () => {
    const h = await setup({ retries: 3 }, 'UNHEALTHY');
    try {
      assert.equal(h.checker.status(), 'UNHEALTHY');
      await h.tick();
      assert.equal(h.checker.status(), 'UNHEALTHY');
      h.healthy(true);
      await h.tick();
      assert.equal(h.checker.status(), 'HEALTHY');
      assert.deepEqual(h.changes, ['HEALTHY']);
    } finally {
      await h.done();
    }
  });

  test('a check that runs over its timeout fails', async () => {
    const clock = new ManualClock();
    const settings = { ...compileHealthCheck({ command: ['CMD', 'sleep', '30'] }), retries: 1, timeoutMs: 200 };
    const checker = new HealthChecker({ driver, handle: await container(), settings, clock });
    const abort = new AbortController();
    const first = clock.nextSleep();
    const running = checker.start(abort.signal);
    await first;
    const next = clock.nextSleep();
    clock.advance(settings.intervalMs);
    await next;
    assert.equal(checker.status(), 'UNHEALTHY');
    assert.equal(checker.result().exitCode, -1);
    assert.match(checker.result().output ?? '', /timeout/);
    checker.stop();
    await running;
    abort.abort();
  });
});

describe('HealthChecker on the real clock', () => {
  test('follows a file the health command checks', { timeout: 60_000 }, async () => {
    const flag = path.join(root, 'real-flag');
    const changes: HealthStatus[] = [];
    let wake: (() => void) | undefined;
    const checker = new HealthChecker({
      driver,
      handle: await container(),
      settings: { ...compileHealthCheck({ command: ['CMD', '/bin/sh', '-c', `test -f ${flag}`] }), intervalMs: 50, retries: 2 },
      onChange: (s) => {
        changes.push(s);
        wake?.();
      },
    });
    const until = (status: HealthStatus) => new Promise<void>((resolve) => (wake = () => checker.status() === status && resolve()));
    writeFileSync(flag, '');
    const healthy = until('HEALTHY');
    const abort = new AbortController();
    const running = checker.start(abort.signal);
    try {
      await healthy;
      const unhealthy = until('UNHEALTHY');
      unlinkSync(flag);
      await unhealthy;
      assert.deepEqual(changes, ['HEALTHY', 'UNHEALTHY']);
    } finally {
      abort.abort();
      await running;
    }
  });
});
