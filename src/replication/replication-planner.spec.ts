import { describe, expect, it } from '@jest/globals';
import { backupFilename } from '../archive-format/backup-filename.js';
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
    kind: 'full',
    base: null,
    parent: null,
  };
}

function record(file: ListedBackup): WrittenArchive {
  return { target: 'nas', filename: file.filename, sha256: 'a'.repeat(64), sizeBytes: file.sizeBytes, recipients: null, createdAt: NOW };
}

/** The planner over a source and a replica holding these backups (newest first, as the catalog lists them), with these records of the replica. */
function planner(source: ListedBackup[], replica: ListedBackup[], records: WrittenArchive[] = []): ReplicationPlanner {
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
  );
  return new ReplicationPlanner(
    catalog,
    { findAll: async () => new Map(records.map((r) => [r.filename, r])) } as unknown as ArchiveProvenance,
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
        { filename: a.filename, sizeBytes: 100, createdAt: a.createdAt, reason: 'missing' },
        { filename: c.filename, sizeBytes: 100, createdAt: c.createdAt, reason: 'missing' },
      ],
      skipped: [],
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
    const plan = await planner(days, held, held.map(record)).plan('local', nas({ keepDaily: 7, keepMonthly: 2 }));
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
});
