/**
 * restJson input reading and output writing along a small model that uses every binding the
 * Lambda model does not: header timestamps and `jsonvalue` headers, `headers` prefix maps, a map of
 * query parameters, a structure payload, renamed body members and timestamp formats.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SerializationError } from '../../errors/index.js';
import type { ServiceModel } from '../../model/index.js';
import type { IncomingCall } from './protocol.js';
import { readRestJsonInput } from './rest-json-input.js';
import { writeRestJson } from './rest-json-output.js';

const model = {
  metadata: { apiVersion: '2024-01-01', endpointPrefix: 'demo', protocol: 'rest-json', serviceId: 'Demo' },
  operations: {},
  paginators: {},
  shapes: {
    String: { type: 'string' },
    Integer: { type: 'integer' },
    Boolean: { type: 'boolean' },
    Timestamp: { type: 'timestamp' },
    Json: { type: 'string', jsonvalue: true },
    StringMap: { type: 'map', key: { shape: 'String' }, value: { shape: 'String' } },
    StringList: { type: 'list', member: { shape: 'String' } },
    ListMap: { type: 'map', key: { shape: 'String' }, value: { shape: 'StringList' } },
    Inner: { type: 'structure', members: { Name: { shape: 'String', locationName: 'name' }, At: { shape: 'Timestamp', locationName: 'at' } } },
    PutRequest: {
      type: 'structure',
      members: {
        Id: { shape: 'String', location: 'uri', locationName: 'id' },
        Since: { shape: 'Timestamp', location: 'header', locationName: 'If-Modified-Since' },
        Context: { shape: 'Json', location: 'header', locationName: 'X-Demo-Context' },
        Meta: { shape: 'StringMap', location: 'headers', locationName: 'x-demo-meta-' },
        Verbose: { shape: 'Boolean', location: 'querystring', locationName: 'verbose' },
        Extra: { shape: 'ListMap', location: 'querystring' },
        Inner: { shape: 'Inner', locationName: 'inner' },
        Count: { shape: 'Integer', locationName: 'count' },
      },
    },
    PayloadRequest: { type: 'structure', payload: 'Body', members: { Body: { shape: 'Inner' }, Id: { shape: 'String', location: 'uri', locationName: 'id' } } },
    PutResponse: {
      type: 'structure',
      members: {
        Modified: { shape: 'Timestamp', location: 'header', locationName: 'Last-Modified' },
        Context: { shape: 'Json', location: 'header', locationName: 'X-Demo-Context' },
        Meta: { shape: 'StringMap', location: 'headers', locationName: 'x-demo-meta-' },
        Status: { shape: 'Integer', location: 'statusCode' },
        Created: { shape: 'Timestamp' },
        CreatedIso: { shape: 'Timestamp', timestampFormat: 'iso8601' },
        Inner: { shape: 'Inner', locationName: 'inner' },
      },
    },
  },
} as unknown as ServiceModel;

function call(over: Partial<IncomingCall>): IncomingCall {
  return { method: 'PUT', path: '/', query: {}, headers: {}, body: Buffer.alloc(0), ...over };
}

describe('restJson input', () => {
  it('reads labels, HTTP-date and jsonvalue headers, prefix headers, typed and mapped query parameters and renamed body members', () => {
    const input = readRestJsonInput(
      model,
      'PutRequest',
      call({
        headers: {
          'if-modified-since': 'Wed, 01 May 2024 12:00:00 GMT',
          'x-demo-context': Buffer.from('{"a":[1,2]}').toString('base64'),
          'x-demo-meta-owner': 'web',
          'x-demo-meta-tier': 'gold',
          host: 'x',
        },
        query: { verbose: 'true', color: ['red', 'blue'], size: 'L' },
        body: Buffer.from(JSON.stringify({ inner: { name: 'n1', at: 1714564800 }, count: 3, Count: 99 })),
      }),
      { operation: 'Put', labels: { id: 'a/b c' }, literalQueryKeys: [] },
    );
    assert.equal(input.Id, 'a/b c');
    assert.equal((input.Since as Date).toISOString(), '2024-05-01T12:00:00.000Z');
    assert.equal(input.Context, '{"a":[1,2]}');
    assert.deepEqual(input.Meta, { owner: 'web', tier: 'gold' });
    assert.equal(input.Verbose, true);
    assert.deepEqual(input.Extra, { color: ['red', 'blue'], size: ['L'] });
    assert.deepEqual(input.Inner, { Name: 'n1', At: 1714564800 });
    assert.equal(input.Count, 3, 'the wire name wins; the member name is not read from the body');
  });

  it('a structure payload is the JSON body', () => {
    const input = readRestJsonInput(model, 'PayloadRequest', call({ body: Buffer.from('{"name":"p"}') }), { operation: 'P', labels: { id: '1' }, literalQueryKeys: [] });
    assert.deepEqual(input, { Body: { Name: 'p' }, Id: '1' });
  });

  it('a value of the wrong type is a SerializationException naming where it came from', () => {
    const read = (over: Partial<IncomingCall>) => () => readRestJsonInput(model, 'PutRequest', call(over), { operation: 'Put', labels: {}, literalQueryKeys: [] });
    assert.throws(read({ query: { verbose: 'yes' } }), (e: any) => e instanceof SerializationError && e.message === "Value 'yes' for query parameter verbose is not a boolean (true or false).");
    assert.throws(read({ headers: { 'if-modified-since': 'someday' } }), (e: any) => e instanceof SerializationError && /header If-Modified-Since is not a timestamp/.test(e.message));
    assert.throws(read({ headers: { 'x-demo-context': Buffer.from('{nope').toString('base64') } }), (e: any) => e instanceof SerializationError && /X-Demo-Context is not base64-encoded JSON/.test(e.message));
    assert.throws(read({ body: Buffer.from('[1]') }), (e: any) => e instanceof SerializationError && /must be a JSON object/.test(e.message));
  });
});

describe('restJson output', () => {
  it('writes the status member, header timestamps as HTTP dates, jsonvalue headers as base64, prefix headers, and body timestamps per format', () => {
    const at = new Date('2024-05-01T12:00:00.250Z');
    const out = writeRestJson(
      model,
      'PutResponse',
      { Modified: at, Context: '{"k":"v"}', Meta: { Owner: 'web' }, Status: 202, Created: at, CreatedIso: at, Inner: { Name: 'n', At: at } },
      200,
    );
    assert.equal(out.statusCode, 202);
    assert.equal(out.headers['last-modified'], 'Wed, 01 May 2024 12:00:00 GMT');
    assert.equal(Buffer.from(out.headers['x-demo-context'], 'base64').toString('utf8'), '{"k":"v"}');
    assert.equal(out.headers['x-demo-meta-owner'], 'web');
    assert.equal(out.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(String(out.body)), { Created: 1714564800.25, CreatedIso: '2024-05-01T12:00:00.250Z', inner: { name: 'n', at: 1714564800.25 } });
  });

  it('a 204 has no body', () => {
    const out = writeRestJson(model, 'PutResponse', { Status: 204, Created: new Date() }, 200);
    assert.equal(out.statusCode, 204);
    assert.equal(out.body, '');
  });
});
