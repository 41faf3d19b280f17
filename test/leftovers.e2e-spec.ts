/**
 * Issue 12, findings 2 and 6 (the local folder half): a sweep removes only what it can prove is its
 * own; a backup folder inside the service's own folders is refused; a full disk, a folder that cannot
 * be created, a folder under /proc and a folder too small for the next backup are each reported as what
 * they are, at once.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BackupProgressEvent } from '../src/backup/backup.events.js';
import { StartupRecovery } from '../src/backup/startup-recovery.service.js';
import { DatabaseRegistry } from '../src/database/database-registry.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { mountTmpfs, unmountTmpfs } from './support/tmpfs.js';

const MIB = 1024 * 1024;

/** A marker as an earlier (now dead) process of the installation in `dataDir` writes it. */
function markAsOurs(dataDir: string, folder: string, kind: string): void {
  const installationId = fs.readFileSync(path.join(dataDir, '.installation-id'), 'utf8').trim();
  const marker = { installation_id: installationId, process_token: randomBytes(8).toString('hex'), pid: 999999, created_at: new Date().toISOString(), kind };
  fs.writeFileSync(path.join(folder, '.sentinel-work-folder.json'), JSON.stringify(marker));
}

describe('Start-up sweep of DATA_DIR', () => {
  it('removes its own work folders of a dead process and leaves a folder only named like one alone, naming it', async () => {
    const first = await startTestApp({}, { keep: true });
    const root = first.root;
    await first.close();
    const data = path.join(root, 'data');
    // The user's folders, named like scratch and staging folders (finding 2), each with their only backup.
    // And folders named like the restore's temporary files, which the start used to remove with rm -r.
    const userFolders = [
      '.backup-tmp-archive',
      '.restore-staging-mybackups',
      'mybackups.rollback-tmp',
      '.portfolio.db.rollback-tmp',
      '.pending-restore.tmp-123',
    ];
    for (const name of userFolders) {
      fs.mkdirSync(path.join(data, name));
      fs.writeFileSync(path.join(data, name, 'sentinel-backup-2026-01-08-143022.tar.gz'), 'the only copy');
    }
    // What a kill -9 of this installation left: a scratch folder and a verify folder with their markers.
    const ours = ['.backup-tmp-Xy12ab', '.restore-verify-2026-12-01-101010-Ab12cd'];
    for (const name of ours) {
      fs.mkdirSync(path.join(data, name));
      fs.writeFileSync(path.join(data, name, 'universe.db'), 'a snapshot');
      markAsOurs(data, path.join(data, name), name.startsWith('.backup-tmp-') ? 'backup-scratch' : 'restore-verify');
    }

    const t = await startTestApp({}, { root });
    try {
      for (const name of userFolders) {
        expect(fs.readFileSync(path.join(data, name, 'sentinel-backup-2026-01-08-143022.tar.gz'), 'utf8')).toBe('the only copy');
      }
      for (const name of ours) expect(fs.existsSync(path.join(data, name))).toBe(false);
      const log = fs.readFileSync(t.logFile, 'utf8');
      expect(log).toContain(`Left ${path.join(data, '.backup-tmp-archive')} alone`);
      expect(log).toContain(`Left ${path.join(data, '.restore-staging-mybackups')} alone`);
      // A backup now runs beside the foreign folder and leaves it as it was.
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      expect(job.status).toBe('succeeded');
      expect(fs.readdirSync(path.join(data, '.backup-tmp-archive'))).toEqual(['sentinel-backup-2026-01-08-143022.tar.gz']);
    } finally {
      await t.close();
    }
  });
});

