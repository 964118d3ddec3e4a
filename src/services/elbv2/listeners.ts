/**
 * Listeners: CreateListener, DescribeListeners, ModifyListener, DeleteListener. Each listener
 * has a default rule (priority 'default', no conditions) that mirrors its default actions.
 * Creating a listener or moving it to another port opens a socket, so those changes commit only
 * once the data plane has bound it (commit.ts runBinding).
 */
import { asyncOperation } from '../../api/index.js';
import type { ListenerBindError } from '../../lb/config.js';
import { checkActions } from './actions.js';
import { checkArn, listenerArn, newResourceId, ruleArn } from './arns.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, invalidConfiguration, listenerNotFound, validationError } from './errors.js';
import { requireLoadBalancer } from './load-balancers.js';
import { page } from './paging.js';
import { Records, type ListenerRecord, type WireAction } from './records.js';
import { checkTags, putTags, type WireTag } from './tags.js';

/** The most listeners per load balancer (ELB's default quota). */
export const MAX_LISTENERS = 50;

interface ListenerInput {
  Protocol?: string;
  Port?: number;
  SslPolicy?: string;
  Certificates?: { CertificateArn?: string }[];
  DefaultActions?: WireAction[];
  AlpnPolicy?: string[];
  MutualAuthentication?: unknown;
}

/** A listener in ELBv2's wire form. */
export const listenerToWire = (l: ListenerRecord) => ({
  ListenerArn: l.arn,
  LoadBalancerArn: l.loadBalancerArn,
  Port: l.port,
  Protocol: l.protocol,
  DefaultActions: l.defaultActions,
});

/** The listener an ARN names, or ListenerNotFound (ValidationError for a malformed ARN). */
export function requireListener(records: Records, arn: string): ListenerRecord {
  checkArn(arn, 'listener');
  const l = records.listener(arn);
  if (!l) throw listenerNotFound();
  return l;
}

/** Checks the protocol members; Berth's listeners speak HTTP. */
function checkProtocol(input: ListenerInput, current?: ListenerRecord): 'HTTP' {
  const protocol = input.Protocol ?? current?.protocol;
  if (protocol === undefined) throw validationError('A listener protocol must be specified');
  if (protocol === 'HTTPS') {
    if (!input.Certificates?.length) throw validationError('A certificate must be specified for HTTPS listeners');
    throw elbError(
      'CertificateNotFound',
      `Certificate '${input.Certificates[0].CertificateArn ?? ''}' not found: Berth has no certificate store yet, so HTTPS listeners are not available`,
    );
  }
  if (protocol !== 'HTTP') throw elbError('UnsupportedProtocol', `Protocol '${protocol}' is not supported by Application Load Balancers; use HTTP`);
  if (input.Certificates?.length) throw validationError('Certificates can only be specified for HTTPS listeners');
  if (input.SslPolicy !== undefined) throw validationError('An SSL policy can only be specified for HTTPS listeners');
  if (input.AlpnPolicy?.length) throw validationError('An ALPN policy can only be specified for TLS listeners of Network Load Balancers');
  if (input.MutualAuthentication !== undefined) throw validationError('Mutual authentication can only be configured for HTTPS listeners');
  return 'HTTP';
}

/** The error to answer when the data plane could not bind `listener`'s socket, if it could not. */
function bindRefusal(listener: string, errors: ListenerBindError[]): Error | undefined {
  const e = errors.find((x) => x.listenerArn === listener);
  if (!e) return undefined;
  return invalidConfiguration(`Berth could not listen on ${e.address}:${e.port} for this listener: ${e.code} (${e.message})`);
}

