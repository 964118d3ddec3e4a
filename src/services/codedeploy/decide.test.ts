/**
 * Tests of decideDeployment: tables of each step's outcome (traffic shifting per configuration,
 * hooks, waits, failures, stops and rollbacks) and fast-check properties that drive a deployment to
 * its end against a small simulated world (task sets, listeners, hook reports) that applies the
 * decision's actions the way the engine does.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideDeployment, rollbackDeploymentIdOf, HOOK_TIMEOUT_MINUTES, INSTALL_TIMEOUT_MINUTES } from './decide.js';
import {
  HOOK_EVENTS,
  LIFECYCLE_ORDER,
  hookExecutionId,
  minutesToMs,
  newLifecycleEvents,
  type DeploymentAction,
  type DeploymentDecision,
  type DeploymentObservation,
  type DeploymentRecord,
  type HookEventName,
  type LifecycleEventName,
  type TaskSetObservation,
} from './deployment-types.js';
import type { BlueGreenConfig, TrafficRoutingConfig } from './records.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const ID = 'd-ABCDEFGH1';
const BLUE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef';
const GREEN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/fedcba9876543210';
const PROD = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1111111111111111/2222222222222222';
const TEST = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/1111111111111111/3333333333333333';
const ORIGINAL_TS = 'ecs-svc/1111111111111111111';
const REPLACEMENT_TS = 'ecs-svc/2222222222222222222';
const REVISION = { revisionType: 'AppSpecContent' as const, appSpecContent: { content: 'version: 0.0', sha256: 'b'.repeat(64) } };
const PREVIOUS = { revisionType: 'AppSpecContent' as const, appSpecContent: { content: 'version: 0.0 # v1', sha256: 'a'.repeat(64) } };

const CONTINUE_TERMINATE: BlueGreenConfig = {
  deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
  terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 0 },
};
const ALL_AT_ONCE: TrafficRoutingConfig = { type: 'AllAtOnce' };
const canary = (canaryPercentage: number, canaryInterval: number): TrafficRoutingConfig => ({ type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage, canaryInterval } });
const linear = (linearPercentage: number, linearInterval: number): TrafficRoutingConfig => ({ type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage, linearInterval } });
const blueGreen = (ready?: { wait: number }, termination: { action: 'TERMINATE' | 'KEEP_ALIVE'; wait?: number } = { action: 'TERMINATE', wait: 0 }): BlueGreenConfig => ({
  deploymentReadyOption: ready ? { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: ready.wait } : { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
  terminateBlueInstancesOnDeploymentSuccess: { action: termination.action, terminationWaitTimeInMinutes: termination.wait ?? 0 },
});
const NO_ROLLBACK = { enabled: false, events: [] as string[] };
const ROLLBACK_ON_FAILURE = { enabled: true, events: ['DEPLOYMENT_FAILURE'] };

/** A deployment as CreateDeployment stores it (status Created). */
function deployment(v: Partial<DeploymentRecord> & { hooks?: Partial<Record<HookEventName, string>> } = {}): DeploymentRecord {
  const { hooks = {}, ...rest } = v;
  return {
    deploymentId: ID,
    kind: 'deployment',
    applicationId: 'a1b2c3d4-0000-0000-0000-000000000001',
    applicationName: 'app',
    deploymentGroupId: 'a1b2c3d4-0000-0000-0000-000000000002',
    deploymentGroupName: 'dg',
    deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
    creator: 'user',
    status: 'Created',
    createTime: iso(T0),
    revision: REVISION,
    previousRevision: PREVIOUS,
    appSpec: { taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:2', containerName: 'web', containerPort: 80, hooks },
    trafficRouting: ALL_AT_ONCE,
    blueGreen: CONTINUE_TERMINATE,
    autoRollback: NO_ROLLBACK,
    service: { clusterName: 'main', serviceName: 'web' },
    serviceArn: 'arn:aws:ecs:us-east-1:123456789012:service/main/web',
    targetGroups: { original: { name: 'blue', arn: BLUE }, replacement: { name: 'green', arn: GREEN } },
    prodListenerArns: [PROD],
    testListenerArns: [TEST],
    originalTaskSetId: ORIGINAL_TS,
    originalTaskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1',
    lifecycleEvents: newLifecycleEvents(),
    traffic: { replacementWeight: 0 },
    instanceTerminationWaitTimeStarted: false,
    statusMessages: [],
    ...rest,
  };
}

function taskSet(id: string, v: Partial<TaskSetObservation> = {}): TaskSetObservation {
  return { id, status: 'ACTIVE', computedDesiredCount: 2, runningCount: 2, pendingCount: 0, stabilityStatus: 'STEADY_STATE', stoppedTasks: 0, ...v };
}
const steady = (v: Partial<TaskSetObservation> = {}) => taskSet(REPLACEMENT_TS, v);
const stabilizing = (v: Partial<TaskSetObservation> = {}) => taskSet(REPLACEMENT_TS, { runningCount: 0, pendingCount: 2, stabilityStatus: 'STABILIZING', ...v });

function observe(v: Partial<DeploymentObservation> = {}): DeploymentObservation {
  return { now: T0, timeScale: 1, hooks: {}, original: taskSet(ORIGINAL_TS, { status: 'PRIMARY' }), ...v };
}

const event = (r: DeploymentRecord, name: LifecycleEventName) => r.lifecycleEvents.find((e) => e.lifecycleEventName === name)!;
const statuses = (r: DeploymentRecord) => r.lifecycleEvents.map((e) => e.status);
const weights = (w: number) => [
  { targetGroupArn: BLUE, weight: 100 - w },
  { targetGroupArn: GREEN, weight: w },
];
const prodWeights = (w: number): DeploymentAction => ({ type: 'setWeights', listenerArns: [PROD], weights: weights(w) });
const testWeights = (w: number): DeploymentAction => ({ type: 'setWeights', listenerArns: [TEST], weights: weights(w) });

/** Passes the deployment through Install (replacement steady) so the next pass starts AllowTestTraffic. */
function installed(r: DeploymentRecord, now = T0): DeploymentRecord {
  const first = decideDeployment(r, observe({ now }));
  assert.equal(event(first.next, 'Install').status, 'InProgress');
  return first.next;
}

/**
 * The world a deployment acts on, as the engine would see it: the task sets, the listeners'
 * replacement weight, hook reports, and what the actions did. Applying an action checks the
 * invariants every action must keep.
 */
class World {
  now = T0;
  replacement?: TaskSetObservation;
  original?: TaskSetObservation = taskSet(ORIGINAL_TS, { status: 'PRIMARY' });
  hooks: Record<string, 'Pending' | 'Succeeded' | 'Failed'> = {};
  /** Listener -> replacement weight (the original has the rest). */
  weight = new Map<string, number>([
    [PROD, 0],
    [TEST, 0],
  ]);
  primary = ORIGINAL_TS;
  scaled: Record<string, number> = {};
  rollbacks: DeploymentRecord[] = [];
  invoked: { event: HookEventName; executionId: string; functionName: string }[] = [];
  /** Production weights set, with the time (minutes since T0). */
  prodShifts: [minutes: number, weight: number][] = [];
  timeline: string[] = [];
  constructor(
    readonly timeScale = 1,
    readonly replacementOf: (created: TaskSetObservation) => TaskSetObservation = () => steady(),
  ) {}

  observe(extra: Partial<DeploymentObservation> = {}): DeploymentObservation {
    return { now: this.now, timeScale: this.timeScale, hooks: { ...this.hooks }, replacement: this.replacement, original: this.original, ...extra };
  }

  apply(actions: DeploymentAction[]): void {
    for (const a of actions) {
      this.timeline.push(a.type === 'setWeights' ? `setWeights ${a.listenerArns[0] === PROD ? 'prod' : 'test'} ${a.weights[1].weight}` : a.type === 'invokeHook' ? `invokeHook ${a.lifecycleEventName}` : a.type);
      switch (a.type) {
        case 'createReplacementTaskSet':
          this.replacement ??= this.replacementOf(stabilizing());
          break;
        case 'setWeights':
          assert.deepEqual(
            a.weights.map((w) => w.targetGroupArn),
            [BLUE, GREEN],
            'every setWeights lists both target groups, original first',
          );
          assert.equal(a.weights[0].weight + a.weights[1].weight, 100, 'the weights sum to 100');
          assert.ok(a.weights.every((w) => Number.isInteger(w.weight) && w.weight >= 0 && w.weight <= 100), 'weights are 0..100');
          assert.ok(a.listenerArns.length > 0, 'no setWeights without listeners');
          for (const l of a.listenerArns) this.weight.set(l, a.weights[1].weight);
          if (a.listenerArns.includes(PROD)) this.prodShifts.push([(this.now - T0) / minutesToMs(1, this.timeScale), a.weights[1].weight]);
          break;
        case 'invokeHook':
          this.hooks[a.executionId] ??= 'Pending';
          this.invoked.push({ event: a.lifecycleEventName, executionId: a.executionId, functionName: a.functionName });
          break;
        case 'makePrimary':
          this.primary = a.taskSetId;
          break;
        case 'scaleTaskSet':
          this.scaled[a.taskSetId] = a.percent;
          break;
        case 'deleteTaskSet':
          if (a.taskSetId === this.original?.id) this.original = undefined;
          if (a.taskSetId === this.replacement?.id) this.replacement = undefined;
          break;
        case 'createDeployment':
          this.rollbacks.push(a.record);
          break;
      }
    }
  }
}

const TERMINAL = ['Succeeded', 'Failed', 'Stopped'];
const terminal = (r: DeploymentRecord) => TERMINAL.includes(r.status);

/**
 * Drives `record` pass by pass (time advancing `stepMinutes` of deployment time per pass) until it
 * ends or `untilMinutes` have passed; `hookOutcome` answers each invoked hook on the next pass.
 */
function drive(
  record: DeploymentRecord,
  world: World,
  opts: { stepMinutes?: number; untilMinutes?: number; hookOutcome?: (event: HookEventName) => 'Succeeded' | 'Failed' | undefined; maxPasses?: number } = {},
): DeploymentRecord {
  const { stepMinutes = 1, untilMinutes = Infinity, hookOutcome = () => 'Succeeded', maxPasses = 1000 } = opts;
  let r = record;
  for (let i = 0; i < maxPasses && !terminal(r) && world.now - T0 <= minutesToMs(untilMinutes, world.timeScale); i++) {
    for (const h of world.invoked) if (world.hooks[h.executionId] === 'Pending') world.hooks[h.executionId] = hookOutcome(h.event) ?? 'Pending';
    const d = decideDeployment(r, world.observe());
    world.apply(d.actions);
    r = d.next;
    // A pass that waits for nothing the world is about to change (the replacement is created and steady at once) lets time run.
    if (d.actions.length === 0 || d.actions.every((a) => a.type === 'createReplacementTaskSet')) world.now += minutesToMs(stepMinutes, world.timeScale);
  }
  return r;
}

describe('traffic shifting per deployment configuration', () => {
  const cases: [name: string, routing: TrafficRoutingConfig, shifts: [minutes: number, weight: number][]][] = [
    ['AllAtOnce', ALL_AT_ONCE, [[0, 0], [0, 100]]],
    ['canary 10% then the rest after 5 minutes', canary(10, 5), [[0, 0], [0, 10], [5, 100]]],
    ['linear 10% every minute', linear(10, 1), [[0, 0], [0, 10], [1, 20], [2, 30], [3, 40], [4, 50], [5, 60], [6, 70], [7, 80], [8, 90], [9, 100]]],
    ['linear 33% every 2 minutes (the last step is the remainder)', linear(33, 2), [[0, 0], [0, 33], [2, 66], [4, 99], [6, 100]]],
  ];
  for (const [name, routing, shifts] of cases) {
    it(`${name}: production weights ${shifts.map(([m, w]) => `${w}@${m}min`).join(', ')}`, () => {
      const world = new World();
      const end = drive(deployment({ trafficRouting: routing }), world);
      assert.deepEqual(world.prodShifts, shifts);
      assert.equal(end.status, 'Succeeded');
      assert.equal(world.weight.get(PROD), 100);
      assert.deepEqual(end.traffic, { replacementWeight: 100 });
    });
  }
  it('canary: shifts the rest exactly when canaryInterval has passed, not a millisecond before', () => {
    const r = installed(deployment({ trafficRouting: canary(10, 5) }));
    const started = decideDeployment(r, observe({ replacement: steady() }));
    assert.deepEqual(started.actions, [testWeights(100), prodWeights(10)]);
    assert.deepEqual(started.next.traffic, { replacementWeight: 10, nextShiftAt: iso(T0 + 5 * MIN) });
    assert.equal(event(started.next, 'AllowTraffic').status, 'InProgress');
    const early = decideDeployment(started.next, observe({ now: T0 + 5 * MIN - 1, replacement: steady() }));
    assert.equal(early.next, started.next, 'nothing changes before the interval');
    assert.deepEqual(early.actions, []);
    const due = decideDeployment(started.next, observe({ now: T0 + 5 * MIN, replacement: steady() }));
    assert.deepEqual(due.actions.slice(0, 1), [prodWeights(100)]);
    assert.equal(event(due.next, 'AllowTraffic').status, 'Succeeded');
  });
  it('time scale 60: a 5-minute canary shifts the rest after 5 seconds', () => {
    const r = installed(deployment({ trafficRouting: canary(10, 5) }));
    const started = decideDeployment(r, observe({ timeScale: 60, replacement: steady() }));
    assert.deepEqual(started.next.traffic, { replacementWeight: 10, nextShiftAt: iso(T0 + 5000) });
    assert.deepEqual(decideDeployment(started.next, observe({ timeScale: 60, now: T0 + 4999, replacement: steady() })).actions, []);
    const due = decideDeployment(started.next, observe({ timeScale: 60, now: T0 + 5000, replacement: steady() }));
    assert.deepEqual(due.actions[0], prodWeights(100));
  });
  it('without a test listener no test weights are set; AllowTestTraffic still succeeds', () => {
    const world = new World();
    const end = drive(deployment({ testListenerArns: [] }), world);
    assert.equal(end.status, 'Succeeded');
    assert.ok(!world.timeline.some((t) => t.startsWith('setWeights test')));
    assert.equal(event(end, 'AllowTestTraffic').status, 'Succeeded');
  });
  it('a hook-less AllAtOnce deployment runs its whole lifecycle in order, one wait for the replacement', () => {
    const world = new World();
    const end = drive(deployment(), world);
    assert.deepEqual(world.timeline, ['setWeights prod 0', 'createReplacementTaskSet', 'setWeights test 100', 'setWeights prod 100', 'makePrimary', 'deleteTaskSet']);
    assert.equal(world.primary, REPLACEMENT_TS);
    assert.equal(world.original, undefined);
    assert.deepEqual(statuses(end), LIFECYCLE_ORDER.map(() => 'Succeeded'));
    assert.equal(end.replacementTaskSetId, REPLACEMENT_TS);
    assert.equal(end.startTime, iso(T0));
    assert.equal(end.completeTime, iso(T0));
    assert.deepEqual(end.statusMessages, []);
    assert.equal(end.errorInformation, undefined);
  });
});

describe('lifecycle hooks', () => {
  const hooks = { BeforeInstall: 'fnBI', AfterInstall: 'fnAI', AfterAllowTestTraffic: 'fnAATT', BeforeAllowTraffic: 'fnBAT', AfterAllowTraffic: 'fnAAT' };
  it('invokes each hook once, in lifecycle order, with its derived execution id, between the right steps', () => {
    const world = new World();
    const end = drive(deployment({ hooks }), world);
    assert.equal(end.status, 'Succeeded');
    assert.deepEqual(
      world.invoked,
      HOOK_EVENTS.map((e) => ({ event: e, executionId: hookExecutionId(ID, e), functionName: hooks[e] })),
    );
    assert.deepEqual(world.timeline, [
      'invokeHook BeforeInstall',
      'setWeights prod 0',
      'createReplacementTaskSet',
      'invokeHook AfterInstall',
      'setWeights test 100',
      'invokeHook AfterAllowTestTraffic',
      'invokeHook BeforeAllowTraffic',
      'setWeights prod 100',
      'invokeHook AfterAllowTraffic',
      'makePrimary',
      'deleteTaskSet',
    ]);
    for (const e of HOOK_EVENTS) assert.equal(event(end, e).hookExecutionId, hookExecutionId(ID, e));
  });
  it('waits for the report without invoking again, then moves on', () => {
    const first = decideDeployment(deployment({ hooks: { BeforeInstall: 'fn' } }), observe());
    assert.deepEqual(first.actions, [{ type: 'invokeHook', lifecycleEventName: 'BeforeInstall', functionName: 'fn', executionId: hookExecutionId(ID, 'BeforeInstall') }]);
    assert.equal(first.next.status, 'InProgress');
    assert.deepEqual(event(first.next, 'BeforeInstall'), { lifecycleEventName: 'BeforeInstall', status: 'InProgress', startTime: iso(T0), hookExecutionId: hookExecutionId(ID, 'BeforeInstall') });
    const pending = { [hookExecutionId(ID, 'BeforeInstall')]: 'Pending' as const };
    const again = decideDeployment(first.next, observe({ now: T0 + 30 * MIN, hooks: pending }));
    assert.equal(again.next, first.next);
    assert.deepEqual(again.actions, []);
    const reported = decideDeployment(first.next, observe({ now: T0 + 31 * MIN, hooks: { [hookExecutionId(ID, 'BeforeInstall')]: 'Succeeded' } }));
    assert.deepEqual(event(reported.next, 'BeforeInstall').endTime, iso(T0 + 31 * MIN));
    assert.equal(event(reported.next, 'Install').status, 'InProgress');
    assert.deepEqual(reported.actions, [prodWeights(0), { type: 'createReplacementTaskSet' }]);
  });
  it(`fails the deployment when a hook does not report within ${HOOK_TIMEOUT_MINUTES} minutes`, () => {
    const world = new World();
    const r = drive(deployment({ hooks: { AfterInstall: 'slow' } }), world, { hookOutcome: () => undefined, untilMinutes: HOOK_TIMEOUT_MINUTES - 1 });
    assert.equal(r.status, 'InProgress', 'still waiting a minute before the limit');
    const end = drive(r, world, { hookOutcome: () => undefined });
    assert.equal(end.status, 'Failed');
    assert.equal(end.completeTime, iso(T0 + HOOK_TIMEOUT_MINUTES * MIN));
    assert.deepEqual(end.errorInformation, { code: 'TIMEOUT', message: 'The AfterInstall lifecycle event hook slow did not report a status within 60 minutes.' });
    assert.deepEqual(end.statusMessages, [end.errorInformation!.message]);
    assert.equal(event(end, 'AfterInstall').status, 'Failed');
    assert.equal(event(end, 'AfterInstall').diagnostics?.errorCode, 'ScriptTimedOut');
    assert.equal(event(end, 'AfterInstall').diagnostics?.scriptName, 'slow');
    assert.deepEqual(statuses(end).slice(3), ['Pending', 'Pending', 'Pending', 'Pending', 'Pending']);
    assert.deepEqual(world.rollbacks, []);
  });
  it('a hook reporting Failed fails the deployment where it is, without rollback when none is configured', () => {
    const world = new World();
    const end = drive(deployment({ hooks: { BeforeAllowTraffic: 'check' } }), world, { hookOutcome: () => 'Failed' });
    assert.equal(end.status, 'Failed');
    assert.deepEqual(end.errorInformation, { code: 'HOOK_EXECUTION_FAILURE', message: 'The BeforeAllowTraffic lifecycle event hook check reported Failed.' });
    assert.deepEqual(event(end, 'BeforeAllowTraffic').diagnostics, { errorCode: 'ScriptFailed', scriptName: 'check', message: 'The hook reported Failed.', logTail: '' });
    assert.deepEqual(statuses(end), ['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Failed', 'Pending', 'Pending']);
    assert.equal(end.rollbackInfo, undefined);
    assert.deepEqual(world.rollbacks, []);
    assert.equal(world.weight.get(TEST), 100, 'AWS leaves traffic where it was');
    assert.equal(world.weight.get(PROD), 0);
    assert.ok(world.replacement !== undefined && world.original !== undefined);
  });
  it('rolls back a Failed hook only when autoRollback covers DEPLOYMENT_FAILURE', () => {
    const failed = (autoRollback: DeploymentRecord['autoRollback']) => {
      const world = new World();
      drive(deployment({ hooks: { AfterAllowTestTraffic: 'check' }, autoRollback }), world, { hookOutcome: () => 'Failed' });
      return world.rollbacks.length;
    };
    assert.equal(failed({ enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] }), 0);
    assert.equal(failed({ enabled: false, events: ['DEPLOYMENT_FAILURE'] }), 0);
    assert.equal(failed(ROLLBACK_ON_FAILURE), 1);
  });
  it('a Failed hook with rollback creates the rollback deployment, linked both ways', () => {
    const world = new World();
    const end = drive(deployment({ hooks: { AfterAllowTraffic: 'check' }, autoRollback: ROLLBACK_ON_FAILURE, description: 'v2' }), world, {
      hookOutcome: () => 'Failed',
      stepMinutes: 2,
    });
    const R = rollbackDeploymentIdOf(ID);
    assert.equal(end.status, 'Failed');
    assert.deepEqual(end.rollbackInfo, { rollbackDeploymentId: R, rollbackMessage: `Deployment ${ID} failed and was rolled back by deployment ${R}.` });
    assert.equal(world.rollbacks.length, 1);
    const failedAt = end.completeTime!;
    const expected: DeploymentRecord = {
      ...deployment({ autoRollback: ROLLBACK_ON_FAILURE, hooks: { AfterAllowTraffic: 'check' } }),
      deploymentId: R,
      kind: 'rollback',
      creator: 'codeDeployRollback',
      status: 'InProgress',
      createTime: failedAt,
      startTime: failedAt,
      revision: PREVIOUS,
      previousRevision: REVISION,
      description: `Rollback of deployment ${ID}`,
      replacementTaskSetId: REPLACEMENT_TS,
      traffic: { replacementWeight: 100 },
      rollbackInfo: { rollbackTriggeringDeploymentId: ID, rollbackMessage: `Rollback of deployment ${ID}.` },
    };
    assert.deepEqual(world.rollbacks[0], expected);
  });
  it('a crash between invoking and saving: a report already in moves on in the invoking pass', () => {
    const d = decideDeployment(deployment({ hooks: { BeforeInstall: 'fn' } }), observe({ hooks: { [hookExecutionId(ID, 'BeforeInstall')]: 'Succeeded' } }));
    assert.equal(event(d.next, 'BeforeInstall').status, 'Succeeded');
    assert.equal(event(d.next, 'Install').status, 'InProgress');
  });
});

