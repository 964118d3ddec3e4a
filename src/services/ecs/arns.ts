/**
 * ECS ARNs in the long format (`arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME`), and resolving
 * the name-or-ARN references that ECS accepts wherever it takes a cluster, service or task.
 */
import { invalidParameter } from './errors.js';

/** Where ARNs are minted: the account and region Berth serves. */
export interface ArnScope {
  accountId: string;
  region: string;
}

const prefix = (s: ArnScope) => `arn:aws:ecs:${s.region}:${s.accountId}`;

/** `arn:aws:ecs:REGION:ACCOUNT:cluster/NAME` */
export const clusterArn = (s: ArnScope, name: string) => `${prefix(s)}:cluster/${name}`;
/** `arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REVISION` */
export const taskDefinitionArn = (s: ArnScope, family: string, revision: number) => `${prefix(s)}:task-definition/${family}:${revision}`;
/** `arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME` */
export const serviceArn = (s: ArnScope, cluster: string, name: string) => `${prefix(s)}:service/${cluster}/${name}`;
/** `arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID` */
export const taskArn = (s: ArnScope, cluster: string, id: string) => `${prefix(s)}:task/${cluster}/${id}`;

/** A parsed ECS ARN. */
export interface ParsedArn {
  region: string;
  accountId: string;
  /** `cluster`, `task-definition`, `service`, `task`, `container-instance`, `task-set`, ... */
  resourceType: string;
  /** Everything after `type/`. */
  resource: string;
}

/** Parses an ECS ARN; undefined when `s` is not one. */
export function parseArn(s: string): ParsedArn | undefined {
  const m = /^arn:aws[a-z-]*:ecs:([a-z0-9-]*):(\d{12}):([a-z-]+)\/(.+)$/.exec(s);
  if (!m) return undefined;
  return { region: m[1], accountId: m[2], resourceType: m[3], resource: m[4] };
}

/** The cluster name a cluster reference (name or ARN) names; 'default' when absent. */
export function clusterNameOf(ref: string | undefined): string {
  if (ref === undefined || ref === '') return 'default';
  if (ref.startsWith('arn:')) {
    const arn = parseArn(ref);
    if (!arn || arn.resourceType !== 'cluster' || arn.resource.includes('/')) {
      throw invalidParameter(`Invalid cluster ARN '${ref}': expected arn:aws:ecs:REGION:ACCOUNT:cluster/NAME.`);
    }
    return arn.resource;
  }
  return ref;
}

/** The last path segment of a name-or-ARN reference (a service or task id). */
export function lastSegment(ref: string): string {
  const i = ref.lastIndexOf('/');
  return i < 0 ? ref : ref.slice(i + 1);
}
