import type { BackupTarget } from '../backup-target.js';
import { type CronExpression, cronIsZoned, cronRunsOn, describeCron, parseCronExpression } from './cron-expression.js';
import { InvalidScheduleValue } from './invalid-schedule-value.js';
import { addDays, civilDateAt, type CivilDate, cronExpression, describeSlots, nextSlot, previousSlot, type SlotSpec, zonedTime } from './schedule-slots.js';
import { ordinal, pad, WEEKDAY_NAMES } from './calendar-words.js';

/**
 * A target's backup schedule (`r2_backup_schedule`, `local_backup_schedule`, a stored target's `schedule`):
 * the spec's `daily` / `weekly` / `monthly` at the target's spec time, `hourly`, or `cron:<five fields>`, all
 * in the service's time zone and with the daylight-saving rules of schedule-slots.ts: a wall time that does
 * not exist runs at the end of the gap, and one that exists twice runs once, at the first. Pure.
 */
export type ScheduleValue = 'daily' | 'weekly' | 'monthly' | 'hourly' | `cron:${string}`;

export const NAMED_SCHEDULES = ['daily', 'weekly', 'monthly', 'hourly'] as const;

/**
 * `hourly` runs at :15. Not at :00: the spec's runs are at 01:00 (local), 03:00 (R2) and 03:30 (rotation),
 * and a target's hourly backup at :15 does not start in the same minute as another target's daily one or
 * as the rotation, so their database snapshots do not compete (and the top of the hour, when other jobs
 * on the machine tend to start, stays free).
 */
export const HOURLY_MINUTE = 15;

/** The spec's hour of each built-in target's daily / weekly / monthly backup: local at 01:00, R2 at 03:00. */
export const SPEC_BACKUP_HOUR: Readonly<Record<BackupTarget, number>> = { local: 1, r2: 3 };

/** The hour of a target's daily / weekly / monthly backup: the spec's for the built-ins, 03:00 (as R2) for an added target. */
export function specBackupHour(target: BackupTarget): number {
  return SPEC_BACKUP_HOUR[target] ?? SPEC_BACKUP_HOUR.r2;
}

/** When a schedule's runs are: the spec's wall-clock slots, or a cron expression. */
export type Recurrence = { kind: 'slots'; slots: SlotSpec } | { kind: 'cron'; cron: CronExpression };

const EXAMPLE = 'cron:30 2 * * 1,4';

/**
 * Checks a schedule value and returns it in its stored form (keywords lower case, `cron:` and the five fields
 * single-spaced). Throws InvalidScheduleValue saying what is wrong (for a cron expression, which field).
 */
export function parseScheduleValue(input: string): ScheduleValue {
  const text = input.trim();
  const lower = text.toLowerCase();
  if ((NAMED_SCHEDULES as readonly string[]).includes(lower)) return lower as ScheduleValue;
  if (lower.startsWith('cron:')) return `cron:${parseCronExpression(text.slice(5)).text}`;
  const shown = JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
  throw new InvalidScheduleValue(
    `must be daily, weekly, monthly, hourly or cron:<minute hour day-of-month month day-of-week> such as ${EXAMPLE} (got ${shown})`,
    true,
  );
}

/** The spec's slots of `daily` / `weekly` / `monthly` at `hour`: every day, Sundays, the 1st of each month. */
export function namedSlots(name: 'daily' | 'weekly' | 'monthly', hour: number): SlotSpec {
  switch (name) {
    case 'daily':
      return { hour, minute: 0, cadence: { every: 'day' } };
    case 'weekly':
      return { hour, minute: 0, cadence: { every: 'week', weekday: 0 } };
    case 'monthly':
      return { hour, minute: 0, cadence: { every: 'month', day: 1 } };
  }
}

/** The runs of a (checked) schedule value whose daily / weekly / monthly slots are at `specHour`. */
export function scheduleRecurrence(value: ScheduleValue, specHour: number): Recurrence {
  const checked = parseScheduleValue(value);
  if (checked === 'hourly') return { kind: 'cron', cron: parseCronExpression(`${HOURLY_MINUTE} * * * *`) };
  if (checked.startsWith('cron:')) return { kind: 'cron', cron: parseCronExpression(checked.slice(5)) };
  return { kind: 'slots', slots: namedSlots(checked as 'daily' | 'weekly' | 'monthly', specHour) };
}

/** The first run strictly after `now`. */
export function nextRun(recurrence: Recurrence, now: Date, timeZone: string): Date {
  return recurrence.kind === 'slots' ? nextSlot(recurrence.slots, now, timeZone) : cronNext(recurrence.cron, now, timeZone);
}

