/**
 * Scheduled actions: PutScheduledAction (create or update, schedule and time zone checked),
 * DescribeScheduledActions and DeleteScheduledAction. scheduled-runner.ts fires them.
 */
import type { Operation } from '../../api/index.js';
import { scheduledActionArn } from './arns.js';
import type { AutoScalingDeps } from './deps.js';
import { noScalableTarget, noScheduledAction, validationError } from './errors.js';
import type { ScheduledActionRecord, TargetKey } from './records.js';
import { isTimeZone, parseSchedule } from './schedule.js';
import { checkFilter, checkNamespace, page } from './target-key.js';
import { MAX_ECS_CAPACITY, requireTarget } from './targets.js';

export const scheduledActionToWire = ({ lastFired: _l, ...a }: ScheduledActionRecord) => ({
  ...a,
  CreationTime: new Date(a.CreationTime),
  ...(a.StartTime ? { StartTime: new Date(a.StartTime) } : {}),
  ...(a.EndTime ? { EndTime: new Date(a.EndTime) } : {}),
});

interface PutInput extends TargetKey {
  ScheduledActionName: string;
  Schedule?: string;
  Timezone?: string;
  StartTime?: Date;
  EndTime?: Date;
  ScalableTargetAction?: { MinCapacity?: number; MaxCapacity?: number };
}

export function scheduledActionOperations(deps: AutoScalingDeps): Record<string, Operation> {
  const { records } = deps;
  return {
    PutScheduledAction(input: PutInput) {
      const target = requireTarget(deps, input, noScalableTarget);
      const existing = records.scheduledAction(target, input.ScheduledActionName);
      const schedule = input.Schedule ?? existing?.Schedule;
      if (schedule === undefined) throw validationError('Schedule is required when creating a scheduled action.');
      try {
        parseSchedule(schedule);
      } catch (err) {
        throw validationError(`Invalid Schedule: ${(err as Error).message}.`);
      }
      const timezone = input.Timezone ?? existing?.Timezone;
      if (timezone !== undefined && !isTimeZone(timezone)) throw validationError(`Invalid Timezone ${timezone}: use an IANA time zone such as Etc/GMT+9 or Pacific/Tahiti.`);
      const action = input.ScalableTargetAction ?? existing?.ScalableTargetAction;
      const { MinCapacity: min, MaxCapacity: max } = action ?? {};
      for (const [name, v] of [['MinCapacity', min], ['MaxCapacity', max]] as const) {
        if (v !== undefined && (v < 0 || v > MAX_ECS_CAPACITY)) throw validationError(`ScalableTargetAction.${name} must be between 0 and ${MAX_ECS_CAPACITY}; got ${v}.`);
      }
      if (min !== undefined && max !== undefined && min > max) throw validationError(`ScalableTargetAction.MinCapacity (${min}) cannot be greater than MaxCapacity (${max}).`);
      const start = input.StartTime?.toISOString() ?? existing?.StartTime;
      const end = input.EndTime?.toISOString() ?? existing?.EndTime;
      if (start && end && end <= start) throw validationError('EndTime must be after StartTime.');
      const a: ScheduledActionRecord = {
        ScheduledActionName: input.ScheduledActionName,
        ScheduledActionARN: existing?.ScheduledActionARN ?? scheduledActionArn(deps.scope, target, input.ScheduledActionName),
        ServiceNamespace: target.ServiceNamespace,
        ResourceId: target.ResourceId,
        ScalableDimension: target.ScalableDimension,
        Schedule: schedule,
        ...(timezone !== undefined ? { Timezone: timezone } : {}),
        ...(start ? { StartTime: start } : {}),
        ...(end ? { EndTime: end } : {}),
        ...(action ? { ScalableTargetAction: action } : {}),
        CreationTime: existing?.CreationTime ?? deps.now().toISOString(),
        // A changed schedule starts over; an unchanged one keeps what already fired.
        ...(existing?.lastFired && existing.Schedule === schedule && existing.Timezone === timezone ? { lastFired: existing.lastFired } : {}),
      };
      records.saveScheduledAction(a);
      return {};
    },

    DescribeScheduledActions(input: { ServiceNamespace: string; ScheduledActionNames?: string[]; ResourceId?: string; ScalableDimension?: string; MaxResults?: number; NextToken?: string }) {
      checkNamespace(input.ServiceNamespace);
      checkFilter(input.ScalableDimension, input.ResourceId);
      const names = input.ScheduledActionNames?.length ? new Set(input.ScheduledActionNames) : undefined;
      const all = records.scheduledActions(input.ServiceNamespace, { ResourceId: input.ResourceId, ScalableDimension: input.ScalableDimension }).filter((a) => !names || names.has(a.ScheduledActionName));
      const p = page(all, input, `DescribeScheduledActions|${[...(names ?? [])].join(',')}|${input.ResourceId ?? ''}|${input.ScalableDimension ?? ''}`);
      return { ScheduledActions: p.items.map(scheduledActionToWire), NextToken: p.nextToken };
    },

    DeleteScheduledAction(input: TargetKey & { ScheduledActionName: string }) {
      const missing = () => noScheduledAction(input.ServiceNamespace, input.ResourceId, input.ScalableDimension, input.ScheduledActionName);
      const target = requireTarget(deps, input, missing);
      const a = records.scheduledAction(target, input.ScheduledActionName);
      if (!a) throw missing();
      records.deleteScheduledAction(a.ScheduledActionARN);
      return {};
    },
  };
}
