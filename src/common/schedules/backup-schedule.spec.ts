import { describe, expect, it } from '@jest/globals';
import {
  describeRecurrence,
  nextRun,
  nextRuns,
  parseScheduleValue,
  previousRun,
  type Recurrence,
  recurrenceCron,
  type ScheduleValue,
  scheduleRecurrence,
} from './backup-schedule.js';
import { InvalidScheduleValue } from './invalid-schedule-value.js';

const BERLIN = 'Europe/Berlin';

/** Every run in [from, to), by repeated nextRun. */
function runsBetween(recurrence: Recurrence, from: string, to: string, timeZone: string): string[] {
  const out: string[] = [];
  for (let at = new Date(from); ;) {
    at = nextRun(recurrence, at, timeZone);
    if (at.getTime() >= Date.parse(to)) return out;
    out.push(at.toISOString());
  }
}

/** The wall clock in a zone, from Intl (independent of the code under test). */
function wall(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(new Date(at));
}

const r2 = (value: ScheduleValue) => scheduleRecurrence(value, 3);

describe('schedule values', () => {
  it('keeps the named values and normalises a cron expression', () => {
    expect(parseScheduleValue(' Daily ')).toBe('daily');
    expect(parseScheduleValue('HOURLY')).toBe('hourly');
    expect(parseScheduleValue('CRON:  30   2 * * 1,4 ')).toBe('cron:30 2 * * 1,4');
  });

  it('refuses anything else, saying what is allowed', () => {
    for (const bad of ['yearly', 'cron', 'every hour', '']) {
      expect(() => parseScheduleValue(bad)).toThrow(InvalidScheduleValue);
    }
    const error = (() => {
      try {
        parseScheduleValue('fortnightly');
      } catch (e) {
        return e as InvalidScheduleValue;
      }
    })();
    expect(error?.about('r2_backup_schedule')).toBe(
      'r2_backup_schedule must be daily, weekly, monthly, hourly or cron:<minute hour day-of-month month day-of-week> such as cron:30 2 * * 1,4 (got "fortnightly")',
    );
    expect(() => parseScheduleValue('cron:0 25 * * *')).toThrow(/cron expression '0 25 \* \* \*': hour field '25'/);
  });

  it("daily / weekly / monthly are the spec's slots at the target's hour", () => {
    expect(recurrenceCron(r2('daily'))).toBe('0 0 3 * * *');
    expect(recurrenceCron(r2('weekly'))).toBe('0 0 3 * * 0');
    expect(recurrenceCron(r2('monthly'))).toBe('0 0 3 1 * *');
    expect(recurrenceCron(scheduleRecurrence('daily', 1))).toBe('0 0 1 * * *');
    expect(recurrenceCron(r2('hourly'))).toBe('0 15 * * * *');
    expect(recurrenceCron(r2('cron:30 2 * * 1,4'))).toBe('0 30 2 * * 1,4');
  });

  it('describes each in words, with the zone when it names wall-clock times', () => {
    expect(describeRecurrence(r2('daily'), BERLIN)).toBe('every day at 03:00 Europe/Berlin');
    expect(describeRecurrence(scheduleRecurrence('daily', 1), BERLIN)).toBe('every day at 01:00 Europe/Berlin');
    expect(describeRecurrence(r2('weekly'), BERLIN)).toBe('every Sunday at 03:00 Europe/Berlin');
    expect(describeRecurrence(r2('monthly'), BERLIN)).toBe('on the 1st of each month at 03:00 Europe/Berlin');
    expect(describeRecurrence(r2('hourly'), BERLIN)).toBe('every hour at :15');
    expect(describeRecurrence(r2('cron:30 2 * * 1,4'), BERLIN)).toBe('at 02:30 on Monday and Thursday Europe/Berlin');
    expect(describeRecurrence(r2('cron:*/30 * * * *'), BERLIN)).toBe('every 30 minutes');
  });

  it('lists the next runs', () => {
    const runs = nextRuns(r2('cron:30 2 * * 1,4'), new Date('2026-01-05T12:00:00Z'), BERLIN, 5); // a Monday afternoon
    expect(runs.map((d) => d.toISOString())).toEqual([
      '2026-01-08T01:30:00.000Z', // Thursday 02:30 CET
      '2026-01-12T01:30:00.000Z',
      '2026-01-15T01:30:00.000Z',
      '2026-01-19T01:30:00.000Z',
      '2026-01-22T01:30:00.000Z',
    ]);
  });
});

