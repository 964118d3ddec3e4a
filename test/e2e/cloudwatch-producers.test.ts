/**
 * Berth's own metrics end to end (process driver): a service behind an Application Load Balancer
 * gets a bounded number of requests; AWS/ApplicationELB RequestCount and AWS/ECS CPUUtilization and
 * MemoryUtilization are read back with GetMetricStatistics through the SDK and the AWS CLI v2, and
 * `GET /metrics` shows the same figures in the Prometheus text format. Berth publishes every 2 s
 * here (BERTH_METRICS_INTERVAL_SECONDS) and samples tasks every second (BERTH_STATS_INTERVAL),
 * so the test does not wait for whole minutes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricStatisticsCommand, type Datapoint } from '@aws-sdk/client-cloudwatch';
import { CreateClusterCommand, CreateServiceCommand, RegisterTaskDefinitionCommand, type ECSClient } from '@aws-sdk/client-ecs';
import { CreateListenerCommand, CreateLoadBalancerCommand, CreateTargetGroupCommand, DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';
import { freePort, getFrom, until } from '../fixtures/http.js';
import { deleteServicesAndDrain } from '../fixtures/tasks.js';

const run = promisify(execFile);
const WAIT_MS = 120_000;
const REQUESTS = 25;
/** Burns about 20 ms of CPU per request, so the service's CPUUtilization is above zero. */
const APP = `require('http').createServer((q,s)=>{if(q.url!=='/health'){const t=Date.now();while(Date.now()-t<20);}s.end('ok')}).listen(Number(process.env.PORT))`;

