/**
 * The benchmark's backend, run as its own process (`node backend-server.js WORKERS PORT_A PORT_B`)
 * so it never shares an event loop with Berth or the bench: a node:http server on 127.0.0.1 that
 * answers every request with a fixed small body naming the port it came in on (`ok a` / `ok b`,
 * so the bench can check that both target groups of a weighted forward are used). With WORKERS
 * > 1, that many node:cluster workers share both listening sockets (SCHED_NONE: the kernel hands
 * out connections, the primary does not relay them). Prints `ready` once every worker listens.
 */
import cluster from 'node:cluster';
import http from 'node:http';

const [workersArg, ...portArgs] = process.argv.slice(2);
const workers = Number(workersArg);
const ports = portArgs.map(Number);
if (!Number.isInteger(workers) || workers < 1 || ports.length !== 2 || ports.some((p) => !Number.isInteger(p) || p <= 0)) {
  process.stderr.write('usage: backend-server.js WORKERS PORT_A PORT_B\n');
  process.exit(2);
}

/** Listens on both ports; resolves when both are bound. */
async function serve(): Promise<void> {
  await Promise.all(
    ports.map((port, i) => {
      const body = Buffer.from(`ok ${i === 0 ? 'a' : 'b'}\n`);
      const server = http.createServer((req, res) => {
        // Drain any request body, then the fixed answer.
        req.resume();
        res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': body.length });
        res.end(body);
      });
      // Longer than any pause of the bench between phases, so pooled upstream connections
      // (nginx's keepalive, Berth's undici pools) are not closed under them.
      server.keepAliveTimeout = 120_000;
      server.headersTimeout = 130_000;
      return new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: '127.0.0.1', port }, () => resolve());
      });
    }),
  );
}

if (workers === 1) {
  await serve();
  process.stdout.write('ready\n');
} else if (cluster.isPrimary) {
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    const w = cluster.fork();
    w.on('message', (m) => {
      if (m === 'listening' && ++listening === workers) process.stdout.write('ready\n');
    });
    w.on('exit', (code, signal) => {
      process.stderr.write(`backend worker exited (${code ?? signal}); stopping the backend\n`);
      process.exit(1);
    });
  }
  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    process.once(sig, () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
      process.exit(0);
    });
  }
} else {
  await serve();
  process.send?.('listening');
}
