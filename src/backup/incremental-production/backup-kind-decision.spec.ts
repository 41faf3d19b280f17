import { BackupKindDecision, type ChainState, type IncrementalPolicy, type KindRequest } from './backup-kind-decision.js';

const BASE = 'sentinel-backup-2026-12-03-030000.tar.gz';
const LAST = 'sentinel-incremental-2026-12-03-091000.tar.gz';
const HOURLY: IncrementalPolicy = { enabled: true, full_every: 'daily', max_chain_ratio: 0.5 };

function chain(overrides: Partial<{ baseAt: string; lastAt: string; increments: number; bytesSinceBase: number; baseSize: number }> = {}): ChainState {
  return {
    usable: true,
    chain: {
      base: BASE,
      baseAt: new Date(overrides.baseAt ?? '2026-12-03T03:00:00Z'),
      last: LAST,
      lastAt: new Date(overrides.lastAt ?? '2026-12-03T09:10:00Z'),
      increments: overrides.increments ?? 3,
      bytesSinceBase: overrides.bytesSinceBase ?? 1000,
      baseSize: overrides.baseSize ?? 100_000,
    },
  };
}

function decide(overrides: Partial<KindRequest>) {
  return new BackupKindDecision().decide({
    policy: HOURLY,
    requested: undefined,
    chain: chain(),
    timeZone: 'UTC',
    now: new Date('2026-12-03T09:15:00Z'),
    ...overrides,
  });
}

