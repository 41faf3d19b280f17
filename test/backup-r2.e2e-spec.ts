import { ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, listAllKeys, putMany, startS3, stopS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const HOUR = 60 * 60 * 1000;

describeS3('R2 backups against a real S3 server', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;

  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    client = testS3Client();
    bucket = await createTestBucket('backup');
    await configureR2(t, bucket);
  });
  afterEach(async () => {
    client.destroy();
    await t.close();
  });

  it('uploads the archive, lists it beside foreign objects it ignores, and downloads it intact', async () => {
    const counts = await seedDatabases(t.app, { rows: 500 });
    await putMany(client, bucket, ['notes.txt', 'sentinel-backup-latest.tar.gz', 'archive/sentinel-backup-2020-01-01-000000.tar.gz']);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job).toMatchObject({ status: 'succeeded', target: 'r2' });

    const list = (await t.http.get('/api/backups/r2').expect(200)).body;
    expect(list.map((b: { filename: string }) => b.filename)).toEqual([job.filename]);
    expect(list[0].size_bytes).toBe(job.size_bytes);

    const res = await t.http
      .get(`/api/backups/r2/${job.filename}/download`)
      .buffer(true)
      .parse((response, callback) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => callback(null, Buffer.concat(chunks)));
      })
      .expect(200);
    expect(Number(res.headers['content-length'])).toBe(job.size_bytes);
    const out = path.join(t.root, 'out');
    fs.mkdirSync(out);
    fs.writeFileSync(path.join(out, job.filename), res.body as Buffer);
    execFileSync('tar', ['xzf', job.filename], { cwd: out });
    const metadata = JSON.parse(fs.readFileSync(path.join(out, 'backup-metadata.json'), 'utf8'));
    expect(metadata.databases.map((d: { name: string }) => d.name)).toEqual(Object.keys(counts));
    fs.writeFileSync(
      path.join(out, 'SUMS'),
      metadata.databases.map((d: { checksum: string; filename: string }) => `${d.checksum.slice(7)}  ${d.filename}\n`).join(''),
    );
    execFileSync('sha256sum', ['-c', 'SUMS'], { cwd: out });

    expect((await listAllKeys(client, bucket)).sort()).toEqual(
      ['archive/sentinel-backup-2020-01-01-000000.tar.gz', job.filename, 'notes.txt', 'sentinel-backup-latest.tar.gz'].sort(),
    );
    expect(fs.readFileSync(t.logFile, 'utf8')).toContain(`R2 backup completed: ${job.filename}`);
  });

  it('rotates 1,050 backups by the age in their names, keeps foreign objects, and logs what it did', async () => {
    const now = Date.now();
    // One backup every 6 hours going back about 262 days; the newest is an hour old.
    const names = Array.from({ length: 1050 }, (_, i) => backupFilename(new Date(now - HOUR - i * 6 * HOUR)));
    const foreign = ['notes.txt', 'sentinel-backup-latest.tar.gz', 'archive/sentinel-backup-2020-01-01-000000.tar.gz'];
    await putMany(client, bucket, [...names, ...foreign]);
    expect((await t.http.get('/api/backups/r2').expect(200)).body).toHaveLength(1050);

    await t.http.put('/api/settings/r2_backup_retention_days').send({ value: 30 }).expect(200);
    const result = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    // Ages 1 h + i × 6 h under 30 days: i = 0 … 119.
    const keep = names.slice(0, 120);
    expect(result).toMatchObject({ target: 'r2', retention_days: 30, kept: 120, failed: [] });
    expect(result.deleted).toHaveLength(930);
    expect(result.deleted[0]).toBe(names[1049]); // oldest first
    expect((await listAllKeys(client, bucket)).sort()).toEqual([...keep, ...foreign].sort());
    const log = fs.readFileSync(t.logFile, 'utf8');
    expect(log).toMatch(/R2 backup rotation: deleted 930 backups older than 30 days, kept 120/);
  });

  it('always keeps the newest three, however old, and keeps everything with retention 0', async () => {
    const old = Array.from({ length: 5 }, (_, i) => backupFilename(new Date(Date.UTC(2024, 0, 10 - i, 3, 0, 0))));
    await putMany(client, bucket, old);
    await t.http.put('/api/settings/r2_backup_retention_days').send({ value: 0 }).expect(200);
    expect((await t.http.post('/api/backups/r2/rotate').expect(200)).body).toMatchObject({ deleted: [], kept: 5 });
    expect(await listAllKeys(client, bucket)).toHaveLength(5);
    await t.http.put('/api/settings/r2_backup_retention_days').send({ value: 1 }).expect(200);
    const result = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(result.deleted).toEqual([old[4], old[3]]);
    expect((await listAllKeys(client, bucket)).sort()).toEqual(old.slice(0, 3).sort());
  });

  it('fails a backup to a missing bucket with the reason and leaves nothing behind', async () => {
    await t.http
      .put('/api/settings/r2_bucket_name')
      .send({ value: `${bucket}-missing` })
      .expect(200);
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatch(/bucket/i);
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/R2 backup failed: /);
  });

  it('fails cleanly when the S3 server goes down mid-upload, leaving no object or parts, and works again after', async () => {
    await seedDatabases(t.app, { rows: 12000, payloadBytes: 1500 }); // ~130 MB of databases
    const started = (await t.http.post('/api/backups/r2').expect(202)).body;
    let stopped = false;
    try {
      for (let i = 0; i < 1500 && !stopped; i++) {
        const job = (await t.http.get(`/api/backup-jobs/${started.id}`)).body;
        if (job.status !== 'running') break;
        if (job.phase === 'archiving' && job.bytes_done > 8 * 1024 * 1024) {
          await stopS3();
          stopped = true;
        } else await new Promise((r) => setTimeout(r, 20));
      }
      expect(stopped).toBe(true);
      const job = await waitForJob(t.http, started.id, 90_000);
      expect(job.status).toBe('failed');
      expect(job.error).toBeTruthy();
    } finally {
      if (stopped) await startS3();
    }
    // Nothing in the bucket, no unfinished multipart upload, no scratch files.
    expect(await listAllKeys(client, bucket)).toEqual([]);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    expect(uploads.Uploads ?? []).toEqual([]);
    expect(fs.readdirSync(t.dataDir).filter((f) => f.startsWith('.backup-tmp-'))).toEqual([]);
    // The next backup succeeds.
    const next = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(next.status).toBe('succeeded');
    expect(await listAllKeys(client, bucket)).toEqual([next.filename]);
  }, 240_000);
});
