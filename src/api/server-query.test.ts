/**
 * The awsQuery protocol end to end through a real ApiServer on an ephemeral port: a small
 * ELBv2-shaped service (real handlers that store and echo their input, over the real ELBv2 model)
 * driven by the AWS SDK v3 client, the AWS CLI v1 and (when installed) v2, plus raw signed
 * CloudWatch query requests.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import {
  AddTagsCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  LoadBalancerNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ServiceError } from '../errors/index.js';
import { loadServiceModel } from '../model/index.js';
import type { Store } from '../state/index.js';
import { AWS_CLI_V2, TEST_CREDENTIALS, cliEnvironment } from '../../test/fixtures/berth.js';
import { presignRequest, send, signRequest, type RawRequest } from '../../test/fixtures/sign.js';
import { serveForTest, type TestApiServer } from './test-support.js';
import type { CallContext, ServiceDefinition } from './service.js';

const run = promisify(execFile);
const REGION = 'us-east-1';
const CREATED = new Date('2024-05-01T12:34:56.789Z');

/** A test-only ELBv2: keeps load balancers and tags in memory, echoes rules and target groups. */
function testElbv2(): ServiceDefinition & { seen: Record<string, unknown> } {
  const loadBalancers = new Map<string, Record<string, unknown>>();
  const tags = new Map<string, { Key: string; Value?: string }[]>();
  const seen: Record<string, unknown> = {};
  const arn = (ctx: CallContext, kind: string, name: string) => `arn:aws:elasticloadbalancing:${ctx.region}:${ctx.accountId}:${kind}/${name}/50dc6c495c0c9188`;
  return {
    model: loadServiceModel('elbv2'),
    validationError: (message) => new ServiceError('ValidationError', message),
    isReadOnly: (op) => op.startsWith('Describe'),
    seen,
    operations: {
      CreateLoadBalancer(input, ctx) {
        const lb = {
          LoadBalancerArn: arn(ctx, 'loadbalancer/app', input.Name),
          LoadBalancerName: input.Name,
          DNSName: `${input.Name}.elb.berth.internal`,
          CreatedTime: CREATED,
          Scheme: input.Scheme ?? 'internet-facing',
          State: { Code: 'active' },
          Type: 'application',
          AvailabilityZones: (input.Subnets ?? []).map((s: string, i: number) => ({
            ZoneName: `${ctx.region}${'abc'[i]}`,
            SubnetId: s,
            LoadBalancerAddresses: [{ IpAddress: `127.0.0.${i + 2}` }],
          })),
          SecurityGroups: input.SecurityGroups ?? [],
          IpAddressType: 'ipv4',
          // Not in the model: must never reach the client.
          internalSecret: 'do-not-leak',
        };
        loadBalancers.set(input.Name, lb);
        return { LoadBalancers: [lb] };
      },
      DescribeLoadBalancers(input) {
        const names: string[] = input.Names ?? [...loadBalancers.keys()];
        const missing = names.filter((n) => !loadBalancers.has(n));
        if (missing.length) throw new ServiceError('LoadBalancerNotFoundException', `Load balancers '[${missing.join(', ')}]' not found`);
        return { LoadBalancers: names.map((n) => loadBalancers.get(n)) };
      },
      CreateRule(input, ctx) {
        seen.CreateRule = input;
        return { Rules: [{ RuleArn: arn(ctx, 'listener-rule/app', 'web'), Priority: String(input.Priority), Conditions: input.Conditions, Actions: input.Actions, IsDefault: false }] };
      },
      CreateTargetGroup(input, ctx) {
        seen.CreateTargetGroup = input;
        return { TargetGroups: [{ TargetGroupArn: arn(ctx, 'targetgroup', input.Name), TargetGroupName: input.Name, Port: input.Port, HealthCheckEnabled: input.HealthCheckEnabled, Matcher: input.Matcher, LoadBalancerArns: [] }] };
      },
      DescribeTargetGroups(input) {
        seen.DescribeTargetGroups = input;
        return { TargetGroups: [] };
      },
      AddTags(input) {
        for (const r of input.ResourceArns) tags.set(r, [...(tags.get(r) ?? []), ...input.Tags]);
        return {};
      },
      DescribeTags(input) {
        return { TagDescriptions: input.ResourceArns.map((r: string) => ({ ResourceArn: r, Tags: tags.get(r) ?? [] })) };
      },
    },
  };
}

