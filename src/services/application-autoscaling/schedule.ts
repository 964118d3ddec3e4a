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

/** A moment as a wall clock in a time zone shows it. `weekday` is 1 (Sunday) to 7 (Saturday), as cron counts. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

/** The wall clock of `ms` in `timeZone` (UTC when absent). */
export function wallClock(ms: number, timeZone = 'UTC'): WallClock {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', weekday: 'short',
  }).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return {
    year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
    hour: Number(get('hour')), minute: Number(get('minute')), second: Number(get('second')),
    weekday: DAYS.indexOf(get('weekday').toUpperCase()) + 1,
  };
}

const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 1;

/** The weekday (Mon–Fri) nearest to `day` within its month, as cron's W means. */
function nearestWeekday(year: number, month: number, day: number): number {
  const last = daysIn(year, month);
  const d = Math.min(day, last);
  const wd = weekdayOf(year, month, d);
  if (wd === 7) return d === 1 ? 3 : d - 1; // Saturday: Friday, or Monday the 3rd at the month's start
  if (wd === 1) return d === last ? d - 2 : d + 1; // Sunday: Monday, or Friday at the month's end
  return d;
}

const valueOf = (v: string, names?: string[]) => (/^\d+$/.test(v) ? Number(v) : (names?.indexOf(v.toUpperCase()) ?? -1) + 1);

/** Whether `value` matches a plain cron field (lists, ranges, steps, names). */
function matchPlain(field: string, value: number, min: number, max: number, names?: string[]): boolean {
  if (field === '*' || field === '?') return true;
  return field.split(',').some((part) => {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    const [fromText, toText] = range.split('-');
    const from = fromText === '*' ? min : valueOf(fromText, names);
    const to = toText !== undefined ? valueOf(toText, names) : fromText === '*' || stepText !== undefined ? max : from;
    return value >= from && value <= to && (value - from) % step === 0;
  });
}

/** Whether the wall clock's minute is one the cron fields name. */
export function cronMatches(fields: string[], w: WallClock): boolean {
  const [minutes, hours, dom, month, dow, year] = fields.map((f) => f.toUpperCase());
  if (!matchPlain(minutes, w.minute, 0, 59) || !matchPlain(hours, w.hour, 0, 23) || !matchPlain(month, w.month, 1, 12, MONTHS) || !matchPlain(year, w.year, 1970, 2199)) return false;
  const last = daysIn(w.year, w.month);
  let domOk: boolean;
  if (dom === 'L') domOk = w.day === last;
  else if (dom === 'LW') domOk = w.day === nearestWeekday(w.year, w.month, last);
  else if (/^L-\d+$/.test(dom)) domOk = w.day === last - Number(dom.slice(2));
  else if (/^\d+W$/.test(dom)) domOk = w.day === nearestWeekday(w.year, w.month, Number(dom.slice(0, -1)));
  else domOk = matchPlain(dom, w.day, 1, 31);
  let dowOk: boolean;
  const nth = /^(\w+)#(\d)$/.exec(dow);
  const lastOf = /^(\w+)L$/.exec(dow);
  if (dow === 'L') dowOk = w.weekday === 7;
  else if (nth) dowOk = w.weekday === valueOf(nth[1], DAYS) && Math.ceil(w.day / 7) === Number(nth[2]);
  else if (lastOf) dowOk = w.weekday === valueOf(lastOf[1], DAYS) && w.day + 7 > last;
  else dowOk = matchPlain(dow, w.weekday, 1, 7, DAYS);
  return domOk && dowOk;
}

/**
 * Which occurrence of `schedule` is due at `now` (a key that names it, so it fires once), or
 * undefined when none is. at(): once, at or after its wall-clock time; rate(): every period from
 * `anchor`; cron(): each minute its fields name, in `timeZone`.
 */
export function dueOccurrence(schedule: Schedule, now: number, anchor: number, timeZone?: string): string | undefined {
  if (schedule.kind === 'rate') {
    const k = Math.floor((now - anchor) / (schedule.seconds * 1000));
    return k >= 1 ? `rate:${k}` : undefined;
  }
  const w = wallClock(now, timeZone);
  if (schedule.kind === 'at') {
    const a = schedule.at;
    const key = (x: Omit<WallClock, 'weekday'>) => [x.year, x.month, x.day, x.hour, x.minute, x.second].map((n) => String(n).padStart(2, '0')).join('');
    return key(w) >= key(a) ? 'at' : undefined;
  }
  return cronMatches(schedule.fields, w) ? `cron:${w.year}-${w.month}-${w.day}T${w.hour}:${w.minute}` : undefined;
}
