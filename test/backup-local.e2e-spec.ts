import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { jest } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BackupCompletedEvent, BackupFailedEvent, BackupProgressEvent, BackupStartedEvent } from '../src/backup/backup.events.js';
import { BackupRunStore } from '../src/backup/backup-run.store.js';
import { StartupRecovery } from '../src/backup/startup-recovery.service.js';
import { DiskSpace } from '../src/common/fs/disk-space.service.js';
import { HeapGrowth } from '../src/common/memory/heap-growth.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DATABASES = ['universe', 'config', 'ledger', 'portfolio', 'agents', 'history', 'cache'];

function backupFolder(t: TestApp): string {
  return path.join(t.dataDir, 'backups');
}

/** Downloads a backup through the API into `dir` and extracts it with the system's tar. */
async function downloadAndExtract(t: TestApp, filename: string, dir: string): Promise<{ archive: string; listing: string[] }> {
  const res = await t.http
    .get(`/api/backups/local/${filename}/download`)
    .buffer(true)
    .parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    });
  expect(res.status).toBe(200);
  expect(res.headers['content-disposition']).toBe(`attachment; filename="${filename}"`);
  expect(Number(res.headers['content-length'])).toBe((res.body as Buffer).length);
  fs.mkdirSync(dir, { recursive: true });
  const archive = path.join(dir, filename);
  fs.writeFileSync(archive, res.body as Buffer);
  const listing = execFileSync('tar', ['tzf', archive]).toString().trim().split('\n');
  execFileSync('tar', ['xzf', archive, '-C', dir]);
  return { archive, listing };
}

/** Records every backup event the service emits, in order. */
function recordBackupEvents(t: TestApp): object[] {
  const seen: object[] = [];
  const emitter = t.app.get(EventEmitter2);
  for (const event of [BackupStartedEvent, BackupProgressEvent, BackupCompletedEvent, BackupFailedEvent]) {
    emitter.on(event.eventName, (e: object) => seen.push(e));
  }
  return seen;
}

