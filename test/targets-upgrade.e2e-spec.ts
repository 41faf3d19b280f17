/**
 * Issue 16: a DATA_DIR of the version before added targets (settings in config.db, no `targets` table, run
 * history, backups in both local and r2) starts and works unchanged: /api/targets shows local and r2 from the
 * spec's settings keys, the backups and jobs are where they were, and both targets back up again.
 *
 * The DATA_DIR is written by this code with the files the previous version writes (the settings, run history
 * and archive formats did not change), then config.db's `targets` table is dropped, as that version has none.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { configureR2 } from './support/r2-settings.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

describeS3('A DATA_DIR of the previous version (issue 16)', () => {
  let t: TestApp | undefined;
  const root = makeScratchDir('sentinel-upgrade-');

  afterAll(async () => {
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function backUp(app: TestApp, target: string): Promise<string> {
    const started = await app.http.post(`/api/backups/${target}`).expect(202);
    const job = await waitForJob(app.http, started.body.id);
    expect([target, job.status, job.error_message ?? null]).toEqual([target, 'succeeded', null]);
    return job.filename as string;
  }

  it('starts with local and r2 as they were, their backups and run history, and backs up to both again', async () => {
    const bucket = await createTestBucket('upgrade');
    t = await startTestApp({}, { root, keep: true });
    await seedDatabases(t.app, { rows: 20 });
    await configureR2(t, bucket, { r2_prefix: 'site/', r2_backup_retention_days: 45, r2_backup_schedule: 'weekly' });
    const before = { local: await backUp(t, 'local'), r2: await backUp(t, 'r2') };
    const jobsBefore = (await t.http.get('/api/backup-jobs').expect(200)).body as Array<{ id: string }>;
    await t.close();
    t = undefined;

    const db = new Database(path.join(root, 'data', 'config.db'));
    db.exec('DROP TABLE IF EXISTS targets');
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'targets'").get()).toEqual({ n: 0 });
    db.close();

    t = await startTestApp({}, { root, keep: true });
    const targets = (await t.http.get('/api/targets').expect(200)).body as Array<Record<string, unknown>>;
    expect(targets.map((x) => x.id)).toEqual(['local', 'r2']);
    expect(targets[1]).toMatchObject({
      kind: 's3',
      enabled: true,
      bucket,
      prefix: 'site/',
      retention_days: 45,
      schedule: 'weekly',
      access_key_id_set: true,
      secret_access_key_set: true,
    });
    expect(targets[0]).toMatchObject({ kind: 'folder', enabled: true, path: path.join(root, 'data', 'backups'), retention_days: 90 });

    expect((await t.http.get('/api/backups/local').expect(200)).body.map((b: { filename: string }) => b.filename)).toEqual([before.local]);
    expect((await t.http.get('/api/backups/r2').expect(200)).body.map((b: { filename: string }) => b.filename)).toEqual([before.r2]);
    expect(((await t.http.get('/api/backup-jobs').expect(200)).body as Array<{ id: string }>).map((j) => j.id)).toEqual(jobsBefore.map((j) => j.id));

    expect((await t.http.post('/api/targets/r2/test').expect(200)).body.ok).toBe(true);
    await backUp(t, 'local');
    await backUp(t, 'r2');
  });
});
