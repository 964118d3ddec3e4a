import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, MathError, parseExpression, referencedIds, type MathContext, type MathValue, type Points } from './math.js';

const series = (pairs: [number, number][]): MathValue => ({ kind: 'series', points: new Map(pairs) });
const m1 = series([[0, 1], [60, 2], [120, 3]]);
const m2 = series([[0, 10], [120, 30], [180, 40]]);
const gap = series([[0, 5], [180, 20]]);

function run(text: string, grid = [0, 60, 120, 180]): MathValue {
  const values: Record<string, MathValue> = { m1, m2, gap };
  const ctx: MathContext = {
    resolve: (id) => {
      if (!values[id]) throw new MathError(`no query has the Id ${id}`);
      return values[id];
    },
    metrics: () => [m1, m2].map((v) => (v as { points: Points }).points),
    grid,
  };
  return evaluate(parseExpression(text), ctx);
}
const pts = (v: MathValue) => (v.kind === 'series' ? [...v.points].sort((a, b) => a[0] - b[0]) : v);

describe('metric math', () => {
  it('follows arithmetic precedence over scalars, with unary minus and powers', () => {
    assert.deepEqual(run('1 + 2 * 3 - 4 / 2'), { kind: 'scalar', value: 5 });
    assert.deepEqual(run('-(2 + 3) * 2 ^ 2'), { kind: 'scalar', value: -20 });
    assert.deepEqual(run('2 ^ 3 ^ 2'), { kind: 'scalar', value: 512 });
    assert.deepEqual(run('.5 * 1e2'), { kind: 'scalar', value: 50 });
  });

  it('applies scalars to every point and keeps only timestamps both series have', () => {
    assert.deepEqual(pts(run('m1 * 100')), [[0, 100], [60, 200], [120, 300]]);
    assert.deepEqual(pts(run('m2 - m1')), [[0, 9], [120, 27]]);
    assert.deepEqual(pts(run('(m1 + m2) / 2')), [[0, 5.5], [120, 16.5]]);
  });

  it('leaves out points that are not finite (division by zero)', () => {
    assert.deepEqual(pts(run('m1 / (m1 - 2)')), [[0, -1], [120, 3]]);
  });

  it('reduces one series to a scalar and an array point by point', () => {
    assert.deepEqual(run('SUM(m1)'), { kind: 'scalar', value: 6 });
    assert.deepEqual(run('AVG(m2)'), { kind: 'scalar', value: 80 / 3 });
    assert.deepEqual(pts(run('SUM([m1, m2])')), [[0, 11], [60, 2], [120, 33], [180, 40]]);
    assert.deepEqual(pts(run('MAX([m1, m2])')), [[0, 10], [60, 2], [120, 30], [180, 40]]);
    assert.deepEqual(pts(run('MIN(METRICS())')), [[0, 1], [60, 2], [120, 3], [180, 40]]);
    assert.deepEqual(pts(run('AVG([m1, m2 * 2])')), [[0, 10.5], [60, 2], [120, 31.5], [180, 80]]);
  });

  it('fills missing points with a value, the last value, or a straight line', () => {
    assert.deepEqual(pts(run('FILL(gap, 0)')), [[0, 5], [60, 0], [120, 0], [180, 20]]);
    assert.deepEqual(pts(run('FILL(m1, REPEAT)')), [[0, 1], [60, 2], [120, 3], [180, 3]]);
    assert.deepEqual(pts(run('FILL(gap, LINEAR)')), [[0, 5], [60, 10], [120, 15], [180, 20]]);
    assert.deepEqual(pts(run('SUM([FILL(m1, 0), FILL(m2, 0)])')), [[0, 11], [60, 2], [120, 33], [180, 40]]);
    assert.deepEqual(pts(run('ABS(m1 - 2)')), [[0, 1], [60, 0], [120, 1]]);
  });

  it('names what is wrong with a bad expression', () => {
    assert.throws(() => parseExpression('m1 +'), /ends too early/);
    assert.throws(() => parseExpression('m1 m2'), /unexpected "m2"/);
    assert.throws(() => parseExpression('SUM(m1'), /expected "\)"/);
    assert.throws(() => parseExpression('m1 % 2'), /unexpected "%"/);
    assert.throws(() => run('nope * 2'), /no query has the Id nope/);
    assert.throws(() => run('MEDIAN(m1)'), /unknown function MEDIAN/);
    assert.throws(() => run('SUM(m1, m2)'), /SUM takes 1 argument/);
    assert.throws(() => run('[m1] + [m2]'), /two arrays/);
    assert.throws(() => run('FILL(m1, m2)'), /second argument/);
  });

  it('lists the ids an expression refers to, not FILL\'s keywords', () => {
    assert.deepEqual(referencedIds(parseExpression('FILL(m1, REPEAT) + SUM([m2, e1]) * 3')), ['m1', 'm2', 'e1']);
  });
});
