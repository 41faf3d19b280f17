/**
 * Restoring archives encrypted with age that were made by hand, as a user on a new machine would have
 * them: `tar czf` of the spec's layout (real SQLite files, real checksums), then `age -r <recipient>`,
 * put into the local backup folder and into the S3 bucket. Every bad input is refused with its own
 * reason before anything is applied: the seven live databases stay byte-identical and nothing is left
 * in DATA_DIR. The recovery key given in a request is never in a response, the log, the flag or DATA_DIR.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import fs from 'node:fs';
import path from 'node:path';
import type { Response } from 'supertest';
import { ALL_DATABASES } from './fixtures/restore-archives.js';
import { expectedMarkers, fingerprint, handMadeBackup, markers, restoreWorkFiles, setMarkers } from './fixtures/restore-app.js';
import { addNoise, AGE_STORED_CHUNK, ageEncrypt, ageKeygen, type AgeKey, agePayloadStart, filesContaining } from './fixtures/encrypted-archives.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3Client } from './support/s3-server.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const NAMES = ALL_DATABASES;

/** `sentinel-backup-2026-01-08-1430SS.tar.gz.age`. */
const encryptedName = (n: number) => `sentinel-backup-2026-01-08-1430${String(n).padStart(2, '0')}.tar.gz.age`;
const plainName = (n: number) => `sentinel-backup-2026-01-08-1430${String(n).padStart(2, '0')}.tar.gz`;

