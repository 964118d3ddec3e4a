/**
 * CodeDeploy's decision for one blue/green ECS deployment: a pure function from the stored
 * deployment and what the engine observed (time, the task sets, hook outcomes, a failed action) to
 * the next record and the actions that move it along its lifecycle (BeforeInstall, Install,
 * AfterInstall, AllowTestTraffic, AfterAllowTestTraffic, BeforeAllowTraffic, AllowTraffic,
 * AfterAllowTraffic, then the original's termination), or undo it (`kind: 'rollback'`).
 *
 * No I/O, no clock, no randomness: `obs.now` is the time and ids are derived, so the engine can
 * repeat a pass after a crash and get the same absolute, keyed actions. Instantaneous steps run on
 * within one pass; a step that has to wait (a hook not reported, a replacement not steady, a traffic
 * interval, READY_WAIT, TERMINATION_WAIT) ends it, and a second pass on the same observation then
 * changes nothing. See README.md, "The deployment decision".
 */
import { isDeepStrictEqual } from 'node:util';
import { createHash } from 'node:crypto';
import {
  hookExecutionId,
  minutesToMs,
  newDeploymentId,
  newLifecycleEvents,
  type DeploymentAction,
  type DeploymentDecision,
  type DeploymentObservation,
  type DeploymentRecord,
  type DeploymentStatus,
  type HookEventName,
  type LifecycleEventRecord,
} from './deployment-types.js';
import type { TrafficRoutingConfig } from './records.js';

/** AWS's limit on a hook's answer, and Berth's bound on a replacement reaching a steady state. */
export const HOOK_TIMEOUT_MINUTES = 60;
export const INSTALL_TIMEOUT_MINUTES = 60;
/** A replacement fails once this many of its tasks stopped (or computedDesiredCount, if more): they do not start. */
export const MIN_STOPPED_TASKS = 3;

const TERMINAL: ReadonlySet<DeploymentStatus> = new Set(['Succeeded', 'Failed', 'Stopped']);

