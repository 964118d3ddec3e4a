import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { InvalidParameterValueError, InvalidQueryParameterError, MissingActionError, ServiceError, UnknownOperationError, UnrecognizedClientError } from '../../errors/index.js';
import { checkInput, loadServiceModel, shapeOutput, type ServiceModel } from '../../model/index.js';
import type { ServiceDefinition } from '../service.js';
import type { IncomingCall } from './protocol.js';
import { createQueryProtocol } from './query.js';
import { readQueryInput } from './query-input.js';
import { queryResponseXml } from './query-output.js';
import { escapeXml } from './xml.js';

const elbv2 = loadServiceModel('elbv2');
const cloudwatch = loadServiceModel('cloudwatch');

function definition(model: ServiceModel): ServiceDefinition {
  return { model, operations: {}, validationError: (m) => new ServiceError('ValidationError', m) };
}

/** A form-encoded query request as the SDK sends it, signed (claimed) for `service`. */
function formCall(body: string, service = 'elasticloadbalancing', extra: Partial<IncomingCall> = {}): IncomingCall {
  return {
    method: 'POST',
    path: '/',
    query: {},
    headers: {
      'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
      authorization: `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/${service}/aws4_request, SignedHeaders=host, Signature=00`,
    },
    body: Buffer.from(body),
    ...extra,
  };
}

function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

