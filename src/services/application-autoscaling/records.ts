/**
 * The stored records of Application Auto Scaling (wire-shaped where AWS shows them) and their
 * reads and writes over the tables of schema.ts. Callers run these inside their transaction.
 */
import type { Store } from '../../state/index.js';

/** The key AWS identifies a scalable target by. */
export interface TargetKey {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
}

export interface SuspendedState {
  DynamicScalingInSuspended: boolean;
  DynamicScalingOutSuspended: boolean;
  ScheduledScalingSuspended: boolean;
}

export interface ScalableTargetRecord extends TargetKey {
  ScalableTargetARN: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  SuspendedState: SuspendedState;
  CreationTime: string;
}

export interface StepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment: number;
}

export interface StepScalingConfig {
  AdjustmentType: 'ChangeInCapacity' | 'PercentChangeInCapacity' | 'ExactCapacity';
  StepAdjustments: StepAdjustment[];
  MinAdjustmentMagnitude?: number;
  Cooldown?: number;
  MetricAggregationType?: 'Average' | 'Minimum' | 'Maximum';
}

export interface MetricDimension {
  Name: string;
  Value: string;
}

export interface TargetTrackingConfig {
  TargetValue: number;
  PredefinedMetricSpecification?: { PredefinedMetricType: string; ResourceLabel?: string };
  CustomizedMetricSpecification?: { MetricName?: string; Namespace?: string; Dimensions?: MetricDimension[]; Statistic?: string; Unit?: string; Metrics?: unknown[] };
  ScaleOutCooldown?: number;
  ScaleInCooldown?: number;
  DisableScaleIn?: boolean;
}

export interface PolicyRecord extends TargetKey {
  PolicyARN: string;
  PolicyName: string;
  PolicyType: 'TargetTrackingScaling' | 'StepScaling';
  StepScalingPolicyConfiguration?: StepScalingConfig;
  TargetTrackingScalingPolicyConfiguration?: TargetTrackingConfig;
  Alarms: { AlarmName: string; AlarmARN: string }[];
  CreationTime: string;
}

export interface ScheduledActionRecord extends TargetKey {
  ScheduledActionName: string;
  ScheduledActionARN: string;
  Schedule: string;
  Timezone?: string;
  StartTime?: string;
  EndTime?: string;
  ScalableTargetAction?: { MinCapacity?: number; MaxCapacity?: number };
  CreationTime: string;
  /** Berth's own: the occurrence that last fired (schedule.ts dueOccurrence), so each fires once. */
  lastFired?: string;
}

export interface NotScaledReason {
  Code: string;
  MaxCapacity?: number;
  MinCapacity?: number;
  CurrentCapacity?: number;
}

export interface ActivityRecord extends TargetKey {
  ActivityId: string;
  Description: string;
  Cause: string;
  StartTime: string;
  EndTime?: string;
  StatusCode: 'Pending' | 'InProgress' | 'Successful' | 'Overridden' | 'Unfulfilled' | 'Failed';
  StatusMessage?: string;
  Details?: string;
  NotScaledReasons?: NotScaledReason[];
  /** Berth's own: the policy that caused it, and the capacity before and after (cooldowns read them). */
  policyArn?: string;
  fromCapacity?: number;
  toCapacity?: number;
}

const keyArgs = (k: TargetKey) => [k.ServiceNamespace, k.ResourceId, k.ScalableDimension] as const;
const docs = <T>(rows: unknown[]) => (rows as string[]).map((d) => JSON.parse(d) as T);

export class Records {
  constructor(private readonly store: Store) {}

  target(k: TargetKey): ScalableTargetRecord | undefined {
    const d = this.store.prepare('SELECT doc FROM aas_scalable_targets WHERE namespace = ? AND resource_id = ? AND dimension = ?').pluck().get(...keyArgs(k)) as string | undefined;
    return d === undefined ? undefined : JSON.parse(d);
  }

  targetByArn(arn: string): ScalableTargetRecord | undefined {
    const d = this.store.prepare('SELECT doc FROM aas_scalable_targets WHERE arn = ?').pluck().get(arn) as string | undefined;
    return d === undefined ? undefined : JSON.parse(d);
  }

  /** Targets of a namespace in creation order. */
  targets(namespace: string): ScalableTargetRecord[] {
    return docs(this.store.prepare('SELECT doc FROM aas_scalable_targets WHERE namespace = ? ORDER BY created_at, rowid').pluck().all(namespace));
  }

  saveTarget(t: ScalableTargetRecord): void {
    this.store
      .prepare(
        `INSERT INTO aas_scalable_targets (namespace, resource_id, dimension, arn, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (namespace, resource_id, dimension) DO UPDATE SET doc = excluded.doc`,
      )
      .run(...keyArgs(t), t.ScalableTargetARN, t.CreationTime, JSON.stringify(t));
  }