const MANUAL_STOP = { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user request.' };
const READY_WAIT_TIMEOUT = { code: 'TIMEOUT', message: 'The deployment timed out while waiting for the replacement to be allowed traffic (READY_WAIT).' };

/**
 * The id of the deployment that rolls `deploymentId` back: "d-" and 9 upper-case letters and digits
 * from sha256, so a pass repeated after a crash names (and creates) the same one.
 */
export function rollbackDeploymentIdOf(deploymentId: string): string {
  const digest = createHash('sha256').update(`${deploymentId}\nrollback`).digest();
  return newDeploymentId((n) => digest.subarray(0, n));
}

/** Decides one pass of a deployment. `next` is a new record, or `record` itself when nothing changed. */
export function decideDeployment(record: DeploymentRecord, obs: DeploymentObservation): DeploymentDecision {
  if (TERMINAL.has(record.status)) return { next: record, actions: [] };
  const pass = new Pass(structuredClone(record), obs);
  if (record.kind === 'rollback') decideRollback(pass);
  else decideForward(pass);
  return { next: isDeepStrictEqual(pass.d, record) ? record : pass.d, actions: pass.actions };
}

/** What a step tells the lifecycle loop: the event is done (go on), or the pass ends (waiting or over). */
type Step = 'next' | 'wait' | 'over';

/** One pass: the record being changed (a private copy), the observation and the actions so far. */
class Pass {
  readonly actions: DeploymentAction[] = [];
  readonly now: number;
  readonly nowIso: string;
  constructor(
    readonly d: DeploymentRecord,
    readonly obs: DeploymentObservation,
  ) {
    this.now = obs.now;
    this.nowIso = new Date(obs.now).toISOString();
  }
  /** `minutes` from now, as stored. */
  after(minutes: number): string {
    return new Date(this.now + minutesToMs(minutes, this.obs.timeScale)).toISOString();
  }
  /** True once `minutes` have passed since `iso`. */
  elapsed(iso: string | undefined, minutes: number): boolean {
    return this.now - Date.parse(iso ?? this.nowIso) >= minutesToMs(minutes, this.obs.timeScale);
  }
  reached(iso: string | undefined): boolean {
    return iso === undefined || this.now >= Date.parse(iso);
  }
  /** Both target groups, the replacement at `w` (a listener list that is empty asks for nothing). */
  setWeights(listenerArns: string[], w: number): void {
    if (listenerArns.length === 0) return;
    const { original, replacement } = this.d.targetGroups;
    this.actions.push({
      type: 'setWeights',
      listenerArns: [...listenerArns],
      weights: [
        { targetGroupArn: original.arn, weight: 100 - w },
        { targetGroupArn: replacement.arn, weight: w },
      ],
    });
  }
  succeed(ev: LifecycleEventRecord): void {
    ev.status = 'Succeeded';
    ev.startTime ??= this.nowIso;
    ev.endTime = this.nowIso;
  }
}

/** The first event neither Succeeded nor Skipped. */
function currentEvent(d: DeploymentRecord): LifecycleEventRecord | undefined {
  return d.lifecycleEvents.find((e) => e.status !== 'Succeeded' && e.status !== 'Skipped');
}

function decideForward(p: Pass): void {
  const { d, obs } = p;
  if (d.status === 'Created' || d.status === 'Queued') {
    d.status = 'InProgress';
    d.startTime = p.nowIso;
  }
  // Known as soon as seen (found by externalId = deploymentId), so a rollback can remove it whatever fails.
  if (obs.replacement !== undefined && d.replacementTaskSetId === undefined) d.replacementTaskSetId = obs.replacement.id;
  if (obs.actionError !== undefined) return fail(p, obs.actionError.code, obs.actionError.message);
  if (d.stopRequest !== undefined) return stop(p, MANUAL_STOP, d.stopRequest.autoRollbackEnabled);
  const alarmed = activatedAlarms(d, obs);
  if (alarmed) return stop(p, alarmed.error, alarmed.rollback);
  // Each 'next' finishes an event, so the loop ends; the bound only guards against a corrupt record.
  for (let i = 0; i <= d.lifecycleEvents.length; i++) {
    const ev = currentEvent(d);
    if (ev === undefined) {
      finish(p);
      return;
    }
    if (step(p, ev) !== 'next') return;
  }
}

function step(p: Pass, ev: LifecycleEventRecord): Step {
  switch (ev.lifecycleEventName) {
    case 'Install':
      return install(p, ev);
    case 'AllowTestTraffic':
      p.setWeights(p.d.testListenerArns, 100);
      p.succeed(ev);
      return 'next';
    case 'AllowTraffic':
      return readyWait(p, ev) ?? allowTraffic(p, ev);
    default:
      return hook(p, ev, ev.lifecycleEventName);
  }
}

/** A hook event: invoke the function once, then wait for its report (or its timeout). */
function hook(p: Pass, ev: LifecycleEventRecord, event: HookEventName): Step {
  const { d, obs } = p;
  const functionName = d.appSpec.hooks[event];
  if (functionName === undefined) {
    p.succeed(ev);
    return 'next';
  }
  if (ev.status === 'Pending') {
    ev.status = 'InProgress';
    ev.startTime = p.nowIso;
    ev.hookExecutionId = hookExecutionId(d.deploymentId, event);
    p.actions.push({ type: 'invokeHook', lifecycleEventName: event, functionName, executionId: ev.hookExecutionId });
  }
  // Checked in the invoking pass too: after a crash between apply and save the report may already be in.
  const outcome = obs.hooks[ev.hookExecutionId ?? hookExecutionId(d.deploymentId, event)];
  if (outcome === 'Succeeded') {
    p.succeed(ev);
    return 'next';
  }
  if (outcome === 'Failed') {
    ev.diagnostics = { errorCode: 'ScriptFailed', scriptName: functionName, message: 'The hook reported Failed.', logTail: '' };
    fail(p, 'HOOK_EXECUTION_FAILURE', `The ${event} lifecycle event hook ${functionName} reported Failed.`);
    return 'over';
  }
  if (p.elapsed(ev.startTime, HOOK_TIMEOUT_MINUTES)) {
    ev.diagnostics = { errorCode: 'ScriptTimedOut', scriptName: functionName, message: `The hook did not report a status within ${HOOK_TIMEOUT_MINUTES} minutes.`, logTail: '' };
    fail(p, 'TIMEOUT', `The ${event} lifecycle event hook ${functionName} did not report a status within ${HOOK_TIMEOUT_MINUTES} minutes.`);
    return 'over';
  }
  return 'wait';
}

/** Install: attach the replacement target group (weight 0), create the replacement task set, wait for its steady state. */
function install(p: Pass, ev: LifecycleEventRecord): Step {
  const { d, obs } = p;
  const starting = ev.status === 'Pending';
  if (starting) {
    ev.status = 'InProgress';
    ev.startTime = p.nowIso;
    // The target group joins the listeners before the replacement's tasks register with it.
    p.setWeights(d.prodListenerArns, 0);
    p.actions.push({ type: 'createReplacementTaskSet' });
  }
  const timedOut = () => p.elapsed(ev.startTime, INSTALL_TIMEOUT_MINUTES);
  const replacement = obs.replacement;
  if (replacement === undefined) {
    if (timedOut()) return failInstallTimeout(p);
    if (!starting) p.actions.push({ type: 'createReplacementTaskSet' });
    return 'wait';
  }
  if (replacement.stabilityStatus === 'STEADY_STATE' && replacement.runningCount >= replacement.computedDesiredCount) {
    p.succeed(ev);
    return 'next';
  }
  if (replacement.stoppedTasks >= Math.max(MIN_STOPPED_TASKS, replacement.computedDesiredCount)) {
    fail(p, 'ECS_UPDATE_ERROR', `The replacement task set ${replacement.id} did not reach a steady state: ${replacement.stoppedTasks} of its tasks stopped.`);
    return 'over';
  }
  return timedOut() ? failInstallTimeout(p) : 'wait';
}

function failInstallTimeout(p: Pass): Step {
  fail(p, 'TIMEOUT', `The replacement task set did not reach a steady state within ${INSTALL_TIMEOUT_MINUTES} minutes.`);
  return 'over';
}

/**
 * READY_WAIT (blue/green STOP_DEPLOYMENT), before AllowTraffic starts: status Ready until
 * ContinueDeployment(READY_WAIT) or the wait's end, which stops the deployment. Undefined: go on.
 */
function readyWait(p: Pass, ev: LifecycleEventRecord): Step | undefined {
  const { d } = p;
  const option = d.blueGreen.deploymentReadyOption;
  if (ev.status !== 'Pending' || option.actionOnTimeout !== 'STOP_DEPLOYMENT') return undefined;
  d.readyWait ??= { until: p.after(option.waitTimeInMinutes), continued: false };
  if (d.readyWait.continued) {
    d.status = 'InProgress';
    return undefined;
  }
  // A wait of 0 minutes is over at once, as AWS's is: nothing could have continued it.
  if (p.reached(d.readyWait.until)) {
    stop(p, READY_WAIT_TIMEOUT, d.autoRollback.enabled);
    return 'over';
  }
  d.status = 'Ready';
  return 'wait';
}

/** How the deployment configuration moves production traffic. */
function trafficPlan(cfg: TrafficRoutingConfig): { first: number; then: (w: number) => number; intervalMinutes: number } {
  if (cfg.type === 'TimeBasedCanary' && cfg.timeBasedCanary !== undefined) {
    const { canaryPercentage, canaryInterval } = cfg.timeBasedCanary;
    return { first: clampWeight(canaryPercentage), then: () => 100, intervalMinutes: canaryInterval };
  }
  if (cfg.type === 'TimeBasedLinear' && cfg.timeBasedLinear !== undefined) {
    const { linearPercentage, linearInterval } = cfg.timeBasedLinear;
    const stepBy = clampWeight(linearPercentage);
    return { first: stepBy, then: (w) => Math.min(100, w + stepBy), intervalMinutes: linearInterval };
  }
  return { first: 100, then: () => 100, intervalMinutes: 0 };
}

/** A weight in 1..100 (a stored percentage out of range must still end the shift). */
function clampWeight(w: number): number {
  return Number.isFinite(w) ? Math.min(100, Math.max(1, Math.round(w))) : 100;
}

/** AllowTraffic: shift production traffic per the configuration, one step per interval. */
function allowTraffic(p: Pass, ev: LifecycleEventRecord): Step {
  const { d } = p;
  const plan = trafficPlan(d.trafficRouting);
  const shift = (w: number) => {
    p.setWeights(d.prodListenerArns, w);
    d.traffic = w < 100 ? { replacementWeight: w, nextShiftAt: p.after(plan.intervalMinutes) } : { replacementWeight: w };
  };
  if (ev.status === 'Pending') {
    ev.status = 'InProgress';
    ev.startTime = p.nowIso;
    shift(plan.first);
  } else if (d.traffic.replacementWeight < 100 && p.reached(d.traffic.nextShiftAt)) {
    shift(plan.then(d.traffic.replacementWeight));
  }
  if (d.traffic.replacementWeight < 100) return 'wait';
  p.succeed(ev);
  return 'next';
}

/** After AfterAllowTraffic: the replacement becomes PRIMARY, then the original goes (TERMINATE) or stays at 0 % (KEEP_ALIVE). */
function finish(p: Pass): void {
  const { d } = p;
  const replacementId = d.replacementTaskSetId;
  if (replacementId === undefined) {
    // Install only succeeds on an observed replacement, so only a corrupt record gets here.
    return fail(p, 'ECS_UPDATE_ERROR', 'The deployment has no replacement task set to make primary.');
  }
  const termination = d.blueGreen.terminateBlueInstancesOnDeploymentSuccess;
  if (termination.action === 'KEEP_ALIVE') {
    p.actions.push({ type: 'makePrimary', taskSetId: replacementId }, { type: 'scaleTaskSet', taskSetId: d.originalTaskSetId, percent: 0 });
    return complete(p);
  }
  if (d.terminationWait === undefined) {
    d.terminationWait = { until: p.after(termination.terminationWaitTimeInMinutes), continued: false };
    d.instanceTerminationWaitTimeStarted = true;
    p.actions.push({ type: 'makePrimary', taskSetId: replacementId });
  }
  if (d.terminationWait.continued || p.reached(d.terminationWait.until)) {
    p.actions.push({ type: 'deleteTaskSet', taskSetId: d.originalTaskSetId });
    complete(p);
  }
}

function complete(p: Pass): void {
  p.d.status = 'Succeeded';
  p.d.completeTime = p.nowIso;
}

/** The deployment fails at its current event; rolls back when the group's auto rollback covers DEPLOYMENT_FAILURE. */
function fail(p: Pass, code: string, message: string): void {
  const { d } = p;
  d.status = 'Failed';
  d.completeTime = p.nowIso;
  d.errorInformation = { code, message };
  d.statusMessages = [message];
  const ev = currentEvent(d);
  if (ev !== undefined) {
    ev.status = 'Failed';
    ev.startTime ??= p.nowIso;
    ev.endTime = p.nowIso;
    ev.diagnostics ??= { errorCode: 'UnknownError', scriptName: '', message, logTail: '' };
  }
  if (d.autoRollback.enabled && d.autoRollback.events.includes('DEPLOYMENT_FAILURE')) rollBack(p, 'failed');
}

/** The deployment is Stopped (StopDeployment, or READY_WAIT's end): its running event fails, pending ones stay. */
function stop(p: Pass, error: { code: string; message: string }, rollback: boolean): void {
  const { d } = p;
  d.status = 'Stopped';
  d.completeTime = p.nowIso;
  d.errorInformation = { ...error };
  d.statusMessages = [error.message];
  for (const ev of d.lifecycleEvents) {
    if (ev.status !== 'InProgress') continue;
    ev.status = 'Failed';
    ev.endTime = p.nowIso;
    ev.diagnostics = { errorCode: 'UnknownError', scriptName: '', message: 'The deployment was stopped.', logTail: '' };
  }
  if (rollback) rollBack(p, 'stopped');
}

/**
 * The deployment's alarms that stop it: one that entered ALARM after the deployment started (one
 * already in ALARM when it began does not count, as on AWS), or, unless ignorePollAlarmFailure,
 * one CloudWatch does not have.
 */
function activatedAlarms(d: DeploymentRecord, obs: DeploymentObservation): { error: { code: string; message: string }; rollback: boolean } | undefined {
  const config = d.alarmConfiguration;
  if (!config?.enabled || config.alarms.length === 0 || obs.alarms === undefined) return undefined;
  const started = Date.parse(d.startTime ?? d.createTime);
  const activated = config.alarms.filter((a) => {
    const seen = obs.alarms?.[a.name];
    return seen !== null && seen !== undefined && seen.state === 'ALARM' && seen.transitionedAt >= started;
  });
  const unreadable = config.ignorePollAlarmFailure ? [] : config.alarms.filter((a) => obs.alarms?.[a.name] === null);
  if (activated.length === 0 && unreadable.length === 0) return undefined;
  const rollback = d.autoRollback.enabled && d.autoRollback.events.includes('DEPLOYMENT_STOP_ON_ALARM');
  if (activated.length > 0) {
    const names = activated.map((a) => a.name).join(', ');
    return { error: { code: 'ALARM_ACTIVE', message: `One or more alarms have been activated according to the Amazon CloudWatch metrics you selected, and the affected deployments have been stopped. Activated alarms: ${names}` }, rollback };
  }
  const names = unreadable.map((a) => a.name).join(', ');
  return { error: { code: 'ALARM_ACTIVE', message: `The state of the deployment's alarms could not be read from Amazon CloudWatch (no such alarm: ${names}); the deployment was stopped (ignorePollAlarmFailure is false).` }, rollback };
}

/** Creates the rollback deployment (same transaction as the failed one's save) and links the two. */
function rollBack(p: Pass, how: 'failed' | 'stopped'): void {
  const { d } = p;
  const id = d.deploymentId;
  const rollbackId = rollbackDeploymentIdOf(id);
  const verb = how === 'failed' ? 'failed' : 'was stopped';
  d.rollbackInfo = { rollbackDeploymentId: rollbackId, rollbackMessage: `Deployment ${id} ${verb} and was rolled back by deployment ${rollbackId}.` };
  const { completeTime: _c, errorInformation: _e, stopRequest: _s, readyWait: _r, terminationWait: _t, ...kept } = structuredClone(d);
  const rollback: DeploymentRecord = {
    ...kept,
    deploymentId: rollbackId,
    kind: 'rollback',
    creator: 'codeDeployRollback',
    status: 'InProgress',
    createTime: p.nowIso,
    startTime: p.nowIso,
    statusMessages: [],
    lifecycleEvents: newLifecycleEvents(),
    traffic: { replacementWeight: d.traffic.replacementWeight },
    instanceTerminationWaitTimeStarted: false,
    rollbackInfo: { rollbackTriggeringDeploymentId: id, rollbackMessage: `Rollback of deployment ${id}.` },
    revision: d.previousRevision ?? d.revision,
    previousRevision: d.revision,
    description: `Rollback of deployment ${id}`,
  };
  p.actions.push({ type: 'createDeployment', record: rollback });
}

/** Events a rollback does (the original exists; traffic goes back to it); the hooks are skipped. */
const ROLLBACK_DONE: ReadonlySet<string> = new Set(['Install', 'AllowTestTraffic', 'AllowTraffic']);

/** A rollback, in one pass: all traffic to the original, the original PRIMARY, the replacement deleted. */
function decideRollback(p: Pass): void {
  const { d, obs } = p;
  d.startTime ??= p.nowIso;
  // The engine finds the replacement by the undone deployment's externalId, even if that one never saw it.
  if (obs.replacement !== undefined && d.replacementTaskSetId === undefined) d.replacementTaskSetId = obs.replacement.id;
  const failRollback = (error: { code: string; message: string }) => {
    d.status = 'Failed';
    d.completeTime = p.nowIso;
    d.errorInformation = { ...error };
    d.statusMessages = [error.message];
  };
  if (obs.actionError !== undefined) return failRollback(obs.actionError);
  if (obs.original === undefined) {
    return failRollback({ code: 'ECS_UPDATE_ERROR', message: `The original task set ${d.originalTaskSetId} no longer exists; traffic cannot be rolled back.` });
  }
  for (const ev of d.lifecycleEvents) {
    if (ROLLBACK_DONE.has(ev.lifecycleEventName)) p.succeed(ev);
    else ev.status = 'Skipped';
    if (ev.lifecycleEventName === 'AllowTestTraffic') p.setWeights(d.testListenerArns, 0);
    if (ev.lifecycleEventName === 'AllowTraffic') p.setWeights(d.prodListenerArns, 0);
  }
  p.actions.push({ type: 'makePrimary', taskSetId: d.originalTaskSetId });
  if (d.replacementTaskSetId !== undefined) p.actions.push({ type: 'deleteTaskSet', taskSetId: d.replacementTaskSetId });
  d.traffic = { replacementWeight: 0 };
  complete(p);
}
