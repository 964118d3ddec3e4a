/**
 * Target groups: CreateTargetGroup, DescribeTargetGroups, ModifyTargetGroup, DeleteTargetGroup,
 * Describe/ModifyTargetGroupAttributes.
 */
import { asyncOperation } from '../../api/index.js';
import { checkArn, newResourceId, targetGroupArn } from './arns.js';
import { attributesToWire, changeTargetGroupAttributes, targetGroupAttributes } from './attributes.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, targetGroupNotFound, validationError } from './errors.js';
import { applyHealthCheck, HEALTH_CHECK_DEFAULTS, healthCheckToWire, type HealthCheckInput } from './health-check.js';
import { requireLoadBalancer } from './load-balancers.js';
import { checkTargetGroupName } from './names.js';
import { page } from './paging.js';
import { Records, type TargetGroupRecord } from './records.js';
import { checkTags, putTags, type WireTag } from './tags.js';

/** The most target groups per region (ELB's default quota). */
export const MAX_TARGET_GROUPS = 3000;

interface CreateTargetGroupInput extends HealthCheckInput {
  Name: string;
  Protocol?: string;
  ProtocolVersion?: string;
  Port?: number;
  VpcId?: string;
  TargetType?: string;
  Tags?: WireTag[];
  IpAddressType?: string;
  TargetControlPort?: number;
}

/** A target group in ELBv2's wire form. */
export function targetGroupToWire(records: Records, tg: TargetGroupRecord) {
  return {
    TargetGroupArn: tg.arn,
    TargetGroupName: tg.name,
    Protocol: tg.protocol,
    Port: tg.port,
    VpcId: tg.vpcId,
    ...healthCheckToWire(tg.healthCheck),
    LoadBalancerArns: records.loadBalancersOfTargetGroup(tg.arn),
    TargetType: tg.targetType,
    ProtocolVersion: tg.protocolVersion,
    IpAddressType: tg.ipAddressType,
  };
}

/** The target group an ARN names, or TargetGroupNotFound (ValidationError for a malformed ARN). */
export function requireTargetGroup(records: Records, arn: string): TargetGroupRecord {
  checkArn(arn, 'targetgroup');
  const tg = records.targetGroup(arn);
  if (!tg) throw targetGroupNotFound();
  return tg;
}

function checkProtocol(protocol: string | undefined, what: string): 'HTTP' {
  if (protocol === undefined) throw validationError(`A protocol must be specified for ${what}`);
  if (protocol === 'HTTP') return 'HTTP';
  if (protocol === 'HTTPS') {
    throw elbError('UnsupportedProtocol', `Protocol 'HTTPS' is not supported by Berth yet: its load balancer connects to targets over HTTP only`);
  }
  throw elbError('UnsupportedProtocol', `Protocol '${protocol}' is not supported by Application Load Balancers (it is a Network or Gateway Load Balancer protocol, which Berth does not offer)`);
}

