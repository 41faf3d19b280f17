import { ordinal, pad, WEEKDAY_NAMES } from './calendar-words.js';

/**
 * When a schedule's runs are due ("slots"), as wall-clock times in an IANA time zone. Pure functions,
 * no timers and no clock: the scheduler, the catch-up check and the API's `next_run` all use them.
 *
 * Wall times that a daylight-saving change skips or repeats are resolved as Vixie cron does: a time
 * that does not exist (in a spring-forward gap) runs at the end of the gap (02:30 on a 02:00→03:00 day
 * runs at 03:00), and a time that exists twice (in a fall-back overlap) runs once, at the first.
 *
 * Why not the `cron` package's own next-date computation: `cron` 4.4 gets both cases wrong in some
 * zones. In Europe/Berlin on 2026-10-25 it fires `0 0 3 * * *` twice (at 01:00Z, when the wall clock
 * shows 02:00 CET, and again at 03:00 CET), and in Europe/Athens on 2026-03-29 it fires 03:30 (inside the
 * 03:00→04:00 gap) at 04:00 EEST. schedule-slots.spec.ts shows both; the scheduler arms its timers
 * with the instants computed here.
 */

/** Sunday is 0, as in cron. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

export type Cadence = { every: 'day' } | { every: 'week'; weekday: Weekday } | { every: 'month'; day: number };

export interface SlotSpec {
  /** 0–23, local wall time. */
  hour: number;
  /** 0–59. */
  minute: number;
  cadence: Cadence;
}

/** A calendar date with no time zone: month is 1–12. */
export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** A monthly slot on day 1–28 recurs within 12 months; a year plus a week bounds every search. */
const SEARCH_DAYS = 400;

/** The six-field cron expression (seconds first, as the `cron` package reads it) of a slot spec. */
export function cronExpression(spec: SlotSpec): string {
  const { hour, minute, cadence } = spec;
  const dayOfMonth = cadence.every === 'month' ? String(cadence.day) : '*';
  const dayOfWeek = cadence.every === 'week' ? String(cadence.weekday) : '*';
  return `0 ${minute} ${hour} ${dayOfMonth} * ${dayOfWeek}`;
}

/** "daily at 03:00", "Sundays at 04:30", "on the 1st of each month at 03:00". */
export function describeSlots(spec: SlotSpec): string {
  const time = `${pad(spec.hour)}:${pad(spec.minute)}`;
  switch (spec.cadence.every) {
    case 'day':
      return `daily at ${time}`;
    case 'week':
      return `${WEEKDAY_NAMES[spec.cadence.weekday]}s at ${time}`;
    case 'month':
      return `on the ${ordinal(spec.cadence.day)} of each month at ${time}`;
  }
}

/** The latest slot at or before `now` (the slot a run at `now` belongs to). */
export function previousSlot(spec: SlotSpec, now: Date, timeZone: string): Date {
  validate(spec);
  const t = now.getTime();
  let date = civilDateAt(t, timeZone);
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, -1)) {
    if (!matches(spec.cadence, date)) continue;
    const slot = zonedTime(date, spec.hour, spec.minute, timeZone);
    if (slot <= t) return new Date(slot);
  }
  throw new Error(`No slot of '${cronExpression(spec)}' in the ${SEARCH_DAYS} days before ${now.toISOString()}`);
}

/** The first slot strictly after `now` (when the job runs next). */
export function nextSlot(spec: SlotSpec, now: Date, timeZone: string): Date {
  validate(spec);
  const t = now.getTime();
  // Start a day early: in zones far from UTC a slot on the previous local date can still be ahead.
  let date = addDays(civilDateAt(t, timeZone), -1);
  for (let i = 0; i < SEARCH_DAYS; i++, date = addDays(date, 1)) {
    if (!matches(spec.cadence, date)) continue;
    const slot = zonedTime(date, spec.hour, spec.minute, timeZone);
    if (slot > t) return new Date(slot);
  }
  throw new Error(`No slot of '${cronExpression(spec)}' in the ${SEARCH_DAYS} days after ${now.toISOString()}`);
}

/**
 * The instant at which the wall clock in `timeZone` shows `date` at hour:minute (resolved as
 * described at the top of this file). Exported for tests.
 */
export function zonedTime(date: CivilDate, hour: number, minute: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, hour, minute);
  // The offsets in force a day before and a day after: every real zone changes at most once in between.
  const before = offsetAt(wall - DAY_MS, timeZone);
  const after = offsetAt(wall + DAY_MS, timeZone);
  const candidates = [wall - before, wall - after].filter((t) => wallTimeAt(t, timeZone) === wall).sort((a, b) => a - b);
  if (candidates.length > 0) return candidates[0];
  // In a gap: the wall time is skipped, so the slot is the instant the clock jumps (the end of the gap).
  return transitionBetween(wall - after, wall - before, timeZone);
}

/** The first instant (to the second) in (lo, hi] whose UTC offset differs from lo's. */
function transitionBetween(lo: number, hi: number, timeZone: string): number {
  const offset = offsetAt(lo, timeZone);
  let a = Math.floor(lo / 1000);
  let b = Math.ceil(hi / 1000);
  while (b - a > 1) {
    const mid = Math.floor((a + b) / 2);
    if (offsetAt(mid * 1000, timeZone) === offset) a = mid;
    else b = mid;
  }
  return b * 1000;
}

/** The calendar date in `timeZone` at instant `t`. */
export function civilDateAt(t: number, timeZone: string): CivilDate {
  const wall = new Date(wallTimeAt(t, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/** Offset of local time from UTC at instant `t`, in ms (positive east of Greenwich). */
function offsetAt(t: number, timeZone: string): number {
  return wallTimeAt(t, timeZone) - Math.floor(t / 1000) * 1000;
}

/** The local wall time at instant `t` (to the second), encoded as if it were a UTC instant. */
function wallTimeAt(t: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(t))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

function matches(cadence: Cadence, date: CivilDate): boolean {
  switch (cadence.every) {
    case 'day':
      return true;
    case 'week':
      return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() === cadence.weekday;
    case 'month':
      return date.day === cadence.day;
  }
}

export function addDays(date: CivilDate, days: number): CivilDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function validate(spec: SlotSpec): void {
  const ok =
    Number.isInteger(spec.hour) &&
    spec.hour >= 0 &&
    spec.hour <= 23 &&
    Number.isInteger(spec.minute) &&
    spec.minute >= 0 &&
    spec.minute <= 59 &&
    // Day 29–31 would skip months; the spec only needs the 1st.
    (spec.cadence.every !== 'month' || (Number.isInteger(spec.cadence.day) && spec.cadence.day >= 1 && spec.cadence.day <= 28));
  if (!ok) throw new Error(`Invalid slot spec ${JSON.stringify(spec)}`);
}

/** "2026-03-08 03:00 EDT": an instant as the wall clock in `timeZone` shows it, for log lines. */
export function formatLocal(at: Date, timeZone: string): string {
  const parts: Record<string, string> = {};
  const f = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    timeZoneName: 'short',
  });
  for (const part of f.formatToParts(at)) parts[part.type] = part.value;
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute} ${parts.timeZoneName}`;
}