describe('install', () => {
  it('attaches the replacement target group at weight 0 before creating the replacement, then waits for its steady state', () => {
    const first = decideDeployment(deployment(), observe());
    assert.deepEqual(first.actions, [prodWeights(0), { type: 'createReplacementTaskSet' }]);
    assert.deepEqual(event(first.next, 'Install'), { lifecycleEventName: 'Install', status: 'InProgress', startTime: iso(T0) });
    assert.deepEqual(decideDeployment(first.next, observe({ now: T0 + MIN })).actions, [{ type: 'createReplacementTaskSet' }], 're-asks for the replacement until it is seen');
    const seen = decideDeployment(first.next, observe({ now: T0 + MIN, replacement: stabilizing() }));
    assert.equal(seen.next.replacementTaskSetId, REPLACEMENT_TS);
    assert.deepEqual(seen.actions, []);
    const notAll = decideDeployment(seen.next, observe({ now: T0 + 2 * MIN, replacement: steady({ runningCount: 1 }) }));
    assert.equal(notAll.next, seen.next, 'STEADY_STATE with fewer running than computedDesiredCount is not steady');
    const done = decideDeployment(seen.next, observe({ now: T0 + 3 * MIN, replacement: steady() }));
    assert.equal(event(done.next, 'Install').status, 'Succeeded');
    assert.equal(event(done.next, 'Install').endTime, iso(T0 + 3 * MIN));
  });
  it('fails with ECS_UPDATE_ERROR once max(3, computedDesiredCount) replacement tasks stopped', () => {
    const r = installed(deployment());
    const two = decideDeployment(r, observe({ replacement: stabilizing({ stoppedTasks: 2, computedDesiredCount: 1 }) }));
    assert.equal(two.next.status, 'InProgress');
    const three = decideDeployment(r, observe({ replacement: stabilizing({ stoppedTasks: 3, computedDesiredCount: 1 }) }));
    assert.equal(three.next.status, 'Failed');
    assert.deepEqual(three.next.errorInformation, { code: 'ECS_UPDATE_ERROR', message: `The replacement task set ${REPLACEMENT_TS} did not reach a steady state: 3 of its tasks stopped.` });
    assert.deepEqual(event(three.next, 'Install').diagnostics, { errorCode: 'UnknownError', scriptName: '', message: three.next.errorInformation!.message, logTail: '' });
    assert.deepEqual(three.actions, []);
    const ofFive = decideDeployment(r, observe({ replacement: stabilizing({ stoppedTasks: 4, computedDesiredCount: 5 }) }));
    assert.equal(ofFive.next.status, 'InProgress', 'a replacement of 5 fails at 5 stopped tasks');
    assert.equal(decideDeployment(r, observe({ replacement: stabilizing({ stoppedTasks: 5, computedDesiredCount: 5 }) })).next.status, 'Failed');
  });
  it(`fails with TIMEOUT when the replacement is not steady within ${INSTALL_TIMEOUT_MINUTES} minutes`, () => {
    const r = installed(deployment());
    const before = decideDeployment(r, observe({ now: T0 + INSTALL_TIMEOUT_MINUTES * MIN - 1, replacement: stabilizing() }));
    assert.equal(before.next.status, 'InProgress');
    const after = decideDeployment(r, observe({ now: T0 + INSTALL_TIMEOUT_MINUTES * MIN, replacement: stabilizing() }));
    assert.equal(after.next.status, 'Failed');
    assert.deepEqual(after.next.errorInformation, { code: 'TIMEOUT', message: 'The replacement task set did not reach a steady state within 60 minutes.' });
    assert.equal(event(after.next, 'Install').status, 'Failed');
    const neverSeen = decideDeployment(r, observe({ now: T0 + INSTALL_TIMEOUT_MINUTES * MIN }));
    assert.equal(neverSeen.next.errorInformation?.code, 'TIMEOUT', 'a replacement never seen times out too');
    assert.deepEqual(neverSeen.actions, []);
  });
  it('a crash between creating and saving: an already steady replacement moves on in the creating pass', () => {
    const d = decideDeployment(deployment(), observe({ replacement: steady() }));
    assert.equal(event(d.next, 'Install').status, 'Succeeded');
    assert.equal(d.next.status, 'Succeeded');
  });
});