describe('hourly and cron runs across daylight-saving changes (Europe/Berlin)', () => {
  it('hourly across 2026-03-29 (02:00 → 03:00): the skipped 02:15 runs when the clock jumps, once', () => {
    const runs = runsBetween(r2('hourly'), '2026-03-28T23:00:00Z', '2026-03-29T03:00:00Z', BERLIN);
    expect(runs).toEqual([
      '2026-03-28T23:15:00.000Z', // 00:15 CET
      '2026-03-29T00:15:00.000Z', // 01:15 CET
      '2026-03-29T01:00:00.000Z', // 02:15 does not exist: 03:00 CEST, the end of the gap
      '2026-03-29T01:15:00.000Z', // 03:15 CEST
      '2026-03-29T02:15:00.000Z', // 04:15 CEST
    ]);
  });

  it('hourly across 2026-10-25 (03:00 → 02:00): the repeated 02:15 runs once, at the first', () => {
    const runs = runsBetween(r2('hourly'), '2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z', BERLIN);
    expect(runs).toEqual([
      '2026-10-24T22:15:00.000Z', // 00:15 CEST
      '2026-10-24T23:15:00.000Z', // 01:15 CEST
      '2026-10-25T00:15:00.000Z', // 02:15 CEST (the repeat at 01:15Z, 02:15 CET, does not run)
      '2026-10-25T02:15:00.000Z', // 03:15 CET
      '2026-10-25T03:15:00.000Z', // 04:15 CET
    ]);
    // A run just missed in the repeated hour belongs to the first 02:15.
    expect(previousRun(r2('hourly'), new Date('2026-10-25T01:59:00Z'), BERLIN).toISOString()).toBe('2026-10-25T00:15:00.000Z');
  });

  it('cron */20 2 * * * on the spring-forward day: the three skipped times run once at 03:00 CEST; the next day as usual', () => {
    const runs = runsBetween(r2('cron:*/20 2 * * *'), '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z', BERLIN);
    expect(runs).toEqual([
      '2026-03-29T01:00:00.000Z', // 02:00, 02:20 and 02:40 do not exist
      '2026-03-30T00:00:00.000Z', // 02:00 CEST
      '2026-03-30T00:20:00.000Z',
      '2026-03-30T00:40:00.000Z',
    ]);
  });

  it('cron */20 2 * * * on the fall-back day: each time once, in the first (CEST) pass', () => {
    const runs = runsBetween(r2('cron:*/20 2 * * *'), '2026-10-24T12:00:00Z', '2026-10-25T12:00:00Z', BERLIN);
    expect(runs).toEqual(['2026-10-25T00:00:00.000Z', '2026-10-25T00:20:00.000Z', '2026-10-25T00:40:00.000Z']);
  });

  it('every 5 minutes through both changes: never twice at one instant, never earlier than the one before, 5 minutes apart but across the gap', () => {
    for (const [from, to] of [
      ['2026-03-28T22:00:00Z', '2026-03-29T04:00:00Z'],
      ['2026-10-24T22:00:00Z', '2026-10-25T04:00:00Z'],
    ]) {
      const runs = runsBetween(r2('cron:*/5 * * * *'), from, to, BERLIN).map((s) => Date.parse(s));
      for (let i = 1; i < runs.length; i++) expect(runs[i]).toBeGreaterThan(runs[i - 1]);
      const gaps = runs.slice(1).map((t, i) => (t - runs[i]) / 60_000);
      // Spring: 6 hours less the skipped hour; autumn: 6 hours, of which the repeated hour runs once.
      expect(gaps.filter((g) => g !== 5)).toEqual(from.startsWith('2026-03') ? [] : [65]);
    }
  });
});

describe('cron runs across a month end', () => {
  it('the 31st runs only in months that have one, in local time (CET and CEST)', () => {
    const runs = runsBetween(r2('cron:0 4 31 * *'), '2026-01-15T00:00:00Z', '2027-01-15T00:00:00Z', BERLIN);
    expect(runs.map((s) => wall(s, BERLIN))).toEqual([
      '2026-01-31 04:00',
      '2026-03-31 04:00',
      '2026-05-31 04:00',
      '2026-07-31 04:00',
      '2026-08-31 04:00',
      '2026-10-31 04:00',
      '2026-12-31 04:00',
    ]);
    expect(runs[1]).toBe('2026-03-31T02:00:00.000Z'); // CEST
    expect(runs[5]).toBe('2026-10-31T03:00:00.000Z'); // CET again
  });

  it('late-evening runs cross the month end and the year end in order; 29 February runs in leap years only', () => {
    expect(runsBetween(r2('cron:30 23 * * *'), '2026-12-30T12:00:00Z', '2027-01-02T00:00:00Z', BERLIN)).toEqual([
      '2026-12-30T22:30:00.000Z',
      '2026-12-31T22:30:00.000Z',
      '2027-01-01T22:30:00.000Z',
    ]);
    expect(runsBetween(r2('hourly'), '2026-02-28T21:00:00Z', '2026-02-28T23:30:00Z', BERLIN)).toEqual([
      '2026-02-28T21:15:00.000Z',
      '2026-02-28T22:15:00.000Z', // 23:15 on the 28th
      '2026-02-28T23:15:00.000Z', // 00:15 on 1 March
    ]);
    expect(nextRun(r2('cron:0 0 29 2 *'), new Date('2026-01-01T00:00:00Z'), BERLIN).toISOString()).toBe('2028-02-28T23:00:00.000Z');
    expect(previousRun(r2('cron:0 0 29 2 *'), new Date('2026-01-01T00:00:00Z'), BERLIN).toISOString()).toBe('2024-02-28T23:00:00.000Z');
  });

  it('the previous run is the latest at or before now, for the catch-up check', () => {
    const weekdays = r2('cron:0 22 * * MON-FRI');
    // Monday 2 March 2026, 10:00 CET: the last run was Friday 27 February at 22:00 CET.
    expect(previousRun(weekdays, new Date('2026-03-02T09:00:00Z'), BERLIN).toISOString()).toBe('2026-02-27T21:00:00.000Z');
    expect(previousRun(weekdays, new Date('2026-02-27T21:00:00Z'), BERLIN).toISOString()).toBe('2026-02-27T21:00:00.000Z');
  });
});
