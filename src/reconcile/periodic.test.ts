import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { every, pause } from './periodic.js';

describe('periodic', () => {
  it('pause ends at once when the signal aborts, and at once for an aborted signal', async () => {
    const ac = new AbortController();
    const waiting = pause(3_600_000, ac.signal);
    ac.abort();
    await waiting;
    await pause(3_600_000, ac.signal);
  });

  it('every runs a round at once and again after the interval, and stops on abort', async () => {
    const ac = new AbortController();
    let rounds = 0;
    await every(1, ac.signal, () => {
      rounds++;
      if (rounds === 3) ac.abort();
    });
    assert.equal(rounds, 3);
  });
});