describe('failures from the engine (actionError)', () => {
  it('fails the deployment at its current event with the action error', () => {
    const r = installed(deployment({ autoRollback: ROLLBACK_ON_FAILURE }));
    const d = decideDeployment(r, observe({ now: T0 + MIN, replacement: stabilizing(), actionError: { code: 'ECS_UPDATE_ERROR', message: 'CreateTaskSet: the task definition is INACTIVE.' } }));
    assert.equal(d.next.status, 'Failed');
    assert.deepEqual(d.next.errorInformation, { code: 'ECS_UPDATE_ERROR', message: 'CreateTaskSet: the task definition is INACTIVE.' });
    assert.deepEqual(d.next.statusMessages, ['CreateTaskSet: the task definition is INACTIVE.']);
    assert.deepEqual(event(d.next, 'Install'), {
      lifecycleEventName: 'Install',
      status: 'Failed',
      startTime: iso(T0),
      endTime: iso(T0 + MIN),
      diagnostics: { errorCode: 'UnknownError', scriptName: '', message: 'CreateTaskSet: the task definition is INACTIVE.', logTail: '' },
    });
    assert.equal(d.actions.length, 1);
    const rollback = d.actions[0];
    assert.ok(rollback.type === 'createDeployment');
    assert.equal(rollback.record.replacementTaskSetId, REPLACEMENT_TS, 'the replacement seen in the failing pass is handed to the rollback');
    assert.equal(decideDeployment(d.next, observe({ now: T0 + 2 * MIN })).next, d.next, 'a failed deployment is over');
  });
  it('an actionError on a Created deployment starts and fails it in one pass', () => {
    const d = decideDeployment(deployment(), observe({ actionError: { code: 'X', message: 'broken' } }));
    assert.equal(d.next.status, 'Failed');
    assert.equal(d.next.startTime, iso(T0));
    assert.deepEqual(statuses(d.next), ['Failed', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending']);
  });
});

describe('StopDeployment', () => {
  const stopAt = (r: DeploymentRecord, autoRollbackEnabled: boolean, now: number) => ({ ...r, stopRequest: { autoRollbackEnabled, at: iso(now) } });
  it('without rollback: Stopped, the running event Failed, pending ones stay, nothing else done', () => {
    const running = decideDeployment(installed(deployment({ hooks: { AfterInstall: 'fn' }, autoRollback: ROLLBACK_ON_FAILURE })), observe({ now: T0 + MIN, replacement: steady() })).next;
    assert.equal(event(running, 'AfterInstall').status, 'InProgress');
    const d = decideDeployment(stopAt(running, false, T0 + 2 * MIN), observe({ now: T0 + 2 * MIN, replacement: steady() }));
    assert.equal(d.next.status, 'Stopped');
    assert.equal(d.next.completeTime, iso(T0 + 2 * MIN));
    assert.deepEqual(d.next.errorInformation, { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user request.' });
    assert.deepEqual(d.next.statusMessages, ['The deployment was stopped by a user request.']);
    assert.deepEqual(statuses(d.next), ['Succeeded', 'Succeeded', 'Failed', 'Pending', 'Pending', 'Pending', 'Pending', 'Pending']);
    assert.deepEqual(event(d.next, 'AfterInstall').diagnostics, { errorCode: 'UnknownError', scriptName: '', message: 'The deployment was stopped.', logTail: '' });
    assert.deepEqual(d.actions, [], 'the group rollback setting is not what decides a stop');
    assert.equal(d.next.rollbackInfo, undefined);
  });
  it('with rollback: Stopped and a rollback deployment that says so', () => {
    const r = installed(deployment());
    const d = decideDeployment(stopAt(r, true, T0 + MIN), observe({ now: T0 + MIN }));
    const R = rollbackDeploymentIdOf(ID);
    assert.equal(d.next.status, 'Stopped');
    assert.deepEqual(d.next.rollbackInfo, { rollbackDeploymentId: R, rollbackMessage: `Deployment ${ID} was stopped and was rolled back by deployment ${R}.` });
    assert.equal(d.actions.length, 1);
    const a = d.actions[0];
    assert.ok(a.type === 'createDeployment');
    assert.equal(a.record.deploymentId, R);
    assert.equal(a.record.stopRequest, undefined);
    assert.equal(a.record.errorInformation, undefined);
    assert.equal(a.record.completeTime, undefined);
    assert.deepEqual(statuses(a.record), LIFECYCLE_ORDER.map(() => 'Pending'));
  });
  it('during TERMINATION_WAIT with rollback: the rollback sends all traffic back to the original, which still exists', () => {
    const world = new World();
    const r = drive(deployment({ blueGreen: blueGreen(undefined, { action: 'TERMINATE', wait: 30 }) }), world, { untilMinutes: 10 });
    assert.equal(r.status, 'InProgress');
    assert.ok(r.terminationWait);
    const d = decideDeployment(stopAt(r, true, world.now), world.observe());
    world.apply(d.actions);
    assert.equal(d.next.status, 'Stopped');
    assert.equal(world.rollbacks.length, 1);
    const rb = decideDeployment(world.rollbacks[0], world.observe());
    world.apply(rb.actions);
    assert.equal(rb.next.status, 'Succeeded');
    assert.equal(world.weight.get(PROD), 0);
    assert.equal(world.weight.get(TEST), 0);
    assert.equal(world.primary, ORIGINAL_TS);
    assert.equal(world.replacement, undefined);
  });
});

describe('CloudWatch alarms (alarmConfiguration)', () => {
  const watching = (v: Partial<DeploymentRecord> = {}) =>
    deployment({ alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: 'web-5xx' }] }, ...v });
  const alarm = (state: 'OK' | 'ALARM' | 'INSUFFICIENT_DATA', transitionedAt: number) => ({ 'web-5xx': { state, transitionedAt } });

  it('an alarm entering ALARM after the deployment started stops it (ALARM_ACTIVE) and rolls back with DEPLOYMENT_STOP_ON_ALARM', () => {
    const r = installed(watching({ autoRollback: { enabled: true, events: ['DEPLOYMENT_STOP_ON_ALARM'] } }));
    const quiet = decideDeployment(r, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: alarm('OK', T0 - MIN) }));
    assert.equal(quiet.next.status, 'InProgress', 'an alarm in OK changes nothing');
    const d = decideDeployment(quiet.next, observe({ now: T0 + 2 * MIN, replacement: stabilizing(), alarms: alarm('ALARM', T0 + 90_000) }));
    assert.equal(d.next.status, 'Stopped');
    assert.equal(d.next.errorInformation?.code, 'ALARM_ACTIVE');
    assert.match(d.next.errorInformation!.message, /Activated alarms: web-5xx$/);
    assert.equal(d.actions.length, 1);
    assert.equal(d.actions[0].type, 'createDeployment');
    assert.equal(d.next.rollbackInfo?.rollbackDeploymentId, rollbackDeploymentIdOf(ID));
  });

  it('without DEPLOYMENT_STOP_ON_ALARM the deployment stops but is not rolled back', () => {
    const r = installed(watching({ autoRollback: ROLLBACK_ON_FAILURE }));
    const d = decideDeployment(r, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: alarm('ALARM', T0 + 30_000) }));
    assert.equal(d.next.status, 'Stopped');
    assert.deepEqual(d.actions, []);
  });

  it('an alarm already in ALARM when the deployment started does not stop it; nor does one the deployment does not watch', () => {
    const r = installed(watching());
    const already = decideDeployment(r, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: alarm('ALARM', T0 - 5 * MIN) }));
    assert.equal(already.next.status, 'InProgress');
    const off = installed(deployment({ alarmConfiguration: { enabled: false, ignorePollAlarmFailure: false, alarms: [{ name: 'web-5xx' }] } }));
    assert.equal(decideDeployment(off, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: alarm('ALARM', T0 + 1) })).next.status, 'InProgress');
  });

  it('an alarm CloudWatch does not have stops the deployment unless ignorePollAlarmFailure', () => {
    const missing = { 'web-5xx': null };
    const r = installed(watching());
    assert.equal(decideDeployment(r, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: missing })).next.status, 'Stopped');
    const lenient = installed(watching({ alarmConfiguration: { enabled: true, ignorePollAlarmFailure: true, alarms: [{ name: 'web-5xx' }] } }));
    assert.equal(decideDeployment(lenient, observe({ now: T0 + MIN, replacement: stabilizing(), alarms: missing })).next.status, 'InProgress');
  });
});

