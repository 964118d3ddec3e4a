import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRecord } from './clusters.js';
import { Store } from '../../state/index.js';
import { TagStore } from '../../tagging/index.js';
import { capacityProviderFor, checkNetworkConfiguration, checkPlacement, hostContainerInstanceId, placeRunTasks, resolveLaunch, serviceRoom, type PlacementConstraint } from './launch.js';
import { ecsMigrations } from './schema.js';
import { saveTask, type TaskRecord } from './tasks.js';
import type { TaskDefinitionRecord } from './task-definition-records.js';

const cluster = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  arn: 'arn:aws:ecs:us-east-1:123456789012:cluster/c',
  name: 'c',
  status: 'ACTIVE',
  createdAt: '2024-01-01T00:00:00.000Z',
  settings: [],
  capacityProviders: [],
  defaultCapacityProviderStrategy: [],
  ...over,
});
const td = (over: Partial<TaskDefinitionRecord> = {}): TaskDefinitionRecord => ({
  taskDefinitionArn: 'arn:aws:ecs:us-east-1:123456789012:task-definition/f:1',
  family: 'f',
  revision: 1,
  status: 'ACTIVE',
  containerDefinitions: [{ name: 'c', image: 'i' }],
  networkMode: 'awsvpc',
  compatibilities: ['EC2', 'FARGATE'],
  registeredAt: '2024-01-01T00:00:00.000Z',
  ...over,
});
const invalid = (re: RegExp) => (e: any) => e.code === 'InvalidParameterException' && re.test(e.message);

describe('resolveLaunch', () => {
  it('defaults to EC2 without a platform version, or to the cluster default strategy', () => {
    assert.deepEqual(resolveLaunch(cluster(), td(), {}), { launchType: 'EC2', capacityProviderStrategy: [] });
    const withDefault = cluster({ capacityProviders: ['FARGATE_SPOT'], defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE_SPOT', weight: 1 }] });
    const l = resolveLaunch(withDefault, td(), {});
    assert.equal(l.launchType, 'FARGATE');
    assert.equal(l.platformVersion, 'LATEST');
    assert.equal(capacityProviderFor(l.capacityProviderStrategy), 'FARGATE_SPOT');
  });

  it('refuses launch type plus strategy, providers not on the cluster, platform versions off Fargate, and incompatible task definitions', () => {
    assert.throws(() => resolveLaunch(cluster(), td(), { launchType: 'EC2', capacityProviderStrategy: [{ capacityProvider: 'FARGATE' }] }), invalid(/Specifying both/));
    assert.throws(() => resolveLaunch(cluster(), td(), { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }), invalid(/not associated with the cluster/));
    assert.throws(() => resolveLaunch(cluster(), td(), { launchType: 'EC2', platformVersion: 'LATEST' }), invalid(/platform version must be null when specifying an EC2 launch type/));
    assert.throws(() => resolveLaunch(cluster(), td({ compatibilities: ['EC2'] }), { launchType: 'FARGATE' }), invalid(/does not support launch_type FARGATE/));
    const fargate = cluster({ capacityProviders: ['FARGATE'] });
    assert.throws(() => resolveLaunch(fargate, td(), { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 0 }] }), invalid(/weight greater than zero/));
  });

  it('picks the provider with a base, else the heaviest', () => {
    assert.equal(capacityProviderFor([{ capacityProvider: 'FARGATE', weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }]), 'FARGATE_SPOT');
    assert.equal(capacityProviderFor([{ capacityProvider: 'FARGATE', base: 2, weight: 1 }, { capacityProvider: 'FARGATE_SPOT', weight: 3 }]), 'FARGATE');
    assert.equal(capacityProviderFor([]), undefined);
  });
});

describe('checkNetworkConfiguration', () => {
  it('fills ECS defaults for awsvpc and refuses what ECS refuses', () => {
    assert.deepEqual(checkNetworkConfiguration(td(), 'FARGATE', { awsvpcConfiguration: { subnets: ['s'] } }), {
      awsvpcConfiguration: { subnets: ['s'], securityGroups: [], assignPublicIp: 'DISABLED' },
    });
    assert.throws(() => checkNetworkConfiguration(td(), 'FARGATE', undefined), invalid(/must be provided when networkMode 'awsvpc'/));
    assert.throws(() => checkNetworkConfiguration(td(), 'FARGATE', { awsvpcConfiguration: { subnets: [] } }), invalid(/subnets can not be empty/));
    assert.throws(() => checkNetworkConfiguration(td(), 'EC2', { awsvpcConfiguration: { subnets: ['s'], assignPublicIp: 'ENABLED' } }), invalid(/Assign public IP/));
    assert.throws(() => checkNetworkConfiguration(td({ networkMode: 'bridge' }), 'EC2', { awsvpcConfiguration: { subnets: ['s'] } }), invalid(/not valid for the given networkMode/));
    assert.equal(checkNetworkConfiguration(td({ networkMode: 'bridge' }), 'EC2', undefined), undefined);
  });
});

