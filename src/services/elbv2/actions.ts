/**
 * Listener and rule actions: checked as ELBv2 checks them and normalized to the form the
 * Describe calls return (a single-group forward carries both TargetGroupArn and ForwardConfig
 * with weight 1; redirects carry every component, defaulted to the #{...} keywords).
 */
import { checkArn } from './arns.js';
import { elbError, invalidAction, targetGroupNotFound, validationError } from './errors.js';
import type { Records, WireAction } from './records.js';

/** The most target groups one forward action may name. */
export const MAX_FORWARD_TARGET_GROUPS = 5;
/** The most distinct target groups one load balancer's listeners and rules may use. */
export const MAX_TARGET_GROUPS_PER_LOAD_BALANCER = 100;
/** Content types a fixed-response action may use. */
export const FIXED_RESPONSE_CONTENT_TYPES = ['text/plain', 'text/css', 'text/html', 'application/javascript', 'application/json'];

const TERMINAL = ['forward', 'redirect', 'fixed-response'];
const CONFIG_OF: Record<string, string> = {
  forward: 'ForwardConfig',
  redirect: 'RedirectConfig',
  'fixed-response': 'FixedResponseConfig',
  'authenticate-oidc': 'AuthenticateOidcConfig',
  'authenticate-cognito': 'AuthenticateCognitoConfig',
  'jwt-validation': 'JwtValidationConfig',
};

/** Checked actions and the target groups they forward to. */
export interface CheckedActions {
  actions: WireAction[];
  targetGroupArns: string[];
}

/**
 * Checks `actions` for a listener or rule of load balancer `lbArn`: supported types, one
 * terminal action, existing target groups that no other load balancer uses.
 */
export function checkActions(records: Records, lbArn: string, actions: readonly WireAction[]): CheckedActions {
  if (actions.length === 0) throw validationError('At least one action must be specified');
  for (const a of actions) {
    if (!TERMINAL.includes(a.Type)) {
      throw invalidAction(`Action type '${a.Type}' is not supported by Berth yet; use forward, redirect or fixed-response`);
    }
    for (const [type, member] of Object.entries(CONFIG_OF)) {
      if (type !== a.Type && a[member] !== undefined) throw validationError(`${member} can only be specified for actions of type '${type}'`);
    }
    if (a.Type !== 'forward' && a.TargetGroupArn !== undefined) throw validationError(`A target group ARN can only be specified for actions of type 'forward'`);
  }
  if (actions.length > 1) {
    throw invalidAction(`A rule can have only one forward, redirect or fixed-response action; ${actions.length} were specified`);
  }
  const groups = new Set<string>();
  const out = actions.map((a) => {
    const order = a.Order !== undefined ? { Order: a.Order } : {};
    switch (a.Type) {
      case 'forward': {
        const fwd = checkForward(records, lbArn, a);
        fwd.ForwardConfig!.TargetGroups!.forEach((t) => groups.add(t.TargetGroupArn!));
        return { ...fwd, ...order };
      }
      case 'redirect':
        return { Type: 'redirect', ...order, RedirectConfig: checkRedirect(a.RedirectConfig) };
      default:
        return { Type: 'fixed-response', ...order, FixedResponseConfig: checkFixedResponse(a.FixedResponseConfig) };
    }
  });
  const used = new Set([...records.targetGroupsOfLoadBalancer(lbArn), ...groups]);
  if (used.size > MAX_TARGET_GROUPS_PER_LOAD_BALANCER) {
    throw elbError('TooManyUniqueTargetGroupsPerLoadBalancer', `A load balancer can use at most ${MAX_TARGET_GROUPS_PER_LOAD_BALANCER} target groups; this change would make it ${used.size}`);
  }
  return { actions: out, targetGroupArns: [...groups] };
}

