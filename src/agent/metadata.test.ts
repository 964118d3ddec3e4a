import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileRuntimeOptions, PortAllocator, ProcessDriver, type TaskHandle } from '../runtime/index.js';
import { MetadataServer, type MetadataSource, type MetadataTask } from './metadata.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'berth-metadata-')));
const runtime = compileRuntimeOptions({ dataDir: root, portRange: '43300-43399' }, {});
const driver = new ProcessDriver({ runtime, ports: new PortAllocator(runtime.portRange) });
const cleanup: (() => Promise<void>)[] = [];

const TASK_ARN = 'arn:aws:ecs:us-east-1:123456789012:task/default/0123456789abcdef0123456789abcdef';
const at = (s: string) => new Date(`2030-01-01T00:00:${s}Z`);

const task: MetadataTask = {
  clusterArn: 'arn:aws:ecs:us-east-1:123456789012:cluster/default',
  taskArn: TASK_ARN,
  family: 'web',
  revision: 3,
  serviceName: 'web-svc',
  desiredStatus: 'RUNNING',
  knownStatus: 'RUNNING',
  cpuUnits: 256,
  memoryMiB: 512,
  pullStartedAt: at('01'),
  pullStoppedAt: at('02'),
  availabilityZone: 'us-east-1a',
  launchType: 'FARGATE',
  networkMode: 'awsvpc',
  ipv4Address: '10.213.0.5',
  macAddress: '02:42:0a:d5:00:05',
  subnetCidr: '10.213.0.0/24',
  gatewayIpv4Address: '10.213.0.1/24',
  containers: [
    {
      name: 'app',
      runtimeId: '0123456789abcdef0123456789abcdef-app',
      containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/default/0123456789abcdef0123456789abcdef/11111111-2222-3333-4444-555555555555',
      image: 'web:1',
      desiredStatus: 'RUNNING',
      knownStatus: 'RUNNING',
      cpuUnits: 128,
      memoryMiB: 256,
      createdAt: at('03'),
      startedAt: at('04'),
      logDriver: 'awslogs',
      logOptions: { 'awslogs-group': '/ecs/web', 'awslogs-region': 'us-east-1', 'awslogs-stream': 'ecs/app/0123456789abcdef0123456789abcdef' },
      health: { status: 'HEALTHY', statusSince: at('05').getTime(), exitCode: 0 },
    },
    { name: 'sidecar', runtimeId: '0123456789abcdef0123456789abcdef-sidecar', containerArn: 'arn:aws:ecs:us-east-1:123456789012:container/x', image: 'side:1', desiredStatus: 'RUNNING', knownStatus: 'STOPPED', cpuUnits: 0, exitCode: 0, finishedAt: at('09') },
  ],
};

