/**
 * A service's `loadBalancers` against ELBv2 (CreateService, UpdateService): each target group must
 * exist, be associated with a load balancer, and take targets of the kind the task definition's
 * network mode gives (ip for awsvpc, instance otherwise). ECS's messages. The lookup is
 * `EcsDeps.targetGroups` (ELBv2's internal door); without it (ECS alone) only the task
 * definition is checked (services.ts `checkLoadBalancers`).
 */
import type { EcsDeps } from './deps.js';
import { invalidParameter } from './errors.js';
import type { LoadBalancer } from './services.js';
import type { TaskDefinitionRecord } from './task-definition-records.js';

/** What ECS reads of a target group. */
export interface TargetGroupLookup {
  (arn: string): { targetType: 'instance' | 'ip'; loadBalancerArns: string[] } | undefined;
}

/** Checks each load balancer's target group; throws ECS's InvalidParameterException. */
export function checkTargetGroups(deps: EcsDeps, td: TaskDefinitionRecord | undefined, lbs: readonly LoadBalancer[]): void {
  const lookup = deps.targetGroups;
  if (!lookup) return;
  const mode = td?.networkMode ?? 'bridge';
  for (const lb of lbs) {
    if (!lb.targetGroupArn) continue;
    const tg = lookup(lb.targetGroupArn);
    if (!tg) {
      throw invalidParameter('Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service role being passed has the proper permissions.');
    }
    if (tg.loadBalancerArns.length === 0) {
      throw invalidParameter(`The target group with targetGroupArn ${lb.targetGroupArn} does not have an associated load balancer.`);
    }
    if (!td) continue;
    if (tg.targetType === 'ip' && mode !== 'awsvpc') {
      throw invalidParameter(`The provided target group ${lb.targetGroupArn} has target type ip, which is incompatible with the ${mode} network mode specified in the task definition.`);
    }
    if (tg.targetType === 'instance' && mode === 'awsvpc') {
      throw invalidParameter(`The provided target group ${lb.targetGroupArn} has target type instance, which is incompatible with the awsvpc network mode specified in the task definition.`);
    }
  }
}
