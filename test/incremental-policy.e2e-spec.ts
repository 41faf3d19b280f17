/**
 * A target's incremental-backup policy (issue 19) through /api/targets: shown by GET with its default, set and
 * merged by PATCH (the built-in local and r2 too, whose other fields are settings keys) and by POST, refused
 * naming the field with nothing changed, kept across a restart, and not inherited by a new target of a deleted
 * one's id. Real HTTP on the real service and its config.db.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
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
