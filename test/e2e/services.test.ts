import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteClusterCommand,
  DeleteServiceCommand,
  DeregisterTaskDefinitionCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import net from 'node:net';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const vpc = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0123'] } };

describe('ECS services through @aws-sdk/client-ecs', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let webV1: string;
  let webV2: string;
  before(async () => {
    // The control plane alone: with the agent off no scheduler places tasks (services-run.test.ts runs them).
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off' } });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: 'svc' }));
    const fargate = (image: string) =>
      new RegisterTaskDefinitionCommand({
        family: 'web',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'web', image, essential: true, portMappings: [{ containerPort: 8080 }] }],
      });
    webV1 = (await ecs.send(fargate('web:1'))).taskDefinition!.taskDefinitionArn!;
    webV2 = (await ecs.send(fargate('web:2'))).taskDefinition!.taskDefinitionArn!;
    await ecs.send(
      new RegisterTaskDefinitionCommand({ family: 'worker', containerDefinitions: [{ name: 'worker', image: 'worker:1', memory: 128, portMappings: [{ containerPort: 80 }] }] }),
    );
  });
  after(async () => berth.cleanup());

  it('creates a Fargate service with ECS defaults, one PRIMARY deployment and honest counts', async () => {
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: 'svc',
        serviceName: 'api',
        taskDefinition: 'web:1',
        desiredCount: 2,
        launchType: 'FARGATE',
        networkConfiguration: vpc,
        tags: [{ key: 'team', value: 'core' }],
      }),
    );
    assert.ok(service);
    assert.match(service.serviceArn!, /^arn:aws:ecs:us-east-1:\d{12}:service\/svc\/api$/);
    assert.equal(service.status, 'ACTIVE');
    assert.equal(service.taskDefinition, webV1);
    assert.equal(service.desiredCount, 2);
    assert.equal(service.runningCount, 0, 'the scheduler is off, and Berth says so');
    assert.equal(service.pendingCount, 0);
    assert.equal(service.launchType, 'FARGATE');
    assert.equal(service.platformVersion, 'LATEST');
    assert.equal(service.platformFamily, 'Linux');
    assert.equal(service.schedulingStrategy, 'REPLICA');
    assert.deepEqual(service.deploymentController, { type: 'ECS' });
    assert.equal(service.deploymentConfiguration?.maximumPercent, 200);
    assert.equal(service.deploymentConfiguration?.minimumHealthyPercent, 100);
    assert.deepEqual(service.deploymentConfiguration?.deploymentCircuitBreaker, { enable: false, rollback: false });
    assert.deepEqual(service.networkConfiguration, { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d'], securityGroups: ['sg-0123'], assignPublicIp: 'DISABLED' } });
    assert.match(service.createdBy!, /^arn:aws:iam::\d{12}:root$/);
    assert.ok(service.createdAt instanceof Date);
    assert.deepEqual(service.events, []);
    assert.deepEqual(service.tags, [{ key: 'team', value: 'core' }]);
    assert.equal(service.deployments?.length, 1);
    const d = service.deployments![0];
    assert.match(d.id!, /^ecs-svc\/\d{19}$/);
    assert.equal(d.status, 'PRIMARY');
    assert.equal(d.taskDefinition, webV1);
    assert.equal(d.desiredCount, 2);
    assert.equal(d.runningCount, 0);
    assert.equal(d.failedTasks, 0);
    assert.equal(d.rolloutState, 'IN_PROGRESS');
    assert.equal(d.rolloutStateReason, `ECS deployment ${d.id} in progress.`);

    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['svc'] }));
    assert.equal(clusters.clusters?.[0].activeServicesCount, 1);
  });

  it('treats a repeated identical CreateService as idempotent and a different one as a conflict', async () => {
    const input = { cluster: 'svc', serviceName: 'idem', taskDefinition: 'worker', desiredCount: 1, clientToken: 'tok-1' };
    const first = await ecs.send(new CreateServiceCommand(input));
    const again = await ecs.send(new CreateServiceCommand(input));
    assert.equal(again.service?.deployments?.[0].id, first.service?.deployments?.[0].id);
    await assert.rejects(ecs.send(new CreateServiceCommand({ ...input, desiredCount: 3 })), {
      name: 'InvalidParameterException',
      message: 'Creation of service was not idempotent.',
    });
  });

  it('refuses bad CreateService input with ECS codes and messages', async () => {
    const base = { cluster: 'svc', taskDefinition: 'web:1', desiredCount: 1, launchType: 'FARGATE' as const, networkConfiguration: vpc };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ serviceName: 'bad name' }, 'InvalidParameterException', /Service name can contain only letters/],
      [{ serviceName: 'x'.repeat(256) }, 'InvalidParameterException', /./],
      [{ serviceName: 'nonet', networkConfiguration: undefined }, 'InvalidParameterException', /Network Configuration must be provided when networkMode 'awsvpc' is specified\./],
      [{ serviceName: 'both', capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, 'InvalidParameterException', /Specifying both a launch type and capacity provider strategy/],
      [{ serviceName: 'nocount', desiredCount: undefined }, 'InvalidParameterException', /desiredCount is required/],
      [{ serviceName: 'notd', taskDefinition: 'nope' }, 'ClientException', /Unable to describe task definition/],
      [{ serviceName: 'daemon', schedulingStrategy: 'DAEMON', desiredCount: undefined }, 'InvalidParameterException', /DAEMON scheduling strategy is not supported for services that use the FARGATE launch type/],
      [{ serviceName: 'lb', loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/abc', containerName: 'web', containerPort: 9999 }] }, 'InvalidParameterException', /The container web did not have a container port 9999 defined\./],
      [{ serviceName: 'lb2', loadBalancers: [{ targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/tg/abc', containerName: 'nope', containerPort: 8080 }] }, 'InvalidParameterException', /The container nope does not exist in the task definition\./],
      [{ serviceName: 'pct', deploymentConfiguration: { minimumHealthyPercent: 150 } }, 'InvalidParameterException', /minimumHealthyPercent must be between 0 and 100/],
      [{ serviceName: 'place', placementStrategy: [{ type: 'spread', field: 'instanceId' }] }, 'InvalidParameterException', /not supported with the FARGATE launch type/],
      [{ serviceName: 'cd', deploymentController: { type: 'CODE_DEPLOY' } }, 'InvalidParameterException', /CODE_DEPLOY deployment controller must use an Application Load Balancer/],
      [{ serviceName: 'nocluster', cluster: 'missing' }, 'ClusterNotFoundException', /Cluster not found\./],
      [{ serviceName: 'ec2net', taskDefinition: 'worker', launchType: 'EC2' }, 'InvalidParameterException', /Network Configuration is not valid for the given networkMode/],
    ];
    for (const [over, name, message] of cases) {
      await assert.rejects(ecs.send(new CreateServiceCommand({ ...base, ...over } as any)), (e: any) => {
        assert.equal(e.name, name, `${JSON.stringify(over)}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    }
    const list = await ecs.send(new ListServicesCommand({ cluster: 'svc', maxResults: 100 }));
    assert.ok(!list.serviceArns!.some((a) => /\/(nonet|both|nocount|notd|lb|lb2|pct|place|cd|ec2net)$/.test(a)), 'no half-made service is left');
  });

  it('refuses INACTIVE task definitions and places EC2 services with their constraints', async () => {
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: 'old', containerDefinitions: [{ name: 'c', image: 'c:1', memory: 64 }] }));
    await ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: td.taskDefinition!.taskDefinitionArn! }));
    await assert.rejects(ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: 'old', taskDefinition: 'old:1', desiredCount: 1 })), {
      name: 'ClientException',
    });
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: 'svc',
        serviceName: 'placed',
        taskDefinition: 'worker',
        desiredCount: 0,
        placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t3.*' }],
        placementStrategy: [{ type: 'binpack', field: 'memory' }],
      }),
    );
    assert.equal(service?.launchType, 'EC2');
    assert.equal(service?.platformVersion, undefined);
    assert.deepEqual(service?.placementStrategy, [{ type: 'binpack', field: 'memory' }]);
    await assert.rejects(
      ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: 'many', taskDefinition: 'worker', desiredCount: 0, placementStrategy: Array(6).fill({ type: 'random' }) })),
      /at most 5 placement strategy rules/,
    );
    const daemon = await ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: 'agent', taskDefinition: 'worker', schedulingStrategy: 'DAEMON' }));
    assert.equal(daemon.service?.deploymentConfiguration?.maximumPercent, 100);
    assert.equal(daemon.service?.deploymentConfiguration?.minimumHealthyPercent, 0);
  });

  it('describes by name and ARN with MISSING failures and TAGS, and lists with filters and paging', async () => {
    const described = await ecs.send(
      new DescribeServicesCommand({ cluster: 'svc', services: ['api', 'arn:aws:ecs:us-east-1:000000000000:service/svc/x', 'ghost'], include: ['TAGS'] }),
    );
    assert.equal(described.services?.length, 1);
    assert.deepEqual(described.services?.[0].tags, [{ key: 'team', value: 'core' }]);
    assert.equal(described.failures?.length, 2);
    assert.ok(described.failures!.every((f) => f.reason === 'MISSING'));
    assert.match(described.failures![1].arn!, /:service\/svc\/ghost$/);
    const byArn = await ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: [described.services![0].serviceArn!] }));
    assert.equal(byArn.services?.[0].serviceName, 'api');
    assert.equal(byArn.services?.[0].tags, undefined, 'tags only with include TAGS');
    await assert.rejects(ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: Array(11).fill('api') })), { name: 'InvalidParameterException' });

    for (let i = 0; i < 12; i++) await ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: `page-${i}`, taskDefinition: 'worker', desiredCount: 0 }));
    const first = await ecs.send(new ListServicesCommand({ cluster: 'svc' }));
    assert.equal(first.serviceArns?.length, 10, 'ListServices pages 10 by default');
    assert.ok(first.nextToken);
    const all: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(new ListServicesCommand({ cluster: 'svc', maxResults: 5, nextToken }));
      all.push(...page.serviceArns!);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.equal(new Set(all).size, all.length);
    assert.ok(all.some((a) => a.endsWith('/api')) && all.some((a) => a.endsWith('/page-11')));
    const fargate = await ecs.send(new ListServicesCommand({ cluster: 'svc', launchType: 'FARGATE' }));
    assert.deepEqual(fargate.serviceArns?.map((a) => a.split('/').pop()), ['api']);
    const daemons = await ecs.send(new ListServicesCommand({ cluster: 'svc', schedulingStrategy: 'DAEMON' }));
    assert.deepEqual(daemons.serviceArns?.map((a) => a.split('/').pop()), ['agent']);
    await assert.rejects(ecs.send(new ListServicesCommand({ cluster: 'svc', maxResults: 101 })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new ListServicesCommand({ cluster: 'nope' })), { name: 'ClusterNotFoundException' });
  });

  it('scales without a new deployment, and starts a new PRIMARY for a new task definition or forceNewDeployment', async () => {
    const scaled = await ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', desiredCount: 4 }));
    assert.equal(scaled.service?.desiredCount, 4);
    assert.equal(scaled.service?.deployments?.length, 1);
    assert.equal(scaled.service?.deployments?.[0].desiredCount, 4);
    const firstId = scaled.service!.deployments![0].id;

    const rolled = await ecs.send(
      new UpdateServiceCommand({ cluster: 'svc', service: 'api', taskDefinition: webV2, deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } } }),
    );
    assert.equal(rolled.service?.taskDefinition, webV2);
    assert.deepEqual(rolled.service?.deployments?.map((d) => [d.status, d.taskDefinition]), [['PRIMARY', webV2], ['ACTIVE', webV1]]);
    assert.equal(rolled.service?.deployments?.[1].id, firstId);
    assert.equal(rolled.service?.deploymentConfiguration?.maximumPercent, 200, 'members left out keep their value');
    assert.deepEqual(rolled.service?.deploymentConfiguration?.deploymentCircuitBreaker, { enable: true, rollback: true });

    const forced = await ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', forceNewDeployment: true }));
    assert.equal(forced.service?.deployments?.length, 3);
    assert.equal(forced.service?.deployments?.[0].taskDefinition, webV2);

    await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'ghost', desiredCount: 1 })), { name: 'ServiceNotFoundException' });
    await assert.rejects(
      ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', networkConfiguration: { awsvpcConfiguration: { subnets: [] } } })),
      /subnets can not be empty/,
    );
    await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'agent', desiredCount: 2 })), /DAEMON/);
  });

  it('refuses to delete a scaled service unless forced, drains it to INACTIVE, and lets the name be reused', async () => {
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: 'svc' })), { name: 'ClusterContainsServicesException' });
    await assert.rejects(ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'api' })), {
      name: 'InvalidParameterException',
      message: 'The service cannot be stopped while it is scaled above 0.',
    });
    const deleted = await ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'api', force: true }));
    assert.equal(deleted.service?.desiredCount, 0);
    assert.equal(deleted.service?.status, 'DRAINING', 'DeleteService answers with the service as it left it');
    const described = await ecs.send(new DescribeServicesCommand({ cluster: 'svc', services: ['api'] }));
    assert.equal(described.services?.[0].status, 'INACTIVE');
    const listed = await ecs.send(new ListServicesCommand({ cluster: 'svc', launchType: 'FARGATE' }));
    assert.deepEqual(listed.serviceArns, []);
    await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'api', desiredCount: 1 })), { name: 'ServiceNotActiveException' });
    await assert.rejects(ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'api' })), { name: 'ServiceNotFoundException' });

    const again = await ecs.send(
      new CreateServiceCommand({ cluster: 'svc', serviceName: 'api', taskDefinition: 'web', desiredCount: 1, launchType: 'FARGATE', networkConfiguration: vpc }),
    );
    assert.equal(again.service?.status, 'ACTIVE');
    assert.equal(again.service?.taskDefinition, webV2, 'a bare family resolves to its latest ACTIVE revision');
  });

  it('keeps CODE_DEPLOY services as a PRIMARY task set and limits what UpdateService may change', async () => {
    // A real target group behind a load balancer (ECS checks both); ip targets, as awsvpc needs.
    const elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'bg', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'blue', Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'ip' }))).TargetGroups![0].TargetGroupArn!;
    const address = lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, address, r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg }] }));
    elb.destroy();
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: 'svc',
        serviceName: 'bg',
        taskDefinition: webV1,
        desiredCount: 2,
        launchType: 'FARGATE',
        networkConfiguration: vpc,
        deploymentController: { type: 'CODE_DEPLOY' },
        loadBalancers: [{ targetGroupArn: tg, containerName: 'web', containerPort: 8080 }],
        healthCheckGracePeriodSeconds: 30,
      }),
    );
    assert.deepEqual(service?.deploymentController, { type: 'CODE_DEPLOY' });
    assert.deepEqual(service?.deployments, []);
    assert.equal(service?.taskSets?.length, 1);
    assert.equal(service?.taskSets?.[0].status, 'PRIMARY');
    assert.equal(service?.taskSets?.[0].taskDefinition, webV1);
    assert.match(service!.taskSets![0].taskSetArn!, /:task-set\/svc\/bg\/ecs-svc\/\d{19}$/);
    assert.equal(service?.healthCheckGracePeriodSeconds, 30);
    await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'bg', taskDefinition: webV2 })), {
      name: 'InvalidParameterException',
      message: 'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
    });
    const scaled = await ecs.send(new UpdateServiceCommand({ cluster: 'svc', service: 'bg', desiredCount: 3 }));
    assert.equal(scaled.service?.taskSets?.[0].computedDesiredCount, 3);
    const external = await ecs.send(new CreateServiceCommand({ cluster: 'svc', serviceName: 'ext', desiredCount: 0, deploymentController: { type: 'EXTERNAL' } }));
    assert.equal(external.service?.taskDefinition, undefined);
    assert.deepEqual(external.service?.deployments, []);
    await ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'bg', force: true }));
    await ecs.send(new DeleteServiceCommand({ cluster: 'svc', service: 'ext' }));
  });

  it('lets DeleteCluster through once every service is gone', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'short' }));
    await ecs.send(new CreateServiceCommand({ cluster: 'short', serviceName: 's', taskDefinition: 'worker', desiredCount: 0 }));
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: 'short' })), { name: 'ClusterContainsServicesException' });
    await ecs.send(new DeleteServiceCommand({ cluster: 'short', service: 's' }));
    const gone = await ecs.send(new DeleteClusterCommand({ cluster: 'short' }));
    assert.equal(gone.cluster?.status, 'INACTIVE');
  });
});
