import { InvalidScheduleValue } from './invalid-schedule-value.js';
import { ordinal, pad, WEEKDAY_NAMES } from './calendar-words.js';

/**
 * A five-field cron expression (minute hour day-of-month month day-of-week), parsed and checked: the
 * `cron:<expression>` schedule of a target. Pure; the instants it names are computed by cron-runs.ts with
 * the same daylight-saving rules as the spec's slots.
 *
 * The syntax is Vixie cron's: `*`, numbers, ranges `a-b`, steps `*\/n`, `a-b/n` and `a/n`, lists with `,`,
 * month names JAN–DEC and weekday names SUN–SAT (any case), day-of-week 0–7 with 0 and 7 both Sunday. When
 * both day fields are restricted (neither starts with `*`), a day matches when either does, as in Vixie cron.
 * Refused: seconds (six fields), macros (@daily: use `daily`), `?`, `L`, `W` and `#` (not Vixie, and not
 * read alike by every tool), expressions that never run (`0 0 31 2 *`), and any that runs more often than
 * every MIN_INTERVAL_MINUTES minutes.
 *
 * Why not a library: croner (the best-kept candidate) reads these fields, but it names a wrong day-of-month
 * 32 as "Invalid value for day: 31" and month 13 as "month: 12", accepts `0 0 31 2 *` and never runs it, and
 * its instants differ from the scheduler's daylight-saving rules (it skips `*\/20 2 * * *` on the
 * spring-forward day and runs `15 * * * *` twice in the repeated hour). The scheduler needs one set of
 * rules for every schedule, so parsing is here and timing reuses schedule-slots.ts.
 */
export interface CronExpression {
  /** The five fields as given, joined by single spaces. */
  readonly text: string;
  /** Sorted, without duplicates. */
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  /** 1–12. */
  readonly months: readonly number[];
  /** 0–6, Sunday 0. */
  readonly daysOfWeek: readonly number[];
  /** The field did not start with `*`: with both restricted, a day matches either (Vixie). */
  readonly dayOfMonthRestricted: boolean;
  readonly dayOfWeekRestricted: boolean;
}

/** A backup more often than this is refused: seven database snapshots every minute would overlap and fill the storage. */
export const MIN_INTERVAL_MINUTES = 5;

/** The longest expression accepted: far more than any sensible one needs, and short enough to quote in an error. */
export const MAX_EXPRESSION_LENGTH = 200;

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** What a value is, for a message: "a month (1-12 or JAN-DEC)". */
  hint: string;
}

const MONTH_NAMES = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEKDAY_ABBREVIATIONS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

const FIELDS: readonly FieldRule[] = [
  { name: 'minute', min: 0, max: 59, hint: 'a minute 0-59' },
  { name: 'hour', min: 0, max: 23, hint: 'an hour 0-23' },
  { name: 'day-of-month', min: 1, max: 31, hint: 'a day of the month 1-31' },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, hint: 'a month 1-12 or JAN-DEC' },
  { name: 'day-of-week', min: 0, max: 7, names: WEEKDAY_ABBREVIATIONS, hint: 'a weekday 0-7 (0 and 7 are Sunday) or SUN-SAT' },
];