describe('READY_WAIT (STOP_DEPLOYMENT)', () => {
  const ready = (wait: number, autoRollback = NO_ROLLBACK) => {
    const d = decideDeployment(installed(deployment({ blueGreen: blueGreen({ wait }), autoRollback })), observe({ replacement: steady() }));
    return d;
  };
  it('holds in status Ready before AllowTraffic until the wait ends', () => {
    const d = ready(30);
    assert.equal(d.next.status, 'Ready');
    assert.deepEqual(d.next.readyWait, { until: iso(T0 + 30 * MIN), continued: false });
    assert.deepEqual(d.actions, [testWeights(100)], 'test traffic is on the replacement while it waits');
    assert.equal(event(d.next, 'BeforeAllowTraffic').status, 'Succeeded');
    assert.equal(event(d.next, 'AllowTraffic').status, 'Pending');
    const later = decideDeployment(d.next, observe({ now: T0 + 30 * MIN - 1, replacement: steady() }));
    assert.equal(later.next, d.next);
    assert.deepEqual(later.actions, []);
  });
  it('ContinueDeployment(READY_WAIT): back to InProgress and AllowTraffic starts in the same pass', () => {
    const d = ready(30);
    const continued = { ...d.next, readyWait: { ...d.next.readyWait!, continued: true } };
    const c = decideDeployment(continued, observe({ now: T0 + 5 * MIN, replacement: steady() }));
    assert.equal(c.next.status, 'Succeeded');
    assert.deepEqual(c.actions, [prodWeights(100), { type: 'makePrimary', taskSetId: REPLACEMENT_TS }, { type: 'deleteTaskSet', taskSetId: ORIGINAL_TS }]);
  });
  it('stops the deployment when the wait ends, rolling back iff auto rollback is enabled', () => {
    const noRollback = decideDeployment(ready(30).next, observe({ now: T0 + 30 * MIN, replacement: steady() }));
    assert.equal(noRollback.next.status, 'Stopped');
    assert.deepEqual(noRollback.next.errorInformation, { code: 'TIMEOUT', message: 'The deployment timed out while waiting for the replacement to be allowed traffic (READY_WAIT).' });
    assert.deepEqual(noRollback.next.statusMessages, [noRollback.next.errorInformation!.message]);
    assert.equal(event(noRollback.next, 'AllowTraffic').status, 'Pending');
    assert.deepEqual(noRollback.actions, []);
    const enabled = { enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] };
    const rolled = decideDeployment(ready(30, enabled).next, observe({ now: T0 + 31 * MIN, replacement: steady() }));
    assert.equal(rolled.next.status, 'Stopped');
    assert.deepEqual(rolled.actions.map((a) => a.type), ['createDeployment']);
    assert.match(rolled.next.rollbackInfo!.rollbackMessage!, /was stopped and was rolled back/);
  });
  it('a wait of 0 minutes is over at once', () => {
    const d = ready(0);
    assert.equal(d.next.status, 'Stopped');
    assert.equal(d.next.errorInformation?.code, 'TIMEOUT');
  });
  it('StopDeployment while Ready stops it', () => {
    const d = ready(30);
    const s = decideDeployment({ ...d.next, stopRequest: { autoRollbackEnabled: false, at: iso(T0 + MIN) } }, observe({ now: T0 + MIN, replacement: steady() }));
    assert.equal(s.next.status, 'Stopped');
    assert.equal(s.next.errorInformation?.code, 'MANUAL_STOP');
  });
});

