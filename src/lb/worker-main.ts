/**
 * A load balancer worker process (forked by worker-pool.ts): it runs the request path — routing,
 * stickiness, proxying, ALB's own responses, smuggling defences — with an {@link InProcessEngine}
 * whose listeners accept on the sockets the engine bound and sent, whose health states come from
 * the engine's checks, and which reports counters and requests in flight back. It exits when the
 * IPC channel closes, so a Berth killed with SIGKILL leaves no worker behind.
 */
import { InProcessEngine } from './engine.js';
import { compileEngineOptions, type AccessLogEntry } from './options.js';
import { STATS_INTERVAL_MS, type FromWorker, type ToWorker } from './worker-protocol.js';

if (!process.send) {
  console.error('worker-main.js is started by the load balancer engine, not by hand');
  process.exit(2);
}

const send = (msg: FromWorker): void => {
  if (process.connected) process.send!(msg);
};
const sockets = new Map<string, object>();
let engine: InProcessEngine | undefined;
let accessLog: AccessLogEntry[] | undefined;
let lastStats = '';
let statsTimer: NodeJS.Timeout | undefined;
/** The last apply: health states are applied after it, so they find the targets it created. */
let applied: Promise<unknown> = Promise.resolve();

// The engine went away (closed its end, exited, or was killed): so does the worker.
process.on('disconnect', () => process.exit(0));

function flushStats(): void {
  if (!engine) return;
  const counters = engine.allCounters();
  const outstanding = engine.outstandingByTarget();
  const text = JSON.stringify([counters, outstanding]);
  const logs = accessLog && accessLog.length > 0 ? accessLog.splice(0) : undefined;
  if (text === lastStats && !logs) return;
  lastStats = text;
  send({ type: 'stats', counters, outstanding, ...(logs ? { accessLog: logs } : {}) });
}

process.on('message', (msg: ToWorker, handle: unknown) => {
  switch (msg.type) {
    case 'init': {
      accessLog = msg.accessLog ? [] : undefined;
      const options = compileEngineOptions({
        timeScale: msg.timeScale,
        cookieSecret: Buffer.from(msg.cookieSecret, 'hex'),
        maxConnectionsPerTarget: msg.maxConnectionsPerTarget,
        onAccessLog: accessLog ? (entry) => accessLog!.push(entry) : undefined,
      });
      engine = new InProcessEngine({ ...options, healthChecks: false }, (key) => {
        const socket = sockets.get(key);
        sockets.delete(key);
        return socket;
      });
      statsTimer = setInterval(flushStats, STATS_INTERVAL_MS);
      break;
    }
    case 'listener-socket':
      if (handle && typeof handle === 'object') sockets.set(msg.key, handle);
      break;
    case 'apply':
      applied = engine!.apply(msg.snapshot).then(
        (errors) => {
          // Counters first, so the engine's totals include everything before the reply.
          flushStats();
          send({ type: 'applied', seq: msg.seq, errors, outstanding: engine!.outstandingByTarget() });
        },
        (err: Error) => {
          console.error(`load balancer worker: apply failed: ${err.message}`);
          process.exit(1);
        },
      );
      break;
    case 'health':
      void applied.then(() => engine?.setTargetHealth(msg.groups));
      break;
    case 'close':
      clearInterval(statsTimer);
      void (engine?.close() ?? Promise.resolve()).finally(() => {
        send({ type: 'closed' });
        process.exit(0);
      });
      break;
  }
});
