/**
 * The shared contract of CodeDeploy deployments (blue/green on ECS): the stored record, what the
 * pure decision observes and the actions it asks for, and the doors the engine drives ECS, ELBv2
 * and Lambda through. Every other deployment module builds on these types:
 *
 * - deployments.ts / appspec.ts / deployment-wire.ts: the API (CreateDeployment makes a record with
 *   {@link newLifecycleEvents}; Get/List/Stop/Continue/targets read and flag it).
 * - decide.ts: `decideDeployment(record, observation) -> decision`, pure.
 * - engine.ts: reads, observes, decides, applies the actions, then saves (so a crash between
 *   apply and save re-applies the same absolute, keyed actions: they are idempotent).
 *
 * Times in records are ISO strings (as the API shows them); the decision works in epoch ms.
 */
import { createHash } from 'node:crypto';
import type { BlueGreenConfig, EcsServiceRef, TrafficRoutingConfig } from './records.js';

export type DeploymentStatus = 'Created' | 'Queued' | 'InProgress' | 'Baking' | 'Succeeded' | 'Failed' | 'Stopped' | 'Ready';
/** Statuses of a deployment that is not over (at most one per deployment group). */
export const LIVE_STATUSES: readonly DeploymentStatus[] = ['Created', 'Queued', 'InProgress', 'Baking', 'Ready'];

export type LifecycleEventName =
  | 'BeforeInstall'
  | 'Install'
  | 'AfterInstall'
  | 'AllowTestTraffic'
  | 'AfterAllowTestTraffic'
  | 'BeforeAllowTraffic'
  | 'AllowTraffic'
  | 'AfterAllowTraffic';
/** An ECS deployment's lifecycle, in AWS's order. */
export const LIFECYCLE_ORDER: readonly LifecycleEventName[] = [
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'AllowTestTraffic',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic',
];
/** The events an appspec may hook a Lambda function to (the others are CodeDeploy's own work). */
export type HookEventName = 'BeforeInstall' | 'AfterInstall' | 'AfterAllowTestTraffic' | 'BeforeAllowTraffic' | 'AfterAllowTraffic';
export const HOOK_EVENTS: readonly HookEventName[] = ['BeforeInstall', 'AfterInstall', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AfterAllowTraffic'];

export type LifecycleEventStatus = 'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped';

/** One lifecycle event of the deployment's one ECS target, as ListDeploymentTargets shows it (plus the hook bookkeeping). */
export interface LifecycleEventRecord {
  lifecycleEventName: LifecycleEventName;
  status: LifecycleEventStatus;
  startTime?: string;
  endTime?: string;
  diagnostics?: { errorCode: string; scriptName: string; message: string; logTail: string };
  /** Hook events with a hook: the id handed to the function ({@link hookExecutionId}), set when invoked. */
  hookExecutionId?: string;
}

/** The appspec's Resources[0].TargetService.Properties and Hooks, parsed and checked (appspec.ts). */
export interface AppSpec {
  /** The task definition ARN (the appspec may give a family:revision or a full ARN; stored as the ARN). */
  taskDefinition: string;
  containerName: string;
  containerPort: number;
  platformVersion?: string;
  /** In ECS's wire form (awsvpcConfiguration with subnets, securityGroups, assignPublicIp). */
  networkConfiguration?: Record<string, unknown>;
  /** In ECS's wire form (capacityProvider, base, weight). */
  capacityProviderStrategy?: Record<string, unknown>[];
  /** Hook event -> Lambda function name or ARN. */
  hooks: Partial<Record<HookEventName, string>>;
}

/** A revision as CreateDeployment took it (kept to show it back). */
export interface RevisionRecord {
  revisionType: 'AppSpecContent' | 'String';
  appSpecContent?: { content: string; sha256: string };
  string?: { content: string; sha256: string };
}

/** One target group of the pair, resolved at creation. */
export interface TargetGroupRef {
  name: string;
  arn: string;
}

/**
 * A deployment. `kind: 'rollback'` is the deployment CodeDeploy creates to undo a failed or stopped
 * one (creator `codeDeployRollback`): it sends all traffic back to the original task set and
 * removes the replacement; it runs no hooks.
 */
export interface DeploymentRecord {
  deploymentId: string;
  kind: 'deployment' | 'rollback';
  applicationId: string;
  applicationName: string;
  deploymentGroupId: string;
  deploymentGroupName: string;
  deploymentConfigName: string;
  description?: string;
  creator: 'user' | 'codeDeployRollback';
  status: DeploymentStatus;
  createTime: string;
  startTime?: string;
  completeTime?: string;
  revision: RevisionRecord;
  previousRevision?: RevisionRecord;
  appSpec: AppSpec;
  /** Settings of the time of creation (AWS applies them, not later changes). */
  trafficRouting: TrafficRoutingConfig;
  blueGreen: BlueGreenConfig;
  autoRollback: { enabled: boolean; events: string[] };
  /** CreateDeployment's overrideAlarmConfiguration, kept to show back. */
  overrideAlarmConfiguration?: { enabled: boolean; ignorePollAlarmFailure: boolean; alarms: { name: string }[] };
  /**
   * The alarms that stop the deployment (the override, or the group's at creation): one entering
   * ALARM after the deployment started stops it (ALARM_ACTIVE), rolled back when autoRollback
   * lists DEPLOYMENT_STOP_ON_ALARM. Absent on records made before alarms were watched.
   */
  alarmConfiguration?: { enabled: boolean; ignorePollAlarmFailure: boolean; alarms: { name: string }[] };
  service: EcsServiceRef;
  /** The ECS service ARN (the deployment target's targetArn). */
  serviceArn: string;
  /** `original` serves production when the deployment starts; `replacement` is the other one of the pair. */
  targetGroups: { original: TargetGroupRef; replacement: TargetGroupRef };
  prodListenerArns: string[];
  testListenerArns: string[];
  /** The task set serving production at creation (its id, `ecs-svc/...`), and its task definition. */
  originalTaskSetId: string;
  originalTaskDefinition: string;
  /** The task set this deployment created (its `externalId` is the deploymentId); set once observed. */
  replacementTaskSetId?: string;
  lifecycleEvents: LifecycleEventRecord[];
  /** Production traffic on the replacement now (0-100) and when the next time-based shift is due. */
  traffic: { replacementWeight: number; nextShiftAt?: string };
  /** READY_WAIT (blue/green STOP_DEPLOYMENT): status Ready until `until` or ContinueDeployment(READY_WAIT). */
  readyWait?: { until: string; continued: boolean };
  /** TERMINATION_WAIT: the original is removed at `until` or on ContinueDeployment(TERMINATION_WAIT). */
  terminationWait?: { until: string; continued: boolean };
  /** Mirrors the API's instanceTerminationWaitTimeStarted. */
  instanceTerminationWaitTimeStarted: boolean;
  /** StopDeployment asked for it (the decision acts on it on its next pass). */
  stopRequest?: { autoRollbackEnabled: boolean; at: string };
  errorInformation?: { code: string; message: string };
  rollbackInfo?: { rollbackDeploymentId?: string; rollbackTriggeringDeploymentId?: string; rollbackMessage?: string };
  /** Messages the API shows in deploymentStatusMessages. */
  statusMessages: string[];
}

/** A task set as the engine observes it for the decision. */
export interface TaskSetObservation {
  id: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  computedDesiredCount: number;
  runningCount: number;
  pendingCount: number;
  /** STEADY_STATE: every task RUNNING and healthy (container health check and target group health). */
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  /** Tasks of this task set that stopped since it was created (start failures, failed health checks, exits). */
  stoppedTasks: number;
}

/** Everything the decision reads besides the record. */
export interface DeploymentObservation {
  /** Epoch ms. */
  now: number;
  /** Minutes pass this many times faster (Berth's --time-scale; 1 in production). */
  timeScale: number;
  /** The replacement task set (found by externalId = deploymentId), once it exists. */
  replacement?: TaskSetObservation;
  /** The original task set; undefined once it is gone. */
  original?: TaskSetObservation;
  /** Hook executions by id: Pending until the function reports (PutLifecycleEventHookExecutionStatus). */
  hooks: Record<string, 'Pending' | 'Succeeded' | 'Failed'>;
  /**
   * The CloudWatch alarms of `alarmConfiguration` by name: their state and when it last changed
   * (epoch ms); null when CloudWatch has no such alarm. Absent when the deployment watches none.
   */
  alarms?: Record<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; transitionedAt: number } | null>;
  /** An action of the previous pass failed (the engine reports it once, then the decision fails the deployment). */
  actionError?: { code: string; message: string };
}

