import { describe, expect, it } from '@jest/globals';
import { backupFilename, incrementalBackupFilename } from '../archive-format/backup-filename.js';
import type { BackupCatalogService, ListedBackup } from '../backup/backup-catalog.service.js';
import { RotationService } from '../backup/rotation.service.js';
import type { Clock } from '../common/clock.js';
import type { InstallationIdentity } from '../common/installation/installation-identity.js';
import type { AppConfig } from '../config/app-config.js';
import type { ArchiveProvenance, WrittenArchive } from '../encryption/archive-provenance.store.js';
import type { RetentionRule, TargetDefinition } from '../targets/target-definition.js';
import { ReplicationPlanner } from './replication-planner.js';

const ME = '11111111-1111-4111-8111-111111111111';
const THEM = '22222222-2222-4222-8222-222222222222';
const NOW = new Date('2026-11-20T15:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const KEEP_ALL: RetentionRule = { retentionDays: 0, keepHourly: null, keepDaily: null, keepWeekly: null, keepMonthly: null, keepYearly: null };

/** A backup `daysAgo` days before NOW (at NOW's time of day), of `owner`, 100 bytes. */
function backup(daysAgo: number, owner: string | null = ME, sizeBytes = 100): ListedBackup {
  const createdAt = new Date(NOW.getTime() - daysAgo * DAY);
  return {
    filename: backupFilename(createdAt),
    sizeBytes,
    createdAt,
    ageMs: daysAgo * DAY,
    owner,
    own: owner === ME || owner === null,
    encrypted: false,
    recipients: null,
    madeHere: false,
    version: `size ${sizeBytes} mtime ${createdAt.getTime()}`,
    kind: 'full',
    base: null,
    parent: null,
  };
}

/** An increment `daysAgo` days before NOW after `parent`, in the chain of `base` (null: the source has no record of its chain). */
function increment(daysAgo: number, chain: { base: ListedBackup; parent: ListedBackup } | null): ListedBackup {
  const file = backup(daysAgo);
  return {
    ...file,
    filename: incrementalBackupFilename(file.createdAt),
    kind: 'incremental',
    base: chain?.base.filename ?? null,
    parent: chain?.parent.filename ?? null,
  };
}

/** A chain in the source: a full backup `daysAgo` days ago and `length` increments, one every hour after it. */
function chain(daysAgo: number, length: number): ListedBackup[] {
  const full = backup(daysAgo);
  const points = [full];
  for (let i = 1; i <= length; i++) points.push(increment(daysAgo - i / 24, { base: full, parent: points[i - 1] }));
  return points;
}

const names = (files: Array<{ filename: string }>) => files.map((f) => f.filename);

/** A record of `file` as stored in `target` (its size and stored version), with this SHA-256. */
function record(file: ListedBackup, sha256 = 'a'.repeat(64), target = 'nas'): WrittenArchive {
  return { target, filename: file.filename, sha256, sizeBytes: file.sizeBytes, recipients: null, createdAt: NOW, version: file.version };
}

/**
 * The planner over a source and a replica holding these backups (newest first, as the catalog lists them), with
 * these records of the replica and of the source.
 */
function planner(source: ListedBackup[], replica: ListedBackup[], records: WrittenArchive[] = [], sourceRecords: WrittenArchive[] = []): ReplicationPlanner {
  const newestFirst = (files: ListedBackup[]) => [...files].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const catalog = { list: async (target: string) => newestFirst(target === 'local' ? source : replica) } as unknown as BackupCatalogService;
  // The real rotation's plan (only its clock and time zone are used to plan): the planner must agree with it.
  const rotation = new RotationService(
    catalog,
    null as never,
    null as never,
    { now: () => new Date(NOW) } as unknown as Clock,
    null as never,
    { env: { timeZone: 'UTC' } } as unknown as AppConfig,
    null as never,
  );
  return new ReplicationPlanner(
    catalog,
    { findAll: async (target: string) => new Map((target === 'nas' ? records : sourceRecords).map((r) => [r.filename, r])) } as unknown as ArchiveProvenance,
    { id: ME } as unknown as InstallationIdentity,
    rotation,
  );
}

const nas = (retention: Partial<RetentionRule> = {}) =>
  ({ id: 'nas', retention: { ...KEEP_ALL, ...retention } }) as unknown as TargetDefinition & { id: 'nas' };

describe('ReplicationPlanner', () => {
  it('copies what the replica is missing, oldest first, and passes over proven copies without a word', async () => {
    const [a, b, c] = [backup(3), backup(2), backup(1)];
    const plan = await planner([a, b, c], [b], [record(b)]).plan('local', nas());
    expect(plan).toEqual({
      source: 'local',
      target: 'nas',
      copies: [
        { filename: a.filename, sizeBytes: 100, createdAt: a.createdAt, reason: 'missing', kind: 'full', base: null, parent: null, links: [] },
        { filename: c.filename, sizeBytes: 100, createdAt: c.createdAt, reason: 'missing', kind: 'full', base: null, parent: null, links: [] },
      ],
      skipped: [],
      unchained: [],
    });
  });

  it('hands an unproven archive of the same name to the copier as unverified (recorded with another size, or not at all), whoever it says made it', async () => {
    const [a, b] = [backup(2), backup(1)];
    const plan = await planner(
      [a, b],
      [
        { ...a, sizeBytes: 99 },
        { ...b, owner: null },
      ],
      [record(a)],
    ).plan('local', nas());
    expect(plan.copies.map((c) => [c.filename, c.reason])).toEqual([
      [a.filename, 'unverified'],
      [b.filename, 'unverified'],
    ]);
  });

  it('proves a copy by the SHA-256 recorded, not the size: a record of other bytes, another object stored since, or a record without the stored version is unverified', async () => {
    const [same, otherBytes, replaced, unversioned, unrecordedSource] = [backup(5), backup(4), backup(3), backup(2), backup(1)];
    const held = [same, otherBytes, { ...replaced, version: 'size 100 mtime 1' }, unversioned, unrecordedSource];
    const plan = await planner(
      [same, otherBytes, replaced, unversioned, unrecordedSource],
      held,
      [record(same), record(otherBytes, 'b'.repeat(64)), record(replaced), { ...record(unversioned), version: undefined }, record(unrecordedSource)],
      [same, otherBytes, replaced, unversioned].map((file) => record(file, 'a'.repeat(64), 'local')),
    ).plan('local', nas());
    // Proven: the same SHA-256 as the source's record; and a copy of an archive the source has no record of, by its record alone.
    expect(plan.copies.map((c) => [c.filename, c.reason])).toEqual([
      [otherBytes.filename, 'unverified'],
      [replaced.filename, 'unverified'],
      [unversioned.filename, 'unverified'],
    ]);
  });

  it("copies the source's backups without an owner, never another installation's, and leaves another installation's archive of that name in the replica alone", async () => {
    const [old, theirs, clash] = [backup(3, null), backup(2, THEM), backup(1)];
    const plan = await planner([old, theirs, clash], [{ ...clash, owner: THEM, own: false }]).plan('local', nas());
    expect(plan.copies.map((c) => c.filename)).toEqual([old.filename]);
    expect(plan.skipped).toEqual([
      { filename: theirs.filename, reason: `it belongs to installation ${THEM}: that installation replicates its own backups` },
      { filename: clash.filename, reason: `'nas' holds another archive of that name, of installation ${THEM}: it is left alone` },
    ]);
  });

  it("copies exactly what the replica's rotation would keep of what it holds and what it lacks together", async () => {
    // 40 daily backups; the replica holds the newest 5 already and keeps the newest of each of 7 days and 2 months.
    const days = Array.from({ length: 40 }, (_, i) => backup(i + 1));
    const held = days.slice(0, 5);
    const plan = await planner(
      days,
      held,
      held.map((file) => record(file)),
    ).plan('local', nas({ keepDaily: 7, keepMonthly: 2 }));
    // Days 6 and 7 fill the daily rule; the newest of October (Oct 31) is the second month's point; November's is held.
    expect(plan.copies.map((c) => c.filename)).toEqual([days[19], days[6], days[5]].map((d) => d.filename));
    expect(plan.skipped).toHaveLength(40 - 5 - 3);
    expect(plan.skipped[0].reason).toBe("'nas''s rotation would delete it (keep daily 7, monthly 2; no rule by age, and its newest three)");
  });

  it("with retention days alone, skips what is older than the replica's days, and counts another installation's archives in the replica for nothing", async () => {
    const days = Array.from({ length: 6 }, (_, i) => backup(i + 1));
    const foreign = [backup(0.5, THEM), backup(0.25, THEM), backup(0.1, THEM)].map((f) => ({ ...f, own: false }));
    const plan = await planner(days, foreign).plan('local', nas({ retentionDays: 2 }));
    // Within 2 days: days 1 and 2; the newest three of its own (the foreign ones are not its own): days 1 to 3.
    expect(plan.copies.map((c) => c.filename)).toEqual([days[2], days[1], days[0]].map((d) => d.filename));
  });

  it('with retention days 0 and no keep_*, copies every missing backup', async () => {
    const days = Array.from({ length: 30 }, (_, i) => backup(i * 30));
    expect((await planner(days, []).plan('local', nas())).copies).toHaveLength(30);
  });

  describe('chains (issue 19)', () => {
    it('copies a chain whole and in order, each increment with the base and parent of its record', async () => {
      const [full, i1, i2, i3] = chain(2, 3);
      const plan = await planner([full, i1, i2, i3], []).plan('local', nas());
      expect(plan.copies.map((c) => [c.filename, c.kind, c.base, c.parent])).toEqual([
        [full.filename, 'full', null, null],
        [i1.filename, 'incremental', full.filename, full.filename],
        [i2.filename, 'incremental', full.filename, i1.filename],
        [i3.filename, 'incremental', full.filename, i2.filename],
      ]);
      expect(plan.skipped).toEqual([]);
    });

    it('copies the rest of a chain the replica holds the start of', async () => {
      const [full, i1, i2, i3] = chain(2, 3);
      const plan = await planner([full, i1, i2, i3], [full, i1], [record(full), record(i1)]).plan('local', nas());
      expect(names(plan.copies)).toEqual(names([i2, i3]));
    });

    it('copies an increment whose parent is no longer in the source but is in the replica', async () => {
      const [full, i1, i2] = chain(2, 2);
      const plan = await planner([full, i2], [full, i1], [record(full), record(i1)]).plan('local', nas());
      expect(names(plan.copies)).toEqual(names([i2]));
    });

    it('never copies an increment alone: a parent gone from both, or a chain the source has no record of, skips it and every increment after it, saying why', async () => {
      const [full, i1, i2, i3] = chain(3, 3);
      const unknown = increment(1, null);
      const plan = await planner([full, i2, i3, unknown], []).plan('local', nas());
      expect(names(plan.copies)).toEqual(names([full]));
      const because = (reason: string) => `${reason}: copied alone it could not be restored from 'nas', so it is not copied`;
      expect(plan.unchained).toEqual([
        { filename: i2.filename, reason: because(`its parent ${i1.filename} is neither in 'local' any more nor in 'nas'`) },
        { filename: i3.filename, reason: because(`its parent ${i2.filename} is not copied (see its own reason)`) },
        { filename: unknown.filename, reason: because("'local' has no record of the chain of this increment (its full backup and the point before it)") },
      ]);
      expect(plan.skipped).toEqual([...plan.unchained].sort((a, b) => a.filename.localeCompare(b.filename)));
    });

    it('hands each increment the points it is restored through, parent first', async () => {
      const [full, i1, i2] = chain(2, 2);
      const plan = await planner([full, i1, i2], []).plan('local', nas());
      expect(plan.copies.map((c) => [c.filename, c.links])).toEqual([
        [full.filename, []],
        [i1.filename, [full.filename]],
        [i2.filename, [i1.filename, full.filename]],
      ]);
    });

    it('skips an increment after a proven copy whose own chain is broken in the replica (an earlier point is not copied)', async () => {
      const [full, i1, i2, i3] = chain(2, 3);
      // i1's name is held in the replica by another installation's archive: i2's copy there cannot be restored, nor i3's.
      const plan = await planner([full, i1, i2, i3], [full, { ...i1, owner: THEM, own: false }, i2], [record(full), record(i2)]).plan('local', nas());
      expect(plan.copies).toEqual([]);
      expect(plan.unchained).toEqual([
        {
          filename: i3.filename,
          reason: `its earlier increment ${i1.filename} is not copied (see its own reason): copied alone it could not be restored from 'nas', so it is not copied`,
        },
      ]);
    });

    it("skips an increment whose full backup the replica holds as another installation's archive", async () => {
      const [full, i1] = chain(2, 1);
      const plan = await planner([full, i1], [{ ...full, owner: THEM, own: false }]).plan('local', nas());
      expect(plan.copies).toEqual([]);
      expect(plan.unchained.map((s) => s.filename)).toEqual([i1.filename]);
      expect(plan.unchained[0].reason).toMatch(`its parent ${full.filename} is not copied`);
    });

    it("plans the replica's rotation with the chains: a full backup a kept increment needs is copied even where the rule alone would not keep it", async () => {
      // keep daily 1: the rule alone keeps the newest day's point (the last increment) and the newest three.
      const [full, ...increments] = chain(3, 4);
      const plan = await planner([full, ...increments], []).plan('local', nas({ keepDaily: 1, retentionDays: 1 }));
      expect(names(plan.copies)).toEqual(names([full, ...increments]));
      expect(plan.skipped).toEqual([]);
    });
  });
});
