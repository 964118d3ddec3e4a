import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ecsMigrations, saveService, saveTask, type ServiceRecord, type TaskRecord } from '../services/ecs/index.js';
import { harness, TEST_INSTANCE } from '../services/elbv2/test-support.js';
import { LoadBalancerTargets, taskTargets } from './load-balancers.js';

const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/c';

function service(loadBalancers: ServiceRecord['loadBalancers']): ServiceRecord {
  return {
    arn: 'arn:aws:ecs:us-east-1:123456789012:service/c/web',
    clusterArn: CLUSTER,
    name: 'web',
    status: 'ACTIVE',
    schedulingStrategy: 'REPLICA',
    createdAt: new Date(0).toISOString(),
    loadBalancers,
    events: [],
  } as unknown as ServiceRecord;
}

function task(id: string, hostPort: number, ip?: string): TaskRecord {
  return {
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/c/${id}`,
    clusterArn: CLUSTER,
    family: 'web',
    serviceName: 'web',
    desiredStatus: 'RUNNING',
    lastStatus: 'RUNNING',
    launchType: 'EC2',
    createdAt: new Date(0).toISOString(),
    healthStatus: 'UNKNOWN',
    containers: [{ name: 'app', networkBindings: [{ bindIP: '0.0.0.0', containerPort: 8080, hostPort, protocol: 'tcp' }] }],
    attachments: ip ? [{ details: [{ name: 'privateIPv4Address', value: ip }] }] : [],
  } as unknown as TaskRecord;
}

describe('taskTargets', () => {
  const groups = {
    inst: { arn: 'tg-inst', name: 'i', targetType: 'instance' as const, port: 80, loadBalancerArns: ['lb'] },
    ip: { arn: 'tg-ip', name: 'p', targetType: 'ip' as const, port: 80, loadBalancerArns: ['lb'] },
  };
  const lookup = (arn: string) => Object.values(groups).find((g) => g.arn === arn);
  const lbs = (arn: string, port = 8080) => service([{ targetGroupArn: arn, containerName: 'app', containerPort: port }]);
  const cases: [string, ServiceRecord, TaskRecord, { id: string; port: number }[]][] = [
    ['instance group: the host instance and the host port', lbs('tg-inst'), task('a', 40001), [{ id: 'i-host', port: 40001 }]],
    ['ip group, task with its own address (oci awsvpc): the address and the container port', lbs('tg-ip'), task('b', 8080, '10.32.0.7'), [{ id: '10.32.0.7', port: 8080 }]],
    ['ip group, process driver (loopback): loopback and the host port', lbs('tg-ip'), task('c', 40002, '127.0.0.1'), [{ id: '127.0.0.1', port: 40002 }]],
    ['a container port the task has no binding for: none', lbs('tg-inst', 9090), task('d', 40003), []],
    ['a target group that is gone: none', lbs('tg-gone'), task('e', 40004), []],
  ];
  for (const [name, s, t, want] of cases) {
    it(name, () => {
      assert.deepEqual(taskTargets(s, t, lookup, 'i-host').map(({ id, port }) => ({ id, port })), want);
    });
  }
});

describe('LoadBalancerTargets', () => {
  it('registers RUNNING tasks, deregisters stopping ones, records ECS events, and lets a task stop once nothing of it is left in the group', async () => {
    const h = harness();
    h.store.migrate('ecs', ecsMigrations);
    const lb = await h.lb();
    const tg = await h.tg('app');
    await h.listener(lb.LoadBalancerArn, 8080, tg.TargetGroupArn);
    const targets = new LoadBalancerTargets({ store: h.store, registry: h.elbv2.ecsTargets, log: () => undefined });
    const deps = { store: h.store } as Parameters<typeof saveService>[0];
    saveService(deps, service([{ targetGroupArn: tg.TargetGroupArn, containerName: 'app', containerPort: 8080 }]));
    const a = task('a', 40001);
    const b = task('b', 40002);
    b.lastStatus = 'PENDING';
    saveTask(deps, a);
    saveTask(deps, b);

    assert.equal(await targets.sync(), true);
    const described = async () => (await h.call('DescribeTargetHealth', { TargetGroupArn: tg.TargetGroupArn })).TargetHealthDescriptions.map((d: any) => `${d.Target.Id}:${d.Target.Port}`);
    assert.deepEqual(await described(), [`${TEST_INSTANCE}:40001`]);
    assert.equal(targets.drained(a), false);
    assert.equal(await targets.sync(), false, 'nothing left to do');

    b.lastStatus = 'RUNNING';
    saveTask(deps, b);
    a.desiredStatus = 'STOPPED';
    saveTask(deps, a);
    assert.equal(await targets.sync(), true);
    assert.deepEqual(await described(), [`${TEST_INSTANCE}:40002`]);
    assert.equal(targets.drained(a), true, 'no data plane: nothing drains');
    assert.equal(targets.drained(b), false);

    const s = JSON.parse(h.store.prepare('SELECT doc FROM ecs_services').pluck().get() as string) as ServiceRecord;
    assert.deepEqual(
      s.events.map((e) => e.message),
      [
        `(service web) registered 1 targets in (target-group ${tg.TargetGroupArn})`,
        `(service web) deregistered 1 targets in (target-group ${tg.TargetGroupArn})`,
        `(service web) registered 1 targets in (target-group ${tg.TargetGroupArn})`,
      ],
    );

    // Health as the scheduler counts it: registered but not yet checked is not HEALTHY.
    const replaced = { ...a, lastStatus: 'STOPPED', stopCode: 'ServiceSchedulerInitiated', stoppedReason: `Task failed ELB health checks in (target-group ${tg.TargetGroupArn})` } as TaskRecord;
    const seen = targets.observe(s, [b, replaced], () => false);
    assert.equal(seen.tasks[0].healthStatus, 'UNKNOWN');
    // ... and a task replaced for failing its target health checks is a failed one for the circuit breaker.
    assert.equal(seen.tasks[1].healthStatus, 'UNHEALTHY');
  });
});
