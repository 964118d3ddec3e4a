/**
 * The alarm state machine: CloudWatch's documented table of missing-data examples, M out of N,
 * each comparison operator, the reason texts, and fast-check properties over random ranges.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { breaches, COMPARISON_OPERATORS, evaluateAlarm, evaluationRange, formatDouble, TREAT_MISSING_DATA, type Datapoint, type EvaluationConfig, type StateValue, type TreatMissingData } from './alarm-evaluate.js';

const T0 = Date.UTC(2026, 10, 30, 2, 6, 0);
const MIN = 60_000;
const NOW = T0 + 5 * MIN + 5_000;
const base: EvaluationConfig = { period: 60, evaluationPeriods: 3, datapointsToAlarm: 3, threshold: 80, comparisonOperator: 'GreaterThanThreshold', statistic: 'Average' };

/** '0 - X - X' -> datapoints: 0 not breaching (10), X breaching (90), - missing; oldest first. */
function range(pattern: string): Datapoint[] {
  return pattern.split(' ').map((c, i) => ({ timestamp: T0 + i * MIN, ...(c === '-' ? {} : { value: c === 'X' ? 90 : 10 }) }));
}
const run = (pattern: string, treat: TreatMissingData, state: StateValue, config: Partial<EvaluationConfig> = {}) =>
  evaluateAlarm({ config: { ...base, treatMissingData: treat, ...config }, datapoints: range(pattern), state, now: NOW });

