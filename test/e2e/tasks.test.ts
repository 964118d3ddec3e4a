import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  DescribeTasksCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StartTaskCommand,
  StopTaskCommand,
  type ECSClient,
} from '@aws-sdk/client-ecs';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const vpc = { awsvpcConfiguration: { subnets: ['subnet-0a1b2c3d', 'subnet-0e0f'], securityGroups: ['sg-0123'], assignPublicIp: 'ENABLED' as const } };

describe('ECS tasks through @aws-sdk/client-ecs', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let apiTd: string;
  before(async () => {
    // Control-plane behaviour only: without the task agent, tasks stay PROVISIONING until stopped.
    berth = await startBerthProcess({ env: { BERTH_AGENT: 'off' } });
    ecs = berth.ecs();
    await ecs.send(new CreateClusterCommand({ clusterName: 'jobs' }));
    const api = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'api',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '512',
        memory: '1024',
        containerDefinitions: [
          { name: 'api', image: 'api:1', essential: true, portMappings: [{ containerPort: 8080 }] },
          { name: 'sidecar', image: 'envoy:1', essential: false, cpu: 64, memory: 128 },
        ],
        tags: [{ key: 'owner', value: 'td' }],
      }),
    );
    apiTd = api.taskDefinition!.taskDefinitionArn!;
    await ecs.send(new RegisterTaskDefinitionCommand({ family: 'batch', containerDefinitions: [{ name: 'batch', image: 'batch:1', memory: 128 }] }));
  });
  after(async () => berth.cleanup());

  it('runs Fargate tasks that honestly stay PROVISIONING, with containers, ENI attachment and overrides', async () => {
    const out = await ecs.send(
      new RunTaskCommand({
        cluster: 'jobs',
        taskDefinition: 'api',
        count: 2,
        launchType: 'FARGATE',
        networkConfiguration: vpc,
        startedBy: 'ci/job-42',
        overrides: { containerOverrides: [{ name: 'api', command: ['serve', '--port', '8080'], environment: [{ name: 'MODE', value: 'test' }] }], cpu: '1024', memory: '2048' },
        tags: [{ key: 'run', value: 'one' }],
        propagateTags: 'TASK_DEFINITION',
        enableECSManagedTags: true,
      }),
    );
    assert.deepEqual(out.failures, []);
    assert.equal(out.tasks?.length, 2);
    const t = out.tasks![0];
    assert.match(t.taskArn!, /^arn:aws:ecs:us-east-1:\d{12}:task\/jobs\/[0-9a-f]{32}$/);
    assert.notEqual(out.tasks![1].taskArn, t.taskArn);
    assert.equal(t.lastStatus, 'PROVISIONING');
    assert.equal(t.desiredStatus, 'RUNNING');
    assert.equal(t.taskDefinitionArn, apiTd);
    assert.equal(t.launchType, 'FARGATE');
    assert.equal(t.platformVersion, '1.4.0');
    assert.equal(t.platformFamily, 'Linux');
    assert.equal(t.capacityProviderName, 'FARGATE');
    assert.equal(t.cpu, '1024');
    assert.equal(t.memory, '2048');
    assert.equal(t.group, 'family:api');
    assert.equal(t.startedBy, 'ci/job-42');
    assert.equal(t.version, 1);
    assert.equal(t.availabilityZone, 'us-east-1a');
    assert.equal(t.connectivity, undefined, 'not connected until something runs it');
    assert.ok(t.createdAt instanceof Date);
    assert.deepEqual(t.containers?.map((c) => [c.name, c.image, c.lastStatus]), [['api', 'api:1', 'PENDING'], ['sidecar', 'envoy:1', 'PENDING']]);
    assert.match(t.containers![0].containerArn!, /^arn:aws:ecs:us-east-1:\d{12}:container\/jobs\/[0-9a-f]{32}\/[0-9a-f-]{36}$/);
    assert.equal(t.containers![1].memory, '128');
    assert.equal(t.attachments?.length, 1);
    assert.equal(t.attachments![0].type, 'ElasticNetworkInterface');
    assert.equal(t.attachments![0].status, 'PRECREATED');
    assert.deepEqual(t.attachments![0].details, [{ name: 'subnetId', value: 'subnet-0a1b2c3d' }]);
    assert.deepEqual(t.overrides?.containerOverrides?.map((c) => c.name), ['api', 'sidecar']);
    assert.deepEqual(t.overrides?.containerOverrides?.[0].command, ['serve', '--port', '8080']);
    const tags = Object.fromEntries(t.tags!.map((x) => [x.key, x.value]));
    assert.deepEqual(tags, { owner: 'td', run: 'one', 'aws:ecs:clusterName': 'jobs' });

    const clusters = await ecs.send(new DescribeClustersCommand({ clusters: ['jobs'] }));
    assert.equal(clusters.clusters?.[0].pendingTasksCount, 2);
    assert.equal(clusters.clusters?.[0].runningTasksCount, 0);
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: 'jobs' })), { name: 'ClusterContainsTasksException' });
  });

  it('refuses bad RunTask input with ECS codes and messages and makes nothing', async () => {
    const before = (await ecs.send(new ListTasksCommand({ cluster: 'jobs' }))).taskArns!.length;
    const base = { cluster: 'jobs', taskDefinition: 'api', launchType: 'FARGATE' as const, networkConfiguration: vpc };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ networkConfiguration: undefined }, 'InvalidParameterException', /Network Configuration must be provided when networkMode 'awsvpc' is specified\./],
      [{ count: 11 }, 'InvalidParameterException', /count must be between 1 and 10/],
      [{ count: 0 }, 'InvalidParameterException', /count must be between 1 and 10/],
      [{ overrides: { containerOverrides: [{ name: 'ghost' }] } }, 'InvalidParameterException', /Override for container named ghost is not a container in the TaskDefinition\./],
      [{ startedBy: 'x'.repeat(129) }, 'InvalidParameterException', /startedBy/],
      [{ capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }, 'InvalidParameterException', /Specifying both a launch type and capacity provider strategy/],
      [{ taskDefinition: 'nope:3' }, 'ClientException', /Unable to describe task definition/],
      [{ taskDefinition: 'batch', networkConfiguration: undefined }, 'InvalidParameterException', /Task definition does not support launch_type FARGATE\./],
      [{ taskDefinition: 'batch', launchType: 'EC2', networkConfiguration: vpc }, 'InvalidParameterException', /Network Configuration is not valid/],
      [{ platformVersion: '9.9.9' }, 'PlatformUnknownException', /platform version/],
      [{ cluster: 'nope' }, 'ClusterNotFoundException', /Cluster not found\./],
      [{ tags: [{ key: 'aws:x', value: 'y' }] }, 'InvalidParameterException', /aws: prefix is reserved/],
    ];
    for (const [over, name, message] of cases) {
      await assert.rejects(ecs.send(new RunTaskCommand({ ...base, ...over } as any)), (e: any) => {
        assert.equal(e.name, name, `${JSON.stringify(over)}: ${e.message}`);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'jobs' }))).taskArns!.length, before);
  });

  it('answers a retried RunTask with the same clientToken with the same tasks', async () => {
    const input = { cluster: 'jobs', taskDefinition: 'batch', clientToken: 'retry-1', group: 'nightly' };
    const first = await ecs.send(new RunTaskCommand(input));
    const again = await ecs.send(new RunTaskCommand(input));
    assert.deepEqual(again.tasks?.map((t) => t.taskArn), first.tasks?.map((t) => t.taskArn));
    assert.equal(first.tasks?.[0].launchType, 'EC2');
    assert.equal(first.tasks?.[0].group, 'nightly');
    assert.equal(first.tasks?.[0].platformVersion, undefined);
    await assert.rejects(ecs.send(new RunTaskCommand({ ...input, count: 2 })), { name: 'InvalidParameterException' });
  });

  it('stops a task that never started straight to STOPPED, with stop code, reason and timestamps', async () => {
    const run = await ecs.send(new RunTaskCommand({ cluster: 'jobs', taskDefinition: 'batch', tags: [{ key: 'k', value: 'v' }] }));
    const arn = run.tasks![0].taskArn!;
    const id = arn.split('/').pop()!;
    const stopped = await ecs.send(new StopTaskCommand({ cluster: 'jobs', task: id, reason: 'no longer needed' }));
    const t = stopped.task!;
    assert.equal(t.taskArn, arn);
    assert.equal(t.desiredStatus, 'STOPPED');
    assert.equal(t.lastStatus, 'STOPPED');
    assert.equal(t.stopCode, 'UserInitiated');
    assert.equal(t.stoppedReason, 'no longer needed');
    assert.ok(t.stoppingAt instanceof Date && t.stoppedAt instanceof Date);
    assert.ok(t.containers!.every((c) => c.lastStatus === 'STOPPED'));
    assert.equal(t.version, 2);
    const tags = await ecs.send(new ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(tags.tags, [], 'a stopped task loses its tags, as on ECS');

    const twice = await ecs.send(new StopTaskCommand({ cluster: 'jobs', task: arn, reason: 'again' }));
    assert.equal(twice.task?.stoppedReason, 'no longer needed', 'stopping a stopped task changes nothing');
    await assert.rejects(ecs.send(new StopTaskCommand({ cluster: 'jobs', task: '0123456789abcdef0123456789abcdef' })), {
      name: 'InvalidParameterException',
      message: 'The referenced task was not found.',
    });
    await assert.rejects(ecs.send(new StopTaskCommand({ cluster: 'jobs', task: id, reason: 'r'.repeat(256) })), { name: 'InvalidParameterException' });
  });

  it('describes tasks by id and ARN with MISSING failures and TAGS', async () => {
    const run = await ecs.send(new RunTaskCommand({ cluster: 'jobs', taskDefinition: 'batch', tags: [{ key: 'purpose', value: 'describe' }] }));
    const arn = run.tasks![0].taskArn!;
    const out = await ecs.send(new DescribeTasksCommand({ cluster: 'jobs', tasks: [arn.split('/').pop()!, arn, 'ffffffffffffffffffffffffffffffff'], include: ['TAGS'] }));
    assert.equal(out.tasks?.length, 2);
    assert.deepEqual(out.tasks?.[0].tags, [{ key: 'purpose', value: 'describe' }]);
    assert.deepEqual(out.failures, [{ arn: arn.replace(/[0-9a-f]{32}$/, 'ffffffffffffffffffffffffffffffff'), reason: 'MISSING' }]);
    const plain = await ecs.send(new DescribeTasksCommand({ cluster: 'jobs', tasks: [arn] }));
    assert.equal(plain.tasks?.[0].tags, undefined);
    await assert.rejects(ecs.send(new DescribeTasksCommand({ cluster: 'jobs', tasks: Array(101).fill(arn) })), { name: 'InvalidParameterException' });
    await assert.rejects(ecs.send(new DescribeTasksCommand({ cluster: 'jobs', tasks: [] })), { name: 'InvalidParameterException' });
  });

  it('lists tasks by desired status, family, startedBy and launch type, with paging', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'list' }));
    for (let i = 0; i < 3; i++) await ecs.send(new RunTaskCommand({ cluster: 'list', taskDefinition: 'batch', count: 4, startedBy: i === 0 ? 'cron' : undefined }));
    await ecs.send(new RunTaskCommand({ cluster: 'list', taskDefinition: 'api', launchType: 'FARGATE', networkConfiguration: vpc }));
    const running = await ecs.send(new ListTasksCommand({ cluster: 'list' }));
    assert.equal(running.taskArns?.length, 13, 'desiredStatus RUNNING by default; 100 a page');
    assert.equal(running.nextToken, undefined);
    const pages: string[] = [];
    let nextToken: string | undefined;
    let n = 0;
    do {
      const page = await ecs.send(new ListTasksCommand({ cluster: 'list', maxResults: 5, nextToken }));
      pages.push(...page.taskArns!);
      nextToken = page.nextToken;
      n++;
    } while (nextToken);
    assert.equal(n, 3);
    assert.deepEqual(pages, running.taskArns);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'list', family: 'api' }))).taskArns?.length, 1);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'list', startedBy: 'cron' }))).taskArns?.length, 4);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'list', launchType: 'FARGATE' }))).taskArns?.length, 1);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'list', desiredStatus: 'PENDING' }))).taskArns?.length, 0);

    await ecs.send(new StopTaskCommand({ cluster: 'list', task: running.taskArns![0] }));
    const stopped = await ecs.send(new ListTasksCommand({ cluster: 'list', desiredStatus: 'STOPPED' }));
    assert.deepEqual(stopped.taskArns, [running.taskArns![0]]);
    assert.equal((await ecs.send(new ListTasksCommand({ cluster: 'list' }))).taskArns?.length, 12);
    await assert.rejects(ecs.send(new ListTasksCommand({ cluster: 'list', serviceName: 'ghost' })), { name: 'ServiceNotFoundException' });
    await assert.rejects(ecs.send(new ListTasksCommand({ cluster: 'list', maxResults: 0 })), { name: 'InvalidParameterException' });
  });

  it('answers StartTask truthfully: Berth has no container instances', async () => {
    await assert.rejects(
      ecs.send(new StartTaskCommand({ cluster: 'jobs', taskDefinition: 'batch', containerInstances: ['arn:aws:ecs:us-east-1:123456789012:container-instance/jobs/abc'] })),
      (e: any) => e.name === 'InvalidParameterException' && /was not found in cluster jobs/.test(e.message),
    );
  });

  it('lets DeleteCluster through once every task is stopped', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: 'brief' }));
    const run = await ecs.send(new RunTaskCommand({ cluster: 'brief', taskDefinition: 'batch' }));
    await assert.rejects(ecs.send(new DeleteClusterCommand({ cluster: 'brief' })), { name: 'ClusterContainsTasksException' });
    await ecs.send(new StopTaskCommand({ cluster: 'brief', task: run.tasks![0].taskArn! }));
    assert.equal((await ecs.send(new DeleteClusterCommand({ cluster: 'brief' }))).cluster?.status, 'INACTIVE');
  });
});