describe('awsQuery input (ELBv2 and CloudWatch models)', () => {
  it('reads CreateRule: nested lists of structures, Values.member.N, a map, integers and booleans', () => {
    const input = readQueryInput(elbv2, 'CreateRuleInput', Object.entries({
      ListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      Priority: '10',
      'Conditions.member.1.Field': 'path-pattern',
      'Conditions.member.1.Values.member.1': '/api/*',
      'Conditions.member.1.Values.member.2': '/v2/*',
      'Conditions.member.2.Field': 'query-string',
      'Conditions.member.2.QueryStringConfig.Values.member.1.Key': 'version',
      'Conditions.member.2.QueryStringConfig.Values.member.1.Value': 'v1',
      'Conditions.member.3.Field': 'host-header',
      'Conditions.member.3.HostHeaderConfig.Values.member.1': 'api.example.com',
      'Actions.member.1.Type': 'authenticate-oidc',
      'Actions.member.1.Order': '1',
      'Actions.member.1.AuthenticateOidcConfig.Issuer': 'https://idp.example.com',
      'Actions.member.1.AuthenticateOidcConfig.AuthorizationEndpoint': 'https://idp.example.com/auth',
      'Actions.member.1.AuthenticateOidcConfig.TokenEndpoint': 'https://idp.example.com/token',
      'Actions.member.1.AuthenticateOidcConfig.UserInfoEndpoint': 'https://idp.example.com/user',
      'Actions.member.1.AuthenticateOidcConfig.ClientId': 'client',
      'Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.key': 'prompt',
      'Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.value': 'login',
      'Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.2.key': 'display',
      'Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.2.value': 'page',
      'Actions.member.2.Type': 'forward',
      'Actions.member.2.Order': '2',
      'Actions.member.2.ForwardConfig.TargetGroups.member.1.TargetGroupArn': 'arn:tg/blue',
      'Actions.member.2.ForwardConfig.TargetGroups.member.1.Weight': '90',
      'Actions.member.2.ForwardConfig.TargetGroups.member.2.TargetGroupArn': 'arn:tg/green',
      'Actions.member.2.ForwardConfig.TargetGroups.member.2.Weight': '10',
      'Actions.member.2.ForwardConfig.TargetGroupStickinessConfig.Enabled': 'true',
      'Actions.member.2.ForwardConfig.TargetGroupStickinessConfig.DurationSeconds': '300',
      'Tags.member.1.Key': 'team',
      'Tags.member.1.Value': 'web',
      Unmodelled: 'dropped',
    }));
    assert.deepEqual(input, {
      ListenerArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2',
      Priority: 10,
      Conditions: [
        { Field: 'path-pattern', Values: ['/api/*', '/v2/*'] },
        { Field: 'query-string', QueryStringConfig: { Values: [{ Key: 'version', Value: 'v1' }] } },
        { Field: 'host-header', HostHeaderConfig: { Values: ['api.example.com'] } },
      ],
      Actions: [
        {
          Type: 'authenticate-oidc',
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
          Type: 'forward',
          Order: 2,
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: 'arn:tg/blue', Weight: 90 },
              { TargetGroupArn: 'arn:tg/green', Weight: 10 },
            ],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 300 },
          },
        },
      ],
      Tags: [{ Key: 'team', Value: 'web' }],
    });
    // What the parser produces passes the model's checks unchanged.
    const { problems } = checkInput(elbv2, 'CreateRuleInput', input);
    assert.deepEqual(problems, { typeErrors: [], constraintErrors: [] });
  });

  it('reads list items in index order, `Name=` as an empty list, and drops parameters the model does not name', () => {
    const input = readQueryInput(elbv2, 'DescribeLoadBalancersInput', [
      ['Names.member.2', 'second'],
      ['Names.member.10', 'tenth'],
      ['Names.member.1', 'first'],
      ['LoadBalancerArns', ''],
      ['X-Amz-Date', '20240501T000000Z'],
    ]);
    assert.deepEqual(input, { Names: ['first', 'second', 'tenth'], LoadBalancerArns: [] });
  });

  it('reads CloudWatch PutMetricData: Dimensions, timestamps, doubles, Values/Counts lists, StatisticValues, an entity map', () => {
    const input = readQueryInput(cloudwatch, 'PutMetricDataInput', Object.entries({
      Namespace: 'AWS/ApplicationELB',
      'MetricData.member.1.MetricName': 'RequestCount',
      'MetricData.member.1.Dimensions.member.1.Name': 'LoadBalancer',
      'MetricData.member.1.Dimensions.member.1.Value': 'app/web/50dc6c495c0c9188',
      'MetricData.member.1.Dimensions.member.2.Name': 'TargetGroup',
      'MetricData.member.1.Dimensions.member.2.Value': 'targetgroup/blue/73e2d6bc24d8a067',
      'MetricData.member.1.Timestamp': '2024-05-01T12:00:00.250Z',
      'MetricData.member.1.Value': '42.5',
      'MetricData.member.1.Unit': 'Count',
      'MetricData.member.1.StorageResolution': '1',
      'MetricData.member.2.MetricName': 'TargetResponseTime',
      'MetricData.member.2.Values.member.1': '0.1',
      'MetricData.member.2.Values.member.2': '1e-3',
      'MetricData.member.2.Counts.member.1': '3',
      'MetricData.member.2.Counts.member.2': '7',
      'MetricData.member.3.MetricName': 'Latency',
      'MetricData.member.3.StatisticValues.SampleCount': '4',
      'MetricData.member.3.StatisticValues.Sum': '10',
      'MetricData.member.3.StatisticValues.Minimum': '-1.5',
      'MetricData.member.3.StatisticValues.Maximum': '6',
      'EntityMetricData.member.1.Entity.KeyAttributes.entry.1.key': 'Type',
      'EntityMetricData.member.1.Entity.KeyAttributes.entry.1.value': 'Service',
      'EntityMetricData.member.1.Entity.KeyAttributes.entry.2.key': 'Name',
      'EntityMetricData.member.1.Entity.KeyAttributes.entry.2.value': 'web',
      'StrictEntityValidation': 'false',
    }));
    assert.deepEqual(input, {
      Namespace: 'AWS/ApplicationELB',
      MetricData: [
        {
          MetricName: 'RequestCount',
          Dimensions: [
            { Name: 'LoadBalancer', Value: 'app/web/50dc6c495c0c9188' },
            { Name: 'TargetGroup', Value: 'targetgroup/blue/73e2d6bc24d8a067' },
          ],
          Timestamp: new Date('2024-05-01T12:00:00.250Z'),
          Value: 42.5,
          Unit: 'Count',
          StorageResolution: 1,
        },
        { MetricName: 'TargetResponseTime', Values: [0.1, 0.001], Counts: [3, 7] },
        { MetricName: 'Latency', StatisticValues: { SampleCount: 4, Sum: 10, Minimum: -1.5, Maximum: 6 } },
      ],
      EntityMetricData: [{ Entity: { KeyAttributes: { Type: 'Service', Name: 'web' } } }],
      StrictEntityValidation: false,
    });
    assert.deepEqual(checkInput(cloudwatch, 'PutMetricDataInput', input).problems, { typeErrors: [], constraintErrors: [] });
  });

  const bad: [string, Record<string, string>, new (...a: any[]) => Error, RegExp][] = [
    ['a word for an integer', { ListenerArn: 'a', Priority: 'ten' }, InvalidParameterValueError, /^Value 'ten' for parameter Priority is invalid: expected an integer\.$/],
    ['an integer beyond 32 bits', { ListenerArn: 'a', Priority: '2147483648' }, InvalidParameterValueError, /Priority is invalid: expected an integer from -2147483648 to 2147483647/],
    ['a boolean that is not true/false', { 'Actions.member.1.Type': 'forward', 'Actions.member.1.ForwardConfig.TargetGroupStickinessConfig.Enabled': 'yes' }, InvalidParameterValueError, /'yes' for parameter Actions\.member\.1\.ForwardConfig\.TargetGroupStickinessConfig\.Enabled is invalid: expected true or false/],
    ['a list index that is not 1, 2, ...', { 'Conditions.member.0.Field': 'path-pattern' }, InvalidQueryParameterError, /Conditions\.member\.0 is not valid/],
    ['a list given as one value', { Conditions: 'path-pattern' }, InvalidQueryParameterError, /Conditions is a list: give its items as Conditions\.member\.1/],
    ['list items without .member', { 'Conditions.1.Field': 'path-pattern' }, InvalidQueryParameterError, /Conditions\.1 is not valid: the items of list Conditions are Conditions\.member\.1/],
    ['a scalar with members', { 'ListenerArn.Foo': 'x' }, InvalidQueryParameterError, /ListenerArn\.Foo is not valid: ListenerArn is a single string value/],
    ['a structure given a value', { 'Actions.member.1.ForwardConfig': 'x' }, InvalidQueryParameterError, /Actions\.member\.1\.ForwardConfig is a structure/],
    ['a map entry without a key', { 'Actions.member.1.AuthenticateOidcConfig.AuthenticationRequestExtraParams.entry.1.value': 'v' }, InvalidQueryParameterError, /entry\.1 has no .*entry\.1\.key/],
  ];
  for (const [what, params, cls, message] of bad) {
    it(`answers ${cls.name} for ${what}, naming the parameter`, () => {
      assert.throws(() => readQueryInput(elbv2, 'CreateRuleInput', Object.entries(params)), (err: Error) => {
        assert.ok(err instanceof cls, `${err.constructor.name}: ${err.message}`);
        assert.match(err.message, message);
        return true;
      });
    });
  }

  it('rejects a timestamp that is not ISO 8601 and a double that is not a number', () => {
    assert.throws(() => readQueryInput(cloudwatch, 'PutMetricDataInput', [['MetricData.member.1.Timestamp', 'yesterday']]), /'yesterday' for parameter MetricData\.member\.1\.Timestamp is invalid: expected an ISO 8601 timestamp/);
    assert.throws(() => readQueryInput(cloudwatch, 'PutMetricDataInput', [['MetricData.member.1.Value', '4x']]), /'4x' for parameter MetricData\.member\.1\.Value is invalid: expected a number/);
  });
});

