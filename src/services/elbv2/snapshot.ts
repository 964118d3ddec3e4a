/**
 * Builds the data plane's {@link LbSnapshot} from the committed ELBv2 state: every load
 * balancer with its listeners and rules (in evaluation order), and every target group with its
 * attributes resolved to their defaults and its registered targets.
 */
import type { LbSnapshot, RuleAction, RuleCondition, RuleConfig, TargetGroupConfig } from '../../lb/config.js';
import { loadBalancerAttributes, targetGroupAttributes } from './attributes.js';
import type { Records, RuleRecord, TargetGroupRecord, WireAction, WireCondition } from './records.js';

/** Where instance targets are reached: Berth's own host. */
export const INSTANCE_TARGET_HOST = '127.0.0.1';

/** The snapshot of everything `records` holds. */
export function buildSnapshot(records: Records): LbSnapshot {
  return {
    loadBalancers: records.loadBalancers().map((lb) => {
      const attrs = loadBalancerAttributes(lb);
      return {
        arn: lb.arn,
        name: lb.name,
        scheme: lb.scheme,
        address: lb.address,
        idleTimeoutSeconds: Number(attrs['idle_timeout.timeout_seconds']),
        xffHeaderProcessingMode: attrs['routing.http.xff_header_processing.mode'] as 'append' | 'preserve' | 'remove',
        dropInvalidHeaderFields: attrs['routing.http.drop_invalid_header_fields.enabled'] === 'true',
        listeners: records.listenersOf(lb.arn).map((l) => ({
          arn: l.arn,
          port: l.port,
          protocol: l.protocol,
          rules: records.rulesOf(l.arn).map(ruleConfig),
        })),
      };
    }),
    targetGroups: records.targetGroups().map((tg) => targetGroupConfig(records, tg)),
  };
}

function ruleConfig(r: RuleRecord): RuleConfig {
  return {
    arn: r.arn,
    priority: r.priority ?? 'default',
    conditions: r.conditions.map(conditionConfig),
    actions: [...r.actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).map(actionConfig),
  };
}

/** A stored (validated, normalized) condition in the data plane's form. */
function conditionConfig(c: WireCondition): RuleCondition {
  switch (c.Field) {
    case 'path-pattern':
      return { field: 'path-pattern', values: c.PathPatternConfig?.Values ?? [] };
    case 'host-header':
      return { field: 'host-header', values: c.HostHeaderConfig?.Values ?? [] };
    case 'http-header':
      return { field: 'http-header', headerName: c.HttpHeaderConfig?.HttpHeaderName ?? '', values: c.HttpHeaderConfig?.Values ?? [] };
    case 'http-request-method':
      return { field: 'http-request-method', values: c.HttpRequestMethodConfig?.Values ?? [] };
    case 'query-string':
      return { field: 'query-string', values: (c.QueryStringConfig?.Values ?? []).map((p) => (p.Key === undefined ? { value: p.Value ?? '' } : { key: p.Key, value: p.Value ?? '' })) };
    case 'source-ip':
      return { field: 'source-ip', values: c.SourceIpConfig?.Values ?? [] };
    default:
      throw new Error(`stored rule condition has an unknown field '${c.Field}'`);
  }
}

/** A stored (validated, normalized) action in the data plane's form. */
function actionConfig(a: WireAction): RuleAction {
  switch (a.Type) {
    case 'forward': {
      const fc = a.ForwardConfig!;
      const st = fc.TargetGroupStickinessConfig;
      return {
        type: 'forward',
        targetGroups: (fc.TargetGroups ?? []).map((t) => ({ arn: t.TargetGroupArn!, weight: t.Weight ?? 1 })),
        ...(st?.Enabled ? { stickiness: { enabled: true, durationSeconds: st.DurationSeconds ?? 0 } } : {}),
      };
    }
    case 'redirect': {
      const rc = a.RedirectConfig!;
      return {
        type: 'redirect',
        protocol: rc.Protocol!,
        host: rc.Host!,
        port: rc.Port!,
        path: rc.Path!,
        query: rc.Query!,
        statusCode: rc.StatusCode as 'HTTP_301' | 'HTTP_302',
      };
    }
    case 'fixed-response': {
      const fr = a.FixedResponseConfig!;
      return {
        type: 'fixed-response',
        statusCode: fr.StatusCode,
        ...(fr.ContentType !== undefined ? { contentType: fr.ContentType } : {}),
        ...(fr.MessageBody !== undefined ? { messageBody: fr.MessageBody } : {}),
      };
    }
    default:
      throw new Error(`stored action has an unsupported type '${a.Type}'`);
  }
}

function targetGroupConfig(records: Records, tg: TargetGroupRecord): TargetGroupConfig {
  const attrs = targetGroupAttributes(tg);
  const hc = tg.healthCheck;
  return {
    arn: tg.arn,
    name: tg.name,
    protocol: tg.protocol,
    port: tg.port,
    targetType: tg.targetType,
    healthCheck: {
      enabled: hc.enabled,
      protocol: hc.protocol,
      port: hc.port,
      path: hc.path,
      intervalSeconds: hc.intervalSeconds,
      timeoutSeconds: hc.timeoutSeconds,
      healthyThresholdCount: hc.healthyThresholdCount,
      unhealthyThresholdCount: hc.unhealthyThresholdCount,
      matcher: hc.matcher,
    },
    deregistrationDelaySeconds: Number(attrs['deregistration_delay.timeout_seconds']),
    slowStartSeconds: Number(attrs['slow_start.duration_seconds']),
    algorithm: attrs['load_balancing.algorithm.type'] as 'round_robin' | 'least_outstanding_requests',
    stickiness: {
      enabled: attrs['stickiness.enabled'] === 'true',
      type: attrs['stickiness.type'] as 'lb_cookie' | 'app_cookie',
      durationSeconds: Number(attrs['stickiness.type'] === 'app_cookie' ? attrs['stickiness.app_cookie.duration_seconds'] : attrs['stickiness.lb_cookie.duration_seconds']),
      ...(attrs['stickiness.app_cookie.cookie_name'] ? { appCookieName: attrs['stickiness.app_cookie.cookie_name'] } : {}),
    },
    targets: records.targets(tg.arn).map((t) => ({
      id: t.id,
      port: t.port,
      host: tg.targetType === 'instance' ? INSTANCE_TARGET_HOST : t.id,
      ...(t.availabilityZone ? { availabilityZone: t.availabilityZone } : {}),
    })),
  };
}
