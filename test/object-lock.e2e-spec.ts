/**
 * Locked backups (issue 16) against the real S3 server: radosgw implements S3 Object Lock, so buckets here are
 * created with Object Lock enabled and the store itself enforces each archive's retention. The service's clock
 * is moved (the test clock) where a test needs the service to believe a date has passed while the store, on real
 * time, still holds the lock.
 */
import {
  GetObjectRetentionCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { describe, jest } from '@jest/globals';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { Clock } from '../src/common/clock.js';
import { InstallationIdentity } from '../src/common/installation/installation-identity.js';
import { ownerSidecarName } from '../src/storage/object-key.js';
import { StorageTargets } from '../src/storage/storage-targets.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** Puts a fake archive under a backup name, locked in governance mode until `retainUntil` when given. */
async function putArchive(client: S3Client, bucket: string, name: string, retainUntil?: Date): Promise<void> {
  const body = Buffer.from(`archive ${name}`);
  await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: name,
      Body: body,
      ContentMD5: createHash('md5').update(body).digest('base64'),
      ...(retainUntil ? { ObjectLockMode: 'GOVERNANCE' as const, ObjectLockRetainUntilDate: retainUntil } : {}),
    }),
  );
}

/** Every version and delete marker left under `key`: after a real delete, none. */
async function versionsOf(client: S3Client, bucket: string, key: string): Promise<number> {
  const out = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return (out.Versions ?? []).filter((v) => v.Key === key).length + (out.DeleteMarkers ?? []).filter((m) => m.Key === key).length;
}