describe('Local backups', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp();
  });
  afterEach(() => t.close());

  it('makes the spec archive: metadata first, every database, checksums that sha256sum reproduces', async () => {
    const counts = await seedDatabases(t.app, { rows: 300 });
    const started = await t.http.post('/api/backups/local').expect(202);
    expect(started.body).toMatchObject({ target: 'local', trigger: 'manual' });
    expect(['queued', 'running']).toContain(started.body.status);
    const job = await waitForJob(t.http, started.body.id);
    expect(job).toMatchObject({ status: 'succeeded', phase: 'done', error: null });
    expect(job.filename).toMatch(/^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz$/);

    const list = await t.http.get('/api/backups/local').expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ filename: job.filename, size_bytes: job.size_bytes, age_days: 0 });
    expect(fs.statSync(path.join(backupFolder(t), job.filename)).size).toBe(job.size_bytes);

    const out = path.join(t.root, 'extracted');
    const { listing } = await downloadAndExtract(t, job.filename, out);
    expect(listing).toEqual(['backup-metadata.json', ...DATABASES.map((n) => `${n}.db`)]);

    const metadata = JSON.parse(fs.readFileSync(path.join(out, 'backup-metadata.json'), 'utf8'));
    expect(Object.keys(metadata).sort()).toEqual(['databases', 'sentinel_version', 'timestamp', 'version']);
    expect(metadata.version).toBe('1.0.0');
    expect(metadata.sentinel_version).toBe(JSON.parse(fs.readFileSync('package.json', 'utf8')).version);
    expect(metadata.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const stamp = job.filename.replace(/^sentinel-backup-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2}).*$/, '$1-$2-$3T$4:$5:$6Z');
    expect(metadata.timestamp).toBe(stamp);

    const sums = metadata.databases.map((d: { checksum: string; filename: string }) => `${d.checksum.replace(/^sha256:/, '')}  ${d.filename}`).join('\n');
    fs.writeFileSync(path.join(out, 'SHA256SUMS'), `${sums}\n`);
    execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out }); // throws on any mismatch

    for (const entry of metadata.databases) {
      expect(Object.keys(entry).sort()).toEqual(['checksum', 'filename', 'name', 'size_bytes']);
      const file = path.join(out, entry.filename);
      expect(fs.statSync(file).size).toBe(entry.size_bytes);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: counts[entry.name] });
      db.close();
    }
    // Nothing left behind in the data directory or the backup folder but the archive.
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    // (and its owner file, which records the installation that made it: issue 12, finding 3)
    expect(fs.readdirSync(backupFolder(t)).sort()).toEqual([job.filename, `.${job.filename}.owner`].sort());

    const log = fs.readFileSync(t.logFile, 'utf8');
    expect(log).toContain(`Local backup completed: ${job.filename}`);
  });

  it('takes a consistent snapshot while another process keeps writing, without blocking it', async () => {
    await seedDatabases(t.app, { rows: 2000, payloadBytes: 1000 });
    // Another process writes pairs of rows in one transaction: every consistent state has equal counts.
    const ledger = path.join(t.dataDir, 'ledger.db');
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `
      const Database = require(${JSON.stringify(require_resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(ledger)}, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      db.exec('CREATE TABLE IF NOT EXISTS debit (id INTEGER PRIMARY KEY, amount INTEGER); CREATE TABLE IF NOT EXISTS credit (id INTEGER PRIMARY KEY, amount INTEGER)');
      const pair = db.transaction((i) => { db.prepare('INSERT INTO debit (amount) VALUES (?)').run(i); db.prepare('INSERT INTO credit (amount) VALUES (?)').run(-i); });
      let i = 0; const until = Date.now() + 60000;
      process.stdout.write('ready\\n');
      const tick = () => { for (let k = 0; k < 50; k++) pair(++i); if (Date.now() < until) setImmediate(tick); };
      tick();
      process.on('SIGTERM', () => { process.stdout.write('written ' + i + '\\n'); process.exit(0); });
    `,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    writer.stdout.on('data', (c: Buffer) => (output += c.toString()));
    await new Promise<void>((resolve) => writer.stdout.once('data', () => resolve()));
    const countPairs = () => {
      const db = new Database(ledger, { readonly: true });
      try {
        return (db.prepare('SELECT count(*) AS n FROM debit').get() as { n: number }).n;
      } finally {
        db.close();
      }
    };
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = countPairs();
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      const after = countPairs();
      expect(job.status).toBe('succeeded');
      // The writer went on during the backup.
      expect(after).toBeGreaterThan(before);

      const out = path.join(t.root, 'extracted');
      fs.mkdirSync(out, { recursive: true });
      execFileSync('tar', ['xzf', path.join(backupFolder(t), job.filename), '-C', out]);
      const snapshot = new Database(path.join(out, 'ledger.db'), { readonly: true });
      expect(snapshot.pragma('integrity_check', { simple: true })).toBe('ok');
      const debit = (snapshot.prepare('SELECT count(*) AS n FROM debit').get() as { n: number }).n;
      const credit = (snapshot.prepare('SELECT count(*) AS n FROM credit').get() as { n: number }).n;
      snapshot.close();
      expect(debit).toBe(credit);
      expect(debit).toBeGreaterThanOrEqual(before);
      expect(debit).toBeLessThanOrEqual(after);
    } finally {
      writer.kill('SIGTERM');
      // 'close', not 'exit': the process may have exited before its last output has been read.
      await new Promise((r) => writer.once('close', r));
    }
    expect(output).toMatch(/written \d+/);
  });

  it('runs one backup at a time per target: a second request gets 409 naming the running job', async () => {
    await seedDatabases(t.app, { rows: 100 });
    const [a, b] = await Promise.all([t.http.post('/api/backups/local'), t.http.post('/api/backups/local')]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([202, 409]);
    const [accepted, refused] = a.status === 202 ? [a, b] : [b, a];
    expect(refused.body).toMatchObject({ error: 'BACKUP_IN_PROGRESS', details: { job_id: accepted.body.id } });
    expect(refused.body.message).toContain(accepted.body.id);
    await waitForJob(t.http, accepted.body.id);
    // Once it is done, the next one is accepted.
    const next = await t.http.post('/api/backups/local').expect(202);
    await waitForJob(t.http, next.body.id);
    const names = (await t.http.get('/api/backups/local')).body.map((f: { filename: string }) => f.filename);
    expect(new Set(names).size).toBe(2);
  });

  it.each([
    ['a traversal', '..%2F..%2Fetc%2Fpasswd'],
    ['a foreign name', 'notes.txt'],
    ['a near miss', 'sentinel-backup-2026-01-08-143022.tar'],
    ['an impossible date', 'sentinel-backup-2026-02-31-120000.tar.gz'],
  ])('answers 400 for %s and touches nothing', async (_what, name) => {
    fs.mkdirSync(backupFolder(t), { recursive: true });
    fs.writeFileSync(path.join(backupFolder(t), 'notes.txt'), 'not a backup');
    const download = await t.http.get(`/api/backups/local/${name}/download`).expect(400);
    expect(download.body.error).toBe('BACKUP_NAME_INVALID');
    expect(download.body.message).toMatch(/names look like sentinel-backup-/);
    await t.http.delete(`/api/backups/local/${name}`).expect(400);
    expect(fs.readFileSync(path.join(backupFolder(t), 'notes.txt'), 'utf8')).toBe('not a backup');
  });

  it('answers 404 for an unknown backup, an unknown target, and never lists foreign files', async () => {
    fs.mkdirSync(backupFolder(t), { recursive: true });
    fs.writeFileSync(path.join(backupFolder(t), 'notes.txt'), 'not a backup');
    const res = await t.http.get('/api/backups/local/sentinel-backup-2020-01-01-000000.tar.gz/download').expect(404);
    expect(res.body.error).toBe('BACKUP_NOT_FOUND');
    await t.http.delete('/api/backups/local/sentinel-backup-2020-01-01-000000.tar.gz').expect(404);
    await t.http.get('/api/backups/ftp').expect(404);
    expect((await t.http.get('/api/backups/local').expect(200)).body).toEqual([]);
  });

  it('deletes a backup on request', async () => {
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    await t.http.delete(`/api/backups/local/${job.filename}`).expect(200, { filename: job.filename, deleted: true });
    expect((await t.http.get('/api/backups/local')).body).toEqual([]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`Local backup deleted: ${job.filename}`);
  });

  it('fails a job whose folder cannot be written, with the reason, and leaves nothing behind', async () => {
    const blocker = path.join(t.root, 'a-file');
    fs.writeFileSync(blocker, 'x');
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(blocker, 'backups') })
      .expect(200);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/a-file/);
    // A failed job ends its hold on V8's heap growing factor too.
    expect(t.app.get(HeapGrowth).tight).toBe(false);
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/Local backup failed: /);
    // The next run, with a usable folder, works.
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(t.root, 'elsewhere') })
      .expect(200);
    const next = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(next.status).toBe('succeeded');
    expect(fs.readdirSync(path.join(t.root, 'elsewhere')).sort()).toEqual([next.filename, `.${next.filename}.owner`].sort());
  });

  it('emits typed events: started, progress through each phase, then completed with the archive', async () => {
    const seen = recordBackupEvents(t);
    // V8's heap growing factor is tight while the job runs (HeapGrowth), and V8's own again once it has ended.
    const heap = t.app.get(HeapGrowth);
    const tightDuring: boolean[] = [];
    t.app.get(EventEmitter2).on(BackupProgressEvent.eventName, () => tightDuring.push(heap.tight));
    expect(heap.tight).toBe(false);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    expect(tightDuring.length).toBeGreaterThan(0);
    expect(tightDuring.every(Boolean)).toBe(true);
    expect(heap.tight).toBe(false);
    expect(seen[0]).toEqual(new BackupStartedEvent(job.id, 'local', 'manual'));
    const sha256 = createHash('sha256')
      .update(fs.readFileSync(path.join(backupFolder(t), job.filename)))
      .digest('hex');
    expect(seen.at(-1)).toEqual(
      new BackupCompletedEvent(job.id, 'local', job.filename, job.size_bytes, expect.any(Number), { sha256, encrypted: false, recipients: null }, 'full', null),
    );
    const progress = seen.filter((e): e is BackupProgressEvent => e instanceof BackupProgressEvent);
    expect(progress.every((e) => e.jobId === job.id)).toBe(true);
    expect([...new Set(progress.map((e) => e.phase))]).toEqual(['checking', 'snapshotting', 'archiving']);
  });

  it('checks free disk space before it starts: a short disk fails the job with what is needed and free, and writes nothing', async () => {
    // Stands in for a full disk: the free-space query answers 1 MiB (less than the snapshots need).
    const query = jest.spyOn(t.app.get(DiskSpace), 'available').mockResolvedValue(1024 * 1024);
    const seen = recordBackupEvents(t);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(
      /^Not enough free disk space for the database snapshots and the local archive: [\d.]+ [KMG]iB needed in .*, 1\.00 MiB free\. Free up space/,
    );
    expect(job.phase).toBe('checking');
    expect(seen.at(-1)).toEqual(new BackupFailedEvent(job.id, 'local', job.error, 'INSUFFICIENT_DISK_SPACE'));
    expect(fs.existsSync(backupFolder(t)) ? fs.readdirSync(backupFolder(t)) : []).toEqual([]);
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    query.mockRestore();
    const next = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(next.status).toBe('succeeded');
  });

  it('cancels a running backup on shutdown and leaves no partial archive or scratch files', async () => {
    await seedDatabases(t.app, { rows: 20000, payloadBytes: 1000 }); // ~140 MB in all
    const started = await t.http.post('/api/backups/local').expect(202);
    // Wait until it is writing the archive, then shut down.
    for (let i = 0; i < 600; i++) {
      const job = (await t.http.get(`/api/backup-jobs/${started.body.id}`)).body;
      if (job.phase === 'archiving' && job.bytes_done > 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const root = t.root;
    await t.app.close();
    const folder = path.join(root, 'data', 'backups');
    expect(fs.existsSync(folder) ? fs.readdirSync(folder) : []).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'data')).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    t = await startTestApp({}, { root });
    const job = (await t.http.get(`/api/backup-jobs/${started.body.id}`).expect(200)).body;
    expect(job.status).toBe('failed');
    // "Cancelled" is written by the shutdown itself; a job merely left running would read "Interrupted" (next start).
    expect(job.error).toMatch(/^Cancelled: the service is shutting down/);
  });

  it('keeps the run history with sizes and durations', async () => {
    const a = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    const b = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    const history = (await t.http.get('/api/backup-jobs?target=local').expect(200)).body;
    expect(history.map((j: { id: string }) => j.id)).toEqual([b.id, a.id]);
    for (const job of history) {
      expect(job.size_bytes).toBeGreaterThan(0);
      expect(job.duration_ms).toBeGreaterThanOrEqual(0);
    }
    await t.http.get('/api/backup-jobs?limit=0').expect(400);
    await t.http.get('/api/backup-jobs/nope').expect(404);
  });
});

