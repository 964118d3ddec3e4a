/**
 * The messages between the load balancer engine (Berth's process, worker-pool.ts) and its worker
 * processes (worker-main.ts), over the child_process IPC channel (JSON). Listener sockets travel
 * as the handle of a `listener-socket` message; everything else is plain data.
 */
import type { LbSnapshot, ListenerBindError, TargetGroupCounters } from './config.js';
import type { CheckedState } from './target-health.js';
import type { AccessLogEntry } from './options.js';

/** Health states per target group ARN, as the engine's checks found them. */
export type TargetHealthPush = Record<string, { key: string; state: CheckedState; reason: string | undefined; slowStartElapsedMs?: number }[]>;

/** Engine -> worker. */
export type ToWorker =
  | { type: 'init'; timeScale: number; cookieSecret: string; maxConnectionsPerTarget: number; accessLog: boolean }
  /** Carries the bound socket of listener `key` ("address:port") as its handle. */
  | { type: 'listener-socket'; key: string }
  | { type: 'apply'; seq: number; snapshot: LbSnapshot }
  | { type: 'health'; groups: TargetHealthPush }
  | { type: 'close' };

/** Worker -> engine. */
export type FromWorker =
  | { type: 'applied'; seq: number; errors: ListenerBindError[]; outstanding: Record<string, Record<string, number>> }
  /** Sent when something changed (at most every STATS_INTERVAL_MS): counters are totals since the worker started. */
  | { type: 'stats'; counters: Record<string, TargetGroupCounters>; outstanding: Record<string, Record<string, number>>; accessLog?: AccessLogEntry[] }
  | { type: 'closed' };

/** How often a worker reports counters and requests in flight, when they changed. */
export const STATS_INTERVAL_MS = 50;
