/**
 * Issue 16, calendar retention: keep_hourly … keep_yearly with restic's and Kopia's meaning, through the API.
 * A simulated year of hourly backups in the local folder (named by their time, the test clock at the end of the
 * year, the service in Europe/Berlin so both daylight-saving changes are in it): the kept set equals one computed
 * here, independently, from the rule's definition; the dry run's reasons match it and change nothing; unset keys
 * rotate as the spec's rule always did. The same against the real S3 server for the r2 target. Bad values: 400.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { RotationCompletedEvent } from '../src/backup/backup.events.js';
import { Clock } from '../src/common/clock.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, putMany, testS3Client } from './support/s3-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
const ZONE = 'Europe/Berlin';
/** The test clock: an hour and a half after the clocks went back in Berlin (03:00 CEST → 02:00 CET on 25 October 2026). */
const NOW = new Date('2026-10-25T02:30:00Z');

interface Kept {
  filename: string;
  reasons: string[];
}

// ---------------------------------------------------------------------------------------------------------------
// The reference: the rule's definition written out plainly, sharing no code with the planner. Buckets are the
// wall-clock fields that Intl formats in the zone (sv-SE prints "2026-10-25 02"), grouped in maps; each rule keeps
// the newest backup of each of the N buckets whose newest backups are the most recent.
// ---------------------------------------------------------------------------------------------------------------

