/**
 * Issue 18, run history: GET /api/runs lists every backup, verification, rotation, replication and restore with
 * its time, trigger, result, duration, size, error code and message, newest first, filtered by target and kind.
 * From real runs against the whole application: backups that succeed, a backup that fails (the local folder
 * replaced by a file; on the S3 server, a secret key it refuses), a manual verification that passes and one that
 * cannot run, a rotation, a restore staged and cancelled and one whose staging fails, a restore staging whose request
 * was closed while it downloaded the archive. The rows survive a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import type { RunRow } from '../src/history/run-row.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startSlowS3Relay } from './support/slow-s3-relay.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

async function runs(t: TestApp, query = ''): Promise<RunRow[]> {
  return (await t.http.get(`/api/runs${query}`).expect(200)).body as RunRow[];
}

async function backUp(
  t: TestApp,
  target: string,
): Promise<{ id: string; status: string; filename: string | null; error: string | null; error_code: string | null }> {
  return waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
}

describe('Run history (local)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
    await seedDatabases(t.app, { rows: 50 });
  });
  afterEach(() => t.close());

  it('lists a succeeded and a failed backup, a verification, a rotation, a staged and cancelled restore and a failed staging, newest first, and keeps them over a restart', async () => {
    const good = await backUp(t, 'local');
    expect(good.status).toBe('succeeded');

    // The local folder replaced by a file: the next backup cannot write there and fails with its code and message.
    const folder = path.join(t.root, 'not-a-folder');
    fs.writeFileSync(folder, 'a file where the backups folder should be');
    await t.http.put('/api/settings/local_backup_dir').send({ value: folder }).expect(200);
    const bad = await backUp(t, 'local');
    expect(bad.status).toBe('failed');
    // A rotation there cannot list the backups: a failed rotation with the storage's code.
    const refused = await t.http.post('/api/backups/local/rotate');
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(t.dataDir, 'backups') })
      .expect(200);

    const report = (await t.http.post(`/api/backups/local/${good.filename}/verify`).expect(200)).body;
    expect(report.ok).toBe(true);
    await t.http.post('/api/backups/local/rotate').expect(200);
    await t.http.post('/api/backups/local/restore').send({ filename: good.filename, restart: false }).expect(202);
    await t.http.delete('/api/backups/local/restore/staged').expect(200);
    const missing = 'sentinel-backup-2020-01-01-000000.tar.gz';
    await t.http.post('/api/backups/local/restore').send({ filename: missing, restart: false }).expect(404);

    const all = await runs(t);
    expect(all.map((r) => `${r.kind} ${r.result}`)).toEqual([
      'restore failed',
      'restore cancelled',
      'restore staged',
      'rotation succeeded',
      'verification succeeded',
      'rotation failed',
      'backup failed',
      'backup succeeded',
    ]);
    const byKey = (kind: string, result: string) => all.find((r) => r.kind === kind && r.result === result)!;
    expect(byKey('backup', 'succeeded')).toMatchObject({
      target: 'local',
      trigger: 'manual',
      file: good.filename,
      error_code: null,
      size_bytes: expect.any(Number),
      duration_ms: expect.any(Number),
      finished_at: expect.any(String),
      backup_kind: 'full',
    });
    // Only a backup has a kind; the other rows say null rather than leave it out.
    expect(all.filter((r) => r.kind !== 'backup').map((r) => r.backup_kind)).toEqual(all.filter((r) => r.kind !== 'backup').map(() => null));
    expect(byKey('backup', 'failed')).toMatchObject({ target: 'local', trigger: 'manual', error_code: bad.error_code, message: bad.error, file: null });
    expect(bad.error_code).toEqual(expect.any(String));
    expect(byKey('verification', 'succeeded')).toMatchObject({
      target: 'local',
      trigger: 'manual',
      file: good.filename,
      error_code: null,
      duration_ms: expect.any(Number),
    });
    expect(byKey('verification', 'succeeded').message).toMatch(/^Verified: all \d+ databases passed/);
    expect(byKey('rotation', 'succeeded')).toMatchObject({ trigger: 'manual', message: 'Deleted 0, kept 1', duration_ms: expect.any(Number) });
    expect(byKey('rotation', 'failed')).toMatchObject({ trigger: 'manual', error_code: refused.body.error, message: refused.body.message });
    expect(byKey('restore', 'staged')).toMatchObject({ trigger: 'manual', file: good.filename, duration_ms: expect.any(Number) });
    expect(byKey('restore', 'cancelled')).toMatchObject({
      file: good.filename,
      duration_ms: expect.any(Number),
      message: 'The staged restore was cancelled; nothing was applied',
    });
    expect(byKey('restore', 'failed')).toMatchObject({ file: missing, error_code: 'BACKUP_NOT_FOUND' });
    expect(byKey('restore', 'failed').message).toMatch(/^Staging failed; nothing was staged and the databases are unchanged: /);
    for (const row of all) expect(Date.parse(row.started_at)).toBeLessThanOrEqual(Date.parse(row.finished_at!));

    // Filters: one kind, and a limit.
    expect((await runs(t, '?kind=backup')).map((r) => r.result)).toEqual(['failed', 'succeeded']);
    expect((await runs(t, '?kind=restore&limit=2')).map((r) => r.result)).toEqual(['failed', 'cancelled']);
    expect(await runs(t, '?target=r2')).toEqual([]);

    // A restart keeps every row, the recorded ones included.
    await t.app.close();
    const again = await startTestApp({}, { root: t.root });
    try {
      expect(await runs(again)).toEqual(all);
    } finally {
      t = again;
    }
  });

  it('a manual verification that cannot run (the backup file gone) is a failed verification row with its code and message', async () => {
    const good = await backUp(t, 'local');
    fs.rmSync(path.join(t.dataDir, 'backups', good.filename!));
    const answer = await t.http.post(`/api/backups/local/${good.filename}/verify`).expect(404);
    expect(answer.body.error).toBe('BACKUP_NOT_FOUND');
    const [row] = await runs(t, '?kind=verification');
    expect(row).toMatchObject({
      kind: 'verification',
      target: 'local',
      trigger: 'manual',
      result: 'failed',
      file: good.filename,
      error_code: answer.body.error,
    });
    expect(row.message).toBe(`The verification could not run: ${answer.body.message}`);
  });

  it('a scheduled verification that cannot list the backups is a failed verification row with its code, and no file', async () => {
    await backUp(t, 'local');
    const folder = path.join(t.root, 'not-a-folder');
    fs.writeFileSync(folder, 'a file where the backups folder should be');
    await t.http.put('/api/settings/local_backup_dir').send({ value: folder }).expect(200);
    const result = await t.app.get(ScheduledJobRunner).verifyNewest('local');
    expect(result.outcome).toBe('failed');
    const [row] = await runs(t, '?kind=verification');
    expect(row).toMatchObject({ kind: 'verification', target: 'local', trigger: 'scheduled', result: 'failed', file: null, error_code: expect.any(String) });
    expect(row.error_code).not.toBe('INTERNAL');
    expect(row.message).toMatch(/^The verification could not run: the backups could not be listed: /);
  });

  it('a rotation that could not delete some backups is a failed rotation row with ROTATION_FAILED naming each', async () => {
    const made = await backUp(t, 'local');
    const folder = path.join(t.dataDir, 'backups');
    const DAY = 24 * 3600 * 1000;
    // Four older copies, 2 to 5 days old: the newest three backups are kept whatever their age, the two oldest are to go.
    const copies = [2, 3, 4, 5].map((days) => backupFilename(new Date(Date.now() - days * DAY)));
    const [older, oldest] = copies.slice(2);
    for (const name of copies) {
      fs.copyFileSync(path.join(folder, made.filename!), path.join(folder, name));
      fs.copyFileSync(path.join(folder, `.${made.filename}.owner`), path.join(folder, `.${name}.owner`));
    }
    // A folder where the oldest one's recipients marker would be: the rotation cannot delete it, so that backup is not fully deleted.
    fs.mkdirSync(path.join(folder, `.${oldest}.recipients`, 'in-the-way'), { recursive: true });
    await t.http.put('/api/settings/local_backup_retention_days').send({ value: 1 }).expect(200);
    const rotated = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(rotated.deleted).toEqual([older]);
    expect(rotated.failed.map((f: { filename: string }) => f.filename)).toEqual([oldest]);
    const [row] = await runs(t, '?kind=rotation');
    expect(row).toMatchObject({ kind: 'rotation', result: 'failed', error_code: 'ROTATION_FAILED' });
    expect(row.message).toMatch(new RegExp(`^Deleted 1, kept 4; could not delete ${oldest.replace(/\./g, '\\.')}: `));
  });

  it('refuses a bad query with 400 and says what is wrong', async () => {
    const kind = await t.http.get('/api/runs?kind=backups').expect(400);
    expect(kind.body.message).toEqual(expect.stringContaining('kind must be one of backup, verification, rotation, replication, restore'));
    const target = await t.http.get('/api/runs?target=NOT_A_TARGET').expect(400);
    expect(target.body.message).toEqual(expect.stringContaining("target must be a target id such as 'local' or 'r2'"));
    const limit = await t.http.get('/api/runs?limit=0').expect(400);
    expect(limit.body.message).toEqual(expect.stringContaining('limit must be a whole number from 1 to 1000'));
    const unknown = await t.http.get('/api/runs?status=failed').expect(400);
    expect(JSON.stringify(unknown.body)).toContain('status');
  });
});

describeS3('Run history (S3)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    await seedDatabases(t.app, { rows: 50 });
  });
  afterEach(() => t.close());

  it('a backup the S3 server refuses (wrong secret) is a failed row of r2 with STORAGE_ACCESS_DENIED, filterable per target', async () => {
    await backUp(t, 'local');
    const bucket = await createTestBucket('history');
    await configureR2(t, bucket);
    const good = await backUp(t, 'r2');
    expect(good.status).toBe('succeeded');
    await t.http.put('/api/settings/r2_secret_access_key').send({ value: 'not-the-secret-key-of-this-access-key' }).expect(200);
    const bad = await backUp(t, 'r2');
    expect(bad).toMatchObject({ status: 'failed', error_code: 'STORAGE_ACCESS_DENIED' });

    const r2 = await runs(t, '?target=r2');
    expect(r2.map((r) => `${r.kind} ${r.result} ${r.error_code}`)).toEqual(['backup failed STORAGE_ACCESS_DENIED', 'backup succeeded null']);
    expect(r2[0].message).toBe(bad.error);
    expect(r2[1]).toMatchObject({ file: good.filename, size_bytes: expect.any(Number) });
    expect((await runs(t, '?target=local')).map((r) => `${r.target} ${r.kind} ${r.result}`)).toEqual(['local backup succeeded']);

    // A manual verification of the r2 backup while the S3 server refuses the key: a failed verification, with the storage's code.
    const answer = await t.http.post(`/api/backups/r2/${good.filename}/verify`);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    const [verification] = await runs(t, '?target=r2&kind=verification');
    expect(verification).toMatchObject({ result: 'failed', error_code: 'STORAGE_ACCESS_DENIED', file: good.filename });
  });

  // What the page's Cancel does (test/web-slow-storage.e2e-spec.ts clicks it in Chromium): the staging's HTTP request is
  // closed while the staging runs, its download of the archive held by a slow relay in front of the S3 server.
  it('a restore staging whose request was closed mid-download is a cancelled restore row (RESTORE_CANCELLED), not a failed one, and nothing is staged', async () => {
    const relay = await startSlowS3Relay();
    try {
      await configureR2(t, await createTestBucket('history-cancel'), { r2_endpoint: relay.endpoint });
      const good = await backUp(t, 'r2');
      expect(good.status).toBe('succeeded');
      relay.pace({ kind: 'hold' });
      const request = t.http.post('/api/backups/r2/restore').send({ filename: good.filename, restart: false });
      // Sent now; it is never answered, since it is closed below.
      void request.then(
        () => undefined,
        () => undefined,
      );
      await until('the staging to be downloading the archive', () => (relay.held() > 0 ? true : undefined));
      expect((await t.http.get('/api/restore/status').expect(200)).body.staging).toMatchObject({ archive: good.filename, target: 'r2' });
      request.abort();

      const [row] = await until('the restore row', async () => {
        const rows = await runs(t, '?kind=restore');
        return rows.length > 0 ? rows : undefined;
      });
      // The whole row, exactly: no failure, and no field a cancelled staging should not have.
      expect(row).toEqual({
        id: expect.stringMatching(/^event-\d+$/),
        kind: 'restore',
        target: 'r2',
        trigger: 'manual',
        result: 'cancelled',
        error_code: 'RESTORE_CANCELLED',
        message: 'The restore staging was cancelled (its request was closed); nothing was staged and the databases are unchanged',
        file: good.filename,
        started_at: expect.any(String),
        finished_at: expect.any(String),
        duration_ms: expect.any(Number),
        size_bytes: null,
        backup_kind: null,
      });
      expect((await runs(t, '?kind=restore')).length).toBe(1);
      expect((await t.http.get('/api/restore/status').expect(200)).body).toMatchObject({ staged: null, staging: null });
    } finally {
      relay.pace({ kind: 'free' });
      relay.release();
      await relay.close();
    }
  });
});
