import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { EventEmitter2 } from '@nestjs/event-emitter';
import fs from 'node:fs';
import path from 'node:path';
import { BackupCancelledEvent, BackupFailedEvent } from '../src/backup/backup.events.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

/**
 * POST /api/backup-jobs/{id}/cancel (issue 18): a running backup stops, ends as `cancelled` with BACKUP_CANCELLED,
 * announces backup.cancelled (not backup.failed), and leaves nothing behind in its target; the next backup works.
 * The backup is slowed the real way: databases big enough (~130 MB) that it is still writing when the cancel comes.
 */
const LARGE = { rows: 12_000, payloadBytes: 1500 };

/** The cancelled and failed events, by class name. */
function recordEvents(t: TestApp): { cancelled: BackupCancelledEvent[]; failed: BackupFailedEvent[] } {
  const seen = { cancelled: [] as BackupCancelledEvent[], failed: [] as BackupFailedEvent[] };
  const emitter = t.app.get(EventEmitter2);
  emitter.on(BackupCancelledEvent.eventName, (event: BackupCancelledEvent) => seen.cancelled.push(event));
  emitter.on(BackupFailedEvent.eventName, (event: BackupFailedEvent) => seen.failed.push(event));
  return seen;
}

async function cancelAuditEntries(t: TestApp): Promise<{ action: string; subject: string | null; status_code: number }[]> {
  const entries: { action: string; subject: string | null; status_code: number }[] = (await t.http.get('/api/audit').expect(200)).body;
  return entries.filter((entry) => entry.action === 'backup.cancel');
}

describe('Cancelling a backup (local folder)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await seedDatabases(t.app, LARGE);
  }, 180_000);
  afterAll(() => t.close());

  it('stops a backup while it writes its archive: cancelled, no .partial file or archive left, event and audit entry; the next backup succeeds', async () => {
    const seen = recordEvents(t);
    const backupDir = path.join(t.dataDir, 'backups');
    const started = (await t.http.post('/api/backups/local').expect(202)).body;
    // Mid-upload: the archive's temporary file is being written.
    await until('the archive being written to a .partial file', () =>
      fs.existsSync(backupDir) && fs.readdirSync(backupDir).some((name) => name.endsWith('.partial')) ? true : undefined,
    );

    const answer = await t.http.post(`/api/backup-jobs/${started.id}/cancel`).expect(200);
    expect(answer.body).toMatchObject({ id: started.id, status: 'cancelled', error_code: 'BACKUP_CANCELLED', filename: null });
    expect((await t.http.get(`/api/backup-jobs/${started.id}`).expect(200)).body).toMatchObject({ status: 'cancelled', error_code: 'BACKUP_CANCELLED' });
    // Nothing left: no temporary file, no archive, no scratch folder.
    expect(fs.readdirSync(backupDir)).toEqual([]);
    expect(fs.readdirSync(t.dataDir).filter((name) => name.startsWith('.backup-tmp'))).toEqual([]);
    expect(seen.cancelled).toEqual([expect.objectContaining({ jobId: started.id, target: 'local' })]);
    expect(seen.failed).toEqual([]);
    expect(await cancelAuditEntries(t)).toEqual([expect.objectContaining({ subject: started.id, status_code: 200, outcome: 'ok' })]);

    // A second cancel of the same job: it has ended.
    const again = await t.http.post(`/api/backup-jobs/${started.id}/cancel`).expect(409);
    expect(again.body).toMatchObject({ error: 'JOB_NOT_RUNNING' });
    expect(again.body.message).toMatch(/is not running \(it ended cancelled at .*\); there is nothing to cancel/);

    const next = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id, 170_000);
    expect(next.status).toBe('succeeded');
    expect(fs.readdirSync(backupDir).filter((name) => !name.startsWith('.'))).toEqual([next.filename]);

    // And a finished (succeeded) job cannot be cancelled either.
    const done = await t.http.post(`/api/backup-jobs/${next.id}/cancel`).expect(409);
    expect(done.body).toMatchObject({ error: 'JOB_NOT_RUNNING' });
    expect(done.body.message).toMatch(/it succeeded at/);
  }, 240_000);

  it('answers 404 JOB_NOT_FOUND for an id no job has', async () => {
    const res = await t.http.post('/api/backup-jobs/0b7d4c1e-0000-4000-8000-000000000000/cancel').expect(404);
    expect(res.body).toMatchObject({ error: 'JOB_NOT_FOUND' });
  });
});

describeS3('Cancelling a backup (S3)', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;
  beforeAll(async () => {
    // 130 MB to a loopback server on a busy machine can take longer than the default's margin.
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '150000' });
    client = testS3Client();
    bucket = await createTestBucket('cancel');
    await configureR2(t, bucket);
    await seedDatabases(t.app, LARGE);
  }, 180_000);
  afterAll(async () => {
    client.destroy();
    await t.close();
  });

  it('stops a multipart upload: cancelled, no object and no unfinished multipart upload left; the next backup succeeds', async () => {
    const seen = recordEvents(t);
    const started = (await t.http.post('/api/backups/r2').expect(202)).body;
    // Mid-upload: the archive streams to the server while it is written (8 MB in: past the first part).
    await until(
      'the archive being uploaded',
      async () => {
        const job = (await t.http.get(`/api/backup-jobs/${started.id}`).expect(200)).body;
        if (job.status !== 'running' && job.status !== 'queued') throw new Error(`The backup ended (${job.status}) before the test could cancel it`);
        return job.phase === 'archiving' && job.bytes_done > 8 * 1024 * 1024 ? true : undefined;
      },
      120_000,
    );

    const answer = await t.http.post(`/api/backup-jobs/${started.id}/cancel`).expect(200);
    expect(answer.body).toMatchObject({ status: 'cancelled', error_code: 'BACKUP_CANCELLED' });
    expect(await listAllKeys(client, bucket)).toEqual([]);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))).Uploads ?? []).toEqual([]);
    expect(seen.cancelled).toEqual([expect.objectContaining({ jobId: started.id, target: 'r2' })]);
    expect(seen.failed).toEqual([]);

    const next = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id, 170_000);
    expect({ status: next.status, error: next.error }).toEqual({ status: 'succeeded', error: null });
    expect(await listAllKeys(client, bucket)).toEqual([next.filename]);
  }, 300_000);

  it('refuses to cancel a replication with 409 JOB_NOT_CANCELLABLE that says why', async () => {
    await putSettings(t, { r2_replicate_from: 'local' });
    try {
      const replication = (await t.http.post('/api/targets/r2/sync').expect(202)).body;
      expect(replication.kind).toBe('replication');
      const res = await t.http.post(`/api/backup-jobs/${replication.id}/cancel`).expect(409);
      expect(res.body).toMatchObject({ error: 'JOB_NOT_CANCELLABLE' });
      expect(res.body.message).toMatch(/is a replication, which cannot be cancelled/);
      await waitForJob(t.http, replication.id, 120_000);
    } finally {
      await putSettings(t, { r2_replicate_from: '' });
    }
  }, 180_000);
});
