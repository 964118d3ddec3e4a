/**
 * The deployment engine: the apply step of CodeDeploy blue/green ECS deployments, a Runnable owned
 * by Berth's Manager. Every tick (and at once when woken: a deployment was created, stopped or
 * continued, a hook reported, a task changed) it takes one pass per live deployment: read the
 * record, observe the task sets and hook executions, call the pure {@link decideDeployment}, apply
 * its actions through the doors (ECS task sets, ELBv2 listener weights, Lambda), then save the
 * next record in one transaction.
 *
 * Apply-then-save: a crash between the two re-decides from the old record and applies the same
 * actions again, which is harmless because every action is absolute and keyed (weights, the
 * replacement's externalId, hook execution ids). Fields the API sets while a pass runs (a stop
 * request, a ContinueDeployment) are carried over into the record the pass saves.
 */
import { ServiceError } from '../../errors/index.js';
import { WakeSignal } from '../../reconcile/index.js';
import type { Store } from '../../state/index.js';
import { decideDeployment } from './decide.js';
import type { DeploymentAction, DeploymentObservation, DeploymentRecord, TaskSetObservation } from './deployment-types.js';
import { Records } from './records.js';

/** A task set as ECS's CodeDeploy door shows it (ECS's wire form). */
export interface TaskSetWire {
  id: string;
  taskSetArn: string;
  clusterArn: string;
  externalId?: string;
  status: 'PRIMARY' | 'ACTIVE' | 'DRAINING';
  computedDesiredCount: number;
  runningCount: number;
  pendingCount: number;
  stabilityStatus: 'STEADY_STATE' | 'STABILIZING';
  networkConfiguration?: Record<string, unknown>;
}

/** What the engine drives: ECS task sets, ELBv2 listener weights and Lambda hooks. */
export interface DeploymentDoors {
  taskSets: {
    create(input: Record<string, unknown> & { cluster: string; service: string; taskDefinition: string }): unknown;
    makePrimary(cluster: string, service: string, taskSet: string): unknown;
    updateScale(cluster: string, service: string, taskSet: string, scale: { value: number; unit?: 'PERCENT' }): unknown;
    delete(cluster: string, service: string, taskSet: string, force?: boolean): unknown;
    describe(cluster: string, service: string): unknown[];
  };
  /** Tasks of a task set that have stopped. */
  stoppedTasks(clusterArn: string, serviceName: string, taskSetId: string): number;
  setForwardWeights(listenerArn: string, weights: { targetGroupArn: string; weight: number }[]): Promise<unknown>;
  invoke(functionName: string, event: unknown, type: 'Event'): Promise<unknown>;
  /** CloudWatch alarms by name: state and when it last changed (epoch ms); null for one that does not exist. Absent: alarms are not watched. */
  alarmStates?(names: string[]): Record<string, { state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'; transitionedAt: number } | null>;
}

/** Options of {@link DeploymentEngine}. */
export interface DeploymentEngineOptions {
  store: Store;
  doors: DeploymentDoors;
  /** Minutes pass this many times faster (Berth's --time-scale). Default 1. */
  timeScale?: number;
  /** The clock (epoch ms). */
  now?: () => number;
  log?: (line: string) => void;
  /**
   * Settles once Berth serves its API: hook functions call it (their AWS_ENDPOINT_URL is known only
   * then), so nothing is invoked before. Default: at once.
   */
  ready?: Promise<void>;
}

/** Drives live deployments through their lifecycle. */
export class DeploymentEngine {
  private readonly records: Records;
  private readonly signal: WakeSignal;
  private readonly timeScale: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  /** Hook executions invoked by this process (pending ones from before a restart are invoked again, once). */
  private readonly invokedHere = new Set<string>();

  constructor(private readonly opts: DeploymentEngineOptions) {
    this.records = new Records(opts.store);
    this.timeScale = opts.timeScale ?? 1;
    this.now = opts.now ?? Date.now;
    this.log = opts.log ?? (() => {});
    // A minute is 60 s / timeScale: look often enough that a step is at most a tenth of a minute late.
    this.signal = new WakeSignal(Math.min(1000, Math.max(50, 6_000 / this.timeScale)));
  }

  /** Looks at every live deployment soon (after the caller's commit). */
  wake(): void {
    this.signal.wake();
  }