describe('TERMINATION_WAIT and KEEP_ALIVE', () => {
  const shifted = (termination: { action: 'TERMINATE' | 'KEEP_ALIVE'; wait?: number }) =>
    decideDeployment(installed(deployment({ blueGreen: blueGreen(undefined, termination) })), observe({ replacement: steady() }));
  it('TERMINATE with a wait: makes the replacement PRIMARY, waits, then deletes the original', () => {
    const d = shifted({ action: 'TERMINATE', wait: 30 });
    assert.deepEqual(d.actions.slice(-1), [{ type: 'makePrimary', taskSetId: REPLACEMENT_TS }]);
    assert.equal(d.next.status, 'InProgress');
    assert.deepEqual(d.next.terminationWait, { until: iso(T0 + 30 * MIN), continued: false });
    assert.equal(d.next.instanceTerminationWaitTimeStarted, true);
    assert.deepEqual(statuses(d.next), LIFECYCLE_ORDER.map(() => 'Succeeded'));
    const waiting = decideDeployment(d.next, observe({ now: T0 + 30 * MIN - 1, replacement: steady() }));
    assert.equal(waiting.next, d.next);
    assert.deepEqual(waiting.actions, [], 'makePrimary is asked for once');
    const over = decideDeployment(d.next, observe({ now: T0 + 30 * MIN, replacement: steady() }));
    assert.deepEqual(over.actions, [{ type: 'deleteTaskSet', taskSetId: ORIGINAL_TS }]);
    assert.equal(over.next.status, 'Succeeded');
    assert.equal(over.next.completeTime, iso(T0 + 30 * MIN));
  });
  it('ContinueDeployment(TERMINATION_WAIT) deletes the original early', () => {
    const d = shifted({ action: 'TERMINATE', wait: 30 });
    const c = decideDeployment({ ...d.next, terminationWait: { ...d.next.terminationWait!, continued: true } }, observe({ now: T0 + MIN, replacement: steady() }));
    assert.deepEqual(c.actions, [{ type: 'deleteTaskSet', taskSetId: ORIGINAL_TS }]);
    assert.equal(c.next.status, 'Succeeded');
  });
  it('TERMINATE with no wait deletes the original in the same pass', () => {
    const d = shifted({ action: 'TERMINATE', wait: 0 });
    assert.deepEqual(d.actions.slice(-2), [
      { type: 'makePrimary', taskSetId: REPLACEMENT_TS },
      { type: 'deleteTaskSet', taskSetId: ORIGINAL_TS },
    ]);
    assert.equal(d.next.status, 'Succeeded');
  });
  it('KEEP_ALIVE keeps the original, scaled to 0 %', () => {
    const d = shifted({ action: 'KEEP_ALIVE' });
    assert.deepEqual(d.actions.slice(-2), [
      { type: 'makePrimary', taskSetId: REPLACEMENT_TS },
      { type: 'scaleTaskSet', taskSetId: ORIGINAL_TS, percent: 0 },
    ]);
    assert.equal(d.next.status, 'Succeeded');
    assert.equal(d.next.terminationWait, undefined);
    assert.equal(d.next.instanceTerminationWaitTimeStarted, false);
  });
});

