import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkScale, computedDesiredCount } from './task-sets.js';

describe('computedDesiredCount', () => {
  const cases: [desired: number, percent: number, expected: number][] = [
    [10, 100, 10],
    [10, 50, 5],
    [3, 50, 2], // 1.5 rounds up
    [6, 20, 2], // 1.2 rounds up to 2, the API reference's example
    [1, 1, 1],
    [0, 100, 0],
    [10, 0, 0],
    [3, 33.333333333, 1], // 0.99999999999 is 1, not a float that rounds up to 2
    [100, 7, 7], // 7.000000000000001 in floating point must stay 7
    [5, 10, 1],
  ];
  for (const [desired, percent, expected] of cases) {
    it(`${desired} x ${percent}% -> ${expected}`, () => assert.equal(computedDesiredCount(desired, percent), expected));
  }
});

describe('checkScale', () => {
  it('defaults to 100 PERCENT', () => assert.deepEqual(checkScale(undefined), { value: 100, unit: 'PERCENT' }));
  it('takes 0 to 100 PERCENT', () => assert.deepEqual(checkScale({ value: 50, unit: 'PERCENT' }), { value: 50, unit: 'PERCENT' }));
  for (const bad of [{ value: 101, unit: 'PERCENT' }, { value: -1, unit: 'PERCENT' }, { value: 50, unit: 'COUNT' }]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => checkScale(bad), (e: Error & { code?: string }) => /scale/i.test(e.message)));
  }
});

describe('codeDeployTaskSets (the internal door for CodeDeploy)', async () => {
  const { Store } = await import('../../state/index.js');
  const { TagStore } = await import('../../tagging/index.js');
  const { ecsMigrations } = await import('./schema.js');
  const { clusterOperations } = await import('./clusters.js');
  const { taskDefinitionOperations } = await import('./task-definitions.js');
  const { serviceOperations } = await import('./services.js');
  const { codeDeployTaskSets, taskSetOperations } = await import('./task-sets.js');

  const setup = () => {
    const store = Store.openFile(':memory:');
    store.migrate('ecs', ecsMigrations);
    const woken: string[] = [];
    const deps = { store, tags: new TagStore(store), scope: { accountId: '123456789012', region: 'us-east-1' }, now: () => new Date('2026-01-01T00:00:00Z'), onServiceChange: (s: { serviceName: string }) => woken.push(s.serviceName) };
    clusterOperations(deps).CreateCluster({ clusterName: 'c' } as never);
    const tdOps = taskDefinitionOperations(deps);
    for (const v of ['1', '2']) {
      tdOps.RegisterTaskDefinition({ family: 'app', containerDefinitions: [{ name: 'app', image: 'host', memory: 64, environment: [{ name: 'V', value: v }], portMappings: [{ containerPort: 8080 }] }] } as never);
    }
    const svc = serviceOperations(deps);
    const lbs = [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/blue/0123456789abcdef', containerName: 'app', containerPort: 8080 }];
    svc.CreateService({ cluster: 'c', serviceName: 'bg', taskDefinition: 'app:1', desiredCount: 3, loadBalancers: lbs, deploymentController: { type: 'CODE_DEPLOY' } });
    return { deps, woken, svc, cd: codeDeployTaskSets(deps), api: taskSetOperations(deps) };
  };

  it('creates a replacement task set, scales it, makes it primary and deletes the original, as the API operations do', () => {
    const { cd, svc, woken, api } = setup();
    const [original] = cd.describe('c', 'bg');
    assert.equal(original.status, 'PRIMARY');
    assert.equal(original.startedBy, 'CODE_DEPLOY');
    const green = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/green/0123456789abcdef';
    const created = cd.create({ cluster: 'c', service: 'bg', taskDefinition: 'app:2', externalId: 'd-ABCDEFGHI', loadBalancers: [{ targetGroupArn: green, containerName: 'app', containerPort: 8080 }], scale: { value: 0, unit: 'PERCENT' } });
    assert.equal(created.status, 'ACTIVE');
    assert.equal(created.externalId, 'd-ABCDEFGHI');
    assert.equal(created.startedBy, 'CODE_DEPLOY');
    assert.equal(created.computedDesiredCount, 0);
    assert.equal(cd.updateScale('c', 'bg', created.id as string, { value: 50 }).computedDesiredCount, 2, '3 x 50% rounds up to 2');
    cd.makePrimary('c', 'bg', created.taskSetArn as string);
    const described = svc.DescribeServices({ cluster: 'c', services: ['bg'] }).services[0] as { taskDefinition: string; taskSets: { id: string; status: string }[]; loadBalancers: { targetGroupArn: string }[] };
    assert.deepEqual(described.taskSets.map((t) => t.status), ['ACTIVE', 'PRIMARY']);
    assert.match(described.taskDefinition, /app:2$/);
    assert.equal(described.loadBalancers[0].targetGroupArn, green);
    assert.equal(cd.delete('c', 'bg', original.id as string).status, 'DRAINING');
    assert.ok(woken.filter((n) => n === 'bg').length >= 5, 'each change wakes the scheduler');
    // The API itself refuses these changes on a CODE_DEPLOY service.
    assert.throws(() => api.UpdateTaskSet({ cluster: 'c', service: 'bg', taskSet: created.id as string, scale: { value: 100 } }), /external deployment controllers/);
  });

  it('refuses a service of another controller and leaves nothing half-made on bad input', () => {
    const { cd, svc } = setup();
    svc.CreateService({ cluster: 'c', serviceName: 'plain', taskDefinition: 'app:1', desiredCount: 0 });
    assert.throws(() => cd.create({ cluster: 'c', service: 'plain', taskDefinition: 'app:2' }), /CODE_DEPLOY/);
    assert.throws(() => cd.create({ cluster: 'c', service: 'bg', taskDefinition: 'app:2', scale: { value: 120 } }), /between 0 and 100/);
    assert.throws(() => cd.create({ cluster: 'c', service: 'bg', taskDefinition: 'app:2', loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/g/0123456789abcdef', containerName: 'nope', containerPort: 8080 }] }), /container nope/);
    assert.equal(cd.describe('c', 'bg').length, 1);
  });
});