  async start(signal: AbortSignal): Promise<void> {
    if (this.opts.ready) {
      await Promise.race([this.opts.ready, new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }))]);
      if (signal.aborted) return;
    }
    try {
      await this.resumeHooks();
    } catch (err) {
      this.log(`codedeploy: resuming hook executions failed: ${(err as Error).message}`);
    }
    while (!signal.aborted) {
      await this.pass();
      await this.signal.wait(signal);
    }
  }

  /** One pass over every live deployment. */
  async pass(): Promise<void> {
    let live: DeploymentRecord[];
    try {
      live = this.records.liveDeployments();
    } catch (err) {
      this.log(`codedeploy: reading deployments failed: ${(err as Error).message}`);
      return;
    }
    for (const d of live) {
      try {
        await this.step(d);
      } catch (err) {
        // A bug or a store error must not stop other deployments; the next pass tries again.
        this.log(`codedeploy: deployment ${d.deploymentId}: ${(err as Error).stack ?? err}`);
      }
    }
  }

  /** Decides and applies one deployment, repeating while a pass moves it on without waiting. */
  private async step(first: DeploymentRecord): Promise<void> {
    let record = first;
    let actionError: DeploymentObservation['actionError'];
    for (let round = 0; round < 10; round++) {
      const obs = this.observe(record, actionError);
      actionError = undefined;
      const { next, actions } = decideDeployment(record, obs);
      if (next === record && actions.length === 0) return;
      for (const action of actions) {
        try {
          await this.apply(next, action);
        } catch (err) {
          actionError = actionFailure(action, err);
          this.log(`codedeploy: deployment ${record.deploymentId}: ${action.type} failed: ${actionError.message}`);
          break;
        }
      }
      const saved = this.save(record, next, actionError ? [] : actions);
      if (!saved) return;
      if (!actionError && actions.length === 0) return;
      record = saved;
    }
  }

  /** What the decision reads besides the record. */
  private observe(d: DeploymentRecord, actionError: DeploymentObservation['actionError']): DeploymentObservation {
    const sets = this.taskSets(d);
    const view = (t: TaskSetWire | undefined): TaskSetObservation | undefined =>
      t && {
        id: t.id,
        status: t.status,
        computedDesiredCount: t.computedDesiredCount,
        runningCount: t.runningCount,
        pendingCount: t.pendingCount,
        stabilityStatus: t.stabilityStatus,
        stoppedTasks: this.opts.doors.stoppedTasks(t.clusterArn, d.service.serviceName, t.id),
      };
    // The replacement carries the id of the deployment that made it (for a rollback: the one it undoes).
    const replacementExternalId = d.kind === 'rollback' ? d.rollbackInfo?.rollbackTriggeringDeploymentId : d.deploymentId;
    const hooks: DeploymentObservation['hooks'] = {};
    for (const h of this.records.hookExecutions(d.deploymentId)) hooks[h.executionId] = h.status;
    const watched = d.alarmConfiguration?.enabled ? d.alarmConfiguration.alarms.map((a) => a.name) : [];
    const alarms = watched.length && this.opts.doors.alarmStates ? this.opts.doors.alarmStates(watched) : undefined;
    return {
      now: this.now(),
      timeScale: this.timeScale,
      alarms,
      replacement: view(sets.find((t) => t.externalId === replacementExternalId) ?? (d.replacementTaskSetId ? sets.find((t) => t.id === d.replacementTaskSetId) : undefined)),
      original: view(sets.find((t) => t.id === d.originalTaskSetId)),
      hooks,
      actionError,
    };
  }

  private taskSets(d: DeploymentRecord): TaskSetWire[] {
    try {
      return this.opts.doors.taskSets.describe(d.service.clusterName, d.service.serviceName) as TaskSetWire[];
    } catch {
      // The service is gone or not ACTIVE: nothing to observe (the decision fails what needs it).
      return [];
    }
  }

  private async apply(d: DeploymentRecord, action: DeploymentAction): Promise<void> {
    const { clusterName: cluster, serviceName: service } = d.service;
    const doors = this.opts.doors;
    switch (action.type) {
      case 'createReplacementTaskSet': {
        const sets = this.taskSets(d);
        if (sets.some((t) => t.externalId === d.deploymentId)) return;
        const original = sets.find((t) => t.id === d.originalTaskSetId);
        const spec = d.appSpec;
        doors.taskSets.create({
          cluster,
          service,
          taskDefinition: spec.taskDefinition,
          externalId: d.deploymentId,
          loadBalancers: [{ targetGroupArn: d.targetGroups.replacement.arn, containerName: spec.containerName, containerPort: spec.containerPort }],
          networkConfiguration: spec.networkConfiguration ?? original?.networkConfiguration,
          platformVersion: spec.platformVersion,
          capacityProviderStrategy: spec.capacityProviderStrategy,
          scale: { value: 100, unit: 'PERCENT' },
        });
        return;
      }
      case 'setWeights':
        for (const listenerArn of action.listenerArns) await doors.setForwardWeights(listenerArn, action.weights);
        return;
      case 'invokeHook': {
        this.opts.store.transaction(() =>
          this.records.addHookExecution({ executionId: action.executionId, deploymentId: d.deploymentId, lifecycleEvent: action.lifecycleEventName, functionName: action.functionName }),
        );
        await this.invokeHook(d.deploymentId, action.functionName, action.executionId);
        return;
      }
      case 'makePrimary':
        ignoreGone(() => doors.taskSets.makePrimary(cluster, service, action.taskSetId));
        return;
      case 'scaleTaskSet':
        ignoreGone(() => doors.taskSets.updateScale(cluster, service, action.taskSetId, { value: action.percent, unit: 'PERCENT' }));
        return;
      case 'deleteTaskSet':
        ignoreGone(() => doors.taskSets.delete(cluster, service, action.taskSetId, true));
        return;
      case 'createDeployment':
        // Saved with the record that asked for it (save()).
        return;
    }
  }

  private async invokeHook(deploymentId: string, functionName: string, executionId: string): Promise<void> {
    if (this.invokedHere.has(executionId)) return;
    await this.opts.doors.invoke(functionName, { DeploymentId: deploymentId, LifecycleEventHookExecutionId: executionId }, 'Event');
    this.invokedHere.add(executionId);
    this.opts.store.transaction(() => this.records.markHookInvoked(executionId, new Date(this.now()).toISOString()));
  }

  /**
   * After a restart: every hook execution still waiting for its report is invoked again. A function
   * that was running when Berth stopped died with it (Lambda's Event invocations are not kept), so
   * waiting for it would only end in the hook timeout; hooks run at least once, as on AWS.
   */
  private async resumeHooks(): Promise<void> {
    for (const d of this.records.liveDeployments()) {
      for (const h of this.records.hookExecutions(d.deploymentId)) {
        if (h.status !== 'Pending') continue;
        try {
          await this.invokeHook(d.deploymentId, h.functionName, h.executionId);
        } catch (err) {
          this.log(`codedeploy: re-invoking hook ${h.lifecycleEvent} of ${d.deploymentId} failed: ${(err as Error).message}`);
        }
      }
    }
  }

  /**
   * Saves `next` (and a rollback deployment it asked for) in one transaction, keeping what the API
   * set on the stored record since `before` was read. Returns the saved record, or undefined when
   * the stored one is gone.
   */
  private save(before: DeploymentRecord, next: DeploymentRecord, actions: DeploymentAction[]): DeploymentRecord | undefined {
    return this.opts.store.transaction(() => {
      const stored = this.records.deployment(before.deploymentId);
      if (!stored) return undefined;
      const merged = carryOver(stored, next);
      this.records.saveDeployment(merged);
      const created = actions.flatMap((a) => (a.type === 'createDeployment' ? [a.record] : []));
      for (const r of created) if (!this.records.deployment(r.deploymentId)) this.records.saveDeployment(r);
      if (merged.status !== stored.status) this.recordOnGroup(merged);
      for (const r of created) this.recordOnGroup(r);
      // A deployment made here (a rollback) is driven on the next pass, at once.
      if (created.length) this.signal.wake();
      return merged;
    });
  }

  /** The group's lastAttemptedDeployment (and lastSuccessfulDeployment) follow the deployment's status. */
  private recordOnGroup(d: DeploymentRecord): void {
    const group = this.records.groupById(d.deploymentGroupId);
    if (!group) return;
    const info = { deploymentId: d.deploymentId, status: d.status, createTime: d.createTime, ...(d.completeTime ? { endTime: d.completeTime } : {}) };
    const attempted = group.lastAttemptedDeployment;
    if (!attempted || attempted.deploymentId === d.deploymentId || attempted.createTime <= d.createTime) group.lastAttemptedDeployment = info;
    if (d.status === 'Succeeded') group.lastSuccessfulDeployment = info;
    this.records.saveGroup(group);
  }
}

