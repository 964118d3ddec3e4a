import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decideTask, dependencyMet, stopOrder, taskHealth, type ContainerObservation, type ContainerSpec, type TaskView } from './decide.js';

const c = (name: string, opts: Partial<ContainerSpec> = {}): ContainerSpec => ({ name, essential: true, dependsOn: [], hasHealthCheck: false, ...opts });
const running = (health: ContainerObservation['health'] = 'UNKNOWN'): ContainerObservation => ({ state: 'running', health });
const exited = (exitCode: number, reason?: string): ContainerObservation => ({ state: 'exited', exitCode, reason, health: 'UNKNOWN' });

function view(v: Partial<TaskView>): TaskView {
  return { lastStatus: 'PENDING', desiredStatus: 'RUNNING', sandbox: { state: 'ready' }, containers: [c('app')], observed: {}, ...v };
}

describe('decideTask', () => {
  it('prepares the sandbox first, and starts nothing before it is ready', () => {
    const a = decideTask(view({ lastStatus: 'PROVISIONING', sandbox: { state: 'absent' } }));
    assert.equal(a.prepareSandbox, true);
    assert.deepEqual(a.start, []);
    assert.equal(a.lastStatus, undefined);
  });

  it('moves to PENDING and starts containers without dependencies once the sandbox is ready', () => {
    const a = decideTask(view({ lastStatus: 'PROVISIONING', containers: [c('app'), c('sidecar', { essential: false })] }));
    assert.equal(a.lastStatus, 'PENDING');
    assert.deepEqual(a.start, ['app', 'sidecar']);
  });

  it('moves to RUNNING once every essential container runs', () => {
    const a = decideTask(view({ containers: [c('app'), c('log', { essential: false })], observed: { app: running() } }));
    assert.equal(a.lastStatus, 'RUNNING');
    assert.deepEqual(a.start, ['log']);
    assert.equal(a.containerStatus.app, 'RUNNING');
  });

  const deps: [string, ContainerSpec['dependsOn'][number]['condition'], ContainerObservation | undefined, boolean | 'never'][] = [
    ['START waits for the dependency to be started', 'START', undefined, false],
    ['START is met by a running dependency', 'START', running(), true],
    ['COMPLETE waits while the dependency runs', 'COMPLETE', running(), false],
    ['COMPLETE is met by any exit', 'COMPLETE', exited(1), true],
    ['SUCCESS is met by exit 0', 'SUCCESS', exited(0), true],
    ['SUCCESS can never be met after a non-zero exit', 'SUCCESS', exited(2), 'never'],
    ['HEALTHY waits while health is unknown', 'HEALTHY', running('UNKNOWN'), false],
    ['HEALTHY is met by a healthy dependency', 'HEALTHY', running('HEALTHY'), true],
    ['HEALTHY can never be met once the dependency exited', 'HEALTHY', exited(0), 'never'],
  ];
  for (const [name, condition, o, want] of deps) {
    it(`dependsOn: ${name}`, () => assert.equal(dependencyMet(condition, o), want));
  }

  it('orders startup by dependsOn: the app starts only after init succeeded', () => {
    const containers = [c('init', { essential: false }), c('app', { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] })];
    assert.deepEqual(decideTask(view({ containers })).start, ['init']);
    assert.deepEqual(decideTask(view({ containers, observed: { init: running() } })).start, []);
    assert.deepEqual(decideTask(view({ containers, observed: { init: exited(0) } })).start, ['app']);
  });

  it('stops the task when a dependency can never be met', () => {
    const containers = [c('init', { essential: false }), c('app', { dependsOn: [{ containerName: 'init', condition: 'SUCCESS' }] })];
    const a = decideTask(view({ containers, observed: { init: exited(3) } }));
    assert.equal(a.stopTask?.code, 'TaskFailedToStart');
    assert.match(a.stopTask!.reason, /dependency init of container app/);
    assert.deepEqual(a.start, []);
    assert.equal(a.lastStatus, 'STOPPED');
    assert.equal(a.destroy, true);
  });

  it('stops the task when an essential container exits, stopping the others first', () => {
    const a = decideTask(view({ lastStatus: 'RUNNING', containers: [c('app'), c('log', { essential: false })], observed: { app: exited(1), log: running() } }));
    assert.deepEqual(a.stopTask, { code: 'EssentialContainerExited', reason: 'Essential container in task exited' });
    assert.deepEqual(a.stop, ['log']);
    assert.equal(a.lastStatus, 'STOPPING');
    assert.equal(a.containerStatus.app, 'STOPPED');
  });

  it('keeps running when a non-essential container exits', () => {
    const a = decideTask(view({ lastStatus: 'RUNNING', containers: [c('app'), c('job', { essential: false })], observed: { app: running(), job: exited(0) } }));
    assert.equal(a.stopTask, undefined);
    assert.deepEqual(a.stop, []);
    assert.equal(a.containerStatus.job, 'STOPPED');
  });

  it('reports a container that could not start as TaskFailedToStart with its reason', () => {
    const reason = 'CannotStartContainerError: exec: "nope": executable file not found in $PATH';
    const a = decideTask(view({ observed: { app: exited(127, reason) } }));
    assert.deepEqual(a.stopTask, { code: 'TaskFailedToStart', reason });
  });

  it('reports an image or secret that could not be had as TaskFailedToStart, also for a non-essential container', () => {
    for (const reason of ['CannotPullContainerError: no image busybox:9 in the image store', 'ResourceInitializationError: unable to pull secrets or registry auth: no secret']) {
      const a = decideTask(view({ containers: [c('app'), c('side', { essential: false })], observed: { side: { state: 'exited', reason, health: 'UNKNOWN' } } }));
      assert.deepEqual(a.stopTask, { code: 'TaskFailedToStart', reason });
    }
  });

  it('reports a sandbox that could not be made as TaskFailedToStart', () => {
    const a = decideTask(view({ lastStatus: 'PROVISIONING', sandbox: { state: 'failed', reason: 'ResourceInitializationError: no address left' } }));
    assert.equal(a.stopTask?.code, 'TaskFailedToStart');
    assert.equal(a.lastStatus, 'STOPPED');
  });

  it('on a stop request stops running containers in reverse dependency order, then releases everything', () => {
    const containers = [c('db'), c('app', { dependsOn: [{ containerName: 'db', condition: 'START' }] })];
    const stopping = decideTask(
      view({ lastStatus: 'RUNNING', desiredStatus: 'STOPPED', stop: { code: 'UserInitiated', reason: 'bye' }, containers, observed: { db: running(), app: running() } }),
    );
    assert.deepEqual(stopping.stop, ['app', 'db']);
    assert.equal(stopping.lastStatus, 'STOPPING');
    assert.equal(stopping.stopTask, undefined, 'the stop was already requested');
    const done = decideTask(view({ lastStatus: 'STOPPING', desiredStatus: 'STOPPED', containers, observed: { db: exited(0), app: exited(143) } }));
    assert.equal(done.destroy, true);
    assert.equal(done.lastStatus, 'STOPPED');
    assert.deepEqual(done.containerStatus, { db: 'STOPPED', app: 'STOPPED' });
  });

  it('does nothing more for a STOPPED task', () => {
    const a = decideTask(view({ lastStatus: 'STOPPED', desiredStatus: 'STOPPED', observed: { app: exited(0) } }));
    assert.deepEqual([a.start, a.stop, a.destroy, a.lastStatus], [[], [], false, undefined]);
  });

  it('derives task health from essential containers with health checks', () => {
    const containers = [c('app', { hasHealthCheck: true }), c('side', { essential: false, hasHealthCheck: true }), c('plain')];
    assert.equal(taskHealth({ containers, observed: { app: running('HEALTHY'), side: running('UNHEALTHY') } }), 'HEALTHY');
    assert.equal(taskHealth({ containers, observed: { app: running('UNHEALTHY') } }), 'UNHEALTHY');
    assert.equal(taskHealth({ containers, observed: { app: running('UNKNOWN') } }), 'UNKNOWN');
    assert.equal(taskHealth({ containers: [c('plain')], observed: { plain: running('HEALTHY') } }), 'UNKNOWN');
  });

  it('stopOrder puts dependents before their dependencies', () => {
    const order = stopOrder([c('a'), c('b', { dependsOn: [{ containerName: 'a', condition: 'START' }] }), c('c', { dependsOn: [{ containerName: 'b', condition: 'START' }] })]);
    assert.deepEqual(order, ['c', 'b', 'a']);
  });
});

