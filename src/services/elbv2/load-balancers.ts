/**
 * Application Load Balancers: CreateLoadBalancer, DescribeLoadBalancers, DeleteLoadBalancer,
 * Describe/ModifyLoadBalancerAttributes, SetSecurityGroups, SetSubnets, SetIpAddressType.
 */
import { asyncOperation } from '../../api/index.js';
import { allocateAddress, canonicalHostedZoneId, defaultSecurityGroupId, defaultSubnets, defaultVpcId, dnsNameFor } from './addresses.js';
import { checkArn, loadBalancerArn, newResourceId } from './arns.js';
import { attributesToWire, changeLoadBalancerAttributes, loadBalancerAttributes } from './attributes.js';
import type { Elbv2Deps } from './deps.js';
import { elbError, loadBalancerNotFound, operationNotPermitted, validationError } from './errors.js';
import { checkLoadBalancerName } from './names.js';
import { page } from './paging.js';
import { Records, type LoadBalancerRecord } from './records.js';
import { checkTags, putTags, type WireTag } from './tags.js';

/** The most load balancers per region (ELB's default quota). */
export const MAX_LOAD_BALANCERS = 50;

/** What CreateLoadBalancer accepts (model-checked). */
interface CreateLoadBalancerInput {
  Name: string;
  Subnets?: string[];
  SubnetMappings?: { SubnetId?: string; AllocationId?: string; PrivateIPv4Address?: string; IPv6Address?: string }[];
  SecurityGroups?: string[];
  Scheme?: 'internet-facing' | 'internal';
  Tags?: WireTag[];
  Type?: string;
  IpAddressType?: string;
  CustomerOwnedIpv4Pool?: string;
}

/** A load balancer in ELBv2's wire form. */
export function loadBalancerToWire(lb: LoadBalancerRecord, state: 'provisioning' | 'active' = 'active') {
  return {
    LoadBalancerArn: lb.arn,
    DNSName: lb.dnsName,
    CanonicalHostedZoneId: canonicalHostedZoneId(lb.arn.split(':')[3]),
    CreatedTime: new Date(lb.createdTime),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: lb.vpcId,
    State: { Code: state },
    Type: lb.type,
    // Each zone reports the load balancer's one loopback address, so clients can find it without DNS.
    AvailabilityZones: lb.availabilityZones.map((z) => ({ ...z, LoadBalancerAddresses: [{ IpAddress: lb.address }] })),
    SecurityGroups: lb.securityGroups,
    IpAddressType: lb.ipAddressType,
  };
}

/** The load balancer an ARN names, or LoadBalancerNotFound (ValidationError for a malformed ARN). */
export function requireLoadBalancer(records: Records, arn: string): LoadBalancerRecord {
  checkArn(arn, 'loadbalancer');
  const lb = records.loadBalancer(arn);
  if (!lb) throw loadBalancerNotFound();
  return lb;
}

function zonesOf(deps: Elbv2Deps, input: CreateLoadBalancerInput): { ZoneName: string; SubnetId: string }[] {
  if (input.Subnets !== undefined && input.SubnetMappings !== undefined) {
    throw validationError('You can specify subnets or subnet mappings, but not both');
  }
  if (input.SubnetMappings?.some((m) => m.AllocationId !== undefined || m.PrivateIPv4Address !== undefined || m.IPv6Address !== undefined)) {
    throw validationError('Application Load Balancers do not support Elastic IP addresses or private IP addresses in subnet mappings');
  }
  const ids = input.Subnets ?? input.SubnetMappings?.map((m) => m.SubnetId ?? '');
  // Berth has no VPCs to look subnets up in; without any, the load balancer is placed in Berth's two default subnets.
  if (ids === undefined) return defaultSubnets(deps.scope.accountId, deps.scope.region);
  for (const id of ids) {
    if (!/^subnet-[0-9a-z]+$/.test(id)) throw elbError('SubnetNotFound', `The subnet ID '${id}' is not valid`);
  }
  if (new Set(ids).size !== ids.length) throw validationError('You can specify only one subnet per Availability Zone');
  if (ids.length < 2) throw validationError('At least two subnets in two different Availability Zones must be specified');
  // Zones are assigned in order (a, b, c, ...): Berth keeps no subnet-to-zone table.
  return ids.map((SubnetId, i) => ({ ZoneName: `${deps.scope.region}${String.fromCharCode(97 + (i % 26))}`, SubnetId }));
}

