/**
 * Issue 13: each backup event is emitted once, with its payload, on the path that causes it; a failed
 * job keeps its error code (GET /api/backup-jobs/{id} error_code, BackupFailedEvent.code), from real causes:
 * a disk too small for the backup, and S3 credentials the server refuses.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { BackupCompletedEvent, BackupFailedEvent, BackupStartedEvent, RotationCompletedEvent } from '../src/backup/backup.events.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { mountTmpfs, unmountTmpfs } from './support/tmpfs.js';

const DAY = 24 * 60 * 60 * 1000;

/** Records the started, completed, failed and rotation events, by class. */
function recordEvents(t: TestApp): Map<string, object[]> {
  const seen = new Map<string, object[]>();
  const emitter = t.app.get(EventEmitter2);
  for (const event of [BackupStartedEvent, BackupCompletedEvent, BackupFailedEvent, RotationCompletedEvent]) {
    seen.set(event.name, []);
    emitter.on(event.eventName, (e: object) => seen.get(event.name)!.push(e));
  }
  return seen;
}

describe('Backup events and error codes (local)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('a backup emits started and completed once each, with the job, target, archive, size and duration; no failure, no rotation', async () => {
    await seedDatabases(t.app, { rows: 200 });
    const seen = recordEvents(t);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded', error: null, error_code: null });
    expect(seen.get('BackupStartedEvent')).toEqual([new BackupStartedEvent(job.id, 'local', 'manual')]);
    const sha256 = createHash('sha256')
      .update(fs.readFileSync(path.join(t.dataDir, 'backups', job.filename)))
      .digest('hex');
    expect(seen.get('BackupCompletedEvent')).toEqual([
      new BackupCompletedEvent(job.id, 'local', job.filename, job.size_bytes, job.duration_ms, { sha256, encrypted: false, recipients: null }, 'full', null),
    ]);
    expect(seen.get('BackupFailedEvent')).toEqual([]);
    expect(seen.get('RotationCompletedEvent')).toEqual([]);
  });

  it('a backup folder on a disk too small fails the job with INSUFFICIENT_DISK_SPACE, in the job and in the one failed event', async () => {
    const mount = mountTmpfs(path.join(t.root, 'small'), '4m');
    if (!mount) return;
    try {
      await t.http.put('/api/settings/local_backup_dir').send({ value: mount }).expect(200);
      const seen = recordEvents(t);
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      expect(job).toMatchObject({ status: 'failed', phase: 'checking', error_code: 'INSUFFICIENT_DISK_SPACE' });
      expect(job.error).toMatch(new RegExp(`^Not enough free disk space for the local archive: .* needed in ${mount}`));
      expect(seen.get('BackupStartedEvent')).toEqual([new BackupStartedEvent(job.id, 'local', 'manual')]);
      expect(seen.get('BackupFailedEvent')).toEqual([new BackupFailedEvent(job.id, 'local', job.error, 'INSUFFICIENT_DISK_SPACE')]);
      expect(seen.get('BackupCompletedEvent')).toEqual([]);
      // The history keeps the code too.
      const history = (await t.http.get('/api/backup-jobs?target=local').expect(200)).body;
      expect(history[0]).toMatchObject({ id: job.id, error_code: 'INSUFFICIENT_DISK_SPACE' });
    } finally {
      unmountTmpfs(mount);
    }
  });

  it('a rotation emits one RotationCompletedEvent with what it deleted, kept and could not delete', async () => {
    const made = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    const folder = path.join(t.dataDir, 'backups');
    // Five older copies of this installation's backup (with its owner file), 2 to 6 days old.
    const old = [2, 3, 4, 5, 6].map((days) => backupFilename(new Date(Date.now() - days * DAY)));
    for (const name of old) {
      fs.copyFileSync(path.join(folder, made.filename), path.join(folder, name));
      fs.copyFileSync(path.join(folder, `.${made.filename}.owner`), path.join(folder, `.${name}.owner`));
    }
    await t.http.put('/api/settings/local_backup_retention_days').send({ value: 1 }).expect(200);
    const seen = recordEvents(t);
    const result = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    // Newest three kept (the new one and the 2- and 3-day-old copies); the three oldest deleted, oldest first.
    expect(result.deleted).toEqual([old[4], old[3], old[2]]);
    expect(seen.get('RotationCompletedEvent')).toEqual([
      new RotationCompletedEvent('local', result.deleted, 3, [], 'manual', expect.any(Number) as unknown as number),
    ]);
    // Nothing left to delete: the next rotation still reports, once, that it ran.
    await t.http.post('/api/backups/local/rotate').expect(200);
    expect(seen.get('RotationCompletedEvent')).toHaveLength(2);
    expect(seen.get('RotationCompletedEvent')![1]).toEqual(new RotationCompletedEvent('local', [], 3, [], 'manual', expect.any(Number) as unknown as number));
  });
});

describeS3('Backup error codes (S3)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
  });
  afterEach(() => t.close());

  it('a secret key the S3 server refuses fails the job with STORAGE_ACCESS_DENIED, in the job and in the one failed event', async () => {
    const bucket = await createTestBucket('codes');
    await configureR2(t, bucket, { r2_secret_access_key: 'not-the-secret-key-of-this-access-key' });
    const seen = recordEvents(t);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'failed', error_code: 'STORAGE_ACCESS_DENIED' });
    expect(job.error).toMatch(/access denied\. Check r2_access_key_id, r2_secret_access_key/);
    expect(seen.get('BackupFailedEvent')).toEqual([new BackupFailedEvent(job.id, 'r2', job.error, 'STORAGE_ACCESS_DENIED')]);
    expect(seen.get('BackupCompletedEvent')).toEqual([]);
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
  });
});
