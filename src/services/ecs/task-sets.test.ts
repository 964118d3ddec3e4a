import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkScale, computedDesiredCount } from './task-sets.js';

describe('computedDesiredCount', () => {
  const cases: [desired: number, percent: number, expected: number][] = [
    [10, 100, 10],
    [10, 50, 5],
    [3, 50, 2], // 1.5 rounds up
    [6, 20, 2], // 1.2 rounds up to 2, the API reference's example
    [1, 1, 1],
    [0, 100, 0],
    [10, 0, 0],
    [3, 33.333333333, 1], // 0.99999999999 is 1, not a float that rounds up to 2
    [100, 7, 7], // 7.000000000000001 in floating point must stay 7
    [5, 10, 1],
  ];
  for (const [desired, percent, expected] of cases) {
    it(`${desired} x ${percent}% -> ${expected}`, () => assert.equal(computedDesiredCount(desired, percent), expected));
  }
});

describe('checkScale', () => {
  it('defaults to 100 PERCENT', () => assert.deepEqual(checkScale(undefined), { value: 100, unit: 'PERCENT' }));
  it('takes 0 to 100 PERCENT', () => assert.deepEqual(checkScale({ value: 50, unit: 'PERCENT' }), { value: 50, unit: 'PERCENT' }));
  for (const bad of [{ value: 101, unit: 'PERCENT' }, { value: -1, unit: 'PERCENT' }, { value: 50, unit: 'COUNT' }]) {
    it(`refuses ${JSON.stringify(bad)}`, () => assert.throws(() => checkScale(bad), (e: Error & { code?: string }) => /scale/i.test(e.message)));
  }
});
