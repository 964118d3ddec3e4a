/**
 * Scalable targets: RegisterScalableTarget (create or update; the service's desired count is
 * moved into [min, max] as AWS does, with an activity), DescribeScalableTargets and
 * DeregisterScalableTarget (which deletes the target's policies, their alarms and its
 * scheduled actions).
 */
import type { Operation } from '../../api/index.js';
import { scaleTo } from './activities.js';
import { scalableTargetArn } from './arns.js';
import type { AutoScalingDeps } from './deps.js';
import { noScalableTargetFound, validationError } from './errors.js';
import { deletePolicy } from './policies.js';
import type { ScalableTargetRecord, SuspendedState, TargetKey } from './records.js';
import { checkKey, checkFilter, checkNamespace, page } from './target-key.js';
import { checkTagMap, type TagMap } from './tags.js';

/** The service-linked role AWS uses for ECS when RoleARN is left out. */
export const ecsServiceLinkedRole = (accountId: string) =>
  `arn:aws:iam::${accountId}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`;

/** The most tasks a service may be scaled to (ECS's tasks-per-service quota). */
export const MAX_ECS_CAPACITY = 5000;

export const targetToWire = (t: ScalableTargetRecord) => ({ ...t, CreationTime: new Date(t.CreationTime) });

/** The target of `k`, or ObjectNotFoundException in AWS's words. */
export function requireTarget(deps: AutoScalingDeps, k: TargetKey, missing = noScalableTargetFound): ScalableTargetRecord {
  checkKey(k);
  const t = deps.records.target(k);
  if (!t) throw missing(k.ServiceNamespace, k.ResourceId, k.ScalableDimension);
  return t;
}

/** Moves the service's desired count into the target's bounds (RegisterScalableTarget, scheduled actions). */
export function enforceBounds(deps: AutoScalingDeps, t: ScalableTargetRecord, why: { min: string; max: string }): void {
  const { cluster, service } = checkKey(t);
  const s = deps.ecs.service(cluster, service);
  if (!s || s.status !== 'ACTIVE') return;
  if (s.desiredCount < t.MinCapacity) scaleTo(deps, t, s.desiredCount, t.MinCapacity, why.min);
  else if (s.desiredCount > t.MaxCapacity) scaleTo(deps, t, s.desiredCount, t.MaxCapacity, why.max);
}

interface RegisterInput extends TargetKey {
  MinCapacity?: number;
  MaxCapacity?: number;
  RoleARN?: string;
  SuspendedState?: Partial<SuspendedState>;
  Tags?: TagMap;
}

export function targetOperations(deps: AutoScalingDeps): Record<string, Operation> {
  const { records } = deps;
  return {
    RegisterScalableTarget(input: RegisterInput) {
      const { cluster, service } = checkKey(input);
      const s = deps.ecs.service(cluster, service);
      if (!s || s.status !== 'ACTIVE') throw validationError(`ECS service doesn't exist: ${input.ResourceId}`);
      if (s.schedulingStrategy === 'DAEMON') throw validationError(`ECS service ${input.ResourceId} uses the DAEMON scheduling strategy: only REPLICA services can be scaled.`);
      const tags = checkTagMap(input.Tags);
      const existing = records.target(input);
      const min = input.MinCapacity ?? existing?.MinCapacity;
      const max = input.MaxCapacity ?? existing?.MaxCapacity;
      if (min === undefined || max === undefined) throw validationError('MinCapacity and MaxCapacity are required when registering a new scalable target.');
      for (const [name, v] of [['MinCapacity', min], ['MaxCapacity', max]] as const) {
        if (v < 0 || v > MAX_ECS_CAPACITY) throw validationError(`${name} must be between 0 and ${MAX_ECS_CAPACITY} for an ECS service; got ${v}.`);
      }
      if (min > max) throw validationError(`Minimum capacity cannot be greater than maximum capacity: MinCapacity ${min}, MaxCapacity ${max}.`);
      const t: ScalableTargetRecord = {
        ServiceNamespace: input.ServiceNamespace,
        ResourceId: input.ResourceId,
        ScalableDimension: input.ScalableDimension,
        ScalableTargetARN: existing?.ScalableTargetARN ?? scalableTargetArn(deps.scope),
        MinCapacity: min,
        MaxCapacity: max,
        RoleARN: input.RoleARN ?? existing?.RoleARN ?? ecsServiceLinkedRole(deps.scope.accountId),
        SuspendedState: {
          DynamicScalingInSuspended: input.SuspendedState?.DynamicScalingInSuspended ?? existing?.SuspendedState.DynamicScalingInSuspended ?? false,
          DynamicScalingOutSuspended: input.SuspendedState?.DynamicScalingOutSuspended ?? existing?.SuspendedState.DynamicScalingOutSuspended ?? false,
          ScheduledScalingSuspended: input.SuspendedState?.ScheduledScalingSuspended ?? existing?.SuspendedState.ScheduledScalingSuspended ?? false,
        },
        CreationTime: existing?.CreationTime ?? deps.now().toISOString(),
      };
      records.saveTarget(t);
      if (tags.length) deps.tags.put(t.ScalableTargetARN, tags);
      enforceBounds(deps, t, { min: `minimum capacity was set to ${min}`, max: `maximum capacity was set to ${max}` });
      return { ScalableTargetARN: t.ScalableTargetARN };
    },

    DescribeScalableTargets(input: { ServiceNamespace: string; ResourceIds?: string[]; ScalableDimension?: string; MaxResults?: number; NextToken?: string }) {
      checkNamespace(input.ServiceNamespace);
      checkFilter(input.ScalableDimension, input.ResourceIds);
      const ids = input.ResourceIds?.length ? new Set(input.ResourceIds) : undefined;
      const all = records.targets(input.ServiceNamespace).filter((t) => (!ids || ids.has(t.ResourceId)) && (!input.ScalableDimension || t.ScalableDimension === input.ScalableDimension));
      const p = page(all, input, `DescribeScalableTargets|${[...(ids ?? [])].join(',')}|${input.ScalableDimension ?? ''}`);
      return { ScalableTargets: p.items.map(targetToWire), NextToken: p.nextToken };
    },

    DeregisterScalableTarget(input: TargetKey) {
      const t = requireTarget(deps, input);
      for (const p of records.policies(t.ServiceNamespace, t)) deletePolicy(deps, p);
      for (const a of records.scheduledActions(t.ServiceNamespace, t)) records.deleteScheduledAction(a.ScheduledActionARN);
      deps.tags.clear(t.ScalableTargetARN);
      records.deleteTarget(t);
      return {};
    },
  };
}