function checkForward(records: Records, lbArn: string, a: WireAction): WireAction {
  const listed = a.ForwardConfig?.TargetGroups;
  let tuples: { TargetGroupArn: string; Weight: number }[];
  if (listed === undefined || listed.length === 0) {
    if (a.TargetGroupArn === undefined) throw validationError('A target group ARN must be specified for a forward action');
    tuples = [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
  } else {
    if (listed.some((t) => t.TargetGroupArn === undefined)) throw validationError('Each target group of a forward config must have a target group ARN');
    if (a.TargetGroupArn !== undefined && (listed.length !== 1 || listed[0].TargetGroupArn !== a.TargetGroupArn)) {
      throw validationError('You cannot specify both a target group ARN and a forward config with different or several target groups');
    }
    tuples = listed.map((t) => ({ TargetGroupArn: t.TargetGroupArn!, Weight: t.Weight ?? 1 }));
  }
  if (tuples.length > MAX_FORWARD_TARGET_GROUPS) {
    throw validationError(`A forward action can have at most ${MAX_FORWARD_TARGET_GROUPS} target groups; ${tuples.length} were specified`);
  }
  const seen = new Set<string>();
  const borrowed: string[] = [];
  for (const t of tuples) {
    if (t.Weight < 0 || t.Weight > 999) throw validationError(`Target group weight '${t.Weight}' must be between 0 and 999`);
    if (seen.has(t.TargetGroupArn)) throw validationError(`Target group '${t.TargetGroupArn}' is specified more than once in the forward config`);
    seen.add(t.TargetGroupArn);
    checkArn(t.TargetGroupArn, 'targetgroup');
    if (!records.targetGroup(t.TargetGroupArn)) throw targetGroupNotFound(`Target group '${t.TargetGroupArn}' not found`);
    if (records.loadBalancersOfTargetGroup(t.TargetGroupArn).some((other) => other !== lbArn)) borrowed.push(t.TargetGroupArn);
  }
  if (borrowed.length) {
    throw elbError('TargetGroupAssociationLimit', `The following target groups cannot be associated with more than one load balancer: ${borrowed.join(', ')}`);
  }
  const st = a.ForwardConfig?.TargetGroupStickinessConfig;
  let stickiness: { Enabled: boolean; DurationSeconds?: number } = { Enabled: false };
  if (st?.Enabled) {
    if (st.DurationSeconds === undefined) throw validationError('A duration must be specified when target group stickiness is enabled');
    if (st.DurationSeconds < 1 || st.DurationSeconds > 604800) {
      throw validationError(`Target group stickiness duration '${st.DurationSeconds}' must be between 1 and 604800 seconds`);
    }
    stickiness = { Enabled: true, DurationSeconds: st.DurationSeconds };
  }
  return {
    Type: 'forward',
    ...(tuples.length === 1 ? { TargetGroupArn: tuples[0].TargetGroupArn } : {}),
    ForwardConfig: { TargetGroups: tuples, TargetGroupStickinessConfig: stickiness },
  };
}

function checkRedirect(rc: WireAction['RedirectConfig']): NonNullable<WireAction['RedirectConfig']> {
  if (!rc) throw validationError(`A redirect configuration must be specified for actions of type 'redirect'`);
  const out = {
    Protocol: rc.Protocol ?? '#{protocol}',
    Port: rc.Port ?? '#{port}',
    Host: rc.Host ?? '#{host}',
    Path: rc.Path ?? '/#{path}',
    Query: rc.Query ?? '#{query}',
    StatusCode: rc.StatusCode,
  };
  if (!['HTTP', 'HTTPS', '#{protocol}'].includes(out.Protocol)) {
    throw validationError(`Redirect protocol '${out.Protocol}' is not valid; it must be HTTP, HTTPS or #{protocol}`);
  }
  if (out.Port !== '#{port}' && !(/^\d{1,5}$/.test(out.Port) && Number(out.Port) >= 1 && Number(out.Port) <= 65535)) {
    throw validationError(`Redirect port '${out.Port}' is not valid; it must be between 1 and 65535, or #{port}`);
  }
  if (out.Host.length < 1 || out.Host.length > 128) throw validationError('Redirect host must be between 1 and 128 characters long');
  if (!out.Path.startsWith('/') || out.Path.length > 128) throw validationError(`Redirect path '${out.Path}' is not valid; it must begin with '/' and be at most 128 characters long`);
  if (out.Query.startsWith('?') || out.Query.length > 128) throw validationError(`Redirect query '${out.Query}' is not valid; leave out the leading '?' (it is added) and use at most 128 characters`);
  if (!['HTTP_301', 'HTTP_302'].includes(out.StatusCode)) throw validationError(`Redirect status code '${out.StatusCode}' must be HTTP_301 or HTTP_302`);
  if (out.Protocol === '#{protocol}' && out.Port === '#{port}' && out.Host === '#{host}' && out.Path === '/#{path}') {
    throw invalidAction('The redirect would loop: change at least one of protocol, host, port or path');
  }
  return out;
}

function checkFixedResponse(fr: WireAction['FixedResponseConfig']): NonNullable<WireAction['FixedResponseConfig']> {
  if (!fr) throw validationError(`A fixed-response configuration must be specified for actions of type 'fixed-response'`);
  if (!/^[245]\d\d$/.test(fr.StatusCode)) throw validationError(`Fixed response status code '${fr.StatusCode}' must be a 2XX, 4XX or 5XX code`);
  if (fr.ContentType !== undefined && !FIXED_RESPONSE_CONTENT_TYPES.includes(fr.ContentType)) {
    throw validationError(`Fixed response content type '${fr.ContentType}' is not valid; it must be one of ${FIXED_RESPONSE_CONTENT_TYPES.join(', ')}`);
  }
  if (fr.MessageBody !== undefined && Buffer.byteLength(fr.MessageBody) > 1024) throw validationError('Fixed response message body must be at most 1024 bytes');
  return { StatusCode: fr.StatusCode, ...(fr.ContentType !== undefined ? { ContentType: fr.ContentType } : {}), ...(fr.MessageBody !== undefined ? { MessageBody: fr.MessageBody } : {}) };
}
