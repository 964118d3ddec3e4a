/**
 * Scaling activities: changing an ECS service's desired count and recording what was done (or,
 * for a not-scaled activity, why nothing was) with AWS's Description, Cause and StatusMessage;
 * and DescribeScalingActivities.
 */
import { randomUUID } from 'node:crypto';
import type { Operation } from '../../api/index.js';
import type { AutoScalingDeps } from './deps.js';
import type { ActivityRecord, NotScaledReason, ScalableTargetRecord } from './records.js';
import { checkFilter, checkNamespace, page, parseResourceId } from './target-key.js';

/** Activities kept per target (AWS shows the last six weeks; Berth bounds them by count too). */
export const MAX_ACTIVITIES_PER_TARGET = 1000;

/** The wire ScalingActivity of a record (Berth's own fields left out). */
export const activityToWire = ({ policyArn: _p, fromCapacity: _f, toCapacity: _t, ...wire }: ActivityRecord) => ({
  ...wire,
  StartTime: new Date(wire.StartTime),
  ...(wire.EndTime ? { EndTime: new Date(wire.EndTime) } : {}),
});

/**
 * Sets the desired count of the target's service to `to` through ECS and records the Successful
 * activity. Runs inside the caller's transaction, so the count and its record commit together.
 */
export function scaleTo(deps: AutoScalingDeps, target: ScalableTargetRecord, from: number, to: number, cause: string, policyArn?: string): ActivityRecord {
  const { cluster, service } = parseResourceId(target.ResourceId);
  deps.ecs.setDesiredCount(cluster, service, to);
  return recordActivity(deps, target, cause, {
    Description: `Setting desired count to ${to}.`,
    StatusCode: 'Successful',
    StatusMessage: `Successfully set desired count to ${to}. Change successfully fulfilled by ecs.`,
    policyArn,
    fromCapacity: from,
    toCapacity: to,
  });
}

/** Records an activity that did not scale, with its NotScaledReasons (shown with IncludeNotScaledActivities). */
export function notScaled(deps: AutoScalingDeps, target: ScalableTargetRecord, wanted: number, reason: NotScaledReason, cause: string, policyArn?: string): ActivityRecord {
  return recordActivity(deps, target, cause, {
    Description: `Attempting to set desired count to ${wanted}.`,
    StatusCode: 'Failed',
    StatusMessage: `Desired count not changed (${reason.Code}): current ${reason.CurrentCapacity}, minimum ${reason.MinCapacity}, maximum ${reason.MaxCapacity}.`,
    NotScaledReasons: [reason],
    policyArn,
  });
}

type ActivityFields = Omit<ActivityRecord, 'ActivityId' | 'ServiceNamespace' | 'ResourceId' | 'ScalableDimension' | 'Cause' | 'StartTime' | 'EndTime'>;

/**
 * Records an activity of `target` that happened now (a new id, the target's keys, `cause`, now as
 * both start and end, and `fields`), keeping the target's newest activities within the limit.
 */
export function recordActivity(deps: AutoScalingDeps, target: ScalableTargetRecord, cause: string, fields: ActivityFields): ActivityRecord {
  const at = deps.now().toISOString();
  return addActivity(deps, { ActivityId: randomUUID(), ServiceNamespace: target.ServiceNamespace, ResourceId: target.ResourceId, ScalableDimension: target.ScalableDimension, Cause: cause, StartTime: at, EndTime: at, ...fields });
}

/** Stores `a` (keeping the target's newest activities within the limit) and returns it. */
function addActivity(deps: AutoScalingDeps, a: ActivityRecord): ActivityRecord {
  deps.records.addActivity(a);
  deps.store
    .prepare(
      `DELETE FROM aas_activities WHERE namespace = ? AND resource_id = ? AND dimension = ? AND seq <=
         (SELECT seq FROM aas_activities WHERE namespace = ? AND resource_id = ? AND dimension = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
    )
    .run(a.ServiceNamespace, a.ResourceId, a.ScalableDimension, a.ServiceNamespace, a.ResourceId, a.ScalableDimension, MAX_ACTIVITIES_PER_TARGET);
  return a;
}

export function activityOperations(deps: AutoScalingDeps): Record<string, Operation> {
  return {
    DescribeScalingActivities(input: { ServiceNamespace: string; ResourceId?: string; ScalableDimension?: string; MaxResults?: number; NextToken?: string; IncludeNotScaledActivities?: boolean }) {
      checkNamespace(input.ServiceNamespace);
      checkFilter(input.ScalableDimension, input.ResourceId);
      const items = deps.records.activities(input.ServiceNamespace, { ResourceId: input.ResourceId, ScalableDimension: input.ScalableDimension }, input.IncludeNotScaledActivities === true);
      const scope = `DescribeScalingActivities|${input.ResourceId ?? ''}|${input.ScalableDimension ?? ''}|${input.IncludeNotScaledActivities === true}`;
      // Tokens are offsets into the newest-first list: an activity recorded between two pages shifts the second by one.
      const p = page(items, input, scope);
      return { ScalingActivities: p.items.map(activityToWire), NextToken: p.nextToken };
    },
  };
}
