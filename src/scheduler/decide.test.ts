import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideService, isHealthy, NO_THROTTLE, type DeploymentView, type ServiceActions, type ServiceInput, type TaskObservation } from './decide.js';
import { circuitBreakerThreshold, deploymentAlarmBakeMs, maxTasks, minHealthyTasks } from './limits.js';

const V1 = 'ecs-svc/1000000000000000001';
const V2 = 'ecs-svc/2000000000000000002';
const V3 = 'ecs-svc/3000000000000000003';
const NOW = 1_000_000;

function dep(id: string, status: DeploymentView['status'], v: Partial<DeploymentView> = {}): DeploymentView {
  return { id, status, taskDefinition: `arn:aws:ecs:us-east-1:000000000000:task-definition/web:${id.slice(-1)}`, desiredCount: 4, rolloutState: status === 'PRIMARY' ? 'IN_PROGRESS' : 'COMPLETED', failedTasks: 0, createdAt: Number(id.slice(-1)), ...v };
}

let seq = 0;
function task(startedBy: string, v: Partial<TaskObservation> = {}): TaskObservation {
  seq++;
  return { taskArn: `arn:aws:ecs:us-east-1:000000000000:task/c/t${seq}`, startedBy, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'HEALTHY', startedAt: 0, reachedRunning: true, acknowledged: false, ...v };
}
const tasks = (n: number, startedBy: string, v: Partial<TaskObservation> = {}) => Array.from({ length: n }, () => task(startedBy, v));
const failed = (startedBy: string) => task(startedBy, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', healthStatus: 'UNKNOWN', reachedRunning: false, stopCode: 'EssentialContainerExited', startedAt: undefined });

function input(v: { desired?: number; min?: number; max?: number; cb?: { enable: boolean; rollback: boolean } } & Partial<ServiceInput> = {}): ServiceInput {
  const { desired = 4, min = 100, max = 200, cb = { enable: false, rollback: false }, ...rest } = v;
  return {
    service: { serviceName: 'web', desiredCount: desired, schedulingStrategy: 'REPLICA', deploymentConfiguration: { minimumHealthyPercent: min, maximumPercent: max, deploymentCircuitBreaker: cb }, healthCheckGracePeriodSeconds: 30 },
    deployments: [dep(V1, 'PRIMARY')],
    tasks: [],
    capacity: 1000,
    throttle: NO_THROTTLE,
    now: NOW,
    ...rest,
  };
}
const rollout = (desired: number, min: number, max: number, oldTasks = desired) =>
  input({ desired, min, max, deployments: [dep(V2, 'PRIMARY', { desiredCount: desired }), dep(V1, 'ACTIVE')], tasks: tasks(oldTasks, V1) });
const stopped = (a: ServiceActions) => a.stop.length + a.replace.length;

describe('rolling math', () => {
  const cases: [desired: number, min: number, max: number, place: number, stop: number][] = [
    [4, 50, 200, 4, 2], // desired 4, min 50: 2 may stop first
    [4, 50, 100, 0, 2],
    [4, 100, 200, 4, 0],
    [3, 100, 125, 0, 0], // max 125 with desired 3: none may start (floor 3.75 = 3) — the stall
    [10, 90, 110, 1, 1],
    [1, 0, 100, 0, 1],
  ];
  for (const [desired, min, max, place, stop] of cases) {
    it(`desired ${desired}, min ${min}, max ${max}: places ${place}, stops ${stop}`, () => {
      const a = decideService(rollout(desired, min, max));
      assert.equal(a.place[V2] ?? 0, place);
      assert.equal(a.stop.length, stop);
      assert.ok(a.stop.every((s) => s.reason === 'deployment'));
    });
  }
  it('rounds minimumHealthyPercent up and maximumPercent down', () => {
    assert.equal(minHealthyTasks(3, 67), 3);
    assert.equal(minHealthyTasks(4, 50), 2);
    assert.equal(minHealthyTasks(3, 50), 2);
    assert.equal(maxTasks(3, 125), 3);
    assert.equal(maxTasks(4, 125), 5);
    assert.equal(maxTasks(3, 150), 4);
  });
  it('stalls with ECS event when the configuration allows neither a start nor a stop', () => {
    const a = decideService(rollout(3, 100, 125));
    assert.deepEqual(a.place, {});
    assert.equal(stopped(a), 0);
    assert.deepEqual(a.events, [
      '(service web) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.',
    ]);
  });
  it('does not call it a stall while tasks are still starting', () => {
    const i = rollout(3, 100, 125, 2);
    const a = decideService({ ...i, tasks: [...i.tasks, task(V2, { lastStatus: 'PENDING', healthStatus: 'UNKNOWN', reachedRunning: false })] });
    assert.deepEqual(a.events, []);
  });
  it('does not call it a stall in a round that starts a task (max 150 of 3: one at a time)', () => {
    const deployments = [dep(V2, 'PRIMARY', { desiredCount: 3 }), dep(V1, 'ACTIVE')];
    const gone = task(V1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' });
    const a = decideService(input({ desired: 3, min: 100, max: 150, deployments, tasks: [...tasks(2, V1), task(V2), gone] }));
    assert.deepEqual(a.place, { [V2]: 1 });
    assert.deepEqual(a.stop, []);
    assert.deepEqual(a.events, []);
  });
  it('stops old tasks that are not healthy without touching the healthy floor', () => {
    const i = rollout(2, 100, 100, 1);
    const pending = task(V1, { lastStatus: 'PENDING', reachedRunning: false });
    const a = decideService({ ...i, tasks: [...i.tasks, pending] });
    assert.deepEqual(a.stop, [{ taskArn: pending.taskArn, reason: 'deployment' }]);
  });
  it('says which tasks it stopped in ECS words', () => {
    const a = decideService(rollout(1, 0, 100));
    assert.match(a.events[0], /^\(service web\) has stopped 1 running tasks: \(task t\d+\)\.$/);
  });
});

describe('scale in and out, completion, steady state', () => {
  it('places the missing tasks of a new service', () => {
    assert.deepEqual(decideService(input()).place, { [V1]: 4 });
  });
  it('never places beyond the capacity, and says so', () => {
    const a = decideService(input({ capacity: 2, tasks: tasks(1, V1) }));
    assert.deepEqual(a.place, { [V1]: 1 });
    const b = decideService(input({ capacity: 1, tasks: tasks(1, V1) }));
    assert.deepEqual(b.place, {});
    assert.deepEqual(b.events, ['(service web) was unable to place a task because no container instance met all of its requirements.']);
  });
  it('names the closest container instance and the constraint it fails when placement constraints limit the capacity', () => {
    const unplaced = { containerInstanceId: '0123456789abcdef0123456789abcdef', error: 'DistinctInstance placement constraint unsatisfied.' };
    const a = decideService(input({ capacity: 1, unplaced, tasks: tasks(1, V1) }));
    assert.deepEqual(a.events, [
      '(service web) was unable to place a task because no container instance met all of its requirements. ' +
        'The closest matching container-instance 0123456789abcdef0123456789abcdef encountered error "DistinctInstance placement constraint unsatisfied.".',
    ]);
    const none = decideService(input({ capacity: 0, unplaced: { ...unplaced, error: 'MemberOf placement constraint unsatisfied.' } }));
    assert.deepEqual(none.place, {});
    assert.match(none.events[0], /encountered error "MemberOf placement constraint unsatisfied\."\.$/);
  });
  it('scales in, pending and newest tasks first', () => {
    const old = task(V1, { startedAt: 1 });
    const newest = task(V1, { startedAt: 9 });
    const pending = task(V1, { lastStatus: 'PENDING', reachedRunning: false, startedAt: undefined });
    const a = decideService(input({ desired: 1, tasks: [old, newest, pending] }));
    assert.deepEqual(a.stop, [
      { taskArn: pending.taskArn, reason: 'scale-in' },
      { taskArn: newest.taskArn, reason: 'scale-in' },
    ]);
  });
  it('completes the rollout once the PRIMARY alone runs desiredCount healthy tasks, and retires the old deployment', () => {
    const a = decideService(input({ deployments: [dep(V2, 'PRIMARY'), dep(V1, 'ACTIVE')], tasks: tasks(4, V2) }));
    assert.deepEqual(a.deploymentUpdates, [
      { deploymentId: V2, rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${V2} completed.` },
      { deploymentId: V1, status: 'INACTIVE' },
    ]);
    assert.deepEqual(a.events, [`(service web) (deployment ${V2}) deployment completed.`, '(service web) has reached a steady state.']);
  });
  it('reports a steady state and nothing else when nothing changes', () => {
    const a = decideService(input({ deployments: [dep(V1, 'PRIMARY', { rolloutState: 'COMPLETED' })], tasks: tasks(4, V1) }));
    assert.deepEqual({ ...a, throttle: undefined }, { place: {}, stop: [], replace: [], deploymentUpdates: [], acknowledge: [], throttle: undefined, events: ['(service web) has reached a steady state.'] });
  });
});

describe('replacement', () => {
  const unhealthy = (startedAt: number) => task(V1, { healthStatus: 'UNHEALTHY', startedAt });
  it('leaves an UNHEALTHY task alone inside the grace period', () => {
    const a = decideService(input({ desired: 1, tasks: [unhealthy(NOW - 29_000)] }));
    assert.deepEqual(a.replace, []);
  });
  it('replaces an UNHEALTHY task after the grace period; at maximumPercent 100 a later round places its successor', () => {
    const t = unhealthy(NOW - 31_000);
    const a = decideService(input({ desired: 1, max: 100, tasks: [t] }));
    assert.deepEqual(a.replace, [{ taskArn: t.taskArn, deploymentId: V1 }]);
    assert.deepEqual(a.place, {});
    const b = decideService(input({ desired: 1, max: 100, tasks: [{ ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' }] }));
    assert.deepEqual(b.place, { [V1]: 1 });
    assert.deepEqual(b.acknowledge, [t.taskArn]);
    assert.deepEqual(b.deploymentUpdates, [{ deploymentId: V1, failedTasks: 1 }]);
    assert.equal(b.replacedUnhealthy, 1);
    // Counted by the reason the scheduler gave, even if the stopped task's health no longer reads UNHEALTHY.
    const reasonOnly = { ...t, lastStatus: 'STOPPED' as const, desiredStatus: 'STOPPED' as const, stopCode: 'ServiceSchedulerInitiated' as const, healthStatus: 'UNKNOWN' as const };
    const c = decideService(input({ desired: 1, max: 100, tasks: [{ ...reasonOnly, stoppedReason: 'Task failed container health checks' }] }));
    assert.deepEqual(c.deploymentUpdates, [{ deploymentId: V1, failedTasks: 1 }]);
    assert.deepEqual(decideService(input({ desired: 1, max: 100, tasks: [{ ...reasonOnly, stoppedReason: `Scaling activity initiated by (deployment ${V1})` }] })).deploymentUpdates, []);
  });
  it('replaces a task that died', () => {
    const dead = task(V1, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', healthStatus: 'UNKNOWN' });
    const a = decideService(input({ desired: 2, tasks: [task(V1), dead] }));
    assert.deepEqual(a.place, { [V1]: 1 });
    assert.deepEqual(a.deploymentUpdates, [], 'a task that ran and exited is not a failure to start');
    assert.equal(a.replacedUnhealthy, undefined, 'it did not fail a health check');
  });
  it('places the successor at once when maximumPercent leaves room', () => {
    const t = unhealthy(NOW - 31_000);
    const a = decideService(input({ desired: 1, max: 200, tasks: [t] }));
    assert.deepEqual(a.place, { [V1]: 1 });
    assert.equal(a.replacedUnhealthy, 1, 'the started event says ECS replaced 1 task due to an unhealthy status');
  });
  it('ignores stopped tasks it already acknowledged', () => {
    const a = decideService(input({ desired: 1, tasks: [task(V1), { ...failed(V1), acknowledged: true }] }));
    assert.deepEqual(a.acknowledge, []);
    assert.ok(a.deploymentUpdates.every((u) => u.failedTasks === undefined));
  });
});

describe('health checks and minimumHealthyPercent', () => {
  const checked = { healthChecked: true };
  it('counts a task with a container health check only once HEALTHY', () => {
    const old = tasks(3, V1, checked);
    const starting = tasks(3, V2, { ...checked, healthStatus: 'UNKNOWN', startedAt: NOW - 1000 });
    const deployments = [dep(V2, 'PRIMARY', { desiredCount: 3 }), dep(V1, 'ACTIVE')];
    const waiting = decideService(input({ desired: 3, deployments, tasks: [...old, ...starting] }));
    assert.deepEqual(waiting.stop, [], 'RUNNING but not yet HEALTHY: the old tasks keep serving');
    assert.deepEqual(waiting.place, {});
    assert.deepEqual(waiting.events, [], 'health checks pending is not a stall');
    assert.deepEqual(waiting.deploymentUpdates, [], 'not COMPLETED before the new tasks are HEALTHY');
    const healthy = starting.map((t) => ({ ...t, healthStatus: 'HEALTHY' as const }));
    const go = decideService(input({ desired: 3, deployments, tasks: [...old, ...healthy] }));
    assert.deepEqual(go.stop.map((x) => x.taskArn).sort(), old.map((t) => t.taskArn).sort());
  });
  it('counts a task without a health check once it has run unmonitoredCountsAfterMs (ECS: 40 s)', () => {
    const old = tasks(2, V1, { startedAt: NOW - 3_600_000 });
    const deployments = [dep(V2, 'PRIMARY', { desiredCount: 2 }), dep(V1, 'ACTIVE')];
    const young = tasks(2, V2, { healthStatus: 'UNKNOWN', startedAt: NOW - 39_999 });
    const a = decideService(input({ desired: 2, deployments, tasks: [...old, ...young], unmonitoredCountsAfterMs: 40_000 }));
    assert.deepEqual(a.stop, []);
    const grown = young.map((t) => ({ ...t, startedAt: NOW - 40_000 }));
    const b = decideService(input({ desired: 2, deployments, tasks: [...old, ...grown], unmonitoredCountsAfterMs: 40_000 }));
    assert.equal(b.stop.length, 2);
  });
  it('keeps counting a task seen HEALTHY whose health reads UNKNOWN again (checks restarted with Berth)', () => {
    const deployments = [dep(V2, 'PRIMARY', { desiredCount: 3 }), dep(V1, 'ACTIVE')];
    const old = tasks(3, V1, { ...checked, healthStatus: 'UNKNOWN', wasHealthy: true });
    const fresh = task(V2, { ...checked, healthStatus: 'UNKNOWN', wasHealthy: true });
    const a = decideService(input({ desired: 3, max: 150, deployments, tasks: [...old, fresh] }));
    assert.equal(a.stop.length, 1, 'one old task may go: 4 counted, floor 3');
    const forgotten = decideService(input({ desired: 3, max: 150, deployments, tasks: [...old.map((t) => ({ ...t, wasHealthy: false })), fresh] }));
    assert.equal(forgotten.stop.length, 3, 'without the memory the old tasks would look not yet healthy and all go');
  });
  it('stops an old task that is not yet counted without touching the floor', () => {
    const deployments = [dep(V2, 'PRIMARY', { desiredCount: 1 }), dep(V1, 'ACTIVE')];
    const notYet = task(V1, { ...checked, healthStatus: 'UNKNOWN' });
    const a = decideService(input({ desired: 1, max: 100, deployments, tasks: [notYet] }));
    assert.deepEqual(a.stop, [{ taskArn: notYet.taskArn, reason: 'deployment' }]);
  });
  it('scales in tasks not yet HEALTHY before HEALTHY ones, however old', () => {
    const healthy = task(V1, { ...checked, startedAt: NOW - 1000 });
    const waiting = task(V1, { ...checked, healthStatus: 'UNKNOWN', startedAt: NOW - 60_000 });
    const a = decideService(input({ desired: 1, tasks: [healthy, waiting] }));
    assert.deepEqual(a.stop, [{ taskArn: waiting.taskArn, reason: 'scale-in' }]);
  });
  it('says which task failed its health checks before saying it stopped it', () => {
    const sick = task(V1, { ...checked, healthStatus: 'UNHEALTHY', startedAt: NOW - 60_000 });
    const a = decideService(input({ desired: 2, tasks: [task(V1, checked), sick] }));
    const id = sick.taskArn.slice(sick.taskArn.lastIndexOf('/') + 1);
    assert.deepEqual(a.events.slice(0, 2), [`(service web) (task ${id}) failed container health checks.`, `(service web) has stopped 1 running tasks: (task ${id}).`]);
  });
});

describe('start throttle', () => {
  it('backs off after repeated failures to start, with ECS event, and places nothing until notBefore', () => {
    const a = decideService(input({ desired: 2, tasks: [failed(V1), failed(V1)] }));
    assert.equal(a.throttle.consecutiveFailures, 2);
    assert.ok(a.throttle.notBefore > NOW);
    assert.deepEqual(a.place, {});
    assert.ok(a.events.includes('(service web) is unable to consistently start tasks successfully.'));
    const later = decideService(input({ desired: 2, throttle: a.throttle, now: a.throttle.notBefore }));
    assert.deepEqual(later.place, { [V1]: 2 });
  });
  it('retries the first failure at once', () => {
    const a = decideService(input({ desired: 1, tasks: [failed(V1)] }));
    assert.deepEqual(a.place, { [V1]: 1 });
  });
  it('resets on a deployment made after the last failure (ECS resumes after an update)', () => {
    const throttle = { consecutiveFailures: 5, lastFailureAt: NOW - 10, notBefore: NOW + 60_000 };
    const older = decideService(input({ desired: 1, throttle, deployments: [dep(V2, 'PRIMARY', { createdAt: NOW - 11 })] }));
    assert.deepEqual(older.place, {});
    const newer = decideService(input({ desired: 1, throttle, deployments: [dep(V2, 'PRIMARY', { createdAt: NOW - 5 })] }));
    assert.deepEqual(newer.throttle, NO_THROTTLE);
    assert.deepEqual(newer.place, { [V2]: 1 });
  });
  it('resets once a task reaches RUNNING after the last failure', () => {
    const throttle = { consecutiveFailures: 5, lastFailureAt: NOW - 10, notBefore: NOW - 1 };
    const a = decideService(input({ desired: 1, throttle, tasks: [task(V1, { startedAt: NOW - 5 })] }));
    assert.deepEqual(a.throttle, NO_THROTTLE);
  });
});

describe('deployment alarms', () => {
  const watching = (rollback: boolean, enable = true) => ({ alarmNames: ['web-5xx'], enable, rollback });
  const withAlarms = (alarms: NonNullable<ServiceInput['service']['deploymentConfiguration']['alarms']>, seen: ServiceInput['alarms'], deployments: DeploymentView[], t: TaskObservation[]) => {
    const base = input({ deployments, tasks: t, alarms: seen });
    return { ...base, service: { ...base.service, deploymentConfiguration: { ...base.service.deploymentConfiguration, alarms } } };
  };
  it('an alarm entering ALARM during the rollout fails it and, with rollback, rolls back to the last COMPLETED deployment', () => {
    const deployments = [dep(V2, 'PRIMARY', { createdAt: NOW - 5_000 }), dep(V1, 'ACTIVE')];
    const a = decideService(withAlarms(watching(true), { 'web-5xx': { state: 'ALARM', transitionedAt: NOW - 1_000 } }, deployments, [...tasks(4, V1), ...tasks(2, V2)]));
    assert.deepEqual(a.deploymentUpdates.find((u) => u.deploymentId === V2), { deploymentId: V2, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment alarm(s) in ALARM: web-5xx.' });
    assert.deepEqual(a.rollback, { failedDeploymentId: V2, toDeploymentId: V1, taskDefinition: deployments[1].taskDefinition, cause: { alarms: ['web-5xx'] } });
    assert.ok(a.events.includes(`(service web) (deployment ${V2}) deployment failed: alarm detected.`), JSON.stringify(a.events));
    const noRollback = decideService(withAlarms(watching(false), { 'web-5xx': { state: 'ALARM', transitionedAt: NOW - 1_000 } }, deployments, [...tasks(4, V1), ...tasks(2, V2)]));
    assert.equal(noRollback.rollback, undefined);
    assert.equal(noRollback.deploymentUpdates.find((u) => u.deploymentId === V2)?.rolloutState, 'FAILED');
  });
  it('an alarm already in ALARM before the deployment, one in OK, a missing one, or alarms disabled fail nothing', () => {
    const deployments = [dep(V2, 'PRIMARY', { createdAt: NOW - 5_000 }), dep(V1, 'ACTIVE')];
    const t = [...tasks(4, V1), ...tasks(2, V2)];
    for (const [cfg, seen] of [
      [watching(true), { 'web-5xx': { state: 'ALARM', transitionedAt: NOW - 60_000 } }],
      [watching(true), { 'web-5xx': { state: 'OK', transitionedAt: NOW - 1_000 } }],
      [watching(true), { 'web-5xx': null }],
      [watching(true, false), { 'web-5xx': { state: 'ALARM', transitionedAt: NOW - 1_000 } }],
    ] as const) {
      const a = decideService(withAlarms(cfg, seen as ServiceInput['alarms'], deployments, t));
      assert.equal(a.rollback, undefined, JSON.stringify(seen));
      assert.ok(!a.deploymentUpdates.some((u) => u.rolloutState === 'FAILED'), JSON.stringify(seen));
    }
  });
  it('a settled rollout bakes: IN_PROGRESS (older deployment kept) until the bake time passed, COMPLETED after', () => {
    // V2 runs its 4 healthy tasks alone; V1 (COMPLETED) has none left.
    const deployments = [dep(V2, 'PRIMARY', { createdAt: NOW - 5_000 }), dep(V1, 'ACTIVE')];
    const ok = { 'web-5xx': { state: 'OK' as const, transitionedAt: NOW - 60_000, bakeMs: 2_000 } };
    const first = decideService(withAlarms(watching(true), ok, deployments, tasks(4, V2)));
    assert.equal(first.bakeStartedAt, NOW, 'the bake begins when the rollout settles');
    assert.deepEqual(first.deploymentUpdates, [], 'not COMPLETED, V1 not INACTIVE');
    assert.deepEqual(first.events, []);
    const during = decideService({ ...withAlarms(watching(true), ok, deployments, tasks(4, V2)), now: NOW + 1_999, bakeStartedAt: NOW });
    assert.equal(during.bakeStartedAt, NOW);
    assert.deepEqual(during.deploymentUpdates, []);
    // The alarm enters ALARM during the bake: the rollout fails and rolls back to V1, still listed.
    const alarmed = { 'web-5xx': { state: 'ALARM' as const, transitionedAt: NOW + 1_500, bakeMs: 2_000 } };
    const failedInBake = decideService({ ...withAlarms(watching(true), alarmed, deployments, tasks(4, V2)), now: NOW + 1_600, bakeStartedAt: NOW });
    assert.equal(failedInBake.deploymentUpdates.find((u) => u.deploymentId === V2)?.rolloutState, 'FAILED');
    assert.equal(failedInBake.rollback?.toDeploymentId, V1);
    assert.equal(failedInBake.bakeStartedAt, undefined);
    // Baked: COMPLETED, V1 INACTIVE, steady state.
    const done = decideService({ ...withAlarms(watching(true), ok, deployments, tasks(4, V2)), now: NOW + 2_000, bakeStartedAt: NOW });
    assert.equal(done.bakeStartedAt, undefined);
    assert.deepEqual(done.deploymentUpdates.find((u) => u.deploymentId === V2), { deploymentId: V2, rolloutState: 'COMPLETED', rolloutStateReason: `ECS deployment ${V2} completed.` });
    assert.equal(done.deploymentUpdates.find((u) => u.deploymentId === V1)?.status, 'INACTIVE');
    // The longest bake of the watched alarms counts; none without bakeMs, disabled alarms or alarms CloudWatch lacks.
    const two = { alarmNames: ['web-5xx', 'web-p99'], enable: true, rollback: true };
    const seenTwo = { 'web-5xx': ok['web-5xx'], 'web-p99': { state: 'OK' as const, transitionedAt: 0, bakeMs: 5_000 } };
    assert.deepEqual(decideService({ ...withAlarms(two, seenTwo, deployments, tasks(4, V2)), now: NOW + 4_999, bakeStartedAt: NOW }).deploymentUpdates, []);
    for (const [cfg, seen] of [
      [watching(true), { 'web-5xx': { state: 'OK', transitionedAt: 0 } }],
      [watching(true, false), ok],
      [watching(true), { 'web-5xx': null }],
    ] as const) {
      const a = decideService(withAlarms(cfg, seen as ServiceInput['alarms'], deployments, tasks(4, V2)));
      assert.equal(a.deploymentUpdates.find((u) => u.deploymentId === V2)?.rolloutState, 'COMPLETED', JSON.stringify([cfg, seen]));
    }
  });
  it("an alarm's bake time is its evaluation window plus one period, in scaled seconds at the time scale", () => {
    assert.equal(deploymentAlarmBakeMs({ Period: 60, EvaluationPeriods: 1 }), 120_000);
    assert.equal(deploymentAlarmBakeMs({ Period: 60, EvaluationPeriods: 3 }), 240_000);
    assert.equal(deploymentAlarmBakeMs({ Period: 60, EvaluationPeriods: 1 }, 60), 2_000);
    assert.equal(deploymentAlarmBakeMs({ Period: 10, EvaluationPeriods: 2 }, 60), 3_000, 'a scaled period lasts at least a second');
    const math = { EvaluationPeriods: 2, Metrics: [{ Period: undefined, ReturnData: false, MetricStat: { Period: 300 } }, { ReturnData: true, Period: 120 }] };
    assert.equal(deploymentAlarmBakeMs(math), 360_000, "a metric-math alarm: its returned query's period");
  });
});

describe('circuit breaker', () => {
  for (const [desired, threshold] of [[0, 3], [1, 3], [4, 3], [6, 3], [7, 4], [10, 5], [25, 13], [399, 200], [1000, 200]] as const) {
    it(`desired ${desired}: trips at ${threshold} failed tasks`, () => {
      assert.equal(circuitBreakerThreshold(desired), threshold);
      const cb = { enable: true, rollback: false };
      const deployments = [dep(V2, 'PRIMARY', { desiredCount: desired, failedTasks: threshold - 2 })];
      const below = decideService(input({ desired, cb, deployments, tasks: [failed(V2)] }));
      assert.notEqual(below.deploymentUpdates[0].rolloutState, 'FAILED');
      const at = decideService(input({ desired, cb, deployments, tasks: [failed(V2), failed(V2)] }));
      assert.deepEqual(at.deploymentUpdates[0], { deploymentId: V2, failedTasks: threshold, rolloutState: 'FAILED', rolloutStateReason: 'ECS deployment circuit breaker: tasks failed to start.' });
      assert.deepEqual(at.place, {});
    });
  }
  it('counts tasks stopped for failed health checks, not tasks the user stopped', () => {
    const cb = { enable: true, rollback: false };
    const deployments = [dep(V2, 'PRIMARY', { failedTasks: 2 })];
    const user = task(V2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'UserInitiated', healthStatus: 'UNHEALTHY', reachedRunning: false });
    assert.equal(decideService(input({ cb, deployments, tasks: [user] })).deploymentUpdates.length, 0);
    const sick = task(V2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', healthStatus: 'UNHEALTHY' });
    assert.equal(decideService(input({ cb, deployments, tasks: [sick] })).deploymentUpdates[0].rolloutState, 'FAILED');
  });
  it('counts a task whose essential container exited, RUNNING or not, while the deployment has no healthy task', () => {
    const cb = { enable: true, rollback: false };
    const deployments = [dep(V2, 'PRIMARY', { failedTasks: 2 })];
    const exited = task(V2, { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited', healthStatus: 'UNKNOWN', healthChecked: true });
    assert.equal(decideService(input({ cb, deployments, tasks: [exited] })).deploymentUpdates[0].rolloutState, 'FAILED');
  });
  it('resets failedTasks once the deployment has a healthy task, and does not count failures while it has one', () => {
    const cb = { enable: true, rollback: false };
    const deployments = [dep(V2, 'PRIMARY', { failedTasks: 2 })];
    const a = decideService(input({ cb, deployments, tasks: [task(V2), failed(V2), failed(V2)] }));
    assert.deepEqual(a.deploymentUpdates, [{ deploymentId: V2, failedTasks: 0 }]);
    const notYetHealthy = task(V2, { healthChecked: true, healthStatus: 'UNKNOWN' });
    const b = decideService(input({ cb, deployments, tasks: [notYetHealthy, failed(V2)] }));
    assert.equal(b.deploymentUpdates[0].rolloutState, 'FAILED', 'a RUNNING task not yet HEALTHY is not a success');
  });
  it('does nothing while disabled, and only counts failedTasks', () => {
    const a = decideService(input({ deployments: [dep(V2, 'PRIMARY', { failedTasks: 10 })], tasks: [failed(V2)] }));
    assert.deepEqual(a.deploymentUpdates, [{ deploymentId: V2, failedTasks: 11 }]);
  });
  it('rolls back to the last COMPLETED deployment, in ECS words', () => {
    const deployments = [dep(V3, 'PRIMARY', { failedTasks: 2 }), dep(V2, 'ACTIVE'), dep(V1, 'ACTIVE', { rolloutState: 'FAILED' })];
    const a = decideService(input({ cb: { enable: true, rollback: true }, deployments, tasks: [...tasks(4, V2), failed(V3)] }));
    assert.deepEqual(a.rollback, { failedDeploymentId: V3, toDeploymentId: V2, taskDefinition: deployments[1].taskDefinition });
    assert.equal(a.deploymentUpdates[0].rolloutStateReason, 'ECS deployment circuit breaker: tasks failed to start.');
    assert.deepEqual(a.events, [`(service web) (deployment ${V3}) deployment failed: tasks failed to start.`, `(service web) rolling back to deployment ${V2}.`]);
    assert.deepEqual(a.stop, [], 'the old tasks keep serving');
  });
  it('rolls back at once, with no start throttle left from the failed tasks', () => {
    const deployments = [dep(V3, 'PRIMARY'), dep(V2, 'ACTIVE')];
    const a = decideService(input({ desired: 3, cb: { enable: true, rollback: true }, deployments, tasks: [...tasks(3, V2), failed(V3), failed(V3), failed(V3)] }));
    assert.ok(a.rollback);
    assert.deepEqual(a.throttle, NO_THROTTLE);
    assert.ok(!a.events.includes('(service web) is unable to consistently start tasks successfully.'), a.events.join('\n'));
  });
  it('does not watch a deployment that already COMPLETED', () => {
    const a = decideService(input({ cb: { enable: true, rollback: true }, deployments: [dep(V1, 'PRIMARY', { rolloutState: 'COMPLETED', failedTasks: 50 })], tasks: [failed(V1)] }));
    assert.equal(a.rollback, undefined);
    assert.deepEqual(a.place, { [V1]: 4 });
  });
});

describe('DAEMON', () => {
  const daemon = (v: Partial<ServiceInput>) => {
    const i = input({ min: 0, max: 100, ...v });
    return { ...i, service: { ...i.service, schedulingStrategy: 'DAEMON' as const, desiredCount: 0 } };
  };
  it('runs one task per container instance, whatever desiredCount says', () => {
    assert.deepEqual(decideService(daemon({ capacity: 1 })).place, { [V1]: 1 });
  });
  it('rolls out by stopping the old task first, then starting the new one', () => {
    const deployments = [dep(V2, 'PRIMARY'), dep(V1, 'ACTIVE')];
    const old = task(V1);
    const a = decideService(daemon({ capacity: 1, deployments, tasks: [old] }));
    assert.deepEqual([a.place, a.stop], [{}, [{ taskArn: old.taskArn, reason: 'deployment' }]]);
    const b = decideService(daemon({ capacity: 1, deployments, tasks: [{ ...old, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' }] }));
    assert.deepEqual(b.place, { [V2]: 1 });
  });
});

/** How one task of the simulated world moves on between rounds (it was neither stopped nor placed this round). */
type Fate = (t: TaskObservation, round: number, now: number) => TaskObservation;
/** Placed tasks start PENDING and are RUNNING and healthy a round later. */
const succeeds: Fate = (t, _round, now) => (t.lastStatus === 'PENDING' ? { ...t, lastStatus: 'RUNNING', reachedRunning: true, startedAt: now, healthStatus: 'HEALTHY' } : t);
const stop = (t: TaskObservation, stopCode: TaskObservation['stopCode']): TaskObservation => ({ ...t, lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode });

interface Simulation {
  desired: number;
  min?: number;
  max?: number;
  cb?: { enable: boolean; rollback: boolean };
  deployments?: DeploymentView[];
  world?: TaskObservation[];
  rounds?: number;
  stepMs?: number;
  fate?: Fate;
  /** Placed tasks have a container health check (they must turn HEALTHY to count). */
  healthChecked?: boolean;
}

/** Applies each decision to a simulated world, as the apply step will, and lets the world move on by `fate`. */
function simulate(o: Simulation, onRound: (world: TaskObservation[], a: ServiceActions) => void = () => {}): { deployments: DeploymentView[]; world: TaskObservation[] } {
  const { desired, min = 100, max = 200, cb, fate = succeeds, stepMs = 1000 } = o;
  let deployments = o.deployments ?? [dep(V2, 'PRIMARY', { desiredCount: desired }), dep(V1, 'ACTIVE')];
  let world = o.world ?? tasks(desired, V1);
  let throttle = NO_THROTTLE;
  for (let round = 0; round < (o.rounds ?? 4 * desired + 10); round++) {
    const now = NOW + round * stepMs;
    const a = decideService(input({ desired, min, max, cb, deployments, tasks: world, throttle, now }));
    throttle = a.throttle;
    const stopping = new Set([...a.stop, ...a.replace].map((x) => x.taskArn));
    const acked = new Set(a.acknowledge);
    world = world.map((t) => (stopping.has(t.taskArn) ? stop(t, 'ServiceSchedulerInitiated') : fate(acked.has(t.taskArn) ? { ...t, acknowledged: true } : t, round, now)));
    for (const [id, n] of Object.entries(a.place)) {
      world.push(...tasks(n, id, { lastStatus: 'PENDING', healthStatus: 'UNKNOWN', reachedRunning: false, startedAt: undefined, healthChecked: o.healthChecked }));
    }
    deployments = deployments.map((d) => ({ ...d, ...a.deploymentUpdates.find((u) => u.deploymentId === d.id) }));
    onRound(world, a);
  }
  return { deployments, world };
}

const configs = fc
  .record({ desired: fc.integer({ min: 0, max: 12 }), min: fc.integer({ min: 0, max: 100 }), max: fc.integer({ min: 100, max: 200 }) })
  .filter(({ desired, min, max }) => maxTasks(desired, max) > desired || minHealthyTasks(desired, min) < desired || desired === 0);

describe('rolling deployment properties', () => {
  it('never has more than maximumPercent tasks RUNNING or PENDING', () => {
    fc.assert(
      fc.property(configs, ({ desired, min, max }) => {
        simulate({ desired, min, max }, (world) => assert.ok(world.filter((t) => t.lastStatus !== 'STOPPED').length <= maxTasks(desired, max)));
      }),
    );
  });
  it('never drops below minimumHealthyPercent healthy tasks when the previous deployment was healthy', () => {
    fc.assert(
      fc.property(configs, ({ desired, min, max }) => {
        simulate({ desired, min, max }, (world) => assert.ok(world.filter(isHealthy).length >= minHealthyTasks(desired, min)));
      }),
    );
  });
  it('always completes when tasks succeed, with desiredCount healthy PRIMARY tasks and nothing else', () => {
    fc.assert(
      fc.property(configs, ({ desired, min, max }) => {
        const { deployments, world: last } = simulate({ desired, min, max });
        assert.equal(deployments[0].rolloutState, 'COMPLETED');
        assert.equal(deployments[1].status, 'INACTIVE');
        const live = last.filter((t) => t.lastStatus !== 'STOPPED');
        assert.equal(live.length, desired);
        assert.ok(live.every((t) => t.startedBy === V2 && isHealthy(t)));
      }),
    );
  });
  it('never drops below minimumHealthyPercent HEALTHY tasks when health checks take a round to pass', () => {
    // RUNNING first with health UNKNOWN, HEALTHY a round later: the old tasks must wait for it.
    const slowHealth: Fate = (t, _round, now) =>
      t.lastStatus === 'PENDING' ? { ...t, lastStatus: 'RUNNING', reachedRunning: true, startedAt: now } : t.lastStatus === 'RUNNING' ? { ...t, healthStatus: 'HEALTHY' } : t;
    fc.assert(
      fc.property(configs, ({ desired, min, max }) => {
        const world = tasks(desired, V1, { healthChecked: true });
        const { deployments } = simulate({ desired, min, max, world, healthChecked: true, fate: slowHealth }, (w) =>
          assert.ok(w.filter((t) => isHealthy(t)).length >= minHealthyTasks(desired, min)),
        );
        assert.equal(deployments[0].rolloutState, 'COMPLETED');
      }),
    );
  });
  it('never trips the circuit breaker or throttles when tasks succeed', () => {
    fc.assert(
      fc.property(configs, ({ desired, min, max }) => {
        simulate({ desired, min, max }, (_w, a) => assert.ok(a.rollback === undefined && a.throttle.consecutiveFailures === 0));
      }),
    );
  });
});

describe('properties under failures', () => {
  it('keeps within maximumPercent however tasks fail, die or turn unhealthy', () => {
    const fates = fc.array(fc.constantFrom('ok', 'fail-to-start', 'die', 'unhealthy'), { minLength: 40, maxLength: 40 });
    fc.assert(
      fc.property(configs, fates, fc.boolean(), ({ desired, min, max }, plan, enable) => {
        const fate: Fate = (t, round, now) => {
          const f = plan[round];
          if (t.lastStatus === 'PENDING') return f === 'fail-to-start' ? stop(t, 'TaskFailedToStart') : { ...succeeds(t, round, now), healthStatus: f === 'unhealthy' ? 'UNHEALTHY' : 'HEALTHY' };
          return f === 'die' && t.lastStatus === 'RUNNING' ? stop(t, 'EssentialContainerExited') : t;
        };
        simulate({ desired, min, max, cb: { enable, rollback: true }, rounds: plan.length, stepMs: 60_000, fate }, (world, a) => {
          assert.ok(world.filter((t) => t.lastStatus !== 'STOPPED').length <= maxTasks(desired, max));
          if (a.rollback) assert.equal(a.rollback.toDeploymentId, V1);
        });
      }),
    );
  });
  it('fails a deployment whose tasks never start and rolls back to the last COMPLETED one', () => {
    let rollback: ServiceActions['rollback'];
    const { deployments, world } = simulate(
      {
        desired: 3,
        cb: { enable: true, rollback: true },
        deployments: [dep(V3, 'PRIMARY', { desiredCount: 3 }), dep(V2, 'ACTIVE')],
        world: tasks(3, V2),
        rounds: 10,
        stepMs: 3_600_000,
        fate: (t) => (t.lastStatus === 'PENDING' ? stop(t, 'TaskFailedToStart') : t),
      },
      (_w, a) => (rollback ??= a.rollback),
    );
    assert.equal(rollback?.toDeploymentId, V2);
    assert.equal(deployments[0].rolloutState, 'FAILED');
    assert.equal(deployments[0].failedTasks, 3);
    assert.equal(world.filter(isHealthy).length, 3, 'the old tasks kept serving throughout');
  });
});