describe('rollback deployments', () => {
  const rollbackOf = (r: DeploymentRecord) => {
    const d = decideDeployment({ ...r, stopRequest: { autoRollbackEnabled: true, at: iso(T0 + MIN) } }, observe({ now: T0 + MIN, replacement: steady() }));
    const a = d.actions.find((x) => x.type === 'createDeployment');
    assert.ok(a?.type === 'createDeployment');
    return a.record;
  };
  it('sends all traffic back to the original, makes it PRIMARY and deletes the replacement, in one pass', () => {
    const rb = rollbackOf(installed(deployment()));
    const d = decideDeployment(rb, observe({ now: T0 + 2 * MIN }));
    assert.deepEqual(d.actions, [testWeights(0), prodWeights(0), { type: 'makePrimary', taskSetId: ORIGINAL_TS }, { type: 'deleteTaskSet', taskSetId: REPLACEMENT_TS }]);
    assert.equal(d.next.status, 'Succeeded');
    assert.equal(d.next.startTime, iso(T0 + MIN));
    assert.equal(d.next.completeTime, iso(T0 + 2 * MIN));
    assert.deepEqual(d.next.traffic, { replacementWeight: 0 });
    assert.deepEqual(statuses(d.next), ['Skipped', 'Succeeded', 'Skipped', 'Succeeded', 'Skipped', 'Skipped', 'Succeeded', 'Skipped']);
    assert.equal(event(d.next, 'AllowTraffic').endTime, iso(T0 + 2 * MIN));
    assert.equal(decideDeployment(d.next, observe({ now: T0 + 3 * MIN })).next, d.next);
  });
  it('runs no hooks, and deletes no replacement it does not know of; no test weights without a test listener', () => {
    const stopped = decideDeployment(
      { ...deployment({ hooks: { BeforeInstall: 'fn' }, testListenerArns: [] }), stopRequest: { autoRollbackEnabled: true, at: iso(T0) } },
      observe(),
    );
    const a = stopped.actions[0];
    assert.ok(a.type === 'createDeployment');
    const d = decideDeployment(a.record, observe());
    assert.deepEqual(d.actions, [prodWeights(0), { type: 'makePrimary', taskSetId: ORIGINAL_TS }]);
  });
  it('fails when the original task set is gone', () => {
    const rb = rollbackOf(installed(deployment()));
    const d = decideDeployment(rb, observe({ now: T0 + 2 * MIN, original: undefined }));
    assert.equal(d.next.status, 'Failed');
    assert.deepEqual(d.next.errorInformation, { code: 'ECS_UPDATE_ERROR', message: `The original task set ${ORIGINAL_TS} no longer exists; traffic cannot be rolled back.` });
    assert.deepEqual(d.actions, []);
  });
  it('fails with an action error, and never rolls itself back', () => {
    const rb = { ...rollbackOf(installed(deployment())), autoRollback: ROLLBACK_ON_FAILURE };
    const d = decideDeployment(rb, observe({ now: T0 + 2 * MIN, actionError: { code: 'ECS_UPDATE_ERROR', message: 'UpdateServicePrimaryTaskSet failed.' } }));
    assert.equal(d.next.status, 'Failed');
    assert.deepEqual(d.next.errorInformation, { code: 'ECS_UPDATE_ERROR', message: 'UpdateServicePrimaryTaskSet failed.' });
    assert.deepEqual(d.actions, []);
  });
});