describe("Berth's own AWS/ECS and AWS/ApplicationELB metrics (process driver)", () => {
  let berth: TestBerth;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  let cw: CloudWatchClient;
  const cluster = 'metrics';
  let lbDim = '';
  let tgDim = '';
  const start = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000);

  before(async () => {
    berth = await startBerthProcess({ env: { BERTH_METRICS_INTERVAL_SECONDS: '2', BERTH_STATS_INTERVAL: '1' } });
    ecs = berth.ecs();
    elb = new ElasticLoadBalancingV2Client({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    cw = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
  });
  after(async () => {
    if (berth && berth.process.exitCode === null && ecs) await deleteServicesAndDrain(ecs, cluster, ['web']);
    ecs?.destroy();
    elb?.destroy();
    cw?.destroy();
    await berth?.cleanup();
  });

  it('publishes RequestCount and CPUUtilization that the SDK, the AWS CLI v2 and GET /metrics read back', async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: cluster, tags: [{ key: 'berth:driver', value: 'process' }] }));
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'metrics', Subnets: ['subnet-a1', 'subnet-b2'] }))).LoadBalancers![0];
    const tg = (await elb.send(new CreateTargetGroupCommand({ Name: 'metrics-web', Protocol: 'HTTP', Port: 8080, VpcId: lb.VpcId, TargetType: 'instance', HealthCheckPath: '/health', HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 3, HealthyThresholdCount: 2 }))).TargetGroups![0];
    lbDim = lb.LoadBalancerArn!.split(':loadbalancer/')[1];
    tgDim = tg.TargetGroupArn!.split(':').pop()!;
    assert.match(lbDim, /^app\/metrics\/[0-9a-f]+$/);
    assert.match(tgDim, /^targetgroup\/metrics-web\/[0-9a-f]+$/);
    const address = lb.AvailabilityZones![0].LoadBalancerAddresses![0].IpAddress!;
    const port = await freePort(address);
    await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: port, DefaultActions: [{ Type: 'forward', TargetGroupArn: tg.TargetGroupArn }] }));
    const taskDefinition = (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family: 'metrics-web',
          cpu: '256',
          memory: '512',
          containerDefinitions: [{ name: 'app', image: 'host', essential: true, command: [process.execPath, '-e', APP], portMappings: [{ containerPort: 8080 }], stopTimeout: 2 }],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: 'web', taskDefinition, desiredCount: 1, loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: 'app', containerPort: 8080 }] }));
    await until('a healthy target', async () => {
      const t = (await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions ?? [];
      return t.length === 1 && t[0].TargetHealth?.State === 'healthy' ? true : undefined;
    }, WAIT_MS, 250);

    for (let i = 0; i < REQUESTS; i++) assert.equal((await getFrom(address, port, `/r${i}`)).status, 200);

    const stats = async (namespace: string, metricName: string, dimensions: { Name: string; Value: string }[], statistics: ('Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount')[]): Promise<Datapoint[]> =>
      (await cw.send(new GetMetricStatisticsCommand({ Namespace: namespace, MetricName: metricName, Dimensions: dimensions, StartTime: start, EndTime: new Date(Date.now() + 120_000), Period: 60, Statistics: statistics }))).Datapoints ?? [];
    const sum = (ds: Datapoint[]) => ds.reduce((a, d) => a + (d.Sum ?? 0), 0);
    const lbDims = [{ Name: 'LoadBalancer', Value: lbDim }];
    // Health checks are not requests: exactly the test's requests are counted, per load balancer and per target group.
    const requestCount = await until(`RequestCount ${REQUESTS}`, async () => {
      const ds = await stats('AWS/ApplicationELB', 'RequestCount', lbDims, ['Sum']);
      return sum(ds) === REQUESTS ? ds : undefined;
    }, WAIT_MS, 500);
    assert.ok(requestCount.every((d) => d.Unit === 'Count' && d.Timestamp!.getTime() % 60_000 === 0));
    assert.equal(sum(await stats('AWS/ApplicationELB', 'RequestCount', [...lbDims, { Name: 'TargetGroup', Value: tgDim }], ['Sum'])), REQUESTS);
    assert.equal(sum(await stats('AWS/ApplicationELB', 'HTTPCode_Target_2XX_Count', lbDims, ['Sum'])), REQUESTS);
    assert.deepEqual(await stats('AWS/ApplicationELB', 'HTTPCode_ELB_5XX_Count', lbDims, ['Sum']), [], 'no 5xx, so no datum');
    assert.equal(sum(await stats('AWS/ApplicationELB', 'RequestCountPerTarget', [{ Name: 'TargetGroup', Value: tgDim }], ['Sum'])), REQUESTS, 'one healthy target');

    const svcDims = [{ Name: 'ClusterName', Value: cluster }, { Name: 'ServiceName', Value: 'web' }];
    const cpu = await until('CPUUtilization of the service', async () => {
      const ds = await stats('AWS/ECS', 'CPUUtilization', svcDims, ['Average', 'Minimum', 'Maximum', 'SampleCount']);
      return ds.some((d) => (d.Maximum ?? 0) > 0) ? ds : undefined;
    }, WAIT_MS, 500);
    for (const d of cpu) {
      assert.equal(d.Unit, 'Percent');
      assert.ok(d.Minimum! <= d.Average! + 1e-9 && d.Average! <= d.Maximum! + 1e-9, JSON.stringify(d));
    }
    const memory = await stats('AWS/ECS', 'MemoryUtilization', svcDims, ['Average']);
    assert.ok(memory.length > 0 && memory.every((d) => d.Average! > 0 && d.Average! < 100), `a node process uses some of its 512 MiB: ${JSON.stringify(memory)}`);

    if (existsSync(AWS_CLI_V2)) {
      const { stdout } = await run(
        AWS_CLI_V2,
        ['cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/ApplicationELB', '--metric-name', 'RequestCount', '--dimensions', `Name=LoadBalancer,Value=${lbDim}`,
          '--start-time', start.toISOString(), '--end-time', new Date(Date.now() + 120_000).toISOString(), '--period', '60', '--statistics', 'Sum', '--endpoint-url', berth.endpoint, '--output', 'json'],
        { env: berth.awsEnv(), timeout: WAIT_MS },
      );
      const cli = JSON.parse(stdout) as { Label: string; Datapoints: { Sum: number; Unit: string }[] };
      assert.equal(cli.Label, 'RequestCount');
      assert.equal(cli.Datapoints.reduce((a, d) => a + d.Sum, 0), REQUESTS);
      const cpuCli = JSON.parse(
        (await run(AWS_CLI_V2, ['cloudwatch', 'get-metric-statistics', '--namespace', 'AWS/ECS', '--metric-name', 'CPUUtilization', '--dimensions', `Name=ClusterName,Value=${cluster}`, 'Name=ServiceName,Value=web',
          '--start-time', start.toISOString(), '--end-time', new Date(Date.now() + 120_000).toISOString(), '--period', '60', '--statistics', 'Maximum', '--endpoint-url', berth.endpoint, '--output', 'json'], { env: berth.awsEnv(), timeout: WAIT_MS })).stdout,
      ) as { Datapoints: { Maximum: number; Unit: string }[] };
      assert.ok(cpuCli.Datapoints.length > 0 && cpuCli.Datapoints.every((d) => d.Unit === 'Percent'));
    } else {
      console.log(`skipping the AWS CLI v2 part: ${AWS_CLI_V2} is not installed`);
    }

    // GET /metrics, unsigned, in the Prometheus text format.
    const res = await fetch(`${berth.endpoint}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const labels = `load_balancer="${lbDim}",target_group="${tgDim}"`;
    assert.match(text, /^# TYPE aws_applicationelb_request_count_total counter$/m);
    assert.ok(text.includes(`\naws_applicationelb_request_count_total{${labels}} ${REQUESTS}\n`), text);
    assert.ok(text.includes(`\naws_applicationelb_httpcode_target_2xx_count_total{${labels}} ${REQUESTS}\n`), text);
    assert.ok(text.includes(`\naws_applicationelb_healthy_host_count{${labels}} 1\n`), text);
    assert.match(text, /^# TYPE aws_ecs_cpu_utilization_percent gauge$/m);
    assert.match(text, new RegExp(`^aws_ecs_cpu_utilization_percent\\{cluster_name="${cluster}",service_name="web"\\} [0-9.e+-]+$`, 'm'));
  });
});
