/**
 * CodeDeploy's control plane end to end: applications, deployment configs and an ECS deployment
 * group (over a CODE_DEPLOY service made through @aws-sdk/client-ecs, two target groups and two
 * listeners made through @aws-sdk/client-elastic-load-balancing-v2), driven by the AWS CLI v2
 * and by raw signed awsJson 1.1 requests; the configuration survives kill -9.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { CreateClusterCommand, CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { freePort } from '../fixtures/http.js';
import { buildRequest, send, signRequest } from '../fixtures/sign.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;
const ROLE = 'arn:aws:iam::123456789012:role/ecsCodeDeployRole';

describe('CodeDeploy control plane through the AWS CLI v2 and signed requests', { skip: skipCli }, () => {
  let berth: TestBerth;
  // Made here and passed in, so the Berth started after kill -9 reuses it and `after` removes it.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-codedeploy-'));
  let prodListener: string;
  let testListener: string;
  const deploy = async (...args: string[]) => {
    const { stdout } = await run(AWS_CLI_V2, ['deploy', ...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: 120_000 });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  /** Runs a command that must fail; returns its stderr. */
  const deployFails = async (...args: string[]) => {
    const err: any = await run(AWS_CLI_V2, ['deploy', ...args, '--endpoint-url', berth.endpoint], { env: berth.awsEnv(), timeout: 120_000 }).then(
      () => assert.fail(`aws deploy ${args[0]} should have failed`),
      (e) => e,
    );
    assert.equal(err.code, 254, err.stderr);
    return String(err.stderr);
  };
  /** A raw awsJson 1.1 CodeDeploy call, signed for the codedeploy service. */
  const raw = async (operation: string, body: object) => {
    const req = buildRequest(berth.endpoint, undefined, JSON.stringify(body), { 'x-amz-target': `CodeDeploy_20141006.${operation}` });
    return send(berth.endpoint, await signRequest(req, { service: 'codedeploy', region: berth.region }));
  };
  const groupJson = (extra: object = {}) =>
    JSON.stringify({
      applicationName: 'shop',
      deploymentGroupName: 'web-dg',
      serviceRoleArn: ROLE,
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ecsServices: [{ clusterName: 'main', serviceName: 'web' }],
      loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: 'cd-blue' }, { name: 'cd-green' }], prodTrafficRoute: { listenerArns: [prodListener] }, testTrafficRoute: { listenerArns: [testListener] } }] },
      blueGreenDeploymentConfiguration: {
        deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT' },
        terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 },
      },
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      ...extra,
    });

  before(async () => {
    berth = await startBerthProcess({ dataDir, env: { BERTH_AGENT: 'off' } });
    const clientOpts = { endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 };
    const elb = new ElasticLoadBalancingV2Client(clientOpts);
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'cd', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const address = lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    const tg = async (Name: string) => (await elb.send(new CreateTargetGroupCommand({ Name, Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' }))).TargetGroups![0].TargetGroupArn!;
    const blue = await tg('cd-blue');
    const green = await tg('cd-green');
    const listener = async (to: string) =>
      (await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: await freePort(address), DefaultActions: [{ Type: 'forward', TargetGroupArn: to }] }))).Listeners![0].ListenerArn!;
    prodListener = await listener(blue);
    testListener = await listener(green);
    elb.destroy();
    const ecs = new ECSClient(clientOpts);
    await ecs.send(new CreateClusterCommand({ clusterName: 'main' }));
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'web', networkMode: 'awsvpc', requiresCompatibilities: ['FARGATE'], cpu: '256', memory: '512',
        containerDefinitions: [{ name: 'web', image: 'web:1', essential: true, portMappings: [{ containerPort: 8080 }] }],
      }),
    );
    const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'] } };
    await ecs.send(
      new CreateServiceCommand({
        cluster: 'main', serviceName: 'web', taskDefinition: 'web:1', desiredCount: 1, launchType: 'FARGATE', networkConfiguration,
        deploymentController: { type: 'CODE_DEPLOY' }, loadBalancers: [{ targetGroupArn: blue, containerName: 'web', containerPort: 8080 }],
      }),
    );
    await ecs.send(new CreateServiceCommand({ cluster: 'main', serviceName: 'rolling', taskDefinition: 'web:1', desiredCount: 1, launchType: 'FARGATE', networkConfiguration }));
    ecs.destroy();
  });
  after(async () => {
    await berth?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('manages applications and deployment configs with the CLI', async () => {
    const { applicationId } = await deploy('create-application', '--application-name', 'shop', '--compute-platform', 'ECS', '--tags', 'Key=team,Value=web');
    assert.match(applicationId, /^[0-9a-f-]{36}$/);
    const { application } = await deploy('get-application', '--application-name', 'shop');
    assert.equal(application.computePlatform, 'ECS');
    assert.equal(application.applicationId, applicationId);
    assert.match(await deployFails('create-application', '--application-name', 'shop', '--compute-platform', 'ECS'), /ApplicationAlreadyExistsException/);
    assert.match(await deployFails('get-application', '--application-name', 'ghost'), /ApplicationDoesNotExistException.*No application found for name: ghost/);
    assert.ok((await deploy('list-applications')).applications.includes('shop'));
    const tags = await deploy('list-tags-for-resource', '--resource-arn', `arn:aws:codedeploy:${berth.region}:${accountOf(prodListener)}:application:shop`);
    assert.deepEqual(tags.Tags, [{ Key: 'team', Value: 'web' }]);

    const configs = (await deploy('list-deployment-configs')).deploymentConfigsList;
    assert.ok(configs.includes('CodeDeployDefault.ECSLinear10PercentEvery1Minutes'));
    const canary = (await deploy('get-deployment-config', '--deployment-config-name', 'CodeDeployDefault.ECSCanary10Percent5Minutes')).deploymentConfigInfo;
    assert.deepEqual(canary.trafficRoutingConfig, { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 } });
    await deploy('create-deployment-config', '--deployment-config-name', 'linear-25', '--compute-platform', 'ECS', '--traffic-routing-config', 'type=TimeBasedLinear,timeBasedLinear={linearPercentage=25,linearInterval=1}');
    const custom = (await deploy('get-deployment-config', '--deployment-config-name', 'linear-25')).deploymentConfigInfo;
    assert.deepEqual(custom.trafficRoutingConfig, { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 25, linearInterval: 1 } });
    assert.match(
      await deployFails('create-deployment-config', '--deployment-config-name', 'bad', '--compute-platform', 'ECS', '--traffic-routing-config', 'type=TimeBasedCanary,timeBasedCanary={canaryPercentage=100,canaryInterval=1}'),
      /InvalidTrafficRoutingConfigurationException.*canaryPercentage must be between 1 and 99/,
    );
    assert.match(await deployFails('delete-deployment-config', '--deployment-config-name', 'CodeDeployDefault.ECSAllAtOnce'), /InvalidOperationException/);
  });

  it('creates, reads and updates an ECS deployment group, refusing bad ones', async () => {
    assert.match(await deployFails('create-deployment-group', '--cli-input-json', groupJson({ ecsServices: [{ clusterName: 'main', serviceName: 'rolling' }] })), /InvalidECSServiceException.*CODE_DEPLOY/);
    assert.match(
      await deployFails('create-deployment-group', '--cli-input-json', groupJson({ loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: 'cd-blue' }, { name: 'nope' }], prodTrafficRoute: { listenerArns: [prodListener] } }] } })),
      /InvalidTargetGroupPairException.*nope does not exist/,
    );
    assert.match(await deployFails('create-deployment-group', '--cli-input-json', groupJson({ deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' } })), /InvalidDeploymentStyleException/);
    const { deploymentGroupId } = await deploy('create-deployment-group', '--cli-input-json', groupJson());
    const g = (await deploy('get-deployment-group', '--application-name', 'shop', '--deployment-group-name', 'web-dg')).deploymentGroupInfo;
    assert.equal(g.deploymentGroupId, deploymentGroupId);
    assert.equal(g.computePlatform, 'ECS');
    assert.equal(g.deploymentConfigName, 'CodeDeployDefault.ECSCanary10Percent5Minutes');
    assert.deepEqual(g.ecsServices, [{ serviceName: 'web', clusterName: 'main' }]);
    assert.deepEqual(g.loadBalancerInfo.targetGroupPairInfoList[0].prodTrafficRoute, { listenerArns: [prodListener] });
    assert.deepEqual(g.blueGreenDeploymentConfiguration.terminateBlueInstancesOnDeploymentSuccess, { action: 'TERMINATE', terminationWaitTimeInMinutes: 5 });
    assert.equal(g.lastAttemptedDeployment, undefined);
    await deploy('update-deployment-group', '--application-name', 'shop', '--current-deployment-group-name', 'web-dg', '--deployment-config-name', 'linear-25');
    assert.equal((await deploy('get-deployment-group', '--application-name', 'shop', '--deployment-group-name', 'web-dg')).deploymentGroupInfo.deploymentConfigName, 'linear-25');
    assert.match(await deployFails('delete-deployment-config', '--deployment-config-name', 'linear-25'), /DeploymentConfigInUseException/);
    assert.deepEqual((await deploy('list-deployment-groups', '--application-name', 'shop')).deploymentGroups, ['web-dg']);
  });

  it('answers raw signed awsJson 1.1 calls, and deployment calls with AWS-style errors', async () => {
    const batch = await raw('BatchGetDeploymentGroups', { applicationName: 'shop', deploymentGroupNames: ['web-dg'] });
    assert.equal(batch.status, 200, batch.body);
    assert.equal(batch.json().deploymentGroupsInfo[0].deploymentGroupName, 'web-dg');
    assert.equal(typeof batch.json().deploymentGroupsInfo[0].deploymentGroupId, 'string');
    const missing = await raw('CreateApplication', {});
    assert.equal(missing.status, 400);
    assert.match(missing.json().__type, /ApplicationNameRequiredException/);
    const noRevision = await raw('CreateDeployment', { applicationName: 'shop', deploymentGroupName: 'web-dg' });
    assert.equal(noRevision.status, 400, noRevision.body);
    assert.match(noRevision.json().__type, /RevisionRequiredException/);
    assert.equal(noRevision.json().message, 'Revision must be specified.');
    assert.match(
      await deployFails('create-deployment', '--application-name', 'shop', '--deployment-group-name', 'web-dg', '--s3-location', 'bucket=b,key=appspec.yaml,bundleType=YAML'),
      /InvalidRevisionException.*AppSpecContent/,
    );
    assert.match(await deployFails('get-deployment', '--deployment-id', 'd-AAAAAAAAA'), /DeploymentDoesNotExistException.*d-AAAAAAAAA could not be found/);
    assert.match(await deployFails('list-deployments', '--application-name', 'shop'), /DeploymentGroupNameRequiredException/);
    assert.deepEqual((await deploy('list-deployments', '--application-name', 'shop', '--deployment-group-name', 'web-dg')).deployments, []);
  });

  it('keeps applications, configs and groups across kill -9', async () => {
    await berth.kill9();
    berth = await startBerthProcess({ dataDir, env: { BERTH_AGENT: 'off' } });
    {
      const g = (await deploy('get-deployment-group', '--application-name', 'shop', '--deployment-group-name', 'web-dg')).deploymentGroupInfo;
      assert.equal(g.deploymentConfigName, 'linear-25');
      assert.deepEqual(g.autoRollbackConfiguration, { enabled: true, events: ['DEPLOYMENT_FAILURE'] });
      assert.equal((await deploy('get-deployment-config', '--deployment-config-name', 'linear-25')).deploymentConfigInfo.computePlatform, 'ECS');
    }
  });
});

/** The account id in an ARN. */
function accountOf(arn: string): string {
  return arn.split(':')[4];
}
