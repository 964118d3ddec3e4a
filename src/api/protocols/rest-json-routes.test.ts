/**
 * restJson routing: the compiled route table over the real Lambda model (every operation reachable
 * by its own template, literal query parts, decoded labels) and over a small model with greedy
 * labels and competing templates.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadServiceModel, type OperationModel } from '../../model/index.js';
import { RouteTable } from './rest-json-routes.js';

describe('RouteTable over the Lambda model', () => {
  const model = loadServiceModel('lambda');
  const routes = new RouteTable(model.operations);

  it('routes every operation from a request built from its own template', () => {
    for (const [name, op] of Object.entries(model.operations)) {
      const [pathTemplate, queryPart] = op.http!.requestUri.split('?');
      const path = pathTemplate.replace(/\{([^}+]+)\+?\}/g, (_, label: string) => `value-of-${label}`);
      const query: Record<string, string> = {};
      for (const p of (queryPart ?? '').split('&').filter(Boolean)) {
        const [k, v = ''] = p.split('=');
        query[k] = v;
      }
      const match = routes.match(op.http!.method, path, query);
      assert.equal(match?.operation, name, `${op.http!.method} ${op.http!.requestUri}`);
    }
  });

  it('a literal query part in the template tells apart operations on one path', () => {
    const path = '/2019-09-30/functions/hook/provisioned-concurrency';
    assert.equal(routes.match('GET', path, { List: 'ALL' })?.operation, 'ListProvisionedConcurrencyConfigs');
    assert.equal(routes.match('GET', path, { Qualifier: 'live' })?.operation, 'GetProvisionedConcurrencyConfig');
    const literal = routes.match('GET', path, { List: 'ALL' })!;
    assert.deepEqual(literal.literalQueryKeys, ['List']);
  });

  it('labels are URL-decoded; a trailing slash is not significant', () => {
    const m = routes.match('GET', '/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Ahook/configuration', {});
    assert.equal(m?.operation, 'GetFunctionConfiguration');
    assert.equal(m?.labels.FunctionName, 'arn:aws:lambda:us-east-1:123456789012:function:hook');
    assert.equal(routes.match('GET', '/2015-03-31/functions/', {})?.operation, 'ListFunctions');
    assert.equal(routes.match('GET', '/2015-03-31/functions', {})?.operation, 'ListFunctions');
  });

  it('no match for an unknown path, another method, or a malformed escape', () => {
    assert.equal(routes.match('GET', '/2015-03-31/nothing', {}), undefined);
    assert.equal(routes.match('PATCH', '/2015-03-31/functions/hook', {}), undefined);
    assert.equal(routes.match('GET', '/2015-03-31/functions/%E0%A4%A', {}), undefined);
  });
});

describe('RouteTable precedence and greedy labels', () => {
  const op = (method: string, requestUri: string): OperationModel => ({ name: '', http: { method, requestUri } });
  const routes = new RouteTable({
    GetObject: op('GET', '/{Bucket}/{Key+}'),
    GetObjectTagging: op('GET', '/{Bucket}/{Key+}?tagging'),
    ListVersions: op('GET', '/{Bucket}?versions'),
    ListObjects: op('GET', '/{Bucket}'),
    GetSpecial: op('GET', '/special/{Id}'),
    GetSpecialInfo: op('GET', '/special/info'),
  });

  it('a greedy label takes the rest of the path, slashes included, decoded', () => {
    const m = routes.match('GET', '/photos/2024/may/caf%C3%A9%20terrace.jpg', {});
    assert.equal(m?.operation, 'GetObject');
    assert.deepEqual(m?.labels, { Bucket: 'photos', Key: '2024/may/café terrace.jpg' });
  });

  it('more literal query parts win over fewer', () => {
    assert.equal(routes.match('GET', '/photos/a/b', { tagging: '' })?.operation, 'GetObjectTagging');
    assert.equal(routes.match('GET', '/photos', { versions: '' })?.operation, 'ListVersions');
    assert.equal(routes.match('GET', '/photos', {})?.operation, 'ListObjects');
  });

  it('a literal segment wins over a label, a label over a greedy label', () => {
    assert.equal(routes.match('GET', '/special/info', {})?.operation, 'GetSpecialInfo');
    const byLabel = routes.match('GET', '/special/42', {});
    assert.equal(byLabel?.operation, 'GetSpecial');
    assert.deepEqual(byLabel?.labels, { Id: '42' });
    assert.equal(routes.match('GET', '/special/42/more', {})?.operation, 'GetObject');
  });
});
