/**
 * ECS task sets end to end on the process driver (tasks are small node HTTP servers that name
 * their version), behind one ALB listener that forwards to two target groups: an EXTERNAL service
 * runs v1 (100%, group A) and v2 (50%, then 100%, group B); their tasks really run and are
 * registered in their own task set's group; UpdateServicePrimaryTaskSet moves the service to v2;
 * Berth killed with -9 comes back and carries on; DeleteTaskSet drains v1's targets and stops its
 * tasks; UpdateService's restrictions under EXTERNAL; CreateTaskSet refused on an ECS-controller
 * service and on a CODE_DEPLOY one; a CODE_DEPLOY service created with a task definition runs its
 * PRIMARY task set.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  CreateTaskSetCommand,
  DeleteServiceCommand,
  DeleteTaskSetCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  DescribeTaskSetsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  UpdateServicePrimaryTaskSetCommand,
  UpdateTaskSetCommand,
  type ContainerDefinition,
  type ECSClient,
  type Service,
  type Task,
  type TaskSet,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyTargetGroupAttributesCommand,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';
import { freePort, getFrom, until as untilWithin } from '../fixtures/http.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

const WAIT_MS = 120_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 250);
/** The app: /health answers 200; everything else names the version. */
const APP = `require('http').createServer((q,s)=>{if(q.url==='/health')return s.end('ok');s.end('app '+process.env.VERSION)}).listen(Number(process.env.PORT))`;
const HEALTH = { HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 };

