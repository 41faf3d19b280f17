/**
 * Replication's rules between folders (issue 16, the review's holes): the replica copies exactly what its own
 * rotation keeps (keep_* included); a queued replication copies from the source named when it starts; an
 * archive the replica already holds under the same name is never overwritten (a byte-identical one counts as
 * present); backups in the source from an earlier version are replicated, another installation's are not; a
 * target deleted and created again does not inherit the old one's records; the replica's rotation deletes its
 * copies and only what it owns. Real folders, real archives where the content matters, the real API.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { Clock } from '../src/common/clock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ArchiveProducer } from '../src/backup/archive-production/archive-producer.js';
import { FolderStorage } from '../src/storage/folder-storage.js';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { expectedMarkers, markers, setMarkers } from './fixtures/restore-app.js';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { CopyGate, endedReplications, replications } from './support/replication-jobs.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const DAY = 24 * 60 * 60 * 1000;
const NOW = new Date('2026-11-20T15:00:00Z');

async function sync(t: TestApp, target: string): Promise<any> {
  const started = await t.http.post(`/api/targets/${target}/sync`).expect(202);
  return waitForJob(t.http, started.body.id);
}

const dryRun = async (t: TestApp, target: string) => (await t.http.post(`/api/targets/${target}/sync?dry_run=true`).expect(200)).body;

/** Archives in a folder (names only, no markers), sorted. */
const archivesIn = (dir: string) =>
  fs
    .readdirSync(dir)
    .filter((name) => name.startsWith('sentinel-backup-'))
    .sort();

