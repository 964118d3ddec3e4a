import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { TagStore } from '../../tagging/index.js';
import { codeDeployTaskSets } from '../ecs/index.js';
import { hookExecutionId } from './deployment-types.js';
import { Records } from './records.js';
import { appSpecYaml, harness, TEST_SCOPE, type Harness } from './test-support.js';

const TD1 = 'arn:aws:ecs:us-east-1:123456789012:task-definition/web:1';
const appSpecRevision = (content: string, sha256?: string) => ({ revisionType: 'AppSpecContent', appSpecContent: { content, sha256 } });

/** The fixture service's PRIMARY task set, as ECS shows it. */
async function primaryTaskSet(h: Harness): Promise<any> {
  const s = (await h.ecs('DescribeServices', { cluster: 'main', services: ['web'] })).services[0];
  return s.taskSets.find((t: any) => t.status === 'PRIMARY');
}

/** Moves production to a new PRIMARY task set on `targetGroupArn` through ECS's CodeDeploy door (as the engine does), draining the old one. */
function swapPrimary(h: Harness, targetGroupArn: string): string {
  const door = codeDeployTaskSets({ store: h.store, tags: new TagStore(h.store), scope: TEST_SCOPE, now: () => new Date() });
  const old = door.describe('main', 'web').find((t) => t.status === 'PRIMARY')!;
  const set = door.create({
    cluster: 'main', service: 'web', taskDefinition: 'web:1', externalId: 'swap', scale: { value: 100, unit: 'PERCENT' },
    networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } }, loadBalancers: [{ targetGroupArn, containerName: 'web', containerPort: 8080 }],
  });
  door.makePrimary('main', 'web', set.id as string);
  door.delete('main', 'web', old.id as string);
  return set.id as string;
}

/** Marks the group's last successful deployment as the engine would. */
function markGroupSucceeded(h: Harness, id: string): void {
  const records = new Records(h.store);
  const d = h.update(id, () => ({ status: 'Succeeded', completeTime: new Date().toISOString() }));
  const g = records.groupById(d.deploymentGroupId)!;
  const last = { deploymentId: id, status: 'Succeeded', createTime: d.createTime, endTime: d.completeTime };
  h.store.transaction(() => records.saveGroup({ ...g, lastAttemptedDeployment: last, lastSuccessfulDeployment: last }));
}