function require_resolve(name: string): string {
  return path.resolve('node_modules', name);
}

describe('A kill -9 between the finished upload and its provenance record', () => {
  /** The state such a kill leaves: the archive and its owner marker stored, the job still running, no record. */
  function asKilledAfterUpload(dataDir: string, jobId: string, options: { recorded: boolean }): void {
    const runs = new Database(path.join(dataDir, '.backup-runs.db'));
    try {
      runs.prepare(`UPDATE backup_runs SET status = 'running', phase = 'uploading', sha256 = NULL, finishedAt = NULL, error = NULL WHERE id = ?`).run(jobId);
    } finally {
      runs.close();
    }
    if (options.recorded) return;
    const encryption = new Database(path.join(dataDir, '.encryption.db'));
    try {
      encryption.prepare('DELETE FROM written_archives').run();
    } finally {
      encryption.close();
    }
  }

  it.each([
    ['deletes the unrecorded archive as the job’s own leftover, and the job says so', false],
    ['keeps an archive recorded before the stop, and the job says so', true],
  ])('%s', async (_what, recorded) => {
    const first = await startTestApp({}, { keep: true });
    const job = await waitForJob(first.http, (await first.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    await first.close();
    const dataDir = path.join(first.root, 'data');
    asKilledAfterUpload(dataDir, job.id, { recorded });

    const t = await startTestApp({}, { root: first.root });
    try {
      await t.app.get(StartupRecovery).whenAllDone();
      const after = (await t.http.get(`/api/backup-jobs/${job.id}`).expect(200)).body;
      expect(after).toMatchObject({ status: 'failed', error_code: 'BACKUP_INTERRUPTED' });
      const files = fs.readdirSync(path.join(dataDir, 'backups'));
      if (recorded) {
        expect(files.sort()).toEqual([job.filename, `.${job.filename}.owner`].sort());
        expect(after.error).toContain(`Its archive ${job.filename} was stored and recorded before the stop: it is kept.`);
      } else {
        expect(files).toEqual([]);
        expect(after.error).toContain(
          `At the next start it removed what the backup had left: its archive ${job.filename}, stored but not yet recorded as made here.`,
        );
      }
    } finally {
      await t.close();
      fs.rmSync(first.root, { recursive: true, force: true });
    }
  });

  it('names the archive in the running job before its upload starts (the intent the next start checks)', async () => {
    const t = await startTestApp();
    try {
      await seedDatabases(t.app, { rows: 2000 });
      const runs = t.app.get(BackupRunStore);
      let read: Promise<unknown> | undefined;
      t.app.get(EventEmitter2).on(BackupProgressEvent.eventName, (event: BackupProgressEvent) => {
        if (event.phase === 'archiving') read ??= runs.find(event.jobId).then((run) => ({ status: run?.status, filename: run?.filename }));
      });
      const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
      expect(await read).toEqual({ status: 'running', filename: job.filename });
    } finally {
      await t.close();
    }
  });
});
