import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addValue, decodeSketch, encodeSketch, MAX_BINS, mergeInto, quantile, RELATIVE_ACCURACY, type Sketch } from './sketch.js';

/** A deterministic pseudo-random sequence (mulberry32), so failures reproduce. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The exact nearest-rank percentile. */
function exact(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p * sorted.length) / 100 - 1e-9) - 1)];
}

describe('percentile sketch', () => {
  it('answers p50, p90, p99 and p99.9 within the stated relative accuracy over skewed data', () => {
    const rnd = random(7);
    // Latencies in ms: 1 to 400 ms and a 2% tail 20 times slower (a range of 8,000).
    const values = Array.from({ length: 20_000 }, () => Math.exp(rnd() * 6) * (rnd() < 0.02 ? 20 : 1));
    const sketch: Sketch = new Map();
    for (const v of values) addValue(sketch, v);
    for (const p of [50, 90, 99, 99.9]) {
      const got = quantile(sketch, p, Math.min(...values), Math.max(...values))!;
      const want = exact(values, p);
      assert.ok(Math.abs(got - want) <= RELATIVE_ACCURACY * want * 1.0001, `p${p}: got ${got}, want ${want}`);
    }
  });

  it('merges sketches so the merged percentile is that of all values', () => {
    const rnd = random(11);
    const a: Sketch = new Map();
    const b: Sketch = new Map();
    const all: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const v = 1 + rnd() * 999;
      addValue(i % 2 ? a : b, v);
      all.push(v);
    }
    mergeInto(a, b);
    const got = quantile(a, 99, 1, 1000)!;
    assert.ok(Math.abs(got - exact(all, 99)) <= RELATIVE_ACCURACY * exact(all, 99) * 1.0001);
  });

  it('keeps at most MAX_BINS bins, folding the lowest so high percentiles keep their accuracy', () => {
    const sketch: Sketch = new Map();
    const values = Array.from({ length: 2000 }, (_, i) => Math.pow(1.05, i / 4));
    for (const v of values) addValue(sketch, v);
    assert.equal(sketch.size, MAX_BINS);
    const want = exact(values, 99);
    const got = quantile(sketch, 99, values[0], values[values.length - 1])!;
    assert.ok(Math.abs(got - want) <= RELATIVE_ACCURACY * want * 1.0001, `got ${got}, want ${want}`);
  });

  it('counts zero in its own bin and clamps answers to the bucket minimum and maximum', () => {
    const sketch: Sketch = new Map();
    addValue(sketch, 0, 9);
    addValue(sketch, 42);
    assert.equal(quantile(sketch, 50, 0, 42), 0);
    const top = quantile(sketch, 100, 0, 42)!;
    assert.ok(top <= 42 && top >= 42 * (1 - RELATIVE_ACCURACY));
    // Clamped: a bucket whose only value is 42 answers 42 exactly, not the bin's representative.
    const one: Sketch = new Map();
    addValue(one, 42);
    assert.equal(quantile(one, 99, 42, 42), 42);
  });

  it('encodes and decodes bins with whole and fractional counts and negative indexes', () => {
    const sketch: Sketch = new Map();
    addValue(sketch, 0.001, 3);
    addValue(sketch, 0);
    addValue(sketch, 12345.678, 0.25);
    addValue(sketch, 1e300, 2 ** 45);
    const back = decodeSketch(encodeSketch(sketch));
    assert.deepEqual([...back].sort((x, y) => x[0] - y[0]), [...sketch].sort((x, y) => x[0] - y[0]));
    // A one-value bucket (the common 1-second case) is a few bytes.
    const one: Sketch = new Map();
    addValue(one, 57.3);
    assert.ok(encodeSketch(one).length <= 3);
  });
});