  deleteTarget(k: TargetKey): void {
    this.store.prepare('DELETE FROM aas_scalable_targets WHERE namespace = ? AND resource_id = ? AND dimension = ?').run(...keyArgs(k));
  }

  policy(k: TargetKey, name: string): PolicyRecord | undefined {
    const d = this.store.prepare('SELECT doc FROM aas_policies WHERE namespace = ? AND resource_id = ? AND dimension = ? AND name = ?').pluck().get(...keyArgs(k), name) as string | undefined;
    return d === undefined ? undefined : JSON.parse(d);
  }

  policyByArn(arn: string): PolicyRecord | undefined {
    const d = this.store.prepare('SELECT doc FROM aas_policies WHERE arn = ?').pluck().get(arn) as string | undefined;
    return d === undefined ? undefined : JSON.parse(d);
  }

  /** Policies of a namespace (of one target when `k` names it), in creation order. */
  policies(namespace: string, k?: Partial<TargetKey>): PolicyRecord[] {
    return docs(
      this.store
        .prepare('SELECT doc FROM aas_policies WHERE namespace = ? AND (? IS NULL OR resource_id = ?) AND (? IS NULL OR dimension = ?) ORDER BY created_at, rowid')
        .pluck()
        .all(namespace, k?.ResourceId ?? null, k?.ResourceId ?? null, k?.ScalableDimension ?? null, k?.ScalableDimension ?? null),
    );
  }

  savePolicy(p: PolicyRecord): void {
    this.store
      .prepare(
        `INSERT INTO aas_policies (arn, namespace, resource_id, dimension, name, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc`,
      )
      .run(p.PolicyARN, ...keyArgs(p), p.PolicyName, p.CreationTime, JSON.stringify(p));
  }

  deletePolicy(arn: string): void {
    this.store.prepare('DELETE FROM aas_policies WHERE arn = ?').run(arn);
  }

  scheduledAction(k: TargetKey, name: string): ScheduledActionRecord | undefined {
    const d = this.store.prepare('SELECT doc FROM aas_scheduled_actions WHERE namespace = ? AND resource_id = ? AND dimension = ? AND name = ?').pluck().get(...keyArgs(k), name) as string | undefined;
    return d === undefined ? undefined : JSON.parse(d);
  }

  scheduledActions(namespace: string, k?: Partial<TargetKey>): ScheduledActionRecord[] {
    return docs(
      this.store
        .prepare('SELECT doc FROM aas_scheduled_actions WHERE namespace = ? AND (? IS NULL OR resource_id = ?) AND (? IS NULL OR dimension = ?) ORDER BY created_at, rowid')
        .pluck()
        .all(namespace, k?.ResourceId ?? null, k?.ResourceId ?? null, k?.ScalableDimension ?? null, k?.ScalableDimension ?? null),
    );
  }

  saveScheduledAction(a: ScheduledActionRecord): void {
    this.store
      .prepare(
        `INSERT INTO aas_scheduled_actions (arn, namespace, resource_id, dimension, name, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (arn) DO UPDATE SET doc = excluded.doc`,
      )
      .run(a.ScheduledActionARN, ...keyArgs(a), a.ScheduledActionName, a.CreationTime, JSON.stringify(a));
  }

  deleteScheduledAction(arn: string): void {
    this.store.prepare('DELETE FROM aas_scheduled_actions WHERE arn = ?').run(arn);
  }

  addActivity(a: ActivityRecord): void {
    this.store
      .prepare('INSERT INTO aas_activities (id, namespace, resource_id, dimension, policy_arn, scaled, doc) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(a.ActivityId, ...keyArgs(a), a.policyArn ?? null, a.NotScaledReasons?.length ? 0 : 1, JSON.stringify(a));
  }

  /** Activities of a namespace (of one target when given), newest first, as AWS lists them. */
  activities(namespace: string, k: Partial<TargetKey>, includeNotScaled: boolean): ActivityRecord[] {
    return docs(
      this.store
        .prepare(
          `SELECT doc FROM aas_activities WHERE namespace = ? AND (? IS NULL OR resource_id = ?) AND (? IS NULL OR dimension = ?) AND (? = 1 OR scaled = 1)
           ORDER BY seq DESC`,
        )
        .pluck()
        .all(namespace, k.ResourceId ?? null, k.ResourceId ?? null, k.ScalableDimension ?? null, k.ScalableDimension ?? null, includeNotScaled ? 1 : 0),
    );
  }

  /** Scaled activities of one target, newest first (what cooldowns look back at). */
  recentScaled(k: TargetKey, limit: number): ActivityRecord[] {
    return docs(
      this.store
        .prepare('SELECT doc FROM aas_activities WHERE namespace = ? AND resource_id = ? AND dimension = ? AND scaled = 1 ORDER BY seq DESC LIMIT ?')
        .pluck()
        .all(...keyArgs(k), limit),
    );
  }
}
