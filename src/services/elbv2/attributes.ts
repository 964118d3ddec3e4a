/**
 * Load balancer and target group attributes: every key ELBv2 lists for an Application Load
 * Balancer and for an HTTP instance/ip target group, with AWS's defaults and value checks.
 * Records keep only the values a user set; reads fill in the defaults.
 */
import { invalidConfiguration, validationError } from './errors.js';
import type { LoadBalancerRecord, TargetGroupRecord } from './records.js';

/** Checks one value; returns an error message, or undefined when valid. */
type Check = (value: string) => string | undefined;

const bool: Check = (v) => (v === 'true' || v === 'false' ? undefined : 'must be true or false');
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v) ? undefined : `must be one of ${allowed.join(', ')}`;
const intRange =
  (min: number, max: number): Check =>
  (v) =>
    /^\d+$/.test(v) && Number(v) >= min && Number(v) <= max ? undefined : `must be an integer between ${min} and ${max}`;
const any: Check = () => undefined;
const offOrInt =
  (min: number, max: number): Check =>
  (v) =>
    v === 'off' || (/^\d+$/.test(v) && Number(v) >= min && Number(v) <= max) ? undefined : `must be off or an integer between ${min} and ${max}`;

interface AttributeSpec {
  /** The default, or a function of the resource for defaults that depend on it. */
  default: string | ((r: any) => string);
  check: Check;
}

/** Application Load Balancer attributes, in the order DescribeLoadBalancerAttributes lists them. */
const LOAD_BALANCER: Record<string, AttributeSpec> = {
  'access_logs.s3.enabled': { default: 'false', check: bool },
  'access_logs.s3.bucket': { default: '', check: any },
  'access_logs.s3.prefix': { default: '', check: any },
  'client_keep_alive.seconds': { default: '3600', check: intRange(60, 604800) },
  'connection_logs.s3.enabled': { default: 'false', check: bool },
  'connection_logs.s3.bucket': { default: '', check: any },
  'connection_logs.s3.prefix': { default: '', check: any },
  'deletion_protection.enabled': { default: 'false', check: bool },
  'health_check_logs.s3.enabled': { default: 'false', check: bool },
  'health_check_logs.s3.bucket': { default: '', check: any },
  'health_check_logs.s3.prefix': { default: '', check: any },
  'idle_timeout.timeout_seconds': { default: '60', check: intRange(1, 4000) },
  'ipv6.deny_all_igw_traffic': { default: (lb: LoadBalancerRecord) => String(lb.scheme === 'internal'), check: bool },
  'load_balancing.cross_zone.enabled': { default: 'true', check: bool },
  'routing.http.desync_mitigation_mode': { default: 'defensive', check: oneOf('monitor', 'defensive', 'strictest') },
  'routing.http.drop_invalid_header_fields.enabled': { default: 'false', check: bool },
  'routing.http.preserve_host_header.enabled': { default: 'false', check: bool },
  'routing.http.x_amzn_tls_version_and_cipher_suite.enabled': { default: 'false', check: bool },
  'routing.http.xff_client_port.enabled': { default: 'false', check: bool },
  'routing.http.xff_header_processing.mode': { default: 'append', check: oneOf('append', 'preserve', 'remove') },
  'routing.http2.enabled': { default: 'true', check: bool },
  'waf.fail_open.enabled': { default: 'false', check: bool },
  'zonal_shift.config.enabled': { default: 'false', check: bool },
};

/** HTTP target group attributes (instance and ip targets), in the order they are listed. */
const TARGET_GROUP: Record<string, AttributeSpec> = {
  'deregistration_delay.timeout_seconds': { default: '300', check: intRange(0, 3600) },
  'load_balancing.algorithm.anomaly_mitigation': { default: 'off', check: oneOf('on', 'off') },
  'load_balancing.algorithm.type': { default: 'round_robin', check: oneOf('round_robin', 'least_outstanding_requests', 'weighted_random') },
  'load_balancing.cross_zone.enabled': { default: 'use_load_balancer_configuration', check: oneOf('true', 'false', 'use_load_balancer_configuration') },
  'slow_start.duration_seconds': { default: '0', check: (v) => (v === '0' || intRange(30, 900)(v) === undefined ? undefined : 'must be 0 (off) or an integer between 30 and 900') },
  'stickiness.app_cookie.cookie_name': { default: '', check: any },
  'stickiness.app_cookie.duration_seconds': { default: '86400', check: intRange(1, 604800) },
  'stickiness.enabled': { default: 'false', check: bool },
  'stickiness.lb_cookie.duration_seconds': { default: '86400', check: intRange(1, 604800) },
  'stickiness.type': { default: 'lb_cookie', check: oneOf('lb_cookie', 'app_cookie') },
  'target_group_health.dns_failover.minimum_healthy_targets.count': { default: '1', check: offOrInt(1, 1000) },
  'target_group_health.dns_failover.minimum_healthy_targets.percentage': { default: 'off', check: offOrInt(1, 100) },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.count': { default: '1', check: intRange(1, 1000) },
  'target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage': { default: 'off', check: offOrInt(1, 100) },
};