describe('checkPlacement', () => {
  it('counts the task definition constraints against the limit of 10 and strategies against 5', () => {
    const ten = Array(10).fill({ type: 'distinctInstance' });
    checkPlacement(td(), 'EC2', ten, []);
    assert.throws(() => checkPlacement(td({ placementConstraints: [{ type: 'memberOf', expression: 'x' }] }), 'EC2', ten, []), invalid(/at most 10 placement constraints/));
    assert.throws(() => checkPlacement(td(), 'EC2', [], Array(6).fill({ type: 'random' })), invalid(/at most 5 placement strategy rules/));
  });

  it('checks each rule and refuses placement on Fargate', () => {
    assert.throws(() => checkPlacement(td(), 'EC2', [{ type: 'memberOf' }], []), invalid(/memberOf placement constraint must have an expression/));
    assert.throws(() => checkPlacement(td(), 'EC2', [], [{ type: 'binpack', field: 'disk' }]), invalid(/binpack placement strategy takes the field cpu or memory/));
    assert.throws(() => checkPlacement(td(), 'EC2', [], [{ type: 'spread' }]), invalid(/spread placement strategy takes the field/));
    assert.throws(() => checkPlacement(td(), 'FARGATE', [], [{ type: 'random' }]), invalid(/not supported with the FARGATE launch type/));
  });
});

describe("Berth's host as a container instance", () => {
  const deps = () => {
    const store = Store.openFile(':memory:');
    store.migrate('ecs', ecsMigrations);
    return { store, tags: new TagStore(store), scope: { accountId: '123456789012', region: 'eu-west-1' }, now: () => new Date('2026-01-01T00:00:00Z') };
  };
  const c = cluster();
  const live = (d: ReturnType<typeof deps>, id: string, group: string, lastStatus: TaskRecord['lastStatus'] = 'RUNNING') =>
    saveTask(d, { taskArn: `arn:aws:ecs:eu-west-1:123456789012:task/c/${id}`, id, clusterArn: c.arn, family: 'f', lastStatus, desiredStatus: 'RUNNING', createdAt: '2026-01-01T00:00:00Z', group, launchType: 'EC2' } as TaskRecord);
  const ec2 = (placementConstraints: PlacementConstraint[]) => ({ clusterArn: c.arn, effectiveLaunchType: 'EC2' as const, placementConstraints });

  it('holds a service by its constraints and its task definition constraints; Fargate services are not placed on it', () => {
    const d = deps();
    assert.equal(serviceRoom(d, ec2([]), td()).holds, Infinity);
    assert.equal(serviceRoom(d, { ...ec2([{ type: 'distinctInstance' }]), effectiveLaunchType: 'FARGATE' }, td()).holds, Infinity);
    assert.equal(serviceRoom(d, ec2([{ type: 'distinctInstance' }]), td()).holds, 1);
    const zone = serviceRoom(d, ec2([{ type: 'memberOf', expression: 'attribute:ecs.availability-zone == eu-west-1a' }]), td());
    assert.deepEqual([zone.holds, zone.containerInstanceId], [Infinity, hostContainerInstanceId(c.arn)]);
    const excluded = serviceRoom(d, ec2([]), td({ placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == windows' }] }));
    assert.deepEqual([excluded.holds, excluded.unsatisfied], [0, 'MemberOf placement constraint unsatisfied.']);
  });

  it("places RunTask's tasks: distinctInstance counts the group's live tasks, task:group and runningTasksCount read them", () => {
    const d = deps();
    live(d, 'a', 'g');
    live(d, 'b', 'other', 'STOPPED');
    const distinct = [{ type: 'distinctInstance' as const }];
    assert.deepEqual(placeRunTasks(d, c, 'EC2', 'g', distinct, [], 2).placed, 0);
    assert.deepEqual(placeRunTasks(d, c, 'EC2', 'other', distinct, [], 2).placed, 1);
    const failures = placeRunTasks(d, c, 'EC2', 'other', distinct, [], 3).failures;
    assert.deepEqual(failures.map((f) => f.reason), Array(2).fill('DistinctInstance placement constraint unsatisfied.'));
    assert.equal(failures[0].arn, `arn:aws:ecs:eu-west-1:123456789012:container-instance/c/${hostContainerInstanceId(c.arn)}`);
    const member = (expression: string) => checkPlacement(td(), 'EC2', [{ type: 'memberOf', expression }], []);
    assert.equal(placeRunTasks(d, c, 'EC2', 'x', [], member('task:group == g'), 3).placed, 3);
    assert.equal(placeRunTasks(d, c, 'EC2', 'x', [], member('task:group == other'), 3).placed, 0, 'a STOPPED task does not put the host in its group');
    assert.equal(placeRunTasks(d, c, 'EC2', 'x', [], member('runningTasksCount < 1'), 1).placed, 0);
    assert.equal(placeRunTasks(d, c, 'FARGATE', 'g', distinct, [], 2).placed, 2);
  });
});