const wall = new Intl.DateTimeFormat('sv-SE', { timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', hourCycle: 'h23' });

/** ISO 8601 week of a date: week 1 is the week with 4 January in it, weeks start on Monday. */
function isoWeekKey(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  const mondayOfWeek1 = (year: number) => {
    const jan4 = new Date(Date.UTC(year, 0, 4));
    return jan4.getTime() - ((jan4.getUTCDay() + 6) % 7) * DAY;
  };
  const t = Date.UTC(y, m - 1, d);
  let year = y + 1;
  while (t < mondayOfWeek1(year)) year--;
  const week = Math.floor((t - mondayOfWeek1(year)) / (7 * DAY)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

const BUCKET_OF: Record<string, (at: Date) => string> = {
  hour: (at) => `${wall.format(at)}:00`,
  day: (at) => wall.format(at).slice(0, 10),
  week: (at) => isoWeekKey(wall.format(at).slice(0, 10)),
  month: (at) => wall.format(at).slice(0, 7),
  year: (at) => wall.format(at).slice(0, 4),
};

/** The UTC time in a backup's name. */
function timeOf(name: string): Date {
  const [, y, mo, d, h, mi, s] = /^sentinel-backup-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})/.exec(name)!;
  return new Date(Date.UTC(+y, +mo - 1, +d, +h, +mi, +s));
}

/** What the rule keeps of `names` (every one this installation's), with the reasons, by file name. */
function referenceKept(names: string[], rule: { hour?: number; day?: number; week?: number; month?: number; year?: number }, now: Date): Map<string, string[]> {
  const kept = new Map<string, string[]>();
  const add = (name: string, reason: string) => kept.set(name, [...(kept.get(name) ?? []), reason]);
  const byTime = [...names].sort((a, b) => timeOf(b).getTime() - timeOf(a).getTime());
  byTime.slice(0, 3).forEach((name) => add(name, 'one of the newest three'));
  void now; // no rule by age: retention_days is 0
  for (const [unit, count] of Object.entries(rule)) {
    const newestOf = new Map<string, string>();
    for (const name of names) {
      const key = BUCKET_OF[unit](timeOf(name));
      const held = newestOf.get(key);
      if (!held || timeOf(name) > timeOf(held)) newestOf.set(key, name);
    }
    const recent = [...newestOf.entries()].sort(([, a], [, b]) => timeOf(b).getTime() - timeOf(a).getTime()).slice(0, count);
    for (const [key, name] of recent) add(name, `newest of ${unit} ${key}`);
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------------------------

/** Every file of a folder with the SHA-256 of its bytes. */
function folderDigest(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [
        name,
        createHash('sha256')
          .update(fs.readFileSync(path.join(dir, name)))
          .digest('hex'),
      ]),
  );
}

function recordRotations(t: TestApp): RotationCompletedEvent[] {
  const seen: RotationCompletedEvent[] = [];
  t.app.get(EventEmitter2).on(RotationCompletedEvent.eventName, (e: RotationCompletedEvent) => seen.push(e));
  return seen;
}

function sortedReasons(kept: Kept[]): Record<string, string[]> {
  return Object.fromEntries(kept.map((k) => [k.filename, [...k.reasons].sort()]));
}

function fromReference(reference: Map<string, string[]>): Record<string, string[]> {
  return Object.fromEntries([...reference].map(([name, reasons]) => [name, [...reasons].sort()]));
}

describe('Calendar retention on the local target (a simulated year of hourly backups)', () => {
  let t: TestApp;
  let folder: string;
  /** One backup an hour for a year before NOW, newest first; each file holds its own name, so each is told apart by its bytes. */
  const year = Array.from({ length: 365 * 24 }, (_, i) => backupFilename(new Date(NOW.getTime() - 30 * 60 * 1000 - i * HOUR)));

  beforeEach(async () => {
    t = await startTestApp({ TZ: ZONE });
    t.app.get(Clock).now = () => new Date(NOW);
    folder = path.join(t.dataDir, 'backups');
    fs.mkdirSync(folder, { recursive: true });
    for (const name of year) fs.writeFileSync(path.join(folder, name), `archive ${name}\n`);
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a backup\n');
  });
  afterEach(() => t.close());

  it('keep_hourly 24 / daily 7 / weekly 4 / monthly 12: the dry run lists the rule set with its reasons and changes nothing; the rotation keeps exactly it', async () => {
    await putSettings(t, {
      local_backup_retention_days: 0,
      local_backup_keep_hourly: 24,
      local_backup_keep_daily: 7,
      local_backup_keep_weekly: 4,
      local_backup_keep_monthly: 12,
    });
    const reference = referenceKept(year, { hour: 24, day: 7, week: 4, month: 12 }, NOW);
    // A one-hour recovery point for about fifty archives (24 + 7 + 4 + 12, less those that serve two rules).
    expect(reference.size).toBeGreaterThanOrEqual(40);
    expect(reference.size).toBeLessThanOrEqual(50);
    // The wall-clock hour 02:00 happened twice this morning: one bucket, so the 24 hours reach back 25 real hours.
    expect([...reference.values()].flat()).toContain('newest of hour 2026-10-25 02:00');

    const before = folderDigest(folder);
    const rotations = recordRotations(t);
    const preview = (await t.http.post('/api/backups/local/rotate?dry_run=true').expect(200)).body as { deleted: string[]; kept: Kept[] };
    expect(sortedReasons(preview.kept)).toEqual(fromReference(reference));
    expect(preview.kept.map((k) => k.filename)).toEqual(year.filter((name) => reference.has(name))); // newest first
    expect(preview.deleted).toEqual(year.filter((name) => !reference.has(name)).reverse()); // oldest first
    expect(preview.kept.find((k) => k.filename === year[0])!.reasons).toEqual([
      'one of the newest three',
      'newest of hour 2026-10-25 03:00',
      'newest of day 2026-10-25',
      'newest of week 2026-W43',
      'newest of month 2026-10',
    ]);
    // Nothing changed: every file byte-identical, no rotation event, and the audit log says it was a dry run.
    expect(folderDigest(folder)).toEqual(before);
    expect(rotations).toEqual([]);
    const audit = (await t.http.get('/api/audit?limit=1').expect(200)).body;
    expect(audit[0]).toMatchObject({ action: 'backup.rotate-dry-run', target: 'local', outcome: 'ok' });
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toMatch(/Local backup rotation: deleted/);

    const result = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(result).toMatchObject({ target: 'local', retention_days: 0, kept: reference.size, not_own: 0, failed: [] });
    expect(result.deleted).toEqual(preview.deleted);
    expect(result.kept_backups).toEqual(preview.kept);
    expect(fs.readdirSync(folder).sort()).toEqual([...reference.keys(), 'notes.txt'].sort());
    expect(rotations).toEqual([new RotationCompletedEvent('local', preview.deleted, reference.size, [], 'manual', expect.any(Number) as unknown as number)]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(
      `Local backup rotation: deleted ${preview.deleted.length} backups not kept by the rule (keep hourly 24, daily 7, weekly 4, monthly 12; no rule by age), kept ${reference.size}`,
    );
    // The kept ones are what the list shows, and a second rotation finds nothing more to delete.
    expect((await t.http.get('/api/backups/local').expect(200)).body).toHaveLength(reference.size);
    expect((await t.http.post('/api/backups/local/rotate').expect(200)).body).toMatchObject({ deleted: [], kept: reference.size });
  }, 180_000);

  it('keep_yearly and retention days together: a backup is kept when any rule keeps it', async () => {
    await putSettings(t, { local_backup_retention_days: 10, local_backup_keep_yearly: 5 });
    const preview = (await t.http.post('/api/backups/local/rotate?dry_run=true').expect(200)).body as { deleted: string[]; kept: Kept[] };
    const within = year.filter((_, i) => 30 * 60 * 1000 + i * HOUR <= 10 * DAY);
    expect(within).toHaveLength(240);
    // The year began before the year: 2026's newest is the newest; 2025's is its last backup before midnight in Berlin.
    const newestOf2025 = year.find((name) => BUCKET_OF.year(timeOf(name)) === '2025')!;
    expect(preview.kept.map((k) => k.filename)).toEqual([...within, newestOf2025]);
    expect(preview.kept.at(-1)).toEqual({ filename: newestOf2025, reasons: ['newest of year 2025'] });
    expect(newestOf2025).toBe('sentinel-backup-2025-12-31-220000.tar.gz'); // 23:00 CET; 23:00 UTC is already 2026 in Berlin
    expect(preview.kept[5].reasons).toEqual(['within 10 days']);
  });

  it('with every keep_* unset, rotation is the spec rule as before: retention days, the newest three, 0 keeps all', async () => {
    await putSettings(t, { local_backup_retention_days: 0 });
    const everything = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(everything).toMatchObject({ deleted: [], kept: year.length });
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`Local backup rotation: retention is 0 (keep forever); kept all ${year.length} backups`);

    await putSettings(t, { local_backup_retention_days: 30 });
    const preview = (await t.http.post('/api/backups/local/rotate?dry_run=true').expect(200)).body as { deleted: string[]; kept: Kept[] };
    const result = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    // Ages 30 min + i hours up to 30 days: i = 0 … 719.
    expect(result).toMatchObject({ target: 'local', retention_days: 30, kept: 720, not_own: 0, failed: [] });
    expect(result.deleted).toEqual(year.slice(720).reverse());
    expect(preview.deleted).toEqual(result.deleted);
    expect(fs.readdirSync(folder).sort()).toEqual([...year.slice(0, 720), 'notes.txt'].sort());
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/Local backup rotation: deleted 8040 backups older than 30 days, kept 720 \(newest 3 always kept\)/);
    expect(result.kept_backups[0]).toEqual({ filename: year[0], reasons: ['one of the newest three', 'within 30 days'] });
  }, 120_000);
});

describe('keep_* settings', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('are empty (unset) by default, take whole numbers 0 to 10000 or empty, and refuse anything else with 400 naming the key, changing nothing', async () => {
    const settings = (await t.http.get('/api/settings').expect(200)).body as { key: string; value: unknown; is_set: boolean }[];
    for (const target of ['local', 'r2']) {
      for (const unit of ['hourly', 'daily', 'weekly', 'monthly', 'yearly']) {
        expect(settings.find((s) => s.key === `${target}_backup_keep_${unit}`)).toMatchObject({ value: '', is_set: false });
      }
    }
    await t.http
      .put('/api/settings/r2_backup_keep_daily')
      .send({ value: 7 })
      .expect(200, /"value":7/);
    await t.http
      .put('/api/settings/r2_backup_keep_weekly')
      .send({ value: '0' })
      .expect(200, /"value":0/);
    for (const bad of [-1, 10001, 1.5, 'seven', '7 days', true, [3], {}]) {
      const res = await t.http.put('/api/settings/r2_backup_keep_daily').send({ value: bad }).expect(400);
      expect(res.body.message).toMatch(/^r2_backup_keep_daily must be a whole number from 0 to 10000 .*or empty to unset it/);
    }
    expect((await t.http.get('/api/settings/r2_backup_keep_daily').expect(200)).body.value).toBe(7);
    await t.http
      .put('/api/settings/r2_backup_keep_daily')
      .send({ value: '' })
      .expect(200, /"value":""/);
  });

  it('an unknown target answers 404 and a bad dry_run 400, before anything is done', async () => {
    await t.http.post('/api/backups/s3/rotate?dry_run=true').expect(404, /Unknown backup target 's3'/);
    await t.http.post('/api/backups/local/rotate?dry_run=yes').expect(400, /dry_run must be true or false/);
  });
});

