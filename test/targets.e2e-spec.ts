/**
 * Issue 16, "Targets are data": destinations added through /api/targets (an S3 target on a second bucket of the
 * real test S3 server, and folder targets in two local folders) work like the built-in local and r2 under every
 * /api/backups/{target} endpoint; the built-ins' fields are the spec's settings keys; bad input is refused naming
 * the field and changes nothing; deleting never deletes backups; secrets never leave the service.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { seedDatabases, waitForJob } from './support/seed.js';
import { createTestBucket, describeS3, testS3, testS3Client } from './support/s3-server.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describeS3('Targets are data (issue 16)', () => {
  let t: TestApp;
  let bucket: string;
  let folderA: string;
  let folderB: string;
  /** Every response body of this file, to look for secrets in. */
  const bodies: string[] = [];
  const s3 = () => testS3();

  const s3Target = (overrides: Record<string, unknown> = {}) => ({
    id: 's3-two',
    label: 'Second S3',
    kind: 's3',
    endpoint: s3().endpoint,
    bucket,
    prefix: 'second/',
    access_key_id: s3().accessKeyId,
    secret_access_key: s3().secretAccessKey,
    ...overrides,
  });

  async function targets(): Promise<Array<Record<string, unknown>>> {
    const res = await t.http.get('/api/targets').expect(200);
    bodies.push(JSON.stringify(res.body));
    return res.body as Array<Record<string, unknown>>;
  }

  async function backUp(target: string): Promise<string> {
    const started = await t.http.post(`/api/backups/${target}`).expect(202);
    const job = await waitForJob(t.http, started.body.id);
    expect([job.status, job.error_message ?? null]).toEqual(['succeeded', null]);
    expect(job.target).toBe(target);
    return job.filename as string;
  }

  beforeAll(async () => {
    t = await startTestApp();
    bucket = await createTestBucket('targets');
    folderA = makeScratchDir('sentinel-target-a-');
    folderB = makeScratchDir('sentinel-target-b-');
    await seedDatabases(t.app, { rows: 30 });
  });

  afterAll(async () => {
    await t?.close();
    for (const dir of [folderA, folderB]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the built-in local and r2, whose fields read and write the spec settings keys', async () => {
    const list = await targets();
    expect(list.map((x) => [x.id, x.kind, x.built_in])).toEqual([
      ['local', 'folder', true],
      ['r2', 's3', true],
    ]);
    expect(list[1].settings_keys).toMatchObject({ bucket: 'r2_bucket_name', retention_days: 'r2_backup_retention_days', schedule: 'r2_backup_schedule' });

    const patched = await t.http.patch('/api/targets/r2').send({ bucket: 'other-bucket', retention_days: 30, schedule: 'weekly' }).expect(200);
    expect(patched.body).toMatchObject({ id: 'r2', bucket: 'other-bucket', retention_days: 30, schedule: 'weekly' });
    expect((await t.http.get('/api/settings/r2_bucket_name').expect(200)).body.value).toBe('other-bucket');
    expect((await t.http.get('/api/settings/r2_backup_schedule').expect(200)).body.value).toBe('weekly');

    // One wrong value refuses the whole change: the bucket stays as it was.
    const refused = await t.http.patch('/api/targets/r2').send({ bucket: 'third-bucket', retention_days: -1 }).expect(400);
    expect(refused.body.message).toMatch(/retention_days \(setting r2_backup_retention_days\)/);
    expect((await t.http.get('/api/settings/r2_bucket_name').expect(200)).body.value).toBe('other-bucket');

    // A field the spec has no key for is refused on a built-in, naming it; sent back unchanged it is accepted.
    const label = await t.http.patch('/api/targets/r2').send({ label: 'Cloud' }).expect(400);
    expect(label.body.message).toMatch(/^label cannot be changed on the built-in target 'r2'/);
    await t.http.patch('/api/targets/local').send({ label: 'Local', schedule: 'daily', keep_daily: null }).expect(200);
    await t.http.patch('/api/targets/r2').send({ bucket: '', retention_days: 90, schedule: 'daily' }).expect(200);
  });

  it("maps the built-ins' calendar retention, replication, local schedule and object lock to their settings keys; a wrong one writes no key", async () => {
    const settings = async (): Promise<Record<string, unknown>> =>
      Object.fromEntries(((await t.http.get('/api/settings').expect(200)).body as Array<{ key: string; value: unknown }>).map((s) => [s.key, s.value]));
    const target = async (id: string) => (await targets()).find((x) => x.id === id)!;
    const keeps = { keep_hourly: 24, keep_daily: 7, keep_weekly: 4, keep_monthly: 12, keep_yearly: 2 };

    for (const id of ['r2', 'local']) {
      expect((await target(id)).settings_keys).toMatchObject({ keep_daily: `${id}_backup_keep_daily`, replicate_from: `${id}_replicate_from` });
      const patched = await t.http
        .patch(`/api/targets/${id}`)
        .send({ ...keeps, replicate_from: id === 'r2' ? 'local' : null })
        .expect(200);
      expect(patched.body).toMatchObject({ ...keeps, replicate_from: id === 'r2' ? 'local' : null });
      const stored = await settings();
      for (const [field, value] of Object.entries(keeps)) expect([field, stored[`${id}_backup_${field}`]]).toEqual([field, value]);
      expect(stored[`${id}_replicate_from`]).toBe(id === 'r2' ? 'local' : '');
      expect(await target(id)).toMatchObject({ ...keeps, replicate_from: id === 'r2' ? 'local' : null });
    }

    // The local schedule is local_backup_schedule, with the settings' cron check.
    expect((await target('local')).settings_keys).toMatchObject({ schedule: 'local_backup_schedule' });
    await t.http.patch('/api/targets/local').send({ schedule: 'hourly' }).expect(200);
    expect((await settings()).local_backup_schedule).toBe('hourly');
    expect((await target('local')).schedule).toBe('hourly');

    // Object lock is two keys, written together; null turns it off (mode '').
    expect((await target('r2')).settings_keys).toMatchObject({ 'object_lock.mode': 'r2_object_lock_mode', 'object_lock.days': 'r2_object_lock_days' });
    await t.http
      .patch('/api/targets/r2')
      .send({ object_lock: { mode: 'governance', days: 10 } })
      .expect(200);
    expect(await settings()).toMatchObject({ r2_object_lock_mode: 'governance', r2_object_lock_days: 10 });
    expect((await target('r2')).object_lock).toEqual({ mode: 'governance', days: 10 });

    // A wrong value answers 400 naming the field; no key of the batch is written.
    const before = await settings();
    const beforeTargets = await targets();
    const wrong: Array<[string, Record<string, unknown>, RegExp]> = [
      ['local', { keep_daily: 3, schedule: 'cron:61 * * * *' }, /^schedule \(setting local_backup_schedule\)/],
      [
        'local',
        { keep_daily: 3, replicate_from: 'r2' },
        /^replicate_from \(setting local_replicate_from\) 'r2' would make a replication cycle \(local ← r2 ← local\)/,
      ],
      ['local', { keep_daily: 3, replicate_from: 'local' }, /^replicate_from \(setting local_replicate_from\) cannot be 'local' itself/],
      ['r2', { keep_daily: 3, object_lock: { mode: 'compliance', days: 0 } }, /^object_lock\.days must be/],
      ['r2', { keep_daily: 3, object_lock: { mode: 'forever', days: 5 } }, /^object_lock\.mode must be/],
      ['r2', { keep_daily: 3, object_lock: { mode: 'compliance' } }, /^object_lock\.days must be/],
      ['r2', { keep_daily: -1, object_lock: { mode: 'compliance', days: 5 } }, /^keep_daily \(setting r2_backup_keep_daily\)/],
      ['local', { keep_daily: 3, object_lock: { mode: 'compliance', days: 5 } }, /^object_lock cannot be changed on the built-in target 'local'/],
      ['r2', { keep_daily: 3, region: 'eu-central-1' }, /^region cannot be changed on the built-in target 'r2'/],
      ['local', { keep_daily: 3, label: 'Disk' }, /^label cannot be changed on the built-in target 'local'/],
    ];
    for (const [id, body, message] of wrong) {
      const res = await t.http.patch(`/api/targets/${id}`).send(body).expect(400);
      expect([id, JSON.stringify(body), res.body.message]).toEqual([id, JSON.stringify(body), expect.stringMatching(message)]);
    }
    expect(await settings()).toEqual(before);
    expect(await targets()).toEqual(beforeTargets);

    // Back as they were: every key unset, no lock, no replication, the daily schedule.
    const unset = { keep_hourly: null, keep_daily: null, keep_weekly: null, keep_monthly: null, keep_yearly: null, replicate_from: null };
    await t.http
      .patch('/api/targets/r2')
      .send({ ...unset, object_lock: null })
      .expect(200);
    await t.http
      .patch('/api/targets/local')
      .send({ ...unset, schedule: 'daily' })
      .expect(200);
    expect(await settings()).toMatchObject({ r2_object_lock_mode: '', r2_backup_keep_daily: '', local_backup_keep_yearly: '', r2_replicate_from: '' });
    expect(await target('r2')).toMatchObject({ ...unset, object_lock: null });
    expect(await target('local')).toMatchObject({ ...unset, schedule: 'daily' });
  });

  it('adds an S3 target and a folder target; each backs up, lists, downloads, restores and tests like a built-in', async () => {
    const created = await t.http.post('/api/targets').send(s3Target()).expect(201);
    bodies.push(JSON.stringify(created.body));
    expect(created.body).toMatchObject({ id: 's3-two', kind: 's3', built_in: false, enabled: true, access_key_id_set: true, secret_access_key_set: true });
    expect(created.body).not.toHaveProperty('secret_access_key');
    // The access key ID names the key and is shown (issue 18); the secret never is.
    expect(created.body.access_key_id).toBe(s3().accessKeyId);
    await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', label: 'NAS', path: folderA }).expect(201);
    expect((await targets()).map((x) => x.id)).toEqual(['local', 'r2', 's3-two', 'nas']);

    for (const id of ['s3-two', 'nas']) {
      const test = await t.http.post(`/api/targets/${id}/test`).expect(200);
      bodies.push(JSON.stringify(test.body));
      expect([test.body.target, test.body.ok, test.body.checks.filter((c: { ok: boolean }) => !c.ok)]).toEqual([id, true, []]);
    }

    const onS3 = await backUp('s3-two');
    const onNas = await backUp('nas');

    // Where each target keeps them: under the S3 target's prefix in its bucket, in the folder target's folder.
    const client = testS3Client();
    try {
      const keys = ((await client.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key);
      expect(keys).toContain(`second/${onS3}`);
    } finally {
      client.destroy();
    }
    expect(fs.readdirSync(folderA)).toContain(onNas);

    expect((await t.http.get('/api/backups/s3-two').expect(200)).body.map((b: { filename: string }) => b.filename)).toEqual([onS3]);
    expect((await t.http.get('/api/backups/nas').expect(200)).body.map((b: { filename: string }) => b.filename)).toEqual([onNas]);
    expect((await t.http.get('/api/backup-jobs?target=nas').expect(200)).body.map((j: { target: string }) => j.target)).toEqual(['nas']);

    const download = await t.http
      .get(`/api/backups/nas/${onNas}/download`)
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(download.status).toBe(200);
    expect(sha(download.body as Buffer)).toBe(sha(fs.readFileSync(path.join(folderA, onNas))));

    // Restore from the S3 target: downloaded, verified and staged; cancelled here so the databases stay.
    await t.http.post('/api/backups/s3-two/restore').send({ filename: onS3, restart: false }).expect(202);
    expect((await t.http.get('/api/backups/s3-two/restore/staged').expect(200)).body).toMatchObject({ target: 's3-two', archive: onS3 });
    await t.http.delete('/api/backups/s3-two/restore/staged').expect(200);

    // Verification and rotation reach it too.
    const verified = await t.http.post(`/api/backups/nas/${onNas}/verify`).expect(200);
    expect(verified.body.ok).toBe(true);
    expect((await t.http.post('/api/backups/nas/rotate').expect(200)).body).toMatchObject({ target: 'nas', deleted: [] });

    // An unknown target is 404 naming the ones there are.
    const unknown = await t.http.get('/api/backups/nope').expect(404);
    expect(unknown.body.message).toMatch(/'local', 'r2', 's3-two', 'nas'/);
  });

  it('refuses bad ids and fields with 400 naming the field, and changes nothing', async () => {
    const before = await targets();
    const cases: Array<[Record<string, unknown>, string | RegExp]> = [
      [{ id: 'Bad_Id', kind: 'folder', path: folderB }, 'id'],
      [{ id: 'x'.repeat(33), kind: 'folder', path: folderB }, 'id'],
      [{ id: 'local', kind: 'folder', path: folderB }, 'id'],
      [{ id: 'ftp-one', kind: 'ftp', path: folderB }, 'kind'],
      [{ id: 'rel', kind: 'folder', path: 'relative/folder' }, 'path'],
      [{ id: 'again', kind: 'folder', path: folderA }, 'path'],
      [{ id: 'datadir', kind: 'folder', path: t.dataDir }, 'path'],
      [{ id: 'cron', kind: 'folder', path: folderB, schedule: 'cron:0 25 * * *' }, 'schedule'],
      [{ id: 'words', kind: 'folder', path: folderB, schedule: 'every night' }, 'schedule'],
      [{ id: 'keep', kind: 'folder', path: folderB, keep_daily: 0 }, 'keep_daily'],
      [{ id: 'repl', kind: 'folder', path: folderB, replicate_from: 'nope' }, 'replicate_from'],
      [s3Target({ id: 'no-secret', secret_access_key: undefined, prefix: 'x/' }), 'secret_access_key'],
      [s3Target({ id: 'bad-url', endpoint: 'ftp://host', prefix: 'y/' }), 'endpoint'],
      [s3Target({ id: 'lock', prefix: 'z/', object_lock: { mode: 'forever', days: 3 } }), 'object_lock.mode'],
      [s3Target({ id: 'same-place' }), 'prefix'],
      [{ id: 'folder-s3', kind: 'folder', path: folderB, bucket: 'b' }, 'bucket'],
    ];
    for (const [body, field] of cases) {
      const res = await t.http.post('/api/targets').send(body).expect(400);
      expect([JSON.stringify(body).slice(0, 80), res.body.details?.field]).toEqual([JSON.stringify(body).slice(0, 80), field]);
      expect(res.body.message).toMatch(new RegExp(`^${String(field).replace('.', '\\.')}\\b|'${field}'|${field}`));
    }
    // The schedule is checked as r2_backup_schedule is, the message naming the field and, for cron, the cron field.
    for (const [schedule, message] of [
      ['cron:0 25 * * *', /^schedule: cron expression '0 25 \* \* \*': hour field '25': 25 is out of range 0-23/],
      ['cron:*/2 * * * *', /^schedule: cron expression '\*\/2 \* \* \* \*': minute field '\*\/2': runs 2 minutes apart/],
      ['every night', /^schedule must be daily, weekly, monthly, hourly or cron:/],
      [7, /^schedule must be daily, weekly, monthly, hourly or cron:<five fields> as a string/],
    ] as const) {
      const res = await t.http.post('/api/targets').send({ id: 'sched', kind: 'folder', path: folderB, schedule }).expect(400);
      expect(res.body.message).toMatch(message);
      expect((await t.http.patch('/api/targets/nas').send({ schedule }).expect(400)).body.details.field).toBe('schedule');
    }
    const unknownField = await t.http.post('/api/targets').send({ id: 'typo', kind: 'folder', path: folderB, pth: '/x' }).expect(400);
    expect(unknownField.body.message).toMatch(/Unknown field "pth"/);
    const taken = await t.http.post('/api/targets').send({ id: 'nas', kind: 'folder', path: folderB }).expect(409);
    expect(taken.body.message).toMatch(/already exists/);

    // A replication cycle: nas2 replicates from nas, then nas from nas2.
    await t.http.post('/api/targets').send({ id: 'nas2', kind: 'folder', path: folderB, replicate_from: 'nas' }).expect(201);
    const cycle = await t.http.patch('/api/targets/nas').send({ replicate_from: 'nas2' }).expect(400);
    expect(cycle.body.message).toMatch(/replicate_from 'nas2' would make a cycle \(nas → nas2 → nas\)/);
    expect((await t.http.patch('/api/targets/nas').send({ kind: 's3' }).expect(400)).body.details.field).toBe('kind');
    // nas is nas2's source: it cannot go while nas2 copies from it.
    expect((await t.http.delete('/api/targets/nas?confirm=true').expect(409)).body.message).toMatch(/source of 'nas2'/);
    await t.http.delete('/api/targets/nas2').expect(200);

    expect(await targets()).toEqual(before);
  });

  it('deletes a target only with confirmation while it holds backups, and never its backups', async () => {
    const held = fs.readdirSync(folderA).filter((name) => name.startsWith('sentinel-backup-'));
    expect(held).toHaveLength(1);
    const refused = await t.http.delete('/api/targets/nas').expect(409);
    expect(refused.body.message).toMatch(/still holds 1 backup in folder .*\?confirm=true/);
    expect((await targets()).map((x) => x.id)).toContain('nas');

    const deleted = await t.http.delete('/api/targets/nas?confirm=true').expect(200);
    expect(deleted.body).toEqual({ id: 'nas', deleted: true, backups_left: 1 });
    expect(fs.readdirSync(folderA).filter((name) => name.startsWith('sentinel-backup-'))).toEqual(held);
    await t.http.get('/api/backups/nas').expect(404);

    // An empty one goes without confirmation; the built-ins never go.
    await t.http.post('/api/targets').send({ id: 'empty', kind: 'folder', path: folderB }).expect(201);
    await t.http.delete('/api/targets/empty').expect(200);
    expect((await t.http.delete('/api/targets/local?confirm=true').expect(409)).body.message).toMatch(/built-in target and cannot be deleted/);
    await t.http.delete('/api/targets/r2').expect(409);
  });

  it('names the target’s own fields in Test Connection and never shows or logs its secrets', async () => {
    const wrong = 'wrong-secret-0123456789abcdef';
    await t.http.patch('/api/targets/s3-two').send({ secret_access_key: wrong }).expect(200);
    const test = await t.http.post('/api/targets/s3-two/test').expect(200);
    bodies.push(JSON.stringify(test.body));
    expect(test.body.ok).toBe(false);
    expect(test.body.checks.find((c: { ok: boolean }) => !c.ok).message).toMatch(/secret_access_key \(target 's3-two'\)/);
    const failed = await t.http.post('/api/backups/s3-two').expect(202);
    const job = await waitForJob(t.http, failed.body.id);
    bodies.push(JSON.stringify(job));
    expect(job.status).toBe('failed');
    await t.http.patch('/api/targets/s3-two').send({ secret_access_key: s3().secretAccessKey }).expect(200);
    bodies.push(JSON.stringify((await t.http.get('/api/targets/s3-two').expect(200)).body));
    bodies.push(JSON.stringify((await t.http.get('/api/audit?limit=1000').expect(200)).body));

    const log = fs.readFileSync(t.logFile, 'utf8');
    const configDb = fs.readFileSync(path.join(t.dataDir, 'config.db'));
    for (const secret of [s3().secretAccessKey, wrong]) {
      for (const body of bodies) expect(body.includes(secret)).toBe(false);
      expect(log.includes(secret)).toBe(false);
      expect(configDb.includes(Buffer.from(secret))).toBe(false);
    }
    // The access key ID is shown by GET /api/targets (it names the key), never logged.
    expect(log.includes(s3().accessKeyId)).toBe(false);

    const audit = (await t.http.get('/api/audit?limit=1000').expect(200)).body as Array<{ action: string; target: string | null }>;
    expect(audit.filter((e) => e.action.startsWith('target.')).map((e) => `${e.action} ${e.target}`)).toEqual(
      expect.arrayContaining(['target.create s3-two', 'target.change s3-two', 'target.delete nas', 'target.change r2']),
    );
  });
});
