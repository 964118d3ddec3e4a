import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileDeploymentConfiguration, newDeployment, newDeploymentId, replacePrimary } from './deployments.js';

const code = (c: string) => (e: any) => e.code === c;

describe('deployment configuration', () => {
  it('fills ECS defaults: 200/100 for REPLICA, 100/0 for DAEMON, circuit breaker and alarms off', () => {
    assert.deepEqual(compileDeploymentConfiguration(undefined, 'REPLICA'), {
      maximumPercent: 200,
      minimumHealthyPercent: 100,
      deploymentCircuitBreaker: { enable: false, rollback: false },
      alarms: { alarmNames: [], enable: false, rollback: false },
      strategy: 'ROLLING',
    });
    const daemon = compileDeploymentConfiguration({}, 'DAEMON');
    assert.equal(daemon.maximumPercent, 100);
    assert.equal(daemon.minimumHealthyPercent, 0);
  });

  it('keeps current members that an update leaves out', () => {
    const current = compileDeploymentConfiguration({ maximumPercent: 150, minimumHealthyPercent: 50 }, 'REPLICA');
    const next = compileDeploymentConfiguration({ deploymentCircuitBreaker: { enable: true, rollback: true } }, 'REPLICA', current);
    assert.equal(next.maximumPercent, 150);
    assert.equal(next.minimumHealthyPercent, 50);
    assert.deepEqual(next.deploymentCircuitBreaker, { enable: true, rollback: true });
  });

  it('stores alarms as given', () => {
    const c = compileDeploymentConfiguration({ alarms: { alarmNames: ['high-5xx'], enable: true, rollback: true } }, 'REPLICA');
    assert.deepEqual(c.alarms, { alarmNames: ['high-5xx'], enable: true, rollback: true });
  });

  it('refuses out-of-range percents and enabled alarms without names', () => {
    const bad: [object, RegExp][] = [
      [{ minimumHealthyPercent: 101 }, /minimumHealthyPercent must be between 0 and 100; got 101/],
      [{ minimumHealthyPercent: -1 }, /minimumHealthyPercent/],
      [{ maximumPercent: 50 }, /maximumPercent must be at least 100 for a REPLICA service; got 50/],
      [{ alarms: { alarmNames: [], enable: true, rollback: false } }, /no alarmNames/],
    ];
    for (const [input, message] of bad) {
      assert.throws(() => compileDeploymentConfiguration(input, 'REPLICA'), (e: any) => e.code === 'InvalidParameterException' && message.test(e.message));
    }
  });

  it('answers UnsupportedFeatureException for deployment strategies Berth does not run yet', () => {
    assert.throws(() => compileDeploymentConfiguration({ strategy: 'BLUE_GREEN' }, 'REPLICA'), code('UnsupportedFeatureException'));
  });
});

describe('deployments', () => {
  it('makes ids in the ecs-svc/ + 19 digits format', () => {
    for (let i = 0; i < 50; i++) assert.match(newDeploymentId(), /^ecs-svc\/[1-9]\d{18}$/);
  });

  it('starts a PRIMARY deployment IN_PROGRESS with ECS reason, and demotes the old PRIMARY to ACTIVE', () => {
    const t0 = new Date('2024-01-01T00:00:00Z');
    const first = newDeployment({ taskDefinition: 'td:1', desiredCount: 2, launchType: 'FARGATE' }, t0);
    assert.equal(first.status, 'PRIMARY');
    assert.equal(first.rolloutState, 'IN_PROGRESS');
    assert.equal(first.rolloutStateReason, `ECS deployment ${first.id} in progress.`);
    assert.equal(first.failedTasks, 0);
    const t1 = new Date('2024-01-01T00:01:00Z');
    const second = newDeployment({ taskDefinition: 'td:2', desiredCount: 2 }, t1);
    const all = replacePrimary([first], second, t1);
    assert.deepEqual(all.map((d) => [d.taskDefinition, d.status]), [['td:2', 'PRIMARY'], ['td:1', 'ACTIVE']]);
    assert.equal(all[1].updatedAt, t1.toISOString());
  });
});
