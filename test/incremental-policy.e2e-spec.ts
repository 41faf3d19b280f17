/**
 * A target's incremental-backup policy (issue 19) through /api/targets: shown by GET with its default, set and
 * merged by PATCH (the built-in local and r2 too, whose other fields are settings keys) and by POST, refused
 * naming the field with nothing changed, kept across a restart, and not inherited by a new target of a deleted
 * one's id. POST /api/backups/{target} takes {"kind": "full" | "incremental"}, refused while the policy is off, and
 * the job says what was asked, what was made and why. Real HTTP on the real service, its config.db and its folder.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { BackupCompletedEvent } from '../src/backup/backup.events.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const DEFAULT = { enabled: false, full_every: 'daily', max_chain_ratio: 0.5 };

describe('Incremental policy of a target (issue 19)', () => {
  let t: TestApp;
  let scratch: string;

  beforeEach(async () => {
    t = await startTestApp({}, { keep: true });
    scratch = makeScratchDir('sentinel-incr-policy-');
  });
  afterEach(async () => {
    await t.close();
    fs.rmSync(t.root, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const target = async (id: string) => (await t.http.get(`/api/targets/${id}`).expect(200)).body;
  const policies = async () => Object.fromEntries((await t.http.get('/api/targets').expect(200)).body.map((x: any) => [x.id, x.incremental]));

  it('every target shows the default; PATCH sets and merges it on local and r2, GET shows it, a restart keeps it', async () => {
    expect(await policies()).toEqual({ local: DEFAULT, r2: DEFAULT });

    const on = await t.http
      .patch('/api/targets/local')
      .send({ incremental: { enabled: true } })
      .expect(200);
    expect(on.body.incremental).toEqual({ enabled: true, full_every: 'daily', max_chain_ratio: 0.5 });
    const merged = await t.http
      .patch('/api/targets/local')
      .send({ incremental: { full_every: 96 }, retention_days: 30 })
      .expect(200);
    expect(merged.body).toMatchObject({ retention_days: 30, incremental: { enabled: true, full_every: 96, max_chain_ratio: 0.5 } });
    await t.http
      .patch('/api/targets/r2')
      .send({ incremental: { full_every: 'weekly', max_chain_ratio: 0.25 } })
      .expect(200);
    const expected = { local: { enabled: true, full_every: 96, max_chain_ratio: 0.5 }, r2: { enabled: false, full_every: 'weekly', max_chain_ratio: 0.25 } };
    expect(await policies()).toEqual(expected);
    // Not a settings key: GET /api/settings is as it was.
    const keys = (await t.http.get('/api/settings').expect(200)).body.map((s: any) => s.key);
    expect(keys.filter((key: string) => key.includes('incremental'))).toEqual([]);

    const root = t.root;
    await t.close(); // keep: the folder stays for the next start
    t = await startTestApp({}, { root, keep: true });
    expect(await policies()).toEqual(expected);
  });

  it('POST takes it for an added target; PATCH merges; a target added again under a deleted one’s id starts from the default', async () => {
    const created = await t.http
      .post('/api/targets')
      .send({ id: 'nas', kind: 'folder', path: path.join(scratch, 'nas'), incremental: { enabled: true, full_every: 'weekly' } })
      .expect(201);
    expect(created.body.incremental).toEqual({ enabled: true, full_every: 'weekly', max_chain_ratio: 0.5 });
    await t.http
      .patch('/api/targets/nas')
      .send({ incremental: { max_chain_ratio: 2 } })
      .expect(200);
    expect((await target('nas')).incremental).toEqual({ enabled: true, full_every: 'weekly', max_chain_ratio: 2 });
    const plain = await t.http
      .post('/api/targets')
      .send({ id: 'usb', kind: 'folder', path: path.join(scratch, 'usb') })
      .expect(201);
    expect(plain.body.incremental).toEqual(DEFAULT);

    await t.http.delete('/api/targets/nas').expect(200);
    await t.http
      .post('/api/targets')
      .send({ id: 'nas', kind: 'folder', path: path.join(scratch, 'nas') })
      .expect(201);
    expect((await target('nas')).incremental).toEqual(DEFAULT);
  });

  it.each([
    [{ incremental: true }, 'incremental', 'incremental must be an object'],
    [{ incremental: { enabled: true, every: 2 } }, 'incremental', 'takes only enabled, full_every and max_chain_ratio'],
    [{ incremental: { enabled: 1 } }, 'incremental.enabled', 'incremental.enabled must be true or false, got 1'],
    [
      { incremental: { full_every: 0 } },
      'incremental.full_every',
      'incremental.full_every must be "daily", "weekly" or a whole number of increments from 1 to 10000',
    ],
    [{ incremental: { full_every: 'monthly' } }, 'incremental.full_every', 'got "monthly"'],
    [{ incremental: { max_chain_ratio: 11 } }, 'incremental.max_chain_ratio', 'incremental.max_chain_ratio must be a number from 0.01 to 10'],
    // A good field beside the bad one is not written either.
    [{ retention_days: 7, incremental: { enabled: true, max_chain_ratio: 0 } }, 'incremental.max_chain_ratio', 'got 0'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (body, field, message) => {
    await t.http
      .post('/api/targets')
      .send({ id: 'nas', kind: 'folder', path: path.join(scratch, 'nas') })
      .expect(201);
    const before = { local: await target('local'), r2: await target('r2'), nas: await target('nas') };
    for (const id of ['local', 'r2', 'nas']) {
      const refused = await t.http.patch(`/api/targets/${id}`).send(body).expect(400);
      expect(refused.body.details).toMatchObject({ field });
      expect(refused.body.message).toContain(message);
    }
    const created = await t.http
      .post('/api/targets')
      .send({ id: 'other', kind: 'folder', path: path.join(scratch, 'other'), ...body })
      .expect(400);
    expect(created.body.details).toMatchObject({ field });
    expect({ local: await target('local'), r2: await target('r2'), nas: await target('nas') }).toEqual(before);
    await t.http.get('/api/targets/other').expect(404);
  });
});

describe('POST /api/backups/{target} with a kind (issue 19)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startTestApp({ SENTINEL_DUPLICATE_WINDOW_MINUTES: '0' });
    await seedDatabases(t.app, { rows: 20 });
  });
  afterEach(async () => {
    await t.close();
  });

  const listed = async () => (await t.http.get('/api/backups/local').expect(200)).body;
  const backUp = async (body?: object) => {
    const started = body === undefined ? t.http.post('/api/backups/local') : t.http.post('/api/backups/local').send(body);
    return waitForJob(t.http, (await started.expect(202)).body.id);
  };

  it('refuses an increment while the policy is off (409) and a wrong body (400), starting nothing; no body is a backup as before', async () => {
    const off = await t.http.post('/api/backups/local').send({ kind: 'incremental' }).expect(409);
    expect(off.body).toMatchObject({ error: 'INCREMENTAL_NOT_ENABLED', details: { target: 'local' } });
    expect(off.body.message).toBe('Turn on incremental backups for local first: PATCH /api/targets/local with {"incremental": {"enabled": true}}');
    const wrong = await t.http.post('/api/backups/local').send({ kind: 'differential' }).expect(400);
    expect(wrong.body.details).toMatchObject({ field: 'kind' });
    expect(wrong.body.message).toContain('kind must be "full" or "incremental"');
    const extra = await t.http.post('/api/backups/local').send({ kind: 'full', when: 'now' }).expect(400);
    expect(extra.body.message).toContain('when');
    expect(await listed()).toEqual([]);

    const plain = await backUp();
    expect(plain).toMatchObject({ status: 'succeeded', kind: 'backup', requested_kind: null, backup_kind: 'full', kind_reason: null });
    expect(plain.filename).toMatch(/^sentinel-backup-/);
    const full = await backUp({ kind: 'full' });
    expect(full).toMatchObject({ status: 'succeeded', requested_kind: 'full', backup_kind: 'full' });
  });

  it('with the policy on, an asked increment extends the chain; the first is full and says why; an asked full one says so', async () => {
    await t.http
      .patch('/api/targets/local')
      .send({ incremental: { enabled: true, full_every: 100, max_chain_ratio: 10 } })
      .expect(200);
    const completed: BackupCompletedEvent[] = [];
    t.app.get(EventEmitter2).on(BackupCompletedEvent.eventName, (event: BackupCompletedEvent) => completed.push(event));
    const first = await backUp({ kind: 'incremental' });
    expect(first).toMatchObject({ status: 'succeeded', requested_kind: 'incremental', backup_kind: 'full', kind_reason: expect.any(String) });
    expect(first.filename).toMatch(/^sentinel-backup-/);
    await seedDatabases(t.app, { rows: 5 });
    const second = await backUp({ kind: 'incremental' });
    expect(second).toMatchObject({ status: 'succeeded', requested_kind: 'incremental', backup_kind: 'incremental', kind_reason: null });
    expect(second.filename).toMatch(/^sentinel-incremental-/);
    expect((await listed()).map((b: any) => [b.filename, b.kind, b.base, b.parent])).toEqual([
      [second.filename, 'incremental', first.filename, first.filename],
      [first.filename, 'full', null, null],
    ]);
    const asked = await backUp({ kind: 'full' });
    expect(asked).toMatchObject({ requested_kind: 'full', backup_kind: 'full', kind_reason: 'a full backup was asked for' });
    // The stored job says the same after it ended.
    expect((await t.http.get(`/api/backup-jobs/${second.id}`).expect(200)).body).toMatchObject({ requested_kind: 'incremental', backup_kind: 'incremental' });
    // The completed events (what notifications and other listeners read) and the run history carry the same kind and reason.
    expect(completed.map((e) => [e.jobId, e.filename, e.backupKind, e.kindReason])).toEqual([
      [first.id, first.filename, 'full', first.kind_reason],
      [second.id, second.filename, 'incremental', null],
      [asked.id, asked.filename, 'full', 'a full backup was asked for'],
    ]);
    const rows = (await t.http.get('/api/runs?kind=backup').expect(200)).body;
    expect(rows.map((r: any) => [r.id, r.backup_kind])).toEqual([
      [asked.id, 'full'],
      [second.id, 'incremental'],
      [first.id, 'full'],
    ]);
  });
});