describeS3('Locked backups (S3 Object Lock) against a real S3 server', () => {
  let t: TestApp;
  let client: S3Client;
  /** The test clock: the real time plus `shift`, through the app's one Clock. */
  let shift = 0;

  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    client = testS3Client();
    shift = 0;
    const clock = t.app.get(Clock);
    const realNow = clock.now.bind(clock);
    jest.spyOn(clock, 'now').mockImplementation(() => new Date(realNow().getTime() + shift));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    client.destroy();
    await t.close();
  });

  it('uploads each archive with the configured mode and days, small and multipart alike', async () => {
    await seedDatabases(t.app, { rows: 50 });
    const bucket = await createTestBucket('lock-modes', { objectLock: true });
    await configureR2(t, bucket, { r2_object_lock_mode: 'governance', r2_object_lock_days: 3 });

    const before = Date.now();
    const governance = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(governance).toMatchObject({ status: 'succeeded' });
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: governance.filename }));
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + 3 * DAY - 1000);
    expect(head.ObjectLockRetainUntilDate!.getTime()).toBeLessThanOrEqual(Date.now() + 3 * DAY + 1000);

    // The list shows the lock.
    const listed = (await t.http.get('/api/backups/r2').expect(200)).body.find((b: { filename: string }) => b.filename === governance.filename);
    expect(listed).toMatchObject({ lock_mode: 'governance', locked_until: head.ObjectLockRetainUntilDate!.toISOString() });

    await putSettings(t, { r2_object_lock_mode: 'compliance', r2_object_lock_days: 1 });
    shift = 60_000; // another name than the first backup's
    const compliance = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(compliance).toMatchObject({ status: 'succeeded' });
    const retention = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: compliance.filename }));
    expect(retention.Retention?.Mode).toBe('COMPLIANCE');
    expect(retention.Retention!.RetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + DAY - 5 * 60_000);

    // A multipart upload (radosgw drops the lock headers of those: the service sets the retention after it).
    const big = `sentinel-backup-${'2020-01-01-000000'}.tar.gz`;
    await (await t.app.get(StorageTargets).get('r2')).upload(big, Readable.from([Buffer.alloc(11 * 1024 * 1024, 7)]));
    const multipart = await client.send(new GetObjectRetentionCommand({ Bucket: bucket, Key: big }));
    expect(multipart.Retention?.Mode).toBe('COMPLIANCE');
    expect(multipart.Retention!.RetainUntilDate!.getTime()).toBeGreaterThan(Date.now() + DAY - 5 * 60_000);
  }, 120_000);

  it('rotation keeps a locked archive (reported locked, with its date), DELETE answers 409, and once the date has passed both delete it', async () => {
    const bucket = await createTestBucket('lock-rotation', { objectLock: true });
    // A target that locks its uploads deletes by version: what rotation deletes is gone, not hidden behind a delete marker.
    await configureR2(t, bucket, { r2_backup_retention_days: 1, r2_object_lock_mode: 'governance', r2_object_lock_days: 1 });
    const now = Date.now();
    const newest = [1, 2, 3].map((h) => backupFilename(new Date(now - h * HOUR)));
    const unlockedOld = backupFilename(new Date(now - 10 * DAY));
    const lockedOld = backupFilename(new Date(now - 11 * DAY));
    const retainUntil = new Date(Math.ceil((Date.now() + 6_000) / 1000) * 1000);
    for (const name of [...newest, unlockedOld]) await putArchive(client, bucket, name);
    await putArchive(client, bucket, lockedOld, retainUntil);

    // The dry run says the same: the locked one is kept, with its date as the reason.
    const preview = (await t.http.post('/api/backups/r2/rotate?dry_run=true').expect(200)).body;
    expect(preview.deleted).toEqual([unlockedOld]);
    expect(preview.kept).toContainEqual({ filename: lockedOld, reasons: [`locked until ${retainUntil.toISOString()}`] });

    const first = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(first.kept_backups).toContainEqual({ filename: lockedOld, reasons: [`locked until ${retainUntil.toISOString()}`] });
    expect(first.deleted).toEqual([unlockedOld]);
    expect(first.locked).toEqual([{ filename: lockedOld, retain_until: retainUntil.toISOString() }]);
    expect(first.failed).toEqual([]);
    expect(await listAllKeys(client, bucket)).toEqual([...newest, lockedOld].sort());
    // The unlocked one is really gone (no version, no delete marker).
    expect(await versionsOf(client, bucket, unlockedOld)).toBe(0);
    const log = fs.readFileSync(t.logFile, 'utf8');
    expect(log).toContain(`R2 backup rotation: kept 1 locked backups older than the retention, locked until ${retainUntil.toISOString()}`);
    expect(log).not.toMatch(/could not delete/);

    const refused = (await t.http.delete(`/api/backups/r2/${lockedOld}`).expect(409)).body;
    expect(refused).toMatchObject({ error: 'OBJECT_LOCKED', details: { retain_until: retainUntil.toISOString(), mode: 'governance' } });
    expect(refused.message).toContain(`locked until ${retainUntil.toISOString()}`);
    expect(await listAllKeys(client, bucket)).toContain(lockedOld);

    // The store's own clock must pass the date (its lock is enforced on real time): wait for it.
    await until('the retain-until date to pass', () => (Date.now() > retainUntil.getTime() + 1500 ? true : undefined), 30_000, 200);
    const second = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(second).toMatchObject({ deleted: [lockedOld], locked: [], failed: [] });
    expect(await listAllKeys(client, bucket)).toEqual([...newest].sort());
    // Deleted by its version: the bytes are gone, not hidden behind a delete marker.
    expect(await versionsOf(client, bucket, lockedOld)).toBe(0);
  }, 120_000);

  it('a delete the store refuses because of a lock is "kept (locked)", not a failure, when the service believes the date has passed', async () => {
    const bucket = await createTestBucket('lock-refused', { objectLock: true });
    await configureR2(t, bucket, { r2_backup_retention_days: 1 });
    const now = Date.now();
    const newest = [1, 2, 3].map((h) => backupFilename(new Date(now - h * HOUR)));
    const lockedOld = backupFilename(new Date(now - 10 * DAY));
    const retainUntil = new Date(Math.ceil((Date.now() + DAY) / 1000) * 1000);
    for (const name of newest) await putArchive(client, bucket, name);
    await putArchive(client, bucket, lockedOld, retainUntil);

    // The service's clock says two days later; the store (real time) still holds the lock and refuses.
    shift = 2 * DAY;
    const rotation = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(rotation).toMatchObject({ deleted: [], failed: [], locked: [{ filename: lockedOld, retain_until: retainUntil.toISOString() }] });
    const refused = (await t.http.delete(`/api/backups/r2/${lockedOld}`).expect(409)).body;
    expect(refused).toMatchObject({ error: 'OBJECT_LOCKED', details: { retain_until: retainUntil.toISOString() } });
    // Still there, and not hidden behind a delete marker: one version, no marker.
    expect(await listAllKeys(client, bucket)).toEqual([...newest, lockedOld].sort());
    expect(await versionsOf(client, bucket, lockedOld)).toBe(1);
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toMatch(/could not delete/);
  }, 120_000);

  it('a bucket without Object Lock: Test Connection says so, and a backup fails with the same words leaving nothing behind', async () => {
    await seedDatabases(t.app, { rows: 20 });
    const plain = await createTestBucket('lock-missing');
    await configureR2(t, plain, { r2_object_lock_mode: 'governance', r2_object_lock_days: 7 });

    const probe = (await t.http.post('/api/backups/r2/test').expect(200)).body;
    expect(probe.ok).toBe(false);
    const lockCheck = probe.checks.find((c: { name: string }) => c.name === 'object lock');
    expect(lockCheck).toMatchObject({ ok: false });
    expect(lockCheck.message).toContain(`Bucket '${plain}'`);
    expect(lockCheck.message).toContain('does not have Object Lock enabled');
    expect(lockCheck.message).toContain("set r2_object_lock_mode to ''");

    const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toContain('does not have Object Lock enabled');
    expect(await listAllKeys(client, plain)).toEqual([]);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: plain }))).Uploads ?? []).toEqual([]);

    // A bucket with Object Lock passes the check.
    const locked = await createTestBucket('lock-present', { objectLock: true });
    await putSettings(t, { r2_bucket_name: locked });
    const ok = (await t.http.post('/api/backups/r2/test').expect(200)).body;
    expect(ok.ok).toBe(true);
    expect(ok.checks.find((c: { name: string }) => c.name === 'object lock')).toMatchObject({ ok: true });
  }, 120_000);

  it('a stored S3 target with object_lock: its own uploads and the copies replicated to it carry the retention, and its rotation keeps them "kept (locked)"', async () => {
    await seedDatabases(t.app, { rows: 20 });
    const bucket = await createTestBucket('lock-stored', { objectLock: true });
    const s3 = testS3();
    await t.http
      .post('/api/targets')
      .send({
        id: 'vault',
        kind: 's3',
        endpoint: s3.endpoint,
        bucket,
        prefix: 'vault/',
        access_key_id: s3.accessKeyId,
        secret_access_key: s3.secretAccessKey,
        retention_days: 0,
        replicate_from: 'local',
        object_lock: { mode: 'governance', days: 1 },
      })
      .expect(201);
    // Four of this installation's backups in the local folder, ten to thirteen days old.
    const local = path.join(t.dataDir, 'backups');
    fs.mkdirSync(local, { recursive: true });
    const old = [13, 12, 11, 10].map((d) => backupFilename(new Date(Date.now() - d * DAY)));
    for (const name of old) {
      fs.writeFileSync(path.join(local, ownerSidecarName(name)), `${t.app.get(InstallationIdentity).id}\n`);
      fs.writeFileSync(path.join(local, name), `archive ${name}\n`);
    }

    const before = Date.now();
    const own = await waitForJob(t.http, (await t.http.post('/api/backups/vault').expect(202)).body.id);
    expect(own).toMatchObject({ status: 'succeeded' });
    shift = 60_000; // another name than the vault's own backup
    const sync = await waitForJob(t.http, (await t.http.post('/api/targets/vault/sync').expect(202)).body.id);
    expect(sync).toMatchObject({ status: 'succeeded', copied: old });
    for (const name of [own.filename, ...old]) {
      const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `vault/${name}` }));
      expect([name, head.ObjectLockMode]).toEqual([name, 'GOVERNANCE']);
      expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThanOrEqual(before + DAY - 1000);
    }

    // Past its retention days (and not among its newest three), the copies stay while locked: kept (locked), not deleted, not failed.
    await t.http.patch('/api/targets/vault').send({ retention_days: 1 }).expect(200);
    const rotated = (await t.http.post('/api/backups/vault/rotate').expect(200)).body;
    expect(rotated).toMatchObject({ deleted: [], failed: [] });
    expect(rotated.locked.map((l: { filename: string }) => l.filename).sort()).toEqual(old.slice(0, 2));
    expect(await listAllKeys(client, bucket)).toEqual([own.filename, ...old].map((name) => `vault/${name}`).sort());
  }, 120_000);
});

