/**
 * rpcv2Cbor unit tests over a small hand-written model with every shape type: request matching
 * and resolution, decoding each type (and refusing CBOR a member cannot take), the model's
 * validation giving the same answers as awsJson, output encoding (tag 1 timestamps, byte strings,
 * CBOR floats, no nulls) and error encoding (shape ids, statuses, x-amzn-query-error).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cbor, tag } from '@smithy/core/cbor';
import {
  SerializationError,
  ServiceError,
  SignatureDoesNotMatchError,
  UnknownOperationError,
  UnknownServiceError,
  type BerthError,
} from '../../errors/index.js';
import { checkInput, shapeOutput, type ServiceModel } from '../../model/index.js';
import type { ServiceDefinition } from '../service.js';
import { createJsonProtocol } from './json.js';
import type { IncomingCall } from './protocol.js';
import { createRpcV2CborProtocol, namespaceOf } from './rpcv2-cbor.js';

const model = {
  metadata: {
    apiVersion: '2024-01-01',
    endpointPrefix: 'berthtest',
    protocol: 'smithy-rpc-v2-cbor',
    protocols: ['smithy-rpc-v2-cbor', 'json'],
    jsonVersion: '1.0',
    targetPrefix: 'BerthTestService',
    serviceId: 'Berth Test',
    awsQueryCompatible: {},
  },
  operations: {
    Echo: { name: 'Echo', input: { shape: 'Everything' }, output: { shape: 'Everything' } },
    Ping: { name: 'Ping' },
  },
  shapes: {
    Everything: {
      type: 'structure',
      members: {
        Str: { shape: 'Str' },
        Bool: { shape: 'Bool' },
        Int: { shape: 'Int' },
        Long: { shape: 'Long' },
        Dbl: { shape: 'Dbl' },
        Flt: { shape: 'Flt' },
        When: { shape: 'When' },
        Data: { shape: 'Data' },
        Color: { shape: 'Color' },
        Tags: { shape: 'TagMap' },
        Items: { shape: 'ItemList' },
        Nested: { shape: 'Item' },
        Doubles: { shape: 'DoubleList' },
      },
    },
    Item: {
      type: 'structure',
      required: ['Name'],
      members: { Name: { shape: 'Name' }, Count: { shape: 'Count' }, Children: { shape: 'ItemList' } },
    },
    ItemList: { type: 'list', member: { shape: 'Item' }, max: 3 },
    DoubleList: { type: 'list', member: { shape: 'Dbl' } },
    TagMap: { type: 'map', key: { shape: 'Str' }, value: { shape: 'Str' } },
    Str: { type: 'string' },
    Name: { type: 'string', min: 1, max: 10 },
    Color: { type: 'string', enum: ['red', 'green'] },
    Bool: { type: 'boolean' },
    Int: { type: 'integer' },
    Count: { type: 'integer', min: 0, max: 5 },
    Long: { type: 'long' },
    Dbl: { type: 'double' },
    Flt: { type: 'float' },
    When: { type: 'timestamp' },
    Data: { type: 'blob' },
    NotFound: { type: 'structure', members: { message: { shape: 'Str' } }, error: { code: 'NotFoundCode', httpStatusCode: 404, senderFault: true }, exception: true },
    Busy: { type: 'structure', members: { Message: { shape: 'Str' }, RetryAfter: { shape: 'Int' } }, error: { httpStatusCode: 503 }, exception: true },
    Quiet: { type: 'structure', members: {}, exception: true },
  },
  paginators: {},
} as unknown as ServiceModel;

const service: ServiceDefinition = { model, operations: {}, validationError: (m) => new ServiceError('ValidationException', m) };
const protocol = createRpcV2CborProtocol([service], { maxInflatedBytes: 1024 * 1024 });
const json = createJsonProtocol([service]);
const SCOPE = { region: 'us-east-1', service: 'berthtest' };

function call(operation: string, body: Buffer | undefined, headers: Record<string, string | undefined> = {}, method = 'POST'): IncomingCall {
  return {
    method,
    path: `/service/BerthTestService/operation/${operation}`,
    query: {},
    headers: { 'smithy-protocol': 'rpc-v2-cbor', ...(body?.length ? { 'content-type': 'application/cbor' } : {}), ...headers },
    body: body ?? Buffer.alloc(0),
  };
}
const encode = (v: unknown) => Buffer.from(cbor.serialize(v));
/** The Echo input after rpcv2Cbor resolution and the model's check, as a handler gets it. */
function echoInput(body: Buffer) {
  const { input } = protocol.resolve(call('Echo', body), SCOPE);
  return checkInput(model, 'Everything', input);
}
function resolveError(c: IncomingCall): BerthError {
  try {
    protocol.resolve(c, SCOPE);
  } catch (err) {
    return err as BerthError;
  }
  assert.fail('resolve did not throw');
}