describe('BackupKindDecision', () => {
  it('makes an increment while the chain is usable and within its policy', () => {
    expect(decide({})).toEqual({ kind: 'incremental', reason: null });
    expect(decide({ requested: 'incremental' })).toEqual({ kind: 'incremental', reason: null });
  });

  it('makes a full backup, without a reason, when the policy is off (the path of every backup before incremental ones)', () => {
    expect(decide({ policy: { ...HOURLY, enabled: false } })).toEqual({ kind: 'full', reason: null });
    expect(decide({ policy: { ...HOURLY, enabled: false }, requested: 'full' })).toEqual({ kind: 'full', reason: null });
  });

  it('makes a full backup when one is asked for', () => {
    expect(decide({ requested: 'full' })).toEqual({ kind: 'full', reason: 'a full backup was asked for' });
  });

  it("makes a full backup with the index's own reason when the index cannot be used, even when an increment is asked for", () => {
    const lost: ChainState = { usable: false, reason: 'no page index for this target (its first backup with incremental backups on)' };
    expect(decide({ chain: lost, requested: 'incremental' })).toEqual({ kind: 'full', reason: lost.reason });
    expect(decide({ chain: lost })).toEqual({ kind: 'full', reason: lost.reason });
  });

  it('full_every daily: a full backup once the full of the chain was made on an earlier day of the service time zone', () => {
    // 23:30 UTC on the 2nd is already the 3rd in Berlin: the same day there, an earlier one in UTC.
    const lateBase = chain({ baseAt: '2026-12-02T23:30:00Z' });
    expect(decide({ chain: lateBase, timeZone: 'Europe/Berlin' }).kind).toBe('incremental');
    const utc = decide({ chain: lateBase, timeZone: 'UTC' });
    expect(utc.kind).toBe('full');
    expect(utc.reason).toBe(`the chain's full backup ${BASE} was made before today in UTC (full_every daily)`);
  });

  it('full_every weekly: a full backup once the full of the chain was made before the current ISO week (Monday first)', () => {
    const weekly = { ...HOURLY, full_every: 'weekly' as const };
    // 2026-12-07 is a Monday; the 6th a Sunday, the 1st a Tuesday.
    expect(decide({ policy: weekly, chain: chain({ baseAt: '2026-12-01T03:00:00Z' }), now: new Date('2026-12-06T22:00:00Z') }).kind).toBe('incremental');
    const monday = decide({ policy: weekly, chain: chain({ baseAt: '2026-12-06T22:00:00Z' }), now: new Date('2026-12-07T00:10:00Z') });
    expect(monday).toEqual({
      kind: 'full',
      reason: `the chain's full backup ${BASE} was made before this week (ISO weeks, Monday first) in UTC (full_every weekly)`,
    });
  });

  it('full_every a number: a full backup once the chain holds that many increments', () => {
    const everyThree = { ...HOURLY, full_every: 3 };
    expect(decide({ policy: everyThree, chain: chain({ increments: 2 }) }).kind).toBe('incremental');
    expect(decide({ policy: everyThree, chain: chain({ increments: 3 }) })).toEqual({
      kind: 'full',
      reason: `the chain of ${BASE} already holds 3 increments (full_every 3)`,
    });
    expect(decide({ policy: { ...HOURLY, full_every: 1 }, chain: chain({ increments: 1 }) }).reason).toContain('holds 1 increment (');
  });

  it('max_chain_ratio: a full backup once the increments add up to more than that share of the full archive', () => {
    expect(decide({ chain: chain({ bytesSinceBase: 50_000, baseSize: 100_000 }) }).kind).toBe('incremental');
    expect(decide({ chain: chain({ bytesSinceBase: 50_001, baseSize: 100_000 }) })).toEqual({
      kind: 'full',
      reason: `the chain's increments add up to 48.8 KiB, more than 0.5 of its full backup ${BASE} (97.7 KiB; max_chain_ratio 0.5)`,
    });
    expect(decide({ policy: { ...HOURLY, max_chain_ratio: 2 }, chain: chain({ bytesSinceBase: 150_000, baseSize: 100_000 }) }).kind).toBe('incremental');
  });

  describe('a clock set back', () => {
    const behind = `the time now (2026-12-03T09:09:59Z) is not after the chain's newest point ${LAST}: the clock was set back, and an increment named before the point it builds on would break the order of its chain`;
    const stats = { last: LAST, lastAt: new Date('2026-12-03T09:10:00Z') };
    const clockBehind = (now: string, nameAt = now) => new BackupKindDecision().clockBehind(stats, new Date(now), new Date(nameAt));

    it("makes a full backup when the time now is before the chain's newest point, or in its second (and that second's name is free)", () => {
      expect(clockBehind('2026-12-03T09:09:59Z')).toBe(behind);
      expect(clockBehind('2026-12-03T09:10:00.900Z')).toContain('is not after the chain');
    });

    it('makes an increment when a same-second clash moves the name past the newest point', () => {
      // Now is the newest point's own second (it was made a moment ago): its name is taken, so this one is named a second later.
      expect(clockBehind('2026-12-03T09:10:00.400Z', '2026-12-03T09:10:01Z')).toBeUndefined();
      // The newest point itself was moved a second on by a clash, and now is still before it: both seconds are taken.
      expect(clockBehind('2026-12-03T09:09:59.800Z', '2026-12-03T09:10:01Z')).toBeUndefined();
      expect(clockBehind('2026-12-03T09:10:01Z')).toBeUndefined();
    });

    it("leaves a clock set back to before the full backup's day to this rule: full_every daily does not call it a new day", () => {
      expect(decide({ now: new Date('2026-12-02T23:00:00Z') })).toEqual({ kind: 'incremental', reason: null });
      expect(decide({ now: new Date('2026-12-02T23:00:00Z'), policy: { ...HOURLY, full_every: 'weekly' } })).toEqual({ kind: 'incremental', reason: null });
      expect(new BackupKindDecision().clockBehind(stats, new Date('2026-12-02T23:00:00Z'), new Date('2026-12-02T23:00:00Z'))).toContain(
        'the clock was set back',
      );
    });

    it('is not asked by decide(): the plan asks it last, after the links (a link deleted by hand frees its second, which would look like a clock set back)', () => {
      expect(decide({ now: new Date('2026-12-03T09:09:59Z') })).toEqual({ kind: 'incremental', reason: null });
      expect(decide({ now: new Date('2026-12-03T09:09:59Z'), policy: { ...HOURLY, full_every: 3 } }).reason).toContain('already holds 3 increments');
    });
  });

  describe('the links of the chain', () => {
    const decision = new BackupKindDecision();
    const inc1 = 'sentinel-incremental-2026-12-03-040000.tar.gz';
    const inc2 = 'sentinel-incremental-2026-12-03-050000.tar.gz';
    const links = [BASE, inc1, inc2, LAST];

    it('allows the increment while every link from the full backup to the newest point is in the target', () => {
      expect(decision.missingLink(links, new Set([...links, 'sentinel-backup-2026-12-02-030000.tar.gz']))).toBeUndefined();
      expect(decision.missingLink([BASE], new Set([BASE]))).toBeUndefined();
    });

    it('names the first link that is gone: the full backup, an increment between, or the newest point', () => {
      expect(decision.missingLink(links, new Set([inc1, inc2, LAST]))).toBe(`the chain's full backup ${BASE} is no longer in the target`);
      expect(decision.missingLink(links, new Set([BASE, inc2, LAST]))).toBe(
        `the chain's increment ${inc1} (1 of 3 after its full backup ${BASE}) is no longer in the target`,
      );
      expect(decision.missingLink(links, new Set([BASE, inc1, inc2]))).toBe(`the chain's newest point ${LAST} is no longer in the target`);
    });
  });

  describe('the keys of the chain', () => {
    const decision = new BackupKindDecision();
    const [a, b, c] = ['age1aaa', 'age1bbb', 'age1ccc'];

    it('allows the increment while the recipients are the set the full backup was encrypted to (in any order), or both are plain', () => {
      expect(decision.recipientsChanged(BASE, null, null)).toBeUndefined();
      expect(decision.recipientsChanged(BASE, [a, b], [b, a])).toBeUndefined();
    });

    it('names a key rotated, a recipient added or removed, encryption turned on or off', () => {
      expect(decision.recipientsChanged(BASE, [a, b], [c, b])).toBe(
        `the target's encryption recipients changed since the chain's full backup ${BASE} (1 added, 1 removed: a key rotated, or a recipient added or removed); a chain is read with one set of keys`,
      );
      expect(decision.recipientsChanged(BASE, [a], [a, b])).toContain('(1 added, 0 removed');
      expect(decision.recipientsChanged(BASE, [a, b], [a])).toContain('(0 added, 1 removed');
      expect(decision.recipientsChanged(BASE, null, [a])).toBe(
        `encryption was turned on since the chain's full backup ${BASE}, which is plain; a chain is read with one set of keys`,
      );
      expect(decision.recipientsChanged(BASE, [a], null)).toBe(
        `encryption was turned off since the chain's full backup ${BASE}, which is encrypted; a chain is read with one set of keys`,
      );
    });
  });

  describe('after the snapshots', () => {
    const decision = new BackupKindDecision();

    it('allows the increment while the installation has the databases the index has', () => {
      expect(decision.afterSnapshot([{ name: 'ledger', indexed: true, current: true }])).toBeUndefined();
    });

    it("names a database added or removed since the chain's newest point", () => {
      const kept = { name: 'ledger', indexed: true, current: true };
      expect(decision.afterSnapshot([kept, { name: 'new', indexed: false, current: true }])).toBe("the database new was added since the chain's newest point");
      expect(decision.afterSnapshot([kept, { name: 'old', indexed: true, current: false }])).toBe(
        "the database old was removed since the chain's newest point",
      );
    });
  });
});
