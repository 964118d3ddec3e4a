/**
 * CloudWatch metrics through `berth up`: @aws-sdk/client-cloudwatch made to speak rpcv2Cbor (the
 * protocol the CloudWatch model lists first; checked on the wire) puts and reads metrics, the same
 * client in its default protocol (awsJson 1.0 in this SDK version) reads them too, and the AWS CLI
 * v2 (awsQuery) reads the same data.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand, ListMetricsCommand, PutDashboardCommand, PutMetricDataCommand, type CloudWatchClientConfig } from '@aws-sdk/client-cloudwatch';
// The SDK's own rpcv2Cbor protocol (a dependency of the client), to make the client speak CBOR.
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { AWS_CLI_V2, startBerthProcess, type TestBerth } from '../fixtures/berth.js';

const run = promisify(execFile);
const skipCli = existsSync(AWS_CLI_V2) ? false : `AWS CLI v2 (${AWS_CLI_V2}) is not installed`;

describe('CloudWatch metrics through @aws-sdk/client-cloudwatch and the AWS CLI', () => {
  let berth: TestBerth;
  let cw: CloudWatchClient;
  // A whole minute two minutes back, so the data does not depend on when the test runs.
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
  const dims = [{ Name: 'ServiceName', Value: 'web' }];
  /** Content-Type of every request the CBOR client sent. */
  const cborContentTypes = new Set<string>();
  before(async () => {
    berth = await startBerthProcess();
    cw = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1, protocol: AwsSmithyRpcV2CborProtocol as unknown as CloudWatchClientConfig['protocol'] });
    cw.middlewareStack.add(
      (next) => async (args) => {
        cborContentTypes.add((args.request as { headers: Record<string, string> }).headers['content-type']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordContentType' },
    );
    await cw.send(
      new PutMetricDataCommand({
        Namespace: 'E2E',
        MetricData: [
          { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(minute + 1000), Values: [10, 20, 30, 1000], Counts: [50, 30, 19, 1], Unit: 'Milliseconds', StorageResolution: 1 },
          { MetricName: 'Latency', Dimensions: dims, Timestamp: new Date(minute + 2000), StatisticValues: { SampleCount: 2, Sum: 50, Minimum: 20, Maximum: 30 }, Unit: 'Milliseconds' },
        ],
      }),
    );
  });
  after(async () => {
    cw?.destroy();
    await berth?.cleanup();
    // The restarted Berth reuses the first one's data dir, which its cleanup leaves in place.
    if (berth) rmSync(berth.dataDir, { recursive: true, force: true });
  });

  it('reads statistics and percentiles back through GetMetricStatistics and GetMetricData', async () => {
    const stats = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'E2E', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(minute), EndTime: new Date(minute + 60_000), Period: 60, Statistics: ['SampleCount', 'Sum', 'Maximum'] }));
    assert.deepEqual(
      stats.Datapoints?.map((d) => [d.Timestamp?.getTime(), d.SampleCount, d.Sum, d.Maximum, d.Unit]),
      [[minute, 102, 10 * 50 + 20 * 30 + 30 * 19 + 1000 + 50, 1000, 'Milliseconds']],
    );
    const data = await cw.send(
      new GetMetricDataCommand({
        StartTime: new Date(minute),
        EndTime: new Date(minute + 60_000),
        MetricDataQueries: [
          { Id: 'avg', MetricStat: { Metric: { Namespace: 'E2E', MetricName: 'Latency', Dimensions: dims }, Period: 60, Stat: 'Average' } },
          { Id: 'p99', MetricStat: { Metric: { Namespace: 'E2E', MetricName: 'Latency', Dimensions: dims }, Period: 60, Stat: 'p99' } },
          { Id: 'seconds', Expression: 'avg / 1000', Label: 'average in seconds' },
        ],
      }),
    );
    const byId = Object.fromEntries((data.MetricDataResults ?? []).map((r) => [r.Id, r]));
    assert.equal(byId.avg.StatusCode, 'Complete');
    assert.deepEqual(byId.avg.Timestamps?.map((t: Date) => t.getTime()), [minute]);
    assert.equal(byId.avg.Values?.[0], stats.Datapoints![0].Sum! / 102);
    // The statistic set has two samples: no percentiles for this minute, as CloudWatch.
    assert.deepEqual(byId.p99.Values, []);
    assert.equal(byId.seconds.Label, 'average in seconds');
    assert.equal(byId.seconds.Values?.[0], byId.avg.Values![0] / 1000);
  });

  it('lists the metric and answers AWS errors', async () => {
    const listed = await cw.send(new ListMetricsCommand({ Namespace: 'E2E' }));
    assert.deepEqual(listed.Metrics, [{ Namespace: 'E2E', MetricName: 'Latency', Dimensions: dims }]);
    const bad = await cw.send(new PutMetricDataCommand({ Namespace: 'E2E', MetricData: [{ MetricName: 'X', Value: 1, StorageResolution: 5 }] })).catch((e) => e);
    assert.equal(bad.name, 'InvalidParameterValueException');
    assert.match(bad.message, /StorageResolution is invalid/);
    const unbuilt = await cw.send(new PutDashboardCommand({ DashboardName: 'd', DashboardBody: '{}' })).catch((e) => e);
    assert.equal(unbuilt.name, 'UnsupportedOperation');
    assert.match(unbuilt.message, /PutDashboard/);
  });

  it('spoke CBOR, and the SDK in its default protocol reads the same data', async () => {
    assert.deepEqual([...cborContentTypes], ['application/cbor'], 'every request of the CBOR client was CBOR');
    const json = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const types = new Set<string>();
    json.middlewareStack.add(
      (next) => async (args) => {
        types.add((args.request as { headers: Record<string, string> }).headers['content-type']);
        return next(args);
      },
      { step: 'finalizeRequest', name: 'recordContentType' },
    );
    try {
      const query = { Namespace: 'E2E', MetricName: 'Latency', Dimensions: dims, StartTime: new Date(minute), EndTime: new Date(minute + 60_000), Period: 60, Statistics: ['SampleCount' as const, 'Sum' as const, 'Maximum' as const] };
      const viaJson = await json.send(new GetMetricStatisticsCommand(query));
      const viaCbor = await cw.send(new GetMetricStatisticsCommand(query));
      assert.deepEqual(viaJson.Datapoints, viaCbor.Datapoints);
      assert.equal(viaJson.Datapoints?.length, 1);
      assert.deepEqual([...types], ['application/x-amz-json-1.0']);
    } finally {
      json.destroy();
    }
  });

  it('keeps acknowledged datapoints across kill -9', async () => {
    const dataDir = berth.dataDir;
    await cw.send(new PutMetricDataCommand({ Namespace: 'E2E', MetricData: [{ MetricName: 'Durable', Timestamp: new Date(minute), Value: 7 }] }));
    await berth.kill9();
    berth = await startBerthProcess({ dataDir });
    cw.destroy();
    cw = new CloudWatchClient({ endpoint: berth.endpoint, region: berth.region, credentials: berth.credentials, maxAttempts: 1 });
    const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'E2E', MetricName: 'Durable', StartTime: new Date(minute), EndTime: new Date(minute + 60_000), Period: 60, Statistics: ['Sum'] }));
    assert.deepEqual(r.Datapoints?.map((d) => d.Sum), [7]);
  });

  it('reads the same data with the AWS CLI v2', { skip: skipCli }, async () => {
    const { stdout } = await run(
      AWS_CLI_V2,
      ['cloudwatch', 'get-metric-statistics', '--endpoint-url', berth.endpoint, '--namespace', 'E2E', '--metric-name', 'Latency', '--dimensions', 'Name=ServiceName,Value=web',
        '--start-time', new Date(minute).toISOString(), '--end-time', new Date(minute + 60_000).toISOString(), '--period', '60', '--statistics', 'SampleCount', 'Maximum', '--output', 'json'],
      { env: berth.awsEnv(), timeout: 120_000 },
    );
    const out = JSON.parse(stdout);
    assert.deepEqual(out.Datapoints.map((d: any) => [d.SampleCount, d.Maximum, d.Unit]), [[102, 1000, 'Milliseconds']]);
    // And the other way round: the CLI puts a statistic set, the SDK reads it.
    await run(
      AWS_CLI_V2,
      ['cloudwatch', 'put-metric-data', '--endpoint-url', berth.endpoint, '--namespace', 'E2E', '--metric-name', 'FromCli', '--dimensions', 'Host=a',
        '--timestamp', new Date(minute + 5000).toISOString(), '--statistic-values', 'SampleCount=4,Sum=10,Minimum=1,Maximum=4', '--unit', 'Count'],
      { env: berth.awsEnv(), timeout: 120_000 },
    );
    const r = await cw.send(new GetMetricStatisticsCommand({ Namespace: 'E2E', MetricName: 'FromCli', Dimensions: [{ Name: 'Host', Value: 'a' }], StartTime: new Date(minute), EndTime: new Date(minute + 60_000), Period: 60, Statistics: ['Average', 'Maximum'] }));
    assert.deepEqual(r.Datapoints?.map((d) => [d.Average, d.Maximum, d.Unit]), [[2.5, 4, 'Count']]);
  });
});
