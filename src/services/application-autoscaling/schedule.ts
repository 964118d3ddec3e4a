/**
 * Scheduled action schedules as Application Auto Scaling takes them: `at(yyyy-mm-ddThh:mm:ss)`,
 * `rate(value unit)` and `cron(minutes hours day-of-month month day-of-week year)`; parse
 * answers what is wrong in words.
 */

export type Schedule =
  | { kind: 'at'; at: { year: number; month: number; day: number; hour: number; minute: number; second: number } }
  | { kind: 'rate'; seconds: number }
  | { kind: 'cron'; fields: string[] };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** One cron field's range and the names it accepts. */
const CRON_FIELDS: { name: string; min: number; max: number; names?: string[]; extra?: RegExp }[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, extra: /^(L|L-\d{1,2}|\d{1,2}W|LW)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, extra: /^([1-7]|SUN|MON|TUE|WED|THU|FRI|SAT)(L|#[1-5])$|^L$/ },
  { name: 'year', min: 1970, max: 2199 },
];

function checkCronValue(f: (typeof CRON_FIELDS)[number], v: string): boolean {
  if (/^\d+$/.test(v)) return Number(v) >= f.min && Number(v) <= f.max;
  return f.names?.includes(v.toUpperCase()) ?? false;
}

function checkCronField(f: (typeof CRON_FIELDS)[number], field: string): string | undefined {
  if (field === '*' || (field === '?' && (f.name === 'day-of-month' || f.name === 'day-of-week'))) return undefined;
  if (f.extra?.test(field.toUpperCase())) return undefined;
  for (const part of field.split(',')) {
    const m = /^([^/-]+|\*)(?:-([^/]+))?(?:\/(\d+))?$/.exec(part);
    if (!m) return `the ${f.name} field ${field} is not valid`;
    const [, from, to, step] = m;
    if (from !== '*' && !checkCronValue(f, from)) return `the ${f.name} field ${field} is out of range (${f.min}-${f.max})`;
    if (to !== undefined && !checkCronValue(f, to)) return `the ${f.name} field ${field} is out of range (${f.min}-${f.max})`;
    if (step !== undefined && Number(step) < 1) return `the ${f.name} field ${field} has a zero step`;
  }
  return undefined;
}

/** Parses a schedule; throws an Error saying what is wrong. */
export function parseSchedule(text: string): Schedule {
  const at = /^at\((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\)$/.exec(text);
  if (at) {
    const [year, month, day, hour, minute, second] = at.slice(1).map(Number);
    const d = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
    if (d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) throw new Error(`${text} is not a valid date and time`);
    return { kind: 'at', at: { year, month, day, hour, minute, second } };
  }
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(text);
  if (rate) {
    const value = Number(rate[1]);
    if (value < 1) throw new Error(`the rate value of ${text} must be at least 1`);
    const unit = rate[2].replace(/s$/, '');
    return { kind: 'rate', seconds: value * (unit === 'minute' ? 60 : unit === 'hour' ? 3600 : 86_400) };
  }
  const cron = /^cron\((.*)\)$/.exec(text);
  if (cron) {
    const fields = cron[1].trim().split(/\s+/);
    if (fields.length !== 6) throw new Error(`${text} must have 6 fields (minutes hours day-of-month month day-of-week year); got ${fields.length}`);
    fields.forEach((field, i) => {
      const problem = checkCronField(CRON_FIELDS[i], field);
      if (problem) throw new Error(problem);
    });
    if ((fields[2] === '?') === (fields[4] === '?')) throw new Error(`${text} must use ? in exactly one of day-of-month and day-of-week`);
    return { kind: 'cron', fields };
  }
  throw new Error(`${text} is not at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(fields)`);
}

/** Whether `tz` is an IANA time zone the runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