describe('Replication between folders: what is copied, and what is never touched', () => {
  let t: TestApp;
  let local: string;
  let scratch: string;
  let me: string;

  /** Puts an archive into a folder as a backup of `owner` (undefined: no owner marker, as an earlier version left it). */
  function place(dir: string, name: string, content: string | Buffer, owner?: string): void {
    fs.mkdirSync(dir, { recursive: true });
    if (owner !== undefined) fs.writeFileSync(path.join(dir, ownerSidecarName(name)), `${owner}\n`);
    fs.writeFileSync(path.join(dir, name), content);
  }

  beforeEach(async () => {
    t = await startTestApp({ TZ: 'UTC', SENTINEL_STORAGE_MAX_ATTEMPTS: '1', SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    local = path.join(t.dataDir, 'backups');
    fs.mkdirSync(local, { recursive: true });
    scratch = makeScratchDir('sentinel-repl-rules-');
    me = t.app.get(InstallationIdentity).id;
  });
  afterEach(async () => {
    await t.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("copies exactly what the replica's own rotation keeps (keep_* with retention days 0), and a second run copies nothing", async () => {
    t.app.get(Clock).now = () => new Date(NOW);
    // One backup a day at noon for 400 days, this installation's.
    const days = Array.from({ length: 400 }, (_, i) => backupFilename(new Date(Date.UTC(2026, 10, 20, 12) - i * DAY)));
    for (const name of days) place(local, name, `archive ${name}\n`, me);
    const nas = path.join(scratch, 'nas');
    await t.http
      .post('/api/targets')
      .send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0, keep_daily: 7, keep_monthly: 12 })
      .expect(201);

    // The rule written out: the newest three, the newest of each of the last 7 days, of each of the last 12 months.
    const expected = new Set<string>(days.slice(0, 7));
    const months = new Map<string, string>();
    for (const name of days) if (!months.has(name.slice(16, 23))) months.set(name.slice(16, 23), name);
    for (const name of [...months.values()].slice(0, 12)) expected.add(name);
    const oldestFirst = days.filter((name) => expected.has(name)).reverse();

    const plan = await dryRun(t, 'nas');
    expect(plan.copies.map((c: any) => c.filename)).toEqual(oldestFirst);
    expect(plan.skipped).toHaveLength(days.length - expected.size);
    expect(plan.skipped[0].reason).toMatch(/'nas''s rotation would delete it/);

    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: oldestFirst });
    expect(archivesIn(nas)).toEqual([...expected].sort());
    // Its rotation keeps every copy, and the next run finds nothing to copy.
    expect((await t.http.post('/api/backups/nas/rotate').expect(200)).body).toMatchObject({ deleted: [] });
    expect((await dryRun(t, 'nas')).copies).toEqual([]);
  }, 120_000);

  it('copies the backups an earlier version left in the source (no owner), never another installation’s', async () => {
    const old = [backupFilename(new Date(Date.now() - 3 * DAY)), backupFilename(new Date(Date.now() - 2 * DAY))];
    for (const name of old) place(local, name, `earlier version ${name}\n`);
    const theirs = backupFilename(new Date(Date.now() - DAY));
    place(local, theirs, 'another installation\n', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);

    const plan = await dryRun(t, 'nas');
    expect(plan.copies.map((c: any) => c.filename)).toEqual(old);
    expect(plan.skipped).toEqual([{ filename: theirs, reason: expect.stringMatching(/belongs to installation aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee/) }]);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: old });
    for (const name of old) expect(fs.readFileSync(path.join(nas, name), 'utf8')).toBe(`earlier version ${name}\n`);
    expect(fs.existsSync(path.join(nas, theirs))).toBe(false);
    // The source's originals keep having no owner: copying changed nothing there.
    for (const name of old) expect(fs.existsSync(path.join(local, ownerSidecarName(name)))).toBe(false);
  });

  it('never overwrites an archive of the same name the replica holds: a byte-identical one counts as present, another fails that copy and stays as it was', async () => {
    const [same, other, fresh] = [3, 2, 1].map((d) => backupFilename(new Date(Date.now() - d * DAY)));
    for (const name of [same, other, fresh]) place(local, name, `source ${name}\n`, me);
    const nas = path.join(scratch, 'nas');
    // Put there by hand (a copy of the folder made earlier): one identical, one with other bytes of the same size.
    place(nas, same, `source ${same}\n`);
    const foreign = `SOURCE ${other}\n`;
    place(nas, other, foreign, me);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);

    const job = await sync(t, 'nas');
    expect(job.status).toBe('failed');
    expect(job.error).toContain(`'nas' already holds ${other} with other bytes`);
    expect(job.error).toMatch(/left as it is/);
    // The others were handled all the same: the fresh one copied, the identical one counted as there.
    expect(job.copied).toEqual([fresh]);
    expect(fs.readFileSync(path.join(nas, other), 'utf8')).toBe(foreign);
    expect(fs.readFileSync(path.join(nas, fresh), 'utf8')).toBe(`source ${fresh}\n`);
    const list = (await t.http.get('/api/backups/local').expect(200)).body;
    const replicasOf = (name: string) => list.find((b: any) => b.filename === name).replicas;
    expect([replicasOf(same), replicasOf(other), replicasOf(fresh)]).toEqual([['nas'], [], ['nas']]);
    // Still refused at the next run, never overwritten.
    expect((await sync(t, 'nas')).status).toBe('failed');
    expect(fs.readFileSync(path.join(nas, other), 'utf8')).toBe(foreign);
  });

  it('a queued replication copies from the source named when it starts, not when it was queued', async () => {
    await seedDatabases(t.app, { rows: 5 });
    const nas = path.join(scratch, 'nas');
    const usb = path.join(scratch, 'usb');
    await t.http.post('/api/targets').send({ id: 'usb', kind: 'folder', path: usb, retention_days: 0 }).expect(201);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    // The first copy waits at a gate, so the follow-up replication is queued behind it.
    const gate = new CopyGate(t);

    const first = await t.http.post('/api/backups/local').expect(202);
    const firstJob = await waitForJob(t.http, first.body.id);
    await until('the first copy at the gate', () => (gate.waiting > 0 ? true : undefined));
    const second = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    // Names are times to the second, per target: usb's backup taken in the same second would share local's name.
    await until('the next second', () => (backupFilename(new Date()) > second.filename ? true : undefined));
    const onUsb = await waitForJob(t.http, (await t.http.post('/api/backups/usb').expect(202)).body.id);
    expect(onUsb.filename).not.toBe(second.filename);
    await t.http.patch('/api/targets/nas').send({ replicate_from: 'usb' }).expect(200);
    gate.release();

    const [, followUp] = await endedReplications(t, 'nas', 2);
    expect(followUp).toMatchObject({ source: 'usb', status: 'succeeded', copied: [onUsb.filename] });
    expect(archivesIn(nas)).toEqual([firstJob.filename, onUsb.filename].sort());
    expect(archivesIn(nas)).not.toContain(second.filename);

    // Cleared while a follow-up is queued: no replication starts from the old source.
    gate.close();
    await waitForJob(t.http, (await t.http.post('/api/backups/usb').expect(202)).body.id);
    await until('a replication to nas running', async () => ((await replications(t, 'nas'))[0].status === 'running' ? true : undefined));
    const third = await waitForJob(t.http, (await t.http.post('/api/backups/usb').expect(202)).body.id);
    await t.http.patch('/api/targets/nas').send({ replicate_from: null }).expect(200);
    gate.release();
    await endedReplications(t, 'nas', 3);
    await t.app.get((await import('../src/replication/replication-jobs.js')).ReplicationJobs).idle();
    expect(await replications(t, 'nas')).toHaveLength(3);
    expect(archivesIn(nas)).not.toContain(third.filename);
  }, 120_000);

  it('refuses (409 TARGET_BUSY) to delete or move a replica, or move its source, while a copy into it runs', async () => {
    const name = backupFilename(new Date(Date.now() - DAY));
    place(local, name, 'an archive\n', me);
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    // The copy waits at a gate: a large archive on a slow disk, held as long as the test needs.
    const gate = new CopyGate(t);
    const started = await t.http.post('/api/targets/nas/sync').expect(202);
    await until('the copy at the gate', () => (gate.waiting > 0 ? true : undefined));
    try {
      await expectBusyWhileCopying();
    } finally {
      gate.release();
    }
    expect((await waitForJob(t.http, started.body.id)).status).toBe('succeeded');
    expect(archivesIn(nas)).toEqual([name]);
    await t.http.delete('/api/targets/nas?confirm=true').expect(200);

    async function expectBusyWhileCopying(): Promise<void> {
      const deleted = await t.http.delete('/api/targets/nas?confirm=true').expect(409);
      expect(deleted.body).toMatchObject({ error: 'TARGET_BUSY' });
      expect(deleted.body.message).toContain(started.body.id);
      const moved = await t.http
        .patch('/api/targets/nas')
        .send({ path: path.join(scratch, 'elsewhere') })
        .expect(409);
      expect(moved.body.error).toBe('TARGET_BUSY');
      const sourceMoved = await t.http
        .patch('/api/targets/local')
        .send({ path: path.join(scratch, 'other-local') })
        .expect(409);
      expect(sourceMoved.body.error).toBe('TARGET_BUSY');
      // A change that keeps the place goes through.
      await t.http.patch('/api/targets/nas').send({ label: 'NAS' }).expect(200);
      expect((await t.http.get('/api/targets/nas').expect(200)).body.path).toBe(nas);
    }
  });

  it("a copy into a replica and the replica's own backup of the same second never overwrite each other: the backup moves to the next second", async () => {
    await seedDatabases(t.app, { rows: 5 });
    t.app.get(Clock).now = () => new Date(NOW); // every backup in the same second, as at 03:00 on both schedules
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    // The replica's own backup is held after its name is chosen (its snapshots done), before it stores.
    const producer = t.app.get(ArchiveProducer);
    const produce = producer.produce.bind(producer);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let named: string | undefined;
    producer.produce = async (job, signal, progress) =>
      produce(job, signal, {
        ...progress,
        willStore: async (intent) => {
          await progress.willStore?.(intent);
          if (job.target !== 'nas') return;
          named = intent.filename;
          await gate;
        },
      });
    let ownId: string;
    try {
      ownId = (await t.http.post('/api/backups/nas').expect(202)).body.id;
      await until('the replica backup at its name', () => named);
      expect(named).toBe(backupFilename(NOW));
      const source = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      expect(source.filename).toBe(backupFilename(NOW));
      // The copy stores the source's name while the backup still writes its archive.
      const [replication] = await endedReplications(t, 'nas', 1);
      expect(replication).toMatchObject({ status: 'succeeded', copied: [backupFilename(NOW)] });
    } finally {
      open();
    }
    const own = await waitForJob(t.http, ownId);
    expect(own).toMatchObject({ status: 'succeeded', filename: backupFilename(new Date(NOW.getTime() + 1000)) });
    // The copy under the source's name, byte for byte; the replica's own backup under the next second.
    expect(archivesIn(nas)).toEqual([backupFilename(NOW), backupFilename(new Date(NOW.getTime() + 1000))]);
    const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(hash(path.join(nas, backupFilename(NOW)))).toBe(hash(path.join(local, backupFilename(NOW))));
  }, 120_000);

  it('a target deleted and created again with the same id does not inherit the records of the copies the old one made', async () => {
    const name = backupFilename(new Date(Date.now() - DAY));
    place(local, name, `source ${name}\n`, me);
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [name] });
    await t.http.delete('/api/targets/nas?confirm=true').expect(200);

    // Another folder, which holds an archive of that name and size it did not get from this service.
    const elsewhere = path.join(scratch, 'elsewhere');
    place(elsewhere, name, `SOURCE ${name}\n`, me);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: elsewhere, replicate_from: 'local', retention_days: 0 }).expect(201);
    const list = (await t.http.get('/api/backups/local').expect(200)).body;
    expect(list.find((b: any) => b.filename === name).replicas).toEqual([]);
    expect((await t.http.get('/api/backups/nas').expect(200)).body.find((b: any) => b.filename === name)).toMatchObject({ made_here: false });
    expect((await dryRun(t, 'nas')).copies).toEqual([expect.objectContaining({ filename: name, reason: 'unverified' })]);
  });

  it("the source's list reads a folder replica afresh each time, so a copy deleted by hand shows at once, and shows what the service copied or deleted", async () => {
    const [first, second] = [2, 1].map((d) => backupFilename(new Date(Date.now() - d * DAY)));
    place(local, first, `source ${first}\n`, me);
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [first] });
    const localStorage = t.app.get(StorageTargets).builtIn('local');
    const lists = jest.spyOn(FolderStorage.prototype, 'list');
    const replicaLists = () => lists.mock.contexts.filter((self) => self !== localStorage).length;
    const replicasOf = async (name: string) => (await t.http.get('/api/backups/local').expect(200)).body.find((b: any) => b.filename === name)?.replicas;
    try {
      expect(await replicasOf(first)).toEqual(['nas']);
      expect(await replicasOf(first)).toEqual(['nas']);
      expect(replicaLists()).toBe(2);

      place(local, second, `source ${second}\n`, me);
      expect(await sync(t, 'nas')).toMatchObject({ status: 'succeeded', copied: [second] });
      expect(await replicasOf(second)).toEqual(['nas']);
      await t.http.delete(`/api/backups/nas/${first}`).expect(200);
      expect(await replicasOf(first)).toEqual([]);
      // Deleted by hand (a user tidying the NAS): the next read says it is missing.
      fs.rmSync(path.join(nas, second));
      expect(await replicasOf(second)).toEqual([]);
    } finally {
      lists.mockRestore();
    }
  });

  it("the replica's rotation deletes the copies its rule no longer keeps, and nothing it does not own", async () => {
    t.app.get(Clock).now = () => new Date(NOW);
    const days = Array.from({ length: 10 }, (_, i) => backupFilename(new Date(NOW.getTime() - (i + 1) * DAY)));
    for (const name of days) place(local, name, `archive ${name}\n`, me);
    const nas = path.join(scratch, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);
    expect((await sync(t, 'nas')).copied).toHaveLength(10);
    const theirs = backupFilename(new Date(NOW.getTime() - 20 * DAY));
    place(nas, theirs, 'another installation\n', 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee');

    await t.http.patch('/api/targets/nas').send({ retention_days: 5 }).expect(200);
    const rotated = (await t.http.post('/api/backups/nas/rotate').expect(200)).body;
    expect(rotated.deleted).toEqual(days.slice(5).reverse());
    expect(archivesIn(nas)).toEqual([...days.slice(0, 5), theirs].sort());
    // The source keeps all of its own.
    expect(archivesIn(local)).toEqual([...days].sort());
    // And the replica does not copy the rotated ones back.
    expect((await dryRun(t, 'nas')).copies).toEqual([]);
  });
});