/** Keeps the API's flags (StopDeployment, ContinueDeployment) set on `stored` while `next` was being decided. */
function carryOver(stored: DeploymentRecord, next: DeploymentRecord): DeploymentRecord {
  const live = !['Succeeded', 'Failed', 'Stopped'].includes(next.status);
  if (!live) return next;
  let out = next;
  if (stored.stopRequest && !next.stopRequest) out = { ...out, stopRequest: stored.stopRequest };
  if (stored.readyWait?.continued && out.readyWait && !out.readyWait.continued) out = { ...out, readyWait: { ...out.readyWait, continued: true } };
  if (stored.terminationWait?.continued && out.terminationWait && !out.terminationWait.continued) out = { ...out, terminationWait: { ...out.terminationWait, continued: true } };
  return out;
}

/** Runs a task-set change that may find its task set already gone (a repeated step after a crash). */
function ignoreGone(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof ServiceError && err.code === 'TaskSetNotFoundException') return;
    throw err;
  }
}

/** How a failed action is reported to the decision: CodeDeploy's error code for the service that refused. */
function actionFailure(action: DeploymentAction, err: unknown): { code: string; message: string } {
  const message = err instanceof Error ? err.message : String(err);
  switch (action.type) {
    case 'setWeights':
      return { code: 'ELASTIC_LOAD_BALANCING_INVALID', message: `The load balancer's listener could not be updated: ${message}` };
    case 'invokeHook':
      return { code: 'INVALID_LAMBDA_FUNCTION', message: `The ${action.lifecycleEventName} hook function ${action.functionName} could not be invoked: ${message}` };
    default:
      return { code: 'ECS_UPDATE_ERROR', message: `The ECS service could not be updated: ${message}` };
  }
}
