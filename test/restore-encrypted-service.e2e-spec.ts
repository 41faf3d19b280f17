/**
 * Encrypted backups made by the service itself, restored and verified through the API: encryption turned
 * on through /api/encryption (the recovery key shown once, then confirmed), a backup, a full verification
 * and a restore applied at the next start, on the local folder and on R2 (the real S3 test server).
 * Write-only mode: the limited verification, a restore that asks for the recovery key and works with it,
 * a replaced object refused. Key rotation: backups under two keys, each restorable with the keyring.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Response } from 'supertest';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { expectedMarkers, fingerprint, handMadeBackup, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { ageEncrypt, ageKeygen, filesContaining } from './fixtures/encrypted-archives.js';
import { ScheduledJobRunner } from '../src/scheduling/scheduled-job-runner.js';
import { configureR2, putSettings } from './support/r2-settings.js';
import { createTestBucket, describeS3 } from './support/s3-server.js';
import { waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const NAMES = ALL_DATABASES;
type Target = 'local' | 'r2';

describe('Restore and verification of encrypted backups made by the service', () => {
  let root: string;
  let t: TestApp;
  beforeEach(async () => {
    root = makeScratchDir('sentinel-restore-enc-');
    t = await boot();
    await t.http.get('/api/settings').expect(200);
  });
  afterEach(async () => {
    await t?.close().catch(() => undefined);
    fs.rmSync(root, { recursive: true, force: true });
  });

  function boot(): Promise<TestApp> {
    return startTestApp({}, { root, keep: true });
  }
  async function restart(): Promise<void> {
    await t.close();
    t = await boot();
  }
  /** Turns encryption on for `target` and confirms the key; returns the recovery key and its recipient. */
  async function enable(target: Target, writeOnly = false): Promise<{ identity: string; recipient: string }> {
    const put = await t.http.put(`/api/encryption/${target}`).send({ enabled: true, write_only: writeOnly }).expect(200);
    expect(put.body).toMatchObject({ state: 'awaiting_confirmation', recovery_key: expect.stringMatching(/^AGE-SECRET-KEY-1/) });
    const confirmed = await t.http.post(`/api/encryption/${target}/confirm`).expect(200);
    expect(confirmed.body).toMatchObject({ state: 'active', write_only: writeOnly });
    return { identity: put.body.recovery_key as string, recipient: confirmed.body.recipients[0] as string };
  }
  async function backUp(target: Target): Promise<string> {
    const started = await t.http.post(`/api/backups/${target}`).expect(202);
    const job = await waitForJob(t.http, started.body.id);
    expect(job).toMatchObject({ status: 'succeeded' });
    expect(job.filename).toMatch(/\.tar\.gz\.age$/);
    return job.filename as string;
  }
  async function restoreAndApply(target: Target, filename: string, body: Record<string, unknown> = {}): Promise<Response> {
    const staged = await t.http
      .post(`/api/backups/${target}/restore`)
      .send({ filename, restart: false, ...body })
      .expect(202);
    await restart();
    expect((await t.http.get('/api/restore/status').expect(200)).body.last_apply).toMatchObject({ outcome: 'applied', archive: filename, target });
    expect(restoreWorkFiles(t.dataDir).filter((name) => !name.startsWith('pre-restore-backup-'))).toEqual([]);
    return staged;
  }

  async function roundTrip(target: Target): Promise<void> {
    await enable(target);
    await setMarkers(t.app, 'backed-up');
    const filename = await backUp(target);
    await setMarkers(t.app, 'changed');
    const verified = await t.http.post(`/api/backups/${target}/${filename}/verify`).expect(200);
    expect(verified.body).toMatchObject({ ok: true, encrypted: true, limited: false, made_here: true, problem: null });
    expect(verified.body.databases.map((d: { name: string }) => d.name)).toEqual(NAMES);
    await restoreAndApply(target, filename);
    expect(await markers(t.app)).toEqual(expectedMarkers('backed-up', NAMES));
  }

  it('local folder: encrypted backup, full verification, restore with the key the server holds', async () => {
    await roundTrip('local');
  });

  describeS3('R2 (the real S3 test server)', () => {
    it('encrypted backup to R2, full verification, restore from R2', async () => {
      await configureR2(t, await createTestBucket('restore-enc'));
      await roundTrip('r2');
    });
  });

  it('write-only mode: limited verification, a restore that asks for the recovery key and works with it; a replaced object refused; the key nowhere', async () => {
    const key = await enable('local', true);
    const answers: string[] = [];
    const seen = (res: Response) => (answers.push(JSON.stringify(res.headers), res.text ?? ''), res);
    await setMarkers(t.app, 'backed-up');
    const filename = await backUp('local');
    await setMarkers(t.app, 'changed');
    const stored = path.join(t.dataDir, 'backups', filename);
    const original = fs.readFileSync(stored);

    const limited = seen(await t.http.post(`/api/backups/local/${filename}/verify`).expect(200));
    expect(limited.body).toMatchObject({ ok: true, encrypted: true, limited: true, made_here: true, databases: [], problem: null });
    expect(limited.body.message).toMatch(
      /^Limited verification passed: no key on the server \(write-only mode\): checked that the stored archive is the one written .*; its databases were not opened$/,
    );
    // The weekly verification of the newest backup does the same.
    await putSettings(t, { local_backup_enabled: 1 });
    const weekly = await t.app.get(ScheduledJobRunner).verifyNewest('local');
    expect(weekly).toMatchObject({ outcome: 'succeeded', message: expect.stringContaining(`of ${filename}: ok: Limited verification passed`) as unknown });
    const kept = seen(await t.http.get('/api/verifications').expect(200));
    expect(kept.body).toEqual([expect.objectContaining({ archive: filename, ok: true, limited: true, made_here: true })]);
    const full = seen(await t.http.post(`/api/backups/local/${filename}/verify`).send({ identity: key.identity }).expect(200));
    expect(full.body).toMatchObject({ ok: true, limited: false, made_here: true });

    // Another valid age file to the same recipient (anyone with the recipient can make one), made now:
    // sqlite3's .backup of the live files may checkpoint their WAL, which the fingerprint below must not see.
    const work = path.join(root, 'replacement');
    const plain = handMadeBackup(t.dataDir, NAMES, work, 'other.tar.gz');
    const before = fingerprint(t.dataDir, NAMES);
    const required = seen(await t.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(422));
    expect(required.body).toMatchObject({ error: 'ENCRYPTION_KEY_REQUIRED', details: { recipients: [key.recipient] } });
    expect(required.body.message).toContain(
      `is encrypted for key ${key.recipient} and the server holds no key for it: send the recovery key of ${key.recipient}`,
    );

    const stranger = ageKeygen(path.join(root, 'keys'), 'stranger');
    const wrong = seen(await t.http.post('/api/backups/local/restore').send({ filename, identity: stranger.identity, restart: false }).expect(422));
    expect(wrong.body).toMatchObject({ error: 'ENCRYPTION_KEY_WRONG', details: { recipients: [key.recipient] } });
    expect(wrong.body.message).toContain(`is encrypted for key ${key.recipient}, and none of the keys tried opens it: supply its recovery key`);

    // The replacement put in place of the archive written.
    fs.writeFileSync(stored, fs.readFileSync(ageEncrypt(plain, path.join(work, 'other.tar.gz.age'), [key.recipient])));
    const failed = seen(await t.http.post(`/api/backups/local/${filename}/verify`).expect(200));
    expect(failed.body).toMatchObject({ ok: false, limited: true, made_here: false, problem: { check: 'made-here', file: filename } });
    expect(failed.body.message).toMatch(/^Limited verification FAILED: the stored archive is not the one this installation wrote/);
    const replaced = seen(await t.http.post('/api/backups/local/restore').send({ filename, identity: key.identity, restart: false }).expect(409));
    expect(replaced.body).toMatchObject({ error: 'ARCHIVE_NOT_MADE_HERE', details: { reason: 'differs_from_record' } });
    expect(replaced.body.message).toMatch(/^The stored archive .* is not the one this installation wrote: replaced\?/);
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);

    fs.writeFileSync(stored, original);
    seen(await restoreAndApply('local', filename, { identity: key.identity }));
    expect(await markers(t.app)).toEqual(expectedMarkers('backed-up', NAMES));

    await t.close();
    expect(answers.filter((text) => text.includes(key.identity))).toEqual([]);
    expect(filesContaining(t.dataDir, key.identity)).toEqual([]);
    expect(filesContaining(path.dirname(t.logFile), key.identity)).toEqual([]);
    t = await boot();
  });

  it("a hand-made archive (tar czf, age -r) encrypted to the server's own recipient: restored with the key the server holds, once confirmed", async () => {
    const key = await enable('local');
    await setMarkers(t.app, 'handmade');
    const work = path.join(root, 'handmade');
    const filename = 'sentinel-backup-2026-01-08-143022.tar.gz.age';
    const plain = handMadeBackup(t.dataDir, NAMES, work, 'handmade.tar.gz');
    fs.mkdirSync(path.join(t.dataDir, 'backups'), { recursive: true });
    ageEncrypt(plain, path.join(t.dataDir, 'backups', filename), [key.recipient]);
    await setMarkers(t.app, 'changed');
    await t.http
      .post('/api/backups/local/restore')
      .send({ filename, restart: false })
      .expect(409, /has no record of writing/);
    await restoreAndApply('local', filename, { confirm_unknown: true });
    expect(await markers(t.app)).toEqual(expectedMarkers('handmade', NAMES));
  });

  async function plainBackUp(target: Target): Promise<string> {
    const started = await t.http.post(`/api/backups/${target}`).expect(202);
    const job = await waitForJob(t.http, started.body.id);
    expect(job).toMatchObject({ status: 'succeeded' });
    expect(job.filename).toMatch(/\.tar\.gz$/);
    return job.filename as string;
  }

  it('plain archives: one written here and replaced is refused (409) and fails verification; with encryption on, one not written here needs "confirm_unknown"', async () => {
    await setMarkers(t.app, 'plain');
    const filename = await plainBackUp('local');
    const stored = path.join(t.dataDir, 'backups', filename);
    const original = fs.readFileSync(stored);
    const same = await t.http.post(`/api/backups/local/${filename}/verify`).expect(200);
    expect(same.body).toMatchObject({ ok: true, encrypted: false, made_here: true });

    // A valid plain archive of other data put in its place: without encryption too, the record says it is not the one written.
    await setMarkers(t.app, 'other');
    const plain = handMadeBackup(t.dataDir, NAMES, path.join(root, 'other'), 'other.tar.gz');
    await setMarkers(t.app, 'changed');
    fs.writeFileSync(stored, fs.readFileSync(plain));
    const before = fingerprint(t.dataDir, NAMES);
    const replaced = await t.http.post('/api/backups/local/restore').send({ filename, restart: false }).expect(409);
    expect(replaced.body).toMatchObject({ error: 'ARCHIVE_NOT_MADE_HERE', details: { reason: 'differs_from_record' } });
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    const failed = await t.http.post(`/api/backups/local/${filename}/verify`).expect(200);
    expect(failed.body).toMatchObject({ ok: false, encrypted: false, made_here: false, problem: { check: 'made-here', file: filename } });
    fs.writeFileSync(stored, original);

    // Encryption on: a plain archive with no record is what an attacker would upload to skip the check of encrypted ones.
    await enable('local');
    const unknown = 'sentinel-backup-2026-01-08-143022.tar.gz';
    fs.copyFileSync(plain, path.join(t.dataDir, 'backups', unknown));
    const refused = await t.http.post('/api/backups/local/restore').send({ filename: unknown, restart: false }).expect(409);
    expect(refused.body).toMatchObject({ error: 'ARCHIVE_NOT_MADE_HERE', details: { reason: 'no_record' } });
    expect(refused.body.message).toMatch(/^Encryption is on for this target, and the plain archive .* was not written by this installation/);
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    const unknownReport = await t.http.post(`/api/backups/local/${unknown}/verify`).expect(200);
    expect(unknownReport.body).toMatchObject({ ok: true, encrypted: false, made_here: false });
    // The one written here still restores without confirmation; the unknown one with it.
    await restoreAndApply('local', filename);
    expect(await markers(t.app)).toEqual(expectedMarkers('plain', NAMES));
    await restoreAndApply('local', unknown, { confirm_unknown: true });
    expect(await markers(t.app)).toEqual(expectedMarkers('other', NAMES));
  });

  it('write-only mode: a stored archive of another size fails the limited verification without being downloaded', async () => {
    await enable('local', true);
    const filename = await backUp('local');
    const stored = path.join(t.dataDir, 'backups', filename);
    fs.appendFileSync(stored, Buffer.alloc(4096));
    const res = await t.http.post(`/api/backups/local/${filename}/verify`).expect(200);
    expect(res.body).toMatchObject({ ok: false, limited: true, made_here: false, problem: { check: 'made-here', file: filename } });
    expect(res.body.message).toMatch(/stored now: \d+ bytes; not downloaded\)/);
  });

  it("the server's key does not open the stored archive: the verification and the weekly one report it failed, naming the key it needs", async () => {
    const key = await enable('local');
    const filename = await backUp('local');
    const stranger = ageKeygen(path.join(root, 'keys'), 'stranger');
    const plain = handMadeBackup(t.dataDir, NAMES, path.join(root, 'other'), 'other.tar.gz');
    ageEncrypt(plain, path.join(t.dataDir, 'backups', filename), [stranger.recipient]);
    const res = await t.http.post(`/api/backups/local/${filename}/verify`).expect(200);
    expect(res.body).toMatchObject({ ok: false, encrypted: true, limited: false, problem: { check: 'age', file: filename } });
    expect(res.body.message).toContain(`is encrypted for key ${key.recipient}, and none of the keys tried opens it`);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    await putSettings(t, { local_backup_enabled: 1 });
    const weekly = await t.app.get(ScheduledJobRunner).verifyNewest('local');
    expect(weekly).toMatchObject({ outcome: 'failed', message: expect.stringContaining(`of ${filename}: FAILED: Verification FAILED: `) as unknown });
  });

  it('key rotation: backups under two keys, each restored with the keyring', async () => {
    const first = await enable('local');
    await setMarkers(t.app, 'first');
    const one = await backUp('local');
    const rotated = await t.http.post('/api/encryption/local/rotate').expect(200);
    const second = rotated.body.recovery_key as string;
    expect(second).toMatch(/^AGE-SECRET-KEY-1/);
    expect(second).not.toBe(first.identity);
    await t.http.post('/api/encryption/local/confirm').expect(200);
    await setMarkers(t.app, 'second');
    const two = await backUp('local');
    const list = (await t.http.get('/api/backups/local').expect(200)).body;
    const recipientsOf = (name: string) => (list as Array<{ filename: string; recipients: string[] | null }>).find((b) => b.filename === name)?.recipients;
    expect(recipientsOf(one)).toEqual([first.recipient]);
    expect(recipientsOf(two)).not.toEqual([first.recipient]);
    await setMarkers(t.app, 'changed');

    await restoreAndApply('local', one);
    expect(await markers(t.app)).toEqual(expectedMarkers('first', NAMES));
    await restoreAndApply('local', two);
    expect(await markers(t.app)).toEqual(expectedMarkers('second', NAMES));
  });
});
