import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NO_THROTTLE, type TaskObservation } from './decide.js';
import { decideTaskSets, type TaskSetInput, type TaskSetView } from './task-sets.js';

const NOW = 1_000_000;
let seq = 0;
function task(startedBy: string, v: Partial<TaskObservation> = {}): TaskObservation {
  seq += 1;
  return { taskArn: `arn:task/${seq}`, startedBy, lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN', startedAt: NOW - 60_000, reachedRunning: true, acknowledged: false, ...v };
}
const set = (id: string, computedDesiredCount: number, status: TaskSetView['status'] = 'PRIMARY', stabilityStatus: TaskSetView['stabilityStatus'] = 'STABILIZING'): TaskSetView => ({ id, status, computedDesiredCount, stabilityStatus });
const input = (taskSets: TaskSetView[], tasks: TaskObservation[], v: Partial<TaskSetInput> = {}): TaskSetInput => ({ taskSets, tasks, healthCheckGracePeriodSeconds: 0, throttle: { ...NO_THROTTLE }, now: NOW, ...v });

describe('decideTaskSets', () => {
  const cases: { name: string; in: TaskSetInput; place: Record<string, number>; stop: Record<string, number>; stability?: Record<string, string>; gone?: string[] }[] = [
    { name: 'an empty task set is filled to its computed desired count', in: input([set('a', 3)], []), place: { a: 3 }, stop: {} },
    { name: 'two task sets are filled independently', in: input([set('a', 2), set('b', 1, 'ACTIVE')], [task('a')]), place: { a: 1, b: 1 }, stop: {} },
    { name: 'a full task set of running tasks is steady', in: input([set('a', 2)], [task('a'), task('a')]), place: {}, stop: {}, stability: { a: 'STEADY_STATE' } },
    { name: 'a pending task keeps it stabilizing', in: input([set('a', 2)], [task('a'), task('a', { lastStatus: 'PENDING', startedAt: undefined, reachedRunning: false })]), place: {}, stop: {} },
    { name: 'scale-in stops the extra tasks', in: input([set('a', 1)], [task('a'), task('a'), task('a')]), place: {}, stop: { 'scale-in': 2 } },
    { name: 'a DRAINING task set has its tasks stopped', in: input([set('a', 1), set('b', 0, 'DRAINING')], [task('a'), task('b'), task('b')]), place: {}, stop: { deployment: 2 }, stability: { a: 'STEADY_STATE' } },
    { name: 'tasks of a deleted task set are stopped', in: input([set('a', 1)], [task('a'), task('gone')]), place: {}, stop: { deployment: 1 }, stability: { a: 'STEADY_STATE' } },
    { name: 'a DRAINING task set with no live task is gone', in: input([set('a', 0), set('b', 0, 'DRAINING')], [task('b', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated' })]), place: {}, stop: {}, stability: { a: 'STEADY_STATE' }, gone: ['b'] },
    { name: 'an UNHEALTHY task past the grace period is stopped and replaced', in: input([set('a', 2)], [task('a'), task('a', { healthStatus: 'UNHEALTHY' })]), place: { a: 1 }, stop: { unhealthy: 1 } },
    { name: 'an UNHEALTHY task within the grace period is kept', in: input([set('a', 2)], [task('a'), task('a', { healthStatus: 'UNHEALTHY' })], { healthCheckGracePeriodSeconds: 120 }), place: {}, stop: {} },
    { name: 'a task stopped on its own is replaced', in: input([set('a', 1)], [task('a', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', stopCode: 'EssentialContainerExited' })]), place: { a: 1 }, stop: {} },
    { name: 'a task being stopped is replaced at once', in: input([set('a', 1)], [task('a', { desiredStatus: 'STOPPED' })]), place: { a: 1 }, stop: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = decideTaskSets(c.in);
      assert.deepEqual(out.place, c.place);
      const stops: Record<string, number> = {};
      for (const s of out.stop) stops[s.reason] = (stops[s.reason] ?? 0) + 1;
      assert.deepEqual(stops, c.stop);
      for (const [id, st] of Object.entries(c.stability ?? {})) assert.equal(out.stability[id], st);
      if (!c.stability) for (const v of Object.values(out.stability)) assert.equal(v, 'STABILIZING');
      assert.deepEqual(out.gone, c.gone ?? []);
    });
  }

  it('scale-in stops not-yet-RUNNING tasks before running ones', () => {
    const pending = task('a', { lastStatus: 'PENDING', reachedRunning: false, startedAt: undefined });
    const out = decideTaskSets(input([set('a', 1)], [task('a'), pending]));
    assert.deepEqual(out.stop.map((s) => s.taskArn), [pending.taskArn]);
  });

  it('a failure to start throttles placement; a task RUNNING since resets the throttle', () => {
    const failed = (n: number) => Array.from({ length: n }, () => task('a', { lastStatus: 'STOPPED', desiredStatus: 'STOPPED', reachedRunning: false, startedAt: undefined, stopCode: 'TaskFailedToStart' }));
    const first = decideTaskSets(input([set('a', 1)], failed(1)));
    assert.deepEqual(first.place, { a: 1 }, 'the first failure is retried at once');
    const second = decideTaskSets(input([set('a', 1)], failed(1), { throttle: first.throttle }));
    assert.deepEqual(second.place, {}, 'the second failure waits');
    assert.ok(second.throttle.notBefore > NOW);
    assert.equal(second.acknowledge.length, 1);
    const later = decideTaskSets(input([set('a', 1)], [task('a', { startedAt: NOW + 1 })], { throttle: second.throttle, now: NOW + 2 }));
    assert.equal(later.throttle.consecutiveFailures, 0);
  });

  it('a steady task set that loses a task goes back to STABILIZING', () => {
    const out = decideTaskSets(input([set('a', 2, 'PRIMARY', 'STEADY_STATE')], [task('a')]));
    assert.equal(out.stability.a, 'STABILIZING');
  });
});

describe('loadBalancersOf (which target groups a task registers in)', async () => {
  const { loadBalancersOf } = await import('./load-balancers.js');
  const lb = (name: string) => [{ targetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`, containerName: 'app', containerPort: 8080 }];
  const taskSet = (id: string, status: 'PRIMARY' | 'ACTIVE' | 'DRAINING', name: string) => ({ id, status, loadBalancers: lb(name) }) as never;
  const service = (type: 'ECS' | 'EXTERNAL' | 'CODE_DEPLOY') => ({
    deploymentController: { type },
    loadBalancers: lb('service'),
    taskSets: [taskSet('ecs-svc/1', 'PRIMARY', 'blue'), taskSet('ecs-svc/2', 'ACTIVE', 'green'), taskSet('ecs-svc/3', 'DRAINING', 'old')],
  });
  const names = (lbs: { targetGroupArn?: string }[]) => lbs.map((x) => x.targetGroupArn!.split('/')[1]);
  it("a rolling service's task uses the service's", () => assert.deepEqual(names(loadBalancersOf(service('ECS'), { startedBy: 'ecs-svc/1' })), ['service']));
  it("a task set's task uses its own task set's", () => {
    assert.deepEqual(names(loadBalancersOf(service('EXTERNAL'), { startedBy: 'ecs-svc/1' })), ['blue']);
    assert.deepEqual(names(loadBalancersOf(service('CODE_DEPLOY'), { startedBy: 'ecs-svc/2' })), ['green']);
  });
  it('a DRAINING or deleted task set has none (its targets are drained)', () => {
    assert.deepEqual(loadBalancersOf(service('EXTERNAL'), { startedBy: 'ecs-svc/3' }), []);
    assert.deepEqual(loadBalancersOf(service('EXTERNAL'), { startedBy: 'ecs-svc/9' }), []);
  });
});
