/**
 * What a restore would bring back, before it is asked for (GET /api/backups/{target}/{filename}/contents),
 * and the apply of a staged restore on request (POST /api/restore/apply), against real backups made by the
 * service of real SQLite files. The test app has no main.ts restart loop: a restart is the test closing the
 * app and booting it again over the same folder, as main.ts does on RestartSignal.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';
import { RestartSignal } from '../src/common/lifecycle/restart-signal.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { BackupArchiveOpener } from '../src/restore/archive-reader/backup-archive-opener.js';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { archiveMetadataByHand, expectedMarkers, fingerprint, liveDatabaseSize, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { ageKeygen } from './support/age-archives.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

async function backupNow(t: TestApp): Promise<string> {
  const started = await t.http.post('/api/backups/local').expect(202);
  const job = await waitForJob(t.http, started.body.id);
  expect(job).toMatchObject({ status: 'succeeded' });
  return job.filename as string;
}

/** A database's pages as SQLite counts them (read-only connection of the test's own): all, free, and their size. */
function pageCounts(dataDir: string, name: string): { total: number; free: number; size: number } {
  const db = new Database(path.join(dataDir, `${name}.db`), { readonly: true, fileMustExist: true });
  try {
    const pragma = (key: string) => db.pragma(key, { simple: true }) as number;
    return { total: pragma('page_count'), free: pragma('freelist_count'), size: pragma('page_size') };
  } finally {
    db.close();
  }
}

/** Everything in DATA_DIR but the logs' and the backups' folders, with each database file's SHA-256: what "nothing changed" compares. */
function dataDirState(t: TestApp): { entries: string[]; databases: Record<string, string> } {
  return { entries: fs.readdirSync(t.dataDir).sort(), databases: fingerprint(t.dataDir, ALL_DATABASES) };
}

