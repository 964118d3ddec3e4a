/**
 * What every Application Auto Scaling module is built from, and the doors to ECS, ELBv2 and
 * CloudWatch alarms it works through (ecs-door.ts builds the ECS and ELBv2 ones over the store;
 * berth/index.ts hands in the alarms door).
 */
import type { Store } from '../../state/index.js';
import type { TagStore } from '../../tagging/index.js';
import type { Records } from './records.js';

export interface ArnScope {
  accountId: string;
  region: string;
}

/** An ECS service as scaling sees it. */
export interface ScalableService {
  desiredCount: number;
  status: string;
  schedulingStrategy: string;
}

/** What Application Auto Scaling reads and changes of ECS (inside the caller's transaction). */
export interface EcsScalingDoor {
  /** The service `serviceName` of the ACTIVE cluster `clusterName`; undefined when either is missing. */
  service(clusterName: string, serviceName: string): ScalableService | undefined;
  /** Sets the service's desiredCount as UpdateService does, and wakes the scheduler. */
  setDesiredCount(clusterName: string, serviceName: string, desiredCount: number): void;
}

/** What ResourceLabel checks read of ELBv2: does load balancer `lb` (its `app/NAME/ID`) have target group `tg` (its `targetgroup/NAME/ID`) behind it. */
export interface Elbv2LabelDoor {
  labelProblem(loadBalancer: string, targetGroup: string): string | undefined;
}

/** A metric alarm as PutMetricAlarm takes it (the members target tracking sets). */
export interface AlarmInput {
  AlarmName: string;
  AlarmDescription: string;
  ActionsEnabled: boolean;
  AlarmActions: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Dimensions?: { Name: string; Value: string }[];
  Unit?: string;
  Metrics?: unknown[];
  Period?: number;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  Threshold: number;
  ComparisonOperator: 'GreaterThanThreshold' | 'LessThanThreshold';
}

/** An alarm as DescribeAlarms shows it (the members scaling reads). */
export interface AlarmView {
  AlarmName: string;
  Threshold?: number;
  ComparisonOperator?: string;
  Namespace?: string;
  MetricName?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: { Name: string; Value: string }[];
  Period?: number;
  EvaluationPeriods?: number;
  Unit?: string;
  StateReasonData?: string;
  StateValue?: string;
  StateTransitionedTimestamp?: Date;
  ActionsEnabled?: boolean;
  AlarmActions?: string[];
}

/**
 * The door to CloudWatch alarms a target tracking policy creates and deletes its alarms through
 * (cloudwatch-door.ts builds it over CloudWatch's alarm operations), inside the caller's
 * transaction. Without it PutScalingPolicy refuses target tracking with a clear error.
 */
export interface AlarmsDoor {
  /** Creates or replaces the alarm; answers its ARN. */
  put(alarm: AlarmInput): string;
  /** Deletes the named alarms (absent names are ignored). */
  delete(names: string[]): void;
  /** The alarm as it is now; undefined when it is gone. */
  describe(name: string): AlarmView | undefined;
  /** The alarms in ALARM, actions enabled, with `actionArn` among their AlarmActions. */
  inAlarmFor(actionArn: string): AlarmView[];
}

/** Reads one statistic of a metric per period (CloudWatch's internal query API). */
export interface MetricsDoor {
  query(q: { namespace: string; metricName: string; dimensions?: { name: string; value: string }[]; stat: string; periodSeconds: number; start: number; end: number; unit?: string }): { timestamps: number[]; values: number[] };
}

export interface AutoScalingDeps {
  store: Store;
  records: Records;
  tags: TagStore;
  scope: ArnScope;
  now(): Date;
  ecs: EcsScalingDoor;
  elbv2: Elbv2LabelDoor;
  alarms?: AlarmsDoor;
  metrics?: MetricsDoor;
  /** Berth's --time-scale: cooldowns and the alarm repeater's minute last 1/N as long. Default 1. */
  timeScale?: number;
  log(line: string): void;
}
