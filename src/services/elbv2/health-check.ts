/**
 * Target group health check settings: AWS's defaults for HTTP target groups (path /, interval 30,
 * timeout 5, healthy 5, unhealthy 2, matcher 200) and its ranges and cross-field rules.
 */
import { validationError } from './errors.js';
import type { HealthCheckRecord } from './records.js';

/** The health check members of CreateTargetGroup and ModifyTargetGroup. */
export interface HealthCheckInput {
  HealthCheckProtocol?: string;
  HealthCheckPort?: string;
  HealthCheckEnabled?: boolean;
  HealthCheckPath?: string;
  HealthCheckIntervalSeconds?: number;
  HealthCheckTimeoutSeconds?: number;
  HealthyThresholdCount?: number;
  UnhealthyThresholdCount?: number;
  Matcher?: { HttpCode?: string; GrpcCode?: string };
}

/** AWS's defaults for an HTTP target group of instance or ip targets. */
export const HEALTH_CHECK_DEFAULTS: HealthCheckRecord = {
  enabled: true,
  protocol: 'HTTP',
  port: 'traffic-port',
  path: '/',
  intervalSeconds: 30,
  timeoutSeconds: 5,
  healthyThresholdCount: 5,
  unhealthyThresholdCount: 2,
  matcher: '200',
};

/** Checks an HttpCode matcher: codes or ranges between 200 and 499, comma-separated. */
export function checkMatcher(code: string): string {
  const parts = code.split(',').map((p) => p.trim());
  for (const p of parts) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(p);
    const lo = m ? Number(m[1]) : NaN;
    const hi = m?.[2] !== undefined ? Number(m[2]) : lo;
    if (!m || lo < 200 || hi > 499 || lo > hi) {
      throw validationError(`Health check matcher HTTP code '${code}' must be a value or range of values between 200 and 499, for example "200", "200,202" or "200-299"`);
    }
  }
  return parts.join(',');
}

/** Applies `input` to `base` (the defaults for a new group, the current settings for ModifyTargetGroup) and checks the result. */
export function applyHealthCheck(base: HealthCheckRecord, input: HealthCheckInput): HealthCheckRecord {
  const protocol = input.HealthCheckProtocol ?? base.protocol;
  if (protocol === 'HTTPS') throw validationError(`Health check protocol 'HTTPS' is not supported by Berth yet: health checks use HTTP`);
  if (protocol !== 'HTTP') throw validationError(`Health check protocol '${protocol}' is not supported for target groups with the HTTP protocol`);
  const port = input.HealthCheckPort ?? base.port;
  if (port !== 'traffic-port' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    throw validationError(`Health check port '${port}' must be 'traffic-port' or an integer between 1 and 65535`);
  }
  const path = input.HealthCheckPath ?? base.path;
  if (!path.startsWith('/')) throw validationError(`Health check path '${path}' must begin with a '/' character`);
  if (input.Matcher?.GrpcCode !== undefined) throw validationError('A gRPC code matcher can only be used with target groups of protocol version GRPC');
  const matcher = input.Matcher?.HttpCode !== undefined ? checkMatcher(input.Matcher.HttpCode) : base.matcher;
  const hc: HealthCheckRecord = {
    enabled: input.HealthCheckEnabled ?? base.enabled,
    protocol: 'HTTP',
    port,
    path,
    intervalSeconds: input.HealthCheckIntervalSeconds ?? base.intervalSeconds,
    timeoutSeconds: input.HealthCheckTimeoutSeconds ?? base.timeoutSeconds,
    healthyThresholdCount: input.HealthyThresholdCount ?? base.healthyThresholdCount,
    unhealthyThresholdCount: input.UnhealthyThresholdCount ?? base.unhealthyThresholdCount,
    matcher,
  };
  // The model checks the ranges (interval 5-300, timeout 2-120, thresholds 2-10); the relation is checked here.
  if (hc.timeoutSeconds >= hc.intervalSeconds) {
    throw validationError(`Health check timeout '${hc.timeoutSeconds}' must be smaller than the interval '${hc.intervalSeconds}'`);
  }
  return hc;
}

/** The health check members of the TargetGroup wire shape. */
export function healthCheckToWire(hc: HealthCheckRecord) {
  return {
    HealthCheckProtocol: hc.protocol,
    HealthCheckPort: hc.port,
    HealthCheckEnabled: hc.enabled,
    HealthCheckIntervalSeconds: hc.intervalSeconds,
    HealthCheckTimeoutSeconds: hc.timeoutSeconds,
    HealthyThresholdCount: hc.healthyThresholdCount,
    UnhealthyThresholdCount: hc.unhealthyThresholdCount,
    HealthCheckPath: hc.path,
    Matcher: { HttpCode: hc.matcher },
  };
}
