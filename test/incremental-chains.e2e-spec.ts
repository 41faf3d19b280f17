/**
 * Incremental backups' surface (issue 19): increments are backups of their own name
 * (`sentinel-incremental-…`) that every listing sees, sharing one time line with full backups; the list names
 * each point's chain; rotation keeps what a kept point needs; DELETE refuses a backup that kept points need.
 * The real API on a real folder and on the real S3 server. Until the engine produces increments, the ones here
 * are objects the service's own storage stores under an increment's name (with this installation as owner) and
 * whose chain the service's own ArchiveProvenance records, as the producer does for what it stores; their
 * content does not matter to what is asserted (names, listing, rotation, deletion), which never reads an archive.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename, incrementalBackupFilename } from '../src/archive-format/backup-filename.js';
import { Clock } from '../src/common/clock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ArchiveProvenance } from '../src/encryption/archive-provenance.store.js';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { objectVersion } from '../src/storage/object-storage.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { Readable } from 'node:stream';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const NOW = new Date('2026-11-20T15:00:00Z');
const MINUTE = 60 * 1000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const full = (ago: number) => backupFilename(new Date(NOW.getTime() - ago));
const incremental = (ago: number) => incrementalBackupFilename(new Date(NOW.getTime() - ago));

/**
 * Stores `name` in `target` through the service's own storage (owner: this installation) and records it as written
 * here with its chain, as the producer records what it stores (the hash and stored version of the bytes).
 */
async function store(t: TestApp, target: string, name: string, chain: { base: string; parent: string } | null): Promise<void> {
  const content = `archive ${name}\n`;
  const storage = await t.app.get(StorageTargets).get(target);
  const stored = await storage.upload(name, Readable.from([Buffer.from(content)]), { owner: t.app.get(InstallationIdentity).id });
  await t.app.get(ArchiveProvenance).record({
    target,
    filename: name,
    sha256: createHash('sha256').update(content).digest('hex'),
    sizeBytes: stored.size,
    recipients: null,
    createdAt: new Date(NOW),
    version: objectVersion(stored),
    ...(chain ? { kind: 'incremental' as const, ...chain } : { kind: 'full' as const }),
  });
}

describe('Incremental backups: names, listings and the shared time line', () => {
  let t: TestApp;
  let folder: string;
  let me: string;

  /** Puts an object into the local folder as this installation's backup `name`. */
  function place(name: string, content = `archive ${name}\n`): void {
    fs.writeFileSync(path.join(folder, ownerSidecarName(name)), `${me}\n`);
    fs.writeFileSync(path.join(folder, name), content);
  }

  const made = (name: string, chain: { base: string; parent: string } | null) => store(t, 'local', name, chain);

  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    folder = path.join(t.dataDir, 'backups');
    fs.mkdirSync(folder, { recursive: true });
    me = t.app.get(InstallationIdentity).id;
    t.app.get(Clock).now = () => new Date(NOW);
  });
  afterEach(async () => {
    await t.close();
  });

  it('lists increments beside full backups, newest first, and a full backup never takes a second an increment carries', async () => {
    const full = backupFilename(new Date(NOW.getTime() - 30 * MINUTE));
    const first = incrementalBackupFilename(new Date(NOW.getTime() - 15 * MINUTE));
    const taken = incrementalBackupFilename(NOW);
    for (const name of [full, first, taken]) place(name);

    const listed = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(listed.map((b: any) => b.filename)).toEqual([taken, first, full]);
    expect(listed[0]).toMatchObject({ own: true, encrypted: false, size_bytes: `archive ${taken}\n`.length, age_seconds: 0, kind: 'incremental' });
    expect(listed[2]).toMatchObject({ kind: 'full', base: null, parent: null });
    const download = await t.http.get(`/api/backups/local/${first}/download`).expect(200);
    expect(download.body.toString()).toBe(`archive ${first}\n`);

    await seedDatabases(t.app, { rows: 5 });
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded', filename: backupFilename(new Date(NOW.getTime() + 1000)) });
    expect(fs.readFileSync(path.join(folder, taken), 'utf8')).toBe(`archive ${taken}\n`);
  }, 120_000);

  it('lists each point with its kind and, for an increment, the chain it was recorded with (null when there is no record)', async () => {
    const full = backupFilename(new Date(NOW.getTime() - 60 * MINUTE));
    const [first, second] = [45, 30].map((m) => incrementalBackupFilename(new Date(NOW.getTime() - m * MINUTE)));
    const stray = incrementalBackupFilename(new Date(NOW.getTime() - 15 * MINUTE));
    await made(full, null);
    await made(first, { base: full, parent: full });
    await made(second, { base: full, parent: first });
    place(stray); // an increment this installation has no record of: its chain is unknown

    const listed = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(listed.map((b: any) => [b.filename, b.kind, b.base, b.parent, b.made_here])).toEqual([
      [stray, 'incremental', null, null, false],
      [second, 'incremental', full, first, true],
      [first, 'incremental', full, full, true],
      [full, 'full', null, null, true],
    ]);
  });
});

/**
 * Two chains and an old one, 15:00 UTC: the old chain is 10 days old; full0 (3 days) ← inc1 (2 days) ← inc2 (20 h);
 * full1 (10 h) ← inc3 (5 h) ← inc4 (1 h). Under retention_days 1 the rule keeps inc4, inc3, full1 (the newest three)
 * and inc2 (within a day), and inc2 keeps inc1 and full0, its chain.
 */
