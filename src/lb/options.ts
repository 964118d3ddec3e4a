/**
 * The load balancer engine's options, in two stages: {@link EngineOptions} (all optional, with
 * documented defaults) and {@link compileEngineOptions} (resolved and validated). `timeScale`
 * shrinks every configured duration (health check intervals and timeouts, idle timeouts,
 * deregistration delays, slow start, cookie durations) so tests can run ALB's timings quickly;
 * production keeps 1 (real seconds).
 */
import { randomBytes } from 'node:crypto';

/** What a request left behind, for access logs and tests (460 included). */
export interface AccessLogEntry {
  loadBalancerArn: string;
  listenerArn: string;
  targetGroupArn?: string;
  /** "host:port" of the target, when one was chosen. */
  target?: string;
  method: string;
  url: string;
  clientAddress: string;
  /** The status the client got, or 460 when it went away first. */
  elbStatusCode: number;
  /** The target's status when it answered. */
  targetStatusCode?: number;
  /** Seconds from the request's arrival to its end. */
  requestProcessingTime: number;
}

export interface EngineOptions {
  /** Multiplies every duration from the snapshot (default 1; tests use e.g. 0.05). */
  timeScale?: number;
  /** Uniform random numbers in [0, 1) for weighted choices (default Math.random). */
  random?: () => number;
  /** Milliseconds, monotonic (default performance.now). */
  now?: () => number;
  /** Called once per request when it ends. */
  onAccessLog?: (entry: AccessLogEntry) => void;
  /** Key for the stickiness cookies' signatures (default: random per engine). */
  cookieSecret?: Buffer;
  /** Maximum concurrent connections to one target (default 512). */
  maxConnectionsPerTarget?: number;
  /**
   * Worker processes that serve requests (default 0). 0 serves them in this process's event loop;
   * N >= 1 forks N worker processes that all accept on each listener's socket, while binding,
   * health checks, draining decisions and counters stay in this process (worker-pool.ts).
   * `random` and `now` are not carried to workers.
   */
  workers?: number;
}

export interface ResolvedEngineOptions {
  timeScale: number;
  random: () => number;
  now: () => number;
  onAccessLog: ((entry: AccessLogEntry) => void) | undefined;
  cookieSecret: Buffer;
  maxConnectionsPerTarget: number;
  workers: number;
  /** Whether targets are health-checked here (false in a worker process: the engine checks and pushes states). */
  healthChecks: boolean;
  /** Called when a target's health state changes (the worker pool pushes states to its workers). */
  onHealthChange?: () => void;
  /** A configured number of seconds as timer milliseconds (at least 1). */
  ms(seconds: number): number;
}

/** Resolves and validates {@link EngineOptions}. */
export function compileEngineOptions(options: EngineOptions = {}): ResolvedEngineOptions {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) {
    throw new RangeError(`timeScale must be a positive finite number, got ${options.timeScale}`);
  }
  const maxConnectionsPerTarget = options.maxConnectionsPerTarget ?? 512;
  if (!Number.isInteger(maxConnectionsPerTarget) || maxConnectionsPerTarget < 1) {
    throw new RangeError(`maxConnectionsPerTarget must be a positive integer, got ${options.maxConnectionsPerTarget}`);
  }
  const workers = options.workers ?? 0;
  if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
    throw new RangeError(`workers must be a whole number from 0 to 64, got ${options.workers}`);
  }
  return {
    timeScale,
    workers,
    healthChecks: true,
    random: options.random ?? Math.random,
    now: options.now ?? (() => performance.now()),
    onAccessLog: options.onAccessLog,
    cookieSecret: options.cookieSecret ?? randomBytes(32),
    maxConnectionsPerTarget,
    ms: (seconds) => Math.max(1, Math.round(seconds * 1000 * timeScale)),
  };
}