describe('ECS task sets (EXTERNAL and CODE_DEPLOY controllers, process driver)', () => {
  let berth: TestBerth;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-task-sets-'));
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  const cluster = 'sets';
  let address = '';
  let port = 0;
  let listenerArn = '';
  const tg = { a: '', b: '', c: '' };
  const td: Record<string, string> = {};
  let v1: TaskSet;
  let v2: TaskSet;

  const connect = () => {
    ecs = berth.ecs();
    elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  };
  const service = async (name: string): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0];
  const taskSets = async (name: string, ids?: string[]): Promise<TaskSet[]> => (await ecs.send(new DescribeTaskSetsCommand({ cluster, service: name, taskSets: ids, include: ['TAGS'] }))).taskSets ?? [];
  const targets = async (arn: string): Promise<TargetHealthDescription[]> => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
  const healthyTargets = async (arn: string, count: number) => {
    const t = await targets(arn);
    return t.length === count && t.every((d) => d.TargetHealth?.State === 'healthy') ? t : undefined;
  };
  const tasksOf = async (name: string, status: 'RUNNING' | 'STOPPED' = 'RUNNING'): Promise<Task[]> => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: name, desiredStatus: status }))).taskArns ?? [];
    return arns.length ? ((await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? []) : [];
  };
  /** The task set `id` runs `count` RUNNING tasks and reads STEADY_STATE. */
  const steady = async (name: string, id: string, count: number) => {
    const [set] = await taskSets(name, [id]);
    return set && set.runningCount === count && set.pendingCount === 0 && set.computedDesiredCount === count && set.stabilityStatus === 'STEADY_STATE' ? set : undefined;
  };
  const container = (version: string): ContainerDefinition => ({
    name: 'app',
    image: 'host',
    essential: true,
    memory: 64,
    command: [process.execPath, '-e', APP],
    environment: [{ name: 'VERSION', value: version }],
    portMappings: [{ containerPort: 8080 }],
    stopTimeout: 2,
  });
  const lb = (arn: string) => [{ targetGroupArn: arn, containerName: 'app', containerPort: 8080 }];
  /** Versions answering through the listener, over `n` requests. */
  const versions = async (n: number, urlPath = '/') => {
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await getFrom(address, port, urlPath);
      if (r.status === 200) seen.add(r.body);
    }
    return seen;
  };

  before(async () => {
    berth = await startBerthProcess({ dataDir });
    connect();
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    const alb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'sets', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const group = async (name: string) => {
      const arn = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: alb.VpcId, TargetType: 'instance', ...HEALTH }))).TargetGroups![0].TargetGroupArn!;
      await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '2' }] }));
      return arn;
    };
    tg.a = await group('blue');
    tg.b = await group('green');
    tg.c = await group('codedeploy');
    address = alb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    port = await freePort(address);
    const listener = (await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: alb.LoadBalancerArn,
        Protocol: 'HTTP',
        Port: port,
        DefaultActions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: tg.a, Weight: 1 }, { TargetGroupArn: tg.b, Weight: 1 }] } }],
      }),
    )).Listeners![0];
    listenerArn = listener.ListenerArn!;
    await elb.send(new CreateRuleCommand({ ListenerArn: listenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/cd/*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: tg.c }] }));
    for (const v of ['1', '2']) {
      td[v] = (await ecs.send(new RegisterTaskDefinitionCommand({ family: 'app', networkMode: 'bridge', containerDefinitions: [container(v)] }))).taskDefinition!.taskDefinitionArn!;
    }
  });

  after(async () => {
    try {
      if (berth && berth.process.exitCode === null) await deleteServicesAndDrain(ecs, cluster, ['ext', 'cd', 'rolling']);
    } finally {
      ecs?.destroy();
      elb?.destroy();
      await berth?.cleanup();
      // Removing the data dir also ends its container supervisor and anything it still runs.
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('an EXTERNAL service runs two task sets, each registered in its own target group behind one listener', async () => {
    const created = (await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'ext', desiredCount: 2, deploymentController: { type: 'EXTERNAL' } }))).service!;
    assert.equal(created.deploymentController?.type, 'EXTERNAL');
    assert.deepEqual(created.taskSets ?? [], []);

    v1 = (await ecs.send(new CreateTaskSetCommand({ cluster, service: 'ext', taskDefinition: td['1'], externalId: 'blue-1', loadBalancers: lb(tg.a), scale: { value: 100, unit: 'PERCENT' }, tags: [{ key: 'color', value: 'blue' }] }))).taskSet!;
    assert.match(v1.id!, /^ecs-svc\/\d{19}$/);
    // As ECS writes it: arn:aws:ecs:REGION:ACCOUNT:task-set/CLUSTER/SERVICE/ecs-svc/DIGITS.
    assert.equal(v1.taskSetArn, `arn:aws:ecs:${berth.region}:${v1.taskSetArn!.split(':')[4]}:task-set/${cluster}/ext/${v1.id}`);
    assert.equal(v1.status, 'PRIMARY');
    assert.equal(v1.computedDesiredCount, 2);
    assert.equal(v1.externalId, 'blue-1');
    assert.equal(v1.serviceArn, created.serviceArn);
    assert.deepEqual(v1.tags, [{ key: 'color', value: 'blue' }]);
    await until('v1 steady with 2 healthy targets in group A', async () => ((await steady('ext', v1.id!, 2)) && (await healthyTargets(tg.a, 2))));
    const running = await tasksOf('ext');
    assert.equal(running.length, 2);
    for (const t of running) {
      assert.equal(t.startedBy, v1.id, 'a task set task is started by its task set');
      assert.equal(t.group, 'service:ext');
      assert.equal(t.taskDefinitionArn, td['1']);
    }

    const v2Input = { cluster, service: 'ext', taskDefinition: td['2'], externalId: 'green-1', loadBalancers: lb(tg.b), scale: { value: 50, unit: 'PERCENT' as const }, clientToken: 'green-token-1' };
    v2 = (await ecs.send(new CreateTaskSetCommand(v2Input))).taskSet!;
    const retried = (await ecs.send(new CreateTaskSetCommand(v2Input))).taskSet!;
    assert.equal(retried.id, v2.id, 'a retry with the same clientToken gets the same task set');
    assert.equal(v2.status, 'ACTIVE');
    assert.equal(v2.computedDesiredCount, 1);
    await until('v2 steady with 1 healthy target in group B', async () => ((await steady('ext', v2.id!, 1)) && (await healthyTargets(tg.b, 1))));
    assert.equal((await targets(tg.a)).length, 2, "v2's task is not in v1's group");
    const s = await service('ext');
    assert.equal(s.runningCount, 3, "the service's runningCount sums its task sets");
    assert.deepEqual(s.taskSets!.map((t) => [t.id, t.status]), [[v1.id, 'PRIMARY'], [v2.id, 'ACTIVE']]);
    assert.equal(s.taskDefinition, td['1'], 'the service shows its PRIMARY task set');
    await until('both versions answer through the listener', async () => {
      const seen = await versions(20);
      return seen.has('app 1') && seen.has('app 2') ? seen : undefined;
    });

    const updated = (await ecs.send(new UpdateTaskSetCommand({ cluster, service: 'ext', taskSet: v2.taskSetArn!, scale: { value: 100, unit: 'PERCENT' } }))).taskSet!;
    assert.equal(updated.computedDesiredCount, 2);
    await until('v2 at 100%: 2 healthy targets in group B', async () => ((await steady('ext', v2.id!, 2)) && (await healthyTargets(tg.b, 2))));
    const described = await taskSets('ext', [v1.taskSetArn!, 'ecs-svc/1234567890123456789']);
    assert.deepEqual(described.map((t) => t.id), [v1.id]);
    assert.deepEqual(described[0].tags, [{ key: 'color', value: 'blue' }]);
  });

  it('refuses the scale, UpdateService changes and CreateTaskSet calls that ECS refuses', async () => {
    await rejectsWith(() => ecs.send(new UpdateTaskSetCommand({ cluster, service: 'ext', taskSet: v2.id!, scale: { value: 150, unit: 'PERCENT' } })), 'InvalidParameterException', /between 0 and 100/);
    await rejectsWith(() => ecs.send(new UpdateTaskSetCommand({ cluster, service: 'ext', taskSet: 'ecs-svc/1234567890123456789', scale: { value: 10, unit: 'PERCENT' } })), 'TaskSetNotFoundException', /does not exist/);
    await rejectsWith(() => ecs.send(new UpdateServiceCommand({ cluster, service: 'ext', taskDefinition: td['2'] })), 'InvalidParameterException', /EXTERNAL deployment controller/);
    await rejectsWith(() => ecs.send(new UpdateServiceCommand({ cluster, service: 'ext', loadBalancers: lb(tg.b) })), 'InvalidParameterException', /EXTERNAL deployment controller/);
    await rejectsWith(() => ecs.send(new UpdateServiceCommand({ cluster, service: 'ext', forceNewDeployment: true })), 'InvalidParameterException', /EXTERNAL deployment controller/);
    await rejectsWith(() => ecs.send(new DeleteTaskSetCommand({ cluster, service: 'ext', taskSet: v1.id! })), 'InvalidParameterException', /scaled down to zero/);

    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'rolling', desiredCount: 0, taskDefinition: td['1'] }));
    await rejectsWith(
      () => ecs.send(new CreateTaskSetCommand({ cluster, service: 'rolling', taskDefinition: td['1'] })),
      'InvalidParameterException',
      /^Amazon ECS only supports task set management on services configured to use external deployment controllers\.$/,
    );
    const ext = await service('ext');
    assert.equal(ext.taskSets!.length, 2, 'nothing half-made');
  });

  it('UpdateServicePrimaryTaskSet makes v2 the PRIMARY; after kill -9 Berth carries on', async () => {
    const primary = (await ecs.send(new UpdateServicePrimaryTaskSetCommand({ cluster, service: 'ext', primaryTaskSet: v2.taskSetArn! }))).taskSet!;
    assert.equal(primary.id, v2.id);
    assert.equal(primary.status, 'PRIMARY');
    const s = await service('ext');
    assert.deepEqual(Object.fromEntries(s.taskSets!.map((t) => [t.id, t.status])), { [v1.id!]: 'ACTIVE', [v2.id!]: 'PRIMARY' });
    assert.equal(s.taskDefinition, td['2']);
    const before = (await tasksOf('ext')).map((t) => t.taskArn).sort();
    assert.equal(before.length, 4);

    await berth.kill9();
    ecs.destroy();
    elb.destroy();
    berth = await startBerthProcess({ dataDir });
    connect();
    // The same tasks carry on (none replaced), still registered, and the scheduler still acts on task sets.
    await until('both task sets steady again after the restart', async () => ((await steady('ext', v1.id!, 2)) && (await steady('ext', v2.id!, 2)) && (await healthyTargets(tg.a, 2)) && (await healthyTargets(tg.b, 2))));
    assert.deepEqual((await tasksOf('ext')).map((t) => t.taskArn).sort(), before);
    await ecs.send(new UpdateTaskSetCommand({ cluster, service: 'ext', taskSet: v2.id!, scale: { value: 50, unit: 'PERCENT' } }));
    await until('v2 scaled in to 1 after the restart', async () => ((await steady('ext', v2.id!, 1)) && (await healthyTargets(tg.b, 1))));
  });

  it('DeleteTaskSet drains the task set: its targets leave group A, then its tasks stop and it leaves the service', async () => {
    await elb.send(new ModifyListenerCommand({ ListenerArn: listenerArn, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.b }] }));
    const v1Tasks = (await tasksOf('ext')).filter((t) => t.startedBy === v1.id).map((t) => t.taskArn!);
    assert.equal(v1Tasks.length, 2);
    const deleted = (await ecs.send(new DeleteTaskSetCommand({ cluster, service: 'ext', taskSet: v1.id!, force: true }))).taskSet!;
    assert.equal(deleted.status, 'DRAINING');
    assert.equal(deleted.computedDesiredCount, 0);
    await until("v1's tasks stopped, deregistered first", async () => {
      const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: v1Tasks }))).tasks ?? [];
      return tasks.every((t) => t.lastStatus === 'STOPPED') ? tasks : undefined;
    });
    assert.equal((await targets(tg.a)).length, 0, "no v1 target is left in group A");
    await until('v1 leaves the service', async () => ((await taskSets('ext')).map((t) => t.id).join() === v2.id ? true : undefined));
    const seen = await versions(10);
    assert.deepEqual([...seen], ['app 2']);

    // The service's desiredCount rescales its task sets: v2 is at 50%, so 4 -> 2 tasks.
    await ecs.send(new UpdateServiceCommand({ cluster, service: 'ext', desiredCount: 4 }));
    const [set] = await taskSets('ext', [v2.id!]);
    assert.equal(set.computedDesiredCount, 2);
    await until('v2 at 2 tasks', async () => ((await steady('ext', v2.id!, 2)) && (await healthyTargets(tg.b, 2))));
  });

  it('a CODE_DEPLOY service created with a task definition runs its PRIMARY task set; the task-set API is refused on it', async () => {
    const created = (await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'cd', desiredCount: 1, taskDefinition: td['1'], loadBalancers: lb(tg.c), deploymentController: { type: 'CODE_DEPLOY' } }))).service!;
    assert.equal(created.taskSets?.length, 1);
    const [set] = created.taskSets!;
    assert.equal(set.status, 'PRIMARY');
    assert.equal(set.startedBy, 'CODE_DEPLOY');
    assert.deepEqual(set.scale, { value: 100, unit: 'PERCENT' });
    assert.equal(set.computedDesiredCount, 1);
    assert.equal(set.taskDefinition, td['1']);
    await until('the CODE_DEPLOY task set steady, registered in its group', async () => ((await steady('cd', set.id!, 1)) && (await healthyTargets(tg.c, 1))));
    assert.equal((await getFrom(address, port, '/cd/x')).body, 'app 1');
    await rejectsWith(() => ecs.send(new CreateTaskSetCommand({ cluster, service: 'cd', taskDefinition: td['2'], loadBalancers: lb(tg.c) })), 'InvalidParameterException', /external deployment controllers/);
    await rejectsWith(() => ecs.send(new UpdateServiceCommand({ cluster, service: 'cd', taskDefinition: td['2'] })), 'InvalidParameterException', /CODE_DEPLOY deployment controller/);
    const scaled = (await ecs.send(new UpdateServiceCommand({ cluster, service: 'cd', desiredCount: 2 }))).service!;
    assert.equal(scaled.taskSets![0].computedDesiredCount, 2, 'desiredCount is allowed and rescales the task set');
    await until('the CODE_DEPLOY task set at 2 tasks', async () => ((await steady('cd', set.id!, 2)) && (await healthyTargets(tg.c, 2))));
  });
});
