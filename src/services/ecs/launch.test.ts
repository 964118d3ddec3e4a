import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ClusterRecord } from './clusters.js';
import { capacityProviderFor, checkNetworkConfiguration, checkPlacement, resolveLaunch } from './launch.js';
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