describe('decideTask properties', () => {
  const statuses = ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED'] as const;
  const names = ['a', 'b', 'c', 'd'];
  const obsArb: fc.Arbitrary<ContainerObservation> = fc.oneof(
    fc.constant<ContainerObservation>({ state: 'absent', health: 'UNKNOWN' }),
    fc.constantFrom<ContainerObservation['health']>('HEALTHY', 'UNHEALTHY', 'UNKNOWN').map((health) => ({ state: 'running' as const, health })),
    fc.integer({ min: 0, max: 3 }).map((exitCode) => ({ state: 'exited' as const, exitCode, health: 'UNKNOWN' as const })),
  );
  const viewArb: fc.Arbitrary<TaskView> = fc
    .record({
      n: fc.integer({ min: 1, max: 4 }),
      essential: fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }),
      deps: fc.array(fc.tuple(fc.nat(3), fc.nat(3), fc.constantFrom('START', 'COMPLETE', 'SUCCESS', 'HEALTHY') as fc.Arbitrary<'START' | 'COMPLETE' | 'SUCCESS' | 'HEALTHY'>), { maxLength: 4 }),
      observed: fc.array(obsArb, { minLength: 4, maxLength: 4 }),
      lastStatus: fc.constantFrom(...statuses),
      desiredStatus: fc.constantFrom('RUNNING' as const, 'STOPPED' as const),
      sandbox: fc.constantFrom('absent' as const, 'ready' as const, 'failed' as const),
    })
    .map((r) => {
      const containers = names.slice(0, r.n).map((name, i) => ({
        name,
        essential: r.essential[i],
        hasHealthCheck: false,
        // Only depend on earlier containers, so dependency graphs stay acyclic as ECS requires.
        dependsOn: r.deps.filter(([from, to]) => from === i && to < i).map(([, to, condition]) => ({ containerName: names[to], condition })),
      }));
      const observed = Object.fromEntries(containers.map((ct, i) => [ct.name, r.observed[i]]));
      return { lastStatus: r.lastStatus, desiredStatus: r.desiredStatus, sandbox: { state: r.sandbox }, containers, observed };
    });

  it('never moves the task status backwards, and never starts and stops at once', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = decideTask(v);
        if (a.lastStatus) assert.ok(statuses.indexOf(a.lastStatus) > statuses.indexOf(v.lastStatus), `${v.lastStatus} -> ${a.lastStatus}`);
        assert.ok(a.start.length === 0 || a.stop.length === 0);
      }),
    );
  });

  it('only starts containers that are absent and whose dependencies are met, and never while stopping', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = decideTask(v);
        if (v.desiredStatus === 'STOPPED' || a.stopTask) assert.deepEqual(a.start, []);
        for (const name of a.start) {
          assert.equal(v.observed[name].state, 'absent');
          const spec = v.containers.find((x) => x.name === name)!;
          for (const d of spec.dependsOn) assert.equal(dependencyMet(d.condition, v.observed[d.containerName]), true);
        }
      }),
    );
  });

  it('records STOPPED only with nothing left running and everything released', () => {
    fc.assert(
      fc.property(viewArb, (v) => {
        const a = decideTask(v);
        if (a.lastStatus === 'STOPPED') {
          assert.equal(a.destroy, true);
          assert.ok(v.containers.every((x) => v.observed[x.name].state !== 'running'));
        }
      }),
    );
  });
});
