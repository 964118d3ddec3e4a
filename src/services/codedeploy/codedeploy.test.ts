import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Store } from '../../state/index.js';
import { harness, ROLE } from './test-support.js';

describe('CodeDeploy applications', () => {
  it('creates, gets, lists, renames and deletes applications, with AWS defaults and errors', async () => {
    const h = harness();
    const { applicationId } = await h.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
    assert.match(applicationId, /^[0-9a-f-]{36}$/);
    const { application } = await h.call('GetApplication', { applicationName: 'app' });
    assert.deepEqual({ ...application, createTime: undefined }, { applicationId, applicationName: 'app', linkedToGitHub: false, computePlatform: 'ECS', createTime: undefined });
    assert.equal((await h.call('CreateApplication', { applicationName: 'legacy' })).applicationId.length, 36);
    assert.equal((await h.call('GetApplication', { applicationName: 'legacy' })).application.computePlatform, 'Server', 'Server is the default platform');
    await h.fails('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' }, 'ApplicationAlreadyExistsException', /app already exists/);
    await h.fails('CreateApplication', { applicationName: 'bad name!' }, 'InvalidApplicationNameException', /'bad name!' is not valid/);
    await h.fails('CreateApplication', { applicationName: 'x'.repeat(101) }, 'InvalidApplicationNameException', /applicationName/);
    await h.fails('CreateApplication', {}, 'ApplicationNameRequiredException', /Member must not be null/);
    await h.fails('CreateApplication', { applicationName: 'p', computePlatform: 'Mainframe' }, 'ValidationException', /computePlatform/);
    await h.fails('GetApplication', { applicationName: 'nope' }, 'ApplicationDoesNotExistException', /No application found for name: nope/);
    assert.deepEqual((await h.call('ListApplications', {})).applications, ['app', 'legacy']);
    assert.equal((await h.call('BatchGetApplications', { applicationNames: ['app', 'legacy'] })).applicationsInfo.length, 2);
    await h.fails('BatchGetApplications', { applicationNames: ['app', 'nope'] }, 'ApplicationDoesNotExistException', /nope/);
    await h.fails('BatchGetApplications', { applicationNames: [] }, 'ApplicationNameRequiredException');
    await h.call('UpdateApplication', { applicationName: 'legacy', newApplicationName: 'renamed' });
    await h.fails('UpdateApplication', { applicationName: 'renamed', newApplicationName: 'app' }, 'ApplicationAlreadyExistsException');
    await h.fails('UpdateApplication', { applicationName: 'legacy', newApplicationName: 'x' }, 'ApplicationDoesNotExistException');
    assert.deepEqual((await h.call('ListApplications', {})).applications, ['app', 'renamed']);
    await h.call('DeleteApplication', { applicationName: 'renamed' });
    await h.call('DeleteApplication', { applicationName: 'renamed' });
    assert.deepEqual((await h.call('ListApplications', {})).applications, ['app']);
  });

  it('pages ListApplications 100 at a time and refuses a foreign token', async () => {
    const h = harness();
    for (let i = 0; i < 105; i++) await h.call('CreateApplication', { applicationName: `a${String(i).padStart(3, '0')}`, computePlatform: 'ECS' });
    const first = await h.call('ListApplications', {});
    assert.equal(first.applications.length, 100);
    const second = await h.call('ListApplications', { nextToken: first.nextToken });
    assert.deepEqual(second.applications, ['a100', 'a101', 'a102', 'a103', 'a104']);
    assert.equal(second.nextToken, undefined);
    await h.fails('ListDeploymentConfigs', { nextToken: first.nextToken }, 'InvalidNextTokenException');
  });
});