describe('Replication of an encrypted backup (age)', () => {
  let root: string;
  let t: TestApp;
  beforeEach(async () => {
    root = makeScratchDir('sentinel-repl-age-');
    t = await startTestApp({}, { root, keep: true });
  });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('arrives byte-identical (the same ciphertext), is listed as a checked copy, verifies and restores from the replica', async () => {
    const put = await t.http.put('/api/encryption/local').send({ enabled: true, write_only: false }).expect(200);
    await t.http.post('/api/encryption/local/confirm').expect(200);
    const recoveryKey = put.body.recovery_key as string;
    const nas = path.join(root, 'nas');
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas, replicate_from: 'local', retention_days: 0 }).expect(201);

    await setMarkers(t.app, 'backed-up');
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded', encrypted: true });
    expect(job.filename).toMatch(/\.tar\.gz\.age$/);
    const [replication] = await endedReplications(t, 'nas', 1);
    expect(replication).toMatchObject({ status: 'succeeded', copied: [job.filename] });

    const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(sha(path.join(nas, job.filename))).toBe(job.sha256);
    expect(sha(path.join(t.dataDir, 'backups', job.filename))).toBe(job.sha256);
    expect(fs.readFileSync(path.join(nas, job.filename)).subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    const onNas = (await t.http.get('/api/backups/nas').expect(200)).body.find((b: any) => b.filename === job.filename);
    expect(onNas).toMatchObject({ encrypted: true, own: true, made_here: true });

    // The replica has no key of its own: the copy opens with the key of the target it came from.
    const verified = await t.http.post(`/api/backups/nas/${job.filename}/verify`).send({ identity: recoveryKey }).expect(200);
    expect(verified.body).toMatchObject({ ok: true, encrypted: true, made_here: true, problem: null });

    await setMarkers(t.app, 'changed');
    await t.http.post('/api/backups/nas/restore').send({ filename: job.filename, identity: recoveryKey, restart: false }).expect(202);
    await t.close();
    t = await startTestApp({}, { root, keep: true });
    expect((await t.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'applied', archive: job.filename, target: 'nas' });
    expect(await markers(t.app)).toEqual(expectedMarkers('backed-up', ALL_DATABASES));
  }, 120_000);
});
