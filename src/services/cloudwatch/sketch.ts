/**
 * The percentile sketch kept with every stored bucket: a log-bucketed histogram (the DDSketch
 * idea) with a relative accuracy of {@link RELATIVE_ACCURACY}. A value v > 0 falls in bin
 * i = ceil(log_gamma(v)) with gamma = (1 + a) / (1 - a); every value in bin i lies within a
 * relative error a of the bin's representative 2 gamma^i / (gamma + 1). Sketches of two buckets
 * merge by adding counts, so rollups keep percentiles. Zero (and anything below
 * {@link MIN_POSITIVE}) has its own bin. A sketch keeps at most {@link MAX_BINS} bins; past that
 * the lowest bins are folded together, which only coarsens the low ranks (p99 and friends keep
 * their accuracy). CloudWatch offers no percentiles over negative values, so negatives are not
 * sketched: the bucket is marked as having none (see metric-store.ts).
 */

/** Every value returned by {@link quantile} lies within this relative error of a true sample at that rank. */
export const RELATIVE_ACCURACY = 0.01;
/**
 * The most bins a sketch keeps: the stated accuracy holds for every rank while a bucket's values
 * span less than a factor of e^(512 * 0.02), about 28,000, between its smallest positive and its
 * largest value; a stored bucket is at most about 1.5 KB.
 */
export const MAX_BINS = 512;
/** Values below this are counted in the zero bin. */
export const MIN_POSITIVE = 1e-100;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
/** The zero bin's index: below every real index (values are at most 2^360, so |i| < 42,000). */
const ZERO_BIN = -1_000_000;

/** Bin index -> count (counts may be fractional: PutMetricData's Counts are doubles). */
export type Sketch = Map<number, number>;

/** The bin a non-negative value falls in. */
export function binOf(value: number): number {
  if (value < MIN_POSITIVE) return ZERO_BIN;
  return Math.ceil(Math.log(value) / LN_GAMMA);
}

/** A bin's representative value (the one within the relative accuracy of every value in it). */
export function binValue(bin: number): number {
  if (bin === ZERO_BIN) return 0;
  return (2 * Math.pow(GAMMA, bin)) / (GAMMA + 1);
}

/** Adds `count` samples of `value` (non-negative) to `sketch`. */
export function addValue(sketch: Sketch, value: number, count = 1): void {
  const bin = binOf(value);
  sketch.set(bin, (sketch.get(bin) ?? 0) + count);
  if (sketch.size > MAX_BINS) collapse(sketch);
}

/** Adds every bin of `from` into `into`. */
export function mergeInto(into: Sketch, from: Sketch): void {
  for (const [bin, n] of from) into.set(bin, (into.get(bin) ?? 0) + n);
  if (into.size > MAX_BINS) collapse(into);
}

/** Folds the lowest bins into one so at most MAX_BINS remain. */
function collapse(sketch: Sketch): void {
  const bins = [...sketch.keys()].sort((a, b) => a - b);
  const excess = bins.length - MAX_BINS;
  const target = bins[excess];
  let folded = 0;
  for (let i = 0; i < excess; i++) {
    folded += sketch.get(bins[i])!;
    sketch.delete(bins[i]);
  }
  sketch.set(target, sketch.get(target)! + folded);
}

/**
 * The p-th percentile (0 < p <= 100) by nearest rank: the smallest value with at least p% of the
 * samples at or below it, clamped to [min, max] of the bucket so p0/p100 are exact.
 */
export function quantile(sketch: Sketch, p: number, min: number, max: number): number | undefined {
  let total = 0;
  for (const n of sketch.values()) total += n;
  if (!(total > 0)) return undefined;
  const rank = (p / 100) * total;
  const bins = [...sketch.keys()].sort((a, b) => a - b);
  let seen = 0;
  for (const bin of bins) {
    seen += sketch.get(bin)!;
    // A small tolerance so that fractional counts adding up to the rank are not missed.
    if (seen >= rank - 1e-9 * total) return Math.min(max, Math.max(min, binValue(bin)));
  }
  return max;
}

/**
 * Compact encoding for SQLite: per bin (ascending), the zig-zag varint of the index's delta from
 * the previous one, then the count as varint(2c) when it is a small whole number, else varint(1)
 * and a float64. A bin of count 1 costs two or three bytes.
 */
export function encodeSketch(sketch: Sketch): Buffer {
  const bins = [...sketch.keys()].sort((a, b) => a - b);
  const out: number[] = [];
  let prev = 0;
  for (const bin of bins) {
    const delta = bin - prev;
    prev = bin;
    pushVarint(out, delta >= 0 ? delta * 2 : -delta * 2 - 1);
    const n = sketch.get(bin)!;
    if (Number.isInteger(n) && n >= 0 && n < 2 ** 40) pushVarint(out, n * 2);
    else {
      pushVarint(out, 1);
      const f = Buffer.alloc(8);
      f.writeDoubleLE(n);
      out.push(...f);
    }
  }
  return Buffer.from(out);
}

/** Reads what {@link encodeSketch} wrote. */
export function decodeSketch(buf: Uint8Array): Sketch {
  const sketch: Sketch = new Map();
  let pos = 0;
  let prev = 0;
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = buf[pos++];
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
  };
  while (pos < buf.length) {
    const z = varint();
    prev += z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    const c = varint();
    if (c === 1) {
      sketch.set(prev, Buffer.from(buf.buffer, buf.byteOffset + pos, 8).readDoubleLE(0));
      pos += 8;
    } else sketch.set(prev, c / 2);
  }
  return sketch;
}

function pushVarint(out: number[], n: number): void {
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
}
