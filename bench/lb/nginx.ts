/**
 * The reference: nginx as a reverse proxy to the backend's two ports (round robin, equal
 * weights: nginx's counterpart of a 50/50 weighted forward) with upstream keepalive, run from a
 * temporary prefix of its own (config, pid, logs, temp dirs), in the foreground as the bench's
 * child, on a free loopback port.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, onPath, startManaged, waitForPort, type Managed } from './processes.js';

/** The nginx binary: on PATH, or Debian's /usr/sbin/nginx (not on a normal user's PATH). */
export function findNginx(): string | undefined {
  return onPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
}

/** The configuration: what a tuned but ordinary reverse proxy does, with no logging per request. */
export function nginxConfig(o: { prefix: string; workers: number | 'auto'; listenPort: number; backendPorts: number[]; keepalive: number }): string {
  const p = (f: string) => path.join(o.prefix, f);
  return `# Written by bench/lb for one run.
worker_processes ${o.workers};
daemon off;
pid ${p('nginx.pid')};
error_log ${p('error.log')} warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  client_body_temp_path ${p('client_body')};
  proxy_temp_path ${p('proxy')};
  fastcgi_temp_path ${p('fastcgi')};
  uwsgi_temp_path ${p('uwsgi')};
  scgi_temp_path ${p('scgi')};
  # wrk's connections live for the whole run (nginx's default closes them every 1000 requests;
  # Berth's listener and the node backend do not).
  keepalive_requests 1000000;
  keepalive_timeout 120s;
  upstream backend {
${o.backendPorts.map((port) => `    server 127.0.0.1:${port} weight=1;`).join('\n')}
    keepalive ${o.keepalive};
    keepalive_requests 1000000;
    keepalive_timeout 120s;
  }
  server {
    listen 127.0.0.1:${o.listenPort};
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      # The headers Berth's load balancer adds too (it also adds X-Amzn-Trace-Id).
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Port $server_port;
    }
  }
}
`;
}

/** A running nginx. */
export interface Nginx {
  process: Managed;
  port: number;
}

/** Writes the config into `prefix` and starts `nginx` on it; resolves once it accepts connections. */
export async function startNginx(bin: string, o: { prefix: string; workers: number | 'auto'; backendPorts: number[]; keepalive: number }): Promise<Nginx> {
  mkdirSync(o.prefix, { recursive: true });
  const port = await freePort('127.0.0.1');
  const conf = path.join(o.prefix, 'nginx.conf');
  writeFileSync(conf, nginxConfig({ ...o, listenPort: port }));
  // -e: its own error log from the start (before the config is read, nginx would open the system one).
  // SIGQUIT is nginx's graceful shutdown; the clean-up sends SIGKILL after the grace time.
  const proc = await startManaged(bin, ['-p', o.prefix + path.sep, '-c', conf, '-e', path.join(o.prefix, 'error.log')], { stopSignal: 'SIGQUIT', graceMs: 5_000 });
  try {
    await Promise.race([
      waitForPort('127.0.0.1', port),
      proc.exited.then((code) => {
        throw new Error(`nginx exited (${code}) before it listened:\n${proc.output()}`);
      }),
    ]);
  } catch (err) {
    await proc.stop();
    throw err;
  }
  return { process: proc, port };
}
