import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isTaskRef, taskLogSources } from './logs-ecs.js';

const ARN = 'arn:aws:ecs:us-east-1:123456789012:task/prod/0123456789abcdef0123456789abcdef';

describe('berth logs <cluster> <task|service>: where the output is', () => {
  it('takes a 32-hex id or a task ARN as a task, anything else as a service', () => {
    assert.equal(isTaskRef('0123456789abcdef0123456789abcdef'), true);
    assert.equal(isTaskRef(ARN), true);
    assert.equal(isTaskRef('web'), false);
    assert.equal(isTaskRef('0123456789abcdef'), false);
  });
  it('names streams PREFIX/CONTAINER/TASK-ID, or the runtime id without a prefix, and lists containers without awslogs', () => {
    const awslogs = (options: Record<string, string>) => ({ logDriver: 'awslogs' as const, options: { 'awslogs-group': 'g', ...options } });
    const task = { taskArn: ARN, containers: [{ name: 'b', runtimeId: 'rid-b' }] };
    const td = {
      containerDefinitions: [
        { name: 'a', logConfiguration: awslogs({ 'awslogs-stream-prefix': 'web' }) },
        { name: 'b', logConfiguration: awslogs({}) },
        { name: 'c', logConfiguration: awslogs({}) },
        { name: 'd' },
      ],
    };
    assert.deepEqual(taskLogSources(task, td, false), {
      sources: [
        { logGroupName: 'g', logStreamName: 'web/a/0123456789abcdef0123456789abcdef', label: 'a' },
        { logGroupName: 'g', logStreamName: 'rid-b', label: 'b' },
      ],
      unrouted: ['d'],
    });
    assert.equal(taskLogSources(task, td, true).sources[0].label, 'a/0123456789abcdef0123456789abcdef');
  });
});
