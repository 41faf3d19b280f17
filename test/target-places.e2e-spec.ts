/**
 * Issue 16, where each target keeps its backups: two targets in one place would rotate each other's backups
 * away, so the service refuses it through every way a place is set (POST/PATCH /api/targets and the spec's
 * settings keys of local and r2), under every spelling of a folder; nested places, which never mix (a listing
 * reads only its own level), are allowed. Changes are serialized (no replication cycle from two requests at
 * once), and a target's place does not change, nor does the target go, under a running backup.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { BackupCatalogService } from '../src/backup/backup-catalog.service.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { createTestBucket, describeS3, listAllKeys, putMany, testS3, testS3Client } from './support/s3-server.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';
import { until } from './support/until.js';

describeS3('Each target keeps its backups in a place of its own (issue 16)', () => {
  let t: TestApp;
  let bucket: string;
  let other: string;
  let scratch: string;
  const s3 = () => testS3();

  const s3Target = (id: string, overrides: Record<string, unknown> = {}) => ({
    id,
    kind: 's3',
    endpoint: s3().endpoint,
    bucket,
    prefix: `${id}/`,
    access_key_id: s3().accessKeyId,
    secret_access_key: s3().secretAccessKey,
    ...overrides,
  });

  const setting = async (key: string) => (await t.http.get(`/api/settings/${key}`).expect(200)).body.value;

  async function backUp(target: string): Promise<string> {
    const started = await t.http.post(`/api/backups/${target}`).expect(202);
    const job = await waitForJob(t.http, started.body.id);
    expect([job.status, job.error_message ?? null]).toEqual(['succeeded', null]);
    return job.filename as string;
  }

  beforeAll(async () => {
    t = await startTestApp();
    bucket = await createTestBucket('places');
    other = await createTestBucket('places-other');
    scratch = makeScratchDir('sentinel-places-');
    await seedDatabases(t.app, { rows: 20 });
  });

  afterAll(async () => {
    await t?.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('refuses local_backup_dir through PUT /api/settings when another target keeps its backups there, under any spelling', async () => {
    const nas = path.join(scratch, 'nas');
    fs.mkdirSync(path.join(scratch, 'a'), { recursive: true });
    // A link to a folder not made yet (the NAS not mounted) counts as that folder too.
    fs.symlinkSync(nas, path.join(scratch, 'link-to-nas'));
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: nas }).expect(201);
    const before = await setting('local_backup_dir');
    const spellings = [nas, `${nas}/`, path.join(scratch, '.', 'nas') + '/.', `${scratch}/./nas`, `${scratch}/a/../nas`, path.join(scratch, 'link-to-nas')];
    for (const spelling of spellings) {
      const refused = await t.http.put('/api/settings/local_backup_dir').send({ value: spelling }).expect(400);
      expect(refused.body.details).toMatchObject({ key: 'local_backup_dir' });
      expect(refused.body.message).toMatch(/target 'nas' keeps its backups/);
      expect(await setting('local_backup_dir')).toBe(before);
      // The same spellings through the targets API, for the built-in and for another added target.
      const patch = await t.http.patch('/api/targets/local').send({ path: spelling }).expect(400);
      expect(patch.body.message).toMatch(/target 'nas' keeps its backups/);
      const post = await t.http.post('/api/targets').send({ id: 'nas-two', kind: 'folder', path: spelling }).expect(400);
      expect(post.body.message).toMatch(/target 'nas' keeps its backups/);
    }
    expect((await t.http.get('/api/targets').expect(200)).body.map((x: { id: string }) => x.id)).toEqual(['local', 'r2', 'nas']);
    // A symlink to it made after the target was added is refused too, as is the target's own folder from the other side.
    const local = await setting('local_backup_dir');
    fs.mkdirSync(local, { recursive: true });
    fs.symlinkSync(local, path.join(scratch, 'link-to-local'));
    const refused = await t.http
      .patch('/api/targets/nas')
      .send({ path: path.join(scratch, 'link-to-local') })
      .expect(400);
    expect(refused.body.message).toMatch(/target 'local' keeps its backups/);
  });

  it('refuses another spelling of one place: the S3 server by another loopback name, a folder through a bind mount', async () => {
    await t.http.post('/api/targets').send(s3Target('rgw-a')).expect(201);
    const endpoint = new URL(s3().endpoint);
    const aliases = ['localhost', '127.0.0.2', 'LOCALHOST.'].filter((host) => host.toLowerCase() !== endpoint.hostname);
    for (const host of aliases) {
      const refused = await t.http
        .post('/api/targets')
        .send(s3Target('rgw-b', { endpoint: `${endpoint.protocol}//${host}:${endpoint.port}`, prefix: 'rgw-a/' }))
        .expect(400);
      expect(refused.body.details).toEqual({ field: 'prefix' });
      expect(refused.body.message).toMatch(/target 'rgw-a' keeps its backups/);
    }
    await t.http.delete('/api/targets/rgw-a?confirm=true').expect(200);

    // A bind mount gives the folder a second real path; only its device and inode say it is the same folder.
    const disk = path.join(scratch, 'bind-disk');
    const mnt = path.join(scratch, 'bind-mnt');
    fs.mkdirSync(disk);
    fs.mkdirSync(mnt);
    try {
      execFileSync('mount', ['--bind', disk, mnt], { stdio: 'ignore' });
    } catch {
      return; // Not root here: the unit test of checkAgainst is the only cover then.
    }
    try {
      await t.http
        .post('/api/targets')
        .send({ id: 'usb', kind: 'folder', path: path.join(disk, 'backups') })
        .expect(201);
      const refused = await t.http
        .post('/api/targets')
        .send({ id: 'usb-two', kind: 'folder', path: path.join(mnt, 'backups') })
        .expect(400);
      expect(refused.body.message).toMatch(/target 'usb' keeps its backups/);
      const put = await t.http
        .put('/api/settings/local_backup_dir')
        .send({ value: path.join(mnt, 'backups') })
        .expect(400);
      expect(put.body.message).toMatch(/target 'usb' keeps its backups/);
      await t.http.delete('/api/targets/usb?confirm=true').expect(200);
    } finally {
      execFileSync('umount', [mnt]);
    }
  });

  it("refuses r2_bucket_name, r2_prefix, r2_endpoint and r2_account_id through PUT /api/settings when they would make r2 share an S3 target's place", async () => {
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-two', { prefix: 'shared/' }))
      .expect(201);
    // r2 next door: the same store, another bucket, the same prefix.
    for (const [key, value] of Object.entries({
      r2_endpoint: s3().endpoint,
      r2_access_key_id: s3().accessKeyId,
      r2_secret_access_key: s3().secretAccessKey,
      r2_bucket_name: other,
      r2_prefix: 'shared/',
    })) {
      await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
    }
    const refuse = async (key: string, value: string) => {
      const before = await setting(key);
      const refused = await t.http.put(`/api/settings/${key}`).send({ value }).expect(400);
      expect(refused.body.details).toMatchObject({ key });
      expect(refused.body.message).toMatch(/target 's3-two' keeps its backups/);
      expect(await setting(key)).toBe(before);
    };
    await refuse('r2_bucket_name', bucket);

    // Same bucket, another prefix: fine; then the prefix is what would collide.
    await t.http.put('/api/settings/r2_prefix').send({ value: 'r2/' }).expect(200);
    await t.http.put('/api/settings/r2_bucket_name').send({ value: bucket }).expect(200);
    await refuse('r2_prefix', 'shared');
    await refuse('r2_prefix', 'shared/');

    // Another endpoint, then the endpoint is what would collide (spelled with a trailing slash).
    await t.http.put('/api/settings/r2_endpoint').send({ value: 'https://s3.eu-central-003.backblazeb2.com' }).expect(200);
    await t.http.put('/api/settings/r2_prefix').send({ value: 'shared/' }).expect(200);
    await refuse('r2_endpoint', `${s3().endpoint}/`);

    // r2's usual set-up: no endpoint, the account ID says where.
    const account = '0123456789abcdef0123456789abcdef';
    await t.http
      .post('/api/targets')
      .send(s3Target('r2-eu', { endpoint: `https://${account}.r2.cloudflarestorage.com`, bucket: 'nightly', prefix: '' }))
      .expect(201);
    await t.http.put('/api/settings/r2_endpoint').send({ value: '' }).expect(200);
    await t.http.put('/api/settings/r2_bucket_name').send({ value: 'nightly' }).expect(200);
    await t.http.put('/api/settings/r2_prefix').send({ value: '' }).expect(200);
    const before = await setting('r2_account_id');
    const refused = await t.http.put('/api/settings/r2_account_id').send({ value: account }).expect(400);
    expect(refused.body.details).toMatchObject({ key: 'r2_account_id' });
    expect(refused.body.message).toMatch(/target 'r2-eu' keeps its backups/);
    expect(await setting('r2_account_id')).toBe(before);

    // PATCH /api/targets/r2 checks its fields together: bucket and prefix that collide only one at a time pass.
    await t.http.put('/api/settings/r2_endpoint').send({ value: s3().endpoint }).expect(200);
    await t.http.put('/api/settings/r2_bucket_name').send({ value: other }).expect(200);
    await t.http.put('/api/settings/r2_prefix').send({ value: 'shared/' }).expect(200);
    const patched = await t.http.patch('/api/targets/r2').send({ bucket, prefix: 'r2/' }).expect(200);
    expect(patched.body).toMatchObject({ bucket, prefix: 'r2/' });
    // And a PATCH that collides changes none of its keys.
    const retention = await setting('r2_backup_retention_days');
    const whole = await t.http
      .patch('/api/targets/r2')
      .send({ retention_days: retention === 12 ? 13 : 12, prefix: 'shared/' })
      .expect(400);
    expect(whole.body.message).toMatch(/target 's3-two' keeps its backups/);
    expect([await setting('r2_prefix'), await setting('r2_backup_retention_days')]).toEqual(['r2/', retention]);
  });

  it('allows nested places, whose backups never mix: each target lists, rotates and deletes only its own level', async () => {
    const outer = path.join(scratch, 'outer');
    await t.http.post('/api/targets').send({ id: 'outer', kind: 'folder', path: outer }).expect(201);
    await t.http
      .post('/api/targets')
      .send({ id: 'inner', kind: 'folder', path: path.join(outer, 'inner') })
      .expect(201);
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-outer', { prefix: 'nest/' }))
      .expect(201);
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-inner', { prefix: 'nest/in/', label: 'Inner S3' }))
      .expect(201);
    // The outer ones at the root of what the inner ones use as well.
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-root', { bucket: other, prefix: '' }))
      .expect(201);
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-sub', { bucket: other, prefix: 'sentinel-backup-2026-01-01-000000.tar.gz/' }))
      .expect(201);

    for (const [inner, outerId] of [
      ['inner', 'outer'],
      ['s3-inner', 's3-outer'],
      ['s3-sub', 's3-root'],
    ]) {
      const name = await backUp(inner);
      expect((await t.http.get(`/api/backups/${inner}`).expect(200)).body.map((b: { filename: string }) => b.filename)).toEqual([name]);
      expect((await t.http.get(`/api/backups/${outerId}`).expect(200)).body).toEqual([]);
      const dry = await t.http.post(`/api/backups/${outerId}/rotate?dry_run=true`).expect(200);
      expect(dry.body.deleted).toEqual([]);
      await t.http.delete(`/api/backups/${outerId}/${name}`).expect(404);
      expect((await t.http.get(`/api/backups/${inner}`).expect(200)).body).toHaveLength(1);
    }
  });

  it("names an added S3 target by its label in the storage log lines, where r2 keeps the spec's 'R2 …'", async () => {
    const log = () => fs.readFileSync(t.logFile, 'utf8');
    const inner = (await t.http.get('/api/backups/s3-inner').expect(200)).body[0].filename as string;
    expect(log()).toContain(`Inner S3 upload of ${inner} done`);
    expect(log()).not.toContain(`R2 upload of ${inner}`);
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-bad', { label: 'Bad S3', secret_access_key: 'wrong-secret-0123456789' }))
      .expect(201);
    await t.http.get('/api/backups/s3-bad');
    expect(log()).toMatch(/Bad S3 list failed: /);
    expect(log()).not.toMatch(/R2 list failed: /);
    // r2 itself keeps the spec's phrases.
    for (const [key, value] of Object.entries({
      r2_endpoint: s3().endpoint,
      r2_access_key_id: s3().accessKeyId,
      r2_secret_access_key: s3().secretAccessKey,
      r2_prefix: 'r2-log/',
      r2_bucket_name: bucket,
    })) {
      await t.http.put(`/api/settings/${key}`).send({ value }).expect(200);
    }
    const r2 = await backUp('r2');
    expect(log()).toContain(`R2 upload of ${r2} done`);
  });

  it('deletes an S3 target that holds backups, or whose backups cannot be listed, only with confirmation, and never its backups', async () => {
    const name = await backUp('s3-inner');
    const keysBefore = await listAllKeys(testS3Client(), bucket);
    expect(keysBefore).toContain(`nest/in/${name}`);
    const refused = await t.http.delete('/api/targets/s3-inner').expect(409);
    expect(refused.body.message).toMatch(new RegExp(`still holds 2 backups in bucket '${bucket}' under 'nest/in/'.*they are not deleted.*\\?confirm=true`));
    const gone = await t.http.delete('/api/targets/s3-inner?confirm=true').expect(200);
    expect(gone.body).toEqual({ id: 's3-inner', deleted: true, backups_left: 2 });
    expect(await listAllKeys(testS3Client(), bucket)).toEqual(keysBefore);
    await t.http.get('/api/backups/s3-inner').expect(404);
    // Added again with the same place, it lists them again.
    await t.http
      .post('/api/targets')
      .send(s3Target('s3-inner', { prefix: 'nest/in/' }))
      .expect(201);
    expect((await t.http.get('/api/backups/s3-inner').expect(200)).body).toHaveLength(2);

    // A target the store refuses to list for: the service cannot tell, so it asks, and says why.
    const unknown = await t.http.delete('/api/targets/s3-bad').expect(409);
    expect(unknown.body.message).toMatch(/Cannot tell whether target 's3-bad' still holds backups .*\?confirm=true/);
    expect(unknown.body.message).not.toContain('wrong-secret-0123456789');
    expect((await t.http.delete('/api/targets/s3-bad?confirm=true').expect(200)).body).toEqual({ id: 's3-bad', deleted: true, backups_left: null });
  });

  it('serializes replication changes through settings and targets: two requests at once never make a cycle', async () => {
    await t.http
      .post('/api/targets')
      .send({ id: 'ring', kind: 'folder', path: path.join(scratch, 'ring') })
      .expect(201);
    for (let round = 0; round < 8; round++) {
      const [put, patch] = await Promise.all([
        t.http.put('/api/settings/r2_replicate_from').send({ value: 'ring' }),
        t.http.patch('/api/targets/ring').send({ replicate_from: 'r2' }),
      ]);
      expect([put.status, patch.status].sort()).toEqual([200, 400]);
      const loser = put.status === 400 ? put : patch;
      expect(loser.body.message).toMatch(/cycle/);
      const list = (await t.http.get('/api/targets').expect(200)).body as Array<{ id: string; replicate_from: string | null }>;
      const from = Object.fromEntries(list.map((x) => [x.id, x.replicate_from]));
      expect(from.r2 === 'ring' && from.ring === 'r2').toBe(false);
      await t.http.put('/api/settings/r2_replicate_from').send({ value: '' }).expect(200);
      await t.http.patch('/api/targets/ring').send({ replicate_from: null }).expect(200);
    }
  });
  it('serializes a replication source set through settings with that target’s deletion: r2 never replicates from a target that is gone', async () => {
    for (let round = 0; round < 6; round++) {
      const id = `gone-${round}`;
      await t.http.post('/api/targets').send(s3Target(id)).expect(201);
      // The deletion lists the target's backups (a request to the store) between its checks and its write.
      const [del, put] = await Promise.all([t.http.delete(`/api/targets/${id}`), t.http.put('/api/settings/r2_replicate_from').send({ value: id })]);
      expect([del.status, put.status]).not.toEqual([200, 200]);
      const ids = (await t.http.get('/api/targets').expect(200)).body.map((x: { id: string }) => x.id);
      const from = await setting('r2_replicate_from');
      expect(from === '' || ids.includes(from)).toBe(true);
      await t.http.put('/api/settings/r2_replicate_from').send({ value: '' }).expect(200);
      if (ids.includes(id)) await t.http.delete(`/api/targets/${id}`).expect(200);
    }
  });

  it('refuses to move or delete a target while its rotation runs (409 TARGET_BUSY)', async () => {
    await t.http
      .post('/api/targets')
      .send(s3Target('rot', { retention_days: 1 }))
      .expect(201);
    // Many old archives: the rotation reads each one's owner from the store, which takes a while.
    const day = 24 * 3600 * 1000;
    const names = Array.from({ length: 400 }, (_, i) => {
      const at = new Date(Date.UTC(2020, 0, 1) + i * day).toISOString();
      return `rot/sentinel-backup-${at.slice(0, 10)}-${at.slice(11, 13)}${at.slice(14, 16)}${at.slice(17, 19)}.tar.gz`;
    });
    await putMany(testS3Client(), bucket, names);
    const rotation = t.http.post('/api/backups/rot/rotate').then((res) => res);
    await new Promise((r) => setTimeout(r, 100));
    const moved = await t.http.patch('/api/targets/rot').send({ prefix: 'rot-moved/' }).expect(409);
    expect(moved.body).toMatchObject({ error: 'TARGET_BUSY', details: { target: 'rot' } });
    expect(moved.body.message).toMatch(/is rotating its backups now/);
    await t.http.delete('/api/targets/rot?confirm=true').expect(409);
    expect((await rotation).status).toBe(200);
    expect((await t.http.get('/api/targets/rot').expect(200)).body.prefix).toBe('rot/');
    await t.http.patch('/api/targets/rot').send({ prefix: 'rot-moved/' }).expect(200);
  }, 180_000);

  it('refuses to move or delete a target while its backup runs (409 TARGET_BUSY naming the job); the backup lands where it started', async () => {
    await seedDatabases(t.app, { rows: 8000, payloadBytes: 1000 }); // ~55 MB: a backup of a few seconds
    const start = path.join(scratch, 'busy-start');
    const elsewhere = path.join(scratch, 'busy-elsewhere');
    await t.http.post('/api/targets').send({ id: 'busy', kind: 'folder', path: start }).expect(201);
    const started = await t.http.post('/api/backups/busy').expect(202);
    const jobId = started.body.id as string;

    const moved = await t.http.patch('/api/targets/busy').send({ path: elsewhere }).expect(409);
    expect(moved.body).toMatchObject({ error: 'TARGET_BUSY', details: { target: 'busy', job_id: jobId } });
    expect(moved.body.message).toMatch(new RegExp(`Wait for job ${jobId} to finish`));
    const deleted = await t.http.delete('/api/targets/busy?confirm=true').expect(409);
    expect(deleted.body).toMatchObject({ error: 'TARGET_BUSY', details: { job_id: jobId } });
    // What does not move it goes through at once.
    await t.http.patch('/api/targets/busy').send({ label: 'Busy disk', retention_days: 7 }).expect(200);
    expect((await t.http.get(`/api/backup-jobs/${jobId}`).expect(200)).body.status).toMatch(/queued|running/);

    const job = await waitForJob(t.http, jobId);
    expect(job.status).toBe('succeeded');
    expect(fs.readdirSync(start)).toContain(job.filename);
    expect((await t.http.get('/api/targets/busy').expect(200)).body).toMatchObject({ path: start, label: 'Busy disk' });
    // Once it ended, the change is taken.
    await t.http.patch('/api/targets/busy').send({ path: elsewhere }).expect(200);

    // The built-in local, moved through its spec setting, the same way.
    const before = await setting('local_backup_dir');
    const local = await t.http.post('/api/backups/local').expect(202);
    const refused = await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(scratch, 'local-elsewhere') })
      .expect(409);
    expect(refused.body).toMatchObject({ error: 'TARGET_BUSY', details: { job_id: local.body.id } });
    expect(await setting('local_backup_dir')).toBe(before);
    const done = await waitForJob(t.http, local.body.id);
    expect(done.status).toBe('succeeded');
    await t.http
      .put('/api/settings/local_backup_dir')
      .send({ value: path.join(scratch, 'local-elsewhere') })
      .expect(200);
  }, 180_000);

  it('refuses a DELETE when a backup of the target started while its backups were being counted (409 TARGET_BUSY); the target and the backup stay', async () => {
    const place = path.join(scratch, 'gap');
    await t.http.post('/api/targets').send({ id: 'gap', kind: 'folder', path: place }).expect(201);
    await backUp('gap');
    // The count of its backups (a long listing on a big or slow store) is held at a gate.
    const catalog = t.app.get(BackupCatalogService);
    const list = catalog.list.bind(catalog);
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = 0;
    catalog.list = async (target) => {
      if (target === 'gap' && held++ === 0) await gate;
      return list(target);
    };
    try {
      const deleting = t.http.delete('/api/targets/gap?confirm=true').then((res) => res);
      await until('the count held', () => (held > 0 ? true : undefined));
      const started = await t.http.post('/api/backups/gap').expect(202);
      await until('the backup running', async () =>
        (await t.http.get(`/api/backup-jobs/${started.body.id}`).expect(200)).body.status === 'running' ? true : undefined,
      );
      open();
      const deleted = await deleting;
      expect(deleted.status).toBe(409);
      expect(deleted.body).toMatchObject({ error: 'TARGET_BUSY', details: { target: 'gap', job_id: started.body.id } });
      const job = await waitForJob(t.http, started.body.id);
      expect(job.status).toBe('succeeded');
      expect(fs.readdirSync(place)).toContain(job.filename);
      await t.http.get('/api/targets/gap').expect(200);
    } finally {
      open();
      catalog.list = list;
    }
  }, 180_000);
});
