import { createRequire } from 'node:module';
import { cronExpression, describeSlots, formatLocal, nextSlot, previousSlot, type SlotSpec } from './schedule-slots.js';
import { LOCAL_BACKUP_SLOTS, r2BackupSlots, ROTATION_SLOTS, VERIFICATION_SLOTS } from './scheduled-jobs.js';

const DAILY_0100 = LOCAL_BACKUP_SLOTS;
const DAILY_0300 = r2BackupSlots('daily');
const WEEKLY_0300 = r2BackupSlots('weekly');
const MONTHLY_0300 = r2BackupSlots('monthly');
const DAILY_0330 = ROTATION_SLOTS;

/** Every slot in [from, to), by repeated nextSlot. */
function slotsBetween(spec: SlotSpec, from: string, to: string, timeZone: string): string[] {
  const out: string[] = [];
  let at = new Date(from);
  for (;;) {
    at = nextSlot(spec, at, timeZone);
    if (at.getTime() >= new Date(to).getTime()) return out;
    out.push(at.toISOString());
  }
}

/** The wall clock in a zone, from Intl (independent of the code under test). */
function wall(at: string, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short', hourCycle: 'h23' }).format(new Date(at));
}

describe('schedule slots', () => {
  it('has the spec times and their cron expressions', () => {
    expect(cronExpression(DAILY_0100)).toBe('0 0 1 * * *');
    expect(cronExpression(DAILY_0300)).toBe('0 0 3 * * *');
    expect(cronExpression(WEEKLY_0300)).toBe('0 0 3 * * 0');
    expect(cronExpression(MONTHLY_0300)).toBe('0 0 3 1 * *');
    expect(cronExpression(DAILY_0330)).toBe('0 30 3 * * *');
    expect(cronExpression(VERIFICATION_SLOTS)).toBe('0 30 4 * * 0');
    expect(describeSlots(WEEKLY_0300)).toBe('Sundays at 03:00');
    expect(describeSlots(MONTHLY_0300)).toBe('on the 1st of each month at 03:00');
    expect(describeSlots(DAILY_0100)).toBe('daily at 01:00');
  });

  it('daily: one slot per day at the wall-clock time, in UTC and in an offset zone', () => {
    expect(slotsBetween(DAILY_0300, '2026-01-30T12:00:00Z', '2026-02-02T12:00:00Z', 'UTC')).toEqual([
      '2026-01-31T03:00:00.000Z',
      '2026-02-01T03:00:00.000Z',
      '2026-02-02T03:00:00.000Z',
    ]);
    // Asia/Tokyo is UTC+9: 03:00 local is 18:00Z the day before.
    expect(slotsBetween(DAILY_0300, '2026-01-30T12:00:00Z', '2026-02-01T12:00:00Z', 'Asia/Tokyo')).toEqual([
      '2026-01-30T18:00:00.000Z',
      '2026-01-31T18:00:00.000Z',
    ]);
  });

  it('weekly: Sundays only', () => {
    const slots = slotsBetween(WEEKLY_0300, '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z', 'Europe/Berlin');
    expect(slots).toEqual(['2026-01-04T02:00:00.000Z', '2026-01-11T02:00:00.000Z', '2026-01-18T02:00:00.000Z', '2026-01-25T02:00:00.000Z']);
    for (const slot of slots) expect(new Date(slot).getUTCDay()).toBe(0);
  });

  it('monthly: the 1st, across month ends (28, 30 and 31 days) and the year end', () => {
    expect(slotsBetween(MONTHLY_0300, '2026-01-15T00:00:00Z', '2026-05-15T00:00:00Z', 'Europe/Berlin')).toEqual([
      '2026-02-01T02:00:00.000Z',
      '2026-03-01T02:00:00.000Z',
      '2026-04-01T01:00:00.000Z', // summer time from 29 March
      '2026-05-01T01:00:00.000Z',
    ]);
    expect(nextSlot(MONTHLY_0300, new Date('2026-12-01T02:00:00Z'), 'Europe/Berlin').toISOString()).toBe('2027-01-01T02:00:00.000Z');
    // The last day of a month, just before midnight: the slot a few hours later.
    expect(nextSlot(MONTHLY_0300, new Date('2026-02-28T22:59:00Z'), 'Europe/Berlin').toISOString()).toBe('2026-03-01T02:00:00.000Z');
    // In a zone behind UTC the 1st starts after midnight UTC.
    expect(nextSlot(MONTHLY_0300, new Date('2026-03-31T23:00:00Z'), 'America/New_York').toISOString()).toBe('2026-04-01T07:00:00.000Z');
  });

  it('previousSlot is the slot a moment belongs to: the slot itself at its instant, the one before just before it', () => {
    const zone = 'America/New_York';
    expect(previousSlot(WEEKLY_0300, new Date('2026-03-08T07:00:00Z'), zone).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    expect(previousSlot(WEEKLY_0300, new Date('2026-03-08T06:59:59.999Z'), zone).toISOString()).toBe('2026-03-01T08:00:00.000Z');
    expect(previousSlot(MONTHLY_0300, new Date('2026-03-01T07:59:00Z'), zone).toISOString()).toBe('2026-02-01T08:00:00.000Z');
    expect(previousSlot(MONTHLY_0300, new Date('2026-01-01T07:59:00Z'), zone).toISOString()).toBe('2025-12-01T08:00:00.000Z');
    expect(previousSlot(DAILY_0100, new Date('2026-03-01T00:00:00Z'), 'UTC').toISOString()).toBe('2026-02-28T01:00:00.000Z');
  });

  describe('daylight-saving days', () => {
    it('America/New_York 2026-03-08 (02:00 → 03:00): 01:00 EST, 03:00 and 03:30 EDT, once each', () => {
      const zone = 'America/New_York';
      expect(slotsBetween(DAILY_0100, '2026-03-07T12:00:00Z', '2026-03-09T12:00:00Z', zone)).toEqual(['2026-03-08T06:00:00.000Z', '2026-03-09T05:00:00.000Z']);
      expect(slotsBetween(DAILY_0300, '2026-03-07T12:00:00Z', '2026-03-09T12:00:00Z', zone)).toEqual(['2026-03-08T07:00:00.000Z', '2026-03-09T07:00:00.000Z']);
      expect(slotsBetween(DAILY_0330, '2026-03-07T12:00:00Z', '2026-03-09T12:00:00Z', zone)).toEqual(['2026-03-08T07:30:00.000Z', '2026-03-09T07:30:00.000Z']);
      // The weekly R2 backup on that Sunday.
      expect(nextSlot(WEEKLY_0300, new Date('2026-03-05T00:00:00Z'), zone).toISOString()).toBe('2026-03-08T07:00:00.000Z');
    });

    it('America/New_York 2026-11-01 (02:00 → 01:00): 01:00 exists twice and runs once, at the first', () => {
      const zone = 'America/New_York';
      expect(slotsBetween(DAILY_0100, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z', zone)).toEqual(['2026-11-01T05:00:00.000Z', '2026-11-02T06:00:00.000Z']);
      expect(slotsBetween(DAILY_0300, '2026-10-31T12:00:00Z', '2026-11-02T12:00:00Z', zone)).toEqual(['2026-11-01T08:00:00.000Z', '2026-11-02T08:00:00.000Z']);
      // The monthly backup falls on that day too.
      expect(nextSlot(MONTHLY_0300, new Date('2026-10-15T00:00:00Z'), zone).toISOString()).toBe('2026-11-01T08:00:00.000Z');
    });

    it('Europe/Berlin 2026-03-29 (02:00 → 03:00): 03:00 and 03:30 CEST exist and run once', () => {
      const zone = 'Europe/Berlin';
      expect(slotsBetween(DAILY_0100, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z', zone)).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-29T23:00:00.000Z']);
      expect(slotsBetween(DAILY_0300, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z', zone)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T01:00:00.000Z']);
      expect(slotsBetween(DAILY_0330, '2026-03-28T12:00:00Z', '2026-03-30T12:00:00Z', zone)).toEqual(['2026-03-29T01:30:00.000Z', '2026-03-30T01:30:00.000Z']);
    });

    it('Europe/Berlin 2026-10-25 (03:00 → 02:00): 03:00 and 03:30 CET run once, an hour after the change', () => {
      const zone = 'Europe/Berlin';
      expect(slotsBetween(DAILY_0300, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z', zone)).toEqual(['2026-10-25T02:00:00.000Z', '2026-10-26T02:00:00.000Z']);
      expect(slotsBetween(DAILY_0330, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z', zone)).toEqual(['2026-10-25T02:30:00.000Z', '2026-10-26T02:30:00.000Z']);
      expect(slotsBetween(DAILY_0100, '2026-10-24T12:00:00Z', '2026-10-26T12:00:00Z', zone)).toEqual(['2026-10-24T23:00:00.000Z', '2026-10-26T00:00:00.000Z']);
      expect(wall('2026-10-25T02:00:00Z', zone)).toBe('2026-10-25 03:00');
    });

    it('a time inside a spring-forward gap runs when the gap ends (as Vixie cron does)', () => {
      const at0230 = { hour: 2, minute: 30, cadence: { every: 'day' } } satisfies SlotSpec;
      // 02:30 does not exist in New York on 2026-03-08: the clock jumps from 02:00 EST to 03:00 EDT.
      expect(nextSlot(at0230, new Date('2026-03-08T05:00:00Z'), 'America/New_York').toISOString()).toBe('2026-03-08T07:00:00.000Z');
      // Athens jumps from 03:00 to 04:00 on 2026-03-29: the rotation time 03:30 runs at 04:00 EEST.
      expect(nextSlot(DAILY_0330, new Date('2026-03-28T12:00:00Z'), 'Europe/Athens').toISOString()).toBe('2026-03-29T01:00:00.000Z');
      // London jumps from 01:00 GMT to 02:00 BST on 2026-03-29: the local backup runs at 02:00 BST.
      expect(nextSlot(DAILY_0100, new Date('2026-03-28T12:00:00Z'), 'Europe/London').toISOString()).toBe('2026-03-29T01:00:00.000Z');
      // The day after, the usual time again.
      expect(nextSlot(at0230, new Date('2026-03-08T12:00:00Z'), 'America/New_York').toISOString()).toBe('2026-03-09T06:30:00.000Z');
    });

    it('a whole year in several zones: exactly one slot per local day, at the wall-clock time when it exists', () => {
      for (const zone of [
        'America/New_York',
        'Europe/Berlin',
        'Europe/London',
        'Australia/Lord_Howe',
        'Asia/Kathmandu',
        'Pacific/Chatham',
        'America/Santiago',
      ]) {
        for (const spec of [DAILY_0100, DAILY_0300, DAILY_0330]) {
          const slots = slotsBetween(spec, '2026-01-01T00:00:00Z', '2027-01-01T00:00:00Z', zone);
          const days = slots.map((s) => wall(s, zone).slice(0, 10));
          expect(new Set(days).size).toBe(slots.length);
          expect(slots.length).toBeGreaterThanOrEqual(364);
          const expected = `${String(spec.hour).padStart(2, '0')}:${String(spec.minute).padStart(2, '0')}`;
          // Only on a day whose wall time is skipped may the slot be at another time (the end of the gap).
          const off = slots.filter((s) => wall(s, zone).slice(11) !== expected);
          expect(off.length).toBeLessThanOrEqual(1);
          for (const s of off) expect(previousSlot(spec, new Date(s), zone).toISOString()).toBe(s);
        }
      }
    });
  });

  it('formats an instant as the local wall clock for log lines', () => {
    expect(formatLocal(new Date('2026-10-25T02:00:00Z'), 'Europe/Berlin')).toBe('2026-10-25 03:00 GMT+1');
    expect(formatLocal(new Date('2026-03-08T07:00:00Z'), 'America/New_York')).toBe('2026-03-08 03:00 EDT');
  });

  it('refuses a day of the month that some months do not have', () => {
    expect(() => nextSlot({ hour: 3, minute: 0, cadence: { every: 'month', day: 31 } }, new Date(), 'UTC')).toThrow('Invalid slot spec');
    expect(() => nextSlot({ hour: 24, minute: 0, cadence: { every: 'day' } }, new Date(), 'UTC')).toThrow('Invalid slot spec');
  });

  it('why the timers do not use the cron package: cron 4.4 fires 03:00 twice on the Berlin fall-back day', () => {
    // If this starts failing, cron has been fixed; the scheduler is right either way.
    const { CronTime } = createRequire(import.meta.url)('cron') as typeof import('cron');
    const time = new CronTime('0 0 3 * * *', 'Europe/Berlin');
    const fires: string[] = [];
    let at = new Date('2026-10-24T12:00:00Z');
    for (let i = 0; i < 3; i++) {
      at = time.getNextDateFrom(at, 'Europe/Berlin').toJSDate();
      fires.push(at.toISOString());
    }
    expect(fires).toEqual(['2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-26T02:00:00.000Z']);
  });
});
