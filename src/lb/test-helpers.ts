/**
 * Builders and servers shared by the load balancer's tests (not used at run time): snapshots with
 * AWS's defaults, backends on loopback ephemeral ports that say who answered, an engine whose
 * listeners are found by ARN, and polling.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import type { HealthCheckConfig, LbSnapshot, ListenerConfig, LoadBalancerConfig, RuleConfig, TargetGroupConfig } from './config.js';
import type { Engine } from './engine.js';

/**
 * Health checks for tests run with timeScale 0.05: every 0.5 s, 0.4 s timeout (generous on a
 * loaded machine), two passes or failures to change state.
 */
export const TEST_HEALTH_CHECK: HealthCheckConfig = { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/health', intervalSeconds: 10, timeoutSeconds: 8, healthyThresholdCount: 2, unhealthyThresholdCount: 2, matcher: '200' };

/** A target group with ELBv2's defaults (health check every 30 s, 5 s timeout, thresholds 5 and 2). */
export function targetGroup(name: string, targets: { port: number; host?: string }[], v: Partial<TargetGroupConfig> = {}): TargetGroupConfig {
  return {
    arn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/0123456789abcdef`,
    name,
    protocol: 'HTTP',
    port: 80,
    targetType: 'ip',
    healthCheck: { enabled: true, protocol: 'HTTP', port: 'traffic-port', path: '/health', intervalSeconds: 30, timeoutSeconds: 5, healthyThresholdCount: 5, unhealthyThresholdCount: 2, matcher: '200' },
    deregistrationDelaySeconds: 300,
    slowStartSeconds: 0,
    algorithm: 'round_robin',
    stickiness: { enabled: false, type: 'lb_cookie', durationSeconds: 86400 },
    targets: targets.map((t) => ({ id: t.host ?? '127.0.0.1', port: t.port, host: t.host ?? '127.0.0.1' })),
    ...v,
  };
}

/** A rule forwarding to one group. */
export function forwardRule(priority: number | 'default', arn: string, conditions: RuleConfig['conditions'] = []): RuleConfig {
  return { arn: `rule-${priority}-${arn.slice(-30)}`, priority, conditions, actions: [{ type: 'forward', targetGroups: [{ arn, weight: 1 }] }] };
}

/** A listener (port 0 by default: tests bind ephemeral ports). */
export function listener(name: string, rules: RuleConfig[], port = 0): ListenerConfig {
  return { arn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/${name}/1/${port}`, port, protocol: 'HTTP', rules };
}

/** A load balancer with ELBv2's default attributes, but a 600 s idle timeout (30 s at timeScale 0.05) so a loaded machine does not turn slow answers into 504s. */
export function loadBalancer(name: string, listeners: ListenerConfig[], v: Partial<LoadBalancerConfig> = {}): LoadBalancerConfig {
  return {
    arn: `arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/${name}/1`,
    name,
    scheme: 'internet-facing',
    address: '127.0.0.1',
    idleTimeoutSeconds: 600,
    xffHeaderProcessingMode: 'append',
    dropInvalidHeaderFields: false,
    listeners,
    ...v,
  };
}

/** One load balancer with one listener whose default rule forwards to `group`. */
export function simpleSnapshot(group: TargetGroupConfig, lb: Partial<LoadBalancerConfig> = {}): LbSnapshot {
  return { loadBalancers: [loadBalancer('web', [listener('web', [forwardRule('default', group.arn)])], lb)], targetGroups: [group] };
}

/** A backend on 127.0.0.1:<ephemeral> that answers its name; `handler` may take over a request. */
export interface Backend {
  name: string;
  port: number;
  server: http.Server;
  /** Requests served (health checks excluded). */
  hits: number;
  /** Distinct client connections seen (health checks excluded). */
  connections: Set<unknown>;
  /** What /health answers (default 200); 'hang' never answers. */
  healthStatus: number | 'hang';
  /** Health checks received, with the User-Agent of the last. */
  healthChecks: number;
  healthUserAgent?: string;
  close(): Promise<void>;
}

export async function startBackend(name: string, handler?: (req: http.IncomingMessage, res: http.ServerResponse, b: Backend) => boolean | void): Promise<Backend> {
  const server = http.createServer();
  const b: Backend = {
    name,
    port: 0,
    server,
    hits: 0,
    connections: new Set(),
    healthStatus: 200,
    healthChecks: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server.on('request', (req, res) => {
    if (req.url === '/health') {
      b.healthChecks++;
      b.healthUserAgent = req.headers['user-agent'];
      if (b.healthStatus !== 'hang') res.writeHead(b.healthStatus).end();
      return;
    }
    b.hits++;
    b.connections.add(req.socket);
    if (handler?.(req, res, b)) return;
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.stringify({ name, url: req.url, method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  b.port = (server.address() as AddressInfo).port;
  return b;
}

/** The base URL of a listener by ARN. */
export function listenerUrl(engine: Engine, listenerArn: string): string {
  const a = engine.listenerAddress(listenerArn);
  if (!a) throw new Error(`listener ${listenerArn} is not bound`);
  return `http://${a.address}:${a.port}`;
}

/** A keep-alive HTTP client for tests; close() when done. */
export function client(): { get(url: string, headers?: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>; close(): Promise<void>; agent: Agent } {
  const agent = new Agent({ keepAliveTimeout: 30_000, connections: 16 });
  return {
    agent,
    async get(url, headers = {}) {
      const r = await request(url, { dispatcher: agent, headers, headersTimeout: 20_000, bodyTimeout: 20_000 });
      return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
    },
    close: () => agent.close(),
  };
}

/** Polls `check` until it returns a truthy value (default up to 20 s); throws with `what` otherwise. */
export async function waitFor<T>(what: string, check: () => T | Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(20);
  }
}

/**
 * The engine modes end-to-end tests run in: requests served in the test's own process (0), and
 * by two worker processes (the engine binds, checks health and drains; workers serve).
 */
export const LB_MODES = [0, 2] as const;

/** A describe() title suffix naming the mode. */
export function modeName(workers: number): string {
  return workers === 0 ? '' : ` (${workers} worker processes)`;
}
