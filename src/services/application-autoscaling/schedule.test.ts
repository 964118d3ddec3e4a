import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cronMatches, dueOccurrence, parseSchedule, wallClock } from './schedule.js';

const utc = (iso: string) => Date.parse(iso);
const cron = (text: string) => (parseSchedule(`cron(${text})`) as { fields: string[] }).fields;
const matches = (text: string, iso: string, tz?: string) => cronMatches(cron(text), wallClock(utc(iso), tz));

describe('schedules', () => {
  it('reads wall clocks in a time zone, weekday 1 = Sunday', () => {
    assert.deepEqual(wallClock(utc('2026-11-29T23:30:00Z')), { year: 2026, month: 11, day: 29, hour: 23, minute: 30, second: 0, weekday: 1 });
    assert.deepEqual(wallClock(utc('2026-11-29T23:30:00Z'), 'Europe/Paris'), { year: 2026, month: 11, day: 30, hour: 0, minute: 30, second: 0, weekday: 2 });
  });

  it('matches cron fields as AWS documents them', () => {
    const rows: [expr: string, iso: string, expected: boolean, tz?: string][] = [
      ['0 8 ? * MON-FRI *', '2026-11-30T08:00:00Z', true], // a Monday
      ['0 8 ? * MON-FRI *', '2026-11-29T08:00:00Z', false], // a Sunday
      ['0 8 ? * MON-FRI *', '2026-11-30T08:01:00Z', false],
      ['0 8 ? * MON-FRI *', '2026-11-30T07:00:00Z', true, 'Europe/Paris'],
      ['*/15 * * * ? *', '2026-11-30T10:45:00Z', true],
      ['*/15 * * * ? *', '2026-11-30T10:50:00Z', false],
      ['0 0 L * ? *', '2026-02-28T00:00:00Z', true],
      ['0 0 L * ? *', '2026-02-27T00:00:00Z', false],
      ['0 12 ? * 6#3 *', '2026-11-20T12:00:00Z', true], // the third Friday
      ['0 12 ? * 6#3 *', '2026-11-13T12:00:00Z', false],
      ['0 12 ? * 2L *', '2026-11-30T12:00:00Z', true], // the last Monday
      ['0 12 15W * ? *', '2026-11-16T12:00:00Z', true], // the 15th is a Sunday: Monday the 16th
      ['0 12 1,15 JAN,JUL ? 2027', '2027-07-15T12:00:00Z', true],
      ['0 12 1,15 JAN,JUL ? 2027', '2026-07-15T12:00:00Z', false],
    ];
    for (const [expr, iso, expected, tz] of rows) assert.equal(matches(expr, iso, tz), expected, `${expr} at ${iso} ${tz ?? ''}`);
  });

  it('names each due occurrence once: at() once, rate() per period, cron() per minute', () => {
    const at = parseSchedule('at(2026-12-24T18:00:00)');
    assert.equal(dueOccurrence(at, utc('2026-12-24T17:59:59Z'), 0), undefined);
    assert.equal(dueOccurrence(at, utc('2026-12-24T18:00:00Z'), 0), 'at');
    assert.equal(dueOccurrence(at, utc('2026-12-24T17:00:00Z'), 0, 'Europe/Paris'), 'at', '18:00 in Paris is 17:00 UTC');
    const rate = parseSchedule('rate(5 minutes)');
    const anchor = utc('2026-11-30T00:00:00Z');
    assert.equal(dueOccurrence(rate, anchor + 299_000, anchor), undefined);
    assert.equal(dueOccurrence(rate, anchor + 300_000, anchor), 'rate:1');
    assert.equal(dueOccurrence(rate, anchor + 650_000, anchor), 'rate:2');
    const c = parseSchedule('cron(30 9 * * ? *)');
    assert.equal(dueOccurrence(c, utc('2026-11-30T09:30:40Z'), 0), 'cron:2026-11-30T9:30');
    assert.equal(dueOccurrence(c, utc('2026-11-30T09:31:00Z'), 0), undefined);
  });
});