describe('Restore: what a backup holds, and applying a staged restore now', () => {
  let root: string;
  let scratch: string;
  let t: TestApp;

  async function boot(): Promise<TestApp> {
    return startTestApp({}, { root, keep: true });
  }

  beforeEach(async () => {
    root = makeScratchDir('sentinel-contents-');
    scratch = makeScratchDir('sentinel-contents-scratch-');
    t = await boot();
    await seedDatabases(t.app, { rows: 20 });
    await setMarkers(t.app, 'backed-up');
  });
  afterEach(async () => {
    await t.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it("lists each database's size in the backup beside its live size and the backup's time, changing nothing", async () => {
    const filename = await backupNow(t);
    // The live databases grow after the backup: the two sizes differ.
    await seedDatabases(t.app, { rows: 400, payloadBytes: 400 });
    await setMarkers(t.app, 'later');
    // One database with free pages (rows deleted, no vacuum): a backup leaves them out, and so does "now".
    const [thinned] = ALL_DATABASES;
    await (await t.app.get(DatabaseRegistry).dataSource(thinned)).query('DELETE FROM items WHERE id % 4 <> 0');
    const before = dataDirState(t);

    const res = await t.http.get(`/api/backups/local/${filename}/contents`);
    expect(res.body.message).toBeUndefined();
    expect(res.status).toBe(200);
    const byHand = await archiveMetadataByHand(t, 'local', filename);
    expect(res.body).toMatchObject({
      archive: filename,
      target: 'local',
      encrypted: false,
      readable: true,
      unreadable_reason: null,
      backup_timestamp: byHand.timestamp,
      database_set_problem: null,
    });
    expect(res.body.databases).toEqual(
      byHand.databases.map((db) => ({
        name: db.name,
        filename: db.filename,
        backup_size_bytes: db.size_bytes,
        current_size_bytes: liveDatabaseSize(t.dataDir, db.name),
      })),
    );
    expect(res.body.databases.map((db: { name: string }) => db.name)).toEqual(ALL_DATABASES);
    const grown = res.body.databases.filter((db: { backup_size_bytes: number; current_size_bytes: number }) => db.current_size_bytes > db.backup_size_bytes);
    expect(grown.length).toBeGreaterThan(0);

    expect(dataDirState(t)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);

    // The thinned database's "now" leaves its free pages out: the size a backup made now gives it, not its pages' total.
    const pages = pageCounts(t.dataDir, thinned);
    expect(pages.free).toBeGreaterThan(0);
    const thinnedNow = res.body.databases.find((db: { name: string }) => db.name === thinned).current_size_bytes as number;
    expect(thinnedNow).toBe((pages.total - pages.free) * pages.size);
    // A backup made now is no larger, and nearer to it than all pages would be (its VACUUM INTO may pack part-filled pages too).
    const madeNow = (await archiveMetadataByHand(t, 'local', await backupNow(t))).databases.find((db) => db.name === thinned)?.size_bytes as number;
    expect(madeNow).toBeLessThanOrEqual(thinnedNow);
    expect(thinnedNow - madeNow).toBeLessThan(pages.free * pages.size);
  });

  it("reads only the archive's first bytes, not the whole archive", async () => {
    // Random, incompressible rows: the archive is as large as the data.
    const history = await t.app.get(DatabaseRegistry).dataSource('history');
    await history.query('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)');
    await history.query(
      'WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 24) INSERT INTO blobs (data) SELECT randomblob(1048576) FROM n',
    );
    const filename = await backupNow(t);
    // Counts the stored bytes each download hands on, at the opener (the seam between storage and the reader).
    const opener = t.app.get(BackupArchiveOpener);
    const open = opener.open.bind(opener);
    let handedOn = 0;
    let stored = 0;
    opener.open = async (...args) => {
      const download = await open(...args);
      stored = download.size;
      const counter = new Transform({ transform: (chunk: Buffer, _encoding, callback) => ((handedOn += chunk.length), callback(null, chunk)) });
      counter.on('close', () => download.body.destroy());
      return { ...download, body: download.body.pipe(counter) };
    };

    const res = await t.http.get(`/api/backups/local/${filename}/contents`).expect(200);
    expect(res.body.databases.find((db: { name: string }) => db.name === 'history').backup_size_bytes).toBeGreaterThan(24 * 1024 * 1024);
    expect(stored).toBeGreaterThan(24 * 1024 * 1024);
    expect(handedOn).toBeGreaterThan(0);
    expect(handedOn).toBeLessThan(stored / 10);
  });

  it('refuses a bad name, an unknown backup and a damaged archive, saying what is wrong, and changes nothing', async () => {
    const filename = await backupNow(t);
    const before = dataDirState(t);

    const bad = await t.http.get('/api/backups/local/not-a-backup.tar.gz/contents').expect(400);
    expect(bad.body.message).toMatch(/is not a backup name: names look like sentinel-backup-/);
    const unknown = await t.http.get('/api/backups/local/sentinel-backup-2020-01-01-000000.tar.gz/contents').expect(404);
    expect(unknown.body.message).toMatch(/sentinel-backup-2020-01-01-000000\.tar\.gz/);
    await t.http.get(`/api/backups/nosuchtarget/${filename}/contents`).expect((res) => expect([400, 404]).toContain(res.status));

    // A damaged archive: its gzip cut short inside the metadata's first bytes.
    const folder = path.join(t.dataDir, 'backups');
    const damaged = 'sentinel-backup-2020-01-02-000000.tar.gz';
    fs.writeFileSync(path.join(folder, damaged), fs.readFileSync(path.join(folder, filename)).subarray(0, 20));
    const refused = await t.http.get(`/api/backups/local/${damaged}/contents`).expect(422);
    expect(refused.body).toMatchObject({ error: 'ARCHIVE_INVALID' });
    expect(refused.body.message).toMatch(/cut short|gzip/);

    expect(dataDirState(t)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  });

  it('an encrypted backup whose key the server does not hold: says its contents cannot be shown without the recovery key, and still lists the live sizes', async () => {
    const mine = ageKeygen(scratch, 'mine');
    const on = await t.http
      .put('/api/encryption/local')
      .send({ enabled: true, write_only: true, recipients: [mine.recipient] })
      .expect(200);
    expect(on.body.state).toBe('awaiting_confirmation');
    await t.http.post('/api/encryption/local/confirm').expect(200);
    const filename = await backupNow(t);
    expect(filename).toMatch(/\.tar\.gz\.age$/);

    const res = await t.http.get(`/api/backups/local/${filename}/contents`).expect(200);
    expect(res.body).toMatchObject({ archive: filename, encrypted: true, readable: false, backup_timestamp: null });
    expect(res.body.unreadable_reason).toMatch(/cannot be shown without the recovery key/);
    expect(res.body.databases).toEqual(
      ALL_DATABASES.map((name) => ({ name, filename: `${name}.db`, backup_size_bytes: null, current_size_bytes: liveDatabaseSize(t.dataDir, name) })),
    );
    // The recovery key is never in an answer.
    expect(JSON.stringify(res.body)).not.toContain('AGE-SECRET-KEY');
  });

  it('Apply now restarts to apply the staged restore: the databases afterwards are the backup; wrong or missing input changes nothing', async () => {
    const filename = await backupNow(t);
    await setMarkers(t.app, 'changed-later');

    // Nothing staged yet.
    const nothing = await t.http.post('/api/restore/apply').send({ archive: filename }).expect(404);
    expect(nothing.body.message).toMatch(/No restore is staged/);

    await t.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    const staged = (await t.http.get('/api/restore/status').expect(200)).body.staged;
    expect(staged).toMatchObject({ archive: filename, restart_requested: false });
    const before = dataDirState(t);

    const missing = await t.http.post('/api/restore/apply').send({}).expect(400);
    expect(missing.body.message).toMatch(/archive is missing/);
    await t.http
      .post('/api/restore/apply')
      .send({ archive: 42 })
      .expect(400, /archive must be a string/);
    const other = await t.http.post('/api/restore/apply').send({ archive: 'sentinel-backup-2020-01-01-000000.tar.gz' }).expect(404);
    expect(other.body.message).toContain(`the staged restore is of ${filename}`);
    // Not a backup's name (a pasted key, 100 KB of it): refused as such, and not repeated back.
    for (const pasted of ['x'.repeat(100_000), `AGE-SECRET-KEY-1${'Q'.repeat(100_000)}`]) {
      const huge = await t.http.post('/api/restore/apply').send({ archive: pasted }).expect(400);
      expect(huge.body.error).toBe('BACKUP_NAME_INVALID');
      expect(huge.body.message).toMatch(/names look like sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz/);
      expect(huge.text.length).toBeLessThan(1000);
      expect(huge.text).not.toContain(pasted.slice(0, 40));
    }
    // The right archive from another target than the staged one's: not applied, and the answer says what is staged.
    const otherTarget = await t.http.post('/api/restore/apply').send({ archive: filename, target: 'r2' }).expect(404);
    expect(otherTarget.body.message).toContain(`No restore of ${filename} from R2 is staged; the staged restore is of ${filename} (Local)`);
    const badTarget = await t.http.post('/api/restore/apply').send({ archive: filename, target: 'Not A Target!' }).expect(400);
    expect(badTarget.body.message).toMatch(/target must be a target id/);
    // A form post from another site is refused at the door.
    await t.http.post('/api/restore/apply').set('Origin', 'https://elsewhere.example').send({ archive: filename }).expect(403);
    expect(t.app.get(RestartSignal).isRequested).toBe(false);
    expect(dataDirState(t)).toEqual(before);
    expect((await t.http.get('/api/restore/status').expect(200)).body.staged).toEqual(staged);
    expect(await markers(t.app)).toEqual(expectedMarkers('changed-later', ALL_DATABASES));

    // The refusals were audited without the pasted text as their subject.
    const refused = (await t.http.get('/api/audit?limit=20').expect(200)).body as Array<{ action: string; subject: string | null; status_code: number }>;
    expect(refused.filter((e) => e.action === 'restore.apply-now' && e.status_code === 400 && e.subject === null).length).toBeGreaterThanOrEqual(2);

    const applied = await t.http.post('/api/restore/apply').send({ archive: filename, target: 'local' }).expect(202);
    expect(applied.body).toMatchObject({ archive: filename, target: 'local', restarting: true });
    expect(t.app.get(RestartSignal).isRequested).toBe(true);
    await t.app.get(RestartSignal).requested;
    const audit = (await t.http.get('/api/audit?limit=1').expect(200)).body;
    expect(audit[0]).toMatchObject({ action: 'restore.apply-now', target: 'local', subject: filename, outcome: 'ok' });

    // What main.ts does on the signal.
    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('backed-up', ALL_DATABASES));
    const status = (await t.http.get('/api/restore/status').expect(200)).body;
    expect(status.staged).toBeNull();
    expect(status.last_apply).toMatchObject({ outcome: 'applied', archive: filename, target: 'local' });
  });
});

describeS3('Restore: what a backup in the real S3 server holds', () => {
  it('reads the metadata of an R2 backup, stops its download, and the storage still serves the next requests', async () => {
    const t = await startTestApp();
    try {
      await seedDatabases(t.app, { rows: 20 });
      await configureR2(t, await createTestBucket('contents'));
      const started = await t.http.post('/api/backups/r2').expect(202);
      const job = await waitForJob(t.http, started.body.id);
      expect(job).toMatchObject({ status: 'succeeded' });
      const filename: string = job.filename;

      const byHand = await archiveMetadataByHand(t, 'r2', filename);
      for (let i = 0; i < 3; i++) {
        const res = await t.http.get(`/api/backups/r2/${filename}/contents`).expect(200);
        expect(res.body).toMatchObject({ archive: filename, target: 'r2', readable: true, backup_timestamp: byHand.timestamp });
        expect(res.body.databases.map((db: { name: string; backup_size_bytes: number }) => [db.name, db.backup_size_bytes])).toEqual(
          byHand.databases.map((db) => [db.name, db.size_bytes]),
        );
      }
      // The stopped downloads left the connections usable: the list and a whole download still work.
      expect((await t.http.get('/api/backups/r2').expect(200)).body.map((b: { filename: string }) => b.filename)).toContain(filename);
      expect((await archiveMetadataByHand(t, 'r2', filename)).timestamp).toBe(byHand.timestamp);
      await t.http.get(`/api/backups/r2/sentinel-backup-2020-01-01-000000.tar.gz/contents`).expect(404);
    } finally {
      await t.close();
    }
  });
});
