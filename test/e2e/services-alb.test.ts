/**
 * ECS services behind Application Load Balancers, end to end on the process driver: tasks are
 * small node HTTP servers that name their version. A public ALB routes /api/* to the backend
 * service and everything else to the frontend service, whose tasks call the backend through an
 * internal ALB (its address and port passed in the environment). Checked with real requests: the
 * path routing, targets registered (instance targets for bridge tasks, loopback ip targets for
 * awsvpc tasks), two rolling deployments of the backend (min 100 / max 200, then min 50 / max 100)
 * and a scale-in under a steady bounded load with zero failed requests, a task failing its target
 * group's health checks replaced with ECS's reason, and the validation of `loadBalancers`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  StopTaskCommand,
  UpdateServiceCommand,
  type ContainerDefinition,
  type ECSClient,
  type Service,
} from '@aws-sdk/client-ecs';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
  type LoadBalancer,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { hostInstanceId } from '../../src/services/elbv2/index.js';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { rejectsWith } from '../fixtures/assertions.js';
import { runLoad } from '../fixtures/load.js';
import { freePort, until as untilWithin } from '../fixtures/http.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

const run = promisify(execFile);
const WAIT_MS = 120_000;
const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = WAIT_MS) => untilWithin(what, fn, ms, 250);
/**
 * The backend: /health answers 503 when SICK is set; everything else names the version, after
 * 200 ms (so a task always has requests in flight under load: stopping it before its targets
 * drained would cut them); a path with `slow` in it takes a minute.
 */
const BACKEND = `require('http').createServer((q,s)=>{if(q.url==='/health'){s.statusCode=process.env.SICK?503:200;return s.end('ok')}setTimeout(()=>s.end('backend '+process.env.VERSION),q.url.includes('slow')?60000:200)}).listen(Number(process.env.PORT))`;
/** The frontend: answers with its version and what the backend answered through the internal ALB. */
const FRONTEND = `const h=require('http');const a=new h.Agent({keepAlive:true});h.createServer((q,s)=>{if(q.url==='/health')return s.end('ok');h.get(process.env.BACKEND_URL,{agent:a},r=>{let b='';r.on('data',d=>b+=d);r.on('end',()=>{s.statusCode=r.statusCode;s.end('frontend '+process.env.VERSION+' -> '+b)})}).on('error',e=>{s.statusCode=502;s.end('frontend: '+e.message)})}).listen(Number(process.env.PORT))`;
const HEALTH = { HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 2, UnhealthyThresholdCount: 2 };

/** A pattern matching exactly `text`. */
const exactly = (text: string) => new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
const addressOf = (lb: LoadBalancer) => lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;