describe('purity and ids', () => {
  it('rollbackDeploymentIdOf is an AWS-shaped id, the same for the same deployment', () => {
    assert.match(rollbackDeploymentIdOf(ID), /^d-[A-Z0-9]{9}$/);
    assert.equal(rollbackDeploymentIdOf(ID), rollbackDeploymentIdOf(ID));
    assert.notEqual(rollbackDeploymentIdOf(ID), rollbackDeploymentIdOf('d-ABCDEFGH2'));
    assert.notEqual(rollbackDeploymentIdOf(ID), ID);
  });
  it('never changes the record it is given; returns it as is when nothing changes', () => {
    const r = installed(deployment({ trafficRouting: linear(10, 1) }));
    const frozen = structuredClone(r);
    decideDeployment(r, observe({ now: T0 + 5 * MIN, replacement: steady() }));
    assert.deepEqual(r, frozen);
    for (const status of ['Succeeded', 'Failed', 'Stopped'] as const) {
      const done = { ...r, status };
      assert.deepEqual(decideDeployment(done, observe({ actionError: { code: 'X', message: 'y' } })), { next: done, actions: [] });
    }
  });
});

// ---- properties ----

type HookPlan = { outcome: 'Succeeded' | 'Failed' | 'silent'; afterPasses: number } | null;
interface Scenario {
  timeScale: number;
  routing: TrafficRoutingConfig;
  test: boolean;
  hooks: Record<HookEventName, HookPlan>;
  replacement: { desired: number; fate: 'steady' | 'crashloop' | 'stuck'; afterPasses: number };
  ready: { wait: number; continueAfterPasses: number | null } | null;
  termination: { action: 'KEEP_ALIVE' } | { action: 'TERMINATE'; wait: number; continueAfterPasses: number | null };
  autoRollback: { enabled: boolean; events: string[] };
  stop: { atPass: number; rollback: boolean } | null;
  actionErrorAtPass: number | null;
  stepsMinutes: number[];
}

const hookPlan: fc.Arbitrary<HookPlan> = fc.option(
  fc.record({
    outcome: fc.oneof({ arbitrary: fc.constant('Succeeded' as const), weight: 6 }, { arbitrary: fc.constant('Failed' as const), weight: 1 }, { arbitrary: fc.constant('silent' as const), weight: 1 }),
    afterPasses: fc.integer({ min: 0, max: 3 }),
  }),
  { nil: null },
);
const scenarios: fc.Arbitrary<Scenario> = fc.record({
  timeScale: fc.constantFrom(1, 60),
  routing: fc.oneof(
    fc.constant(ALL_AT_ONCE),
    fc.tuple(fc.integer({ min: 1, max: 99 }), fc.integer({ min: 1, max: 10 })).map(([p, i]) => canary(p, i)),
    fc.tuple(fc.integer({ min: 10, max: 99 }), fc.integer({ min: 1, max: 10 })).map(([p, i]) => linear(p, i)),
  ),
  test: fc.boolean(),
  hooks: fc.record({ BeforeInstall: hookPlan, AfterInstall: hookPlan, AfterAllowTestTraffic: hookPlan, BeforeAllowTraffic: hookPlan, AfterAllowTraffic: hookPlan }),
  replacement: fc.record({
    desired: fc.integer({ min: 1, max: 4 }),
    fate: fc.oneof({ arbitrary: fc.constant('steady' as const), weight: 6 }, { arbitrary: fc.constant('crashloop' as const), weight: 1 }, { arbitrary: fc.constant('stuck' as const), weight: 1 }),
    afterPasses: fc.integer({ min: 0, max: 3 }),
  }),
  ready: fc.option(fc.record({ wait: fc.integer({ min: 0, max: 30 }), continueAfterPasses: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) }), { nil: null }),
  termination: fc.oneof(
    fc.constant({ action: 'KEEP_ALIVE' as const }),
    fc.record({ action: fc.constant('TERMINATE' as const), wait: fc.integer({ min: 0, max: 30 }), continueAfterPasses: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) }),
  ),
  autoRollback: fc.record({ enabled: fc.boolean(), events: fc.subarray(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']) }),
  stop: fc.option(fc.record({ atPass: fc.integer({ min: 0, max: 30 }), rollback: fc.boolean() }), { nil: null }),
  actionErrorAtPass: fc.option(fc.integer({ min: 0, max: 30 }), { nil: null }),
  stepsMinutes: fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 8 }),
});

/** The longest a scenario can take in deployment minutes (every wait to its limit), so passes are bounded by it (each advances >= 1 minute). */
function maxMinutes(s: Scenario): number {
  const routing = s.routing.timeBasedCanary ? s.routing.timeBasedCanary.canaryInterval : s.routing.timeBasedLinear ? Math.ceil(100 / s.routing.timeBasedLinear.linearPercentage) * s.routing.timeBasedLinear.linearInterval : 0;
  return HOOK_EVENTS.length * HOOK_TIMEOUT_MINUTES + INSTALL_TIMEOUT_MINUTES + (s.ready?.wait ?? 0) + routing + (s.termination.action === 'TERMINATE' ? s.termination.wait : 0);
}

interface Run {
  end: DeploymentRecord;
  world: World;
  passes: number;
  decisions: { record: DeploymentRecord; obs: DeploymentObservation; decision: DeploymentDecision }[];
}

