/**
 * CloudWatch's three protocols end to end through a real ApiServer on an ephemeral port: one small
 * test service over the real CloudWatch model (hand-written handlers that record PutMetricData,
 * list and read back what they recorded, echo a widget as image bytes, and refuse SetAlarmState
 * with ResourceNotFound) answers the AWS SDK v3 client speaking rpcv2Cbor, the same client
 * speaking awsJson 1.0 (its default in this version), raw signed awsJson 1.0 and rpcv2Cbor
 * requests, botocore made to speak rpcv2Cbor (a second implementation), and the AWS CLI v2
 * speaking awsQuery.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import {
  CloudWatchClient,
  GetMetricDataCommand,
  GetMetricWidgetImageCommand,
  ListMetricsCommand,
  PutMetricDataCommand,
  ResourceNotFound,
  SetAlarmStateCommand,
  type CloudWatchClientConfig,
} from '@aws-sdk/client-cloudwatch';
// The SDK's own rpcv2Cbor protocol (a dependency of the client), to make the client speak CBOR.
import { AwsSmithyRpcV2CborProtocol } from '@aws-sdk/core/protocols';
import { cbor, tag } from '@smithy/core/cbor';
import { ServiceError } from '../errors/index.js';
import { loadServiceModel } from '../model/index.js';
import { AWS_CLI_V2, TEST_CREDENTIALS, cliEnvironment } from '../../test/fixtures/berth.js';
import { send, signRequest, type RawRequest, type RawResponse } from '../../test/fixtures/sign.js';
import { serveForTest, type TestApiServer } from './test-support.js';
import type { ServiceDefinition } from './service.js';

const run = promisify(execFile);
const REGION = 'us-east-1';
const SERVICE = 'GraniteServiceVersion20100801';

interface Recorded {
  Namespace: string;
  MetricData: { MetricName: string; Dimensions?: { Name: string; Value: string }[]; Timestamp?: Date; Value?: number; Values?: number[]; Counts?: number[]; Unit?: string; StorageResolution?: number }[];
}

/** A test double of CloudWatch (not CloudWatch): records PutMetricData and reads it back. */
function testCloudWatch(): ServiceDefinition & { seen: Recorded[] } {
  const seen: Recorded[] = [];
  const data = () => seen.flatMap((put) => put.MetricData.map((d) => ({ Namespace: put.Namespace, ...d })));
  return {
    model: loadServiceModel('cloudwatch'),
    validationError: (message) => new ServiceError('InvalidParameterValue', message),
    seen,
    operations: {
      PutMetricData(input: Recorded) {
        seen.push(input);
      },
      ListMetrics(input: { Namespace?: string }) {
        const metrics = data()
          .filter((d) => input.Namespace === undefined || d.Namespace === input.Namespace)
          .map((d) => ({ Namespace: d.Namespace, MetricName: d.MetricName, Dimensions: d.Dimensions ?? [] }));
        return { Metrics: metrics };
      },
      // Each query's recorded datapoints of its metric, Values then the value list, as sent.
      GetMetricData(input: { MetricDataQueries: { Id: string; MetricStat?: { Metric: { MetricName: string } } }[] }) {
        return {
          MetricDataResults: input.MetricDataQueries.map((q) => {
            const points = data().filter((d) => d.MetricName === q.MetricStat?.Metric.MetricName);
            return {
              Id: q.Id,
              Label: q.MetricStat?.Metric.MetricName,
              Timestamps: points.map((p) => p.Timestamp),
              Values: points.map((p) => p.Value ?? p.Values?.[0]),
              StatusCode: 'Complete',
            };
          }),
        };
      },
      GetMetricWidgetImage(input: { MetricWidget: string }) {
        return { MetricWidgetImage: Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]), Buffer.from(input.MetricWidget)]) };
      },
      SetAlarmState(input: { AlarmName: string }) {
        throw new ServiceError('ResourceNotFound', `Alarm ${input.AlarmName} does not exist.`);
      },
    },
  };
}

