import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleCondition, RuleConfig } from './config.js';
import { conditionMatches, matchRule, parseQuery, stripPort, type RoutingRequest } from './routing.js';

function request(v: Partial<RoutingRequest> = {}): RoutingRequest {
  return { method: 'GET', path: '/', query: '', host: 'shop.example.com', headers: {}, sourceIp: '127.0.0.1', ...v };
}

function rule(priority: number | 'default', conditions: RuleCondition[], name: string): RuleConfig {
  return { arn: name, priority, conditions, actions: [{ type: 'fixed-response', statusCode: '200', messageBody: name }] };
}

describe('rule conditions', () => {
  const cases: [string, RuleCondition, Partial<RoutingRequest>, boolean][] = [
    // path-pattern: case-sensitive, wildcards, no query string, not decoded
    ['path exact', { field: 'path-pattern', values: ['/api'] }, { path: '/api' }, true],
    ['path star', { field: 'path-pattern', values: ['/api/*'] }, { path: '/api/users/7' }, true],
    ['path star matches empty', { field: 'path-pattern', values: ['/api/*'] }, { path: '/api/' }, true],
    ['path star needs its prefix', { field: 'path-pattern', values: ['/api/*'] }, { path: '/api' }, false],
    ['path question mark is one char', { field: 'path-pattern', values: ['/v?/x'] }, { path: '/v2/x' }, true],
    ['path question mark not two', { field: 'path-pattern', values: ['/v?/x'] }, { path: '/v10/x' }, false],
    ['path is case-sensitive', { field: 'path-pattern', values: ['/API/*'] }, { path: '/api/x' }, false],
    ['path ignores query', { field: 'path-pattern', values: ['/a'] }, { path: '/a', query: 'x=1' }, true],
    ['path regex chars literal', { field: 'path-pattern', values: ['/a.b'] }, { path: '/aXb' }, false],
    ['path any of values', { field: 'path-pattern', values: ['/x', '/img/*.png'] }, { path: '/img/logo.png' }, true],
    ['path not decoded', { field: 'path-pattern', values: ['/a b'] }, { path: '/a%20b' }, false],
    // host-header: case-insensitive, port stripped, wildcards
    ['host exact', { field: 'host-header', values: ['shop.example.com'] }, {}, true],
    ['host case-insensitive', { field: 'host-header', values: ['SHOP.Example.com'] }, {}, true],
    ['host port stripped', { field: 'host-header', values: ['shop.example.com'] }, { host: 'shop.example.com:8080' }, true],
    ['host wildcard', { field: 'host-header', values: ['*.example.com'] }, { host: 'a.b.example.com' }, true],
    ['host wildcard needs dot', { field: 'host-header', values: ['*.example.com'] }, { host: 'example.com' }, false],
    ['host absent', { field: 'host-header', values: ['*'] }, { host: '' }, true],
    ['host other', { field: 'host-header', values: ['api.example.com'] }, {}, false],
    // http-header: name case-insensitive, value wildcards case-insensitive
    ['header value', { field: 'http-header', headerName: 'User-Agent', values: ['*Mobile*'] }, { headers: { 'user-agent': 'Foo mobile Bar' } }, true],
    ['header missing', { field: 'http-header', headerName: 'X-Env', values: ['*'] }, { headers: {} }, false],
    ['header sent twice, second matches', { field: 'http-header', headerName: 'x-env', values: ['beta'] }, { headers: { 'x-env': ['prod', 'BETA'] } }, true],
    ['header value mismatch', { field: 'http-header', headerName: 'x-env', values: ['beta'] }, { headers: { 'x-env': 'prod' } }, false],
    // http-request-method: exact, case-sensitive
    ['method exact', { field: 'http-request-method', values: ['POST', 'PUT'] }, { method: 'PUT' }, true],
    ['method case-sensitive', { field: 'http-request-method', values: ['post'] }, { method: 'POST' }, false],
    ['method no wildcards', { field: 'http-request-method', values: ['P*'] }, { method: 'POST' }, false],
    // query-string: key/value pairs, key optional, wildcards, case-insensitive, decoded
    ['query pair', { field: 'query-string', values: [{ key: 'version', value: 'v1' }] }, { query: 'a=1&version=v1' }, true],
    ['query pair case-insensitive', { field: 'query-string', values: [{ key: 'Version', value: 'V1' }] }, { query: 'version=v1' }, true],
    ['query value only, any key', { field: 'query-string', values: [{ value: 'blue' }] }, { query: 'color=blue' }, true],
    ['query value only, bare item', { field: 'query-string', values: [{ value: 'debug' }] }, { query: 'debug' }, true],
    ['query key needs a key', { field: 'query-string', values: [{ key: 'debug', value: '*' }] }, { query: 'debug' }, false],
    ['query wildcard', { field: 'query-string', values: [{ key: 'v', value: 'v?' }] }, { query: 'v=v2' }, true],
    ['query decoded', { field: 'query-string', values: [{ key: 'q', value: 'a b&c' }] }, { query: 'q=a%20b%26c' }, true],
    ['query plus is space', { field: 'query-string', values: [{ key: 'q', value: 'a b' }] }, { query: 'q=a+b' }, true],
    ['query escaped star is literal', { field: 'query-string', values: [{ key: 'q', value: '\\*' }] }, { query: 'q=x' }, false],
    ['query escaped star matches star', { field: 'query-string', values: [{ key: 'q', value: '\\*' }] }, { query: 'q=*' }, true],
    ['query no query', { field: 'query-string', values: [{ value: '*' }] }, { query: '' }, false],
    ['query malformed escape compared raw', { field: 'query-string', values: [{ key: 'q', value: '%zz' }] }, { query: 'q=%zz' }, true],
    // source-ip: CIDR, IPv4, IPv6, mapped addresses
    ['source ipv4 in', { field: 'source-ip', values: ['127.0.0.0/8'] }, { sourceIp: '127.3.4.5' }, true],
    ['source ipv4 out', { field: 'source-ip', values: ['10.0.0.0/8'] }, { sourceIp: '127.0.0.1' }, false],
    ['source ipv4 mapped', { field: 'source-ip', values: ['127.0.0.1/32'] }, { sourceIp: '::ffff:127.0.0.1' }, true],
    ['source ipv6 in', { field: 'source-ip', values: ['2001:db8::/32'] }, { sourceIp: '2001:db8:1::5' }, true],
    ['source ipv6 out', { field: 'source-ip', values: ['2001:db8::/32'] }, { sourceIp: '2001:db9::5' }, false],
    ['source ipv6 loopback', { field: 'source-ip', values: ['::1/128'] }, { sourceIp: '::1' }, true],
    ['source family mismatch', { field: 'source-ip', values: ['0.0.0.0/0'] }, { sourceIp: '::1' }, false],
    ['source /0 matches any v4', { field: 'source-ip', values: ['0.0.0.0/0'] }, { sourceIp: '192.0.2.9' }, true],
    ['source ignores X-Forwarded-For', { field: 'source-ip', values: ['192.0.2.0/24'] }, { sourceIp: '127.0.0.1', headers: { 'x-forwarded-for': '192.0.2.1' } }, false],
  ];
  for (const [name, condition, req, expected] of cases) {
    it(name, () => assert.equal(conditionMatches(condition, request(req)), expected));
  }
});

