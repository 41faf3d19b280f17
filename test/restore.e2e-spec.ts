import { jest } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { RestartSignal } from '../src/common/lifecycle/restart-signal.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { ALL_DATABASES, badArchives, prepareBackupFolder, tarCzf } from './fixtures/restore-archives.js';
import {
  archiveName,
  expectedMarkers,
  fingerprint,
  handMadeBackup,
  inspectFiles,
  markers,
  restoreWorkFiles,
  safetyCopies,
  setMarkers,
} from './fixtures/restore-app.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const NAMES = ALL_DATABASES;

describe('Restore (local target)', () => {
  let root: string;
  let t: TestApp;
  const apps: TestApp[] = [];

  /** Boots the app over `root` (again); the folder survives close(). */
  async function boot(env: Record<string, string | undefined> = {}): Promise<TestApp> {
    const app = await startTestApp(env, { root, keep: true });
    apps.push(app);
    return app;
  }
  const backups = () => path.join(t.dataDir, 'backups');

  beforeEach(async () => {
    root = makeScratchDir('sentinel-restore-');
    t = await boot();
    await setMarkers(t.app, 'v1');
    // The settings table is created on first use: do it now, so later fingerprints see only restore's doing.
    await t.http.get('/api/settings').expect(200);
    fs.mkdirSync(backups(), { recursive: true });
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('restores a backup made by hand with sqlite3, sha256sum and tar czf; the safety copy holds the data it replaced', async () => {
    const filename = archiveName(1);
    handMadeBackup(t.dataDir, NAMES, backups(), filename);
    await setMarkers(t.app, 'v2');

    const staged = await t.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(202);
    expect(staged.body).toMatchObject({
      archive: filename,
      target: 'local',
      state: 'staged',
      restarting: false,
      restart_requested: false,
      backup_timestamp: '2026-01-08T14:30:22Z',
    });
    expect(staged.body.databases.map((d: { name: string }) => d.name)).toEqual(NAMES);
    expect(t.app.get(RestartSignal).isRequested).toBe(false);
    // Phase 1 touched nothing live.
    expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
    const status = await t.http.get('/api/restore/status').expect(200);
    expect(status.body.staged).toMatchObject({ archive: filename, target: 'local' });
    expect(status.body.staging).toBeNull();
    expect((await t.http.get('/api/backups/local/restore/staged').expect(200)).body.archive).toBe(filename);
    await t.http.get('/api/backups/r2/restore/staged').expect(404, /comes from Local/);

    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('v1', NAMES));
    const after = await t.http.get('/api/restore/status').expect(200);
    expect(after.body.staged).toBeNull();
    expect(after.body.last_apply).toMatchObject({ outcome: 'applied', archive: filename, target: 'local' });
    const [safety] = safetyCopies(t.dataDir);
    expect(after.body.last_apply.safety_copy).toBe(safety);
    expect(Object.values(inspectFiles(path.join(t.dataDir, safety), NAMES))).toEqual(NAMES.map((n) => ({ marker: `v2:${n}`, integrity: 'ok' })));
    expect(JSON.parse(fs.readFileSync(path.join(t.dataDir, safety, 'restore-info.json'), 'utf8')).databases).toHaveLength(NAMES.length);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  });

  it('with restart (the default) answers 202 and asks the service to restart; the next start applies it', async () => {
    const filename = archiveName(2);
    handMadeBackup(t.dataDir, NAMES, backups(), filename);
    await setMarkers(t.app, 'v2');
    const res = await t.http.post('/api/backups/local/restore').send({ filename }).expect(202);
    expect(res.body).toMatchObject({ restarting: true, restart_requested: true });
    expect(t.app.get(RestartSignal).isRequested).toBe(true);
    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('v1', NAMES));
  });

  it('restores an archive made with `tar czf` from database files and a metadata file written by hand', async () => {
    const folder = prepareBackupFolder(path.join(root, 'by-hand'), 'manual');
    tarCzf(folder, path.join(backups(), archiveName(3)), ['backup-metadata.json', ...NAMES.map((n) => `${n}.db`)]);
    await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(3), restart: false })
      .expect(202);
    await t.close();
    t = await boot();
    const values = await markers(t.app);
    expect(values).toEqual(Object.fromEntries(NAMES.map((n) => [n, `manual:${n}`])));
  });

  it('refuses each archive of the bad corpus with its own reason, leaving the live databases byte-identical and nothing behind', async () => {
    const good = prepareBackupFolder(path.join(root, 'good'), 'new');
    const corpus = badArchives(good, path.join(root, 'corpus'));
    const before = fingerprint(t.dataDir, NAMES);
    for (const [i, bad] of corpus.entries()) {
      const filename = archiveName(i, 31);
      fs.mkdirSync(backups(), { recursive: true });
      fs.writeFileSync(path.join(backups(), filename), bad.bytes);
      const res = await t.http.post('/api/backups/local/restore').send({ filename, restart: false });
      const file = bad.file === 'ARCHIVE' ? filename : bad.file;
      expect({ label: bad.label, status: res.status, body: res.body }).toMatchObject({
        label: bad.label,
        status: 422,
        body: { error: 'ARCHIVE_INVALID', details: { check: bad.check, file } },
      });
      expect(res.body.message).toMatch(bad.message);
      expect({ label: bad.label, left: restoreWorkFiles(t.dataDir) }).toEqual({ label: bad.label, left: [] });

      // Verification reaches the same verdict without failing the request.
      const report = await t.http.post(`/api/backups/local/${filename}/verify`).expect(200);
      expect({ label: bad.label, ok: report.body.ok }).toEqual({ label: bad.label, ok: false });
      if (bad.check === 'checksum' || bad.check === 'integrity') {
        // Verification goes on past a damaged database: every database gets its verdict, only that one fails.
        const verdicts = report.body.databases as Array<{ filename: string; checksum_ok: boolean; integrity_ok: boolean; message: string }>;
        expect({ label: bad.label, problem: report.body.problem }).toEqual({ label: bad.label, problem: null });
        expect(verdicts.map((d) => d.filename).sort()).toEqual(NAMES.map((n) => `${n}.db`).sort());
        expect(verdicts.find((d) => d.filename === file)).toMatchObject(bad.check === 'checksum' ? { checksum_ok: false } : { integrity_ok: false });
        expect(verdicts.filter((d) => d.filename !== file).map((d) => d.message)).toEqual(NAMES.slice(1).map(() => 'ok'));
      } else {
        expect(report.body.problem).toMatchObject({ check: bad.check, file });
      }
    }
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(await markers(t.app)).toEqual(expectedMarkers('v1', NAMES));
    expect((await t.http.get('/api/restore/status').expect(200)).body).toEqual({ staged: null, staging: null, last_apply: null });
    expect(t.app.get(RestartSignal).isRequested).toBe(false);
  });

  it('answers 400 for a name that is not a backup, 404 for an unknown backup or target', async () => {
    const bad = await t.http.post('/api/backups/local/restore').send({ filename: '../../etc/passwd' }).expect(400);
    expect(bad.body).toMatchObject({ error: 'BACKUP_NAME_INVALID' });
    await t.http
      .post('/api/backups/local/restore')
      .send({})
      .expect(400, /filename/);
    await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(4), restart: 'yes' })
      .expect(400, /restart must be true or false/);
    const missing = await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(4) })
      .expect(404);
    expect(missing.body).toMatchObject({ error: 'BACKUP_NOT_FOUND' });
    await t.http
      .post('/api/backups/ftp/restore')
      .send({ filename: archiveName(4) })
      .expect(404);
    await t.http.post(`/api/backups/local/not-a-backup.tar.gz/verify`).expect(400);
    await t.http.post(`/api/backups/local/${archiveName(4)}/verify`).expect(404);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  });

  it('stages one restore at a time: 409 while one is staged (cancel first) and while one is being staged', async () => {
    handMadeBackup(t.dataDir, NAMES, backups(), archiveName(5));
    handMadeBackup(t.dataDir, NAMES, backups(), archiveName(6));
    const [first, second] = await Promise.all([
      t.http.post('/api/backups/local/restore').send({ filename: archiveName(5), restart: false }),
      t.http.post('/api/backups/local/restore').send({ filename: archiveName(6), restart: false }),
    ]);
    expect([first.status, second.status].sort()).toEqual([202, 409]);
    const loser = first.status === 409 ? first : second;
    expect(loser.body).toMatchObject({ error: 'RESTORE_IN_PROGRESS' });
    expect(loser.body.message).toMatch(/is being staged/);

    const again = await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(6), restart: false })
      .expect(409);
    expect(again.body.message).toMatch(/already staged.*Cancel it first with DELETE \/api\/backups\/local\/restore\/staged/);
  });

  it('cancel withdraws the staged restore: flag and staging folder gone, 404 afterwards, and the next start applies nothing', async () => {
    await t.http.delete('/api/backups/local/restore/staged').expect(404, /No restore is staged/);
    handMadeBackup(t.dataDir, NAMES, backups(), archiveName(7));
    await setMarkers(t.app, 'v2');
    await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(7), restart: false })
      .expect(202);
    expect(restoreWorkFiles(t.dataDir).sort()).toEqual(['.pending-restore', expect.stringMatching(/^\.restore-staging-/)].sort());
    await t.http.delete('/api/backups/r2/restore/staged').expect(404);
    const cancelled = await t.http.delete('/api/backups/local/restore/staged').expect(200);
    expect(cancelled.body).toMatchObject({ archive: archiveName(7), target: 'local' });
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    await t.http.get('/api/backups/local/restore/staged').expect(404);
    await t.http.delete('/api/backups/local/restore/staged').expect(404);

    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
    expect(safetyCopies(t.dataDir)).toEqual([]);
    expect((await t.http.get('/api/restore/status')).body.last_apply).toBeNull();
  });

  it('checks free disk space first and answers 507 with what is needed and available', async () => {
    handMadeBackup(t.dataDir, NAMES, backups(), archiveName(8));
    const query = jest.spyOn(t.app.get(DiskSpace), 'available').mockResolvedValue(10 * 1024 * 1024);
    const stagingFolders = jest.spyOn(fs.promises, 'mkdtemp');
    const res = await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(8) })
      .expect(507);
    // Refused before the download: no staging folder was ever made (not merely removed afterwards).
    expect(stagingFolders).not.toHaveBeenCalled();
    expect(res.body.error).toBe('INSUFFICIENT_DISK_SPACE');
    expect(res.body.message).toMatch(/Not enough free disk space in .* to restore sentinel-backup-.*: [\d.]+ [KMG]iB needed .* 10\.0 MiB available/);
    expect(res.body.details).toMatchObject({ needed_bytes: expect.any(Number), available_bytes: 10 * 1024 * 1024 });
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    // The spy does see staging folders: with room on the disk, the same request makes one.
    query.mockRestore();
    await t.http
      .post('/api/backups/local/restore')
      .send({ filename: archiveName(8), restart: false })
      .expect(202);
    expect(stagingFolders).toHaveBeenCalledTimes(1);
    stagingFolders.mockRestore();
    await t.http.delete('/api/backups/local/restore/staged').expect(200);
  });

  it('verifies a backup without restoring it: a verdict per database, nothing changed, scratch removed', async () => {
    handMadeBackup(t.dataDir, NAMES, backups(), archiveName(9));
    const before = fingerprint(t.dataDir, NAMES);
    const res = await t.http.post(`/api/backups/local/${archiveName(9)}/verify`).expect(200);
    expect(res.body).toMatchObject({ archive: archiveName(9), target: 'local', ok: true, problem: null, backup_timestamp: '2026-01-08T14:30:22Z' });
    expect(res.body.databases).toHaveLength(NAMES.length);
    for (const db of res.body.databases) expect(db).toMatchObject({ checksum_ok: true, integrity_ok: true, message: 'ok', size_bytes: expect.any(Number) });
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    expect((await t.http.get('/api/restore/status')).body.staged).toBeNull();
  });

  describe('when phase 2 fails (an error, not a crash)', () => {
    async function stageV1ThenChangeToV2(n: number): Promise<void> {
      handMadeBackup(t.dataDir, NAMES, backups(), archiveName(n));
      await setMarkers(t.app, 'v2');
      await t.http
        .post('/api/backups/local/restore')
        .send({ filename: archiveName(n), restart: false })
        .expect(202);
      await t.close();
    }

    it('a staged file damaged after staging: nothing is replaced, the restore is withdrawn, the status says why', async () => {
      await stageV1ThenChangeToV2(10);
      const staging = fs.readdirSync(t.dataDir).find((e) => e.startsWith('.restore-staging-')) as string;
      fs.appendFileSync(path.join(t.dataDir, staging, 'ledger.db'), Buffer.alloc(10));
      t = await boot();
      expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
      const { last_apply, staged } = (await t.http.get('/api/restore/status')).body;
      expect(staged).toBeNull();
      expect(last_apply).toMatchObject({ outcome: 'failed', safety_copy: null });
      expect(last_apply.message).toMatch(/ledger\.db in the staging folder no longer matches.*Nothing was changed/);
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    });

    it('no room for the safety copy at the start: nothing is replaced, the restore is withdrawn', async () => {
      await stageV1ThenChangeToV2(11);
      jest.spyOn(DiskSpace.prototype, 'available').mockResolvedValue(1024);
      t = await boot();
      expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
      const { last_apply } = (await t.http.get('/api/restore/status')).body;
      expect(last_apply).toMatchObject({ outcome: 'failed' });
      expect(last_apply.message).toMatch(/safety copy .* not enough free disk space/);
      expect(safetyCopies(t.dataDir)).toEqual([]);
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    });

    it('a swap failing half-way is rolled back from the safety copy: every database is the old one again', async () => {
      await stageV1ThenChangeToV2(12);
      const rename = fs.promises.rename;
      let swaps = 0;
      jest.spyOn(fs.promises, 'rename').mockImplementation(async (from, to) => {
        if (String(from).includes('.restore-staging-') && ++swaps === 4) throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' });
        return rename(from, to);
      });
      t = await boot();
      expect(swaps).toBe(4);
      expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
      const { last_apply } = (await t.http.get('/api/restore/status')).body;
      expect(last_apply).toMatchObject({ outcome: 'rolled_back', safety_copy: expect.stringMatching(/^pre-restore-backup-/) });
      expect(last_apply.message).toMatch(/swapping the databases in failed: EIO/);
      expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    });

    it('a flag that cannot be read stops the start instead of guessing', async () => {
      await t.close();
      fs.writeFileSync(path.join(t.dataDir, '.pending-restore'), '{"format": 1, "state": "applying"');
      await expect(boot()).rejects.toThrow(/The restore flag .* cannot be read .* does not start/);
    });
  });
});
