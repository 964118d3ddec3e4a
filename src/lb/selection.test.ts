import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { chooseTarget, chooseWeighted, slowStartShare } from './selection.js';

/** A deterministic uniform sequence. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

describe('weighted choice', () => {
  it('never picks weight 0 and picks nothing when all are 0', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 999 }), { minLength: 1, maxLength: 5 }), fc.double({ min: 0, max: 0.999999 }), (weights, r) => {
        const chosen = chooseWeighted(weights.map((w, i) => ({ item: i, weight: w })), () => r);
        if (weights.every((w) => w === 0)) assert.equal(chosen, undefined);
        else assert.ok(chosen !== undefined && weights[chosen] > 0);
      }),
    );
  });
  it('splits in proportion to the weights', () => {
    const random = lcg(7);
    const counts = [0, 0, 0];
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[chooseWeighted([{ item: 0, weight: 10 }, { item: 1, weight: 30 }, { item: 2, weight: 60 }], random)!]++;
    assert.ok(Math.abs(counts[0] / n - 0.1) < 0.02, String(counts));
    assert.ok(Math.abs(counts[1] / n - 0.3) < 0.02, String(counts));
    assert.ok(Math.abs(counts[2] / n - 0.6) < 0.02, String(counts));
  });
});

describe('target choice', () => {
  it('round robin visits every target in turn', () => {
    const state = { next: 0 };
    const targets = [{ outstanding: 0, share: 1 }, { outstanding: 0, share: 1 }, { outstanding: 0, share: 1 }];
    const seen = Array.from({ length: 6 }, () => chooseTarget(targets, 'round_robin', state, Math.random));
    assert.deepEqual(seen, [0, 1, 2, 0, 1, 2]);
  });
  it('least outstanding requests picks the least busy', () => {
    const targets = [{ outstanding: 5, share: 1 }, { outstanding: 1, share: 1 }, { outstanding: 3, share: 1 }];
    assert.equal(chooseTarget(targets, 'least_outstanding_requests', { next: 0 }, Math.random), 1);
  });
  it('least outstanding requests rotates among ties', () => {
    const state = { next: 0 };
    const targets = [{ outstanding: 0, share: 1 }, { outstanding: 0, share: 1 }];
    const seen = new Set(Array.from({ length: 4 }, () => chooseTarget(targets, 'least_outstanding_requests', state, Math.random)));
    assert.deepEqual([...seen].sort(), [0, 1]);
  });
  it('no candidates -> -1', () => assert.equal(chooseTarget([], 'round_robin', { next: 0 }, Math.random), -1));
  it('a target in slow start gets a share growing with its ramp', () => {
    const random = lcg(3);
    const share = (s: number) => {
      let hits = 0;
      for (let i = 0; i < 10_000; i++) if (chooseTarget([{ outstanding: 0, share: 1 }, { outstanding: 0, share: s }], 'round_robin', { next: 0 }, random) === 1) hits++;
      return hits / 10_000;
    };
    const early = share(0.1);
    const late = share(0.8);
    assert.ok(Math.abs(early - 0.1 / 1.1) < 0.03, `early ${early}`);
    assert.ok(Math.abs(late - 0.8 / 1.8) < 0.03, `late ${late}`);
  });
  it('slow start share is linear and ends at 1', () => {
    assert.equal(slowStartShare(undefined, 1000, 5), 1);
    assert.equal(slowStartShare(0, 1000, 250), 0.25);
    assert.equal(slowStartShare(0, 1000, 2000), 1);
    assert.equal(slowStartShare(0, 0, 10), 1);
  });
});