/** The latest run at or before `now` (the run a backup at `now` belongs to). */
export function previousRun(recurrence: Recurrence, now: Date, timeZone: string): Date {
  return recurrence.kind === 'slots' ? previousSlot(recurrence.slots, now, timeZone) : cronPrevious(recurrence.cron, now, timeZone);
}

/** The next `count` runs after `now`. */
export function nextRuns(recurrence: Recurrence, now: Date, timeZone: string, count: number): Date[] {
  const out: Date[] = [];
  for (let at = now; out.length < count;) {
    at = nextRun(recurrence, at, timeZone);
    out.push(at);
  }
  return out;
}

/** "every day at 03:00 Europe/Berlin", "every hour at :15", "at 02:30 on Monday and Thursday Europe/Berlin". */
export function describeRecurrence(recurrence: Recurrence, timeZone: string): string {
  if (recurrence.kind === 'cron') {
    const words = describeCron(recurrence.cron);
    return cronIsZoned(recurrence.cron) ? `${words} ${timeZone}` : words;
  }
  const { slots } = recurrence;
  const time = `${pad(slots.hour)}:${pad(slots.minute)}`;
  switch (slots.cadence.every) {
    case 'day':
      return `every day at ${time} ${timeZone}`;
    case 'week':
      return `every ${WEEKDAY_NAMES[slots.cadence.weekday]} at ${time} ${timeZone}`;
    case 'month':
      return `on the ${ordinal(slots.cadence.day)} of each month at ${time} ${timeZone}`;
  }
}

/** The short description GET /api/schedules has always shown ("daily at 03:00", "Sundays at 03:00"), without the zone. */
export function summarizeRecurrence(recurrence: Recurrence): string {
  return recurrence.kind === 'slots' ? describeSlots(recurrence.slots) : describeCron(recurrence.cron);
}

/** As a six-field cron expression, seconds first (the form GET /api/schedules shows); equal strings mean equal runs. */
export function recurrenceCron(recurrence: Recurrence): string {
  return recurrence.kind === 'slots' ? cronExpression(recurrence.slots) : `0 ${recurrence.cron.text}`;
}

/**
 * How far ahead or back a search goes: `0 0 29 2 *` runs on 29 February, which can be eight years apart
 * (2096 to 2104); every other valid expression runs at least once a year.
 */
const CRON_SEARCH_DAYS = 8 * 366 + 2;

function cronNext(cron: CronExpression, now: Date, timeZone: string): Date {
  const t = now.getTime();
  // A day early: in zones far from UTC a run on the previous local date can still be ahead.
  let date = addDays(civilDateAt(t, timeZone), -1);
  for (let i = 0; i < CRON_SEARCH_DAYS; i++, date = addDays(date, 1)) {
    if (!runsOn(cron, date)) continue;
    // Wall times in order give instants in order (a skipped time maps to the end of the gap, a repeated one to
    // its first instant), so the first one after `now` is the next run, and times a gap merges run once.
    for (const hour of cron.hours) {
      // The hour's last run is not ahead: none of its runs is (saves most of the work for `*/5` schedules).
      if (zonedTime(date, hour, cron.minutes[cron.minutes.length - 1], timeZone) <= t) continue;
      for (const minute of cron.minutes) {
        const at = zonedTime(date, hour, minute, timeZone);
        if (at > t) return new Date(at);
      }
    }
  }
  throw new Error(`No run of 'cron:${cron.text}' in the ${CRON_SEARCH_DAYS} days after ${now.toISOString()}`);
}

function cronPrevious(cron: CronExpression, now: Date, timeZone: string): Date {
  const t = now.getTime();
  let date = addDays(civilDateAt(t, timeZone), 1);
  for (let i = 0; i < CRON_SEARCH_DAYS; i++, date = addDays(date, -1)) {
    if (!runsOn(cron, date)) continue;
    for (let h = cron.hours.length - 1; h >= 0; h--) {
      if (zonedTime(date, cron.hours[h], cron.minutes[0], timeZone) > t) continue;
      for (let m = cron.minutes.length - 1; m >= 0; m--) {
        const at = zonedTime(date, cron.hours[h], cron.minutes[m], timeZone);
        if (at <= t) return new Date(at);
      }
    }
  }
  throw new Error(`No run of 'cron:${cron.text}' in the ${CRON_SEARCH_DAYS} days before ${now.toISOString()}`);
}

function runsOn(cron: CronExpression, date: CivilDate): boolean {
  return cronRunsOn(cron, date.month, date.day, new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay());
}
