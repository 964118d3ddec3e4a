/**
 * One health check: a real HTTP GET to the target's health check port and path, on a fresh
 * connection that is closed afterwards (as ALB does), with ALB's User-Agent; the result says which
 * of ALB's reason codes a failure maps to.
 */
import http from 'node:http';
import type { CodeMatcher, ProbeResult } from './target-health.js';

/** Where and how to probe. */
export interface ProbeRequest {
  host: string;
  port: number;
  path: string;
  timeoutMs: number;
  matcher: CodeMatcher;
}

/** Sends one health check; never rejects. */
export function probe(request: ProbeRequest): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(result);
    };
    const hostHeader = request.host.includes(':') ? `[${request.host}]:${request.port}` : `${request.host}:${request.port}`;
    let req: http.ClientRequest;
    try {
      req = http.request({
        host: request.host,
        port: request.port,
        path: request.path,
        method: 'GET',
        agent: false,
        headers: { Host: hostHeader, 'User-Agent': 'ELB-HealthChecker/2.0', Connection: 'close', Accept: '*/*' },
      });
    } catch (e) {
      resolve({ ok: false, reason: 'Elb.InternalError', description: 'Health checks failed due to an internal error' });
      return;
    }
    const timer = setTimeout(
      () => finish({ ok: false, reason: 'Target.Timeout', description: 'Request timed out' }),
      request.timeoutMs,
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      // The body is read and dropped so the target is not blocked writing it.
      res.resume();
      if (request.matcher(status)) finish({ ok: true });
      else finish({ ok: false, reason: 'Target.ResponseCodeMismatch', description: `Health checks failed with these codes: [${status}]` });
    });
    req.on('error', () => finish({ ok: false, reason: 'Target.FailedHealthChecks', description: 'Health checks failed' }));
    req.end();
  });
}