describe('ECS services behind load balancers (process driver)', () => {
  let berth: TestBerth;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'berth-svc-alb-'));
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  const cluster = 'alb';
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  let publicAddr = '';
  let publicPort = 0;
  let internalUrl = '';
  const tg: Record<'api' | 'internal' | 'web' | 'sick' | 'lonely', string> = { api: '', internal: '', web: '', sick: '', lonely: '' };
  const td: Record<string, string> = {};

  const aws = (args: string[]) => run(AWS_CLI_V2, [...args, '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: WAIT_MS });
  const get = (urlPath: string): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const req = http.get({ host: publicAddr, port: publicPort, path: urlPath, agent, timeout: 20_000 }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', reject);
    });
  const describeService = async (name: string): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services![0];
  const targets = async (arn: string): Promise<TargetHealthDescription[]> => (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
  /** The service runs `count` tasks of `revision` only, its rollout is done, and the group has exactly those targets, all healthy. */
  const settled = async (name: string, revision: string, count: number, groups: string[]): Promise<Service | undefined> => {
    const s = await describeService(name);
    if (s.deployments?.length !== 1 || s.deployments[0].rolloutState !== 'COMPLETED' || s.deployments[0].taskDefinition !== revision || s.runningCount !== count) return undefined;
    for (const g of groups) {
      const t = await targets(g);
      if (t.length !== count || !t.every((d) => d.TargetHealth?.State === 'healthy')) return undefined;
    }
    return s;
  };
  const container = (name: string, source: string, env: Record<string, string>): ContainerDefinition => ({
    name,
    image: 'host',
    essential: true,
    memory: 128,
    command: [process.execPath, '-e', source],
    environment: Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
    portMappings: [{ containerPort: 8080 }],
    stopTimeout: 2,
  });

  before(async () => {
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    const pub = (await elb.send(new CreateLoadBalancerCommand({ Name: 'public', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const internal = (await elb.send(new CreateLoadBalancerCommand({ Name: 'internal', Scheme: 'internal', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const group = async (name: string, type: 'instance' | 'ip') => {
      const arn = (await elb.send(new CreateTargetGroupCommand({ Name: name, Protocol: 'HTTP', Port: 8080, VpcId: pub.VpcId, TargetType: type, ...HEALTH }))).TargetGroups![0].TargetGroupArn!;
      await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '3' }] }));
      return arn;
    };
    tg.api = await group('api', 'instance');
    tg.internal = await group('backend', 'instance');
    tg.web = await group('web', 'ip');
    tg.sick = await group('sick', 'instance');
    tg.lonely = await group('lonely', 'instance');
    publicAddr = addressOf(pub);
    publicPort = await freePort(publicAddr);
    const listener = (await elb.send(new CreateListenerCommand({ LoadBalancerArn: pub.LoadBalancerArn, Protocol: 'HTTP', Port: publicPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.web }] }))).Listeners![0];
    await elb.send(new CreateRuleCommand({ ListenerArn: listener.ListenerArn, Priority: 10, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: tg.api }] }));
    await elb.send(new CreateRuleCommand({ ListenerArn: listener.ListenerArn, Priority: 20, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/sick/*'] } }], Actions: [{ Type: 'forward', TargetGroupArn: tg.sick }] }));
    const internalPort = await freePort(addressOf(internal));
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: internal.LoadBalancerArn, Protocol: 'HTTP', Port: internalPort, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.internal }] }));
    // No DNS for the internal ALB's name without the hosts file: the frontend gets its address.
    internalUrl = `http://${addressOf(internal)}:${internalPort}/from-frontend`;
    const register = async (family: string, revision: string, networkMode: 'bridge' | 'awsvpc', c: ContainerDefinition) => {
      td[`${family}:${revision}`] = (await ecs.send(new RegisterTaskDefinitionCommand({ family, networkMode, containerDefinitions: [c] }))).taskDefinition!.taskDefinitionArn!;
    };
    for (const v of ['1', '2', '3']) await register('backend', v, 'bridge', container('app', BACKEND, { VERSION: v }));
    await register('frontend', '1', 'awsvpc', container('web', FRONTEND, { VERSION: '1', BACKEND_URL: internalUrl }));
    await register('sick', '1', 'bridge', container('app', BACKEND, { VERSION: 'sick', SICK: '1' }));
  });

  after(async () => {
    agent.destroy();
    if (berth && berth.process.exitCode === null) await deleteServicesAndDrain(ecs, cluster, ['backend', 'frontend', 'sick']);
    ecs?.destroy();
    elb?.destroy();
    await berth?.cleanup();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses loadBalancers whose target group is missing, has no load balancer, or does not fit the network mode', async () => {
    const base = { cluster, desiredCount: 1 };
    const lb = (arn: string, port = 8080) => [{ targetGroupArn: arn, containerName: 'app', containerPort: port }];
    const missing = tg.api.replace(/\/[0-9a-f]+$/, '/0123456789abcdef');
    await rejectsWith(() => ecs.send(new CreateServiceCommand({ ...base, serviceName: 'x1', taskDefinition: td['backend:1'], loadBalancers: lb(missing) })), 'InvalidParameterException', /Unable to assume role and validate the specified targetGroupArn/);
    await rejectsWith(
      () => ecs.send(new CreateServiceCommand({ ...base, serviceName: 'x2', taskDefinition: td['backend:1'], loadBalancers: lb(tg.lonely) })),
      'InvalidParameterException',
      exactly(`The target group with targetGroupArn ${tg.lonely} does not have an associated load balancer.`),
    );
    await rejectsWith(
      () => ecs.send(new CreateServiceCommand({ ...base, serviceName: 'x3', taskDefinition: td['backend:1'], loadBalancers: lb(tg.web) })),
      'InvalidParameterException',
      exactly(`The provided target group ${tg.web} has target type ip, which is incompatible with the bridge network mode specified in the task definition.`),
    );
    await rejectsWith(
      () => ecs.send(new CreateServiceCommand({ ...base, serviceName: 'x4', taskDefinition: td['backend:1'], loadBalancers: lb(tg.api, 9090) })),
      'InvalidParameterException',
      exactly('The container app did not have a container port 9090 defined.'),
    );
    if (existsSync(AWS_CLI_V2)) {
      const err = await aws(['ecs', 'create-service', '--cluster', cluster, '--service-name', 'x5', '--task-definition', td['frontend:1'], '--desired-count', '1',
        '--network-configuration', 'awsvpcConfiguration={subnets=[subnet-a1]}', '--load-balancers', `targetGroupArn=${tg.api},containerName=web,containerPort=8080`]).then(() => undefined, (e: { stderr: string }) => e.stderr);
      assert.match(err ?? '', /InvalidParameterException.*has target type instance, which is incompatible with the awsvpc network mode/);
    }
    const services = (await ecs.send(new DescribeServicesCommand({ cluster, services: ['x1', 'x2', 'x3', 'x4', 'x5'] }))).services ?? [];
    assert.equal(services.length, 0, 'nothing half-made');
  });

  it('registers service tasks as targets and routes /api/* and the default path to two services', async () => {
    // The backend through the AWS CLI v2 (two target groups: the internal ALB's and the public /api/* one).
    const backendArgs = ['ecs', 'create-service', '--cluster', cluster, '--service-name', 'backend', '--task-definition', td['backend:1'], '--desired-count', '2',
      '--deployment-configuration', 'minimumHealthyPercent=100,maximumPercent=200',
      '--load-balancers', `targetGroupArn=${tg.internal},containerName=app,containerPort=8080`, `targetGroupArn=${tg.api},containerName=app,containerPort=8080`];
    if (existsSync(AWS_CLI_V2)) await aws(backendArgs);
    else {
      await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'backend', taskDefinition: td['backend:1'], desiredCount: 2, deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
        loadBalancers: [{ targetGroupArn: tg.internal, containerName: 'app', containerPort: 8080 }, { targetGroupArn: tg.api, containerName: 'app', containerPort: 8080 }] }));
    }
    await ecs.send(new CreateServiceCommand({
      cluster, serviceName: 'frontend', taskDefinition: td['frontend:1'], desiredCount: 2,
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-a1'] } },
      loadBalancers: [{ targetGroupArn: tg.web, containerName: 'web', containerPort: 8080 }],
    }));
    const backend = await until('backend settled', () => settled('backend', td['backend:1'], 2, [tg.internal, tg.api]));
    await until('frontend settled', () => settled('frontend', td['frontend:1'], 2, [tg.web]));

    // Instance targets: Berth's host and each task's host port; ip targets on the process driver: loopback and the host port.
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'backend' }))).taskArns! }))).tasks!;
    const hostPorts = tasks.map((t) => t.containers![0].networkBindings![0].hostPort).sort();
    const internalTargets = await targets(tg.internal);
    assert.deepEqual(internalTargets.map((t) => t.Target!.Port).sort(), hostPorts);
    assert.ok(internalTargets.every((t) => t.Target!.Id === hostInstanceId(tg.api.split(':')[4])));
    const webTargets = await targets(tg.web);
    assert.ok(webTargets.every((t) => t.Target!.Id === '127.0.0.1'), JSON.stringify(webTargets));
    assert.ok(backend.events!.some((e) => e.message === `(service backend) registered 1 targets in (target-group ${tg.internal})` || e.message === `(service backend) registered 2 targets in (target-group ${tg.internal})`), JSON.stringify(backend.events));
    if (existsSync(AWS_CLI_V2)) {
      const { stdout } = await aws(['elbv2', 'describe-target-health', '--target-group-arn', tg.api]);
      assert.deepEqual((JSON.parse(stdout).TargetHealthDescriptions as TargetHealthDescription[]).map((d) => d.TargetHealth!.State), ['healthy', 'healthy']);
    }

    const api = await get('/api/items');
    assert.deepEqual(api, { status: 200, body: 'backend 1' });
    const page = await get('/');
    assert.deepEqual(page, { status: 200, body: 'frontend 1 -> backend 1' });
  });

  /** Steady load through the public ALB (frontend -> internal ALB -> backend) while `during` runs; returns the tally. */
  const underLoad = async (during: () => Promise<void>) => {
    const stop = new AbortController();
    const load = runLoad({
      concurrency: 8,
      durationMs: 5 * WAIT_MS,
      signal: stop.signal,
      send: async (i) => {
        const r = await get(i % 2 ? '/page' : '/api/x');
        return `${r.status} ${r.body}`;
      },
      ok: (r) => /^200 (frontend 1 -> )?backend \d$/.test(r),
    });
    try {
      await during();
    } finally {
      stop.abort();
    }
    return load;
  };

  it('rolls the backend out twice under load (min 100 / max 200, then min 50 / max 100) with no failed request', async (t) => {
    const tally = await underLoad(async () => {
      await sleep(1000);
      await ecs.send(new UpdateServiceCommand({ cluster, service: 'backend', taskDefinition: td['backend:2'] }));
      await until('backend v2 settled', () => settled('backend', td['backend:2'], 2, [tg.internal, tg.api]));
      await ecs.send(new UpdateServiceCommand({ cluster, service: 'backend', taskDefinition: td['backend:3'], deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 100 } }));
      await until('backend v3 settled', () => settled('backend', td['backend:3'], 2, [tg.internal, tg.api]));
      await sleep(1000);
    });
    t.diagnostic(`rollouts: ${tally.total} requests in ${tally.elapsedMs} ms, ${tally.failures} failed; ${[...tally.results].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    assert.equal(tally.failures, 0, `failed requests: ${tally.errors.join('; ')}`);
    const seen = (v: string) => [...tally.results.keys()].some((k) => k.endsWith(`backend ${v}`));
    assert.ok(seen('1') && seen('2') && seen('3'), `versions answered: ${[...tally.results.keys()].join(', ')}`);
    // Both paths: directly (/api/*) and through the frontend and the internal ALB.
    assert.ok([...tally.results.keys()].some((k) => k.startsWith('200 frontend 1 -> backend 3')));
    assert.equal((await get('/api/x')).body, 'backend 3');
    const s = await describeService('backend');
    assert.ok(s.events!.some((e) => e.message === `(service backend) deregistered 1 targets in (target-group ${tg.internal})`), JSON.stringify(s.events!.slice(0, 20)));
  });

  it('scales in under load with no failed request: targets drain before the tasks get SIGTERM', async (t) => {
    await ecs.send(new UpdateServiceCommand({ cluster, service: 'backend', desiredCount: 4 }));
    await until('backend at 4', () => settled('backend', td['backend:3'], 4, [tg.internal, tg.api]));
    const tally = await underLoad(async () => {
      await sleep(1000);
      await ecs.send(new UpdateServiceCommand({ cluster, service: 'backend', desiredCount: 1 }));
      await until('backend at 1', () => settled('backend', td['backend:3'], 1, [tg.internal, tg.api]));
      await sleep(1000);
    });
    t.diagnostic(`scale-in: ${tally.total} requests in ${tally.elapsedMs} ms, ${tally.failures} failed`);
    assert.equal(tally.failures, 0, `failed requests: ${tally.errors.join('; ')}`);
    assert.ok(tally.total > 20, `only ${tally.total} requests`);
    const s = await describeService('backend');
    assert.ok(s.events!.some((e) => /^\(service backend\) deregistered [123] targets in \(target-group /.test(e.message!) && e.message!.endsWith(`${tg.api})`)), JSON.stringify(s.events!.slice(0, 10)));
  });

  it('replaces a task whose target fails its health checks, with ECS events and stoppedReason', async () => {
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'sick', taskDefinition: td['sick:1'], desiredCount: 1, loadBalancers: [{ targetGroupArn: tg.sick, containerName: 'app', containerPort: 8080 }] }));
    const stopped = await until('a sick task stopped by the scheduler', async () => {
      const arns = (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'sick', desiredStatus: 'STOPPED' }))).taskArns ?? [];
      const tasks = arns.length ? (await ecs.send(new DescribeTasksCommand({ cluster, tasks: arns }))).tasks ?? [] : [];
      return tasks.find((t) => t.stopCode === 'ServiceSchedulerInitiated');
    });
    assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${tg.sick})`);
    const s = await until('a replacement started', async () => {
      const svc = await describeService('sick');
      return svc.events!.filter((e) => e.message!.startsWith('(service sick) has started 1 tasks')).length >= 2 ? svc : undefined;
    });
    assert.ok(
      s.events!.some((e) => e.message === `(service sick) (port 8080) is unhealthy in (target-group ${tg.sick}) due to (reason Health checks failed with these codes: [503]).`),
      JSON.stringify(s.events!.map((e) => e.message)),
    );
    await ecs.send(new DeleteServiceCommand({ cluster, service: 'sick', force: true }));
    await until('sick service gone', async () => ((await describeService('sick')).status === 'INACTIVE' ? true : undefined));
    assert.equal((await targets(tg.sick)).length, 0);
  });

  it('keeps a stopped task DEACTIVATING while its target drains a request in flight, and finishes stopping it after a kill -9 of Berth', async () => {
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.api, Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '120' }] }));
    const [task] = (await ecs.send(new ListTasksCommand({ cluster, serviceName: 'backend', desiredStatus: 'RUNNING' }))).taskArns!;
    // A request that takes a minute, to the service's only task.
    const slowAgent = new http.Agent();
    const slow = new Promise<string>((resolve) => {
      http.get({ host: publicAddr, port: publicPort, path: '/api/slow', agent: slowAgent }, (res) => res.resume().on('end', () => resolve(`answered ${res.statusCode}`)).on('error', (e) => resolve(e.message))).on('error', (e) => resolve(e.message));
    });
    await sleep(500);
    await ecs.send(new StopTaskCommand({ cluster, task, reason: 'e2e' }));
    const draining = await until('the task DEACTIVATING with its target draining', async () => {
      const t = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }))).tasks![0];
      const d = (await targets(tg.api)).find((x) => x.TargetHealth?.State === 'draining');
      return t.lastStatus === 'DEACTIVATING' && d ? { t, d } : undefined;
    });
    assert.equal(draining.d.TargetHealth!.Reason, 'Target.DeregistrationInProgress');
    assert.equal(draining.d.Target!.Port, draining.t.containers![0].networkBindings![0].hostPort);
    // Still DEACTIVATING a few agent rounds later: the request is in flight, the delay is two minutes.
    await sleep(3000);
    assert.equal((await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }))).tasks![0].lastStatus, 'DEACTIVATING');

    await berth.kill9();
    assert.notEqual(await slow, 'answered 200', 'the load balancer went down with Berth');
    slowAgent.destroy();
    berth = await startBerthProcess({ dataDir });
    ecs = berth.ecs();
    elb.destroy();
    elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const stopped = await until('the task STOPPED after the restart', async () => {
      const t = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: [task] }))).tasks![0];
      return t.lastStatus === 'STOPPED' ? t : undefined;
    });
    assert.equal(stopped.stoppedReason, 'e2e');
    await until('backend back at 1 healthy task', () => settled('backend', td['backend:3'], 1, [tg.internal, tg.api]));
    assert.equal((await get('/api/x')).body, 'backend 3');
    assert.equal((await get('/')).body, 'frontend 1 -> backend 3');
  });
});
