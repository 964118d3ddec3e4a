/**
 * ELBv2 ARNs as AWS mints them, and the checks that tell a malformed ARN (ValidationError) from
 * a well-formed one that names nothing (the resource's NotFound error).
 *
 * - load balancer: `arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID`
 * - target group:  `...:targetgroup/NAME/ID`
 * - listener:      `...:listener/app/LB-NAME/LB-ID/ID`
 * - rule:          `...:listener-rule/app/LB-NAME/LB-ID/LISTENER-ID/ID`
 */
import { randomBytes } from 'node:crypto';
import { validationError } from './errors.js';

/** Where ARNs are minted: the account and region Berth serves. */
export interface ArnScope {
  accountId: string;
  region: string;
}

/** The kinds of resource ELBv2 names by ARN. */
export type ResourceKind = 'loadbalancer' | 'targetgroup' | 'listener' | 'listener-rule';

const prefix = (s: ArnScope) => `arn:aws:elasticloadbalancing:${s.region}:${s.accountId}`;

/** A new 16-hex-digit resource id, as ELBv2 uses in ARNs. */
export const newResourceId = () => randomBytes(8).toString('hex');

/** A load balancer's ARN. */
export const loadBalancerArn = (s: ArnScope, name: string, id: string) => `${prefix(s)}:loadbalancer/app/${name}/${id}`;
/** A target group's ARN. */
export const targetGroupArn = (s: ArnScope, name: string, id: string) => `${prefix(s)}:targetgroup/${name}/${id}`;
/** A listener's ARN, below its load balancer's. */
export function listenerArn(lbArn: string, id: string): string {
  return lbArn.replace(':loadbalancer/', ':listener/') + '/' + id;
}
/** A rule's ARN, below its listener's. */
export function ruleArn(lisArn: string, id: string): string {
  return lisArn.replace(':listener/', ':listener-rule/') + '/' + id;
}

const PATTERNS: Record<ResourceKind, RegExp> = {
  loadbalancer: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer\/(app|net|gwy)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
  targetgroup: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}$/,
  listener: /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/(app|net|gwy)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
  'listener-rule': /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener-rule\/(app|net|gwy)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{16}\/[0-9a-f]{16}\/[0-9a-f]{16}$/,
};

const LABEL: Record<ResourceKind, string> = {
  loadbalancer: 'load balancer',
  targetgroup: 'target group',
  listener: 'listener',
  'listener-rule': 'rule',
};

/** The kind of ELBv2 resource an ARN names, or undefined when it is not a well-formed ELBv2 ARN. */
export function kindOf(arn: string): ResourceKind | undefined {
  return (Object.keys(PATTERNS) as ResourceKind[]).find((k) => PATTERNS[k].test(arn));
}

/** Throws ValidationError unless `arn` is a well-formed ARN of `kind`. */
export function checkArn(arn: string, kind: ResourceKind): string {
  if (!PATTERNS[kind].test(arn)) throw validationError(`'${arn}' is not a valid ${LABEL[kind]} ARN`);
  return arn;
}