describe('CodeDeploy deployment configs', () => {
  it('lists the predefined configs with their traffic routing and refuses to delete them', async () => {
    const h = harness();
    const names = (await h.call('ListDeploymentConfigs', {})).deploymentConfigsList;
    for (const n of ['ECSAllAtOnce', 'ECSLinear10PercentEvery1Minutes', 'ECSLinear10PercentEvery3Minutes', 'ECSCanary10Percent5Minutes', 'ECSCanary10Percent15Minutes', 'OneAtATime', 'LambdaAllAtOnce']) {
      assert.ok(names.includes(`CodeDeployDefault.${n}`), n);
    }
    const canary = (await h.call('GetDeploymentConfig', { deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent15Minutes' })).deploymentConfigInfo;
    assert.equal(canary.computePlatform, 'ECS');
    assert.deepEqual(canary.trafficRoutingConfig, { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 15 } });
    const linear = (await h.call('GetDeploymentConfig', { deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes' })).deploymentConfigInfo;
    assert.deepEqual(linear.trafficRoutingConfig, { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 3 } });
    assert.deepEqual((await h.call('GetDeploymentConfig', { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' })).deploymentConfigInfo.trafficRoutingConfig, { type: 'AllAtOnce' });
    await h.fails('DeleteDeploymentConfig', { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' }, 'InvalidOperationException', /predefined/);
    await h.fails('GetDeploymentConfig', { deploymentConfigName: 'nope' }, 'DeploymentConfigDoesNotExistException', /nope/);
  });

  it('creates custom ECS configs and checks their traffic routing', async () => {
    const h = harness();
    const mk = (name: string, trafficRoutingConfig?: object, extra = {}) => ({ deploymentConfigName: name, computePlatform: 'ECS', trafficRoutingConfig, ...extra });
    await h.call('CreateDeploymentConfig', mk('canary20', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 20, canaryInterval: 2 } }));
    const c = (await h.call('GetDeploymentConfig', { deploymentConfigName: 'canary20' })).deploymentConfigInfo;
    assert.deepEqual(c.trafficRoutingConfig, { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 20, canaryInterval: 2 } });
    assert.equal(c.computePlatform, 'ECS');
    await h.fails('CreateDeploymentConfig', mk('canary20', { type: 'AllAtOnce' }), 'DeploymentConfigAlreadyExistsException');
    const bad = 'InvalidTrafficRoutingConfigurationException';
    await h.fails('CreateDeploymentConfig', mk('p0', { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 0, canaryInterval: 2 } }), bad, /canaryPercentage must be between 1 and 99; got 0/);
    await h.fails('CreateDeploymentConfig', mk('p100', { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 100, linearInterval: 2 } }), bad, /linearPercentage must be between 1 and 99; got 100/);
    await h.fails('CreateDeploymentConfig', mk('i0', { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 0 } }), bad, /linearInterval must be between 1 and 2880 minutes/);
    await h.fails('CreateDeploymentConfig', mk('miss', { type: 'TimeBasedCanary' }), bad, /timeBasedCanary is required/);
    await h.fails('CreateDeploymentConfig', mk('mixed', { type: 'AllAtOnce', timeBasedLinear: { linearPercentage: 10, linearInterval: 1 } }), bad, /AllAtOnce/);
    await h.fails('CreateDeploymentConfig', mk('hosts', { type: 'AllAtOnce' }, { minimumHealthyHosts: { type: 'HOST_COUNT', value: 1 } }), 'InvalidMinimumHealthyHostValueException', /Server compute platform only/);
    await h.fails('CreateDeploymentConfig', mk('CodeDeployDefault.Mine', { type: 'AllAtOnce' }), 'InvalidDeploymentConfigNameException', /reserved/);
    await h.fails('CreateDeploymentConfig', mk('a b', { type: 'AllAtOnce' }), 'InvalidDeploymentConfigNameException');
    await h.fails('CreateDeploymentConfig', { deploymentConfigName: 'srv' }, 'InvalidMinimumHealthyHostValueException', /minimumHealthyHosts/);
    await h.fails('CreateDeploymentConfig', { deploymentConfigName: 'srv', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 100 } }, 'InvalidMinimumHealthyHostValueException', /0 to 99/);
    await h.call('CreateDeploymentConfig', { deploymentConfigName: 'srv', minimumHealthyHosts: { type: 'FLEET_PERCENT', value: 75 } });
    const names = (await h.call('ListDeploymentConfigs', {})).deploymentConfigsList;
    assert.deepEqual(names.slice(-2), ['canary20', 'srv']);
    assert.ok(!names.includes('p0'), 'a refused config is not made');
    await h.call('DeleteDeploymentConfig', { deploymentConfigName: 'srv' });
    await h.fails('GetDeploymentConfig', { deploymentConfigName: 'srv' }, 'DeploymentConfigDoesNotExistException');
  });
});

describe('CodeDeploy ECS deployment groups', () => {
  it('creates a group over a CODE_DEPLOY service, two target groups and listeners, with AWS defaults', async () => {
    const h = harness();
    const f = await h.fixture();
    await h.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
    const { deploymentGroupId } = await h.call('CreateDeploymentGroup', h.groupInput(f, { tags: [{ Key: 'team', Value: 'web' }] }));
    const g = (await h.call('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' })).deploymentGroupInfo;
    assert.equal(g.deploymentGroupId, deploymentGroupId);
    assert.equal(g.deploymentConfigName, 'CodeDeployDefault.ECSAllAtOnce');
    assert.equal(g.computePlatform, 'ECS');
    assert.equal(g.serviceRoleArn, ROLE);
    assert.deepEqual(g.ecsServices, [{ serviceName: 'web', clusterName: 'main' }]);
    assert.deepEqual(g.blueGreenDeploymentConfiguration, {
      terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 0 },
      deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
    });
    assert.deepEqual(g.autoRollbackConfiguration, { enabled: false, events: [] });
    assert.deepEqual(g.alarmConfiguration, { enabled: false, ignorePollAlarmFailure: false, alarms: [] });
    assert.equal(g.outdatedInstancesStrategy, 'UPDATE');
    assert.equal(g.lastAttemptedDeployment, undefined);
    assert.equal(g.targetRevision, undefined);
    assert.deepEqual(g.loadBalancerInfo.targetGroupPairInfoList[0].targetGroups, [{ name: 'blue' }, { name: 'green' }]);
    assert.deepEqual(g.loadBalancerInfo.targetGroupPairInfoList[0].testTrafficRoute, { listenerArns: [f.testListener] });
    const arn = 'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/dg';
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceArn: arn })).Tags, [{ Key: 'team', Value: 'web' }]);
    assert.deepEqual((await h.call('ListDeploymentGroups', { applicationName: 'app' })).deploymentGroups, ['dg']);
    const batch = await h.call('BatchGetDeploymentGroups', { applicationName: 'app', deploymentGroupNames: ['dg', 'ghost'] });
    assert.equal(batch.deploymentGroupsInfo.length, 1);
    assert.match(batch.errorMessage, /ghost/);
    await h.fails('CreateDeploymentGroup', h.groupInput(f), 'DeploymentGroupAlreadyExistsException', /dg/);
    await h.fails('DeleteDeploymentConfig', { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' }, 'InvalidOperationException');
  });

  it('answers each bad input with its CodeDeploy exception and makes nothing', async () => {
    const h = harness();
    const f = await h.fixture();
    await h.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
    await h.call('CreateApplication', { applicationName: 'srv', computePlatform: 'Server' });
    const pair = (over: object) => ({ loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: 'blue' }, { name: 'green' }], prodTrafficRoute: { listenerArns: [f.prodListener] }, ...over }] } });
    const cases: [object, string, RegExp][] = [
      [{ applicationName: 'nope' }, 'ApplicationDoesNotExistException', /nope/],
      [{ applicationName: 'srv' }, 'InvalidComputePlatformException', /Server compute platform/],
      [{ deploymentGroupName: 'bad/name' }, 'InvalidDeploymentGroupNameException', /bad\/name/],
      [{ serviceRoleArn: 'role' }, 'InvalidRoleException', /arn:aws:iam/],
      [{ deploymentConfigName: 'missing' }, 'DeploymentConfigDoesNotExistException', /missing/],
      [{ deploymentConfigName: 'CodeDeployDefault.OneAtATime' }, 'InvalidDeploymentConfigNameException', /Server compute platform/],
      [{ deploymentStyle: undefined }, 'InvalidDeploymentStyleException', /BLUE_GREEN/],
      [{ deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITH_TRAFFIC_CONTROL' } }, 'InvalidDeploymentStyleException', /IN_PLACE/],
      [{ ecsServices: [] }, 'InvalidECSServiceException', /ecsServices/],
      [{ ecsServices: [{ clusterName: 'main', serviceName: 'ghost' }] }, 'InvalidECSServiceException', /ghost in cluster main does not exist/],
      [{ ecsServices: [{ clusterName: 'main', serviceName: 'rolling' }] }, 'InvalidECSServiceException', /CODE_DEPLOY deployment controller/],
      [{ loadBalancerInfo: { targetGroupPairInfoList: [] } }, 'InvalidLoadBalancerInfoException', /exactly one target group pair/],
      [pair({ targetGroups: [{ name: 'blue' }] }), 'InvalidTargetGroupPairException', /exactly two target groups/],
      [pair({ targetGroups: [{ name: 'blue' }, { name: 'blue' }] }), 'InvalidTargetGroupPairException', /must differ/],
      [pair({ targetGroups: [{ name: 'blue' }, { name: 'ghost' }] }), 'InvalidTargetGroupPairException', /ghost does not exist/],
      [pair({ prodTrafficRoute: { listenerArns: [] } }), 'InvalidTargetGroupPairException', /exactly one listener/],
      [pair({ prodTrafficRoute: { listenerArns: [f.prodListener.replace(/\/[0-9a-f]+$/, '/0000000000000000')] } }), 'InvalidTargetGroupPairException', /does not exist/],
      [pair({ testTrafficRoute: { listenerArns: [f.prodListener] } }), 'InvalidTargetGroupPairException', /test listener must differ/],
      [{ blueGreenDeploymentConfiguration: { terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 2881 } } }, 'InvalidBlueGreenDeploymentConfigurationException', /between 0 and 2880/],
      [{ blueGreenDeploymentConfiguration: { deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 5 } } }, 'InvalidBlueGreenDeploymentConfigurationException', /cannot be set to 'CONTINUE_DEPLOYMENT' when timeout is specified/],
      [{ blueGreenDeploymentConfiguration: { greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' } } }, 'InvalidBlueGreenDeploymentConfigurationException', /greenFleetProvisioningOption/],
      [{ autoRollbackConfiguration: { enabled: true, events: [] } }, 'InvalidAutoRollbackConfigException', /no events/],
      [{ alarmConfiguration: { enabled: true, alarms: [] } }, 'InvalidAlarmConfigException', /alarm list is empty/],
      [{ alarmConfiguration: { enabled: true, alarms: Array.from({ length: 11 }, (_, i) => ({ name: `a${i}` })) } }, 'AlarmsLimitExceededException', /\(10\)/],
      [{ triggerConfigurations: [{ triggerName: 't', triggerTargetArn: 'arn:aws:sns:us-east-1:123456789012:t', triggerEvents: ['DeploymentFailure'] }] }, 'InvalidTriggerConfigException', /SNS/],
      [{ autoScalingGroups: ['asg'] }, 'InvalidAutoScalingGroupException', /ECS compute platform/],
    ];
    for (const [over, code, message] of cases) await h.fails('CreateDeploymentGroup', h.groupInput(f, over), code, message);
    await h.fails('CreateDeploymentGroup', { ...h.groupInput(f), serviceRoleArn: undefined }, 'RoleRequiredException', /serviceRoleArn/);
    await h.fails('CreateDeploymentGroup', { ...h.groupInput(f), serviceRoleArn: undefined, deploymentGroupName: undefined }, 'ValidationException', /^2 validation errors detected/);
    assert.deepEqual((await h.call('ListDeploymentGroups', { applicationName: 'app' })).deploymentGroups, []);
    // One ECS service belongs to one deployment group.
    await h.call('CreateDeploymentGroup', h.groupInput(f));
    await h.fails('CreateDeploymentGroup', h.groupInput(f, { deploymentGroupName: 'dg2' }), 'ECSServiceMappingLimitExceededException', /already associated with deployment group dg/);
  });

  it('updates (merging over the stored group), renames with tags, and deletes groups and applications', async () => {
    const h = harness();
    const f = await h.fixture();
    await h.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
    await h.call('CreateDeploymentConfig', { deploymentConfigName: 'lin', computePlatform: 'ECS', trafficRoutingConfig: { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 25, linearInterval: 1 } } });
    await h.call('CreateDeploymentGroup', h.groupInput(f, { tags: [{ Key: 'k', Value: 'v' }] }));
    await h.call('UpdateDeploymentGroup', {
      applicationName: 'app', currentDeploymentGroupName: 'dg', newDeploymentGroupName: 'prod', deploymentConfigName: 'lin',
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      blueGreenDeploymentConfiguration: { deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 30 }, terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 } },
      alarmConfiguration: { enabled: true, alarms: [{ name: 'errors' }] },
    });
    await h.fails('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' }, 'DeploymentGroupDoesNotExistException', /dg/);
    const g = (await h.call('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'prod' })).deploymentGroupInfo;
    assert.equal(g.deploymentConfigName, 'lin');
    assert.deepEqual(g.ecsServices, [{ serviceName: 'web', clusterName: 'main' }], 'unchanged members are kept');
    assert.deepEqual(g.autoRollbackConfiguration.events, ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']);
    assert.equal(g.blueGreenDeploymentConfiguration.deploymentReadyOption.waitTimeInMinutes, 30);
    assert.deepEqual(g.alarmConfiguration.alarms, [{ name: 'errors' }]);
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceArn: 'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:app/prod' })).Tags, [{ Key: 'k', Value: 'v' }]);
    await h.fails('UpdateDeploymentGroup', { applicationName: 'app', currentDeploymentGroupName: 'prod', deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' } }, 'InvalidDeploymentStyleException');
    await h.fails('DeleteDeploymentConfig', { deploymentConfigName: 'lin' }, 'DeploymentConfigInUseException', /lin/);
    // Renaming the application keeps its groups (and their tags).
    await h.call('UpdateApplication', { applicationName: 'app', newApplicationName: 'shop' });
    assert.deepEqual((await h.call('ListDeploymentGroups', { applicationName: 'shop' })).deploymentGroups, ['prod']);
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceArn: 'arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:shop/prod' })).Tags, [{ Key: 'k', Value: 'v' }]);
    await h.call('DeleteDeploymentGroup', { applicationName: 'shop', deploymentGroupName: 'ghost' });
    await h.call('DeleteApplication', { applicationName: 'shop' });
    await h.fails('ListDeploymentGroups', { applicationName: 'shop' }, 'ApplicationDoesNotExistException');
    await h.call('DeleteDeploymentGroup', { applicationName: 'shop', deploymentGroupName: 'prod' });
    await h.call('DeleteDeploymentConfig', { deploymentConfigName: 'lin' });
  });
});

