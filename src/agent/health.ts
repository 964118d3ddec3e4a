/**
 * Container health checks as ECS (and Docker) run them: a container definition's `healthCheck`
 * command is run inside the container through the driver's `execTask`, every `interval` seconds,
 * each run limited to `timeout` seconds; the container is UNKNOWN until the first result, HEALTHY
 * after a success, UNHEALTHY after `retries` consecutive failures. Failures during `startPeriod`
 * (counted from the checker's start) do not count; a success during it ends the period.
 *
 * A container re-adopted after a Berth restart keeps the health it had (`initial`, the saved
 * `healthStatus`), as ECS's agent keeps it across its own restarts: the checker reports it until
 * a real result changes it, by the same rules (a HEALTHY container turns UNHEALTHY only after
 * `retries` consecutive failures; an UNHEALTHY one turns HEALTHY at the first success). Its start
 * period is over: a known status means the container already had a result that ended it.
 *
 * Time is injected through a {@link Clock}, so tests drive the intervals without sleeping; the
 * check commands themselves really run.
 */
import type { Driver, TaskHandle } from '../runtime/index.js';
import type { HealthStatus } from './decide.js';

/** A container definition's `healthCheck`, as ECS stores it (times in seconds). */
export interface HealthCheckDefinition {
  command: string[];
  interval?: number;
  timeout?: number;
  retries?: number;
  startPeriod?: number;
}

/** A health check with every default applied, times in milliseconds. */
export interface HealthCheckSettings {
  /** The argv to run in the container: `CMD` drops its marker, `CMD-SHELL` runs `/bin/sh -c`. */
  argv: string[];
  /** Between the end of one check's wait and the next run. Default 30 s. */
  intervalMs: number;
  /** A run that takes longer fails. Default 5 s. */
  timeoutMs: number;
  /** Consecutive failures that make the container UNHEALTHY. Default 3. */
  retries: number;
  /** Failures this long after start do not count. Default 0. */
  startPeriodMs: number;
}

/** ECS's defaults for a `healthCheck`, in seconds. */
export const HEALTH_CHECK_DEFAULTS = { interval: 30, timeout: 5, retries: 3, startPeriod: 0 } as const;

/**
 * Applies ECS's defaults and turns the command into an argv: `["CMD", exe, ...args]` runs
 * `exe args...`; `["CMD-SHELL", "a && b"]` runs `/bin/sh -c "a && b"` (several strings after
 * CMD-SHELL are joined with spaces, as Docker does). Throws a RangeError for any other form.
 */
export function compileHealthCheck(def: HealthCheckDefinition): HealthCheckSettings {
  const [kind, ...rest] = def.command ?? [];
  let argv: string[];
  if (kind === 'CMD' && rest.length > 0) argv = rest;
  else if (kind === 'CMD-SHELL' && rest.length > 0) argv = ['/bin/sh', '-c', rest.join(' ')];
  else throw new RangeError(`healthCheck command must be ["CMD", executable, args...] or ["CMD-SHELL", "command"]; got ${JSON.stringify(def.command ?? [])}.`);
  const seconds = (v: number | undefined, dflt: number) => (v ?? dflt) * 1000;
  return {
    argv,
    intervalMs: seconds(def.interval, HEALTH_CHECK_DEFAULTS.interval),
    timeoutMs: seconds(def.timeout, HEALTH_CHECK_DEFAULTS.timeout),
    retries: def.retries ?? HEALTH_CHECK_DEFAULTS.retries,
    startPeriodMs: seconds(def.startPeriod, HEALTH_CHECK_DEFAULTS.startPeriod),
  };
}

/** The passage of time, injectable so tests need not sleep. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Resolves after `ms`; rejects (or resolves early) when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The real clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** The outcome of one check run, as the task metadata endpoint's `Health` reports it. */
export interface HealthCheckResult {
  status: HealthStatus;
  /** When `status` last changed (epoch ms). */
  statusSince: number;
  /** The last run's exit code (-1 when it timed out or could not run). */
  exitCode?: number;
  /** The last run's output (truncated by the driver). */
  output?: string;
}

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  driver: Driver;
  handle: TaskHandle;
  settings: HealthCheckSettings;
  /** Called once per status change, after the status has changed. */
  onChange?: (status: HealthStatus, result: HealthCheckResult) => void;
  /** Default {@link systemClock}. */
  clock?: Clock;
  /**
   * The status to start from instead of UNKNOWN: the container's saved `healthStatus` when it is
   * re-adopted after a restart. `onChange` is not called for it (it is no change).
   */
  initial?: HealthStatus;
}

/** Runs one container's health check until stopped; a Runnable. */
export class HealthChecker {
  private current: HealthCheckResult;
  private failures = 0;
  private startedAt = 0;
  private inStartPeriod = true;
  private readonly stopper = new AbortController();
  private readonly clock: Clock;

  constructor(private readonly options: HealthCheckerOptions) {
    this.clock = options.clock ?? systemClock;
    const initial = options.initial ?? 'UNKNOWN';
    this.current = { status: initial, statusSince: this.clock.now() };
    // HEALTHY or UNHEALTHY was a result, which ended (or came after) the start period.
    if (initial !== 'UNKNOWN') this.inStartPeriod = false;
  }

  /** The container's health now. */
  status(): HealthStatus {
    return this.current.status;
  }

  /** The latest result: status, since when, and the last run's exit code and output. */
  result(): HealthCheckResult {
    return { ...this.current };
  }

  /** Stops checking (as if the start signal aborted). */
  stop(): void {
    this.stopper.abort();
  }

  /** Checks every interval until `signal` aborts or {@link stop} is called; never rejects. */
  async start(signal: AbortSignal): Promise<void> {
    const stop = AbortSignal.any([signal, this.stopper.signal]);
    this.startedAt = this.clock.now();
    const { settings } = this.options;
    while (!stop.aborted) {
      await this.clock.sleep(settings.intervalMs, stop).catch(() => undefined);
      if (stop.aborted) return;
      const run = await this.runOnce();
      if (stop.aborted) return;
      this.record(run);
    }
  }

  private async runOnce(): Promise<{ ok: boolean; exitCode: number; output: string }> {
    const { driver, handle, settings } = this.options;
    try {
      const r = await driver.execTask(handle, settings.argv, settings.timeoutMs);
      return { ok: r.exitCode === 0 && !r.timedOut, exitCode: r.timedOut ? -1 : r.exitCode, output: r.timedOut ? `Health check exceeded timeout (${settings.timeoutMs / 1000}s)` : r.output };
    } catch (err) {
      // The container may have exited, or the command could not start: a failed check.
      return { ok: false, exitCode: -1, output: (err as Error).message };
    }
  }

  private record(run: { ok: boolean; exitCode: number; output: string }): void {
    const { settings } = this.options;
    let next = this.current.status;
    if (run.ok) {
      this.failures = 0;
      this.inStartPeriod = false;
      next = 'HEALTHY';
    } else if (this.inStartPeriod && this.clock.now() - this.startedAt < settings.startPeriodMs) {
      // Failures during the start period do not count.
    } else {
      this.inStartPeriod = false;
      this.failures++;
      if (this.failures >= settings.retries) next = 'UNHEALTHY';
    }
    const changed = next !== this.current.status;
    this.current = { status: next, statusSince: changed ? this.clock.now() : this.current.statusSince, exitCode: run.exitCode, output: run.output };
    if (changed) this.options.onChange?.(next, this.result());
  }
}