function securityGroupsOf(deps: Elbv2Deps, groups: string[] | undefined): string[] {
  if (groups === undefined || groups.length === 0) return [defaultSecurityGroupId(deps.scope.accountId)];
  for (const g of groups) {
    if (!/^sg-[0-9a-z]+$/.test(g)) throw elbError('InvalidSecurityGroup', `Security group '${g}' is not valid`);
  }
  if (groups.length > 5) throw validationError(`At most 5 security groups can be specified; got ${groups.length}`);
  return [...new Set(groups)];
}

/** Builds the load balancer operations. */
export function loadBalancerOperations(deps: Elbv2Deps) {
  const records = new Records(deps.store);
  return {
    CreateLoadBalancer: asyncOperation(async (input: CreateLoadBalancerInput) => {
      checkLoadBalancerName(input.Name);
      const type = input.Type ?? 'application';
      if (type !== 'application') {
        throw validationError(`Load balancer type '${type}' is not supported by Berth; only 'application' load balancers (ALB) are`);
      }
      if (input.CustomerOwnedIpv4Pool !== undefined) throw validationError('Customer-owned IPv4 pools are only available for load balancers on Outposts');
      const scheme = input.Scheme ?? 'internet-facing';
      const ipAddressType = input.IpAddressType ?? 'ipv4';
      if (ipAddressType === 'dualstack-without-public-ipv4' && scheme !== 'internet-facing') {
        throw validationError(`IP address type 'dualstack-without-public-ipv4' is only available for internet-facing load balancers`);
      }
      const zones = zonesOf(deps, input);
      const securityGroups = securityGroupsOf(deps, input.SecurityGroups);
      const tags = checkTags(input.Tags);
      const id = newResourceId();
      const created = deps.now().toISOString();
      const dnsName = dnsNameFor(input.Name, scheme, deps.scope.region);
      const result = await deps.commit.run(() => {
        const existing = records.loadBalancerByName(input.Name);
        if (existing) {
          // CreateLoadBalancer is idempotent: the same settings give back the existing load balancer.
          const same =
            existing.scheme === scheme &&
            existing.ipAddressType === ipAddressType &&
            JSON.stringify(existing.availabilityZones) === JSON.stringify(zones) &&
            JSON.stringify(existing.securityGroups) === JSON.stringify(securityGroups);
          if (!same) throw elbError('DuplicateLoadBalancerName', `A load balancer with the same name '${input.Name}' exists, but with different settings`);
          return { lb: existing, created: false };
        }
        if (records.loadBalancers().length >= MAX_LOAD_BALANCERS) {
          throw elbError('TooManyLoadBalancers', `The quota for the number of load balancers (${MAX_LOAD_BALANCERS}) has been reached`);
        }
        const lb: LoadBalancerRecord = {
          arn: loadBalancerArn(deps.scope, input.Name, id),
          name: input.Name,
          dnsName,
          address: allocateAddress((a) => records.addressInUse(a)),
          scheme,
          type: 'application',
          ipAddressType,
          vpcId: defaultVpcId(deps.scope.accountId),
          securityGroups,
          availabilityZones: zones,
          createdTime: created,
          attributes: {},
        };
        records.saveLoadBalancer(lb);
        putTags(deps, lb.arn, tags);
        return { lb, created: true };
      });
      // AWS reports a new load balancer as provisioning; Berth's is serving once this call returns.
      return { LoadBalancers: [loadBalancerToWire(result.lb, result.created ? 'provisioning' : 'active')] };
    }),

    DescribeLoadBalancers(input: { LoadBalancerArns?: string[]; Names?: string[]; Marker?: string; PageSize?: number }) {
      if (input.LoadBalancerArns?.length && input.Names?.length) {
        throw validationError('Load balancer names and load balancer ARNs cannot be specified at the same time');
      }
      let found: LoadBalancerRecord[];
      if (input.LoadBalancerArns?.length) {
        if (input.LoadBalancerArns.length > 20) throw validationError('At most 20 load balancer ARNs can be specified');
        found = [...new Set(input.LoadBalancerArns)].map((arn) => requireLoadBalancer(records, arn));
      } else if (input.Names?.length) {
        if (input.Names.length > 20) throw validationError('At most 20 load balancer names can be specified');
        const names = [...new Set(input.Names)];
        const missing = names.filter((n) => !records.loadBalancerByName(n));
        if (missing.length) throw loadBalancerNotFound(`Load balancers '[${missing.join(', ')}]' not found`);
        found = names.map((n) => records.loadBalancerByName(n)!);
      } else {
        found = records.loadBalancers();
      }
      const p = page(found, input, `lb:${JSON.stringify([input.LoadBalancerArns, input.Names])}`);
      return { LoadBalancers: p.items.map((lb) => loadBalancerToWire(lb)), NextMarker: p.nextMarker };
    },

    DeleteLoadBalancer: asyncOperation(async (input: { LoadBalancerArn: string }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      return deps.commit.run(() => {
        const lb = records.loadBalancer(input.LoadBalancerArn);
        // Deleting a load balancer that does not exist (or no longer does) succeeds, as in ELBv2.
        if (!lb) return {};
        if (loadBalancerAttributes(lb)['deletion_protection.enabled'] === 'true') {
          throw operationNotPermitted(`Load balancer '${lb.arn}' cannot be deleted because deletion protection is enabled`);
        }
        for (const arn of records.childArns(lb.arn)) deps.tags.clear(arn);
        deps.tags.clear(lb.arn);
        records.deleteLoadBalancer(lb.arn);
        return {};
      });
    }),

    DescribeLoadBalancerAttributes(input: { LoadBalancerArn: string }) {
      const lb = requireLoadBalancer(records, input.LoadBalancerArn);
      return { Attributes: attributesToWire(loadBalancerAttributes(lb)) };
    },

    ModifyLoadBalancerAttributes: asyncOperation(async (input: { LoadBalancerArn: string; Attributes: { Key?: string; Value?: string }[] }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      return deps.commit.run(() => {
        const lb = requireLoadBalancer(records, input.LoadBalancerArn);
        const next: LoadBalancerRecord = { ...lb, attributes: changeLoadBalancerAttributes(lb, input.Attributes) };
        records.saveLoadBalancer(next);
        return { Attributes: attributesToWire(loadBalancerAttributes(next)) };
      });
    }),

    SetSecurityGroups: asyncOperation(async (input: { LoadBalancerArn: string; SecurityGroups: string[] }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      const groups = securityGroupsOf(deps, input.SecurityGroups);
      return deps.commit.run(() => {
        const lb = requireLoadBalancer(records, input.LoadBalancerArn);
        records.saveLoadBalancer({ ...lb, securityGroups: groups });
        return { SecurityGroupIds: groups };
      });
    }),

    SetSubnets: asyncOperation(async (input: { LoadBalancerArn: string; Subnets?: string[]; SubnetMappings?: CreateLoadBalancerInput['SubnetMappings']; IpAddressType?: string }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      if (input.Subnets === undefined && input.SubnetMappings === undefined) throw validationError('You must specify subnets or subnet mappings');
      const zones = zonesOf(deps, { Name: '', Subnets: input.Subnets, SubnetMappings: input.SubnetMappings });
      return deps.commit.run(() => {
        const lb = requireLoadBalancer(records, input.LoadBalancerArn);
        const next: LoadBalancerRecord = { ...lb, availabilityZones: zones, ipAddressType: input.IpAddressType ?? lb.ipAddressType };
        records.saveLoadBalancer(next);
        const wire = loadBalancerToWire(next);
        return { AvailabilityZones: wire.AvailabilityZones, IpAddressType: wire.IpAddressType };
      });
    }),

    SetIpAddressType: asyncOperation(async (input: { LoadBalancerArn: string; IpAddressType: string }) => {
      checkArn(input.LoadBalancerArn, 'loadbalancer');
      return deps.commit.run(() => {
        const lb = requireLoadBalancer(records, input.LoadBalancerArn);
        if (input.IpAddressType === 'dualstack-without-public-ipv4' && lb.scheme !== 'internet-facing') {
          throw validationError(`IP address type 'dualstack-without-public-ipv4' is only available for internet-facing load balancers`);
        }
        records.saveLoadBalancer({ ...lb, ipAddressType: input.IpAddressType });
        return { IpAddressType: input.IpAddressType };
      });
    }),
  };
}
