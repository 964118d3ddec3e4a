/** Tests of the per target group counters: response classes, ELB codes, the response time histogram. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addCounters, countElbResponse, countTargetResponse, emptyCounters, responseTimeBin, responseTimeBinValue } from './counters.js';

describe('target group counters', () => {
  it('count target responses by class and keep their times as sum, count and histogram', () => {
    const c = emptyCounters();
    countTargetResponse(c, 200, 0.01);
    countTargetResponse(c, 503, 0.5);
    countTargetResponse(c, 204, 0);
    assert.deepEqual(c.targetResponses, { '2xx': 2, '3xx': 0, '4xx': 0, '5xx': 1 });
    assert.equal(c.targetResponseTimeCount, 3);
    assert.equal(Object.values(c.targetResponseTimeBins).reduce((a, b) => a + b, 0), 3);
    assert.equal(c.targetResponseTimeBins[responseTimeBin(0)], 1);
  });
  it('a bin stands for its values within 1%', () => {
    for (const v of [0.0001, 0.0123, 0.2, 1, 7.5, 3600]) {
      const rep = responseTimeBinValue(responseTimeBin(v));
      assert.ok(Math.abs(rep - v) / v <= 0.01 + 1e-12, `${v} -> ${rep}`);
    }
    assert.equal(responseTimeBinValue(responseTimeBin(0)), 0);
  });
  it('count the load balancer 5xx CloudWatch names one by one, and 4xx (460 included) as a class', () => {
    const c = emptyCounters();
    for (const s of [502, 502, 503, 504, 500, 501, 460, 400]) countElbResponse(c, s);
    assert.deepEqual(c.elbResponses, { '4xx': 2, '5xx': 6 });
    assert.deepEqual(c.elbResponseCodes, { '500': 1, '502': 2, '503': 1, '504': 1 });
  });
  it('add up field by field, histograms included', () => {
    const a = emptyCounters();
    const b = emptyCounters();
    countTargetResponse(a, 200, 0.1);
    countTargetResponse(b, 200, 0.1);
    countTargetResponse(b, 404, 2);
    countElbResponse(b, 502);
    const sum = addCounters(a, b);
    assert.equal(sum.targetResponses['2xx'], 2);
    assert.equal(sum.targetResponses['4xx'], 1);
    assert.equal(sum.elbResponseCodes['502'], 1);
    assert.equal(sum.targetResponseTimeBins[responseTimeBin(0.1)], 2);
    assert.equal(sum.targetResponseTimeBins[responseTimeBin(2)], 1);
    assert.deepEqual(addCounters(undefined, undefined), emptyCounters());
  });
});