/** A model with the XML traits ELBv2 and CloudWatch do not use: locationName, flattened lists and maps. */
const traits: ServiceModel = {
  metadata: { apiVersion: '2020-01-01', endpointPrefix: 'traits', protocol: 'query', serviceId: 'Traits', xmlNamespace: 'https://traits.example/doc/2020-01-01/' },
  operations: {
    Put: { name: 'Put', input: { shape: 'PutInput' }, output: { shape: 'PutOutput', resultWrapper: 'PutResult' } },
    Bare: { name: 'Bare', output: { shape: 'PutOutput' } },
  },
  shapes: {
    PutInput: {
      type: 'structure',
      members: {
        Renamed: { shape: 'String', locationName: 'OnWire' },
        Flat: { shape: 'FlatList' },
        Named: { shape: 'NamedList' },
        FlatMap: { shape: 'FlatMap' },
        Blob: { shape: 'Blob' },
        At: { shape: 'Time' },
        Tree: { shape: 'Node' },
      },
    },
    Node: { type: 'structure', members: { Name: { shape: 'String' }, Child: { shape: 'Node' } } },
    PutOutput: {
      type: 'structure',
      members: {
        Renamed: { shape: 'String', locationName: 'OnWire' },
        Flat: { shape: 'FlatList' },
        Named: { shape: 'NamedList' },
        FlatMap: { shape: 'FlatMap' },
        Map: { shape: 'Map' },
        Blob: { shape: 'Blob' },
        At: { shape: 'Time' },
        Epoch: { shape: 'Time', timestampFormat: 'unixTimestamp' },
        Ok: { shape: 'Bool' },
        Ratio: { shape: 'Double' },
      },
    },
    FlatList: { type: 'list', member: { shape: 'String' }, flattened: true },
    NamedList: { type: 'list', member: { shape: 'String', locationName: 'Item' } },
    FlatMap: { type: 'map', key: { shape: 'String', locationName: 'Name' }, value: { shape: 'String', locationName: 'Val' }, flattened: true },
    Map: { type: 'map', key: { shape: 'String' }, value: { shape: 'String' } },
    String: { type: 'string' },
    Blob: { type: 'blob' },
    Time: { type: 'timestamp' },
    Bool: { type: 'boolean' },
    Double: { type: 'double' },
  },
  paginators: {},
};