describe('alarm evaluation: the documented missing-data table (3 of 3, range of 5)', () => {
  // Rows of CloudWatch's table; 'keep' = the current state is retained.
  const table: [string, Record<TreatMissingData, StateValue | 'keep'>][] = [
    ['0 - X - X', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
    ['- - - - 0', { missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' }],
    ['- - - - -', { missing: 'INSUFFICIENT_DATA', ignore: 'keep', breaching: 'ALARM', notBreaching: 'OK' }],
    ['0 X X - X', { missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' }],
    ['- - X - -', { missing: 'keep', ignore: 'keep', breaching: 'ALARM', notBreaching: 'OK' }],
  ];
  for (const [pattern, expected] of table) {
    for (const treat of TREAT_MISSING_DATA) {
      it(`${pattern} with ${treat} -> ${expected[treat]}`, () => {
        // From each starting state, so 'keep' is told apart from a transition to the same state.
        for (const from of ['OK', 'ALARM', 'INSUFFICIENT_DATA'] as const) {
          const r = run(pattern, treat, from);
          const want = expected[treat] === 'keep' ? from : expected[treat];
          assert.equal(r.state, want, `from ${from}`);
          assert.equal(r.changed, want !== from);
        }
      });
    }
  }
});

describe('alarm evaluation: M out of N and reasons', () => {
  it('alarms on 2 of 3 breaching datapoints and writes CloudWatch\'s reason', () => {
    const r = run('0 0 X 0 X', 'missing', 'OK', { datapointsToAlarm: 2 });
    assert.equal(r.state, 'ALARM');
    assert.equal(
      r.reason,
      'Threshold Crossed: 2 out of the last 3 datapoints [90.0 (30/11/26 02:10:00), 90.0 (30/11/26 02:08:00)] were greater than the threshold (80.0) (minimum 2 datapoints for OK -> ALARM transition).',
    );
    const data = JSON.parse(r.reasonData);
    assert.equal(data.version, '1.0');
    assert.equal(data.statistic, 'Average');
    assert.equal(data.period, 60);
    assert.equal(data.threshold, 80);
    assert.deepEqual(data.recentDatapoints, [10, 10, 90, 10, 90]);
    assert.deepEqual(data.evaluatedDatapoints.map((d: any) => d.timestamp), ['2026-11-30T02:10:00.000+0000', '2026-11-30T02:09:00.000+0000', '2026-11-30T02:08:00.000+0000']);
    assert.match(r.reasonData, /"threshold":80\.0,/);
  });

  it('goes back to OK once N - M + 1 datapoints do not breach', () => {
    const r = run('X X X X 0', 'missing', 'ALARM', { datapointsToAlarm: 3 });
    assert.equal(r.state, 'OK');
    assert.equal(r.reason, 'Threshold Crossed: 1 out of the last 3 datapoints [10.0 (30/11/26 02:10:00)] was not greater than the threshold (80.0) (minimum 1 datapoint for ALARM -> OK transition).');
    // 2 of 3: one non-breaching datapoint is not enough to leave ALARM when two still breach.
    assert.equal(run('X X X X 0', 'missing', 'ALARM', { datapointsToAlarm: 2 }).state, 'ALARM');
  });

  it('writes the INSUFFICIENT_DATA and filled-missing reasons', () => {
    assert.equal(run('- - - - -', 'missing', 'OK').reason, 'Insufficient Data: 5 datapoints were unknown.');
    assert.equal(run('- - - - -', 'breaching', 'OK').reason, 'Threshold Crossed: no datapoints were received for 5 periods and 3 missing datapoints were treated as [Breaching].');
    assert.equal(
      run('- - - - X', 'breaching', 'OK').reason,
      'Threshold Crossed: 1 out of the last 3 datapoints [90.0 (30/11/26 02:10:00)] was greater than the threshold (80.0) and 2 missing datapoints were treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition).',
    );
    assert.equal(run('X 0 - - -', 'notBreaching', 'ALARM').reason, 'Threshold Crossed: 3 missing datapoints were treated as [NotBreaching] (minimum 1 datapoint for ALARM -> OK transition).');
  });

  it('keeps the state for low-sample percentiles only with EvaluateLowSampleCountPercentile ignore', () => {
    const datapoints = range('X X X X X').map((d) => ({ ...d, lowSample: true }));
    const config = { ...base, statistic: 'p99' };
    assert.equal(evaluateAlarm({ config: { ...config, evaluateLowSampleCountPercentile: 'ignore' }, datapoints, state: 'OK', now: NOW }).state, 'OK');
    assert.equal(evaluateAlarm({ config: { ...config, evaluateLowSampleCountPercentile: 'evaluate' }, datapoints, state: 'OK', now: NOW }).state, 'ALARM');
  });

  it('compares with each operator at the threshold itself', () => {
    assert.deepEqual(COMPARISON_OPERATORS.map((op) => breaches(op, 80, 80)), [true, false, false, true]);
    assert.equal(run('0 0 0 0 0', 'missing', 'OK', { comparisonOperator: 'LessThanThreshold', threshold: 50 }).state, 'ALARM');
  });

  it('formats doubles as CloudWatch does and aligns the range to ended periods', () => {
    assert.deepEqual([85, 0.5, -3, 12345678].map(formatDouble), ['85.0', '0.5', '-3.0', '1.2345678E7']);
    assert.deepEqual(evaluationRange(60, 3, NOW), [0, 1, 2, 3, 4].map((i) => T0 + i * MIN));
  });
});

describe('alarm evaluation: properties', () => {
  const cell = fc.option(fc.double({ min: -1000, max: 1000, noNaN: true }), { nil: undefined });
  const arb = fc
    .record({ n: fc.integer({ min: 1, max: 6 }), treat: fc.constantFrom(...TREAT_MISSING_DATA), op: fc.constantFrom(...COMPARISON_OPERATORS), threshold: fc.double({ min: -500, max: 500, noNaN: true }), state: fc.constantFrom<StateValue>('OK', 'ALARM', 'INSUFFICIENT_DATA') })
    .chain((r) => fc.record({ r: fc.constant(r), m: fc.integer({ min: 1, max: r.n }), values: fc.array(cell, { minLength: r.n + 2, maxLength: r.n + 2 }) }));
  const evaluate = ({ r, m, values }: { r: { n: number; treat: TreatMissingData; op: any; threshold: number; state: StateValue }; m: number; values: (number | undefined)[] }) =>
    evaluateAlarm({
      config: { period: 60, evaluationPeriods: r.n, datapointsToAlarm: m, threshold: r.threshold, comparisonOperator: r.op, treatMissingData: r.treat },
      datapoints: values.map((v, i) => ({ timestamp: T0 + i * MIN, ...(v === undefined ? {} : { value: v }) })),
      state: r.state,
      now: NOW,
    });

  it('with at least N real datapoints the missing-data mode does not matter', () => {
    fc.assert(
      fc.property(arb, (x) => {
        fc.pre(x.values.filter((v) => v !== undefined).length >= x.r.n);
        const states = TREAT_MISSING_DATA.map((treat) => evaluate({ ...x, r: { ...x.r, treat } }).state);
        return states.every((s) => s === states[0]) && states[0] !== 'INSUFFICIENT_DATA';
      }),
    );
  });

  it('INSUFFICIENT_DATA is reached only with missing and an empty range; changed says whether the state moved', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const e = evaluate(x);
        assert.equal(e.changed, e.state !== x.r.state);
        if (e.state === 'INSUFFICIENT_DATA' && e.changed) assert.ok(x.r.treat === 'missing' && x.values.every((v) => v === undefined));
        assert.doesNotThrow(() => JSON.parse(e.reasonData));
      }),
    );
  });

  it('breaching is never less alarming than missing, and missing never more than notBreaching would allow', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const as = (treat: TreatMissingData) => evaluate({ ...x, r: { ...x.r, treat } }).state;
        if (as('missing') === 'ALARM') assert.equal(as('breaching'), 'ALARM');
        if (as('notBreaching') === 'ALARM') assert.equal(as('missing'), 'ALARM');
      }),
    );
  });

  it('ALARM needs at least M breaching datapoints among the evaluated ones (real or filled as breaching)', () => {
    fc.assert(
      fc.property(arb, (x) => {
        const e = evaluate(x);
        if (!e.changed || e.state !== 'ALARM') return;
        const real = x.values.filter((v): v is number => v !== undefined);
        const window = real.length >= x.r.n ? real.slice(-x.r.n) : x.values.slice(-x.r.n);
        const count = window.filter((v) => (v === undefined ? x.r.treat === 'breaching' : breaches(x.r.op, v, x.r.threshold))).length;
        assert.ok(count >= x.m || real.length === 0, `${count} < ${x.m}`);
      }),
    );
  });
});
