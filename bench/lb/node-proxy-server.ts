/**
 * A second, informational reference (`node-proxy`): the least a Node reverse proxy built on the
 * same parts as Berth's load balancer does — a node:http server and one undici Pool of keep-alive
 * connections per backend port (pipelining 1), alternating between the two ports, streaming the
 * answer back through undici's dispatch handler. No rules, no added headers, no counters. Run as
 * its own process: `node node-proxy-server.js LISTEN_PORT PORT_A PORT_B`; prints `ready`.
 * The gap between it and nginx is Node's; the gap between Berth and it is Berth's own work.
 */
import http from 'node:http';
import { Pool, type Dispatcher } from 'undici';

const [listenPort, ...backendPorts] = process.argv.slice(2).map(Number);
if (!Number.isInteger(listenPort) || backendPorts.length !== 2) {
  process.stderr.write('usage: node-proxy-server.js LISTEN_PORT PORT_A PORT_B\n');
  process.exit(2);
}
const pools = backendPorts.map((p) => new Pool(`http://127.0.0.1:${p}`, { connections: 512, pipelining: 1, keepAliveTimeout: 60_000 }));
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
let next = 0;

const server = http.createServer((req, res) => {
  const pool = pools[next];
  next = (next + 1) % pools.length;
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  let controller: Dispatcher.DispatchController | undefined;
  res.on('close', () => {
    if (!res.writableFinished) controller?.abort(new Error('client went away'));
  });
  pool.dispatch(
    { path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers, body: req.headers['content-length'] || req.headers['transfer-encoding'] ? req : null },
    {
      onRequestStart(c) {
        controller = c;
      },
      onResponseStart(_c, status, upHeaders) {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(upHeaders)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(status, out);
        res.on('drain', () => controller?.resume());
      },
      onResponseData(c, chunk) {
        if (!res.write(chunk)) c.pause();
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (res.headersSent) res.destroy();
        else {
          res.writeHead(502, { 'Content-Type': 'text/plain' });
          res.end('bad gateway\n');
        }
      },
    },
  );
});
server.keepAliveTimeout = 120_000;
server.headersTimeout = 130_000;
server.listen({ host: '127.0.0.1', port: listenPort }, () => process.stdout.write('ready\n'));
// An orderly exit on SIGTERM, so 'exit' handlers run (the CPU profile of --cpu-prof is written there).
process.once('SIGTERM', () => process.exit(0));
