/**
 * Damaged files, through the real service (`node dist/main.js` as a child process with LOG_FILE set):
 * a damaged database is named at start, in LOG_FILE and by GET /api/health, and a backup restored
 * through the API repairs it; a damaged master key file, a changed SENTINEL_MASTER_KEY and an
 * unwritable DATA_DIR are each named with what to do.
 */
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ALL_DATABASES, prepareBackupFolder, readMarker, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { assertServiceBuilt, getJson, post, type ServiceProcess, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir } from './support/test-app.js';

const ARCHIVE = 'sentinel-backup-2026-01-08-143022.tar.gz';

async function put(url: string, value: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value }) });
  return { status: res.status, body: await res.json() };
}

/** Polls until the service has applied a staged restore (after its in-process restart) and is healthy again. */
async function waitForAppliedRestore(service: ServiceProcess): Promise<any> {
  const until = Date.now() + 60_000;
  for (;;) {
    const status = (await getJson(`${service.url}/api/restore/status`))?.body;
    if (status?.last_apply) {
      await waitHealthy(service);
      return status;
    }
    if (Date.now() > until) throw new Error(`no restart seen:\n${service.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A local backup through the API, waited for: it must succeed. */
async function backUpLocally(service: ServiceProcess): Promise<{ filename: string }> {
  const started = await post(`${service.url}/api/backups/local`, {});
  expect(started.status).toBe(202);
  const job = await waitForJob({ get: async (url) => (await getJson(`${service.url}${url}`))! }, started.body.id);
  expect(job.status).toBe('succeeded');
  return job;
}

/** Starts the service and waits for it to exit on its own (a refused start); fails if it serves instead. */
async function refusedStart(root: string, env: Record<string, string> = {}): Promise<{ code: number | null; output: string; log: string }> {
  const service = await startService(root, env);
  const timer = setTimeout(() => service.child.kill('SIGKILL'), 30_000);
  const { code } = await service.exited;
  clearTimeout(timer);
  const logFile = path.join(root, 'logs', 'sentinel-backup.log');
  return { code, output: service.output(), log: fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '' };
}

/** Overwrites pages in the middle of a config.db that holds many settings rows: the header stays valid. */
function damageInterior(file: string): void {
  const db = new Database(file);
  const insert = db.prepare('INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)');
  db.transaction(() => {
    for (let i = 0; i < 2000; i++) insert.run(`filler_${i}`, 'x'.repeat(100));
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const pages = Math.floor(fs.statSync(file).size / 4096);
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, Buffer.alloc(3 * 4096, 0x5a), 0, 3 * 4096, Math.floor(pages / 2) * 4096);
  fs.closeSync(fd);
}

describe('Damaged files', () => {
  let root: string;
  let data: string;
  let logFile: string;
  const log = () => (fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '');

  beforeAll(() => assertServiceBuilt());
  beforeEach(() => {
    root = makeScratchDir('sentinel-damage-');
    data = path.join(root, 'data');
    logFile = path.join(root, 'logs', 'sentinel-backup.log');
  });
  afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

  it('a damaged universe.db is named at start, in LOG_FILE and by /api/health; backups are refused; a restore through the API repairs it', async () => {
    fs.mkdirSync(path.join(data, 'backups'), { recursive: true });
    for (const name of ALL_DATABASES) writeDatabase(path.join(data, `${name}.db`), `current:${name}`);
    const folder = prepareBackupFolder(path.join(root, 'backup-set'), 'restored');
    tarCzf(folder, path.join(data, 'backups', ARCHIVE), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    fs.writeFileSync(path.join(data, 'universe.db'), Buffer.alloc(8192, 'garbage!'));
    const damaged = path.join(data, 'universe.db');
    // An unfinished file a kill -9 of this installation left: the start-up clean-up must still run
    // when the first managed database is the damaged one.
    const id = '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44';
    fs.writeFileSync(path.join(data, '.installation-id'), `${id}\n`);
    const tag = createHmac('sha256', id).update('local-partial').digest('hex').slice(0, 8);
    const partial = path.join(data, 'backups', `.${ARCHIVE.replace('143022', '020000')}.${tag}0a1b2c3d.partial`);
    fs.writeFileSync(partial, 'half an archive');

    await withService(root, async (service) => {
      const health = (await getJson(`${service.url}/api/health`))!.body;
      expect(health).toMatchObject({ status: 'degraded', databases_open: true, problems: [{ file: 'universe.db' }] });
      expect(health.problems[0].message).toMatch(/universe\.db .*damaged \(file is not a database\).*POST \/api\/backups\/local\/restore/);
      // The start names the file with its full path, in LOG_FILE as on the console.
      expect(log()).toContain(`ERROR [DatabaseRegistry] The database file ${damaged} is damaged (file is not a database)`);
      expect(service.output()).toContain(`The database file ${damaged} is damaged`);
      // A backup now would archive the damaged file: refused before any work, with the same message.
      const backup = await post(`${service.url}/api/backups/local`, {});
      expect(backup).toMatchObject({ status: 503, body: { error: 'DATABASE_DAMAGED', details: { file: 'universe.db' } } });
      // The start-up clean-up ran although universe.db, the first database, is damaged (it runs after the open).
      for (let i = 0; i < 100 && fs.existsSync(partial); i++) await new Promise((r) => setTimeout(r, 100));
      expect(fs.readdirSync(path.join(data, 'backups'))).toEqual([ARCHIVE]);

      expect((await post(`${service.url}/api/backups/local/restore`, { filename: ARCHIVE })).status).toBe(202);
      const status = await waitForAppliedRestore(service);
      expect(status.last_apply).toMatchObject({ outcome: 'applied', archive: ARCHIVE });
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
    });
    expect(readMarker(damaged)).toBe('restored:universe');
  }, 120_000);

  it('a damaged config.db interior: /api/health says so, settings answer 503 naming the file, and a local backup restores through the API', async () => {
    let backupName = '';
    await withService(root, async (service) => {
      expect((await put(`${service.url}/api/settings/r2_bucket_name`, 'bucket-before-damage')).status).toBe(200);
      backupName = (await backUpLocally(service)).filename;
      // Changed after the backup: the restore must bring back the backup's value.
      expect((await put(`${service.url}/api/settings/r2_bucket_name`, 'bucket-after-backup')).status).toBe(200);
    });
    damageInterior(path.join(data, 'config.db'));

    await withService(root, async (service) => {
      const health = (await getJson(`${service.url}/api/health`))!.body;
      expect(health).toMatchObject({ status: 'degraded', databases_open: true, problems: [{ file: 'config.db' }] });
      expect(health.problems[0].message).toMatch(/config\.db in DATA_DIR is damaged \(.*\)\. Restore a backup/);

      for (const url of ['/api/settings', '/api/settings/r2_bucket_name']) {
        const res = await getJson(`${service.url}${url}`);
        expect(res).toMatchObject({ status: 503, body: { error: 'DATABASE_DAMAGED', details: { file: 'config.db' } } });
        expect(res!.body.message).toContain(`${path.join(data, 'config.db')} is damaged`);
        expect(res!.body.message).toMatch(/Restore a backup/);
      }
      expect((await put(`${service.url}/api/settings/r2_bucket_name`, 'x-bucket')).status).toBe(503);

      // The default folder needs no setting: its backups are listed and restored.
      const listed = await getJson(`${service.url}/api/backups/local`);
      expect(listed?.status).toBe(200);
      expect(JSON.stringify(listed!.body)).toContain(backupName);
      expect(log()).toMatch(/config\.db cannot be read, so the local_backup_dir setting is unknown: the local target uses .*backups/);

      expect((await post(`${service.url}/api/backups/local/restore`, { filename: backupName })).status).toBe(202);
      const status = await waitForAppliedRestore(service);
      expect(status.last_apply).toMatchObject({ outcome: 'applied', archive: backupName });
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
      const setting = await getJson(`${service.url}/api/settings/r2_bucket_name`);
      expect(setting).toMatchObject({ status: 200, body: { value: 'bucket-before-damage', source: 'database' } });
    });
  }, 180_000);

  it('a database deleted between two starts is reported missing, not created again empty; backups are refused; a restore brings it back; an empty file in its place starts it anew', async () => {
    fs.mkdirSync(data, { recursive: true });
    for (const name of ALL_DATABASES) writeDatabase(path.join(data, `${name}.db`), `current:${name}`);
    const ledger = path.join(data, 'ledger.db');
    let backupName = '';
    await withService(root, async (service) => {
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
      backupName = (await backUpLocally(service)).filename;
    });
    // Every file existed: none was created at that start.
    expect(log()).not.toMatch(/Created \S+\.db/);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${ledger}${suffix}`, { force: true });

    await withService(root, async (service) => {
      const health = (await getJson(`${service.url}/api/health`))!.body;
      expect(health).toMatchObject({ status: 'degraded', databases_open: true, problems: [{ file: 'ledger.db' }] });
      expect(health.problems).toHaveLength(1);
      expect(health.problems[0].message).toMatch(
        /^The database file ledger\.db in DATA_DIR is missing \(not found in DATA_DIR\): it was there when the service last opened its databases, and the service does not create it again empty/,
      );
      expect(health.problems[0].message).toMatch(
        /Restore a backup: .*POST \/api\/backups\/local\/restore.*create an empty file in its place \(touch DATA_DIR\/ledger\.db\)/,
      );
      expect(log()).toContain(`ERROR [DatabaseRegistry] The database file ${ledger} is missing (not found in DATA_DIR)`);
      expect(log()).toMatch(/Opened 6 of 7 databases in .*; missing: ledger\.db/);
      // Not created: an empty ledger.db in the next backup would be a backup of nothing where the user's ledger was.
      expect(fs.existsSync(ledger)).toBe(false);
      const backup = await post(`${service.url}/api/backups/local`, {});
      expect(backup).toMatchObject({ status: 503, body: { error: 'DATABASE_DAMAGED', details: { file: 'ledger.db', missing: true } } });
      expect(backup.body.message).toContain(`${ledger} is missing`);
      expect(fs.readdirSync(path.join(data, 'backups')).filter((f) => f.startsWith('sentinel-backup-'))).toEqual([backupName]);
      // The other databases are served: the settings (config.db) answer.
      expect((await getJson(`${service.url}/api/settings`))?.status).toBe(200);

      expect((await post(`${service.url}/api/backups/local/restore`, { filename: backupName })).status).toBe(202);
      const status = await waitForAppliedRestore(service);
      expect(status.last_apply).toMatchObject({ outcome: 'applied', archive: backupName });
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
    });
    expect(readMarker(ledger)).toBe('current:ledger');

    // Removed on purpose, with an empty file in its place: SQLite takes it as a new, empty database.
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(`${ledger}${suffix}`, { force: true });
    fs.writeFileSync(ledger, '');
    await withService(root, async (service) => {
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
      await backUpLocally(service);
    });
    const db = new Database(ledger, { readonly: true, fileMustExist: true });
    try {
      expect(db.prepare('SELECT name FROM sqlite_master').all()).toEqual([]);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      db.close();
    }
  }, 180_000);

  it('a new installation creates every database and says so; a database added to SENTINEL_DATABASES later is created; without the record of an earlier version, a missing one is created as before', async () => {
    await withService(root, async (service) => {
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
    });
    expect(log()).toContain(`Created ${ALL_DATABASES.map((n) => `${n}.db`).join(', ')} (empty): no earlier open of this DATA_DIR is recorded`);
    for (const name of ALL_DATABASES) expect(fs.existsSync(path.join(data, `${name}.db`))).toBe(true);

    // An eighth database in the configuration: new there, so it is created, and the seven are not.
    const withExtra = { SENTINEL_DATABASES: [...ALL_DATABASES, 'extra'].join(',') };
    await withService(
      root,
      async (service) => {
        expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
      },
      withExtra,
    );
    expect(log()).toContain('Created extra.db (empty): new in the configuration');
    // ...and from then on it is expected like the others.
    fs.rmSync(path.join(data, 'extra.db'));
    await withService(
      root,
      async (service) => {
        expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'degraded', problems: [{ file: 'extra.db' }] });
      },
      withExtra,
    );
    expect(fs.existsSync(path.join(data, 'extra.db'))).toBe(false);

    // A DATA_DIR from before the record (or whose record was removed): nothing says cache.db existed, so it is created.
    fs.rmSync(path.join(data, '.databases-present.json'));
    fs.rmSync(path.join(data, 'cache.db'));
    const before = log().length;
    await withService(root, async (service) => {
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'ok', problems: [] });
    });
    expect(log().slice(before)).toContain('Created cache.db (empty): no earlier open of this DATA_DIR is recorded');
    // The record is written again: cache.db deleted now is reported.
    fs.rmSync(path.join(data, 'cache.db'));
    await withService(root, async (service) => {
      expect((await getJson(`${service.url}/api/health`))!.body).toMatchObject({ status: 'degraded', problems: [{ file: 'cache.db' }] });
    });
  }, 180_000);

  it('a damaged DATA_DIR/.master-key stops the start, naming the file and what to do, in LOG_FILE too', async () => {
    fs.mkdirSync(data, { recursive: true });
    const keyFile = path.join(data, '.master-key');
    fs.writeFileSync(keyFile, 'c0ffee-not-a-key-0123\n', { mode: 0o600 });
    const { code, output, log: written } = await refusedStart(root, { SENTINEL_MASTER_KEY: '' });
    expect(code).toBe(1);
    for (const text of [output, written]) {
      expect(text).toContain(`Sentinel Backup failed to start: The master key file ${keyFile} is damaged`);
      expect(text).toMatch(/SENTINEL_MASTER_KEY/);
      expect(text).not.toContain('c0ffee-not-a-key');
    }
  }, 60_000);

  it('a changed SENTINEL_MASTER_KEY: secrets show "readable": false with a hint, and the start warns naming them (never their values)', async () => {
    const secret = 'SECRET-VALUE-do-not-leak-4f1c9a';
    await withService(root, async (service) => {
      expect((await put(`${service.url}/api/settings/r2_secret_access_key`, secret)).status).toBe(200);
      const readable = await getJson(`${service.url}/api/settings/r2_secret_access_key`);
      expect(readable!.body).toMatchObject({ is_set: true, readable: true });
    });
    await withService(
      root,
      async (service) => {
        const one = await getJson(`${service.url}/api/settings/r2_secret_access_key`);
        expect(one).toMatchObject({ status: 200, body: { key: 'r2_secret_access_key', is_set: true, readable: false, value: null } });
        expect(one!.body.problem).toMatch(/different master key.*SENTINEL_MASTER_KEY/);
        const all = await getJson(`${service.url}/api/settings`);
        expect(all!.body.find((s: any) => s.key === 'r2_secret_access_key')).toMatchObject({ readable: false });
        expect(all!.body.find((s: any) => s.key === 'r2_access_key_id')).toMatchObject({ readable: true });
        // The warning is written once the databases are open, right after the start.
        const until = Date.now() + 10_000;
        while (!/stored secrets r2_secret_access_key cannot be decrypted/.test(log()) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
        expect(log()).toMatch(
          /WARN \[SettingsService\] The stored secrets r2_secret_access_key cannot be decrypted with the current master key \(from SENTINEL_MASTER_KEY\)/,
        );
        expect(log().match(/stored secrets .* cannot be decrypted/g)).toHaveLength(1);
        expect(JSON.stringify(all!.body)).not.toContain(secret);
      },
      { SENTINEL_MASTER_KEY: 'another-master-passphrase-9876543210' },
    );
    expect(log()).not.toContain(secret);
  }, 90_000);

  describe('an unwritable DATA_DIR', () => {
    let mounted = false;
    afterEach(() => {
      if (mounted) execFileSync('umount', [data]);
      mounted = false;
    });

    it('stops the start with one line naming DATA_DIR and the problem, not a raw EROFS', async () => {
      // Root writes through chmod 0500, so the test needs a real read-only file system: a tmpfs remounted read-only.
      fs.mkdirSync(data, { recursive: true });
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', data], { stdio: 'ignore' });
        mounted = true;
        execFileSync('mount', ['-o', 'remount,ro', data], { stdio: 'ignore' });
      } catch {
        throw new Error('This test needs to mount a tmpfs (run as root with CAP_SYS_ADMIN)');
      }
      const { code, output, log: written } = await refusedStart(root);
      expect(code).toBe(1);
      for (const text of [output, written]) {
        expect(text).toContain(`Sentinel Backup failed to start: DATA_DIR ${data} is not writable: it is on a read-only file system`);
        expect(text).not.toMatch(/EROFS/);
      }
    }, 60_000);
  });
});
