import type { RetentionRule } from '../../targets/target-definition.js';
import { describeRetention, planRetention, type RetentionCandidate } from './retention-planner.js';
import { ChainGraph } from './chain-graph.js';

const unset: RetentionRule = { retentionDays: 0, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null };
const rule = (r: Partial<RetentionRule>): RetentionRule => ({ ...unset, ...r });

/** A backup named after its UTC time, as the catalog lists them. */
function backup(iso: string, own = true): RetentionCandidate {
  const at = new Date(iso);
  const name = `sentinel-backup-${at.toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '')}.tar.gz`;
  return { filename: name, createdAt: at, own };
}

/** An increment named after its UTC time, with the chain its record gives (null: no record). */
function increment(iso: string, chain: { base: RetentionCandidate; parent: RetentionCandidate } | null, own = true): RetentionCandidate {
  const at = new Date(iso);
  const name = `sentinel-incremental-${at.toISOString().slice(0, 19).replace('T', '-').replace(/:/g, '')}.tar.gz`;
  return { filename: name, createdAt: at, own, kind: 'incremental', base: chain?.base.filename ?? null, parent: chain?.parent.filename ?? null };
}

const names = (list: RetentionCandidate[]) => list.map((b) => b.filename);
const reasonsOf = (plan: ReturnType<typeof planRetention>) => Object.fromEntries(plan.kept.map((k) => [k.filename, k.reasons]));

