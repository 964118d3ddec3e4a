import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OptionsError } from '../config/index.js';
import { parseSince } from './logs.js';

describe('berth logs --since', () => {
  const now = Date.UTC(2024, 0, 2, 12, 0, 0);
  it('takes durations back from now and ISO 8601 times', () => {
    assert.equal(parseSince('30s', now), now - 30_000);
    assert.equal(parseSince('10m', now), now - 600_000);
    assert.equal(parseSince('2h', now), now - 7_200_000);
    assert.equal(parseSince('1d', now), now - 86_400_000);
    assert.equal(parseSince('1w', now), now - 7 * 86_400_000);
    assert.equal(parseSince('2024-01-01T00:00:00Z', now), Date.UTC(2024, 0, 1));
  });
  it('refuses anything else with a message that shows the accepted forms', () => {
    assert.throws(() => parseSince('yesterday', now), (e: Error) => e instanceof OptionsError && /30s, 10m, 2h, 1d, 1w or an ISO 8601 time; got 'yesterday'/.test(e.message));
  });
});