/** What the SDK put on the wire for its last call. */
interface Sent {
  path?: string;
  headers: Record<string, string>;
}

function sdkClient(endpoint: string, extra: Partial<CloudWatchClientConfig>, sent: Sent): CloudWatchClient {
  const client = new CloudWatchClient({ endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1, ...extra });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path: string; headers: Record<string, string> };
      sent.path = request.path;
      sent.headers = { ...request.headers };
      return next(args);
    },
    { step: 'finalizeRequest', name: 'recordWire' },
  );
  return client;
}

describe('CloudWatch over rpcv2Cbor, awsJson 1.0 and awsQuery through a real ApiServer', () => {
  let api: TestApiServer;
  let endpoint: string;
  const cloudwatch = testCloudWatch();
  const cborSent: Sent = { headers: {} };
  const jsonSent: Sent = { headers: {} };
  let cborClient: CloudWatchClient;
  let jsonClient: CloudWatchClient;

  before(async () => {
    api = await serveForTest([cloudwatch], TEST_CREDENTIALS);
    endpoint = api.endpoint;
    cborClient = sdkClient(endpoint, { protocol: AwsSmithyRpcV2CborProtocol as unknown as CloudWatchClientConfig['protocol'] }, cborSent);
    jsonClient = sdkClient(endpoint, {}, jsonSent);
  });

  after(async () => {
    cborClient.destroy();
    jsonClient.destroy();
    await api.close();
  });

  /** Signs and sends a raw call to CloudWatch (signing name `monitoring`). */
  async function raw(path: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
    const url = new URL(endpoint);
    const req: RawRequest = { method: 'POST', host: url.host, path, query: {}, headers: { host: url.host, ...headers }, body };
    return send(endpoint, await signRequest(req, { service: 'monitoring' }));
  }
  const rawCbor = (operation: string, body: unknown, headers: Record<string, string> = {}) =>
    raw(`/service/${SERVICE}/operation/${operation}`, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', ...headers }, Buffer.from(cbor.serialize(body)));
  const rawJson = (operation: string, body: object) =>
    raw('/', { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `${SERVICE}.${operation}` }, Buffer.from(JSON.stringify(body)));

  it('SDK over rpcv2Cbor: PutMetricData sends dimensions, a timestamp and NaN/Infinity values; ListMetrics and GetMetricData read them back', async () => {
    const at = new Date('2024-05-01T12:00:00.250Z');
    await cborClient.send(
      new PutMetricDataCommand({
        Namespace: 'Berth/Cbor',
        MetricData: [
          { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'web' }], Timestamp: at, Value: 12.5, Unit: 'Milliseconds', StorageResolution: 1 },
          { MetricName: 'Odd', Timestamp: at, Values: [Number.NaN, Infinity, -Infinity], Counts: [1, 2, 3] },
        ],
      }),
    );
    assert.equal(cborSent.path, `/service/${SERVICE}/operation/PutMetricData`);
    assert.equal(cborSent.headers['smithy-protocol'], 'rpc-v2-cbor');
    assert.equal(cborSent.headers['content-type'], 'application/cbor');
    const put = cloudwatch.seen.at(-1)!;
    assert.deepEqual(put.MetricData[0], { MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'web' }], Timestamp: at, Value: 12.5, Unit: 'Milliseconds', StorageResolution: 1 });
    assert.ok(Number.isNaN(put.MetricData[1].Values![0]));
    assert.deepEqual(put.MetricData[1].Values!.slice(1), [Infinity, -Infinity]);
    assert.deepEqual(put.MetricData[1].Counts, [1, 2, 3]);

    const list = await cborClient.send(new ListMetricsCommand({ Namespace: 'Berth/Cbor' }));
    assert.deepEqual(list.Metrics, [
      { Namespace: 'Berth/Cbor', MetricName: 'Latency', Dimensions: [{ Name: 'Service', Value: 'web' }] },
      { Namespace: 'Berth/Cbor', MetricName: 'Odd', Dimensions: [] },
    ]);

    const got = await cborClient.send(
      new GetMetricDataCommand({
        StartTime: new Date('2024-05-01T00:00:00Z'),
        EndTime: new Date('2024-05-02T00:00:00Z'),
        MetricDataQueries: [
          { Id: 'lat', MetricStat: { Metric: { Namespace: 'Berth/Cbor', MetricName: 'Latency' }, Period: 60, Stat: 'p99' } },
          { Id: 'odd', MetricStat: { Metric: { Namespace: 'Berth/Cbor', MetricName: 'Odd' }, Period: 60, Stat: 'Average' } },
        ],
      }),
    );
    const [lat, odd] = got.MetricDataResults!;
    assert.deepEqual(lat, { Id: 'lat', Label: 'Latency', Timestamps: [at], Values: [12.5], StatusCode: 'Complete' });
    assert.equal(odd.Id, 'odd');
    assert.ok(Number.isNaN(odd.Values![0]), `NaN comes back as NaN, got ${odd.Values![0]}`);
  });

  it('SDK over rpcv2Cbor: a blob output arrives as bytes', async () => {
    const out = await cborClient.send(new GetMetricWidgetImageCommand({ MetricWidget: '{"metrics":[]}' }));
    assert.deepEqual(Buffer.from(out.MetricWidgetImage!), Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]), Buffer.from('{"metrics":[]}')]));
  });

  it('SDK over rpcv2Cbor: a modelled error thrown by its query code reaches the caller as ResourceNotFound (404, x-amzn-query-error)', async () => {
    await assert.rejects(cborClient.send(new SetAlarmStateCommand({ AlarmName: 'ghost', StateValue: 'ALARM', StateReason: 'test' })), (err: any) => {
      assert.ok(err instanceof ResourceNotFound, `${err.name}: ${err.message}`);
      assert.equal(err.message, 'Alarm ghost does not exist.');
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal((err as { Code?: string }).Code, 'ResourceNotFound');
      assert.equal((err as { Type?: string }).Type, 'Sender');
      return true;
    });
  });

  it('SDK over rpcv2Cbor: input that breaks the model gets the same validation error as over awsJson', async () => {
    const bad = { Namespace: 'Berth/Cbor', MetricData: [{ MetricName: 'x', Unit: 'Furlongs' as never, StorageResolution: 0 }] };
    const viaCbor = await cborClient.send(new PutMetricDataCommand(bad)).catch((e) => e);
    const viaJson = await jsonClient.send(new PutMetricDataCommand(bad)).catch((e) => e);
    for (const err of [viaCbor, viaJson]) {
      assert.equal(err.name, 'InvalidParameterValueException', `${err.name}: ${err.message}`);
      assert.equal(err.Code, 'InvalidParameterValue');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.match(err.message, /^2 validation errors detected: /);
      assert.match(err.message, /Value 'Furlongs' at 'MetricData\.1\.member\.Unit' failed to satisfy constraint: Member must satisfy enum value set/);
      assert.match(err.message, /Value '0' at 'MetricData\.1\.member\.StorageResolution' failed to satisfy constraint: Member must have value greater than or equal to 1/);
    }
    assert.equal(viaCbor.message, viaJson.message);
  });

  it('SDK over awsJson 1.0 (its default here): the same handlers answer, with the query-compatible error', async () => {
    await jsonClient.send(new PutMetricDataCommand({ Namespace: 'Berth/Json', MetricData: [{ MetricName: 'Hits', Value: 3, Timestamp: new Date('2024-05-01T12:00:01Z') }] }));
    assert.equal(jsonSent.headers['x-amz-target'], `${SERVICE}.PutMetricData`);
    assert.equal(jsonSent.headers['content-type'], 'application/x-amz-json-1.0');
    assert.deepEqual(cloudwatch.seen.at(-1), { Namespace: 'Berth/Json', MetricData: [{ MetricName: 'Hits', Value: 3, Timestamp: new Date('2024-05-01T12:00:01Z') }] });
    const list = await jsonClient.send(new ListMetricsCommand({ Namespace: 'Berth/Json' }));
    assert.deepEqual(list.Metrics, [{ Namespace: 'Berth/Json', MetricName: 'Hits', Dimensions: [] }]);
    // NaN and the infinities travel as awsJson's strings, both ways.
    const at = new Date('2024-05-01T12:00:02Z');
    await jsonClient.send(new PutMetricDataCommand({ Namespace: 'Berth/JsonOdd', MetricData: [{ MetricName: 'JsonOdd', Timestamp: at, Values: [Number.NaN, -Infinity] }] }));
    assert.equal(jsonSent.headers['x-amz-target'], `${SERVICE}.PutMetricData`);
    assert.ok(Number.isNaN(cloudwatch.seen.at(-1)!.MetricData[0].Values![0]));
    assert.equal(cloudwatch.seen.at(-1)!.MetricData[0].Values![1], -Infinity);
    const got = await jsonClient.send(
      new GetMetricDataCommand({
        StartTime: new Date(0),
        EndTime: new Date('2030-01-01T00:00:00Z'),
        MetricDataQueries: [{ Id: 'odd', MetricStat: { Metric: { MetricName: 'JsonOdd' }, Period: 60, Stat: 'Sum' } }],
      }),
    );
    assert.deepEqual(got.MetricDataResults![0].Timestamps, [at]);
    assert.ok(Number.isNaN(got.MetricDataResults![0].Values![0]), `NaN comes back as NaN over awsJson, got ${got.MetricDataResults![0].Values![0]}`);
    await assert.rejects(jsonClient.send(new SetAlarmStateCommand({ AlarmName: 'ghost', StateValue: 'OK', StateReason: 'test' })), (err: any) => {
      assert.ok(err instanceof ResourceNotFound, `${err.name}: ${err.message}`);
      assert.equal(err.$metadata.httpStatusCode, 404);
      assert.equal((err as { Code?: string }).Code, 'ResourceNotFound');
      return true;
    });
  });

  it('raw awsJson 1.0: ListMetrics answers JSON; a modelled error carries x-amzn-query-error', async () => {
    const list = await rawJson('ListMetrics', { Namespace: 'Berth/Json' });
    assert.equal(list.status, 200, list.body);
    assert.equal(list.headers['content-type'], 'application/x-amz-json-1.0');
    assert.deepEqual(list.json(), { Metrics: [{ Namespace: 'Berth/Json', MetricName: 'Hits', Dimensions: [] }] });
    const err = await rawJson('SetAlarmState', { AlarmName: 'ghost', StateValue: 'OK', StateReason: 'r' });
    assert.equal(err.status, 404, err.body);
    assert.equal(err.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
    assert.deepEqual(err.json(), { __type: 'ResourceNotFound', message: 'Alarm ghost does not exist.' });
    const unknown = await rawJson('LaunchRocket', {});
    assert.equal(unknown.status, 400, unknown.body);
    assert.equal(unknown.headers['x-amzn-query-error'], 'InvalidAction;Sender');
  });

  it('raw rpcv2Cbor: output is a CBOR map with tag-1 timestamps; an operation without output has no body', async () => {
    const put = await rawCbor('PutMetricData', { Namespace: 'Berth/Raw', MetricData: [{ MetricName: 'Raw', Timestamp: tag({ tag: 1, value: 1714564800.5 }), Value: 7 }] });
    assert.equal(put.status, 200, put.raw.toString('hex'));
    assert.equal(put.headers['smithy-protocol'], 'rpc-v2-cbor');
    assert.equal(put.headers['content-type'], undefined);
    assert.equal(put.raw.length, 0);
    assert.deepEqual(cloudwatch.seen.at(-1), { Namespace: 'Berth/Raw', MetricData: [{ MetricName: 'Raw', Timestamp: new Date(1714564800500), Value: 7 }] });

    const got = await rawCbor('GetMetricData', {
      StartTime: tag({ tag: 1, value: 0 }),
      EndTime: tag({ tag: 1, value: 1800000000 }),
      MetricDataQueries: [{ Id: 'r', MetricStat: { Metric: { MetricName: 'Raw' }, Period: 60, Stat: 'Sum' } }],
    });
    assert.equal(got.status, 200);
    assert.equal(got.headers['content-type'], 'application/cbor');
    const body = cbor.deserialize(got.raw);
    const ts = body.MetricDataResults[0].Timestamps[0];
    assert.equal(ts.tag, 1);
    assert.equal(ts.value, 1714564800.5);
    assert.deepEqual(body.MetricDataResults[0].Values, [7]);
  });

  it('raw rpcv2Cbor: a gzip-compressed body (as the SDK sends large PutMetricData) is read', async () => {
    const body = Buffer.from(cbor.serialize({ Namespace: 'Berth/Gzip', MetricData: [{ MetricName: 'Zipped', Value: 1 }] }));
    const r = await raw(`/service/${SERVICE}/operation/PutMetricData`, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', 'content-encoding': 'gzip' }, gzipSync(body));
    assert.equal(r.status, 200, r.raw.toString('hex'));
    assert.deepEqual(cloudwatch.seen.at(-1), { Namespace: 'Berth/Gzip', MetricData: [{ MetricName: 'Zipped', Value: 1 }] });
  });

  it('raw rpcv2Cbor: bad requests get clear CBOR errors, never a crash', async () => {
    const cases: [string, () => Promise<RawResponse>, number, string, RegExp][] = [
      ['unknown operation', () => rawCbor('LaunchRocket', {}), 404, 'UnknownOperationException', /Unknown operation 'LaunchRocket' for CloudWatch/],
      ['malformed CBOR', () => raw(`/service/${SERVICE}/operation/ListMetrics`, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' }, Buffer.from([0xbf, 0x61])), 400, 'SerializationException', /not valid CBOR/],
      ['a CBOR list for the input', () => rawCbor('ListMetrics', ['Namespace']), 400, 'SerializationException', /must be a CBOR map/],
      ['JSON content type', () => raw(`/service/${SERVICE}/operation/ListMetrics`, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/json' }, Buffer.from('{}')), 415, 'UnsupportedMediaTypeException', /'application\/json' is not supported/],
      ['no smithy-protocol header', () => raw(`/service/${SERVICE}/operation/ListMetrics`, { 'content-type': 'application/cbor' }, Buffer.from(cbor.serialize({}))), 400, 'SerializationException', /smithy-protocol: rpc-v2-cbor/],
      ['a string for a list', () => rawCbor('ListMetrics', { Dimensions: 'x' }), 400, 'SerializationException', /Expected a list for 'Dimensions'/],
      ['a text string for a timestamp', () => rawCbor('GetMetricData', { StartTime: '2024-01-01', EndTime: tag({ tag: 1, value: 0 }), MetricDataQueries: [] }), 400, 'SerializationException', /A text string can not be converted to a Timestamp at 'StartTime'/],
      ['bytes for a string', () => rawCbor('ListMetrics', { Namespace: new Uint8Array([1, 2]) }), 400, 'SerializationException', /A byte string can not be converted to a String at 'Namespace'/],
      ['a missing required member', () => rawCbor('PutMetricData', { MetricData: [] }), 400, 'InvalidParameterValueException', /Value null at 'Namespace' failed to satisfy constraint: Member must not be null/],
    ];
    for (const [label, call, status, type, message] of cases) {
      const r = await call();
      assert.equal(r.status, status, label);
      assert.equal(r.headers['smithy-protocol'], 'rpc-v2-cbor', label);
      assert.equal(r.headers['content-type'], 'application/cbor', label);
      const body = cbor.deserialize(r.raw);
      assert.equal(String(body.__type).split('#').at(-1), type, `${label}: ${JSON.stringify(body)}`);
      assert.match(body.message, message, label);
    }
    // The server is still serving.
    assert.equal((await rawCbor('ListMetrics', { Namespace: 'Berth/Raw' })).status, 200);
  });

  it('raw rpcv2Cbor: a modelled error has its shape id in __type, its status and x-amzn-query-error', async () => {
    const r = await rawCbor('SetAlarmState', { AlarmName: 'ghost', StateValue: 'ALARM', StateReason: 'r' });
    assert.equal(r.status, 404);
    assert.equal(r.headers['x-amzn-query-error'], 'ResourceNotFound;Sender');
    assert.deepEqual(cbor.deserialize(r.raw), { __type: 'com.amazonaws.cloudwatch#ResourceNotFound', message: 'Alarm ghost does not exist.' });
  });

  it('raw rpcv2Cbor: a request signed with the wrong secret is refused in CBOR', async () => {
    const url = new URL(endpoint);
    const req: RawRequest = {
      method: 'POST',
      host: url.host,
      path: `/service/${SERVICE}/operation/ListMetrics`,
      query: {},
      headers: { host: url.host, 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor' },
      body: Buffer.from(cbor.serialize({})),
    };
    const r = await send(endpoint, await signRequest(req, { service: 'monitoring', credentials: { ...TEST_CREDENTIALS, secretAccessKey: 'wrong' } }));
    assert.equal(r.status, 403);
    assert.equal(r.headers['x-amzn-query-error'], 'SignatureDoesNotMatch;Sender');
    assert.equal(cbor.deserialize(r.raw).__type, 'InvalidSignatureException');
  });

  // botocore, a second implementation of the protocol: made to prefer rpcv2Cbor, as newer releases do.
  const BOTOCORE_CBOR = `
import json, sys, datetime
import botocore.model, botocore.config, botocore.session
from botocore.exceptions import ClientError
order = botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS
if 'smithy-rpc-v2-cbor' not in order:
    print(json.dumps({'unsupported': 'botocore %s has no smithy-rpc-v2-cbor' % botocore.__version__})); sys.exit(0)
botocore.model.PRIORITY_ORDERED_SUPPORTED_PROTOCOLS = ('smithy-rpc-v2-cbor',) + tuple(p for p in order if p != 'smithy-rpc-v2-cbor')
c = botocore.session.get_session().create_client('cloudwatch', endpoint_url=sys.argv[1], region_name='us-east-1', config=botocore.config.Config(retries={'total_max_attempts': 1}))
wire = []
def text(v):
    return v.decode() if isinstance(v, bytes) else v
def record(request, **kw):
    wire.append({'url': request.url, 'protocol': text(request.headers.get('smithy-protocol')), 'type': text(request.headers.get('Content-Type'))})
c.meta.events.register('before-send', record)
at = datetime.datetime(2024, 5, 1, 12, 0, 1, tzinfo=datetime.timezone.utc)
c.put_metric_data(Namespace='Berth/Botocore', MetricData=[{'MetricName': 'Py', 'Timestamp': at, 'Value': 2.5, 'Dimensions': [{'Name': 'Lang', 'Value': 'python'}]}])
metrics = c.list_metrics(Namespace='Berth/Botocore')['Metrics']
got = c.get_metric_data(StartTime=datetime.datetime(2024, 1, 1), EndTime=datetime.datetime(2025, 1, 1), MetricDataQueries=[{'Id': 'py', 'MetricStat': {'Metric': {'MetricName': 'Py'}, 'Period': 60, 'Stat': 'Sum'}}])['MetricDataResults'][0]
img = c.get_metric_widget_image(MetricWidget='{}')['MetricWidgetImage']
try:
    c.set_alarm_state(AlarmName='ghost', StateValue='OK', StateReason='r')
    err = None
except ClientError as e:
    err = {'code': e.response['Error']['Code'], 'message': e.response['Error']['Message'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}
print(json.dumps({'wire': wire, 'metrics': metrics, 'timestamps': [t.isoformat() for t in got['Timestamps']], 'values': got['Values'], 'image': list(img), 'error': err}))
`;
  it('botocore over rpcv2Cbor: put, list, read back a timestamp, a blob, and the query-compatible error code', async (t) => {
    let r: { stdout: string };
    try {
      r = await run('python3', ['-c', BOTOCORE_CBOR, endpoint], { env: cliEnvironment(REGION), timeout: 120_000 });
    } catch (err: any) {
      if (/ModuleNotFoundError|No such file|ENOENT/.test(String(err.stderr ?? err.message))) return t.skip(`python3 with botocore is not available: ${String(err.stderr ?? err.message).trim().split('\n').at(-1)}`);
      throw err;
    }
    const out = JSON.parse(r.stdout);
    if (out.unsupported) return t.skip(out.unsupported);
    assert.equal(out.wire.length, 5);
    for (const sent of out.wire) {
      assert.match(sent.url, new RegExp(`/service/${SERVICE}/operation/\\w+$`));
      assert.equal(sent.protocol, 'rpc-v2-cbor');
    }
    assert.deepEqual(cloudwatch.seen.at(-1), { Namespace: 'Berth/Botocore', MetricData: [{ MetricName: 'Py', Timestamp: new Date('2024-05-01T12:00:01Z'), Value: 2.5, Dimensions: [{ Name: 'Lang', Value: 'python' }] }] });
    assert.deepEqual(out.metrics, [{ Namespace: 'Berth/Botocore', MetricName: 'Py', Dimensions: [{ Name: 'Lang', Value: 'python' }] }]);
    assert.deepEqual(out.timestamps, ['2024-05-01T12:00:01+00:00']);
    assert.deepEqual(out.values, [2.5]);
    assert.deepEqual(out.image, [0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, ...Buffer.from('{}')]);
    assert.deepEqual(out.error, { code: 'ResourceNotFound', message: 'Alarm ghost does not exist.', status: 404 });
  });

  async function cli(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await run(bin, [...args, '--endpoint-url', endpoint, '--output', 'json'], { env: cliEnvironment(REGION), timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err: any) {
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
    }
  }

  // Debian's AWS CLI v2 (2.9) speaks awsQuery to CloudWatch.
  const v2Skip = existsSync(AWS_CLI_V2) ? false : `the AWS CLI v2 is not installed at ${AWS_CLI_V2}`;
  it('AWS CLI v2 over awsQuery: the same handlers read what the SDK sent over CBOR, and SetAlarmState fails with ResourceNotFound', { skip: v2Skip }, async () => {
    await cborClient.send(new PutMetricDataCommand({ Namespace: 'Berth/Shared', MetricData: [{ MetricName: 'Seen', Value: 1, Dimensions: [{ Name: 'By', Value: 'sdk' }] }] }));
    const list = await cli(AWS_CLI_V2, ['cloudwatch', 'list-metrics', '--namespace', 'Berth/Shared']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).Metrics, [{ Namespace: 'Berth/Shared', MetricName: 'Seen', Dimensions: [{ Name: 'By', Value: 'sdk' }] }]);
    const put = await cli(AWS_CLI_V2, ['cloudwatch', 'put-metric-data', '--namespace', 'Berth/Shared', '--metric-name', 'FromCli', '--value', '4', '--unit', 'Count']);
    assert.equal(put.code, 0, put.stderr);
    const viaSdk = await cborClient.send(new ListMetricsCommand({ Namespace: 'Berth/Shared' }));
    assert.deepEqual(viaSdk.Metrics?.map((m) => m.MetricName), ['Seen', 'FromCli']);
    const alarm = await cli(AWS_CLI_V2, ['cloudwatch', 'set-alarm-state', '--alarm-name', 'ghost', '--state-value', 'OK', '--state-reason', 'r']);
    assert.notEqual(alarm.code, 0);
    assert.match(alarm.stderr, /\(ResourceNotFound\) when calling the SetAlarmState operation(?: \(reached max retries: \d+\))?: Alarm ghost does not exist\./);
  });
});
