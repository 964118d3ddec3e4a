/** Tests of the one place --time-scale turns Berth seconds into real ones. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { scaledCooldownSeconds, scaledSeconds } from './time-scale.js';

describe('scaledSeconds', () => {
  it('divides by the time scale into whole real seconds, at least one', () => {
    const rows: [seconds: number, scale: number, expected: number][] = [
      [60, 1, 60],
      [300, 1, 300],
      [10, 1, 10],
      [60, 60, 1],
      [300, 60, 5],
      [900, 60, 15],
      [60, 9, 7], // 6.67 rounds to 7
      [60, 3600, 1], // never below a second
      [10, 60, 1],
    ];
    for (const [s, n, want] of rows) assert.equal(scaledSeconds(s, n), want, `${s} s at ${n}`);
  });
  it('a cooldown of 0 stays 0; others scale the same way', () => {
    assert.equal(scaledCooldownSeconds(0, 60), 0);
    assert.equal(scaledCooldownSeconds(0, 1), 0);
    assert.equal(scaledCooldownSeconds(300, 60), 5);
    assert.equal(scaledCooldownSeconds(30, 60), 1);
    assert.equal(scaledCooldownSeconds(300, 1), 300);
  });
});
