/**
 * The contract between the ELBv2 control plane (services/elbv2/) and the load balancer data
 * plane (lb/): a complete, plain snapshot of every load balancer, listener, rule and target group
 * the data plane must serve. The control plane builds one after each committed change and hands it
 * to {@link LoadBalancerEngine.apply}; the engine swaps to it atomically (requests in flight finish
 * on the snapshot they started with; keep-alive connections carry on under the new one).
 *
 * Values are already validated and defaulted by the control plane (AWS's defaults); the data plane
 * trusts them. Names follow the ELBv2 API.
 */

/** Everything the data plane serves. */
export interface LbSnapshot {
  loadBalancers: LoadBalancerConfig[];
  /** Target groups by ARN, including those no listener uses yet (their health is still checked once targets are registered and a load balancer uses them). */
  targetGroups: TargetGroupConfig[];
}

/** One Application Load Balancer. */
export interface LoadBalancerConfig {
  arn: string;
  name: string;
  scheme: 'internet-facing' | 'internal';
  /** The loopback address its listeners bind (each load balancer has its own, so several can listen on port 80). */
  address: string;
  /** `idle_timeout.timeout_seconds` (default 60). */
  idleTimeoutSeconds: number;
  /** `routing.http.xff_header_processing.mode` (default append). */
  xffHeaderProcessingMode: 'append' | 'preserve' | 'remove';
  /** `routing.http.drop_invalid_header_fields.enabled` (default false). */
  dropInvalidHeaderFields: boolean;
  listeners: ListenerConfig[];
}

/** One listener: a real socket on `address:port`. */
export interface ListenerConfig {
  arn: string;
  port: number;
  protocol: 'HTTP';
  /** Non-default rules in ascending priority order, then the default rule last. */
  rules: RuleConfig[];
}

export interface RuleConfig {
  arn: string;
  /** 1..50000, or 'default' for the listener's default actions (which have no conditions). */
  priority: number | 'default';
  /** All must match (AND); within one condition any value may match (OR). */
  conditions: RuleCondition[];
  /** Exactly one terminal action (forward, redirect or fixed-response) after any others, as ELBv2 validates. */
  actions: RuleAction[];
}

/**
 * Rule conditions as ELBv2 defines them. Patterns: `*` matches 0 or more characters, `?` exactly
 * one; path patterns are case-sensitive, host and header values case-insensitive.
 */
export type RuleCondition =
  | { field: 'path-pattern'; values: string[] }
  | { field: 'host-header'; values: string[] }
  | { field: 'http-header'; headerName: string; values: string[] }
  | { field: 'http-request-method'; values: string[] }
  /** Matches when any pair is in the query string; a pair without key matches any key with that value. */
  | { field: 'query-string'; values: { key?: string; value: string }[] }
  /** CIDR blocks (IPv4 or IPv6) the client's address must be in. */
  | { field: 'source-ip'; values: string[] };

export type RuleAction =
  | {
      type: 'forward';
      /** One or more target groups; with one, weight is irrelevant. Weights 0..999; weight 0 gets nothing. */
      targetGroups: { arn: string; weight: number }[];
      /** Target group stickiness (ForwardConfig.TargetGroupStickinessConfig). */
      stickiness?: { enabled: boolean; durationSeconds: number };
    }
  | {
      type: 'redirect';
      /** Each may use #{protocol}, #{host}, #{port}, #{path}, #{query} as ELBv2 does. */
      protocol: string;
      host: string;
      port: string;
      path: string;
      query: string;
      statusCode: 'HTTP_301' | 'HTTP_302';
    }
  | { type: 'fixed-response'; statusCode: string; contentType?: string; messageBody?: string };

/** One target group with its registered targets. */
export interface TargetGroupConfig {
  arn: string;
  name: string;
  protocol: 'HTTP';
  port: number;
  targetType: 'instance' | 'ip';
  healthCheck: HealthCheckConfig;
  /** `deregistration_delay.timeout_seconds` (default 300). */
  deregistrationDelaySeconds: number;
  /** `slow_start.duration_seconds` (0 = off; 30..900). */
  slowStartSeconds: number;
  /** `load_balancing.algorithm.type`. */
  algorithm: 'round_robin' | 'least_outstanding_requests';
  /** `stickiness.*` */
  stickiness: { enabled: boolean; type: 'lb_cookie' | 'app_cookie'; durationSeconds: number; appCookieName?: string };
  targets: TargetConfig[];
}

export interface HealthCheckConfig {
  enabled: boolean;
  protocol: 'HTTP';
  /** 'traffic-port' or a port number as a string. */
  port: string;
  path: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  healthyThresholdCount: number;
  unhealthyThresholdCount: number;
  /** HttpCode matcher: "200", "200,202", "200-299". */
  matcher: string;
}

/** A registered target. Deregistered targets are simply absent: the engine drains them. */
export interface TargetConfig {
  /** As registered: an instance id (targetType instance) or an IP address (targetType ip). */
  id: string;
  port: number;
  /** Where the engine connects: 127.0.0.1 for Berth's own host (instance targets), the IP for ip targets. */
  host: string;
  availabilityZone?: string;
}

/** A target's health as DescribeTargetHealth reports it. */
export interface TargetHealthReport {
  id: string;
  port: number;
  state: 'initial' | 'healthy' | 'unhealthy' | 'unused' | 'draining' | 'unavailable';
  /** ELBv2's TargetHealthReasonEnum, e.g. Elb.RegistrationInProgress, Target.Timeout, Target.ResponseCodeMismatch, Target.DeregistrationInProgress. */
  reason?: string;
  description?: string;
}

/** Per target group counters, kept for CloudWatch metrics (issue 7). Monotonic since engine start. */
export interface TargetGroupCounters {
  requests: number;
  targetResponses: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Responses the load balancer made itself while routing to this group (502, 503, 504, ...). */
  elbResponses: { '4xx': number; '5xx': number };
  /** The 5xx of {@link elbResponses} CloudWatch counts one by one (HTTPCode_ELB_500/502/503/504_Count). */
  elbResponseCodes: { '500': number; '502': number; '503': number; '504': number };
  /** Sum and count of target response times in seconds (TargetResponseTime = sum / count). */
  targetResponseTimeSum: number;
  targetResponseTimeCount: number;
  /**
   * Target response times as a log-bucketed histogram (bin index -> count; see counters.ts
   * `responseTimeBin`), so that percentiles of TargetResponseTime can be published.
   */
  targetResponseTimeBins: Record<string, number>;
}

/** Why {@link LoadBalancerEngine.apply} could not open a listener. */
export interface ListenerBindError {
  listenerArn: string;
  address: string;
  port: number;
  /** e.g. EADDRINUSE, EACCES */
  code: string;
  message: string;
}

/** The data plane as the control plane drives it. */
export interface LoadBalancerEngine {
  /**
   * Serves `snapshot` from now on: opens new listeners, closes removed ones (letting their
   * in-flight requests finish), starts and stops health checks, drains deregistered targets.
   * Resolves once new listeners are bound; listeners that could not bind are returned (the rest
   * of the snapshot is applied).
   */
  apply(snapshot: LbSnapshot): Promise<ListenerBindError[]>;
  /** Health of a target group's targets (including draining ones still known to the engine). */
  targetHealth(targetGroupArn: string): TargetHealthReport[];
  counters(targetGroupArn: string): TargetGroupCounters | undefined;
  /** Closes every listener and stops health checks. */
  close(): Promise<void>;
}