/** A test-only CloudWatch that keeps what PutMetricData sends and lists it back. */
function testCloudWatch(): ServiceDefinition & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    model: loadServiceModel('cloudwatch'),
    validationError: (message) => new ServiceError('InvalidParameterValue', message),
    seen,
    operations: {
      PutMetricData(input) {
        seen.push(input);
      },
      ListMetrics() {
        return { Metrics: seen.flatMap((i: any) => i.MetricData.map((d: any) => ({ Namespace: i.Namespace, MetricName: d.MetricName, Dimensions: d.Dimensions }))) };
      },
    },
  };
}

describe('awsQuery through a real ApiServer', () => {
  let api: TestApiServer;
  let store: Store;
  let endpoint: string;
  let client: ElasticLoadBalancingV2Client;
  const elbv2 = testElbv2();
  const cloudwatch = testCloudWatch();

  before(async () => {
    api = await serveForTest([elbv2, cloudwatch], TEST_CREDENTIALS);
    ({ endpoint, store } = api);
    client = new ElasticLoadBalancingV2Client({ endpoint, region: REGION, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
  });

  after(async () => {
    client.destroy();
    await api.close();
  });

  it('SDK: CreateLoadBalancer and DescribeLoadBalancers round-trip lists, nested structures and a millisecond timestamp', async () => {
    const created = await client.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: ['subnet-a', 'subnet-b'], SecurityGroups: ['sg-1'], Scheme: 'internal' }));
    assert.equal(created.LoadBalancers?.[0].LoadBalancerName, 'web');
    const out = await client.send(new DescribeLoadBalancersCommand({ Names: ['web'] }));
    assert.equal(out.$metadata.httpStatusCode, 200);
    assert.equal(out.LoadBalancers?.length, 1);
    const lb = out.LoadBalancers![0];
    assert.equal(lb.LoadBalancerArn, 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/50dc6c495c0c9188');
    assert.equal(lb.Scheme, 'internal');
    assert.deepEqual(lb.State, { Code: 'active' });
    assert.deepEqual(lb.SecurityGroups, ['sg-1']);
    assert.deepEqual(lb.AvailabilityZones, [
      { ZoneName: 'us-east-1a', SubnetId: 'subnet-a', LoadBalancerAddresses: [{ IpAddress: '127.0.0.2' }] },
      { ZoneName: 'us-east-1b', SubnetId: 'subnet-b', LoadBalancerAddresses: [{ IpAddress: '127.0.0.3' }] },
    ]);
    assert.equal(lb.CreatedTime?.toISOString(), CREATED.toISOString());
    assert.ok(!('internalSecret' in lb), 'unmodelled members never leave Berth');
  });

  it('SDK: a modelled error arrives as its exception class, with its awsQuery code and HTTP status', async () => {
    await assert.rejects(client.send(new DescribeLoadBalancersCommand({ Names: ['web', 'nope'] })), (err: any) => {
      // The SDK maps the wire code LoadBalancerNotFound back to the modelled exception's class.
      assert.equal(err.name, 'LoadBalancerNotFoundException');
      assert.ok(err instanceof LoadBalancerNotFoundException);
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.equal(err.$fault, 'client');
      assert.match(err.message, /Load balancers '\[nope\]' not found/);
      return true;
    });
  });

  it("SDK: a constraint violation is the service's ValidationError, with AWS's message", async () => {
    await assert.rejects(client.send(new DescribeLoadBalancersCommand({ PageSize: 0 })), (err: any) => {
      assert.equal(err.name, 'ValidationError');
      assert.equal(err.$metadata.httpStatusCode, 400);
      assert.match(err.message, /^1 validation error detected: Value '0' at 'pageSize' failed to satisfy constraint: Member must have value greater than or equal to 1/);
      return true;
    });
  });

  it('SDK: validation messages name nested members as AWS does (lower camel case, .N.member)', async () => {
    await assert.rejects(client.send(new CreateRuleCommand({ ListenerArn: 'arn:listener/web', Priority: 0, Conditions: [{ Field: 'path-pattern' }], Actions: [{ Order: 1 } as any] })), (err: any) => {
      assert.equal(err.name, 'ValidationError');
      assert.equal(
        err.message,
        "2 validation errors detected: Value '0' at 'priority' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
          "Value null at 'actions.1.member.type' failed to satisfy constraint: Member must not be null",
      );
      return true;
    });
  });

  it('SDK: CreateRule with nested conditions, weighted forward config, a boolean and an extra-params map arrives intact and echoes back', async () => {
    const Conditions = [
      { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*', '/v2/*'] } },
      { Field: 'http-header', HttpHeaderConfig: { HttpHeaderName: 'X-Env', Values: ['blue & green <canary>', "it's \"two\"\r\nlines\n"] } },
      { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'v', Value: '1' }, { Value: 'flag' }] } },
    ];
    const Actions = [
      {
        Type: 'authenticate-oidc' as const,
        Order: 1,
        AuthenticateOidcConfig: {
          Issuer: 'https://idp.example.com',
          AuthorizationEndpoint: 'https://idp.example.com/auth',
          TokenEndpoint: 'https://idp.example.com/token',
          UserInfoEndpoint: 'https://idp.example.com/user',
          ClientId: 'client',
          AuthenticationRequestExtraParams: { prompt: 'login', display: 'page' },
        },
      },
      {
        Type: 'forward' as const,
        Order: 2,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: 'arn:tg/blue', Weight: 90 },
            { TargetGroupArn: 'arn:tg/green', Weight: 10 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
        },
      },
    ];
    const out = await client.send(new CreateRuleCommand({ ListenerArn: 'arn:listener/web', Priority: 7, Conditions, Actions, Tags: [{ Key: 'team', Value: 'web' }] }));
    assert.deepEqual(elbv2.seen.CreateRule, { ListenerArn: 'arn:listener/web', Priority: 7, Conditions, Actions, Tags: [{ Key: 'team', Value: 'web' }] });
    const rule = out.Rules![0];
    assert.equal(rule.Priority, '7');
    assert.equal(rule.IsDefault, false);
    assert.deepEqual(rule.Conditions, Conditions);
    assert.deepEqual(rule.Actions, Actions);
  });

  it('SDK: booleans, integers and an empty list in input', async () => {
    await client.send(new CreateTargetGroupCommand({ Name: 'blue', Port: 8080, HealthCheckEnabled: false, Matcher: { HttpCode: '200-299' } }));
    assert.deepEqual(elbv2.seen.CreateTargetGroup, { Name: 'blue', Port: 8080, HealthCheckEnabled: false, Matcher: { HttpCode: '200-299' } });
    // The SDK sends an empty list as `Names=`; the service sees an empty list, not an absent one.
    await client.send(new DescribeTargetGroupsCommand({ Names: [] }));
    assert.deepEqual(elbv2.seen.DescribeTargetGroups, { Names: [] });
  });

  it('SDK: AddTags then DescribeTags', async () => {
    await client.send(new AddTagsCommand({ ResourceArns: ['arn:lb/web'], Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'empty', Value: '' }] }));
    const out = await client.send(new DescribeTagsCommand({ ResourceArns: ['arn:lb/web', 'arn:lb/other'] }));
    assert.deepEqual(out.TagDescriptions, [
      { ResourceArn: 'arn:lb/web', Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'empty', Value: '' }] },
      { ResourceArn: 'arn:lb/other', Tags: [] },
    ]);
  });

  /** Signs and sends a form-encoded query request, as the SDKs build them. */
  async function query(service: string, params: Record<string, string>, opts: { method?: string; secret?: string } = {}) {
    const url = new URL(endpoint);
    const body = new URLSearchParams(params).toString().replace(/\+/g, '%20');
    const get = opts.method === 'GET';
    const req: RawRequest = {
      method: opts.method ?? 'POST',
      host: url.host,
      path: '/',
      query: get ? params : {},
      headers: get ? { host: url.host } : { host: url.host, 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: Buffer.from(get ? '' : body),
    };
    const credentials = { ...TEST_CREDENTIALS, secretAccessKey: opts.secret ?? TEST_CREDENTIALS.secretAccessKey };
    return send(endpoint, await signRequest(req, { service, credentials }));
  }

  it('raw: CloudWatch PutMetricData with Dimensions and a timestamp parses, and ListMetrics answers in XML', async () => {
    const put = await query('monitoring', {
      Action: 'PutMetricData',
      Version: '2010-08-01',
      Namespace: 'AWS/ApplicationELB',
      'MetricData.member.1.MetricName': 'RequestCount',
      'MetricData.member.1.Dimensions.member.1.Name': 'LoadBalancer',
      'MetricData.member.1.Dimensions.member.1.Value': 'app/web/50dc6c495c0c9188',
      'MetricData.member.1.Timestamp': '2024-05-01T12:00:00Z',
      'MetricData.member.1.Value': '3',
      'MetricData.member.1.Unit': 'Count',
    });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.headers['content-type'], 'text/xml');
    assert.match(put.body, /^<PutMetricDataResponse xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/"><ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/PutMetricDataResponse>$/);
    assert.deepEqual(cloudwatch.seen.at(-1), {
      Namespace: 'AWS/ApplicationELB',
      MetricData: [{ MetricName: 'RequestCount', Dimensions: [{ Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' }], Timestamp: new Date('2024-05-01T12:00:00Z'), Value: 3, Unit: 'Count' }],
    });
    const list = await query('monitoring', { Action: 'ListMetrics', Version: '2010-08-01' }, { method: 'GET' });
    assert.equal(list.status, 200, list.body);
    assert.match(
      list.body,
      /<ListMetricsResult><Metrics><member><Namespace>AWS\/ApplicationELB<\/Namespace><MetricName>RequestCount<\/MetricName><Dimensions><member><Name>LoadBalancer<\/Name><Value>app\/web\/50dc6c495c0c9188<\/Value><\/member><\/Dimensions><\/member><\/Metrics><\/ListMetricsResult>/,
    );
  });

  it('raw: missing Action, unknown Action, wrong Version and a bad value answer in the query error format', async () => {
    const cases: [Record<string, string>, number, string, RegExp][] = [
      [{ Version: '2015-12-01' }, 400, 'MissingAction', /No action was supplied/],
      [{ Action: 'LaunchRocket', Version: '2015-12-01' }, 400, 'InvalidAction', /Could not find operation LaunchRocket for version 2015-12-01/],
      [{ Action: 'DescribeLoadBalancers', Version: '2012-06-01' }, 400, 'InvalidAction', /Could not find operation DescribeLoadBalancers for version 2012-06-01/],
      [{ Action: 'DescribeLoadBalancers', Version: '2015-12-01', PageSize: 'ten' }, 400, 'InvalidParameterValue', /^Value 'ten' for parameter PageSize is invalid: expected an integer/],
      [{ Action: 'DescribeLoadBalancers', Version: '2015-12-01', 'Names.member.x': 'web' }, 400, 'InvalidQueryParameter', /Names\.member\.x is not valid/],
      [{ Action: 'DeleteLoadBalancer', Version: '2015-12-01', LoadBalancerArn: 'arn:lb/web' }, 400, 'UnsupportedOperation', /Berth does not support Elastic Load Balancing v2 DeleteLoadBalancer yet/],
    ];
    for (const [params, status, code, message] of cases) {
      const r = await query('elasticloadbalancing', params);
      assert.equal(r.status, status, r.body);
      assert.equal(r.headers['content-type'], 'text/xml');
      const m = /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>([^<]+)<\/Code><Message>([^<]*)<\/Message><\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/.exec(r.body);
      assert.ok(m, r.body);
      assert.equal(m[1], code);
      assert.match(m[2], message);
    }
  });

  it('raw: a presigned GET (signature in the query string) is served', async () => {
    const url = new URL(endpoint);
    const req: RawRequest = { method: 'GET', host: url.host, path: '/', query: { Action: 'DescribeLoadBalancers', Version: '2015-12-01', 'Names.member.1': 'web' }, headers: { host: url.host }, body: Buffer.alloc(0) };
    const r = await send(endpoint, await presignRequest(req, 300, { service: 'elasticloadbalancing', applyChecksum: false }));
    assert.equal(r.status, 200, r.body);
    assert.match(r.body, /^<DescribeLoadBalancersResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/web\/50dc6c495c0c9188<\/LoadBalancerArn>/);
    assert.match(r.body, /<CreatedTime>2024-05-01T12:34:56\.789Z<\/CreatedTime>/);
  });

  it('raw: a bad signature on a query service is answered in the query format with its query code', async () => {
    const r = await query('elasticloadbalancing', { Action: 'DescribeLoadBalancers', Version: '2015-12-01' }, { secret: 'wrong-secret' });
    assert.equal(r.status, 403);
    assert.match(r.body, /^<ErrorResponse xmlns="http:\/\/elasticloadbalancing\.amazonaws\.com\/doc\/2015-12-01\/"><Error><Type>Sender<\/Type><Code>SignatureDoesNotMatch<\/Code>/);
  });

  /** Runs a CLI (asynchronously: the server answering it runs in this process). */
  async function cli(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const r = await run(bin, [...args, '--endpoint-url', endpoint, '--output', 'json'], { env: cliEnvironment(REGION), timeout: 120_000 });
      return { code: 0, stdout: r.stdout, stderr: r.stderr };
    } catch (err: any) {
      return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? String(err) };
    }
  }

  // Debian's AWS CLI v2 (2.9) speaks awsQuery to CloudWatch; newer CLIs and botocore prefer rpcv2Cbor.
  const v2Skip = existsSync(AWS_CLI_V2) ? false : `the AWS CLI v2 is not installed at ${AWS_CLI_V2}`;
  it('AWS CLI v2: cloudwatch put-metric-data with dimensions and list-metrics speak awsQuery', { skip: v2Skip }, async () => {
    const put = await cli(AWS_CLI_V2, ['cloudwatch', 'put-metric-data', '--namespace', 'Berth/Test', '--metric-name', 'Hits', '--value', '2.5', '--unit', 'Count', '--timestamp', '2024-05-01T12:00:00Z', '--dimensions', 'Service=web,Cluster=c1']);
    assert.equal(put.code, 0, put.stderr);
    assert.deepEqual(cloudwatch.seen.at(-1), {
      Namespace: 'Berth/Test',
      MetricData: [{ MetricName: 'Hits', Value: 2.5, Unit: 'Count', Timestamp: new Date('2024-05-01T12:00:00Z'), Dimensions: [{ Name: 'Service', Value: 'web' }, { Name: 'Cluster', Value: 'c1' }] }],
    });
    const list = await cli(AWS_CLI_V2, ['cloudwatch', 'list-metrics']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).Metrics.at(-1), { Namespace: 'Berth/Test', MetricName: 'Hits', Dimensions: [{ Name: 'Service', Value: 'web' }, { Name: 'Cluster', Value: 'c1' }] });
  });

  const clis: [string, string, string | false][] = [
    ['v1', 'aws', false],
    ['v2', AWS_CLI_V2, v2Skip],
  ];
  for (const [label, bin, skip] of clis) {
    it(`AWS CLI ${label}: describe-load-balancers, create-rule with nested input, and an error`, { skip }, async () => {
      const described = await cli(bin, ['elbv2', 'describe-load-balancers', '--names', 'web']);
      assert.equal(described.code, 0, described.stderr);
      const lb = JSON.parse(described.stdout).LoadBalancers[0];
      assert.equal(lb.LoadBalancerName, 'web');
      assert.deepEqual(lb.State, { Code: 'active' });
      assert.equal(lb.AvailabilityZones[1].LoadBalancerAddresses[0].IpAddress, '127.0.0.3');
      assert.equal(new Date(lb.CreatedTime).toISOString(), CREATED.toISOString());

      const conditions = JSON.stringify([{ Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com', '*.example.org'] } }]);
      const actions = JSON.stringify([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'arn:tg/blue', Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } }]);
      const rule = await cli(bin, ['elbv2', 'create-rule', '--listener-arn', 'arn:listener/web', '--priority', '12', '--conditions', conditions, '--actions', actions]);
      assert.equal(rule.code, 0, rule.stderr);
      assert.deepEqual(elbv2.seen.CreateRule, { ListenerArn: 'arn:listener/web', Priority: 12, Conditions: JSON.parse(conditions), Actions: JSON.parse(actions) });
      assert.deepEqual(JSON.parse(rule.stdout).Rules[0].Conditions, JSON.parse(conditions));

      const missing = await cli(bin, ['elbv2', 'describe-load-balancers', '--names', 'ghost']);
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /\(LoadBalancerNotFound\).*Load balancers '\[ghost\]' not found/);
    });
  }
});