describe('awsQuery traits: locationName, flattened lists and maps, blobs', () => {
  it('reads them as botocore and the SDK write them', () => {
    const input = readQueryInput(traits, 'PutInput', Object.entries({
      OnWire: 'renamed',
      'Flat.1': 'a',
      'Flat.2': 'b',
      'Named.Item.1': 'x',
      'FlatMap.1.Name': 'k',
      'FlatMap.1.Val': 'v',
      Blob: Buffer.from('hello').toString('base64'),
      At: '1714564800',
    }));
    assert.deepEqual(input, { Renamed: 'renamed', Flat: ['a', 'b'], Named: ['x'], FlatMap: { k: 'v' }, Blob: 'aGVsbG8=', At: new Date('2024-05-01T12:00:00Z') });
    assert.equal(checkInput(traits, 'PutInput', input).value.Blob.toString(), 'hello');
    assert.throws(() => readQueryInput(traits, 'PutInput', [['Blob', 'not base64!']]), /Blob is invalid: expected base64-encoded data/);
  });

  it('writes them the same way, in the model order, inside the resultWrapper', () => {
    const shaped = shapeOutput(traits, 'PutOutput', {
      Ratio: NaN,
      Ok: false,
      Renamed: 'r<&>"\'\r\n',
      Flat: ['a', 'b'],
      Named: ['x'],
      FlatMap: { k: 'v' },
      Map: { m: 'n' },
      Blob: Buffer.from('hi'),
      At: new Date('2024-05-01T12:00:00Z'),
      Epoch: new Date('2024-05-01T12:00:00.5Z'),
      Internal: 'never leaves',
    }, (d) => d);
    assert.equal(
      queryResponseXml(traits, 'Put', shaped, 'req-1'),
      '<PutResponse xmlns="https://traits.example/doc/2020-01-01/"><PutResult>' +
        '<OnWire>r&lt;&amp;&gt;"\'&#xD;&#10;</OnWire><Flat>a</Flat><Flat>b</Flat><Named><Item>x</Item></Named>' +
        '<FlatMap><Name>k</Name><Val>v</Val></FlatMap><Map><entry><key>m</key><value>n</value></entry></Map>' +
        '<Blob>aGk=</Blob><At>2024-05-01T12:00:00.000Z</At><Epoch>1714564800.5</Epoch><Ok>false</Ok><Ratio>NaN</Ratio>' +
        '</PutResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></PutResponse>',
    );
    // Without a resultWrapper the members sit in the Response element itself.
    assert.equal(
      queryResponseXml(traits, 'Bare', { Ok: true }, 'req-2'),
      '<BareResponse xmlns="https://traits.example/doc/2020-01-01/"><Ok>true</Ok><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></BareResponse>',
    );
  });

  it('reads a recursive shape, and refuses names nested deeper than any real input', () => {
    assert.deepEqual(readQueryInput(traits, 'PutInput', [['Tree.Child.Child.Name', 'leaf']]), { Tree: { Child: { Child: { Name: 'leaf' } } } });
    const deep = `Tree${'.Child'.repeat(500)}.Name`;
    assert.throws(() => readQueryInput(traits, 'PutInput', [[deep, 'x']]), (err: Error) => err instanceof InvalidQueryParameterError && /nests deeper than 64 levels/.test(err.message));
  });

  it('never writes characters XML cannot carry', () => {
    assert.equal(escapeXml('a\u0000b\u001Fc\td'), 'a\uFFFDb\uFFFDc\td');
  });
});