describe('Restore of encrypted archives made by hand (tar czf, then age -r)', () => {
  let root: string;
  let t: TestApp;
  let mine: AgeKey;
  let stranger: AgeKey;
  /** The hand-made plain archive of the databases marked v1, and its age-encrypted twin (to `mine`). */
  let plain: string;
  let encrypted: string;
  /** Every answer's body and headers, searched for the key at the end. */
  const answers: string[] = [];
  const backups = () => path.join(t.dataDir, 'backups');
  const keysDir = () => path.join(root, 'keys');

  async function boot(): Promise<TestApp> {
    return startTestApp({}, { root, keep: true });
  }
  function seen(res: Response): Response {
    answers.push(JSON.stringify(res.headers), res.text ?? '');
    return res;
  }
  /** Puts `bytes` into the local backup folder as `name`. */
  function put(name: string, bytes: Buffer | string): string {
    fs.writeFileSync(path.join(backups(), name), typeof bytes === 'string' ? fs.readFileSync(bytes) : bytes);
    return name;
  }
  const restore = async (body: Record<string, unknown>) => seen(await t.http.post('/api/backups/local/restore').send({ restart: false, ...body }));

  /** A refused restore: its status, code and message; the live databases byte-identical and nothing left in DATA_DIR. */
  async function refused(body: Record<string, unknown>, status: number, code: string): Promise<Response> {
    const before = fingerprint(t.dataDir, NAMES);
    const res = await restore(body);
    expect({ status: res.status, code: res.body.error }).toEqual({ status, code });
    expect(fingerprint(t.dataDir, NAMES)).toEqual(before);
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
    expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
    return res;
  }

  beforeAll(async () => {
    root = makeScratchDir('sentinel-restore-age-');
    t = await boot();
    await setMarkers(t.app, 'v1');
    // Random rows: the archive spans several 64 KiB age chunks.
    await addNoise(t.app, 48 * 1024);
    await t.http.get('/api/settings').expect(200);
    fs.mkdirSync(backups(), { recursive: true });
    mine = ageKeygen(keysDir(), 'mine');
    stranger = ageKeygen(keysDir(), 'stranger');
    plain = handMadeBackup(t.dataDir, NAMES, path.join(root, 'handmade'), plainName(0));
    encrypted = ageEncrypt(plain, path.join(root, 'handmade', encryptedName(0)), [mine.recipient]);
    expect(fs.statSync(encrypted).size).toBeGreaterThan(agePayloadStart(fs.readFileSync(encrypted)) + 3 * AGE_STORED_CHUNK);
    await setMarkers(t.app, 'v2');
  });
  afterAll(async () => {
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('without a key: 422 ENCRYPTION_KEY_REQUIRED, asking for its recovery key, before any download', async () => {
    const filename = put(encryptedName(1), encrypted);
    const res = await refused({ filename }, 422, 'ENCRYPTION_KEY_REQUIRED');
    expect(res.body.message).toMatch(/is encrypted .* the server holds no key for it: send its recovery key in the request \("identity"/);
  });

  it('a recovery key that is not one: 400 ENCRYPTION_KEY_INVALID, without repeating it', async () => {
    const filename = put(encryptedName(2), encrypted);
    const notAKey = `AGE-SECRET-KEY-1${mine.identity.slice(16, 40)}NOTAKEY`;
    const res = await refused({ filename, identity: notAKey, confirm_unknown: true }, 400, 'ENCRYPTION_KEY_INVALID');
    expect(res.body.message).toMatch(/^"identity" is not an age recovery key: /);
    expect(res.text).not.toContain(notAKey);
    expect(res.text).not.toContain(mine.identity.slice(16, 40));
  });

  it('an archive this installation did not write: 409 ARCHIVE_NOT_MADE_HERE saying why and what to send', async () => {
    const filename = put(encryptedName(3), encrypted);
    const res = await refused({ filename, identity: mine.identity }, 409, 'ARCHIVE_NOT_MADE_HERE');
    expect(res.body.message).toBe(
      `This installation has no record of writing ${filename}: anyone with a recipient can make a valid encrypted archive. ` +
        'If you trust it (a new machine after a disaster), send "confirm_unknown": true',
    );
  });

  it('the wrong key: 422 ENCRYPTION_KEY_WRONG', async () => {
    const filename = put(encryptedName(4), encrypted);
    const res = await refused({ filename, identity: stranger.identity, confirm_unknown: true }, 422, 'ENCRYPTION_KEY_WRONG');
    expect(res.body.message).toMatch(/none of the keys tried opens it: supply its recovery key/);
  });

  it('a plain gzip named .tar.gz.age, and an age file named .tar.gz: each refused with its own check', async () => {
    const asAge = put(encryptedName(5), plain);
    const one = await refused({ filename: asAge, identity: mine.identity, confirm_unknown: true }, 422, 'ARCHIVE_INVALID');
    expect(one.body.details).toEqual({ check: 'missing-encryption', file: asAge });
    expect(one.body.message).toMatch(/expected an age-encrypted archive, found a plain gzip/);

    const asPlain = put(plainName(6), encrypted);
    const two = await refused({ filename: asPlain }, 422, 'ARCHIVE_INVALID');
    expect(two.body.details).toEqual({ check: 'unexpected-encryption', file: asPlain });
    expect(two.body.message).toMatch(/is named \.tar\.gz but encrypted with age/);
  });

  it('a byte changed in the middle: refused at the damaged chunk, before anything is applied', async () => {
    const bytes = fs.readFileSync(encrypted);
    const start = agePayloadStart(bytes);
    const at = start + AGE_STORED_CHUNK + 1000;
    bytes[at] ^= 0x01;
    const filename = put(encryptedName(7), bytes);
    const res = await refused({ filename, identity: mine.identity, confirm_unknown: true }, 422, 'ARCHIVE_INVALID');
    expect(res.body.details).toMatchObject({ check: 'age', file: filename, reason: 'damaged', chunk: 1 });
    expect(res.body.message).toMatch(/is damaged at chunk 1 of its encrypted data: the archive was changed after it was made/);
  });

  it('cut short at a chunk boundary: refused as cut short; inside a chunk: as damaged or cut short there; before anything is applied', async () => {
    const bytes = fs.readFileSync(encrypted);
    const start = agePayloadStart(bytes);
    const atBoundary = put(encryptedName(8), bytes.subarray(0, start + 2 * AGE_STORED_CHUNK));
    const one = await refused({ filename: atBoundary, identity: mine.identity, confirm_unknown: true }, 422, 'ARCHIVE_INVALID');
    expect(one.body.details).toMatchObject({ check: 'age', file: atBoundary, reason: 'truncated' });
    expect(one.body.message).toMatch(/is cut short: its encrypted data ends before its last chunk/);

    const inside = put(encryptedName(9), bytes.subarray(0, start + 2 * AGE_STORED_CHUNK + 777));
    const two = await refused({ filename: inside, identity: mine.identity, confirm_unknown: true }, 422, 'ARCHIVE_INVALID');
    expect(two.body.details).toMatchObject({ check: 'age', file: inside, reason: 'damaged', chunk: 2 });
    expect(two.body.message).toMatch(/is damaged at chunk 2 of its encrypted data: the archive was changed after it was made, or cut short inside that chunk/);
  });

  it("verify: with the key file's text in the body, in full; without any key and no record, 422 naming what it needs", async () => {
    const filename = put(encryptedName(10), encrypted);
    const full = seen(await t.http.post(`/api/backups/local/${filename}/verify`).send({ identity: fs.readFileSync(mine.file, 'utf8') }));
    expect(full.status).toBe(200);
    expect(full.body).toMatchObject({ ok: true, encrypted: true, limited: false, made_here: false, problem: null });
    expect(full.body.databases.map((d: { name: string }) => d.name)).toEqual(NAMES);
    const none = seen(await t.http.post(`/api/backups/local/${filename}/verify`));
    expect(none.status).toBe(422);
    expect(none.body.error).toBe('ENCRYPTION_KEY_REQUIRED');
    expect(restoreWorkFiles(t.dataDir)).toEqual([]);
  });

  it('restores with the key in the body and "confirm_unknown": true; the databases come back; the key is nowhere', async () => {
    const filename = put(encryptedName(11), encrypted);
    const staged = await restore({ filename, identity: mine.identity, confirm_unknown: true });
    expect(staged.status).toBe(202);
    expect(staged.body).toMatchObject({ archive: filename, target: 'local', state: 'staged', backup_timestamp: '2026-01-08T14:30:22Z' });
    expect(await markers(t.app)).toEqual(expectedMarkers('v2', NAMES));
    // The flag and the staging folder, before the apply.
    expect(filesContaining(t.dataDir, mine.identity)).toEqual([]);
    await t.close();
    t = await boot();
    expect(await markers(t.app)).toEqual(expectedMarkers('v1', NAMES));
    expect(seen(await t.http.get('/api/restore/status')).body.last_apply).toMatchObject({ outcome: 'applied', archive: filename, target: 'local' });

    await t.close();
    for (const secret of [mine.identity, stranger.identity]) {
      expect(answers.filter((text) => text.includes(secret) || text.includes(secret.toLowerCase()))).toEqual([]);
      expect(filesContaining(t.dataDir, secret)).toEqual([]);
      expect(filesContaining(path.dirname(t.logFile), secret)).toEqual([]);
    }
    t = await boot();
  });

  describeS3('R2 (the real S3 test server)', () => {
    it('restores a hand-made encrypted archive put into the bucket, with the key in the body', async () => {
      await setMarkers(t.app, 'v3');
      const bucket = await createTestBucket('restore-age');
      await configureR2(t, bucket);
      const filename = encryptedName(20);
      const client = testS3Client();
      try {
        await client.send(new PutObjectCommand({ Bucket: bucket, Key: filename, Body: fs.readFileSync(encrypted) }));
      } finally {
        client.destroy();
      }
      const without = seen(await t.http.post('/api/backups/r2/restore').send({ filename, identity: mine.identity, restart: false }));
      expect(without.status).toBe(409);
      const staged = seen(await t.http.post('/api/backups/r2/restore').send({ filename, identity: mine.identity, confirm_unknown: true, restart: false }));
      expect(staged.status).toBe(202);
      await t.close();
      t = await boot();
      expect(await markers(t.app)).toEqual(expectedMarkers('v1', NAMES));
      expect(filesContaining(t.dataDir, mine.identity)).toEqual([]);
      expect(answers.filter((text) => text.includes(mine.identity))).toEqual([]);
    });
  });
});