describe('CodeDeploy CreateDeployment', () => {
  it('records a deployment from the group, the PRIMARY task set and the appspec, and shows it as DeploymentInfo', async () => {
    const h = harness();
    const f = await h.deploymentGroup({ autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] } });
    const primary = await primaryTaskSet(h);
    const id = await h.deploy({ description: 'first' });
    assert.match(id, /^d-[A-Z0-9]{9}$/);
    assert.equal(h.wakes(), 1, 'CreateDeployment wakes the engine');
    const d = h.record(id);
    assert.equal(d.status, 'Created');
    assert.equal(d.kind, 'deployment');
    assert.equal(d.creator, 'user');
    assert.deepEqual(d.appSpec, { taskDefinition: TD1, containerName: 'web', containerPort: 8080, hooks: {} }, 'family:revision is resolved to the ARN');
    assert.deepEqual(d.targetGroups.original, { name: 'blue', arn: f.blue });
    assert.deepEqual(d.targetGroups.replacement, { name: 'green', arn: f.green });
    assert.deepEqual(d.prodListenerArns, [f.prodListener]);
    assert.deepEqual(d.testListenerArns, [f.testListener]);
    assert.equal(d.originalTaskSetId, primary.id);
    assert.equal(d.originalTaskDefinition, TD1);
    assert.deepEqual(d.trafficRouting, { type: 'AllAtOnce' });
    assert.deepEqual(d.autoRollback, { enabled: true, events: ['DEPLOYMENT_FAILURE'] });
    assert.deepEqual(d.traffic, { replacementWeight: 0 });
    assert.equal(d.lifecycleEvents.length, 8);
    assert.ok(d.lifecycleEvents.every((e) => e.status === 'Pending'));
    assert.deepEqual(d.service, { serviceName: 'web', clusterName: 'main' });
    assert.match(d.serviceArn, /^arn:aws:ecs:us-east-1:123456789012:service\/main\/web$/);

    const info = (await h.call('GetDeployment', { deploymentId: id })).deploymentInfo;
    const content = appSpecYaml();
    assert.deepEqual(
      { ...info, createTime: undefined },
      {
        applicationName: 'app',
        deploymentGroupName: 'dg',
        deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce',
        deploymentId: id,
        revision: { revisionType: 'AppSpecContent', appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') } },
        status: 'Created',
        createTime: undefined,
        deploymentOverview: { Pending: 1, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 },
        description: 'first',
        creator: 'user',
        ignoreApplicationStopFailures: false,
        autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
        updateOutdatedInstancesOnly: false,
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        instanceTerminationWaitTimeStarted: false,
        blueGreenDeploymentConfiguration: {
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 0 },
          deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
        },
        loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: 'blue' }, { name: 'green' }], prodTrafficRoute: { listenerArns: [f.prodListener] }, testTrafficRoute: { listenerArns: [f.testListener] } }] },
        fileExistsBehavior: 'DISALLOW',
        deploymentStatusMessages: [],
        computePlatform: 'ECS',
      },
    );
    assert.ok(Math.abs(Date.parse(info.createTime) - Date.now()) < 60_000, 'createTime is a timestamp of now');
    const g = (await h.call('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' })).deploymentGroupInfo;
    assert.equal(g.lastAttemptedDeployment.deploymentId, id);
    assert.equal(g.lastAttemptedDeployment.status, 'Created');
    assert.equal(g.lastSuccessfulDeployment, undefined);
  });

  it('takes the config, rollback and alarm overrides, a String revision with its sha256, and JSON', async () => {
    const h = harness();
    await h.deploymentGroup();
    await h.call('CreateDeploymentConfig', { deploymentConfigName: 'lin', computePlatform: 'ECS', trafficRoutingConfig: { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 20, linearInterval: 2 } } });
    const content = JSON.stringify({ version: 0.0, Resources: [{ svc: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: TD1, LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 } } } }], Hooks: [{ BeforeInstall: 'check' }] });
    const sha = createHash('sha256').update(content).digest('hex');
    const id = await h.deploy({
      deploymentConfigName: 'lin',
      revision: { revisionType: 'String', string: { content, sha256: sha } },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] },
      overrideAlarmConfiguration: { enabled: true, alarms: [{ name: 'errors' }] },
    });
    const d = h.record(id);
    assert.deepEqual(d.trafficRouting, { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 20, linearInterval: 2 } });
    assert.deepEqual(d.autoRollback, { enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] });
    assert.deepEqual(d.appSpec.hooks, { BeforeInstall: 'check' });
    const info = (await h.call('GetDeployment', { deploymentId: id })).deploymentInfo;
    assert.equal(info.deploymentConfigName, 'lin');
    assert.deepEqual(info.revision, { revisionType: 'String', string: { content, sha256: sha } });
    assert.deepEqual(info.overrideAlarmConfiguration, { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: 'errors' }] });
  });

  it('answers each bad input with its CodeDeploy exception and records nothing', async () => {
    const h = harness();
    await h.deploymentGroup();
    await h.call('CreateApplication', { applicationName: 'srv' });
    const rev = (content: string) => ({ revision: appSpecRevision(content) });
    const cases: [object, string, RegExp][] = [
      [{ applicationName: 'nope' }, 'ApplicationDoesNotExistException', /nope/],
      [{ deploymentGroupName: undefined }, 'DeploymentGroupNameRequiredException', /deployment group name/],
      [{ deploymentGroupName: 'ghost' }, 'DeploymentGroupDoesNotExistException', /ghost/],
      [{ applicationName: 'srv' }, 'DeploymentGroupDoesNotExistException', /dg/],
      [{ revision: undefined }, 'RevisionRequiredException', /^Revision must be specified\.$/],
      [{ revision: { revisionType: 'S3', s3Location: { bucket: 'b', key: 'k', bundleType: 'YAML' } } }, 'InvalidRevisionException', /no Amazon S3 bucket.*AppSpecContent/],
      [{ revision: { revisionType: 'GitHub', gitHubLocation: { repository: 'a/b', commitId: 'c' } } }, 'InvalidRevisionException', /GitHub/],
      [{ revision: { revisionType: 'AppSpecContent' } }, 'InvalidRevisionException', /appSpecContent\.content/],
      [{ revision: appSpecRevision(appSpecYaml(), '00'.repeat(32)) }, 'InvalidRevisionException', /does not match the SHA-256/],
      [rev('Resources: ['), 'InvalidRevisionException', /neither YAML nor JSON/],
      [rev('version: 0.0\nResources: []\n'), 'InvalidRevisionException', /exactly one resource/],
      [{ deploymentConfigName: 'missing' }, 'DeploymentConfigDoesNotExistException', /missing/],
      [{ deploymentConfigName: 'CodeDeployDefault.OneAtATime' }, 'InvalidDeploymentConfigNameException', /Server compute platform/],
      [{ deploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce' }, 'InvalidDeploymentConfigNameException', /Lambda compute platform/],
      [{ targetInstances: { autoScalingGroups: ['asg'] } }, 'InvalidTargetInstancesException', /EC2/],
      [{ updateOutdatedInstancesOnly: true }, 'InvalidUpdateOutdatedInstancesOnlyValueException', /EC2/],
      [{ fileExistsBehavior: 'OVERWRITE' }, 'InvalidFileExistsBehaviorException', /EC2/],
      [{ ignoreApplicationStopFailures: true }, 'InvalidIgnoreApplicationStopFailuresValueException', /EC2/],
      [{ autoRollbackConfiguration: { enabled: true, events: [] } }, 'InvalidAutoRollbackConfigException', /no events/],
      [{ overrideAlarmConfiguration: { enabled: true, alarms: [] } }, 'InvalidAlarmConfigException', /alarm list is empty/],
    ];
    const base = { applicationName: 'app', deploymentGroupName: 'dg', revision: appSpecRevision(appSpecYaml()) };
    for (const [over, code, message] of cases) await h.fails('CreateDeployment', { ...base, ...over }, code, message);
    await h.fails('CreateDeployment', { deploymentGroupName: 'dg' }, 'ApplicationNameRequiredException');
    assert.deepEqual((await h.call('ListDeployments', {})).deployments, []);
    assert.equal(h.wakes(), 0);
    // The ECS service must still be there and ACTIVE.
    await h.ecs('DeleteService', { cluster: 'main', service: 'web', force: true });
    await h.fails('CreateDeployment', base, 'InvalidECSServiceException', /web in cluster main .*does not exist or is not ACTIVE/);
  });

  it('keeps one live deployment per group: a second is refused until the first is Succeeded, Failed or Stopped', async () => {
    const h = harness();
    await h.deploymentGroup();
    let live = await h.deploy();
    for (const status of ['Created', 'InProgress', 'Ready', 'Baking', 'Queued'] as const) {
      h.update(live, () => ({ status }));
      await h.fails('CreateDeployment', { applicationName: 'app', deploymentGroupName: 'dg', revision: appSpecRevision(appSpecYaml()) }, 'DeploymentLimitExceededException', new RegExp(`^The Deployment Group 'dg' already has an active Deployment '${live}'$`));
    }
    for (const status of ['Succeeded', 'Failed', 'Stopped'] as const) {
      h.update(live, () => ({ status }));
      const next = await h.deploy();
      assert.notEqual(next, live);
      live = next;
    }
    assert.equal((await h.call('ListDeployments', { applicationName: 'app', deploymentGroupName: 'dg' })).deployments.length, 4);
  });

  it('deploys from whichever target group the PRIMARY task set serves, and shows the last successful revision', async () => {
    const h = harness();
    const f = await h.deploymentGroup();
    const first = await h.deploy();
    markGroupSucceeded(h, first);
    // The next deployment's previousRevision and the group's targetRevision are the first's revision.
    const second = await h.deploy({ revision: appSpecRevision(appSpecYaml({ taskDefinition: 'web' })) });
    const d2 = h.record(second);
    assert.deepEqual(d2.previousRevision, h.record(first).revision);
    assert.equal(d2.appSpec.taskDefinition, TD1, 'a bare family is resolved to its latest ACTIVE revision');
    const g = (await h.call('GetDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' })).deploymentGroupInfo;
    assert.deepEqual(g.targetRevision, (await h.call('GetDeployment', { deploymentId: first })).deploymentInfo.revision);
    assert.equal(g.lastSuccessfulDeployment.deploymentId, first);
    assert.equal(g.lastAttemptedDeployment.deploymentId, second);
    assert.deepEqual((await h.call('GetDeployment', { deploymentId: second })).deploymentInfo.previousRevision, g.targetRevision);
    h.update(second, () => ({ status: 'Failed' }));
    // A task definition that does not exist is kept as written: the engine's CreateTaskSet reports it.
    const third = await h.deploy({ revision: appSpecRevision(appSpecYaml({ taskDefinition: 'nope:7' })) });
    assert.equal(h.record(third).appSpec.taskDefinition, 'nope:7');
    h.update(third, () => ({ status: 'Failed' }));

    // Once production runs on green, the next deployment goes from green to blue.
    const onGreen = swapPrimary(h, f.green);
    const fourth = await h.deploy();
    const d4 = h.record(fourth);
    assert.equal(d4.originalTaskSetId, onGreen);
    assert.deepEqual(d4.targetGroups, { original: { name: 'green', arn: f.green }, replacement: { name: 'blue', arn: f.blue } });
    h.update(fourth, () => ({ status: 'Failed' }));

    // A PRIMARY task set on neither target group of the pair cannot be deployed from.
    const lb = (await h.elb('DescribeLoadBalancers', { Names: ['web'] })).LoadBalancers[0];
    const other = (await h.elb('CreateTargetGroup', { Name: 'other', Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' })).TargetGroups[0].TargetGroupArn;
    swapPrimary(h, other);
    await h.fails('CreateDeployment', { applicationName: 'app', deploymentGroupName: 'dg', revision: appSpecRevision(appSpecYaml()) }, 'InvalidTargetGroupPairException', /PRIMARY task set serves neither blue nor green/);
  });
});

describe('CodeDeploy deployment reads', () => {
  it('answers GetDeployment and BatchGetDeployments errors as AWS does', async () => {
    const h = harness();
    await h.deploymentGroup();
    const id = await h.deploy();
    await h.fails('GetDeployment', {}, 'DeploymentIdRequiredException');
    await h.fails('GetDeployment', { deploymentId: 'd-abc' }, 'InvalidDeploymentIdException', /not in the valid format: d-abc/);
    await h.fails('GetDeployment', { deploymentId: 'd-AAAAAAAAA' }, 'DeploymentDoesNotExistException', /^The deployment d-AAAAAAAAA could not be found\.$/);
    const batch = await h.call('BatchGetDeployments', { deploymentIds: [id, 'd-AAAAAAAAA'] });
    assert.deepEqual(batch.deploymentsInfo.map((d: any) => d.deploymentId), [id], 'a missing deployment is left out');
    await h.fails('BatchGetDeployments', { deploymentIds: [] }, 'DeploymentIdRequiredException');
    await h.fails('BatchGetDeployments', { deploymentIds: ['x'] }, 'InvalidDeploymentIdException');
    const many = Array.from({ length: 26 }, (_, i) => `d-${String(i).padStart(9, '0')}`);
    await h.fails('BatchGetDeployments', { deploymentIds: many }, 'BatchLimitExceededException', /25/);
    assert.equal((await h.call('BatchGetDeployments', { deploymentIds: many.slice(0, 25) })).deploymentsInfo.length, 0);
  });

  it('shows the overview bucket and target status that follow the deployment status', async () => {
    const h = harness();
    await h.deploymentGroup();
    const id = await h.deploy();
    const expected: [string, string][] = [
      ['Created', 'Pending'], ['Queued', 'Pending'], ['InProgress', 'InProgress'], ['Baking', 'InProgress'], ['Ready', 'Ready'], ['Succeeded', 'Succeeded'], ['Failed', 'Failed'], ['Stopped', 'Skipped'],
    ];
    for (const [status, bucket] of expected) {
      h.update(id, () => ({ status: status as any }));
      const o = (await h.call('GetDeployment', { deploymentId: id })).deploymentInfo.deploymentOverview;
      assert.equal(o[bucket], 1, `${status} -> ${bucket}`);
      assert.equal(Object.values(o).reduce((a: number, b: any) => a + b, 0), 1);
      const t = (await h.call('GetDeploymentTarget', { deploymentId: id, targetId: 'main:web' })).deploymentTarget.ecsTarget;
      assert.equal(t.status, bucket);
    }
  });

  it('lists deployments by group, status, creation time and external id, 100 a page, newest first', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const h = harness();
    await h.deploymentGroup();
    // Deployments made within one millisecond would tie: give each its own second, in the record and its column.
    const ids: string[] = [];
    for (let i = 0; i < 103; i++) {
      const id = await h.deploy();
      h.update(id, () => ({ status: i % 2 ? 'Failed' : 'Succeeded', createTime: new Date((clock += 1000)).toISOString() }));
      ids.push(id);
    }
    h.store.db.prepare('UPDATE codedeploy_deployments SET create_time = json_extract(doc, \'$.createTime\')').run();
    const newestFirst = [...ids].reverse();
    const first = await h.call('ListDeployments', { applicationName: 'app', deploymentGroupName: 'dg' });
    assert.deepEqual(first.deployments, newestFirst.slice(0, 100));
    const second = await h.call('ListDeployments', { applicationName: 'app', deploymentGroupName: 'dg', nextToken: first.nextToken });
    assert.deepEqual(second.deployments, newestFirst.slice(100));
    assert.equal(second.nextToken, undefined);
    await h.fails('ListDeployments', { nextToken: first.nextToken, includeOnlyStatuses: ['Failed'] }, 'InvalidNextTokenException');
    assert.equal((await h.call('ListDeployments', {})).deployments.length, 100, 'no names: every deployment');
    const failed = await h.call('ListDeployments', { includeOnlyStatuses: ['Failed'] });
    assert.deepEqual(failed.deployments, newestFirst.filter((_, i) => (102 - i) % 2 === 1));
    const range = await h.call('ListDeployments', { createTimeRange: { start: new Date(Date.parse('2026-01-01T00:00:02Z')), end: new Date(Date.parse('2026-01-01T00:00:04Z')) } });
    assert.deepEqual(range.deployments, [ids[3], ids[2], ids[1]]);
    assert.deepEqual((await h.call('ListDeployments', { externalId: 'stack-1' })).deployments, []);
    await h.fails('ListDeployments', { applicationName: 'app' }, 'DeploymentGroupNameRequiredException', /deploymentGroupName must be specified/);
    await h.fails('ListDeployments', { deploymentGroupName: 'dg' }, 'ApplicationNameRequiredException', /applicationName must be specified/);
    await h.fails('ListDeployments', { applicationName: 'nope', deploymentGroupName: 'dg' }, 'ApplicationDoesNotExistException');
    await h.fails('ListDeployments', { applicationName: 'app', deploymentGroupName: 'nope' }, 'DeploymentGroupDoesNotExistException');
    await h.fails('ListDeployments', { createTimeRange: { start: new Date(2000), end: new Date(1000) } }, 'InvalidTimeRangeException');
  });
});

describe('CodeDeploy StopDeployment and ContinueDeployment', () => {
  it('flags a stop request with the rollback the caller or the group asks for', async () => {
    const h = harness();
    await h.deploymentGroup({ autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_STOP_ON_REQUEST'] } });
    const id = await h.deploy();
    const wakes = h.wakes();
    assert.deepEqual(await h.call('StopDeployment', { deploymentId: id }), { status: 'Pending', statusMessage: 'Stopping Active deployment' });
    assert.equal(h.wakes(), wakes + 1);
    assert.equal(h.record(id).stopRequest?.autoRollbackEnabled, true, "the group's DEPLOYMENT_STOP_ON_REQUEST");
    h.update(id, () => ({ status: 'Stopped' }));
    await h.fails('StopDeployment', { deploymentId: id }, 'DeploymentAlreadyCompletedException', new RegExp(`^The deployment ${id} has already completed\\.$`));

    const second = await h.deploy();
    await h.call('StopDeployment', { deploymentId: second, autoRollbackEnabled: false });
    assert.equal(h.record(second).stopRequest?.autoRollbackEnabled, false, 'the caller overrides the group');
    h.update(second, () => ({ status: 'Stopped' }));

    const rollback = await h.deploy();
    h.update(rollback, () => ({ kind: 'rollback', creator: 'codeDeployRollback' }));
    await h.call('StopDeployment', { deploymentId: rollback, autoRollbackEnabled: true });
    assert.equal(h.record(rollback).stopRequest?.autoRollbackEnabled, false, 'a rollback deployment is not rolled back');
    await h.fails('StopDeployment', { deploymentId: 'd-ZZZZZZZZZ' }, 'DeploymentDoesNotExistException');
    await h.fails('StopDeployment', {}, 'DeploymentIdRequiredException');
  });

  it('continues a Ready deployment (READY_WAIT) and a termination wait (TERMINATION_WAIT)', async () => {
    const h = harness();
    await h.deploymentGroup();
    const id = await h.deploy();
    await h.fails('ContinueDeployment', { deploymentId: id }, 'DeploymentIsNotInReadyStateException', new RegExp(`^The deployment ${id} is not in a ready state\\.$`));
    const until = new Date(Date.now() + 3_600_000).toISOString();
    h.update(id, () => ({ status: 'Ready', readyWait: { until, continued: false } }));
    const wakes = h.wakes();
    assert.deepEqual(await h.call('ContinueDeployment', { deploymentId: id, deploymentWaitType: 'READY_WAIT' }), {});
    assert.deepEqual(h.record(id).readyWait, { until, continued: true });
    assert.equal(h.wakes(), wakes + 1);

    h.update(id, () => ({ status: 'InProgress' }));
    await h.fails('ContinueDeployment', { deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }, 'InvalidDeploymentWaitTypeException', /not waiting to terminate/);
    h.update(id, () => ({ instanceTerminationWaitTimeStarted: true, terminationWait: { until: new Date(Date.now() - 1000).toISOString(), continued: false } }));
    await h.fails('ContinueDeployment', { deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }, 'InvalidDeploymentWaitTypeException', /already over/);
    h.update(id, () => ({ terminationWait: { until, continued: false } }));
    await h.call('ContinueDeployment', { deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' });
    assert.deepEqual(h.record(id).terminationWait, { until, continued: true });
    await h.fails('ContinueDeployment', { deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }, 'InvalidDeploymentWaitTypeException', /already over/);

    h.update(id, () => ({ status: 'Succeeded' }));
    await h.fails('ContinueDeployment', { deploymentId: id }, 'DeploymentAlreadyCompletedException');
    await h.fails('ContinueDeployment', {}, 'DeploymentIdRequiredException');
  });
});

describe('CodeDeploy deployment targets', () => {
  it('shows the ECS target with its lifecycle and the task sets read live from ECS', async () => {
    const h = harness();
    const f = await h.deploymentGroup();
    const id = await h.deploy();
    const primary = await primaryTaskSet(h);
    assert.deepEqual(await h.call('ListDeploymentTargets', { deploymentId: id }), { targetIds: ['main:web'] });
    assert.deepEqual((await h.call('ListDeploymentTargets', { deploymentId: id, targetFilters: { TargetStatus: ['Pending'] } })).targetIds, ['main:web']);
    assert.deepEqual((await h.call('ListDeploymentTargets', { deploymentId: id, targetFilters: { TargetStatus: ['Succeeded', 'Failed'] } })).targetIds, []);
    assert.deepEqual((await h.call('ListDeploymentTargets', { deploymentId: id, targetFilters: { ServerInstanceLabel: ['Blue'] } })).targetIds, []);
    await h.fails('ListDeploymentTargets', { deploymentId: id, targetFilters: { TargetStatus: ['Sleeping'] } }, 'InvalidInstanceStatusException', /Sleeping/);

    const started = '2026-01-01T00:00:05.000Z';
    h.update(id, (d) => ({
      status: 'InProgress',
      replacementTaskSetId: 'ecs-svc/0000000000000000000',
      traffic: { replacementWeight: 20 },
      lifecycleEvents: d.lifecycleEvents.map((e) => (e.lifecycleEventName === 'BeforeInstall' ? { ...e, status: 'Succeeded', startTime: started, endTime: '2099-01-01T00:00:00.000Z' } : e)),
    }));
    const { deploymentTarget } = await h.call('GetDeploymentTarget', { deploymentId: id, targetId: 'main:web' });
    assert.equal(deploymentTarget.deploymentTargetType, 'ECSTarget');
    const t = deploymentTarget.ecsTarget;
    assert.equal(t.deploymentId, id);
    assert.equal(t.targetId, 'main:web');
    assert.equal(t.targetArn, h.record(id).serviceArn);
    assert.equal(t.status, 'InProgress');
    assert.equal(t.lastUpdatedAt, '2099-01-01T00:00:00.000Z', 'the latest event time');
    assert.deepEqual(t.lifecycleEvents[0], { lifecycleEventName: 'BeforeInstall', startTime: started, endTime: '2099-01-01T00:00:00.000Z', status: 'Succeeded' });
    assert.deepEqual(t.lifecycleEvents.map((e: any) => e.lifecycleEventName), ['BeforeInstall', 'Install', 'AfterInstall', 'AllowTestTraffic', 'AfterAllowTestTraffic', 'BeforeAllowTraffic', 'AllowTraffic', 'AfterAllowTraffic']);
    assert.deepEqual(t.taskSetsInfo, [
      { identifer: primary.id, desiredCount: 1, pendingCount: 0, runningCount: 0, status: 'PRIMARY', trafficWeight: 80, targetGroup: { name: 'blue' }, taskSetLabel: 'Blue' },
      { identifer: 'ecs-svc/0000000000000000000', desiredCount: 0, pendingCount: 0, runningCount: 0, status: 'DRAINING', trafficWeight: 20, targetGroup: { name: 'green' }, taskSetLabel: 'Green' },
    ]);
    const batch = await h.call('BatchGetDeploymentTargets', { deploymentId: id, targetIds: ['main:web'] });
    assert.deepEqual(batch.deploymentTargets, [deploymentTarget]);

    // A replacement task set that exists shows its live status and counts.
    const green = swapPrimary(h, f.green);
    h.update(id, () => ({ replacementTaskSetId: green, traffic: { replacementWeight: 100 } }));
    const sets = (await h.call('GetDeploymentTarget', { deploymentId: id, targetId: 'main:web' })).deploymentTarget.ecsTarget.taskSetsInfo;
    assert.deepEqual(sets.map((s: any) => [s.taskSetLabel, s.status, s.desiredCount, s.trafficWeight]), [['Blue', 'DRAINING', 0, 0], ['Green', 'PRIMARY', 1, 100]]);

    await h.fails('GetDeploymentTarget', { deploymentId: id, targetId: 'main:other' }, 'DeploymentTargetDoesNotExistException', /main:other/);
    await h.fails('GetDeploymentTarget', { deploymentId: id }, 'DeploymentTargetIdRequiredException');
    await h.fails('GetDeploymentTarget', { deploymentId: 'd-ZZZZZZZZZ', targetId: 'main:web' }, 'DeploymentDoesNotExistException');
    await h.fails('BatchGetDeploymentTargets', { deploymentId: id, targetIds: [] }, 'DeploymentTargetIdRequiredException');
    await h.fails('BatchGetDeploymentTargets', { deploymentId: id, targetIds: ['main:web', 'x:y'] }, 'DeploymentTargetDoesNotExistException', /x:y/);
    await h.fails('BatchGetDeploymentTargets', { deploymentId: id, targetIds: Array.from({ length: 26 }, (_, i) => `c:s${i}`) }, 'DeploymentTargetListSizeExceededException', /25/);
    await h.fails('ListDeploymentTargets', { deploymentId: 'bad' }, 'InvalidDeploymentIdException');
  });
});

describe('CodeDeploy PutLifecycleEventHookExecutionStatus', () => {
  it('takes a hook function\'s report once, for a Pending execution of the deployment', async () => {
    const h = harness();
    await h.deploymentGroup();
    const id = await h.deploy({ revision: appSpecRevision(appSpecYaml({ hooks: '  - BeforeInstall: "check"' })) });
    const records = new Records(h.store);
    const exec = hookExecutionId(id, 'BeforeInstall');
    h.store.transaction(() => records.addHookExecution({ executionId: exec, deploymentId: id, lifecycleEvent: 'BeforeInstall', functionName: 'check' }));
    const put = (over: object) => ({ deploymentId: id, lifecycleEventHookExecutionId: exec, status: 'Succeeded', ...over });

    await h.fails('PutLifecycleEventHookExecutionStatus', put({ status: 'InProgress' }), 'InvalidLifecycleEventHookExecutionStatusException', /Succeeded or Failed/);
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ status: undefined }), 'InvalidLifecycleEventHookExecutionStatusException');
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ lifecycleEventHookExecutionId: 'nope' }), 'InvalidLifecycleEventHookExecutionIdException', /nope/);
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ lifecycleEventHookExecutionId: undefined }), 'InvalidLifecycleEventHookExecutionIdException');
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ deploymentId: 'd-ZZZZZZZZZ' }), 'DeploymentDoesNotExistException');
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ deploymentId: undefined }), 'DeploymentIdRequiredException');
    assert.equal(records.hookExecution(exec)?.status, 'Pending', 'refused reports change nothing');

    const wakes = h.wakes();
    assert.deepEqual(await h.call('PutLifecycleEventHookExecutionStatus', put({ status: 'Failed' })), { lifecycleEventHookExecutionId: exec });
    assert.equal(records.hookExecution(exec)?.status, 'Failed');
    assert.ok(records.hookExecution(exec)?.reportedAt);
    assert.equal(h.wakes(), wakes + 1);
    await h.fails('PutLifecycleEventHookExecutionStatus', put({}), 'LifecycleEventAlreadyCompletedException', /BeforeInstall/);

    // Another deployment's execution id is not this deployment's.
    h.update(id, () => ({ status: 'Failed' }));
    const other = await h.deploy();
    await h.fails('PutLifecycleEventHookExecutionStatus', put({ deploymentId: other }), 'InvalidLifecycleEventHookExecutionIdException');
    // A Pending execution of a deployment that is over is no longer taken.
    const exec2 = hookExecutionId(other, 'AfterInstall');
    h.store.transaction(() => records.addHookExecution({ executionId: exec2, deploymentId: other, lifecycleEvent: 'AfterInstall', functionName: 'check' }));
    h.update(other, () => ({ status: 'Stopped' }));
    await h.fails('PutLifecycleEventHookExecutionStatus', { deploymentId: other, lifecycleEventHookExecutionId: exec2, status: 'Succeeded' }, 'LifecycleEventAlreadyCompletedException');
  });
});