describe('Object Lock settings', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it.each([
    ['r2_object_lock_mode', 'weekly', "must be one of: '' (off), governance, compliance"],
    ['r2_object_lock_mode', 1, 'must be one of'],
    ['r2_object_lock_days', 0, 'from 1 to 36500'],
    ['r2_object_lock_days', 36501, 'from 1 to 36500'],
    ['r2_object_lock_days', 1.5, 'from 1 to 36500'],
    ['r2_object_lock_days', '-3', 'from 1 to 36500'],
  ])('%s = %j is refused with 400 naming the key, and changes nothing', async (key, value, words) => {
    const before = (await t.http.get(`/api/settings/${key}`).expect(200)).body;
    const res = (await t.http.put(`/api/settings/${key}`).send({ value }).expect(400)).body;
    expect(res.message).toContain(key);
    expect(res.message).toContain(words);
    expect((await t.http.get(`/api/settings/${key}`).expect(200)).body).toEqual(before);
  });

  it("takes '' (off), governance, compliance and whole days", async () => {
    for (const value of ['governance', 'COMPLIANCE', '']) {
      await t.http.put('/api/settings/r2_object_lock_mode').send({ value }).expect(200);
    }
    expect((await t.http.get('/api/settings/r2_object_lock_mode').expect(200)).body.value).toBe('');
    expect((await t.http.put('/api/settings/r2_object_lock_days').send({ value: '36500' }).expect(200)).body.value).toBe(36500);
  });
});
