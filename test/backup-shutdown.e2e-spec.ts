import { EventEmitter2 } from '@nestjs/event-emitter';
import fs from 'node:fs';
import path from 'node:path';
import { BackupProgressEvent } from '../src/backup/backup.events.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

/**
 * A shutdown (or the restart after a staged restore) while a backup takes its snapshots. Found in the
 * review of issue 13: the snapshot was abandoned at once while SQLite, which a worker's termination
 * cannot interrupt, went on writing the copy; the scratch folder was then removed under it and the
 * process died with a fatal V8 error, leaving the -wal files and the DATA_DIR lock behind.
 */
describe('Shutdown while a backup is taking its snapshots', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it('ends the process normally, cancels the job with BACKUP_CANCELLED and leaves no scratch folder', async () => {
    t = await startTestApp();
    // Enough data that a snapshot is still inside SQLite when the shutdown comes.
    await seedDatabases(t.app, { rows: 60_000, payloadBytes: 1000 });
    const snapshotting = new Promise<void>((resolve) =>
      t!.app.get(EventEmitter2).on(BackupProgressEvent.eventName, (event: BackupProgressEvent) => {
        if (event.phase === 'snapshotting') resolve();
      }),
    );
    const started = await t.http.post('/api/backups/local').expect(202);
    await snapshotting;
    const { root, dataDir } = t;
    // Shut down while SQLite is writing a copy: its journal is there until VACUUM INTO returns.
    await until('a snapshot being written', () => writingSnapshot(dataDir), 30_000, 2);
    await t.app.close();
    t = undefined;
    // The process is still here (a fatal error would have ended the test run), and nothing is left.
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('.backup-tmp'))).toEqual([]);
    expect(fs.existsSync(`${dataDir}/.service.lock`)).toBe(false);

    t = await startTestApp({}, { root });
    const job = await waitForJob(t.http, started.body.id);
    expect(job).toMatchObject({ status: 'failed', error_code: 'BACKUP_CANCELLED' });
    expect(job.error).toMatch(/^Cancelled: the service is shutting down/);
  }, 180_000); // as below: a loaded machine needs more than a minute to seed 60 MB
});

describe('Shutdown while a backup writes its archive', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    t = undefined;
  });

  it("stops the archive's worker thread, cancels the job with BACKUP_CANCELLED and leaves no scratch folder or partial archive", async () => {
    t = await startTestApp();
    await seedDatabases(t.app, { rows: 60_000, payloadBytes: 1000 });
    const archiving = new Promise<void>((resolve) =>
      t!.app.get(EventEmitter2).on(BackupProgressEvent.eventName, (event: BackupProgressEvent) => {
        if (event.phase === 'archiving' && event.bytesDone > 0) resolve();
      }),
    );
    const started = await t.http.post('/api/backups/local').expect(202);
    await archiving;
    const { root, dataDir } = t;
    const backupDir = path.join(dataDir, 'backups');
    await t.app.close();
    t = undefined;
    // The job waited for the archive's worker thread to stop before removing the scratch folder.
    expect(fs.readdirSync(dataDir).filter((name) => name.startsWith('.backup-tmp'))).toEqual([]);
    expect(fs.existsSync(`${dataDir}/.service.lock`)).toBe(false);
    // The upload was cancelled: no archive, and no partial one.
    expect(fs.existsSync(backupDir) ? fs.readdirSync(backupDir) : []).toEqual([]);

    t = await startTestApp({}, { root });
    const job = await waitForJob(t.http, started.body.id);
    expect(job).toMatchObject({ status: 'failed', error_code: 'BACKUP_CANCELLED' });
  }, 180_000);
});

/** True while a snapshot copy is being written in a backup's scratch folder (SQLite's journal of the copy exists). */
function writingSnapshot(dataDir: string): true | undefined {
  for (const folder of fs.readdirSync(dataDir).filter((name) => name.startsWith('.backup-tmp'))) {
    const files = fs.existsSync(path.join(dataDir, folder)) ? fs.readdirSync(path.join(dataDir, folder)) : [];
    if (files.some((name) => name.endsWith('.db-journal'))) return true;
  }
  return undefined;
}