describe('Start-up sweep of the backup folder', () => {
  it("removes the owner and recipients markers of an archive no longer there when they are this installation's, and nothing else", async () => {
    const first = await startTestApp({}, { keep: true });
    const root = first.root;
    const job = await waitForJob(first.http, (await first.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    await first.close();
    const data = path.join(root, 'data');
    const folder = path.join(data, 'backups');
    const ours = fs.readFileSync(path.join(data, '.installation-id'), 'utf8').trim();
    const recipient = `age1${'q'.repeat(58)}`;
    // What a kill -9 left: the markers written before the archive's rename (A), the owner marker after
    // the archive was deleted (B), and, by the old order of deletion, a recipients marker alone (C).
    const orphanA = 'sentinel-backup-2026-01-08-143022.tar.gz.age';
    const orphanB = 'sentinel-backup-2026-01-07-143022.tar.gz';
    const aloneC = 'sentinel-backup-2026-01-06-143022.tar.gz.age';
    const foreignD = 'sentinel-backup-2026-01-05-143022.tar.gz';
    fs.writeFileSync(path.join(folder, `.${orphanA}.owner`), `${ours}\n`);
    fs.writeFileSync(path.join(folder, `.${orphanA}.recipients`), `${recipient}\n`);
    fs.writeFileSync(path.join(folder, `.${orphanB}.owner`), `${ours}\n`);
    fs.writeFileSync(path.join(folder, `.${aloneC}.recipients`), `${recipient}\n`);
    fs.writeFileSync(path.join(folder, `.${foreignD}.owner`), '22222222-2222-4222-8222-222222222222\n');
    const before = fs.readdirSync(folder).sort();

    const t = await startTestApp({}, { root });
    try {
      await t.app.get(StartupRecovery).whenAllDone();
      const gone = [`.${orphanA}.owner`, `.${orphanA}.recipients`, `.${orphanB}.owner`];
      expect(fs.readdirSync(folder).sort()).toEqual(before.filter((name) => !gone.includes(name)));
      expect(fs.readdirSync(folder)).toEqual(expect.arrayContaining([job.filename, `.${job.filename}.owner`, `.${aloneC}.recipients`, `.${foreignD}.owner`]));
    } finally {
      await t.close();
    }
  });
});

describe('Reserved folders for local_backup_dir', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());

  it('refuses DATA_DIR and folders the service owns or sweeps, however they are spelled, and stores nothing', async () => {
    const before = (await t.http.get('/api/settings/local_backup_dir').expect(200)).body;
    const link = path.join(t.root, 'link-to-data');
    fs.symlinkSync(t.dataDir, link);
    const refused = [
      path.join(t.dataDir, '.backup-tmp-archive'),
      path.join(t.dataDir, '.restore-staging-mybackups'),
      path.join(t.dataDir, '.restore-verify-x', 'deeper'),
      path.join(t.dataDir, '.pre-restore-backup-x'),
      path.join(t.dataDir, 'pre-restore-backup-2026-01-08-143022'),
      t.dataDir,
      `${t.dataDir}/`,
      path.join(t.dataDir, 'backups', '..'),
      path.relative(process.cwd(), t.dataDir),
      link,
      path.join(link, '.backup-tmp-archive'),
      path.join(t.dataDir, 'mybackups.rollback-tmp'),
      path.join(t.dataDir, '.pending-restore.tmp-1'),
      path.join(t.dataDir, '.restore-last-apply.json.tmp-1'),
    ];
    for (const value of refused) {
      const res = await t.http.put('/api/settings/local_backup_dir').send({ value });
      expect({ value, status: res.status, error: res.body.error }).toEqual({ value, status: 400, error: 'SETTING_INVALID' });
      expect(res.body.message).toContain(path.join(t.dataDir, 'backups')); // what to use instead
      expect(res.body.message).toMatch(/DATA_DIR/);
    }
    expect((await t.http.get('/api/settings/local_backup_dir').expect(200)).body).toEqual(before);
    // A folder of its own inside DATA_DIR, like the default, is fine.
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(t.dataDir, 'my-backups') })
      .expect(200);
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(t.dataDir, 'backups') })
      .expect(200);
  });

  it('refuses to start with LOCAL_BACKUP_DIR set to such a folder, saying why', async () => {
    const root = makeScratchDir();
    try {
      await expect(startTestApp({ LOCAL_BACKUP_DIR: path.join(root, 'data', '.backup-tmp-archive') }, { root })).rejects.toThrow(
        /Invalid environment variable LOCAL_BACKUP_DIR: .*\.backup-tmp-archive cannot hold backups: .*backup scratch folders/,
      );
      expect(fs.existsSync(path.join(root, 'data', '.backup-tmp-archive'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('Local folder errors that say what happened', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startTestApp()));
  afterAll(() => t.close());
  afterEach(async () => {
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(t.dataDir, 'backups') })
      .expect(200);
  });

  it('reports a disk that fills up mid-write as a full disk, naming the folder and sizes, and leaves no partial file', async () => {
    const mount = mountTmpfs(path.join(t.root, 'small'), '100m');
    if (!mount) return;
    try {
      // 8 MiB that does not compress, so the archive is larger than what is left once the disk fills.
      const source = await t.app.get(DatabaseRegistry).dataSource('universe');
      await source.query('CREATE TABLE IF NOT EXISTS blobs (b BLOB NOT NULL)');
      for (let i = 0; i < 8; i++) await source.query('INSERT INTO blobs (b) VALUES (?)', [randomBytes(MIB)]);
      await t.http.put('/api/settings/local_backup_dir').send({ value: mount }).expect(200);
      // Something else fills the disk once the backup has passed its space check (it needs 72 MiB of 100).
      const filler = path.join(mount, 'other-program.bin');
      const emitter = t.app.get(EventEmitter2);
      const fill = (event: BackupProgressEvent) => {
        if (event.phase !== 'archiving' || fs.existsSync(filler)) return;
        const { bavail, bsize } = fs.statfsSync(mount);
        fs.writeFileSync(filler, Buffer.alloc(bavail * bsize - MIB));
      };
      emitter.on(BackupProgressEvent.eventName, fill);
      try {
        const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
        expect(job.status).toBe('failed');
        expect(job.error).toContain(`to the backup folder ${mount}: the disk is full`);
        expect(job.error).toMatch(/\d+(\.\d+)? (KiB|MiB) written before it filled up, \d+(\.\d+)? (B|KiB|MiB) free now/);
        expect(job.error).not.toMatch(/ABORT_ERR/);
      } finally {
        emitter.off(BackupProgressEvent.eventName, fill);
      }
      expect(fs.readdirSync(mount)).toEqual(['other-program.bin']);
      expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    } finally {
      unmountTmpfs(mount);
    }
  });

  it('reports a folder that cannot be created as that, before any snapshot is taken', async () => {
    const blocker = path.join(t.root, 'a-file');
    fs.writeFileSync(blocker, 'x');
    const dir = path.join(blocker, 'backups');
    await t.http.put('/api/settings/local_backup_dir').send({ value: dir }).expect(200);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toBe(`Could not create the backup folder ${dir}: part of the path is a file, not a folder. Point local_backup_dir at a folder`);
    expect(job.phase).toBe('checking');
  });

  it('answers Test Connection on a folder under /proc within a second, with a clear failure', async () => {
    for (const dir of ['/proc/self/task', '/proc/self/task/backups/nested']) {
      await t.http.put('/api/settings/local_backup_dir').send({ value: dir }).expect(200);
      const started = Date.now();
      const res = await t.http.post('/api/backups/local/test').timeout(5000).expect(200);
      expect(Date.now() - started).toBeLessThan(1000);
      expect(res.body.ok).toBe(false);
      const folder = res.body.checks.find((c: { name: string }) => c.name === 'folder');
      expect(folder).toMatchObject({ ok: false, message: expect.stringContaining('is on the proc file system') });
    }
    // A backup there fails as clearly, and as fast.
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id, 5000);
    expect(job.error).toMatch(/is on the proc file system, a view of the kernel's state, not a disk/);
  });

  it('flags in Test Connection a folder with less free space than the next backup needs', async () => {
    const mount = mountTmpfs(path.join(t.root, 'tiny'), '2m');
    if (!mount) return;
    try {
      await t.http.put('/api/settings/local_backup_dir').send({ value: mount }).expect(200);
      const res = await t.http.post('/api/backups/local/test').expect(200);
      expect(res.body.ok).toBe(false);
      const folder = res.body.checks.find((c: { name: string }) => c.name === 'folder');
      expect(folder.ok).toBe(false);
      expect(folder.message).toMatch(
        /Too little free space: the next backup needs about \d+(\.\d+)? MiB for the local archive in .*tiny .*only \d+(\.\d+)? (KiB|MiB) is free/,
      );
      // The probes still ran: the folder itself works.
      expect(res.body.checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
        ['configuration', true],
        ['folder', false],
        ['write', true],
        ['read', true],
        ['delete', true],
      ]);
    } finally {
      unmountTmpfs(mount);
    }
  });
});