describeS3('Calendar retention on the r2 target (real S3 server)', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;
  beforeEach(async () => {
    t = await startTestApp({ TZ: ZONE, SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    t.app.get(Clock).now = () => new Date(NOW);
    client = testS3Client();
    bucket = await createTestBucket('retention');
    await configureR2(t, bucket);
  });
  afterEach(async () => {
    client.destroy();
    await t.close();
  });

  it('six weeks of backups every six hours: the dry run deletes nothing; the rotation keeps exactly what it listed', async () => {
    const names = Array.from({ length: 6 * 7 * 4 }, (_, i) => backupFilename(new Date(NOW.getTime() - HOUR - i * 6 * HOUR)));
    await putMany(client, bucket, [...names, 'notes.txt']);
    await putSettings(t, { r2_backup_retention_days: 0, r2_backup_keep_daily: 7, r2_backup_keep_weekly: 4 });
    const reference = referenceKept(names, { day: 7, week: 4 }, NOW);

    const rotations = recordRotations(t);
    const preview = (await t.http.post('/api/backups/r2/rotate?dry_run=true').expect(200)).body as {
      target: string;
      dry_run: boolean;
      deleted: string[];
      kept: Kept[];
    };
    expect(preview).toMatchObject({ target: 'r2', dry_run: true });
    expect(sortedReasons(preview.kept)).toEqual(fromReference(reference));
    expect((await listAllKeys(client, bucket)).sort()).toEqual([...names, 'notes.txt'].sort());
    expect(rotations).toEqual([]);

    const result = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(result).toMatchObject({ target: 'r2', kept: reference.size, failed: [], deleted: preview.deleted });
    expect((await listAllKeys(client, bucket)).sort()).toEqual([...reference.keys(), 'notes.txt'].sort());
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(
      `R2 backup rotation: deleted ${preview.deleted.length} backups not kept by the rule (keep daily 7, weekly 4; no rule by age)`,
    );
  });
});