describe('rpcv2Cbor: matching and resolution', () => {
  it('matches /service/{name}/operation/{op} with the smithy-protocol header, or naming one of its services', () => {
    assert.equal(protocol.matches(call('Echo', undefined)), true);
    assert.equal(protocol.matches(call('Echo', undefined, { 'smithy-protocol': undefined })), true);
    assert.equal(protocol.matches({ ...call('Echo', undefined, { 'smithy-protocol': undefined }), path: '/service/Other/operation/Echo' }), false);
    assert.equal(protocol.matches({ ...call('Echo', undefined), path: '/service/Other/operation/Echo' }), true);
    assert.equal(protocol.matches({ ...call('Echo', undefined), path: '/' }), false);
    assert.equal(protocol.matches({ ...call('Echo', undefined), path: '/prefix/service/BerthTestService/operation/Echo' }), false);
    assert.equal(protocol.serviceOf!(call('Echo', undefined)), service);
  });

  it('an empty body (no Content-Type) is an empty input; so is an empty map', () => {
    assert.deepEqual(protocol.resolve(call('Ping', undefined), SCOPE), { service, operation: 'Ping', input: {} });
    assert.deepEqual(protocol.resolve(call('Echo', undefined), SCOPE).input, {});
    assert.deepEqual(protocol.resolve(call('Echo', Buffer.from([0xa0])), SCOPE).input, {});
  });

  it('refuses an unknown service or operation, another method, a missing or wrong smithy-protocol, a body that is not application/cbor', () => {
    const cases: [IncomingCall, string, number, RegExp][] = [
      [{ ...call('Echo', undefined), path: '/service/Nope/operation/Echo' }, 'UnknownServiceException', 404, /No service named 'Nope' speaks rpcv2Cbor/],
      [call('Launch', undefined), 'UnknownOperationException', 400, /Unknown operation 'Launch' for Berth Test/],
      [call('Echo', undefined, {}, 'GET'), 'SerializationException', 400, /must be called with POST, not GET/],
      [call('Echo', undefined, { 'smithy-protocol': undefined }), 'SerializationException', 400, /must carry the header 'smithy-protocol: rpc-v2-cbor'/],
      [call('Echo', undefined, { 'smithy-protocol': 'rpc-v2-json' }), 'SerializationException', 400, /smithy-protocol header is 'rpc-v2-json'/],
      [call('Echo', encode({}), { 'content-type': 'application/json' }), 'UnsupportedMediaTypeException', 415, /'application\/json' is not supported/],
      [call('Echo', encode({}), { 'content-type': undefined }), 'UnsupportedMediaTypeException', 415, /needs 'Content-Type: application\/cbor'/],
      [call('Echo', encode({}), { 'content-encoding': 'br' }), 'SerializationException', 400, /Content-Encoding 'br' is not supported/],
    ];
    for (const [c, code, status, message] of cases) {
      const err = resolveError(c);
      assert.equal(err.code, code, `${c.method} ${c.path} ${JSON.stringify(c.headers)}`);
      assert.equal(err.statusCode, status);
      assert.match(err.message, message);
    }
    // Parameters after the media type are allowed.
    assert.deepEqual(protocol.resolve(call('Echo', encode({ Str: 'x' }), { 'content-type': 'application/cbor; charset=binary' }), SCOPE).input, { Str: 'x' });
  });

  it('malformed CBOR is a SerializationException, never a crash: truncated, bad minor, absurd length, deep nesting, not a map', () => {
    const bodies: [string, Buffer, RegExp][] = [
      ['truncated map', Buffer.from([0xa1, 0x63, 0x53, 0x74]), /not valid CBOR/],
      ['indefinite map without break', Buffer.from([0xbf, 0x61, 0x61, 0x01]), /not valid CBOR/],
      ['reserved minor 28', Buffer.from([0x1c]), /not valid CBOR/],
      ['a list claiming 2^64 items', Buffer.from([0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), /not valid CBOR/],
      ['nested 200000 lists deep', Buffer.concat([Buffer.alloc(200_000, 0x81), Buffer.from([0x00])]), /not valid CBOR/],
      ['a list', encode([1, 2]), /must be a CBOR map/],
      ['a text string', encode('Echo'), /must be a CBOR map/],
      ['a byte string', encode(new Uint8Array([1])), /must be a CBOR map/],
      ['null', Buffer.from([0xf6]), /must be a CBOR map/],
    ];
    for (const [label, body, message] of bodies) {
      const err = resolveError(call('Echo', body));
      assert.ok(err instanceof SerializationError, `${label}: ${String(err)}`);
      assert.match(err.message, message, label);
    }
  });
});

describe('rpcv2Cbor: decoding each shape type', () => {
  it('reads structures, lists, maps, strings, booleans, numbers, enums, tag-1 timestamps and byte strings', () => {
    const { value, problems } = echoInput(
      encode({
        Str: 'héllo ✓',
        Bool: false,
        Int: -2147483648,
        Long: Number.MAX_SAFE_INTEGER,
        Dbl: 0.1,
        Flt: 1.5,
        When: tag({ tag: 1, value: 1714564800.25 }),
        Data: new Uint8Array([0, 1, 254, 255]),
        Color: 'green',
        Tags: { team: 'web', 'a.b': '' },
        Items: [{ Name: 'a', Count: 0, Children: [{ Name: 'b', Count: 5 }] }],
        Nested: { Name: 'n' },
        Unmodelled: { anything: [1, 2, 3] },
      }),
    );
    assert.deepEqual(problems, { typeErrors: [], constraintErrors: [] });
    assert.deepEqual(value, {
      Str: 'héllo ✓',
      Bool: false,
      Int: -2147483648,
      Long: Number.MAX_SAFE_INTEGER,
      Dbl: 0.1,
      Flt: 1.5,
      When: new Date('2024-05-01T12:00:00.250Z'),
      Data: Buffer.from([0, 1, 254, 255]),
      Color: 'green',
      Tags: { team: 'web', 'a.b': '' },
      Items: [{ Name: 'a', Count: 0, Children: [{ Name: 'b', Count: 5 }] }],
      Nested: { Name: 'n' },
    });
  });

  it('reads doubles sent as integers and as half, single and double precision floats, NaN and both infinities included', () => {
    // {"Doubles": [3, f16 NaN, f16 -Infinity, f32 1.5, f64 Infinity, f64 -0.25]}
    const body = Buffer.from([
      0xa1, 0x67, ...Buffer.from('Doubles'), 0x86,
      0x03,
      0xf9, 0x7e, 0x00,
      0xf9, 0xfc, 0x00,
      0xfa, 0x3f, 0xc0, 0x00, 0x00,
      0xfb, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0,
      0xfb, 0xbf, 0xd0, 0, 0, 0, 0, 0, 0,
    ]);
    const { value, problems } = echoInput(body);
    assert.deepEqual(problems.typeErrors, []);
    const [three, nan, negInf, oneHalf, inf, quarter] = value.Doubles;
    assert.equal(three, 3);
    assert.ok(Number.isNaN(nan));
    assert.equal(negInf, -Infinity);
    assert.equal(oneHalf, 1.5);
    assert.equal(inf, Infinity);
    assert.equal(quarter, -0.25);
  });

  it('reads indefinite-length maps, lists and strings, and an untagged or integer epoch for a timestamp', () => {
    // {_ "Str": (_ "ab" "c"), "Items": [_ {"Name": "x"}], "When": 1700000000 }
    const body = Buffer.from([
      0xbf,
      0x63, ...Buffer.from('Str'), 0x7f, 0x62, ...Buffer.from('ab'), 0x61, ...Buffer.from('c'), 0xff,
      0x65, ...Buffer.from('Items'), 0x9f, 0xa1, 0x64, ...Buffer.from('Name'), 0x61, ...Buffer.from('x'), 0xff,
      0x64, ...Buffer.from('When'), 0x1a, 0x65, 0x53, 0xf1, 0x00,
      0xff,
    ]);
    const { value, problems } = echoInput(body);
    assert.deepEqual(problems.typeErrors, []);
    assert.deepEqual(value, { Str: 'abc', Items: [{ Name: 'x' }], When: new Date(1700000000 * 1000) });
  });

  it('treats absent and null members alike (nulls are not sent, but are not an error)', () => {
    const { value, problems } = echoInput(encode({ Str: null, Nested: { Name: 'n', Count: null } }));
    assert.deepEqual(problems, { typeErrors: [], constraintErrors: [] });
    assert.deepEqual(value, { Nested: { Name: 'n' } });
  });

  it('refuses CBOR a member cannot take, naming the member', () => {
    const cases: [object, RegExp][] = [
      [{ Str: new Uint8Array([104, 105]) }, /^A byte string can not be converted to a String at 'Str'\.$/],
      [{ Data: 'aGk=' }, /^A text string can not be converted to a Blob at 'Data'\.$/],
      [{ When: '2024-05-01T00:00:00Z' }, /^A text string can not be converted to a Timestamp at 'When'\.$/],
      [{ When: tag({ tag: 0, value: '2024-05-01T00:00:00Z' }) }, /^A value with CBOR tag 0 can not be converted to a Timestamp at 'When'\.$/],
      [{ Int: tag({ tag: 1, value: 5 }) }, /^A value with CBOR tag 1 can not be converted to an Integer at 'Int'\.$/],
      [{ Long: 2n ** 64n - 1n }, /^Numeric value \(18446744073709551615\) out of range of long at 'Long'\.$/],
      [{ Items: [{ Name: 'a', Children: [{ Name: new Uint8Array([1]) }] }] }, /^A byte string can not be converted to a String at 'Items\.1\.member\.Children\.1\.member\.Name'\.$/],
      [{ Tags: { k: 2n ** 70n } }, /^Integer 1180591620717411303424 can not be converted to a String at 'Tags\.k\.value'\.$/],
    ];
    for (const [input, message] of cases) {
      const err = resolveError(call('Echo', encode(input)));
      assert.ok(err instanceof SerializationError, `${JSON.stringify(Object.keys(input))}: ${String(err)}`);
      assert.match(err.message, message);
    }
  });

  it('a __proto__ key neither changes a prototype nor injects members', () => {
    // {"__proto__": {"Str": "injected"}, "Tags": {"__proto__": {"x": "y"}}} written by hand: encoders skip such keys.
    const protoKey = [0x69, ...Buffer.from('__proto__')];
    const body = Buffer.from([
      0xa2,
      ...protoKey, 0xa1, 0x63, ...Buffer.from('Str'), 0x68, ...Buffer.from('injected'),
      0x64, ...Buffer.from('Tags'), 0xa1, ...protoKey, 0xa1, 0x61, 0x78, 0x61, 0x79,
    ]);
    const { input } = protocol.resolve(call('Echo', body), SCOPE);
    // The key is read back as an entry of the map, on a plain object.
    const tags = (input as { Tags: object }).Tags;
    assert.equal(Object.getPrototypeOf(tags), Object.prototype);
    assert.deepEqual(Object.keys(tags), ['__proto__']);
    const { value, problems } = checkInput(model, 'Everything', input);
    assert.equal(value.Str, undefined);
    // The map's value shape is a string, so the map given for it is a type error, reported by the model check.
    assert.match(problems.typeErrors[0], /at 'Tags\.__proto__\.value'/);
    assert.equal(({} as Record<string, unknown>)['x'], undefined);
  });

  it('input breaking the model gets exactly the problems awsJson input does', () => {
    const inputs: Record<string, unknown>[] = [
      { Color: 'blue', Items: [{ Count: 9 }, { Name: '' }, { Name: 'a' }, { Name: 'b' }], Nested: {} },
      { Int: 2147483648 },
      { Int: 1.5 },
      { Bool: 'yes' },
      { Tags: { k: 1 } },
      { Nested: { Name: 'way too long a name' } },
    ];
    for (const input of inputs) {
      const viaCbor = protocol.resolve(call('Echo', encode(input)), SCOPE).input;
      const jsonCall: IncomingCall = { method: 'POST', path: '/', query: {}, headers: { 'x-amz-target': 'BerthTestService.Echo' }, body: Buffer.from(JSON.stringify(input)) };
      const viaJson = json.resolve(jsonCall, SCOPE).input;
      const a = checkInput(model, 'Everything', viaCbor).problems;
      const b = checkInput(model, 'Everything', viaJson).problems;
      assert.ok(a.typeErrors.length + a.constraintErrors.length > 0, JSON.stringify(input));
      assert.deepEqual(a, b, JSON.stringify(input));
    }
  });
});

describe('rpcv2Cbor: encoding output', () => {
  const echo = { service, operation: 'Echo', input: {} };
  const shaped = (v: unknown) => shapeOutput(model, 'Everything', v, protocol.encodeTimestamp);

  it('writes a CBOR map: tag-1 epoch seconds (fractions kept), byte strings, floats for NaN and Infinity, no nulls or unmodelled members', () => {
    const out = protocol.encodeOutput(
      echo,
      shaped({
        Str: 'ok',
        Bool: true,
        Int: 7,
        Long: 2 ** 40,
        Dbl: Number.NaN,
        Flt: -Infinity,
        When: new Date('2024-05-01T12:00:00.250Z'),
        Data: Buffer.from([0xde, 0xad]),
        Color: 'red',
        Tags: { a: '1' },
        Items: [{ Name: 'x', Children: [] }],
        Nested: undefined,
        Doubles: [Infinity, 2.5, 3],
        secret: 'never sent',
      }),
      'req-1',
    );
    assert.equal(out.statusCode, 200);
    assert.deepEqual(out.headers, { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', 'x-amzn-requestid': 'req-1' });
    const body = cbor.deserialize(out.body as Buffer);
    assert.deepEqual(Object.keys(body).sort(), ['Bool', 'Color', 'Data', 'Dbl', 'Doubles', 'Flt', 'Int', 'Items', 'Long', 'Str', 'Tags', 'When']);
    assert.equal(body.When.tag, 1);
    assert.equal(body.When.value, 1714564800.25);
    assert.ok(body.Data instanceof Uint8Array);
    assert.deepEqual([...body.Data], [0xde, 0xad]);
    assert.ok(Number.isNaN(body.Dbl));
    assert.equal(body.Flt, -Infinity);
    assert.deepEqual(body.Doubles, [Infinity, 2.5, 3]);
    assert.deepEqual(body.Items, [{ Name: 'x', Children: [] }]);
    assert.equal(body.Long, 2 ** 40);
    // The float64 major type 7 byte (0xfb) precedes NaN: a real CBOR float, not a string.
    const raw = out.body as Buffer;
    assert.ok(raw.includes(Buffer.from([0xfb, 0x7f, 0xf8])), raw.toString('hex'));
  });

  it('an operation without output answers 200 with no body and no Content-Type', () => {
    const out = protocol.encodeOutput({ service, operation: 'Ping', input: {} }, {}, 'req-2');
    assert.equal(out.statusCode, 200);
    assert.equal((out.body as Buffer).length, 0);
    assert.equal(out.headers['content-type'], undefined);
    assert.equal(out.headers['smithy-protocol'], 'rpc-v2-cbor');
  });
});

describe('rpcv2Cbor: encoding errors', () => {
  function errorOf(err: BerthError, svc: ServiceDefinition | undefined = service) {
    const out = protocol.encodeError(err, 'req-3', svc);
    return { status: out.statusCode, headers: out.headers, body: cbor.deserialize(out.body as Buffer) };
  }

  it('the namespace is com.amazonaws + the sdkId in lower case without spaces', () => {
    assert.equal(namespaceOf(model), 'com.amazonaws.berthtest');
  });

  it('a modelled error, thrown by shape name or by awsQuery code, carries its shape id, status, members and x-amzn-query-error', () => {
    for (const code of ['NotFound', 'NotFoundCode']) {
      const e = errorOf(new ServiceError(code, 'Thing t-1 not found.'));
      assert.equal(e.status, 404);
      assert.equal(e.headers['x-amzn-query-error'], 'NotFoundCode;Sender');
      assert.equal(e.headers['smithy-protocol'], 'rpc-v2-cbor');
      assert.equal(e.headers['content-type'], 'application/cbor');
      assert.deepEqual(e.body, { __type: 'com.amazonaws.berthtest#NotFound', message: 'Thing t-1 not found.' });
    }
    const busy = errorOf(new ServiceError('Busy', 'Try later.', { fault: 'server', members: { RetryAfter: 3, Unmodelled: 'x' } }));
    assert.equal(busy.status, 503);
    assert.equal(busy.headers['x-amzn-query-error'], 'Busy;Receiver');
    assert.deepEqual(busy.body, { __type: 'com.amazonaws.berthtest#Busy', Message: 'Try later.', RetryAfter: 3 });
    // A shape modelling no message still says what went wrong.
    assert.deepEqual(errorOf(new ServiceError('Quiet', 'Shh.')).body, { __type: 'com.amazonaws.berthtest#Quiet', message: 'Shh.' });
  });

  it('errors the model does not name keep their code, status and the query code awsQuery would send', () => {
    const cases: [BerthError, number, string, string][] = [
      [new SerializationError('bad body'), 400, 'SerializationException', 'SerializationException;Sender'],
      [new UnknownOperationError('no such op'), 404, 'UnknownOperationException', 'InvalidAction;Sender'],
      [new SignatureDoesNotMatchError(), 403, 'InvalidSignatureException', 'SignatureDoesNotMatch;Sender'],
      [new UnknownServiceError('no such service'), 404, 'UnknownServiceException', 'UnknownServiceException;Sender'],
      [new ServiceError('ValidationException', '1 validation error detected: ...'), 400, 'ValidationException', 'ValidationException;Sender'],
    ];
    for (const [err, status, type, queryError] of cases) {
      const e = errorOf(err);
      assert.equal(e.status, status, type);
      assert.equal(e.headers['x-amzn-query-error'], queryError, type);
      assert.deepEqual(e.body, { __type: type, message: err.message });
    }
  });

  it('without the awsQueryCompatible trait there is no x-amzn-query-error', () => {
    const plain = { ...service, model: { ...model, metadata: { ...model.metadata, awsQueryCompatible: undefined } } } as ServiceDefinition;
    delete (plain.model.metadata as Record<string, unknown>)['awsQueryCompatible'];
    const e = errorOf(new ServiceError('NotFound', 'gone'), plain);
    assert.equal(e.headers['x-amzn-query-error'], undefined);
    assert.equal(e.status, 404);
  });
});

describe('awsJson with awsQueryCompatible', () => {
  it('names the error shape, uses its status and sends x-amzn-query-error', () => {
    const out = json.encodeError(new ServiceError('NotFoundCode', 'gone'), 'req-4', service);
    assert.equal(out.statusCode, 404);
    assert.equal(out.headers['x-amzn-query-error'], 'NotFoundCode;Sender');
    assert.equal(out.headers['x-amzn-errortype'], 'NotFound');
    assert.equal(out.headers['content-type'], 'application/x-amz-json-1.0');
    assert.deepEqual(JSON.parse(out.body as string), { __type: 'NotFound', message: 'gone' });
  });

  it('reads and writes NaN and the infinities as the strings awsJson uses', () => {
    const jsonCall: IncomingCall = { method: 'POST', path: '/', query: {}, headers: { 'x-amz-target': 'BerthTestService.Echo' }, body: Buffer.from('{"Doubles":["NaN","Infinity","-Infinity",1.5],"Str":"NaN"}') };
    const { value, problems } = checkInput(model, 'Everything', json.resolve(jsonCall, SCOPE).input);
    assert.deepEqual(problems, { typeErrors: [], constraintErrors: [] });
    assert.deepEqual(value, { Doubles: [Number.NaN, Infinity, -Infinity, 1.5], Str: 'NaN' });
    const out = json.encodeOutput({ service, operation: 'Echo', input: {} }, shapeOutput(model, 'Everything', value, json.encodeTimestamp), 'req-5');
    assert.deepEqual(JSON.parse(out.body as string), { Doubles: ['NaN', 'Infinity', '-Infinity', 1.5], Str: 'NaN' });
  });
});
