/**
 * The example's web app: a plain Node.js HTTP server. It answers `hello from v<VERSION>` on every
 * path, and `ok` on /health (the target groups' health check). Which version it is comes from the
 * task definition (VERSION); the port from Berth's process driver (PORT, the host port of the
 * container's port mapping, as a container would get its published port). An ES module, as every
 * .js file under Berth's package.json ("type": "module").
 */
import http from 'node:http';

const version = process.env.VERSION ?? '?';
const port = Number(process.env.PORT ?? 8080);

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  res.writeHead(200, { 'content-type': 'text/plain', 'x-app-version': `v${version}` });
  res.end(`hello from v${version}\n`);
});

server.listen(port, () => console.log(`v${version} listening on port ${port}`));

// ECS stops a container with SIGTERM (then SIGKILL after stopTimeout): finish what is in flight.
process.on('SIGTERM', () => {
  console.log(`v${version} stopping`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