/** Builds the listener operations. */
export function listenerOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    CreateListener: asyncOperation(async (input: ListenerInput & { LoadBalancerArn: string; DefaultActions: WireAction[]; Tags?: WireTag[] }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      const protocol = checkProtocol(input);
      if (input.Port === undefined) throw validationError('A listener port must be specified');
      const port = input.Port;
      const tags = checkTags(input.Tags);
      const lid = newResourceId();
      const rid = newResourceId();
      const created = deps.now().toISOString();
      const change = () => {
        const lb = requireLoadBalancer(records, input.LoadBalancerArn);
        const { actions, targetGroupArns } = checkActions(records, lb.arn, input.DefaultActions);
        const existing = records.listenerOnPort(lb.arn, port);
        if (existing) {
          // CreateListener is idempotent: the same settings give back the existing listener.
          if (existing.protocol === protocol && JSON.stringify(existing.defaultActions) === JSON.stringify(actions)) return { listener: existing, isNew: false };
          throw elbError('DuplicateListener', `A listener already exists on port ${port} of load balancer '${lb.arn}'`);
        }
        if (records.listenersOf(lb.arn).length >= MAX_LISTENERS) {
          throw elbError('TooManyListeners', `The quota for the number of listeners per load balancer (${MAX_LISTENERS}) has been reached`);
        }
        const listener: ListenerRecord = { arn: listenerArn(lb.arn, lid), loadBalancerArn: lb.arn, port, protocol, defaultActions: actions, createdTime: created };
        records.saveListener(listener);
        records.saveRule({ arn: ruleArn(listener.arn, rid), listenerArn: listener.arn, priority: null, conditions: [], actions, createdTime: created }, targetGroupArns);
        putTags(deps, listener.arn, tags);
        return { listener, isNew: true };
      };
      const result = await deps.commit.runBinding(change, (r, errors) => (r.isNew ? bindRefusal(r.listener.arn, errors) : undefined));
      return { Listeners: [listenerToWire(result.listener)] };
    }),

    DescribeListeners(input: { LoadBalancerArn?: string; ListenerArns?: string[]; Marker?: string; PageSize?: number }) {
      let found: ListenerRecord[];
      if (input.LoadBalancerArn !== undefined && input.ListenerArns?.length) {
        throw validationError('Listener ARNs and a load balancer ARN cannot be specified at the same time');
      }
      if (input.LoadBalancerArn !== undefined) {
        found = records.listenersOf(requireLoadBalancer(records, input.LoadBalancerArn).arn);
      } else if (input.ListenerArns?.length) {
        found = [...new Set(input.ListenerArns)].map((arn) => requireListener(records, arn));
      } else {
        throw validationError('You must specify either listener ARNs or a load balancer ARN');
      }
      const p = page(found, input, `listeners:${JSON.stringify([input.LoadBalancerArn, input.ListenerArns])}`);
      return { Listeners: p.items.map(listenerToWire), NextMarker: p.nextMarker };
    },

    ModifyListener: asyncOperation(async (input: ListenerInput & { ListenerArn: string }) => {
      checkArn(input.ListenerArn, 'listener');
      const change = () => {
        const current = requireListener(records, input.ListenerArn);
        const protocol = checkProtocol(input, current);
        const port = input.Port ?? current.port;
        if (port !== current.port && records.listenerOnPort(current.loadBalancerArn, port)) {
          throw elbError('DuplicateListener', `A listener already exists on port ${port} of load balancer '${current.loadBalancerArn}'`);
        }
        let defaultActions = current.defaultActions;
        const rule = records.defaultRuleOf(current.arn)!;
        if (input.DefaultActions !== undefined) {
          const checked = checkActions(records, current.loadBalancerArn, input.DefaultActions);
          defaultActions = checked.actions;
          records.saveRule({ ...rule, actions: defaultActions }, checked.targetGroupArns);
        }
        const listener: ListenerRecord = { ...current, protocol, port, defaultActions };
        records.saveListener(listener);
        return { listener, moved: port !== current.port };
      };
      const result = await deps.commit.runBinding(change, (r, errors) => (r.moved ? bindRefusal(r.listener.arn, errors) : undefined));
      return { Listeners: [listenerToWire(result.listener)] };
    }),

    DeleteListener: asyncOperation(async (input: { ListenerArn: string }) => {
      checkArn(input.ListenerArn, 'listener');
      return deps.commit.run(() => {
        const l = requireListener(records, input.ListenerArn);
        for (const r of records.rulesOf(l.arn)) deps.tags.clear(r.arn);
        deps.tags.clear(l.arn);
        records.deleteListener(l.arn);
        return {};
      });
    }),
  };
}