/** What the engine does for the decision; each is absolute and keyed, so doing it twice is harmless. */
export type DeploymentAction =
  /** Create the replacement task set from the appspec on the replacement target group, scale 100%, unless one with externalId = deploymentId exists. */
  | { type: 'createReplacementTaskSet' }
  /** Forward each listener's traffic for the pair with these weights (by target group ARN). */
  | { type: 'setWeights'; listenerArns: string[]; weights: { targetGroupArn: string; weight: number }[] }
  /** Record a Pending hook execution and invoke the function asynchronously (Event) with { DeploymentId, LifecycleEventHookExecutionId }. */
  | { type: 'invokeHook'; lifecycleEventName: HookEventName; functionName: string; executionId: string }
  | { type: 'makePrimary'; taskSetId: string }
  | { type: 'scaleTaskSet'; taskSetId: string; percent: number }
  | { type: 'deleteTaskSet'; taskSetId: string }
  /** Save `record` as a new deployment (the rollback deployment), in the same transaction as `next`. */
  | { type: 'createDeployment'; record: DeploymentRecord };

/** The decision of one pass. `next` is saved after the actions are applied (unchanged: nothing to save). */
export interface DeploymentDecision {
  next: DeploymentRecord;
  actions: DeploymentAction[];
}

/** `minutes` of deployment time in ms at `timeScale` (so --time-scale only changes this arithmetic). */
export function minutesToMs(minutes: number, timeScale: number): number {
  return (minutes * 60_000) / timeScale;
}

/**
 * The opaque id a hook gets for its lifecycle event. Derived, not random, so the pure decision can
 * name it and a repeated pass names the same one.
 */
export function hookExecutionId(deploymentId: string, event: HookEventName): string {
  const digest = createHash('sha256').update(`${deploymentId}\n${event}`).digest('base64url');
  return Buffer.from(JSON.stringify({ d: deploymentId, e: event, k: digest.slice(0, 22) })).toString('base64url');
}

/** A fresh lifecycle: every event Pending. */
export function newLifecycleEvents(): LifecycleEventRecord[] {
  return LIFECYCLE_ORDER.map((lifecycleEventName) => ({ lifecycleEventName, status: 'Pending' }));
}

/** AWS's deployment ids: "d-" and 9 upper-case letters and digits. */
export function newDeploymentId(random: (n: number) => Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = random(9);
  let id = 'd-';
  for (const b of bytes) id += alphabet[b % alphabet.length];
  return id;
}

/** The ECS deployment target's id, as AWS names it: "<cluster>:<service>". */
export function ecsTargetId(service: EcsServiceRef): string {
  return `${service.clusterName}:${service.serviceName}`;
}
