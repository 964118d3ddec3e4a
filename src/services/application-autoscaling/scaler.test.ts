import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decide, percentChange, stepFor, type ScalerInput } from './scaler.js';
import type { StepScalingConfig, TargetTrackingConfig } from './records.js';

const NOW = 1_000_000_000;
const open = { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false };
const ago = (s: number) => NOW - s * 1000;
type TT = Extract<ScalerInput, { type: 'TargetTrackingScaling' }>;
type Step = Extract<ScalerInput, { type: 'StepScaling' }>;
const tt = (over: Partial<TT> & { cfg?: Partial<TargetTrackingConfig> } = {}): ScalerInput => {
  const { cfg, ...rest } = over;
  return { type: 'TargetTrackingScaling', config: { TargetValue: 60, ...cfg }, alarm: 'high', current: 2, min: 1, max: 10, metric: 90, now: NOW, history: {}, suspended: open, ...rest };
};
const STEPS_OUT: StepScalingConfig = {
  AdjustmentType: 'ChangeInCapacity',
  StepAdjustments: [
    { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
    { MetricIntervalLowerBound: 10, MetricIntervalUpperBound: 20, ScalingAdjustment: 2 },
    { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
  ],
};
const step = (over: Partial<Step> & { cfg?: Partial<StepScalingConfig> } = {}): ScalerInput => {
  const { cfg, ...rest } = over;
  return { type: 'StepScaling', config: { ...STEPS_OUT, ...cfg }, threshold: 60, current: 2, min: 1, max: 10, metric: 65, now: NOW, history: {}, suspended: open, ...rest };
};
const scale = (to: number, direction: 'out' | 'in') => ({ kind: 'scale', to, direction });

describe('scaler: target tracking', () => {
  it('scales out to ceil(current × metric / target), clamped to max', () => {
    const rows: [current: number, metric: number, target: number, expected: object][] = [
      [2, 90, 60, scale(3, 'out')],
      [2, 61, 60, scale(3, 'out')],
      [3, 100, 50, scale(6, 'out')],
      [4, 99, 33, scale(10, 'out')], // 12, clamped to max 10
      [10, 95, 60, { kind: 'not-scaled', code: 'AlreadyAtMaxCapacity', wanted: 16, direction: 'out' }],
      [0, 80, 60, scale(1, 'out')], // no task: one is the first step
    ];
    for (const [current, metric, target, expected] of rows) {
      assert.deepEqual(decide(tt({ current, metric, cfg: { TargetValue: target } })), expected, `${current} tasks at ${metric} for ${target}`);
    }
  });

  it('scales in gradually, never below what keeps the metric under the target, nor below min', () => {
    const rows: [current: number, metric: number, min: number, expected: object][] = [
      [10, 10, 1, scale(9, 'in')], // 2 tasks would do; a tenth (1) goes
      [30, 10, 1, scale(27, 'in')], // a tenth: 3
      [20, 5, 1, scale(18, 'in')],
      [10, 50, 1, scale(9, 'in')], // 9 tasks carry 55.6 < 60
      [10, 57, 1, { kind: 'not-scaled', code: 'AlreadyAtDesiredCapacity', wanted: 10, direction: 'in' }], // 9 would carry 63.3
      [3, 10, 1, scale(2, 'in')],
      [2, 10, 2, { kind: 'not-scaled', code: 'AlreadyAtMinCapacity', wanted: 1, direction: 'in' }],
      [5, 10, 4, scale(4, 'in')],
    ];
    for (const [current, metric, min, expected] of rows) {
      assert.deepEqual(decide(tt({ alarm: 'low', current, metric, min, max: 50 })), expected, `${current} tasks at ${metric}, min ${min}`);
    }
  });

  it('counts the last scale-out toward the next one during the scale-out cooldown (300 s by default)', () => {
    const lastScaleOut = { at: ago(60), from: 2, to: 3 };
    // The metric still reflects 2 tasks: 2 × 90 / 60 = 3, already there.
    assert.deepEqual(decide(tt({ current: 3, history: { lastScaleOut } })), { kind: 'not-scaled', code: 'AlreadyAtDesiredCapacity', wanted: 3, direction: 'out' });
    // A higher metric adds what goes beyond: 2 × 150 / 60 = 5.
    assert.deepEqual(decide(tt({ current: 3, metric: 150, history: { lastScaleOut } })), scale(5, 'out'));
    // After the cooldown the current count is the base: 3 × 90 / 60 = 4.5 → 5.
    assert.deepEqual(decide(tt({ current: 3, history: { lastScaleOut: { ...lastScaleOut, at: ago(300) } } })), scale(5, 'out'));
    assert.deepEqual(decide(tt({ current: 3, cfg: { ScaleOutCooldown: 30 }, history: { lastScaleOut } })), scale(5, 'out'));
  });

  it('blocks scale-in during the scale-in cooldown but not scale-out', () => {
    const history = { lastScaleIn: { at: ago(100), from: 5, to: 4 } };
    assert.equal(decide(tt({ alarm: 'low', current: 4, metric: 10, history })).kind, 'skip');
    assert.deepEqual(decide(tt({ alarm: 'low', current: 4, metric: 10, history, cfg: { ScaleInCooldown: 60 } })), scale(3, 'in'));
    assert.deepEqual(decide(tt({ alarm: 'low', current: 4, metric: 10, history: { lastScaleIn: { ...history.lastScaleIn, at: ago(301) } } })), scale(3, 'in'));
    assert.deepEqual(decide(tt({ current: 4, metric: 90, history })), scale(6, 'out'));
  });

  it('skips when scale-in is disabled, scaling is suspended or the alarm had no value', () => {
    assert.equal(decide(tt({ alarm: 'low', metric: 10, current: 5, cfg: { DisableScaleIn: true } })).kind, 'skip');
    assert.equal(decide(tt({ alarm: 'low', metric: 10, current: 5, suspended: { ...open, DynamicScalingInSuspended: true } })).kind, 'skip');
    assert.equal(decide(tt({ suspended: { ...open, DynamicScalingOutSuspended: true } })).kind, 'skip');
    assert.equal(decide(tt({ metric: undefined })).kind, 'skip');
  });
});

describe('scaler: step scaling', () => {
  it('finds the step of the breach with AWS bound rules', () => {
    const steps = STEPS_OUT.StepAdjustments;
    assert.equal(stepFor(steps, 0)?.ScalingAdjustment, 1, 'lower bound inclusive above the threshold');
    assert.equal(stepFor(steps, 9.99)?.ScalingAdjustment, 1);
    assert.equal(stepFor(steps, 10)?.ScalingAdjustment, 2);
    assert.equal(stepFor(steps, 1000)?.ScalingAdjustment, 3);
    assert.equal(stepFor(steps, -1), undefined);
    const below = [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }];
    assert.equal(stepFor(below, -0.5)?.ScalingAdjustment, -1);
    assert.equal(stepFor(below, 0), undefined, 'upper bound exclusive at the threshold itself');
  });

  it('applies ChangeInCapacity, PercentChangeInCapacity and ExactCapacity within min and max', () => {
    const rows: [input: ScalerInput, expected: object][] = [
      [step({ metric: 65 }), scale(3, 'out')],
      [step({ metric: 70 }), scale(4, 'out')],
      [step({ metric: 85 }), scale(5, 'out')],
      [step({ metric: 85, max: 4 }), scale(4, 'out')],
      [step({ metric: 85, current: 10 }), { kind: 'not-scaled', code: 'AlreadyAtMaxCapacity', wanted: 13, direction: 'out' }],
      [step({ metric: 59 }), { kind: 'skip', why: 'no step adjustment covers a breach of -1' }],
      [step({ threshold: 30, metric: 20, cfg: { StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] } }), scale(1, 'in')],
      [step({ threshold: 30, metric: 20, current: 1, cfg: { StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] } }), { kind: 'not-scaled', code: 'AlreadyAtMinCapacity', wanted: 0, direction: 'in' }],
      [step({ current: 10, max: 20, cfg: { AdjustmentType: 'PercentChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 25 }] } }), scale(12, 'out')],
      [step({ current: 10, max: 20, cfg: { AdjustmentType: 'PercentChangeInCapacity', MinAdjustmentMagnitude: 3, StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 10 }] } }), scale(13, 'out')],
      [step({ current: 2, cfg: { AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 5 }] } }), scale(5, 'out')],
      [step({ current: 8, cfg: { AdjustmentType: 'ExactCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 5 }] } }), scale(5, 'in')],
    ];
    rows.forEach(([input, expected], i) => assert.deepEqual(decide(input), expected, `row ${i}`));
  });

  it('rounds percentage changes as AWS documents', () => {
    assert.equal(percentChange(10, 25, undefined), 2); // 2.5 rounds down
    assert.equal(percentChange(2, 10, undefined), 1); // 0.2 rounds up to 1
    assert.equal(percentChange(10, -15, undefined), -1); // -1.5 rounds toward zero
    assert.equal(percentChange(2, -10, undefined), -1); // -0.2 rounds to -1
    assert.equal(percentChange(10, -10, 3), -3);
  });

  it('counts the last scale-out during the cooldown and blocks scale-in inside it', () => {
    const lastScaleOut = { at: ago(60), from: 2, to: 4 };
    // +3 on the capacity before the last scale-out: 5, one more than now.
    assert.deepEqual(decide(step({ metric: 85, current: 4, history: { lastScaleOut } })), scale(5, 'out'));
    assert.deepEqual(decide(step({ metric: 65, current: 4, history: { lastScaleOut } })), { kind: 'not-scaled', code: 'AlreadyAtDesiredCapacity', wanted: 3, direction: 'out' });
    assert.deepEqual(decide(step({ metric: 65, current: 4, history: { lastScaleOut: { ...lastScaleOut, at: ago(400) } } })), scale(5, 'out'));
    const scaleIn = { threshold: 30, metric: 20, current: 4, cfg: { Cooldown: 120, StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] } };
    assert.equal(decide(step({ ...scaleIn, history: { lastScaleOut } })).kind, 'skip');
    assert.deepEqual(decide(step({ ...scaleIn, history: { lastScaleOut: { ...lastScaleOut, at: ago(121) } } })), scale(3, 'in'));
  });
});

describe('scaler: cooldowns at --time-scale', () => {
  it('a cooldown of C seconds lasts round(C / N) real seconds (at least one); 0 stays 0; unchanged at 1', () => {
    // Default scale-in cooldown 300 s: 5 s at 60.
    const lastScaleIn = (s: number) => ({ lastScaleIn: { at: ago(s), from: 5, to: 4 } });
    const low = (history: object, timeScale: number, cfg: Partial<TargetTrackingConfig> = {}) => decide(tt({ alarm: 'low', current: 4, metric: 10, history, timeScale, cfg }));
    assert.equal(low(lastScaleIn(4), 60).kind, 'skip');
    assert.deepEqual(low(lastScaleIn(6), 60), scale(3, 'in'));
    assert.equal(low(lastScaleIn(6), 1).kind, 'skip', 'at 1, 6 s is well inside 300 s');
    assert.equal(low(lastScaleIn(299), 1).kind, 'skip');
    assert.deepEqual(low(lastScaleIn(300), 1), scale(3, 'in'));
    // 30 s at 60 rounds to 0.5 -> at least 1 s; a cooldown of 0 is none at all.
    assert.equal(low({ lastScaleIn: { at: NOW - 500, from: 5, to: 4 } }, 60, { ScaleInCooldown: 30 }).kind, 'skip');
    assert.deepEqual(low({ lastScaleIn: { at: NOW, from: 5, to: 4 } }, 60, { ScaleInCooldown: 0 }), scale(3, 'in'));
    // Scale-out: inside the scaled cooldown the capacity before the last scale-out is the base.
    const lastScaleOut = (s: number) => ({ lastScaleOut: { at: ago(s), from: 2, to: 3 } });
    assert.equal(decide(tt({ current: 3, history: lastScaleOut(4), timeScale: 60 })).kind, 'not-scaled');
    assert.deepEqual(decide(tt({ current: 3, history: lastScaleOut(6), timeScale: 60 })), scale(5, 'out'));
    // Step scaling's Cooldown too.
    const scaleIn = { threshold: 30, metric: 20, current: 4, cfg: { Cooldown: 120, StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }] } };
    assert.equal(decide(step({ ...scaleIn, history: { lastScaleOut: { at: ago(1), from: 2, to: 4 } }, timeScale: 60 })).kind, 'skip');
    assert.deepEqual(decide(step({ ...scaleIn, history: { lastScaleOut: { at: ago(2), from: 2, to: 4 } }, timeScale: 60 })), scale(3, 'in'));
  });
});