/** Drives a scenario to its end: the API's stop and continue requests, the world's answers, time advancing. */
function run(s: Scenario): Run {
  let stoppedSoFar = 0;
  const world = new World(s.timeScale, () => taskSet(REPLACEMENT_TS, { computedDesiredCount: s.replacement.desired, runningCount: 0, stabilityStatus: 'STABILIZING' }));
  const hooks: Partial<Record<HookEventName, string>> = {};
  for (const e of HOOK_EVENTS) if (s.hooks[e]) hooks[e] = `fn-${e}`;
  let r = deployment({
    hooks,
    trafficRouting: s.routing,
    testListenerArns: s.test ? [TEST] : [],
    blueGreen: blueGreen(s.ready ? { wait: s.ready.wait } : undefined, s.termination.action === 'KEEP_ALIVE' ? { action: 'KEEP_ALIVE' } : { action: 'TERMINATE', wait: s.termination.wait }),
    autoRollback: s.autoRollback,
  });
  const invokedAt = new Map<string, number>();
  let passesSinceCreated = 0;
  let readyPasses = 0;
  let terminationPasses = 0;
  const decisions: Run['decisions'] = [];
  const bound = maxMinutes(s) + 50;
  let pass = 0;
  for (; pass < bound && !terminal(r); pass++) {
    // The API: StopDeployment and ContinueDeployment edit the stored record between passes.
    if (s.stop && pass === s.stop.atPass) r = { ...r, stopRequest: { autoRollbackEnabled: s.stop.rollback, at: iso(world.now) } };
    if (r.status === 'Ready' && s.ready?.continueAfterPasses != null && readyPasses++ >= s.ready.continueAfterPasses) r = { ...r, readyWait: { ...r.readyWait!, continued: true } };
    if (r.terminationWait && s.termination.action === 'TERMINATE' && s.termination.continueAfterPasses != null && terminationPasses++ >= s.termination.continueAfterPasses) {
      r = { ...r, terminationWait: { ...r.terminationWait, continued: true } };
    }
    // The world: the replacement's tasks and the hooks' reports.
    if (world.replacement) {
      passesSinceCreated++;
      const { fate, afterPasses, desired } = s.replacement;
      if (fate === 'steady' && passesSinceCreated > afterPasses) world.replacement = { ...world.replacement, runningCount: desired, pendingCount: 0, stabilityStatus: 'STEADY_STATE' };
      if (fate === 'crashloop') world.replacement = { ...world.replacement, stoppedTasks: ++stoppedSoFar };
    }
    for (const h of world.invoked) {
      const plan = s.hooks[h.event]!;
      if (world.hooks[h.executionId] === 'Pending' && plan.outcome !== 'silent' && pass - invokedAt.get(h.executionId)! > plan.afterPasses) world.hooks[h.executionId] = plan.outcome;
    }
    const obs = world.observe(pass === s.actionErrorAtPass ? { actionError: { code: 'ECS_UPDATE_ERROR', message: 'An action failed.' } } : {});
    const decision = decideDeployment(r, obs);
    decisions.push({ record: r, obs, decision });
    const before = world.invoked.length;
    world.apply(decision.actions);
    for (const h of world.invoked.slice(before)) invokedAt.set(h.executionId, pass);
    r = decision.next;
    world.now += minutesToMs(s.stepsMinutes[pass % s.stepsMinutes.length], s.timeScale);
  }
  return { end: r, world, passes: pass, decisions };
}

const prodWeightsOf = (actions: DeploymentAction[]) => actions.flatMap((a) => (a.type === 'setWeights' && a.listenerArns.includes(PROD) ? [a.weights[1].weight] : []));

describe('properties of a deployment driven to its end', () => {
  const runs = { numRuns: 150 };
  it('ends (Succeeded, Failed or Stopped) within a bounded number of passes, every setWeights naming both groups summing to 100', () => {
    fc.assert(
      fc.property(scenarios, (s) => {
        const { end, passes } = run(s);
        assert.ok(terminal(end), `still ${end.status} after ${passes} passes`);
        assert.ok(passes <= maxMinutes(s) + 50);
      }),
      runs,
    );
  });
  it('production weights never decrease and stay within 0..100; the record agrees with the listeners', () => {
    fc.assert(
      fc.property(scenarios, (s) => {
        const { decisions, world } = run(s);
        const shifts = decisions.flatMap((d) => prodWeightsOf(d.decision.actions));
        for (let i = 1; i < shifts.length; i++) assert.ok(shifts[i] >= shifts[i - 1], `weights ${shifts}`);
        for (const { decision } of decisions) {
          const w = decision.next.traffic.replacementWeight;
          assert.ok(w >= 0 && w <= 100);
        }
        const last = decisions.at(-1)!.decision.next;
        assert.equal(world.weight.get(PROD), last.traffic.replacementWeight);
      }),
      runs,
    );
  });
  it('the test listener sends everything to the replacement before production sends it anything', () => {
    fc.assert(
      fc.property(
        scenarios.filter((s) => s.test),
        (s) => {
          const { world } = run(s);
          const firstProd = world.timeline.findIndex((t) => t.startsWith('setWeights prod') && t !== 'setWeights prod 0');
          if (firstProd >= 0) assert.ok(world.timeline.slice(0, firstProd).includes('setWeights test 100'), world.timeline.join(', '));
        },
      ),
      runs,
    );
  });
  it('hooks are invoked in lifecycle order, at most once each', () => {
    fc.assert(
      fc.property(scenarios, (s) => {
        const { world } = run(s);
        const order = world.invoked.map((h) => LIFECYCLE_ORDER.indexOf(h.event));
        for (let i = 1; i < order.length; i++) assert.ok(order[i] > order[i - 1], world.invoked.map((h) => h.event).join(', '));
        for (const h of world.invoked) assert.equal(h.executionId, hookExecutionId(ID, h.event));
      }),
      runs,
    );
  });
  it('a second pass on the same observation changes nothing and asks for nothing new (at most the replacement again)', () => {
    fc.assert(
      fc.property(scenarios, (s) => {
        for (const { obs, decision } of run(s).decisions) {
          const again = decideDeployment(decision.next, obs);
          assert.equal(again.next, decision.next);
          assert.ok(again.actions.every((a) => a.type === 'createReplacementTaskSet'), JSON.stringify(again.actions));
        }
      }),
      runs,
    );
  });
  it('leaves the world as AWS would: all on the replacement when Succeeded, all back on the original after a rollback', () => {
    fc.assert(
      fc.property(scenarios, (s) => {
        const { end, world } = run(s);
        if (end.status === 'Succeeded') {
          assert.equal(world.weight.get(PROD), 100);
          if (s.test) assert.equal(world.weight.get(TEST), 100);
          assert.equal(world.primary, REPLACEMENT_TS);
          if (s.termination.action === 'KEEP_ALIVE') assert.equal(world.scaled[ORIGINAL_TS], 0);
          else assert.equal(world.original, undefined);
          assert.deepEqual(world.rollbacks, []);
          return;
        }
        const rollback = end.status === 'Stopped' ? end.errorInformation?.code === 'MANUAL_STOP' ? s.stop!.rollback : s.autoRollback.enabled : s.autoRollback.enabled && s.autoRollback.events.includes('DEPLOYMENT_FAILURE');
        assert.equal(world.rollbacks.length, rollback ? 1 : 0);
        assert.equal(end.rollbackInfo?.rollbackDeploymentId, rollback ? rollbackDeploymentIdOf(ID) : undefined);
        if (!rollback) return;
        const replacementExisted = world.replacement !== undefined;
        const rb = decideDeployment(world.rollbacks[0], world.observe());
        world.apply(rb.actions);
        assert.equal(rb.next.status, 'Succeeded');
        assert.equal(world.weight.get(PROD), 0);
        assert.equal(world.weight.get(TEST), 0);
        assert.equal(world.primary, ORIGINAL_TS);
        if (replacementExisted) assert.equal(world.replacement, undefined, 'the rollback removes the replacement');
        assert.ok(world.original !== undefined);
      }),
      runs,
    );
  });
});