describe('planRetention', () => {
  const now = new Date('2026-11-20T14:30:00Z');
  /** One backup a day at 03:00 UTC, 0 to 9 days old, newest first. */
  const daily = Array.from({ length: 10 }, (_, i) => backup(new Date(Date.UTC(2026, 10, 20 - i, 3)).toISOString()));

  describe('without keep_* (the spec rule, as before)', () => {
    it('retention 0 keeps everything, saying so', () => {
      const plan = planRetention(daily, unset, now, 'UTC');
      expect(plan.deleted).toEqual([]);
      expect(plan.kept.map((k) => k.filename)).toEqual(names(daily));
      expect(plan.kept[0].reasons).toEqual(['one of the newest three', 'retention_days 0 keeps every backup']);
      expect(plan.kept[9].reasons).toEqual(['retention_days 0 keeps every backup']);
    });

    it('retention N deletes own backups older than N days, oldest first, keeping the newest three however old', () => {
      const plan = planRetention(daily, rule({ retentionDays: 4 }), now, 'UTC');
      // Ages 0.48, 1.48, ... days: the first four are within 4 days.
      expect(plan.deleted).toEqual(names(daily.slice(4)).reverse());
      expect(reasonsOf(plan)).toEqual({
        [daily[0].filename]: ['one of the newest three', 'within 4 days'],
        [daily[1].filename]: ['one of the newest three', 'within 4 days'],
        [daily[2].filename]: ['one of the newest three', 'within 4 days'],
        [daily[3].filename]: ['within 4 days'],
      });
      const old = planRetention(daily.slice(5), rule({ retentionDays: 1 }), now, 'UTC');
      expect(old.deleted).toEqual(names(daily.slice(8)).reverse());
      expect(old.kept.map((k) => k.reasons)).toEqual([['one of the newest three'], ['one of the newest three'], ['one of the newest three']]);
      expect(planRetention(daily, rule({ retentionDays: 1 }), now, 'UTC').kept[0].reasons).toEqual(['one of the newest three', 'within 1 day']);
    });

    it("never deletes nor counts another installation's backups", () => {
      const mixed = daily.map((b, i) => (i % 2 === 0 ? { ...b, own: false } : b));
      const plan = planRetention(mixed, rule({ retentionDays: 1 }), now, 'UTC');
      // The newest three own ones are days 1, 3 and 5; days 7 and 9 go; the even days stay as not own.
      expect(plan.deleted).toEqual([daily[9].filename, daily[7].filename]);
      expect(reasonsOf(plan)[daily[0].filename]).toEqual(["not this installation's backup (rotation deletes only its own)"]);
      expect(reasonsOf(plan)[daily[5].filename]).toEqual(['one of the newest three']);
    });

    it('does not depend on the order of its input', () => {
      const shuffled = [daily[4], daily[0], daily[9], daily[2], daily[7], daily[1], daily[8], daily[3], daily[6], daily[5]];
      expect(planRetention(shuffled, rule({ retentionDays: 3 }), now, 'UTC')).toEqual(planRetention(daily, rule({ retentionDays: 3 }), now, 'UTC'));
    });
  });

  describe('with keep_*', () => {
    it('keep_daily N keeps the newest backup of each of the N most recent days that have one, skipping days without', () => {
      const list = [
        backup('2026-11-20T12:00:00Z'),
        backup('2026-11-20T06:00:00Z'),
        backup('2026-11-20T01:00:00Z'),
        backup('2026-11-19T23:00:00Z'),
        backup('2026-11-19T10:00:00Z'),
        // no backup on the 18th and 17th
        backup('2026-11-16T08:00:00Z'),
        backup('2026-11-15T08:00:00Z'),
      ];
      const plan = planRetention(list, rule({ keepDaily: 3 }), now, 'UTC');
      expect(reasonsOf(plan)).toEqual({
        [list[0].filename]: ['one of the newest three', 'newest of day 2026-11-20'],
        [list[1].filename]: ['one of the newest three'],
        [list[2].filename]: ['one of the newest three'],
        [list[3].filename]: ['newest of day 2026-11-19'],
        [list[5].filename]: ['newest of day 2026-11-16'],
      });
      expect(plan.deleted).toEqual([list[6].filename, list[4].filename]);
    });

    it('buckets by the wall clock of the time zone: a UTC evening is the next day in Tokyo and the same day in New York', () => {
      const list = [backup('2026-11-20T16:00:00Z'), backup('2026-11-20T14:00:00Z'), backup('2026-11-19T16:00:00Z'), backup('2026-11-19T14:00:00Z')];
      const tokyo = planRetention(list, rule({ keepDaily: 9 }), now, 'Asia/Tokyo');
      // Tokyo is UTC+9: 16:00Z is 01:00 the next day, 14:00Z 23:00 the same day.
      expect(tokyo.kept.map((k) => k.reasons.at(-1))).toEqual([
        'newest of day 2026-11-21',
        'newest of day 2026-11-20',
        'one of the newest three',
        'newest of day 2026-11-19',
      ]);
      expect(tokyo.deleted).toEqual([]);
      const newYork = planRetention(list, rule({ keepDaily: 9 }), now, 'America/New_York');
      expect(newYork.kept.map((k) => k.reasons.at(-1))).toEqual(['newest of day 2026-11-20', 'one of the newest three', 'newest of day 2026-11-19']);
      expect(newYork.deleted).toEqual([list[3].filename]);
    });

    it('an hour bucket is a wall-clock hour: the hour repeated when the clocks go back is one bucket, the skipped one has none', () => {
      // Europe/Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 00:30Z and 01:30Z are both 02:30 on the wall.
      const autumn = [backup('2026-10-25T02:30:00Z'), backup('2026-10-25T01:30:00Z'), backup('2026-10-25T00:30:00Z'), backup('2026-10-24T23:30:00Z')];
      const fall = planRetention(autumn, rule({ keepHourly: 10 }), now, 'Europe/Berlin');
      expect(fall.kept.map((k) => k.reasons)).toEqual([
        ['one of the newest three', 'newest of hour 2026-10-25 03:00'],
        ['one of the newest three', 'newest of hour 2026-10-25 02:00'],
        ['one of the newest three'],
        ['newest of hour 2026-10-25 01:00'],
      ]);
      // 29 March 2026: 02:00 CET becomes 03:00 CEST; 00:30Z is 01:30, 01:30Z is 03:30, there is no 02:xx.
      const spring = [backup('2026-03-29T01:30:00Z'), backup('2026-03-29T00:30:00Z')];
      expect(planRetention(spring, rule({ keepHourly: 2 }), now, 'Europe/Berlin').kept.map((k) => k.reasons.at(-1))).toEqual([
        'newest of hour 2026-03-29 03:00',
        'newest of hour 2026-03-29 01:00',
      ]);
    });

    it('weeks are ISO weeks of their week-numbering year; months and years in the time zone', () => {
      const list = [
        backup('2027-01-04T12:00:00Z'), // Monday: 2027-W01
        backup('2027-01-03T12:00:00Z'), // Sunday: still 2026-W53 (2026 has 53 weeks)
        backup('2026-12-28T12:00:00Z'), // Monday of 2026-W53
        backup('2026-12-27T12:00:00Z'), // Sunday: 2026-W52
        backup('2024-12-30T12:00:00Z'), // Monday: 2025-W01
        backup('2024-12-29T12:00:00Z'), // Sunday: 2024-W52
      ];
      const plan = planRetention(list, rule({ keepWeekly: 10 }), now, 'UTC');
      expect(plan.kept.map((k) => k.reasons.at(-1))).toEqual([
        'newest of week 2027-W01',
        'newest of week 2026-W53',
        'one of the newest three',
        'newest of week 2026-W52',
        'newest of week 2025-W01',
        'newest of week 2024-W52',
      ]);
      // 23:30 UTC on 30 November is 1 December in Berlin: its month is December, and 31 December's evening is the next year.
      const monthly = [backup('2026-12-31T23:30:00Z'), backup('2026-11-30T23:30:00Z'), backup('2026-11-30T12:00:00Z')];
      const months = planRetention(monthly, rule({ keepMonthly: 5, keepYearly: 5 }), now, 'Europe/Berlin');
      expect(months.kept.map((k) => k.reasons.slice(1))).toEqual([
        ['newest of month 2027-01', 'newest of year 2027'],
        ['newest of month 2026-12', 'newest of year 2026'],
        ['newest of month 2026-11'],
      ]);
    });

    it('once a keep_* is set, retention 0 is no rule by age; N > 0 keeps the last N days too; any rule keeps', () => {
      const noAge = planRetention(daily, rule({ keepWeekly: 1 }), now, 'UTC');
      // The newest three, and the newest of the newest week (2026-W47: 16 to 22 November) which is one of them.
      expect(noAge.kept.map((k) => k.filename)).toEqual(names(daily.slice(0, 3)));
      expect(noAge.kept[0].reasons).toEqual(['one of the newest three', 'newest of week 2026-W47']);
      expect(noAge.deleted).toEqual(names(daily.slice(3)).reverse());

      const withAge = planRetention(daily, rule({ retentionDays: 5, keepWeekly: 2 }), now, 'UTC');
      // Within 5 days: the 20th to the 16th; week 2026-W46's newest is the 15th.
      expect(withAge.kept.map((k) => k.filename)).toEqual(names(daily.slice(0, 6)));
      expect(reasonsOf(withAge)[daily[5].filename]).toEqual(['newest of week 2026-W46']);
      expect(reasonsOf(withAge)[daily[4].filename]).toEqual(['within 5 days']);
    });

    it('every keep_* set to 0 keeps only the newest three', () => {
      const zero = rule({ keepHourly: 0, keepDaily: 0, keepWeekly: 0, keepMonthly: 0, keepYearly: 0 });
      expect(planRetention(daily, zero, now, 'UTC').deleted).toEqual(names(daily.slice(3)).reverse());
    });

    it('an empty target plans nothing', () => {
      expect(planRetention([], rule({ keepDaily: 7 }), now, 'UTC')).toEqual({ deleted: [], kept: [], guessed: [] });
    });
  });

  describe('chains of increments', () => {
    // An old chain, the previous day's chain and today's, 14:30 UTC on 20 November.
    const oldFull = backup('2026-11-10T03:00:00Z');
    const oldInc = increment('2026-11-10T09:00:00Z', { base: oldFull, parent: oldFull });
    const full0 = backup('2026-11-17T03:00:00Z');
    const inc1 = increment('2026-11-17T09:00:00Z', { base: full0, parent: full0 });
    const inc2 = increment('2026-11-19T15:00:00Z', { base: full0, parent: inc1 });
    const full1 = backup('2026-11-20T03:00:00Z');
    const inc3 = increment('2026-11-20T09:00:00Z', { base: full1, parent: full1 });
    const inc4 = increment('2026-11-20T12:00:00Z', { base: full1, parent: inc3 });
    const all = [oldFull, oldInc, full0, inc1, inc2, full1, inc3, inc4];

    it('counts each increment as a restorable point, and keeps the chain of every kept increment', () => {
      const plan = planRetention(all, rule({ retentionDays: 1 }), now, 'UTC');
      // Within 1 day: inc4, inc3, full1 (also the newest three) and inc2, which needs inc1 and full0.
      expect(plan.deleted).toEqual([oldFull.filename, oldInc.filename]);
      expect(reasonsOf(plan)).toEqual({
        [inc4.filename]: ['one of the newest three', 'within 1 day'],
        [inc3.filename]: ['one of the newest three', 'within 1 day', `needed to restore ${inc4.filename} (its chain)`],
        [full1.filename]: ['one of the newest three', 'within 1 day', `needed to restore ${inc4.filename} (its chain)`],
        [inc2.filename]: ['within 1 day'],
        [inc1.filename]: [`needed to restore ${inc2.filename} (its chain)`],
        [full0.filename]: [`needed to restore ${inc2.filename} (its chain)`],
      });
    });

    it('the newest three are three points: three increments keep their full backup, not more', () => {
      const plan = planRetention(
        [full0, inc1, inc2, full1, inc3, increment('2026-11-20T10:00:00Z', { base: full1, parent: inc3 })],
        rule({ retentionDays: 0, keepHourly: 0 }),
        now,
        'UTC',
      );
      expect(plan.kept.map((k) => k.filename)).toEqual([expect.stringMatching(/100000/), inc3.filename, full1.filename]);
      expect(plan.deleted).toEqual([full0.filename, inc1.filename, inc2.filename]);
    });

    it('GFS counts points: the newest of a day may be an increment, and its full backup stays with it', () => {
      const plan = planRetention(all, rule({ keepDaily: 3 }), now, 'UTC');
      // Days 20, 19 and 17 have backups: their newest are inc4, inc2 and inc1.
      expect(reasonsOf(plan)[inc2.filename]).toEqual(['newest of day 2026-11-19']);
      expect(reasonsOf(plan)[inc1.filename]).toEqual(['newest of day 2026-11-17', `needed to restore ${inc2.filename} (its chain)`]);
      expect(reasonsOf(plan)[full0.filename]).toEqual([`needed to restore ${inc2.filename} (its chain)`]);
      expect(plan.deleted).toEqual([oldFull.filename, oldInc.filename]);
    });

    it("another installation's kept increment keeps this installation's backups it needs", () => {
      const foreign = increment('2026-11-10T12:00:00Z', { base: oldFull, parent: oldInc }, false);
      const plan = planRetention([...all, foreign], rule({ retentionDays: 1 }), now, 'UTC');
      expect(plan.deleted).toEqual([]);
      expect(reasonsOf(plan)[oldFull.filename]).toEqual([`needed to restore ${foreign.filename} (its chain)`]);
    });

    it('a broken chain (parent gone) keeps everything the increment might need, back to its base, and says it is a guess', () => {
      // inc1 was deleted outside the service: inc2's parent is missing. What is left of its chain, and anything
      // between its base and it (another increment, whatever it is), stays; only what is older than its base goes.
      const other = increment('2026-11-18T09:00:00Z', { base: full0, parent: full0 });
      const plan = planRetention([oldFull, oldInc, full0, other, inc2, full1, inc3, inc4], rule({ retentionDays: 1 }), now, 'UTC');
      expect(plan.deleted).toEqual([oldFull.filename, oldInc.filename]);
      const guess = `might be needed to restore ${inc2.filename} (its chain is broken: every backup back to its base ${full0.filename} is kept)`;
      expect(reasonsOf(plan)[other.filename]).toEqual([guess]);
      expect(reasonsOf(plan)[full0.filename]).toEqual([guess]);
      expect(plan.guessed).toEqual([inc2.filename]);
    });

    it('a broken chain whose base is gone too keeps everything back to the time of its base, not just to the newest older full backup', () => {
      // full0 and inc1 went outside the service; fullB, made between them and inc2 (with the policy off), is not
      // inc2's base, and `other`, older than fullB, may be a link of its chain.
      const other = increment('2026-11-18T09:00:00Z', { base: full0, parent: full0 });
      const fullB = backup('2026-11-19T03:00:00Z');
      const plan = planRetention([oldFull, oldInc, other, fullB, inc2, full1, inc3, inc4], rule({ retentionDays: 1 }), now, 'UTC');
      expect(plan.deleted).toEqual([oldFull.filename, oldInc.filename]);
      for (const kept of [other, fullB])
        expect(reasonsOf(plan)[kept.filename]).toEqual([expect.stringMatching(/^might be needed to restore .*its chain is broken/)]);
    });

    it('an increment with no record of its chain keeps every older backup: the newest full backup before it may be another chain', () => {
      // The stray increment (copied in, its record lost) was made on full0's chain after inc1; fullB, between them,
      // was made with the policy off. Guessing "the newest full before it" would keep fullB and give up inc1 and full0.
      const fullB = backup('2026-11-19T03:00:00Z');
      const stray = increment('2026-11-19T15:00:00Z', null);
      const plan = planRetention([oldFull, oldInc, full0, inc1, fullB, stray, full1, inc3, inc4], rule({ retentionDays: 1 }), now, 'UTC');
      expect(plan.deleted).toEqual([]);
      const guess = `might be needed to restore ${stray.filename} (its chain is not recorded: every older backup is kept)`;
      for (const kept of [fullB, inc1, full0, oldInc, oldFull]) expect(reasonsOf(plan)[kept.filename]).toEqual([guess]);
      expect(plan.guessed).toEqual([stray.filename]);
      expect(new ChainGraph([oldFull, oldInc, full0, inc1, fullB, stray]).dependentsOf(full0.filename)).toEqual([stray.filename, inc1.filename]);
    });

    it('names what depends on a backup, newest first, through the whole chain', () => {
      const graph = new ChainGraph(all);
      expect(graph.dependentsOf(full0.filename)).toEqual([inc2.filename, inc1.filename]);
      expect(graph.dependentsOf(inc1.filename)).toEqual([inc2.filename]);
      expect(graph.dependentsOf(inc2.filename)).toEqual([]);
      expect(graph.dependentsOf(full1.filename)).toEqual([inc4.filename, inc3.filename]);
      // A cycle in damaged records ends.
      const a = increment('2026-11-21T01:00:00Z', null);
      const b = { ...increment('2026-11-21T02:00:00Z', null), parent: a.filename };
      const looped = new ChainGraph([{ ...a, parent: b.filename }, b]);
      expect(looped.dependentsOf(a.filename)).toEqual([b.filename]);
    });
  });

  it('describes the rule for log lines', () => {
    expect(describeRetention(rule({ retentionDays: 90, keepHourly: 24, keepDaily: 7, keepWeekly: 4, keepMonthly: 12 }))).toBe(
      'keep hourly 24, daily 7, weekly 4, monthly 12; within 90 days',
    );
    expect(describeRetention(rule({ keepYearly: 3 }))).toBe('keep yearly 3; no rule by age');
  });
});
