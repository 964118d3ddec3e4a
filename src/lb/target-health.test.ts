import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HealthTracker, parseMatcher, type ProbeResult } from './target-health.js';

const OK: ProbeResult = { ok: true };
const FAIL: ProbeResult = { ok: false, reason: 'Target.ResponseCodeMismatch', description: 'Health checks failed with these codes: [500]' };
const T = { healthy: 3, unhealthy: 2 };

describe('matcher', () => {
  const table: [string, number, boolean][] = [
    ['200', 200, true],
    ['200', 201, false],
    ['200,202', 202, true],
    ['200,202', 201, false],
    ['200-299', 204, true],
    ['200-299', 300, false],
    ['200-299', 199, false],
    ['200,300-399', 302, true],
    [' 200 , 404 ', 404, true],
    ['garbage', 200, false],
  ];
  for (const [matcher, status, expected] of table) {
    it(`${matcher} ${status} -> ${expected}`, () => assert.equal(parseMatcher(matcher)(status), expected));
  }
});

describe('health state machine', () => {
  it('starts in registration, then initial health checking', () => {
    const h = new HealthTracker();
    assert.equal(h.state, 'initial');
    assert.equal(h.reason, 'Elb.RegistrationInProgress');
    h.checking();
    assert.equal(h.reason, 'Elb.InitialHealthChecking');
  });
  it('a new target is healthy after one passing check', () => {
    const h = new HealthTracker();
    assert.equal(h.record(OK, T), true);
    assert.equal(h.state, 'healthy');
    assert.equal(h.reason, undefined);
  });
  it('a new target becomes unhealthy after UnhealthyThresholdCount failures, with the reason', () => {
    const h = new HealthTracker();
    h.checking();
    h.record(FAIL, T);
    assert.equal(h.state, 'initial');
    h.record(FAIL, T);
    assert.equal(h.state, 'unhealthy');
    assert.equal(h.reason, 'Target.ResponseCodeMismatch');
    assert.equal(h.description, 'Health checks failed with these codes: [500]');
  });
  it('an unhealthy target needs HealthyThresholdCount consecutive passes', () => {
    const h = new HealthTracker();
    h.record(FAIL, T);
    h.record(FAIL, T);
    h.record(OK, T);
    h.record(OK, T);
    h.record(FAIL, T); // resets the streak
    h.record(OK, T);
    h.record(OK, T);
    assert.equal(h.state, 'unhealthy');
    h.record(OK, T);
    assert.equal(h.state, 'healthy');
  });
  it('a healthy target survives fewer failures than the threshold', () => {
    const h = new HealthTracker();
    h.record(OK, T);
    h.record(FAIL, T);
    h.record(OK, T);
    h.record(FAIL, T);
    assert.equal(h.state, 'healthy');
    h.record(FAIL, T);
    assert.equal(h.state, 'unhealthy');
  });
});