/** Builds the target group operations. */
export function targetGroupOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    CreateTargetGroup: asyncOperation(async (input: CreateTargetGroupInput) => {
      checkTargetGroupName(input.Name);
      const targetType = input.TargetType ?? 'instance';
      if (targetType === 'lambda' || targetType === 'alb') {
        throw validationError(`Target type '${targetType}' is not supported by Berth yet; use 'instance' or 'ip'`);
      }
      const protocol = checkProtocol(input.Protocol, `target groups with target type '${targetType}'`);
      if (input.Port === undefined) throw validationError(`A port must be specified for target groups with target type '${targetType}'`);
      if (input.VpcId === undefined) throw validationError(`A VPC ID must be specified for target groups with target type '${targetType}'`);
      if (!/^vpc-[0-9a-z]+$/.test(input.VpcId)) throw validationError(`The VPC ID '${input.VpcId}' is not valid`);
      const version = input.ProtocolVersion ?? 'HTTP1';
      if (version !== 'HTTP1') {
        throw validationError(`Protocol version '${version}' is not supported by Berth yet: its load balancer speaks HTTP/1.1 to targets`);
      }
      if ((input.IpAddressType ?? 'ipv4') !== 'ipv4') throw validationError(`IP address type '${input.IpAddressType}' is not supported by Berth yet; target groups use 'ipv4'`);
      if (input.TargetControlPort !== undefined) throw validationError('A target control port is not supported by Application Load Balancer target groups');
      const healthCheck = applyHealthCheck(HEALTH_CHECK_DEFAULTS, input);
      const tags = checkTags(input.Tags);
      const id = newResourceId();
      const created = deps.now().toISOString();
      return deps.commit.run(() => {
        const tg: TargetGroupRecord = {
          arn: targetGroupArn(deps.scope, input.Name, id),
          name: input.Name,
          protocol,
          protocolVersion: 'HTTP1',
          port: input.Port!,
          vpcId: input.VpcId!,
          targetType: targetType as 'instance' | 'ip',
          ipAddressType: 'ipv4',
          healthCheck,
          createdTime: created,
          attributes: {},
        };
        const existing = records.targetGroupByName(input.Name);
        if (existing) {
          // CreateTargetGroup is idempotent: the same settings give back the existing group.
          const strip = (t: TargetGroupRecord) => JSON.stringify({ ...t, arn: '', createdTime: '', attributes: {} });
          if (strip(existing) !== strip(tg)) throw elbError('DuplicateTargetGroupName', `A target group with the same name '${input.Name}' exists, but with different settings`);
          return { TargetGroups: [targetGroupToWire(records, existing)] };
        }
        if (records.countTargetGroups() >= MAX_TARGET_GROUPS) {
          throw elbError('TooManyTargetGroups', `The quota for the number of target groups (${MAX_TARGET_GROUPS}) has been reached`);
        }
        records.saveTargetGroup(tg);
        putTags(deps, tg.arn, tags);
        return { TargetGroups: [targetGroupToWire(records, tg)] };
      });
    }),

    DescribeTargetGroups(input: { LoadBalancerArn?: string; TargetGroupArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }) {
      const given = [input.LoadBalancerArn !== undefined, !!input.TargetGroupArns?.length, !!input.Names?.length].filter(Boolean).length;
      if (given > 1) throw validationError('You can specify only one of load balancer ARN, target group ARNs or target group names');
      let found: TargetGroupRecord[];
      if (input.LoadBalancerArn !== undefined) {
        requireLoadBalancer(records, input.LoadBalancerArn);
        const arns = new Set(records.targetGroupsOfLoadBalancer(input.LoadBalancerArn));
        found = records.targetGroups().filter((tg) => arns.has(tg.arn));
      } else if (input.TargetGroupArns?.length) {
        found = [...new Set(input.TargetGroupArns)].map((arn) => requireTargetGroup(records, arn));
      } else if (input.Names?.length) {
        const names = [...new Set(input.Names)];
        const missing = names.filter((n) => !records.targetGroupByName(n));
        if (missing.length) throw targetGroupNotFound(`Target groups '[${missing.join(', ')}]' not found`);
        found = names.map((n) => records.targetGroupByName(n)!);
      } else {
        found = records.targetGroups();
      }
      const p = page(found, input, `tg:${JSON.stringify([input.LoadBalancerArn, input.TargetGroupArns, input.Names])}`);
      return { TargetGroups: p.items.map((tg) => targetGroupToWire(records, tg)), NextMarker: p.nextMarker };
    },

    ModifyTargetGroup: asyncOperation(async (input: HealthCheckInput & { TargetGroupArn: string }) => {
      checkArn(input.TargetGroupArn, 'targetgroup');
      return deps.commit.run(() => {
        const tg = requireTargetGroup(records, input.TargetGroupArn);
        const next: TargetGroupRecord = { ...tg, healthCheck: applyHealthCheck(tg.healthCheck, input) };
        records.saveTargetGroup(next);
        return { TargetGroups: [targetGroupToWire(records, next)] };
      });
    }),

    DeleteTargetGroup: asyncOperation(async (input: { TargetGroupArn: string }) => {
      checkArn(input.TargetGroupArn, 'targetgroup');
      return deps.commit.run(() => {
        const tg = records.targetGroup(input.TargetGroupArn);
        // Deleting a target group that does not exist succeeds, as in ELBv2.
        if (!tg) return {};
        if (records.loadBalancersOfTargetGroup(tg.arn).length > 0) {
          throw elbError('ResourceInUse', `Target group '${tg.arn}' is currently in use by a listener or a rule`);
        }
        deps.tags.clear(tg.arn);
        records.deleteTargetGroup(tg.arn);
        return {};
      });
    }),

    DescribeTargetGroupAttributes(input: { TargetGroupArn: string }) {
      const tg = requireTargetGroup(records, input.TargetGroupArn);
      return { Attributes: attributesToWire(targetGroupAttributes(tg)) };
    },

    ModifyTargetGroupAttributes: asyncOperation(async (input: { TargetGroupArn: string; Attributes: { Key?: string; Value?: string }[] }) => {
      checkArn(input.TargetGroupArn, 'targetgroup');
      return deps.commit.run(() => {
        const tg = requireTargetGroup(records, input.TargetGroupArn);
        const next: TargetGroupRecord = { ...tg, attributes: changeTargetGroupAttributes(tg, input.Attributes) };
        records.saveTargetGroup(next);
        return { Attributes: attributesToWire(targetGroupAttributes(next)) };
      });
    }),
  };
}