describe('the awsQuery protocol', () => {
  const protocol = createQueryProtocol([definition(elbv2), definition(cloudwatch)]);
  const scope = { region: 'us-east-1', service: 'elasticloadbalancing' };

  it('matches form-encoded requests and GETs with Action, and leaves awsJson requests alone', () => {
    assert.ok(protocol.matches(formCall('Action=DescribeLoadBalancers')));
    assert.ok(protocol.matches({ ...formCall(''), method: 'GET', headers: { authorization: 'x' }, query: { Action: 'DescribeLoadBalancers' } }));
    assert.ok(!protocol.matches({ ...formCall('{}'), headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListClusters' } }));
  });

  it('resolves Action and Version to the service whose apiVersion matches, and parses the input', () => {
    const call = protocol.resolve(formCall(form({ Action: 'DescribeLoadBalancers', Version: '2015-12-01', 'Names.member.1': 'web', PageSize: '5' })), scope);
    assert.equal(call.service.model, elbv2);
    assert.equal(call.operation, 'DescribeLoadBalancers');
    assert.deepEqual(call.input, { Names: ['web'], PageSize: 5 });
  });

  it('reads GET query strings and gzip-compressed bodies', () => {
    const get = protocol.resolve({ ...formCall(''), method: 'GET', headers: {}, query: { Action: 'DescribeLoadBalancers', Version: '2015-12-01', 'Names.member.1': 'web' } }, scope);
    assert.deepEqual(get.input, { Names: ['web'] });
    const body = gzipSync(form({ Action: 'PutMetricData', Version: '2010-08-01', Namespace: 'App', 'MetricData.member.1.MetricName': 'Hits', 'MetricData.member.1.Value': '1' }));
    const gz = protocol.resolve(formCall('', 'monitoring', { body, headers: { ...formCall('').headers, 'content-encoding': 'gzip' } }), { region: 'us-east-1', service: 'monitoring' });
    assert.deepEqual(gz.input, { Namespace: 'App', MetricData: [{ MetricName: 'Hits', Value: 1 }] });
  });

  it('answers MissingAction without an Action, and InvalidAction for an unknown action or version', () => {
    assert.throws(() => protocol.resolve(formCall(form({ Version: '2015-12-01' })), scope), MissingActionError);
    assert.throws(() => protocol.resolve(formCall(form({ Action: 'LaunchRocket', Version: '2015-12-01' })), scope), (err: Error) => {
      assert.ok(err instanceof UnknownOperationError);
      assert.equal(err.codeFor('query'), 'InvalidAction');
      assert.equal(err.message, 'Could not find operation LaunchRocket for version 2015-12-01');
      return true;
    });
    assert.throws(() => protocol.resolve(formCall(form({ Action: 'DescribeLoadBalancers', Version: '2012-06-01' })), scope), /Could not find operation DescribeLoadBalancers for version 2012-06-01/);
    assert.throws(() => protocol.resolve(formCall(form({ Action: 'DescribeLoadBalancers' })), scope), /for version NO_VERSION_SPECIFIED/);
  });

  it("writes errors with the model's awsQuery code and status, in the service's namespace", () => {
    const elb = definition(elbv2);
    const p = createQueryProtocol([elb, definition(cloudwatch)]);
    const notFound = p.encodeError(new ServiceError('LoadBalancerNotFoundException', 'One or more load balancers not found'), 'req-9', elb);
    assert.equal(notFound.statusCode, 400);
    assert.equal(
      notFound.body,
      '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>LoadBalancerNotFound</Code>' +
        '<Message>One or more load balancers not found</Message></Error><RequestId>req-9</RequestId></ErrorResponse>',
    );
    const dashboard = p.encodeError(new ServiceError('DashboardNotFoundError', 'Dashboard x does not exist'), 'req-10', p.serviceOf!(formCall('Action=GetDashboard', 'monitoring')));
    assert.equal(dashboard.statusCode, 404);
    assert.match(String(dashboard.body), /xmlns="http:\/\/monitoring\.amazonaws\.com\/doc\/2010-08-01\/".*<Code>ResourceNotFound<\/Code>/);
    const auth = p.encodeError(new UnrecognizedClientError(), 'req-11', undefined);
    assert.equal(auth.statusCode, 403);
    assert.match(String(auth.body), /^<ErrorResponse><Error><Type>Sender<\/Type><Code>InvalidClientTokenId<\/Code>/);
  });
});