describe('CodeDeploy deployments and the control plane', () => {
  it('refuses to delete a config an unfinished deployment uses, and keeps deployments readable when their group goes', async () => {
    const h = harness();
    await h.deploymentGroup();
    await h.call('CreateDeploymentConfig', { deploymentConfigName: 'canary', computePlatform: 'ECS', trafficRoutingConfig: { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 1 } } });
    const id = await h.deploy({ deploymentConfigName: 'canary' });
    await h.fails('DeleteDeploymentConfig', { deploymentConfigName: 'canary' }, 'DeploymentConfigInUseException', new RegExp(`deployment ${id}`));
    h.update(id, () => ({ status: 'Succeeded' }));
    await h.call('DeleteDeploymentConfig', { deploymentConfigName: 'canary' });
    assert.deepEqual(h.record(id).trafficRouting, { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 1 } }, 'the deployment keeps its snapshot');

    const live = await h.deploy();
    await h.call('DeleteDeploymentGroup', { applicationName: 'app', deploymentGroupName: 'dg' });
    assert.equal((await h.call('GetDeployment', { deploymentId: live })).deploymentInfo.deploymentGroupName, 'dg');
    await h.call('DeleteApplication', { applicationName: 'app' });
    assert.deepEqual((await h.call('BatchGetDeployments', { deploymentIds: [id, live] })).deploymentsInfo.length, 2);
    assert.deepEqual(new Set((await h.call('ListDeployments', {})).deployments), new Set([id, live]));
  });
});
