import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RuleAction } from './config.js';
import { redirectLocation, redirectStatus } from './redirect.js';

type Redirect = Extract<RuleAction, { type: 'redirect' }>;
const defaults: Redirect = { type: 'redirect', protocol: '#{protocol}', host: '#{host}', port: '#{port}', path: '/#{path}', query: '#{query}', statusCode: 'HTTP_301' };
const req = { protocol: 'http', host: 'shop.example.com', port: 80, path: '/cart/items', query: 'a=1&b=2' };

describe('redirect Location', () => {
  const table: [string, Partial<Redirect>, Partial<typeof req>, string][] = [
    ['all defaults reuse the request', {}, {}, 'http://shop.example.com:80/cart/items?a=1&b=2'],
    ['to HTTPS on 443', { protocol: 'HTTPS', port: '443' }, {}, 'https://shop.example.com:443/cart/items?a=1&b=2'],
    ['new host keeps path', { host: 'www.example.com' }, {}, 'http://www.example.com:80/cart/items?a=1&b=2'],
    ['path prefix with #{path}', { path: '/v2/#{path}' }, {}, 'http://shop.example.com:80/v2/cart/items?a=1&b=2'],
    ['fixed path, query dropped', { path: '/maintenance', query: '' }, {}, 'http://shop.example.com:80/maintenance'],
    ['query added to', { query: '#{query}&from=alb' }, {}, 'http://shop.example.com:80/cart/items?a=1&b=2&from=alb'],
    ['empty request query leaves no ?', {}, { query: '' }, 'http://shop.example.com:80/cart/items'],
    ['keywords anywhere', { host: '#{host}.internal', path: '/#{protocol}/#{port}' }, { port: 8080 }, 'http://shop.example.com.internal:8080/http/8080?a=1&b=2'],
  ];
  for (const [name, action, request, expected] of table) {
    it(name, () => assert.equal(redirectLocation({ ...defaults, ...action }, { ...req, ...request }), expected));
  }
  it('maps status codes', () => {
    assert.equal(redirectStatus(defaults), 301);
    assert.equal(redirectStatus({ ...defaults, statusCode: 'HTTP_302' }), 302);
  });
});