/** Days in each month of a leap year: a day-of-month no selected month has means the expression never runs. */
const MAX_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses and checks `text` (the part after `cron:`); throws InvalidScheduleValue naming the field at fault. */
export function parseCronExpression(text: string): CronExpression {
  const source = text.trim();
  const quoted = quote(source);
  const fail = (what: string): never => {
    throw new InvalidScheduleValue(`cron expression ${quoted}: ${what}`);
  };
  if (source.length > MAX_EXPRESSION_LENGTH) fail(`is ${source.length} characters long; at most ${MAX_EXPRESSION_LENGTH} are allowed`);
  if (source.startsWith('@')) fail("macros such as @daily are not supported: use the schedule 'daily', 'weekly', 'monthly' or 'hourly', or five fields");
  const parts = source === '' ? [] : source.split(/\s+/);
  if (parts.length !== 5) {
    const seconds = parts.length === 6 ? '; seconds are not supported, the first field is the minute' : '';
    fail(
      `has ${parts.length} field${parts.length === 1 ? '' : 's'}, expected five: minute hour day-of-month month day-of-week, such as '30 2 * * 1-5'${seconds}`,
    );
  }
  const values = parts.map((part, i) => parseField(part, FIELDS[i], quoted));
  const [minutes, hours, daysOfMonth, months] = values;
  // 7 is Sunday too.
  const daysOfWeek = [...new Set(values[4].map((d) => d % 7))].sort((a, b) => a - b);
  const expression: CronExpression = {
    text: parts.join(' '),
    minutes,
    hours,
    daysOfMonth,
    months,
    daysOfWeek,
    dayOfMonthRestricted: !parts[2].startsWith('*'),
    dayOfWeekRestricted: !parts[4].startsWith('*'),
  };
  // With both restricted, any day of the selected weekdays matches, so the expression runs whatever the day-of-month.
  if (!(expression.dayOfMonthRestricted && expression.dayOfWeekRestricted) && !months.some((m) => daysOfMonth[0] <= MAX_DAYS[m - 1])) {
    fail(`day-of-month field ${quote(parts[2])}: no month in the month field ${quote(parts[3])} has day ${daysOfMonth[0]}, so the schedule would never run`);
  }
  const gap = shortestGap(minutes, hours);
  if (gap.minutes < MIN_INTERVAL_MINUTES) {
    fail(
      `minute field ${quote(parts[0])}: runs ${gap.minutes === 0 ? 'at the same minute twice' : `${gap.minutes} minute${gap.minutes === 1 ? '' : 's'} apart`} ` +
        `(${gap.from} and ${gap.to}); backups may run at most every ${MIN_INTERVAL_MINUTES} minutes, such as '*/5 * * * *'`,
    );
  }
  return expression;
}

/** The values one field selects, sorted and without duplicates. */
function parseField(part: string, rule: FieldRule, quoted: string): number[] {
  const fail = (what: string): never => {
    throw new InvalidScheduleValue(`cron expression ${quoted}: ${rule.name} field ${quote(part)}: ${what}`);
  };
  const selected = new Set<number>();
  for (const item of part.split(',')) {
    if (item === '') fail("has an empty list item: separate values with single commas, such as '1,15'");
    const [range, stepText, extra] = item.split('/');
    if (extra !== undefined) fail(`${quote(item, 30)} has more than one '/'`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText)) fail(`the step in ${quote(item, 30)} must be a whole number, such as '*/15'`);
      step = Number(stepText);
      if (step < 1 || step > rule.max - rule.min + 1) fail(`the step ${step} in ${quote(item, 30)} must be from 1 to ${rule.max - rule.min + 1}`);
    }
    let from: number;
    let to: number;
    if (range === '*') {
      from = rule.min;
      to = rule.max;
    } else {
      const bounds = range.split('-');
      if (bounds.length > 2) fail(`${quote(range, 30)} is not a value or a range such as '1-5'`);
      from = value(bounds[0], rule, fail);
      // `a/n` runs from a to the field's end, as in Vixie cron.
      to = bounds.length === 2 ? value(bounds[1], rule, fail) : stepText !== undefined ? rule.max : from;
      if (to < from) fail(`the range ${quote(range, 30)} goes backwards: write the smaller value first (ranges do not wrap around)`);
    }
    for (let v = from; v <= to; v += step) selected.add(v);
  }
  return [...selected].sort((a, b) => a - b);
}