describe('CodeDeploy tags and unbuilt operations', () => {
  it('tags applications and answers the tagging errors', async () => {
    const h = harness();
    await h.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
    const arn = 'arn:aws:codedeploy:us-east-1:123456789012:application:app';
    await h.call('TagResource', { ResourceArn: arn, Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] });
    await h.call('UntagResource', { ResourceArn: arn, TagKeys: ['a'] });
    assert.deepEqual((await h.call('ListTagsForResource', { ResourceArn: arn })).Tags, [{ Key: 'b', Value: '2' }]);
    await h.fails('TagResource', { ResourceArn: arn.replace(/:app$/, ':nope'), Tags: [{ Key: 'a', Value: '1' }] }, 'ApplicationDoesNotExistException');
    await h.fails('TagResource', { ResourceArn: 'arn:aws:s3:::bucket', Tags: [{ Key: 'a', Value: '1' }] }, 'InvalidArnException');
    await h.fails('TagResource', { ResourceArn: arn, Tags: [{ Key: 'aws:x', Value: '1' }] }, 'InvalidTagsToAddException', /reserved/);
    await h.fails('TagResource', { ResourceArn: arn, Tags: [] }, 'TagRequiredException');
    await h.fails('TagResource', { ResourceArn: 'arn:aws:codedeploy:us-east-1:123456789012:deploymentconfig:CodeDeployDefault.ECSAllAtOnce', Tags: [{ Key: 'a', Value: '1' }] }, 'ArnNotSupportedException');
  });

  it('answers operations it has not built (EC2/on-premises instances, stored revisions) with UnsupportedOperation', async () => {
    const h = harness();
    for (const op of ['RegisterApplicationRevision', 'ListApplicationRevisions', 'RegisterOnPremisesInstance', 'ListDeploymentInstances']) {
      assert.equal(h.codedeploy.operations[op], undefined, op);
    }
    assert.equal(h.codedeploy.unsupportedCode, 'UnsupportedOperation');
  });
});

describe('CodeDeploy state', () => {
  it('survives closing and reopening the store', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-codedeploy-'));
    try {
      const h1 = harness(Store.open(dir));
      const f = await h1.fixture();
      await h1.call('CreateApplication', { applicationName: 'app', computePlatform: 'ECS' });
      await h1.call('CreateDeploymentConfig', { deploymentConfigName: 'c', computePlatform: 'ECS', trafficRoutingConfig: { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 5, canaryInterval: 1 } } });
      const { deploymentGroupId } = await h1.call('CreateDeploymentGroup', h1.groupInput(f, { deploymentConfigName: 'c' }));
      h1.store.close();
      const h2 = harness(Store.open(dir));
      const g = (await h2.call('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' })).deploymentGroupInfo;
      assert.equal(g.deploymentGroupId, deploymentGroupId);
      assert.equal(g.deploymentConfigName, 'c');
      assert.deepEqual((await h2.call('GetDeploymentConfig', { deploymentConfigName: 'c' })).deploymentConfigInfo.trafficRoutingConfig.timeBasedCanary, { canaryPercentage: 5, canaryInterval: 1 });
      h2.store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