function resolve(specs: Record<string, AttributeSpec>, set: Record<string, string>, resource: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, spec] of Object.entries(specs)) out[key] = set[key] ?? (typeof spec.default === 'string' ? spec.default : spec.default(resource));
  return out;
}

/** Every attribute of a load balancer, defaults filled in. */
export function loadBalancerAttributes(lb: LoadBalancerRecord): Record<string, string> {
  return resolve(LOAD_BALANCER, lb.attributes, lb);
}

/** Every attribute of a target group, defaults filled in. */
export function targetGroupAttributes(tg: TargetGroupRecord): Record<string, string> {
  return resolve(TARGET_GROUP, tg.attributes, tg);
}

/** Attributes in the wire form of the Describe/Modify calls. */
export const attributesToWire = (attrs: Record<string, string>) => Object.entries(attrs).map(([Key, Value]) => ({ Key, Value }));

function checkChanges(kind: string, specs: Record<string, AttributeSpec>, changes: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { Key, Value } of changes) {
    if (Key === undefined) throw validationError(`An attribute key must be specified`);
    const spec = specs[Key];
    if (!spec) throw validationError(`${kind} attribute key '${Key}' is not recognized`);
    const value = Value ?? '';
    const problem = spec.check(value);
    if (problem) throw validationError(`${kind} attribute '${Key}' value '${value}' is not valid: it ${problem}`);
    out[Key] = value;
  }
  return out;
}

/** Checks a ModifyLoadBalancerAttributes request and returns the load balancer's new set attributes. */
export function changeLoadBalancerAttributes(lb: LoadBalancerRecord, changes: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const next = { ...lb.attributes, ...checkChanges('Load balancer', LOAD_BALANCER, changes) };
  const all = loadBalancerAttributes({ ...lb, attributes: next });
  if (all['load_balancing.cross_zone.enabled'] !== 'true') {
    throw invalidConfiguration('Cross-zone load balancing is always enabled for Application Load Balancers and cannot be disabled');
  }
  for (const log of ['access_logs', 'connection_logs', 'health_check_logs']) {
    if (all[`${log}.s3.enabled`] === 'true') {
      throw invalidConfiguration(`${log}.s3.enabled cannot be true: Berth has no S3 to write load balancer logs to`);
    }
  }
  return next;
}

/** Checks a ModifyTargetGroupAttributes request and returns the target group's new set attributes. */
export function changeTargetGroupAttributes(tg: TargetGroupRecord, changes: readonly { Key?: string; Value?: string }[]): Record<string, string> {
  const next = { ...tg.attributes, ...checkChanges('Target group', TARGET_GROUP, changes) };
  const all = targetGroupAttributes({ ...tg, attributes: next });
  const algorithm = all['load_balancing.algorithm.type'];
  if (algorithm === 'weighted_random') {
    throw invalidConfiguration(`Load balancing algorithm 'weighted_random' is not supported by Berth yet; use round_robin or least_outstanding_requests`);
  }
  if (all['load_balancing.algorithm.anomaly_mitigation'] === 'on') {
    throw invalidConfiguration(`Anomaly mitigation is only available with the 'weighted_random' load balancing algorithm`);
  }
  if (algorithm === 'least_outstanding_requests' && all['slow_start.duration_seconds'] !== '0') {
    throw invalidConfiguration('Slow start mode is not supported with the least outstanding requests algorithm');
  }
  if (all['stickiness.enabled'] === 'true' && all['stickiness.type'] === 'app_cookie') {
    const name = all['stickiness.app_cookie.cookie_name'];
    if (name === '') throw validationError(`'stickiness.app_cookie.cookie_name' must be specified when stickiness type is 'app_cookie'`);
  }
  const cookie = all['stickiness.app_cookie.cookie_name'];
  if (/^AWSALB/i.test(cookie)) {
    throw validationError(`Application cookie name '${cookie}' is not valid: names starting with AWSALB, AWSALBAPP and AWSALBTG are reserved for the load balancer`);
  }
  if (cookie !== '' && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,256}$/.test(cookie)) {
    throw validationError(`Application cookie name '${cookie}' is not a valid cookie name`);
  }
  return next;
}