describe('task metadata endpoint v4', () => {
  let handle: TaskHandle;
  const abort = new AbortController();
  // The data the agent would give: plain task data, and stats from a real running container.
  const source: MetadataSource = {
    task: (arn) => (arn === TASK_ARN ? task : undefined),
    stats: async (arn, name) => (arn === TASK_ARN && name === 'app' ? driver.stats(handle) : undefined),
  };
  const server = new MetadataServer({ source });
  let running: Promise<void>;
  let uri: string;

  before(async () => {
    const sandbox = await driver.prepareTask({ taskId: `meta-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: [{ name: 'app', portMappings: [] }] });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    handle = await driver.startTask(sandbox, { name: 'app', image: 'host', command: ['/bin/sh', '-c', 'sleep 300'] });
    cleanup.push(() => driver.destroyTask(handle));
    running = server.start(abort.signal);
    await server.ready();
    uri = server.containerUri(TASK_ARN, 'app');
  });
  after(async () => {
    abort.abort();
    await running;
    for (const c of cleanup.reverse()) await c().catch(() => {});
    rmSync(root, { recursive: true, force: true });
  });

  const get = async (url: string) => {
    const r = await fetch(url, { signal: AbortSignal.timeout(10_000) });
    return { status: r.status, body: (await r.json()) as any };
  };

  test('the URI is on 127.0.0.1 with an unguessable token, stable for the same key', () => {
    assert.match(uri, /^http:\/\/127\.0\.0\.1:\d+\/v4\/[A-Za-z0-9_-]{32}$/);
    const key = randomBytes(32);
    const a = new MetadataServer({ source, tokenKey: key });
    const b = new MetadataServer({ source, tokenKey: key });
    assert.equal(a.tokenFor(TASK_ARN, 'app'), b.tokenFor(TASK_ARN, 'app'));
    assert.notEqual(a.tokenFor(TASK_ARN, 'app'), a.tokenFor(TASK_ARN, 'sidecar'));
    assert.notEqual(a.tokenFor(TASK_ARN, 'app'), server.tokenFor(TASK_ARN, 'app'));
    assert.throws(() => new MetadataServer({ source, tokenKey: Buffer.alloc(4) }), /at least 16 bytes/);
    assert.throws(() => a.containerUri(TASK_ARN, 'app'), /not listening yet/);
  });

  test('container metadata', async () => {
    const { status, body } = await get(uri);
    assert.equal(status, 200);
    assert.deepEqual(body, {
      DockerId: '0123456789abcdef0123456789abcdef-app',
      Name: 'app',
      DockerName: 'ecs-web-3-app',
      Image: 'web:1',
      ImageID: '',
      Labels: {
        'com.amazonaws.ecs.cluster': task.clusterArn,
        'com.amazonaws.ecs.container-name': 'app',
        'com.amazonaws.ecs.task-arn': TASK_ARN,
        'com.amazonaws.ecs.task-definition-family': 'web',
        'com.amazonaws.ecs.task-definition-version': '3',
      },
      DesiredStatus: 'RUNNING',
      KnownStatus: 'RUNNING',
      Limits: { CPU: 128, Memory: 256 },
      CreatedAt: '2030-01-01T00:00:03.000Z',
      StartedAt: '2030-01-01T00:00:04.000Z',
      Type: 'NORMAL',
      LogDriver: 'awslogs',
      LogOptions: task.containers[0].logOptions,
      ContainerARN: task.containers[0].containerArn,
      Health: { status: 'HEALTHY', statusSince: '2030-01-01T00:00:05.000Z', exitCode: 0 },
      Networks: [{ NetworkMode: 'awsvpc', IPv4Addresses: ['10.213.0.5'], AttachmentIndex: 0, MACAddress: '02:42:0a:d5:00:05', IPv4SubnetCIDRBlock: '10.213.0.0/24', SubnetGatewayIpv4Address: '10.213.0.1/24' }],
    });
  });

  test('task metadata', async () => {
    const { status, body } = await get(`${uri}/task`);
    assert.equal(status, 200);
    assert.equal(body.Cluster, task.clusterArn);
    assert.equal(body.ServiceName, 'web-svc');
    assert.equal(body.TaskARN, TASK_ARN);
    assert.equal(body.Family, 'web');
    assert.equal(body.Revision, '3');
    assert.equal(body.DesiredStatus, 'RUNNING');
    assert.equal(body.KnownStatus, 'RUNNING');
    assert.deepEqual(body.Limits, { CPU: 0.25, Memory: 512 });
    assert.equal(body.PullStartedAt, '2030-01-01T00:00:01.000Z');
    assert.equal(body.PullStoppedAt, '2030-01-01T00:00:02.000Z');
    assert.equal(body.AvailabilityZone, 'us-east-1a');
    assert.equal(body.LaunchType, 'FARGATE');
    assert.deepEqual(body.Containers.map((c: any) => [c.Name, c.KnownStatus, c.ExitCode]), [['app', 'RUNNING', undefined], ['sidecar', 'STOPPED', 0]]);
    assert.equal(body.Containers[1].FinishedAt, '2030-01-01T00:00:09.000Z');
  });

  test('stats: Docker-shaped, cumulative CPU counters; task stats keyed by DockerId with null for a stopped container', async () => {
    const first = await get(`${uri}/stats`);
    assert.equal(first.status, 200);
    assert.equal(first.body.id, '0123456789abcdef0123456789abcdef-app');
    assert.equal(first.body.name, 'app');
    assert.ok(first.body.memory_stats.usage > 0);
    assert.equal(first.body.precpu_stats.system_cpu_usage, 0);
    const second = await get(`${uri}/stats`);
    assert.equal(second.body.precpu_stats.system_cpu_usage, first.body.cpu_stats.system_cpu_usage);
    assert.ok(second.body.cpu_stats.system_cpu_usage >= first.body.cpu_stats.system_cpu_usage);
    assert.ok(second.body.cpu_stats.cpu_usage.total_usage >= first.body.cpu_stats.cpu_usage.total_usage);
    const all = await get(`${uri}/task/stats`);
    assert.deepEqual(Object.keys(all.body), ['0123456789abcdef0123456789abcdef-app', '0123456789abcdef0123456789abcdef-sidecar']);
    assert.equal(all.body['0123456789abcdef0123456789abcdef-sidecar'], null);
    assert.equal(all.body['0123456789abcdef0123456789abcdef-app'].id, '0123456789abcdef0123456789abcdef-app');
  });

  test('unknown tokens, paths and forgotten tasks answer 404; other methods 405', async () => {
    const base = uri.slice(0, uri.lastIndexOf('/'));
    assert.equal((await get(`${base}/not-a-token`)).status, 404);
    assert.equal((await get(`${uri}/nope`)).status, 404);
    assert.equal((await get(`${server.url}/v3/x`)).status, 404);
    const r = await fetch(uri, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    assert.equal(r.status, 405);
    await r.arrayBuffer();
    const other = server.containerUri(TASK_ARN, 'sidecar');
    assert.equal((await get(other)).status, 200);
    const gone = server.containerUri('arn:aws:ecs:us-east-1:123456789012:task/default/ffff', 'app');
    assert.equal((await get(gone)).status, 404, 'the source no longer knows the task');
    server.forgetTask(TASK_ARN);
    assert.equal((await get(other)).status, 404);
    uri = server.containerUri(TASK_ARN, 'app');
  });

  test('a container reads its own metadata through ECS_CONTAINER_METADATA_URI_V4', async () => {
    const sandbox = await driver.prepareTask({ taskId: `meta-${randomBytes(6).toString('hex')}`, networkMode: 'awsvpc', containers: [{ name: 'app', portMappings: [] }] });
    cleanup.push(() => driver.destroyTaskSandbox(sandbox));
    const script = 'fetch(process.env.ECS_CONTAINER_METADATA_URI_V4 + "/task").then((r) => r.json()).then((t) => console.log(t.TaskARN, t.Containers.length))';
    const h = await driver.startTask(sandbox, { name: 'app', image: 'host', command: [process.execPath, '-e', script], environment: { ECS_CONTAINER_METADATA_URI_V4: uri } });
    cleanup.push(() => driver.destroyTask(h));
    const exit = await driver.waitTask(h, AbortSignal.timeout(30_000));
    const out: string[] = [];
    for await (const l of driver.readLogs(h)) out.push(l.text);
    assert.equal(exit.exitCode, 0, out.join('\n'));
    assert.deepEqual(out, [`${TASK_ARN} 2`]);
  });
});
