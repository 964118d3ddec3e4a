/**
 * Application Auto Scaling for ECS services: scalable targets, target tracking and step scaling
 * policies (target tracking owns its CloudWatch alarms), the scaler that runs a policy when its
 * alarm fires and changes the service's desiredCount, scaling activities, scheduled actions
 * (fired by scheduled-runner.ts), and tags. README.md says what is built and how.
 */
import type { ServiceDefinition } from '../../api/index.js';
import { loadServiceModel } from '../../model/index.js';
import type { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { activityOperations } from './activities.js';
import { alarmRepeater, repeatAlarmedPolicies } from './alarm-repeater.js';
import type { AlarmsDoor, ArnScope, AutoScalingDeps, EcsScalingDoor, Elbv2LabelDoor, MetricsDoor } from './deps.js';
import { storeEcsDoor, storeElbv2Door } from './doors.js';
import { validationError } from './errors.js';
import { alarmActionHook, runPolicy, type ActionOutcome, type TriggeringAlarm } from './execute.js';
import { policyOperations } from './policies.js';
import { Records } from './records.js';
import { applicationAutoScalingMigrations } from './schema.js';
import { scheduledActionOperations } from './scheduled-actions.js';
import { runScheduledActions, scheduledActionRunner } from './scheduled-runner.js';
import { tagOperations } from './tags.js';
import { targetOperations } from './targets.js';

export type { AlarmsDoor, MetricsDoor, EcsScalingDoor } from './deps.js';
export { cloudWatchAlarmsDoor } from './cloudwatch-door.js';
export { applicationAutoScalingMigrations } from './schema.js';

export interface ApplicationAutoScalingOptions {
  store: Store;
  scope: ArnScope;
  now?: () => Date;
  /** Called when scaling changed a service's desiredCount (wakes the service scheduler, as UpdateService does). */
  onServiceChange?: (s: { clusterArn: string; serviceName: string }) => void;
  /** CloudWatch alarms, for target tracking policies' alarms; may be bound after construction (see {@link ApplicationAutoScaling.bindAlarms}). */
  alarms?: AlarmsDoor;
  /** CloudWatch metrics, read when an alarm's state reason carries no datapoints. */
  metrics?: MetricsDoor;
  /** Replaces the ECS door (defaults to ECS's tables in `store`). */
  ecs?: EcsScalingDoor;
  elbv2?: Elbv2LabelDoor;
  /** Berth's --time-scale: cooldowns and the alarm repeater's minute last 1/N as long (scheduled actions keep the wall clock). Default 1. */
  timeScale?: number;
  log?: (line: string) => void;
}

/** The service for api/ and the hook CloudWatch alarms run scaling policies through. */
export interface ApplicationAutoScaling {
  service: ServiceDefinition;
  /** CloudWatch's onAlarmAction hook: runs the scaling policies among an alarm's actions. */
  onAlarmAction(alarm: TriggeringAlarm, state: string, actionArns: readonly string[]): ActionOutcome[];
  /** Runs one policy as if `alarmName` had entered `state` (what the hook does per ARN). */
  runPolicy: (policyArn: string, alarmName: string, state: string) => ReturnType<typeof runPolicy>;
  /** Binds the alarms door when CloudWatch is built after this service. */
  bindAlarms(alarms: AlarmsDoor): void;
  /** The Runnable that fires scheduled actions (`berth up` runs it). */
  schedules: { start(signal: AbortSignal): Promise<void> };
  /** One pass of the scheduled-action runner now; answers the names that fired. */
  runScheduledActions(): string[];
  /** The Runnable that re-invokes policies while their alarms stay in ALARM (`berth up` runs it). */
  repeater: { start(signal: AbortSignal): Promise<void> };
  /** One pass of the repeater now. */
  repeatAlarmedPolicies(): ReturnType<typeof repeatAlarmedPolicies>;
}

/** Migrates the tables and builds Application Auto Scaling. */
export function createApplicationAutoScaling(opts: ApplicationAutoScalingOptions): ApplicationAutoScaling {
  opts.store.migrate('application-autoscaling', applicationAutoScalingMigrations);
  const now = opts.now ?? (() => new Date());
  const deps: AutoScalingDeps = {
    store: opts.store,
    records: new Records(opts.store),
    tags: new TagStore(opts.store),
    scope: opts.scope,
    now,
    ecs: opts.ecs ?? storeEcsDoor(opts.store, opts.scope, now, opts.onServiceChange),
    elbv2: opts.elbv2 ?? storeElbv2Door(opts.store),
    alarms: opts.alarms,
    metrics: opts.metrics,
    timeScale: opts.timeScale ?? 1,
    log: opts.log ?? (() => {}),
  };
  const hook = alarmActionHook(deps);
  return {
    service: {
      model: loadServiceModel('application-autoscaling'),
      operations: {
        ...targetOperations(deps),
        ...policyOperations(deps),
        ...activityOperations(deps),
        ...scheduledActionOperations(deps),
        ...tagOperations(deps),
      },
      validationError,
      isReadOnly: (operation) => operation.startsWith('Describe') || operation.startsWith('List') || operation.startsWith('Get'),
      unsupportedCode: 'ValidationException',
    },
    onAlarmAction: hook,
    runPolicy: (arn, alarmName, state) => runPolicy(deps, arn, alarmName, state),
    bindAlarms(alarms) {
      deps.alarms = alarms;
    },
    schedules: scheduledActionRunner(deps),
    runScheduledActions: () => runScheduledActions(deps),
    repeater: alarmRepeater(deps),
    repeatAlarmedPolicies: () => repeatAlarmedPolicies(deps),
  };
}
