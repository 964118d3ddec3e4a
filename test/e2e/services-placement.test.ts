/**
 * Placement on Berth's one host, the DAEMON scheduling strategy, the tags ECS puts on the tasks a
 * service or RunTask starts, and the retention of STOPPED tasks — with real tasks on the process
 * driver, driven through @aws-sdk/client-ecs and (where installed) the AWS CLI v2.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServicesCommand,
  ListTagsForResourceCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type Task,
} from '@aws-sdk/client-ecs';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { describeTask, stopEveryTask, waitForTask } from '../fixtures/tasks.js';

const run = promisify(execFile);
const WAIT_MS = 60_000;
/** A container that idles until it is stopped. */
const IDLE = [process.execPath, '-e', 'setInterval(() => {}, 1000)'];
const UNABLE = /^\(service (\S+)\) was unable to place a task because no container instance met all of its requirements\. The closest matching container-instance [0-9a-f]{32} encountered error "(.+)"\.$/;

/** Polls `read` until `done` holds (bounded); throws with the last value otherwise. */
async function poll<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen; last: ${JSON.stringify(v, null, 1)}`);
    await sleep(200);
  }
}

/** A Berth with a cluster on the process driver and an idle task definition `family`. */
async function setUp(cluster: string, env?: NodeJS.ProcessEnv): Promise<{ berth: TestBerth; ecs: ECSClient }> {
  const berth = await startBerthProcess({ env });
  const ecs = berth.ecs();
  await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
  return { berth, ecs };
}

const idleTaskDefinition = (family: string, tags?: { key: string; value: string }[]) =>
  new RegisterTaskDefinitionCommand({
    family,
    networkMode: 'bridge',
    containerDefinitions: [{ name: 'main', image: 'host', essential: true, memory: 64, command: IDLE, stopTimeout: 2 }],
    tags,
  });

describe('placement, DAEMON services, task tags (process driver)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  const cluster = 'place';

  const describeService = async (service: string): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
  const waitForService = (service: string, done: (s: Service) => boolean) => poll(`service ${service}`, () => describeService(service), done);
  const serviceTasks = async (service: string, desiredStatus: 'RUNNING' | 'STOPPED' = 'RUNNING') =>
    (await ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus }))).taskArns ?? [];
  const steady = (service: string) => (s: Service) => s.events?.[0]?.message === `(service ${service}) has reached a steady state.`;

  before(async () => {
    ({ berth, ecs } = await setUp(cluster));
    await ecs.send(idleTaskDefinition('idle', [{ key: 'from', value: 'task-definition' }]));
    await ecs.send(idleTaskDefinition('idle'));
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) {
      const arns = (await ecs.send(new ListServicesCommand({ cluster, maxResults: 100 }))).serviceArns ?? [];
      for (const service of arns) await ecs.send(new DeleteServiceCommand({ cluster, service, force: true })).catch(() => undefined);
      for (const service of arns) await waitForService(service, (s) => s.status === 'INACTIVE').catch(() => undefined);
      await stopEveryTask(ecs, cluster);
    }
    await berth.cleanup();
  });

  it('runs a DAEMON service as one task on the host, reports desiredCount 1, and refuses what ECS refuses', async () => {
    const { service: created } = await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'agent', taskDefinition: 'idle:1', schedulingStrategy: 'DAEMON' }));
    assert.equal(created!.schedulingStrategy, 'DAEMON');
    assert.equal(created!.desiredCount, 1, 'a daemon wants one task per container instance: Berth has one');
    assert.equal(created!.deploymentConfiguration!.minimumHealthyPercent, 0);
    assert.equal(created!.deploymentConfiguration!.maximumPercent, 100);
    const s = await waitForService('agent', (x) => x.runningCount === 1 && x.pendingCount === 0 && steady('agent')(x));
    assert.equal(s.desiredCount, 1);
    assert.equal((await serviceTasks('agent')).length, 1);

    const refused: [ConstructorParameters<typeof CreateServiceCommand>[0], RegExp][] = [
      [{ cluster, serviceName: 'd2', taskDefinition: 'idle:1', schedulingStrategy: 'DAEMON', desiredCount: 1 }, /desiredCount cannot be specified .* DAEMON/],
      [{ cluster, serviceName: 'd3', taskDefinition: 'idle:1', schedulingStrategy: 'DAEMON', placementStrategy: [{ type: 'spread', field: 'instanceId' }] }, /Placement strategies are not supported .* DAEMON/],
    ];
    for (const [input, message] of refused) {
      await assert.rejects(ecs.send(new CreateServiceCommand(input)), (e: Error) => e.name === 'InvalidParameterException' && message.test(e.message));
    }
    await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster, service: 'agent', desiredCount: 2 })), (e: Error) => e.name === 'InvalidParameterException' && /DAEMON/.test(e.message));
  });

  it('replaces the daemon task on UpdateService: the old one stops before the new one starts', async () => {
    const [old] = await serviceTasks('agent');
    await ecs.send(new UpdateServiceCommand({ cluster, service: 'agent', taskDefinition: 'idle:2' }));
    // minimumHealthyPercent 0 / maximumPercent 100: never two of the daemon's tasks RUNNING at once.
    let newTask: Task | undefined;
    await poll(
      'the daemon task replaced',
      async () => {
        // A task stopped between the two listings is in both: count it once.
        const arns = [...new Set([...(await serviceTasks('agent')), ...(await serviceTasks('agent', 'STOPPED'))])];
        const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [];
        const running = tasks.filter((t) => t.lastStatus === 'RUNNING');
        assert.ok(running.length <= 1, `two daemon tasks RUNNING at once: ${JSON.stringify(running.map((t) => t.taskArn))}`);
        newTask = running.find((t) => t.taskDefinitionArn!.endsWith(':2'));
        return tasks;
      },
      () => newTask !== undefined,
    );
    const stopped = await describeTask(ecs, cluster, old);
    assert.equal(stopped.lastStatus, 'STOPPED');
    assert.equal(stopped.stopCode, 'ServiceSchedulerInitiated');
    assert.ok(new Date(stopped.stoppedAt!).getTime() <= new Date(newTask!.startedAt!).getTime(), 'the old task stopped before the new one started');
    const s = await waitForService('agent', (x) => x.deployments!.length === 1 && x.runningCount === 1);
    assert.equal(s.deployments![0].rolloutState, 'COMPLETED');
    assert.equal(s.desiredCount, 1);
  });

  it('deletes a DAEMON service without force: its task stops and the service goes INACTIVE', async () => {
    const [task] = await serviceTasks('agent');
    await ecs.send(new DeleteServiceCommand({ cluster, service: 'agent' }));
    await waitForService('agent', (x) => x.status === 'INACTIVE');
    const t = await waitForTask(ecs, cluster, task, (x) => x.lastStatus === 'STOPPED');
    assert.equal(t.stopCode, 'ServiceSchedulerInitiated');
  });

  it('places one task of a distinctInstance service of 3 and says why not the others', async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'distinct', taskDefinition: 'idle:2', desiredCount: 3, placementConstraints: [{ type: 'distinctInstance' }] }));
    const s = await waitForService('distinct', (x) => x.runningCount === 1 && x.events!.some((e) => UNABLE.test(e.message!)));
    const event = s.events!.find((e) => UNABLE.test(e.message!))!.message!;
    assert.equal(UNABLE.exec(event)![1], 'distinct');
    assert.equal(UNABLE.exec(event)![2], 'DistinctInstance placement constraint unsatisfied.');
    assert.equal(s.desiredCount, 3);
    // Later rounds place nothing more: still one task.
    await sleep(1500);
    assert.equal((await serviceTasks('distinct')).length, 1);
    assert.equal((await describeService('distinct')).runningCount, 1);
  });

  it('RunTask with distinctInstance places one task of the group and reports the rest as failures', async () => {
    const out = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', count: 3, group: 'one-each', placementConstraints: [{ type: 'distinctInstance' }] }));
    assert.equal(out.tasks!.length, 1);
    assert.equal(out.failures!.length, 2);
    for (const f of out.failures!) {
      assert.match(f.arn!, /^arn:aws:ecs:[a-z0-9-]+:\d{12}:container-instance\/place\/[0-9a-f]{32}$/);
      assert.equal(f.reason, 'DistinctInstance placement constraint unsatisfied.');
    }
    // The group already has its task on the host: another RunTask places none; another group places one.
    const again = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', group: 'one-each', placementConstraints: [{ type: 'distinctInstance' }] }));
    assert.deepEqual([again.tasks!.length, again.failures!.length], [0, 1]);
    const other = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', group: 'other', placementConstraints: [{ type: 'distinctInstance' }] }));
    assert.equal(other.tasks!.length, 1);
    for (const t of [...out.tasks!, ...other.tasks!]) await ecs.send(new StopTaskCommand({ cluster, task: t.taskArn! }));
  });

  it('memberOf: an expression the host matches places every task; one it does not match places none, with the reason', async () => {
    const region = berth.region;
    const matching = `attribute:ecs.os-type == linux and (attribute:ecs.availability-zone in [${region}a, ${region}b] or attribute:stack exists)`;
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'member', taskDefinition: 'idle:2', desiredCount: 2, placementConstraints: [{ type: 'memberOf', expression: matching }] }));
    await waitForService('member', (x) => x.runningCount === 2 && steady('member')(x));

    await ecs.send(
      new CreateServiceCommand({ cluster, serviceName: 'nowhere', taskDefinition: 'idle:2', desiredCount: 1, placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ t2.*' }] }),
    );
    const s = await waitForService('nowhere', (x) => x.events!.some((e) => UNABLE.test(e.message!)));
    assert.equal(UNABLE.exec(s.events![0].message!)![2], 'MemberOf placement constraint unsatisfied.');
    assert.equal(s.runningCount, 0);
    assert.equal((await serviceTasks('nowhere')).length, 0);

    const none = await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type != linux' }] }));
    assert.equal(none.tasks!.length, 0);
    assert.equal(none.failures![0].reason, 'MemberOf placement constraint unsatisfied.');

    // A DAEMON service whose constraint excludes the host wants no task.
    const { service: daemon } = await ecs.send(
      new CreateServiceCommand({ cluster, serviceName: 'no-daemon', taskDefinition: 'idle:2', schedulingStrategy: 'DAEMON', placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == windows' }] }),
    );
    assert.equal(daemon!.desiredCount, 0);
    await waitForService('no-daemon', steady('no-daemon'));
    assert.equal((await serviceTasks('no-daemon')).length, 0);
  });

  it('refuses malformed memberOf expressions and bad strategies with InvalidParameterException at CreateService, UpdateService and RunTask', async () => {
    const bad: [string, RegExp][] = [
      ['attribute:ecs.os-type = linux', /expected an operator/],
      ['(attribute:ecs.os-type == linux', /expected '\)'/],
      ['attribute:stack in prod', /argument list/],
      ['instanceType == t2.micro', /unknown subject/],
    ];
    for (const [expression, message] of bad) {
      const check = (e: Error) => e.name === 'InvalidParameterException' && /Invalid memberOf placement constraint expression/.test(e.message) && message.test(e.message);
      await assert.rejects(ecs.send(new CreateServiceCommand({ cluster, serviceName: 'bad', taskDefinition: 'idle:2', desiredCount: 0, placementConstraints: [{ type: 'memberOf', expression }] })), check);
      await assert.rejects(ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', placementConstraints: [{ type: 'memberOf', expression }] })), check);
      await assert.rejects(ecs.send(new UpdateServiceCommand({ cluster, service: 'member', placementConstraints: [{ type: 'memberOf', expression }] })), check);
    }
    await assert.rejects(
      ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', placementStrategy: [{ type: 'spread', field: 'zone' }] })),
      (e: Error) => e.name === 'InvalidParameterException' && /spread placement strategy takes the field/.test(e.message),
    );
    await assert.rejects(
      ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle:2', placementConstraints: [{ type: 'distinctInstance', expression: 'attribute:a exists' }] })),
      (e: Error) => e.name === 'InvalidParameterException' && /distinctInstance/.test(e.message),
    );
    assert.equal((await ecs.send(new DescribeServicesCommand({ cluster, services: ['bad'] }))).failures![0].reason, 'MISSING', 'no half-made service');
  });

  it('refuses placement constraints and strategies, and DAEMON, on Fargate', async () => {
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: 'fg',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        containerDefinitions: [{ name: 'main', image: 'host', command: IDLE }],
      }),
    );
    const networkConfiguration = { awsvpcConfiguration: { subnets: ['subnet-1'] } };
    const fargate = { cluster, taskDefinition: 'fg', launchType: 'FARGATE' as const, networkConfiguration };
    const cases: [Promise<unknown>, RegExp][] = [
      [ecs.send(new CreateServiceCommand({ ...fargate, serviceName: 'fg1', desiredCount: 1, placementConstraints: [{ type: 'distinctInstance' }] })), /constraints are not supported with the FARGATE launch type/],
      [ecs.send(new CreateServiceCommand({ ...fargate, serviceName: 'fg2', desiredCount: 1, placementStrategy: [{ type: 'binpack', field: 'memory' }] })), /strategies are not supported with the FARGATE launch type/],
      [ecs.send(new RunTaskCommand({ ...fargate, placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }] })), /constraints are not supported with the FARGATE launch type/],
      [ecs.send(new RunTaskCommand({ ...fargate, placementStrategy: [{ type: 'random' }] })), /strategies are not supported with the FARGATE launch type/],
      [ecs.send(new CreateServiceCommand({ ...fargate, serviceName: 'fg3', schedulingStrategy: 'DAEMON' })), /DAEMON scheduling strategy is not supported .* FARGATE/],
    ];
    for (const [call, message] of cases) await assert.rejects(call, (e: Error) => e.name === 'InvalidParameterException' && message.test(e.message));
  });

  it('tags service tasks: propagateTags SERVICE or TASK_DEFINITION, and ECS managed tags', async () => {
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName: 'tagged',
        taskDefinition: 'idle:1',
        desiredCount: 1,
        tags: [{ key: 'team', value: 'blue' }],
        propagateTags: 'SERVICE',
        enableECSManagedTags: true,
      }),
    );
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'td-tagged', taskDefinition: 'idle:1', desiredCount: 1, propagateTags: 'TASK_DEFINITION' }));
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'untagged', taskDefinition: 'idle:1', desiredCount: 1 }));
    const sorted = (tags: { key?: string; value?: string }[] | undefined) => [...(tags ?? [])].map((t) => `${t.key}=${t.value}`).sort();
    const taskOf = async (service: string) => (await poll(`a task of ${service}`, () => serviceTasks(service), (a) => a.length === 1))[0];

    const tagged = await taskOf('tagged');
    const described = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [tagged], include: ['TAGS'] }))).tasks![0];
    assert.deepEqual(sorted(described.tags), ['aws:ecs:clusterName=place', 'aws:ecs:serviceName=tagged', 'team=blue']);
    assert.deepEqual(sorted((await ecs.send(new ListTagsForResourceCommand({ resourceArn: tagged }))).tags), ['aws:ecs:clusterName=place', 'aws:ecs:serviceName=tagged', 'team=blue']);

    const fromTd = await taskOf('td-tagged');
    assert.deepEqual(sorted((await ecs.send(new ListTagsForResourceCommand({ resourceArn: fromTd }))).tags), ['from=task-definition']);
    const plain = await taskOf('untagged');
    assert.deepEqual((await ecs.send(new ListTagsForResourceCommand({ resourceArn: plain }))).tags, []);

    if (!existsSync(AWS_CLI_V2)) return; // the SDK checks above stand; the CLI view needs /usr/bin/aws
    const { stdout } = await run(AWS_CLI_V2, ['ecs', 'list-tags-for-resource', '--resource-arn', tagged, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: WAIT_MS });
    assert.deepEqual(sorted(JSON.parse(stdout).tags), ['aws:ecs:clusterName=place', 'aws:ecs:serviceName=tagged', 'team=blue']);
  });

  it('tags RunTask tasks: propagateTags TASK_DEFINITION and the managed cluster tag', async () => {
    const out = await ecs.send(
      new RunTaskCommand({ cluster, taskDefinition: 'idle:1', propagateTags: 'TASK_DEFINITION', enableECSManagedTags: true, tags: [{ key: 'own', value: '1' }] }),
    );
    const arn = out.tasks![0].taskArn!;
    const tags = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn], include: ['TAGS'] }))).tasks![0].tags ?? [];
    assert.deepEqual(tags.map((t) => `${t.key}=${t.value}`).sort(), ['aws:ecs:clusterName=place', 'from=task-definition', 'own=1']);
    await ecs.send(new StopTaskCommand({ cluster, task: arn }));
  });
});

describe('STOPPED tasks leave after the retention (BERTH_STOPPED_TASK_RETENTION_SECONDS=2)', () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  const cluster = 'retain';

  before(async () => {
    ({ berth, ecs } = await setUp(cluster, { BERTH_STOPPED_TASK_RETENTION_SECONDS: '2' }));
    await ecs.send(idleTaskDefinition('idle'));
  });

  after(async () => {
    if (berth.process.exitCode === null && berth.process.signalCode === null) {
      await ecs.send(new DeleteServiceCommand({ cluster, service: 'kept', force: true })).catch(() => undefined);
      await poll('kept INACTIVE', async () => (await ecs.send(new DescribeServicesCommand({ cluster, services: ['kept'] }))).services?.[0]?.status, (s) => s !== 'ACTIVE' && s !== 'DRAINING').catch(
        () => undefined,
      );
      await stopEveryTask(ecs, cluster);
    }
    await berth.cleanup();
  });

  it('shows a stopped task, then DescribeTasks answers MISSING and ListTasks no longer lists it', async () => {
    const arn = (await ecs.send(new RunTaskCommand({ cluster, taskDefinition: 'idle' }))).tasks![0].taskArn!;
    await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'RUNNING');
    await ecs.send(new StopTaskCommand({ cluster, task: arn, reason: 'done' }));
    const stopped = await waitForTask(ecs, cluster, arn, (t) => t.lastStatus === 'STOPPED');
    assert.equal(stopped.stoppedReason, 'done');
    const gone = await poll(
      'the stopped task purged',
      () => ecs.send(new DescribeTasksCommand({ cluster, tasks: [arn] })),
      (out) => out.failures?.[0]?.reason === 'MISSING',
    );
    assert.deepEqual(gone.tasks, []);
    assert.ok(!((await ecs.send(new ListTasksCommand({ cluster, desiredStatus: 'STOPPED' }))).taskArns ?? []).includes(arn));
  });

  it("purges a service's stopped tasks while the scheduler keeps the service running", async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'kept', taskDefinition: 'idle', desiredCount: 1 }));
    const running = (service: string) => ecs.send(new ListTasksCommand({ cluster, serviceName: service, desiredStatus: 'RUNNING' }));
    const first = (await poll('a task of kept', () => running('kept'), (o) => o.taskArns?.length === 1)).taskArns![0];
    await waitForTask(ecs, cluster, first, (t) => t.lastStatus === 'RUNNING');
    await ecs.send(new StopTaskCommand({ cluster, task: first }));
    // The scheduler replaces it; the stopped one goes after the retention.
    const second = (await poll('a replacement', () => running('kept'), (o) => o.taskArns?.length === 1 && o.taskArns[0] !== first)).taskArns![0];
    await poll('the first task purged', () => ecs.send(new DescribeTasksCommand({ cluster, tasks: [first] })), (o) => o.failures?.[0]?.reason === 'MISSING');
    await waitForTask(ecs, cluster, second, (t) => t.lastStatus === 'RUNNING');
    // The service is unaffected: one task running, the purged one never counted again.
    const s = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['kept'] }))).services![0];
    assert.equal(s.runningCount, 1);
    assert.equal(s.deployments![0].failedTasks, 0);
    assert.deepEqual((await running('kept')).taskArns, [second]);
  });
});