function value(text: string, rule: FieldRule, fail: (what: string) => never): number {
  if (/^\d+$/.test(text)) {
    const n = Number(text);
    if (n < rule.min || n > rule.max) fail(`${n} is out of range ${rule.min}-${rule.max}`);
    return n;
  }
  const named = rule.names?.indexOf(text.toUpperCase()) ?? -1;
  if (named >= 0) return named + (rule.name === 'month' ? 1 : 0);
  if (text === '') return fail(`a range needs a value on each side of '-', such as '1-5'`);
  if (/[?LW#]/i.test(text)) return fail(`${quote(text, 30)} is not supported (the characters ? L W # are not Vixie cron's): use ${rule.hint}`);
  return fail(`${quote(text, 30)} is not ${rule.hint}`);
}

/**
 * The shortest time between two runs within a day and across midnight (counted as if every day ran:
 * stricter than needed when the days are not consecutive, and always safe).
 */
function shortestGap(minutes: readonly number[], hours: readonly number[]): { minutes: number; from: string; to: string } {
  const times = hours.flatMap((h) => minutes.map((m) => h * 60 + m));
  let best = { minutes: 24 * 60, from: '', to: '' };
  for (let i = 0; i < times.length; i++) {
    const a = times[i];
    const b = i + 1 < times.length ? times[i + 1] : times[0] + 24 * 60;
    if (b - a < best.minutes) best = { minutes: b - a, from: clock(a), to: clock(b % (24 * 60)) };
  }
  return best;
}

/** Whether the expression runs on a calendar day (`weekday` 0–6, Sunday 0). */
export function cronRunsOn(expression: CronExpression, month: number, day: number, weekday: number): boolean {
  if (!expression.months.includes(month)) return false;
  const dayOfMonth = expression.daysOfMonth.includes(day);
  const dayOfWeek = expression.daysOfWeek.includes(weekday);
  return expression.dayOfMonthRestricted && expression.dayOfWeekRestricted ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek;
}

/**
 * The expression in words, without the time zone: "every hour at :15", "every 15 minutes", "every day at
 * 03:00", "at 02:30 on Monday and Thursday", "at 04:00 on the 1st and 15th in January and July".
 */
export function describeCron(expression: CronExpression): string {
  const { minutes, hours } = expression;
  const everyHour = hours.length === 24;
  let time: string;
  if (everyHour && minutes.length === 1) time = `every hour at :${pad(minutes[0])}`;
  else if (everyHour && isEvenStep(minutes)) time = `every ${minutes[1] - minutes[0]} minutes`;
  else if (everyHour) time = `every hour at ${list(minutes.map((m) => `:${pad(m)}`))}`;
  else if (hours.length * minutes.length <= 8) time = `at ${list(hours.flatMap((h) => minutes.map((m) => `${pad(h)}:${pad(m)}`)))}`;
  else time = `at ${list(minutes.map((m) => `:${pad(m)}`))} past the hours ${list(hours.map(pad))}`;

  const days: string[] = [];
  if (expression.dayOfMonthRestricted) days.push(`the ${list(expression.daysOfMonth.map(ordinal))}`);
  if (expression.dayOfWeekRestricted) days.push(list(runs(expression.daysOfWeek, WEEKDAY_NAMES)));
  const dayPart = days.length === 0 ? '' : ` on ${days.join(' or on ')}`;
  const monthPart =
    expression.months.length === 12
      ? ''
      : ` in ${list(
          runs(
            expression.months.map((m) => m - 1),
            MONTHS,
          ),
        )}`;
  if (dayPart === '' && !everyHour) return `every day ${time}${monthPart}`;
  return `${time}${dayPart}${monthPart}`;
}

/** Whether the expression names wall-clock hours or days (then its description carries the time zone). */
export function cronIsZoned(expression: CronExpression): boolean {
  return expression.hours.length < 24 || expression.dayOfMonthRestricted || expression.dayOfWeekRestricted || expression.months.length < 12;
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** 0, 15, 30, 45: a step that starts at 0 and divides the hour. */
function isEvenStep(minutes: readonly number[]): boolean {
  if (minutes.length < 2 || minutes[0] !== 0) return false;
  const step = minutes[1];
  return 60 % step === 0 && minutes.length === 60 / step && minutes.every((m, i) => m === i * step);
}

/** Names of consecutive indexes, three or more in a row as "Monday to Friday". */
function runs(indexes: readonly number[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < indexes.length;) {
    let j = i;
    while (j + 1 < indexes.length && indexes[j + 1] === indexes[j] + 1) j++;
    if (j - i >= 2) out.push(`${names[indexes[i]]} to ${names[indexes[j]]}`);
    else for (let k = i; k <= j; k++) out.push(names[indexes[k]]);
    i = j + 1;
  }
  return out;
}

function list(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function clock(minuteOfDay: number): string {
  return `${pad(Math.floor(minuteOfDay / 60))}:${pad(minuteOfDay % 60)}`;
}

/** The expression as a message quotes it: in single quotes, cut short so the message stays one short line. */
function quote(text: string, max = 60): string {
  return `'${text.length > max ? `${text.slice(0, max - 3)}...` : text}'`;
}
