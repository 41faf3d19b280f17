/**
 * Issue 14, the backup side: with encryption on for a target, the service writes `.tar.gz.age` archives
 * that the real `age` command decrypts (each recipient's key alone), with the spec's archive inside
 * (sha256sum and PRAGMA integrity_check agree), records what it stored (hash, recipients) in the job, the
 * object's metadata and the list, and counts plain and encrypted backups together in rotation. The
 * identity is never in what is stored. Off again, backups are plain as before.
 */
import { HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { backupFilename } from '../src/archive-format/backup-filename.js';
import { ageKeygen, decryptByHand, decryptedTar, disableEncryption, downloadBackup, enableEncryption } from './support/age-archives.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';

const DAY = 24 * 60 * 60 * 1000;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const backupFolder = (t: TestApp) => path.join(t.dataDir, 'backups');

interface Listed {
  filename: string;
  size_bytes: number;
  encrypted: boolean;
  recipients: string[] | null;
  made_here: boolean;
  own: boolean;
}

async function backUp(t: TestApp, target: 'local' | 'r2') {
  const job = await waitForJob(t.http, (await t.http.post(`/api/backups/${target}`).expect(202)).body.id);
  expect(job).toMatchObject({ status: 'succeeded', error: null });
  return job;
}

async function list(t: TestApp, target: 'local' | 'r2'): Promise<Listed[]> {
  return (await t.http.get(`/api/backups/${target}`).expect(200)).body;
}

describe('Encrypted backups (local folder)', () => {
  let t: TestApp;
  let keys: string;
  beforeEach(async () => {
    t = await startTestApp();
    keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys);
  });
  afterEach(() => t.close());

  it("writes a .tar.gz.age that `age -d -i` opens with the recovery key and with the user's own key alone, the spec's archive inside", async () => {
    await seedDatabases(t.app, { rows: 400 });
    const own = ageKeygen(keys, 'offline');
    const recovery = await enableEncryption(t, 'local', keys, [own.recipient]);

    const job = await backUp(t, 'local');
    expect(job.filename).toMatch(/^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz\.age$/);
    expect(job.encrypted).toBe(true);
    expect([...job.recipients].sort()).toEqual([recovery.recipient, own.recipient].sort());

    // Downloaded as stored: opaque bytes, the size and SHA-256 the job recorded.
    const { body, headers } = await downloadBackup(t, 'local', job.filename);
    expect(headers['content-type']).toBe('application/octet-stream');
    expect(headers['content-disposition']).toBe(`attachment; filename="${job.filename}"`);
    expect(body.length).toBe(job.size_bytes);
    expect(sha256(body)).toBe(job.sha256);
    expect(body.subarray(0, 'age-encryption.org/v1\n'.length).toString()).toBe('age-encryption.org/v1\n');
    const archive = path.join(t.root, job.filename);
    fs.writeFileSync(archive, body);

    // Each key alone decrypts it, by hand, with the standard tools.
    for (const [name, key] of [
      ['recovery', recovery],
      ['offline', own],
    ] as const) {
      const metadata = decryptByHand(archive, key.keyFile, path.join(t.root, `out-${name}`));
      expect(metadata.databases.map((d) => d.name).sort()).toEqual(
        fs
          .readdirSync(t.dataDir)
          .filter((f) => /^[a-z].*\.db$/.test(f))
          .map((f) => f.replace(/\.db$/, ''))
          .sort(),
      );
    }
    // A key it was not encrypted to does not.
    const stranger = ageKeygen(keys, 'stranger');
    expect(() => decryptByHand(archive, stranger.keyFile, path.join(t.root, 'out-stranger'))).toThrow();

    // Its recipients are kept beside it in the folder (a new machine reads which key it needs there).
    expect(fs.readdirSync(backupFolder(t)).sort()).toEqual([job.filename, `.${job.filename}.owner`, `.${job.filename}.recipients`].sort());
    expect(
      fs
        .readFileSync(path.join(backupFolder(t), `.${job.filename}.recipients`), 'utf8')
        .trim()
        .split('\n')
        .sort(),
    ).toEqual([recovery.recipient, own.recipient].sort());
    // The list says so too.
    expect(await list(t, 'local')).toEqual([
      expect.objectContaining({
        filename: job.filename,
        size_bytes: job.size_bytes,
        encrypted: true,
        made_here: true,
        own: true,
        recipients: expect.any(Array),
      }),
    ]);
    expect([...(await list(t, 'local'))[0].recipients!].sort()).toEqual([recovery.recipient, own.recipient].sort());
    // And the run history.
    const history = (await t.http.get('/api/backup-jobs?target=local').expect(200)).body;
    expect(history[0]).toMatchObject({ id: job.id, sha256: job.sha256, encrypted: true, recipients: job.recipients });
  });

  it('never stores the identity: neither the encrypted archive, nor the tar inside, nor its sidecars hold the recovery key', async () => {
    await seedDatabases(t.app, { rows: 100 });
    const recovery = await enableEncryption(t, 'local', keys);
    const job = await backUp(t, 'local');
    const archive = path.join(backupFolder(t), job.filename);
    const stored = fs.readFileSync(archive);
    const tar = decryptedTar(archive, recovery.keyFile);
    expect(tar.length).toBeGreaterThan(0);
    for (const secret of [recovery.identity, recovery.identity.toLowerCase(), recovery.identity.slice('AGE-SECRET-KEY-1'.length)]) {
      expect(stored.includes(secret)).toBe(false);
      expect(tar.includes(secret)).toBe(false);
      for (const file of fs.readdirSync(backupFolder(t))) expect(fs.readFileSync(path.join(backupFolder(t), file)).includes(secret)).toBe(false);
    }
    // Not in the job, the list or the log either.
    const responses = JSON.stringify([job, await list(t, 'local'), (await t.http.get('/api/backup-jobs').expect(200)).body]);
    expect(responses).not.toContain(recovery.identity);
    expect(fs.readFileSync(t.logFile, 'utf8')).not.toContain(recovery.identity);
  });

  it('lists plain and encrypted backups together and rotates them by the time in the name, whatever their kind; deleting forgets the record', async () => {
    await seedDatabases(t.app, { rows: 100 });
    const plain = await backUp(t, 'local');
    expect(plain).toMatchObject({ encrypted: false, recipients: null });
    expect(plain.filename).toMatch(/\.tar\.gz$/);
    expect(sha256(fs.readFileSync(path.join(backupFolder(t), plain.filename)))).toBe(plain.sha256);
    const recovery = await enableEncryption(t, 'local', keys);
    const encrypted = await backUp(t, 'local');
    expect(encrypted.filename).toMatch(/\.tar\.gz\.age$/);

    // Older copies of both kinds, with this installation's owner file; one encrypted copy keeps its recipients file.
    const folder = backupFolder(t);
    const copy = (from: string, to: string, sidecars: string[]) => {
      fs.copyFileSync(path.join(folder, from), path.join(folder, to));
      for (const sidecar of sidecars) fs.copyFileSync(path.join(folder, `.${from}.${sidecar}`), path.join(folder, `.${to}.${sidecar}`));
    };
    const at = (days: number) => new Date(Date.now() - days * DAY);
    const enc2 = backupFilename(at(2), { encrypted: true });
    const plain3 = backupFilename(at(3));
    const enc4 = backupFilename(at(4), { encrypted: true });
    const plain5 = backupFilename(at(5));
    copy(encrypted.filename, enc2, ['owner', 'recipients']);
    copy(plain.filename, plain3, ['owner']);
    copy(encrypted.filename, enc4, ['owner']);
    copy(plain.filename, plain5, ['owner']);

    const listed = await list(t, 'local');
    expect(listed.map((b) => b.filename)).toEqual([encrypted.filename, plain.filename, enc2, plain3, enc4, plain5]);
    const byName = new Map(listed.map((b) => [b.filename, b]));
    expect(byName.get(encrypted.filename)).toMatchObject({ encrypted: true, recipients: [recovery.recipient], made_here: true });
    expect(byName.get(plain.filename)).toMatchObject({ encrypted: false, recipients: null, made_here: true });
    // Copies were not written by the service: not made here; an encrypted one's recipients come from its recipients file, else unknown.
    expect(byName.get(enc2)).toMatchObject({ encrypted: true, recipients: [recovery.recipient], made_here: false });
    expect(byName.get(enc4)).toMatchObject({ encrypted: true, recipients: null, made_here: false });
    expect(byName.get(plain3)).toMatchObject({ encrypted: false, recipients: null, made_here: false });

    // Retention 1 day: the newest three by time (encrypted, plain, encrypted) stay; the three older, of both kinds, go.
    await t.http.put('/api/settings/local_backup_retention_days').send({ value: 1 }).expect(200);
    const rotated = (await t.http.post('/api/backups/local/rotate').expect(200)).body;
    expect(rotated).toMatchObject({ deleted: [plain5, enc4, plain3], kept: 3 });
    expect((await list(t, 'local')).map((b) => b.filename)).toEqual([encrypted.filename, plain.filename, enc2]);
    expect(fs.readdirSync(folder).filter((f) => f.includes(plain5) || f.includes(enc4) || f.includes(plain3))).toEqual([]);

    // Deleting the encrypted backup forgets its record: the same bytes put back under its name are no longer "made here".
    const bytes = fs.readFileSync(path.join(folder, encrypted.filename));
    await t.http.delete(`/api/backups/local/${encrypted.filename}`).expect(200);
    expect(fs.readdirSync(folder).filter((f) => f.includes(encrypted.filename))).toEqual([]);
    fs.writeFileSync(path.join(folder, encrypted.filename), bytes);
    fs.copyFileSync(path.join(folder, `.${plain.filename}.owner`), path.join(folder, `.${encrypted.filename}.owner`));
    expect((await list(t, 'local')).find((b) => b.filename === encrypted.filename)).toMatchObject({ encrypted: true, made_here: false, recipients: null });
    // The plain one made here still is.
    expect((await list(t, 'local')).find((b) => b.filename === plain.filename)).toMatchObject({ made_here: true });
  });

  it('with encryption turned off again, writes plain .tar.gz archives as before', async () => {
    await seedDatabases(t.app, { rows: 100 });
    await enableEncryption(t, 'local', keys);
    expect((await backUp(t, 'local')).filename).toMatch(/\.tar\.gz\.age$/);
    await disableEncryption(t, 'local');
    const job = await backUp(t, 'local');
    expect(job).toMatchObject({ encrypted: false, recipients: null });
    expect(job.filename).toMatch(/^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz$/);
    const { body, headers } = await downloadBackup(t, 'local', job.filename);
    expect(headers['content-type']).toBe('application/gzip');
    expect(sha256(body)).toBe(job.sha256);
    expect([...body.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(fs.existsSync(path.join(backupFolder(t), `.${job.filename}.recipients`))).toBe(false);
  });
});

describeS3('Encrypted backups (R2, real S3 server)', () => {
  let t: TestApp;
  let client: S3Client;
  let bucket: string;
  let keys: string;

  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_STORAGE_TIMEOUT_MS: '20000' });
    client = testS3Client();
    bucket = await createTestBucket('encrypted');
    await configureR2(t, bucket);
    keys = path.join(t.root, 'keys');
    fs.mkdirSync(keys);
  });
  afterEach(async () => {
    client.destroy();
    await t.close();
  });

  it('uploads a .tar.gz.age with its recipients in the object metadata; each key alone decrypts the download by hand', async () => {
    await seedDatabases(t.app, { rows: 400 });
    const own = ageKeygen(keys, 'offline');
    const recovery = await enableEncryption(t, 'r2', keys, [own.recipient]);
    const job = await backUp(t, 'r2');
    expect(job.filename).toMatch(/\.tar\.gz\.age$/);
    expect(job).toMatchObject({ target: 'r2', encrypted: true });

    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: job.filename }));
    expect(head.Metadata?.['sentinel-recipients']?.split(',').sort()).toEqual([recovery.recipient, own.recipient].sort());
    expect(head.Metadata?.['sentinel-installation']).toMatch(/^[0-9a-f-]{36}$/);
    expect(head.ContentType).toBe('application/octet-stream');

    const { body, headers } = await downloadBackup(t, 'r2', job.filename);
    expect(headers['content-type']).toBe('application/octet-stream');
    expect(body.length).toBe(job.size_bytes);
    expect(sha256(body)).toBe(job.sha256);
    const archive = path.join(t.root, job.filename);
    fs.writeFileSync(archive, body);
    decryptByHand(archive, recovery.keyFile, path.join(t.root, 'out-recovery'));
    decryptByHand(archive, own.keyFile, path.join(t.root, 'out-offline'));
    expect(body.includes(recovery.identity)).toBe(false);
    expect(decryptedTar(archive, recovery.keyFile).includes(recovery.identity)).toBe(false);

    // An encrypted object the service did not write (the same bytes under an older name, with only the
    // recipients in its metadata): listed as encrypted, its recipients read from the metadata, not made here.
    const foreign = backupFilename(new Date(Date.now() - 2 * DAY), { encrypted: true });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: foreign, Body: body, Metadata: { 'sentinel-recipients': own.recipient } }));
    const listed = await list(t, 'r2');
    expect(listed.map((b) => b.filename)).toEqual([job.filename, foreign]);
    expect(listed[0]).toMatchObject({ encrypted: true, made_here: true });
    expect([...listed[0].recipients!].sort()).toEqual([recovery.recipient, own.recipient].sort());
    expect(listed[1]).toMatchObject({ encrypted: true, made_here: false, recipients: [own.recipient] });
  });

  it('rotates plain and encrypted backups together by time, and deleting one forgets its record', async () => {
    await seedDatabases(t.app, { rows: 50 });
    const plain = await backUp(t, 'r2');
    await enableEncryption(t, 'r2', keys);
    const encrypted = await backUp(t, 'r2');
    const { body: plainBytes } = await downloadBackup(t, 'r2', plain.filename);
    const { body: encBytes } = await downloadBackup(t, 'r2', encrypted.filename);
    const installation = (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: plain.filename }))).Metadata!['sentinel-installation'];
    const put = (key: string, body: Buffer) =>
      client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, Metadata: { 'sentinel-installation': installation } }));
    const at = (days: number) => new Date(Date.now() - days * DAY);
    const enc2 = backupFilename(at(2), { encrypted: true });
    const plain3 = backupFilename(at(3));
    const enc4 = backupFilename(at(4), { encrypted: true });
    await put(enc2, encBytes);
    await put(plain3, plainBytes);
    await put(enc4, encBytes);

    await t.http.put('/api/settings/r2_backup_retention_days').send({ value: 1 }).expect(200);
    const rotated = (await t.http.post('/api/backups/r2/rotate').expect(200)).body;
    expect(rotated).toMatchObject({ deleted: [enc4, plain3], kept: 3 });
    const listed = await list(t, 'r2');
    expect(listed.map((b) => [b.filename, b.encrypted, b.made_here])).toEqual([
      [encrypted.filename, true, true],
      [plain.filename, false, true],
      [enc2, true, false],
    ]);

    await t.http.delete(`/api/backups/r2/${encrypted.filename}`).expect(200);
    await put(encrypted.filename, encBytes);
    expect((await list(t, 'r2')).find((b) => b.filename === encrypted.filename)).toMatchObject({ made_here: false });
  });
});
