import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilterPattern, FilterPatternError } from './filter-pattern.js';

const messages = [
  'INFO starting server on port 8080',
  'ERROR connection refused: db down',
  'WARN slow request took 2300ms',
  'ERROR Exiting with status 1',
  '{"level":"error","status":503,"user":{"name":"alice","admin":true},"tags":["a","b"],"gone":null}',
  '{"level":"info","status":200,"user":{"name":"bob","admin":false}}',
  '{"level":"warn","status":404,"path":"/api/items/7"}',
  'not {json',
];

function matching(pattern: string): number[] {
  const m = compileFilterPattern(pattern);
  return messages.flatMap((msg, i) => (m(msg) ? [i] : []));
}

describe('filter patterns', () => {
  it('matches every event when the pattern is empty or blank', () => {
    assert.deepEqual(matching(''), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(matching('   '), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(compileFilterPattern(undefined)('x'), true);
  });

  it('requires every term, case-sensitively', () => {
    assert.deepEqual(matching('ERROR'), [1, 3]);
    assert.deepEqual(matching('ERROR refused'), [1]);
    assert.deepEqual(matching('error'), [4], 'terms are case-sensitive: only the JSON line has lower-case error');
  });

  it('matches quoted phrases as a whole, with escaped quotes', () => {
    assert.deepEqual(matching('"connection refused"'), [1]);
    assert.deepEqual(matching('"refused connection"'), []);
    assert.deepEqual(matching('"\\"level\\":\\"warn\\""'), [6]);
  });

  it('matches any of the ?terms and excludes -terms', () => {
    assert.deepEqual(matching('?WARN ?INFO'), [0, 2]);
    assert.deepEqual(matching('ERROR -Exiting'), [1]);
    assert.deepEqual(matching('?ERROR ?WARN -"db down"'), [2, 3]);
  });

  it('compares JSON fields: strings, wildcards, numbers, booleans, null, absence', () => {
    assert.deepEqual(matching('{ $.level = "error" }'), [4]);
    assert.deepEqual(matching('{ $.level = error }'), [4], 'an unquoted word is a string');
    assert.deepEqual(matching('{ $.level != "error" }'), [5, 6]);
    assert.deepEqual(matching('{ $.status >= 500 }'), [4]);
    assert.deepEqual(matching('{ $.status > 199 && $.status < 500 }'), [5, 6]);
    assert.deepEqual(matching('{ $.status = 404 }'), [6]);
    assert.deepEqual(matching('{ $.user.name = "al*" }'), [4]);
    assert.deepEqual(matching('{ $.path = "/api/*" }'), [6]);
    assert.deepEqual(matching('{ $.user.admin IS TRUE }'), [4]);
    assert.deepEqual(matching('{ $.user.admin IS FALSE }'), [5]);
    assert.deepEqual(matching('{ $.gone IS NULL }'), [4]);
    assert.deepEqual(matching('{ $.user NOT EXISTS }'), [6]);
    assert.deepEqual(matching('{ $.tags[1] = "b" }'), [4]);
  });

  it('combines JSON conditions with && and || and parentheses', () => {
    assert.deepEqual(matching('{ $.level = "error" || $.level = "warn" }'), [4, 6]);
    assert.deepEqual(matching('{ ($.level = "info" || $.level = "warn") && $.status >= 300 }'), [6]);
    assert.deepEqual(matching('{ $.level = "info" || $.level = "warn" && $.status >= 300 }'), [5, 6], '&& binds tighter than ||');
  });

  it('matches %regular expressions%', () => {
    assert.deepEqual(matching('%took \\d+ms%'), [2]);
    assert.deepEqual(matching('%^(INFO|WARN)%'), [0, 2]);
  });

  it('refuses malformed patterns with a message that says what is wrong', () => {
    const bad: [string, RegExp][] = [
      ['"unclosed', /quoted term is not closed/],
      ['{ $.level = "error" ', /must end with '}'/],
      ['{ }', /no condition/],
      ['{ level = "x" }', /expected a selector/],
      ['{ $.status >= high }', /is not a number/],
      ['{ $.a = 1 && }', /ends too soon/],
      ['{ ($.a = 1 }', /'\(' is not closed/],
      ['{ $.a IS MAYBE }', /TRUE, FALSE or NULL/],
      ['{ $.a ~ 1 }', /cannot read|expected a comparison/],
      ['%(%', /Invalid regular expression/],
      ['[ip, user]', /space-delimited/],
    ];
    for (const [pattern, message] of bad) {
      assert.throws(() => compileFilterPattern(pattern), (err: Error) => err instanceof FilterPatternError && message.test(err.message), pattern);
    }
  });
});
