import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ContainerStatus, IllegalTransitionError, ServiceStatus, TaskDesiredStatus, TaskStatus } from './lifecycle.js';

describe('task, container and service lifecycles', () => {
  it('orders task statuses as Fargate moves a task', () => {
    assert.deepEqual(TaskStatus.values, ['PROVISIONING', 'PENDING', 'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED']);
    for (let i = 0; i < TaskStatus.values.length; i++) {
      for (let j = 0; j < TaskStatus.values.length; j++) {
        const from: TaskStatus = TaskStatus.values[i];
        const to: TaskStatus = TaskStatus.values[j];
        assert.equal(TaskStatus.canMove(from, to), j > i, `${from} -> ${to}`);
        if (j > i) assert.equal(TaskStatus.move(from, to), to);
        else assert.throws(() => TaskStatus.move(from, to), IllegalTransitionError);
      }
    }
  });

  it('lets a task skip forward (a task that never started stops at once) but never back', () => {
    assert.equal(TaskStatus.move('PROVISIONING', 'STOPPED'), 'STOPPED');
    assert.throws(() => TaskStatus.move('STOPPED', 'RUNNING'), /Illegal task status transition STOPPED -> RUNNING/);
    assert.throws(() => TaskStatus.move('RUNNING', 'RUNNING'), IllegalTransitionError);
  });

  it('moves desired status RUNNING -> STOPPED, containers PENDING -> RUNNING -> STOPPED, services ACTIVE -> DRAINING -> INACTIVE', () => {
    assert.equal(TaskDesiredStatus.move('RUNNING', 'STOPPED'), 'STOPPED');
    assert.throws(() => TaskDesiredStatus.move('STOPPED', 'RUNNING'), IllegalTransitionError);
    assert.equal(ContainerStatus.move('PENDING', 'STOPPED'), 'STOPPED');
    assert.throws(() => ContainerStatus.move('STOPPED', 'PENDING'), IllegalTransitionError);
    assert.equal(ServiceStatus.move('ACTIVE', 'DRAINING'), 'DRAINING');
    assert.equal(ServiceStatus.move('DRAINING', 'INACTIVE'), 'INACTIVE');
    assert.throws(() => ServiceStatus.move('INACTIVE', 'ACTIVE'), /Illegal service status transition/);
  });

  it('refuses a status it does not know', () => {
    assert.throws(() => TaskStatus.rank('BOGUS' as TaskStatus), /Unknown task status 'BOGUS'/);
  });
});