function chainsIn(place: { target: string; describe: (name: string, fn: () => void) => void; setUp: (t: TestApp) => Promise<void> }): void {
  place.describe(`Chains in rotation and deletion (${place.target})`, () => {
    let t: TestApp;
    const oldFull = full(10 * DAY);
    const oldInc = incremental(10 * DAY - HOUR);
    const full0 = full(3 * DAY);
    const inc1 = incremental(2 * DAY);
    const inc2 = incremental(20 * HOUR);
    const full1 = full(10 * HOUR);
    const inc3 = incremental(5 * HOUR);
    const inc4 = incremental(HOUR);

    beforeEach(async () => {
      t = await startTestApp({ TZ: 'UTC' });
      t.app.get(Clock).now = () => new Date(NOW);
      await place.setUp(t);
      await t.http.patch(`/api/targets/${place.target}`).send({ retention_days: 1 }).expect(200);
      await store(t, place.target, oldFull, null);
      await store(t, place.target, oldInc, { base: oldFull, parent: oldFull });
      await store(t, place.target, full0, null);
      await store(t, place.target, inc1, { base: full0, parent: full0 });
      await store(t, place.target, inc2, { base: full0, parent: inc1 });
      await store(t, place.target, full1, null);
      await store(t, place.target, inc3, { base: full1, parent: full1 });
      await store(t, place.target, inc4, { base: full1, parent: inc3 });
    });
    afterEach(async () => {
      await t.close();
    });

    const listed = async () => (await t.http.get(`/api/backups/${place.target}`).expect(200)).body.map((b: any) => b.filename);

    it('refuses to delete a backup kept points need (409 naming them, nothing deleted); rotation keeps whole chains and deletes the unneeded one', async () => {
      const all = [inc4, inc3, full1, inc2, inc1, full0, oldInc, oldFull];
      expect(await listed()).toEqual(all);

      const refused = await t.http.delete(`/api/backups/${place.target}/${full0}`).expect(409);
      expect(refused.body).toMatchObject({ error: 'BACKUP_HAS_DEPENDENTS', details: { filename: full0, dependents: [inc2, inc1], dependents_total: 2 } });
      expect(refused.body.message).toContain(`${full0} cannot be deleted: 2 backups need it to be restored: ${inc2}, ${inc1}. Nothing was deleted.`);
      const parent = await t.http.delete(`/api/backups/${place.target}/${inc1}`).expect(409);
      expect(parent.body).toMatchObject({ error: 'BACKUP_HAS_DEPENDENTS', details: { dependents: [inc2] } });
      expect(await listed()).toEqual(all);

      const preview = (await t.http.post(`/api/backups/${place.target}/rotate?dry_run=true`).expect(200)).body;
      expect(preview.deleted).toEqual([oldFull, oldInc]);
      const reasons = Object.fromEntries(preview.kept.map((k: any) => [k.filename, k.reasons]));
      expect(reasons[inc2]).toEqual(['within 1 day']);
      expect(reasons[inc1]).toEqual([`needed to restore ${inc2} (its chain)`]);
      expect(reasons[full0]).toEqual([`needed to restore ${inc2} (its chain)`]);
      expect(await listed()).toEqual(all);

      const rotated = (await t.http.post(`/api/backups/${place.target}/rotate`).expect(200)).body;
      expect(rotated).toMatchObject({ deleted: [oldFull, oldInc], kept: 6, failed: [] });
      expect(await listed()).toEqual([inc4, inc3, full1, inc2, inc1, full0]);

      // Newest first, each once nothing needs it, and the chain goes.
      for (const name of [inc2, inc1, full0]) await t.http.delete(`/api/backups/${place.target}/${name}`).expect(200);
      expect(await listed()).toEqual([inc4, inc3, full1]);
    }, 120_000);
  });
}

chainsIn({ target: 'local', describe, setUp: async () => undefined });
chainsIn({ target: 'r2', describe: describeS3, setUp: async (t) => configureR2(t, await createTestBucket('incr-chains')) });

describe('BACKUP_HAS_DEPENDENTS names ten dependents and how many more', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC' });
    t.app.get(Clock).now = () => new Date(NOW);
  });
  afterEach(async () => {
    await t.close();
  });

  it('a full backup with twelve increments after it', async () => {
    const base = full(13 * HOUR);
    await store(t, 'local', base, null);
    const increments = Array.from({ length: 12 }, (_, i) => incremental((12 - i) * HOUR));
    let parent = base;
    for (const name of increments) {
      await store(t, 'local', name, { base, parent });
      parent = name;
    }
    const refused = await t.http.delete(`/api/backups/local/${base}`).expect(409);
    const newestFirst = [...increments].reverse();
    expect(refused.body.details).toEqual({ filename: base, dependents: newestFirst.slice(0, 10), dependents_total: 12 });
    expect(refused.body.message).toContain(`12 backups need it to be restored: ${newestFirst.slice(0, 10).join(', ')} and 2 more. Nothing was deleted.`);
    expect((await t.http.get('/api/backups/local').expect(200)).body).toHaveLength(13);
  });
});