describe('rule evaluation', () => {
  const rules: RuleConfig[] = [
    rule(1, [{ field: 'path-pattern', values: ['/api/*'] }, { field: 'http-request-method', values: ['POST'] }], 'api-post'),
    rule(5, [{ field: 'path-pattern', values: ['/api/*'] }], 'api'),
    rule(10, [{ field: 'host-header', values: ['admin.*'] }, { field: 'source-ip', values: ['127.0.0.0/8'] }], 'admin'),
    rule('default', [], 'default'),
  ];
  const table: [Partial<RoutingRequest>, string][] = [
    [{ path: '/api/x', method: 'POST' }, 'api-post'],
    [{ path: '/api/x', method: 'GET' }, 'api'],
    [{ path: '/x', host: 'admin.example.com' }, 'admin'],
    [{ path: '/x', host: 'admin.example.com', sourceIp: '192.0.2.1' }, 'default'],
    [{ path: '/other' }, 'default'],
  ];
  for (const [req, expected] of table) {
    it(`${JSON.stringify(req)} -> ${expected}`, () => assert.equal(matchRule(rules, request(req))?.arn, expected));
  }
  it('takes the lowest priority first (rules come sorted)', () => {
    const overlapping = [rule(2, [{ field: 'path-pattern', values: ['*'] }], 'first'), rule(3, [{ field: 'path-pattern', values: ['/a'] }], 'second'), rule('default', [], 'default')];
    assert.equal(matchRule(overlapping, request({ path: '/a' }))?.arn, 'first');
  });
  it('a rule without conditions other than default never blocks the default', () => {
    assert.equal(matchRule([rule('default', [], 'd')], request())?.arn, 'd');
    assert.equal(matchRule([], request()), undefined);
  });
});

describe('helpers', () => {
  it('parses query strings into decoded pairs', () => {
    assert.deepEqual(parseQuery('a=1&&b&c=x%3Dy'), [{ key: 'a', value: '1' }, { value: 'b' }, { key: 'c', value: 'x=y' }]);
  });
  it('strips ports from host headers, IPv6 literals included', () => {
    assert.equal(stripPort('a.example:80'), 'a.example');
    assert.equal(stripPort('[::1]:8080'), '[::1]');
    assert.equal(stripPort('a.example'), 'a.example');
  });
});
