/**
 * The encryption API of issue 14 (/api/encryption/{target}) through real HTTP on the real app: the key
 * lifecycle (off → awaiting confirmation → active, rotation, off again), write-only mode, every refusal with
 * its own error and nothing changed, a restart, and the recovery key checked with the real age and
 * age-keygen commands. Then a search for the identities everywhere they must not be.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import type { Response } from 'supertest';
import { AuditLog } from '../src/audit/audit-log.js';
import { ArchiveEncryption } from '../src/encryption/archive-encryption.service.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { makeScratchDir, startTestApp, type TestApp } from './support/test-app.js';

const IDENTITY = /^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/;

describe('Encryption API', () => {
  let t: TestApp;
  /** Where the test keeps recovery keys for the age command: outside the app's folders, which the leak check searches. */
  let keyDir: string;
  beforeEach(async () => {
    t = await startTestApp();
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'encryption-keys-'));
  });
  afterEach(async () => {
    await t.close();
    fs.rmSync(keyDir, { recursive: true, force: true });
  });

  const get = async (target = 'local') => (await t.http.get(`/api/encryption/${target}`).expect(200)).body;
  const encryption = () => t.app.get(ArchiveEncryption);

  /** `age-keygen -y` of a recovery key: the recipient the age command derives from it. */
  function recipientByAgeKeygen(identity: string): string {
    const file = path.join(keyDir, `key-${Date.now()}-${Math.random()}.txt`);
    fs.writeFileSync(file, `${identity}\n`, { mode: 0o600 });
    return execFileSync('age-keygen', ['-y', file], { encoding: 'utf8' }).trim();
  }

  /** Encrypts with `age -r recipient` and decrypts with `age -d -i` the recovery key: the key pair works with the real tool. */
  function roundTripsWithAge(recipient: string, identity: string): void {
    const plain = path.join(keyDir, 'plain.txt');
    fs.writeFileSync(plain, 'ledger rows 42\n');
    const sealed = path.join(keyDir, 'plain.txt.age');
    execFileSync('age', ['-r', recipient, '-o', sealed, plain]);
    const keyFile = path.join(keyDir, 'recovery-key.txt');
    fs.writeFileSync(keyFile, `${identity}\n`, { mode: 0o600 });
    expect(execFileSync('age', ['-d', '-i', keyFile, sealed], { encoding: 'utf8' })).toBe('ledger rows 42\n');
  }

  it('the lifecycle: off → on with a recovery key shown once → confirmed → rotated → off, keys kept', async () => {
    expect(await get()).toEqual({
      target: 'local',
      state: 'off',
      write_only: false,
      recipients: [],
      key_recipient: null,
      pending_recipient: null,
      user_recipients: [],
      keys: [],
    });

    const on = (await t.http.put('/api/encryption/local').send({ enabled: true }).expect(200)).body;
    expect(on.recovery_key).toMatch(IDENTITY);
    const first = on.recovery_key as string;
    const firstRecipient = recipientByAgeKeygen(first);
    expect(on).toMatchObject({
      state: 'awaiting_confirmation',
      write_only: false,
      key_recipient: null,
      pending_recipient: firstRecipient,
      recipients: [firstRecipient],
    });
    expect(on.keys).toEqual([
      { recipient: firstRecipient, created_at: expect.any(String), confirmed_at: null, retired_at: null, identity_stored: true, current: false, pending: true },
    ]);
    // Not encrypting yet: the user has not confirmed they kept the key.
    expect(await encryption().recipientsFor('local')).toBeUndefined();
    expect(await encryption().identitiesFor('local')).toEqual([]);
    // GET never shows it again.
    const awaiting = await t.http.get('/api/encryption/local').expect(200);
    expect(awaiting.body.recovery_key).toBeUndefined();
    expect(awaiting.text).not.toContain(first);
    expect(awaiting.body).toMatchObject({ state: 'awaiting_confirmation', pending_recipient: firstRecipient });

    const active = (await t.http.post('/api/encryption/local/confirm').expect(200)).body;
    expect(active).toMatchObject({ state: 'active', key_recipient: firstRecipient, pending_recipient: null, recipients: [firstRecipient] });
    expect(active.recovery_key).toBeUndefined();
    expect(active.keys[0]).toMatchObject({ current: true, pending: false, confirmed_at: expect.any(String) });
    expect(await encryption().recipientsFor('local')).toEqual([firstRecipient]);
    expect(await encryption().identitiesFor('local')).toEqual([first]);
    roundTripsWithAge(active.key_recipient, first);

    const rotated = (await t.http.post('/api/encryption/local/rotate').expect(200)).body;
    const second = rotated.recovery_key as string;
    expect(second).toMatch(IDENTITY);
    const secondRecipient = recipientByAgeKeygen(second);
    expect(rotated).toMatchObject({ state: 'active', key_recipient: firstRecipient, pending_recipient: secondRecipient });
    // Backups keep the confirmed key until the new one is confirmed.
    expect(await encryption().recipientsFor('local')).toEqual([firstRecipient]);
    const confirmed = (await t.http.post('/api/encryption/local/confirm').expect(200)).body;
    expect(confirmed).toMatchObject({ state: 'active', key_recipient: secondRecipient, pending_recipient: null });
    expect(confirmed.keys).toEqual([
      expect.objectContaining({ recipient: firstRecipient, current: false, retired_at: expect.any(String), identity_stored: true }),
      expect.objectContaining({ recipient: secondRecipient, current: true, retired_at: null, identity_stored: true }),
    ]);
    expect(await encryption().recipientsFor('local')).toEqual([secondRecipient]);
    expect(await encryption().identitiesFor('local')).toEqual([second, first]);
    roundTripsWithAge(secondRecipient, second);

    const exported = (await t.http.post('/api/encryption/local/export').expect(200)).body;
    expect(exported).toEqual({ target: 'local', recipient: secondRecipient, recovery_key: second });

    const off = (await t.http.put('/api/encryption/local').send({ enabled: false }).expect(200)).body;
    expect(off).toMatchObject({ state: 'off', key_recipient: secondRecipient });
    expect(off.recovery_key).toBeUndefined();
    expect(off.keys).toHaveLength(2);
    expect(await encryption().recipientsFor('local')).toBeUndefined();
    // Older encrypted backups still restore: the keys stay.
    expect(await encryption().identitiesFor('local')).toEqual([second, first]);
    // On again: the confirmed key, no new one.
    const again = (await t.http.put('/api/encryption/local').send({ enabled: true }).expect(200)).body;
    expect(again).toMatchObject({ state: 'active', key_recipient: secondRecipient });
    expect(again.recovery_key).toBeUndefined();
    expect((await get('r2')).state).toBe('off');

    const audit = (await t.http.get('/api/audit').expect(200)).body as Array<{ action: string; target: string; outcome: string }>;
    expect(audit.map((entry) => entry.action).reverse()).toEqual([
      'encryption.enable',
      'encryption.confirm',
      'encryption.rotate',
      'encryption.confirm',
      'encryption.export',
      'encryption.disable',
      'encryption.enable',
    ]);
    expect(audit.every((entry) => entry.target === 'local' && entry.outcome === 'ok')).toBe(true);
  });

  it('write-only: the recovery key is shown once and never stored; switching an active target to it deletes the stored identities', async () => {
    const mine = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const myRecipient = /public key: (age1\w+)/.exec(mine)![1];
    const on = (
      await t.http
        .put('/api/encryption/r2')
        .send({ enabled: true, write_only: true, recipients: [myRecipient] })
        .expect(200)
    ).body;
    expect(on.recovery_key).toMatch(IDENTITY);
    const recipient = recipientByAgeKeygen(on.recovery_key);
    expect(on).toMatchObject({ state: 'awaiting_confirmation', write_only: true, user_recipients: [myRecipient], recipients: [recipient, myRecipient] });
    expect(on.keys).toEqual([expect.objectContaining({ recipient, identity_stored: false })]);
    await t.http.post('/api/encryption/r2/confirm').expect(200);
    expect(await encryption().recipientsFor('r2')).toEqual([recipient, myRecipient]);
    expect(await encryption().identitiesFor('r2')).toEqual([]);
    roundTripsWithAge(recipient, on.recovery_key);
    const refused = await t.http.post('/api/encryption/r2/export').expect(409);
    expect(refused.body).toMatchObject({ error: 'ENCRYPTION_STATE_CONFLICT' });
    expect(refused.body.message).toMatch(/write-only/);

    // An active target with a stored identity switched to write-only.
    await t.http.put('/api/encryption/local').send({ enabled: true }).expect(200);
    await t.http.post('/api/encryption/local/confirm').expect(200);
    expect(await encryption().identitiesFor('local')).toHaveLength(1);
    // Not unasked: the identity would be gone for good. The refusal lists the keys and says to export them first.
    const before = await get('local');
    const unasked = await t.http.put('/api/encryption/local').send({ enabled: true, write_only: true }).expect(409);
    expect(unasked.body).toMatchObject({ error: 'ENCRYPTION_STATE_CONFLICT', details: { identities_held: [before.key_recipient] } });
    expect(unasked.body.message).toMatch(/Export each you do not have first.*"forget_identities": true/);
    expect(await get('local')).toEqual(before);
    expect(await encryption().identitiesFor('local')).toHaveLength(1);
    const writeOnly = (await t.http.put('/api/encryption/local').send({ enabled: true, write_only: true, forget_identities: true }).expect(200)).body;
    expect(writeOnly).toMatchObject({ state: 'active', write_only: true });
    expect(writeOnly.recovery_key).toBeUndefined();
    expect(writeOnly.keys).toEqual([expect.objectContaining({ identity_stored: false, current: true })]);
    expect(await encryption().identitiesFor('local')).toEqual([]);
    const audit = (await t.http.get('/api/audit?limit=1').expect(200)).body;
    expect(audit[0]).toMatchObject({ action: 'encryption.enable-write-only', target: 'local', outcome: 'ok' });

    // And back: a new key the server holds, to confirm; backups stay encrypted to the current key meanwhile.
    const back = (await t.http.put('/api/encryption/local').send({ enabled: true, write_only: false }).expect(200)).body;
    expect(back.recovery_key).toMatch(IDENTITY);
    expect(back).toMatchObject({
      state: 'active',
      write_only: false,
      key_recipient: writeOnly.key_recipient,
      pending_recipient: recipientByAgeKeygen(back.recovery_key),
    });
    await t.http.post('/api/encryption/local/confirm').expect(200);
    expect(await encryption().identitiesFor('local')).toEqual([back.recovery_key]);
  });

  it('export of a retired key by its recipient, recorded before the answer; no answer when the audit entry cannot be written', async () => {
    const first = (await t.http.put('/api/encryption/local').send({ enabled: true }).expect(200)).body.recovery_key;
    await t.http.post('/api/encryption/local/confirm').expect(200);
    const second = (await t.http.post('/api/encryption/local/rotate').expect(200)).body.recovery_key;
    await t.http.post('/api/encryption/local/confirm').expect(200);
    const firstRecipient = recipientByAgeKeygen(first);
    const retired = (await t.http.post('/api/encryption/local/export').send({ recipient: firstRecipient }).expect(200)).body;
    expect(retired).toEqual({ target: 'local', recipient: firstRecipient, recovery_key: first });
    roundTripsWithAge(firstRecipient, retired.recovery_key);
    expect((await t.http.post('/api/encryption/local/export').expect(200)).body.recovery_key).toBe(second);
    const exports = ((await t.http.get('/api/audit').expect(200)).body as Array<{ action: string; subject: string | null; outcome: string }>).filter(
      (entry) => entry.action === 'encryption.export',
    );
    // One entry per export (not one before and one after the answer), naming the key handed out.
    expect(exports).toEqual([
      expect.objectContaining({ subject: recipientByAgeKeygen(second), outcome: 'ok', status_code: 200 }),
      expect.objectContaining({ subject: firstRecipient, outcome: 'ok', status_code: 200 }),
    ]);
    await t.http.post('/api/encryption/local/export').send({ recipient: generateRecipient() }).expect(404);
    const asSecret = await t.http
      .post('/api/encryption/local/export')
      .send({ recipient: ` ${first}` })
      .expect(400);
    expect(JSON.stringify(asSecret.body)).not.toContain(first.slice(16, 40));

    // The audit log cannot be written (its file replaced by a folder): the key is not handed out.
    t.app.get(AuditLog).onModuleDestroy();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(t.dataDir, `.audit.db${suffix}`), { force: true });
    fs.mkdirSync(path.join(t.dataDir, '.audit.db'));
    const exportedLines = () =>
      fs
        .readFileSync(t.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('was exported')).length;
    const loggedBefore = exportedLines();
    try {
      const refused = await t.http.post('/api/encryption/local/export').expect(500);
      expect(refused.body).toMatchObject({ error: 'INTERNAL' });
      // The service log does not say the key left either: the audit entry comes first, and there was none.
      expect(exportedLines()).toBe(loggedBefore);
      expect(refused.body.message).toMatch(/The key was not exported: its audit log entry could not be written/);
      expect(JSON.stringify(refused.body)).not.toContain(second.slice(16, 40));
    } finally {
      fs.rmSync(path.join(t.dataDir, '.audit.db'), { recursive: true, force: true });
    }
  });

  it('PUT refuses a low-order recipient and never echoes a quoted or prefixed secret key', async () => {
    const zero = 'age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq5cu47z'; // the all-zero point
    const lowOrder = await t.http.put('/api/encryption/r2').send({ enabled: true, recipients: [zero] });
    const { identity } = keyPairByAgeKeygen();
    for (const entry of [`"${identity}"`, `identity: ${identity}`]) {
      const refused = await t.http
        .put('/api/encryption/r2')
        .send({ enabled: true, recipients: [entry] })
        .expect(400);
      expect(refused.body).toMatchObject({ error: 'ENCRYPTION_KEY_INVALID', details: { field: 'recipients[0]' } });
      expect(JSON.stringify(refused.body)).not.toContain(identity.slice(16, 40));
    }
    expect(lowOrder.status).toBe(400);
    expect(lowOrder.body).toMatchObject({ error: 'ENCRYPTION_KEY_INVALID', details: { field: 'recipients[0]' } });
    expect(lowOrder.body.message).toMatch(/low-order/);
    expect((await get('r2')).state).toBe('off');
  });

  /** A key pair made by age-keygen. */
  function keyPairByAgeKeygen(): { identity: string; recipient: string } {
    const text = execFileSync('age-keygen', { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return { identity: /^(AGE-SECRET-KEY-1\w+)$/m.exec(text)![1], recipient: /public key: (age1\w+)/.exec(text)![1] };
  }

  function generateRecipient(): string {
    return keyPairByAgeKeygen().recipient;
  }

  it('confirm with the recipient that was shown: a key replaced meanwhile (another tab) is not confirmed in its place', async () => {
    const tabA = (await t.http.put('/api/encryption/r2').send({ enabled: true, write_only: true }).expect(200)).body;
    const tabB = (await t.http.put('/api/encryption/r2').send({ enabled: true, write_only: true }).expect(200)).body;
    const before = await get('r2');
    const stale = await t.http.post('/api/encryption/r2/confirm').send({ recipient: tabA.pending_recipient }).expect(409);
    expect(stale.body).toMatchObject({ error: 'ENCRYPTION_STATE_CONFLICT', details: { pending_recipient: tabB.pending_recipient } });
    expect(stale.body.message).toMatch(/was replaced since/);
    expect(await get('r2')).toEqual(before);
    expect(await encryption().recipientsFor('r2')).toBeUndefined();
    const confirmed = (await t.http.post('/api/encryption/r2/confirm').send({ recipient: tabB.pending_recipient }).expect(200)).body;
    expect(confirmed).toMatchObject({ state: 'active', key_recipient: tabB.pending_recipient });
  });

  describe('refusals: each its own error, and nothing changes', () => {
    let secret: string;
    beforeEach(async () => {
      // local active with a stored key, r2 active in write-only mode.
      secret = (await t.http.put('/api/encryption/local').send({ enabled: true }).expect(200)).body.recovery_key;
      await t.http.post('/api/encryption/local/confirm').expect(200);
      await t.http.put('/api/encryption/r2').send({ enabled: true, write_only: true }).expect(200);
      await t.http.post('/api/encryption/r2/confirm').expect(200);
    });

    const good = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    const cases: Array<[string, (secret: string) => Promise<Response>, number, string, RegExp]> = [
      [
        'a recipient with a bad checksum',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: [good, `${good.slice(0, -1)}q`] }),
        400,
        'ENCRYPTION_KEY_INVALID',
        /^recipients\[1\] is not an age X25519 recipient/,
      ],
      [
        'something that is not a recipient',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: ['ssh-ed25519 AAAA'] }),
        400,
        'ENCRYPTION_KEY_INVALID',
        /recipients\[0\]/,
      ],
      [
        'a secret key given as a recipient',
        (s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: [s] }),
        400,
        'ENCRYPTION_KEY_INVALID',
        /recipients\[0\] is a secret key/,
      ],
      [
        'confirm with nothing awaiting confirmation',
        (_s) => t.http.post('/api/encryption/local/confirm'),
        409,
        'ENCRYPTION_STATE_CONFLICT',
        /already confirmed.*rotate/,
      ],
      [
        'confirm with an unknown field',
        (_s) => t.http.post('/api/encryption/local/confirm').send({ recovery_key: 'kept' }),
        400,
        'INVALID_INPUT',
        /Unknown field "recovery_key": the body takes recipient/,
      ],
      [
        'confirm with a recipient that is not a string',
        (_s) => t.http.post('/api/encryption/local/confirm').send({ recipient: 5 }),
        400,
        'INVALID_INPUT',
        /recipient must be an age1\.\.\. string \(got a number\)/,
      ],
      [
        'a malformed confirm body',
        (_s) => t.http.post('/api/encryption/local/confirm').set('Content-Type', 'application/json').send('{'),
        400,
        'INVALID_INPUT',
        /Send JSON such as \{"recipient": "age1\.\.\."\}/,
      ],
      ['export in write-only mode', (_s) => t.http.post('/api/encryption/r2/export'), 409, 'ENCRYPTION_STATE_CONFLICT', /write-only/],
      [
        'enabled as a string',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: 'yes' }),
        400,
        'INVALID_INPUT',
        /^enabled must be true or false \(got a string\)$/,
      ],
      ['no enabled', (_s) => t.http.put('/api/encryption/local').send({ write_only: true }), 400, 'INVALID_INPUT', /enabled is missing/],
      [
        'write_only as a number',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, write_only: 1 }),
        400,
        'INVALID_INPUT',
        /write_only must be true or false \(got a number\)/,
      ],
      [
        'recipients as a string',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: good }),
        400,
        'INVALID_INPUT',
        /recipients must be an array/,
      ],
      [
        'recipients null',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: null }),
        400,
        'INVALID_INPUT',
        /recipients must be an array.*\(got null\)/,
      ],
      [
        'write_only null',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, write_only: null }),
        400,
        'INVALID_INPUT',
        /write_only must be true or false \(got null\)/,
      ],
      [
        'a recipient that is not a string',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, recipients: [7] }),
        400,
        'INVALID_INPUT',
        /recipients must hold strings/,
      ],
      [
        'an unknown field (a typo of write_only)',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: true, 'write-only': true }),
        400,
        'INVALID_INPUT',
        /Unknown field "write-only": the body takes enabled, write_only, recipients/,
      ],
      [
        'other fields with enabled false',
        (_s) => t.http.put('/api/encryption/local').send({ enabled: false, write_only: true }),
        400,
        'INVALID_INPUT',
        /With "enabled": false send nothing else/,
      ],
      [
        'a body that is not JSON',
        (_s) => t.http.put('/api/encryption/local').set('Content-Type', 'application/json').send('{"enabled": '),
        400,
        'INVALID_INPUT',
        /not valid JSON.*Send JSON such as \{"enabled": true/,
      ],
      ['an unknown target (GET)', (_s) => t.http.get('/api/encryption/s3'), 404, 'NOT_FOUND', /Unknown backup target 's3'/],
      ['an unknown target (PUT)', (_s) => t.http.put('/api/encryption/s3').send({ enabled: true }), 404, 'NOT_FOUND', /Unknown backup target 's3'/],
      ['an unknown target (rotate)', (_s) => t.http.post('/api/encryption/s3/rotate'), 404, 'NOT_FOUND', /Unknown backup target 's3'/],
    ];

    it.each(cases)('%s', async (_label, send, status, error, message) => {
      const before = { local: await get('local'), r2: await get('r2') };
      const identities = { local: await encryption().identitiesFor('local'), r2: await encryption().identitiesFor('r2') };
      const res = await send(secret);
      expect(res.status).toBe(status);
      expect(res.body).toMatchObject({ statusCode: status, error });
      expect(res.body.message).toMatch(message);
      expect(res.text.toLowerCase()).not.toContain(secret.toLowerCase());
      expect({ local: await get('local'), r2: await get('r2') }).toEqual(before);
      expect({ local: await encryption().identitiesFor('local'), r2: await encryption().identitiesFor('r2') }).toEqual(identities);
    });

    it('rotate and export while off or awaiting confirmation: 409 saying what to do', async () => {
      await t.http.put('/api/encryption/local').send({ enabled: false }).expect(200);
      await t.http.post('/api/encryption/local/rotate').expect(409, /is off: turn it on/);
      await t.http.put('/api/encryption/r2').send({ enabled: false }).expect(200);
      await t.http.post('/api/encryption/r2/confirm').expect(409, /is off: no key awaits confirmation/);
    });
  });

  it('a restart keeps the state and the keys, which the master key still opens', async () => {
    const root = makeScratchDir();
    await t.close();
    t = await startTestApp({}, { root, keep: true });
    const key = (
      await t.http
        .put('/api/encryption/r2')
        .send({ enabled: true, recipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'] })
        .expect(200)
    ).body.recovery_key;
    await t.http.post('/api/encryption/r2/confirm').expect(200);
    const pending = (await t.http.post('/api/encryption/r2/rotate').expect(200)).body;
    const before = await get('r2');
    await t.close();

    t = await startTestApp({}, { root, keep: true });
    expect(await get('r2')).toEqual(before);
    expect(await encryption().identitiesFor('r2')).toEqual([key]);
    // The rotation's pending key survived too, and confirms after the restart.
    expect((await t.http.post('/api/encryption/r2/confirm').expect(200)).body.key_recipient).toBe(pending.pending_recipient);
    expect(await encryption().identitiesFor('r2')).toEqual([pending.recovery_key, key]);
    await t.close();

    // Another master key: the state still reads (no secret in it); the identities are refused, saying why, never shown.
    t = await startTestApp({ SENTINEL_MASTER_KEY: 'another-master-passphrase-9876543210' }, { root });
    expect((await get('r2')).key_recipient).toBe(pending.pending_recipient);
    const refused = await t.http.post('/api/encryption/r2/export').expect(409);
    expect(refused.body).toMatchObject({ error: 'SECRET_UNREADABLE' });
    expect(refused.body.message).toMatch(/master key/);
    expect(refused.text).not.toContain(pending.recovery_key);
    // Backup and restore get none of them (a restore with the recovery key in the request still works), and the log says why.
    expect(await encryption().identitiesFor('r2')).toEqual([]);
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/WARN \[Encryption\] R2 backups: 2 of the 2 stored identities cannot be used.*master key changed/);
  });

  it('leaks no identity: not in the log, other answers, config.db, .encryption.db, the audit log or a backup', async () => {
    await seedDatabases(t.app, { rows: 20 });
    /** Every answer but the three allowed to show a key (the PUT and rotate that made one, the export). */
    const answers: Array<{ what: string; text: string }> = [];
    const call = async (what: string, request: Promise<Response>, showsKey = false): Promise<Response> => {
      const res = await request;
      if (!showsKey) answers.push({ what, text: res.text });
      return res;
    };
    const identities: string[] = [];
    const created = async (what: string, request: Promise<Response>) => {
      const res = await call(what, request, true);
      identities.push(res.body.recovery_key);
      return res;
    };
    await created('PUT local', t.http.put('/api/encryption/local').send({ enabled: true }));
    await call('GET local', t.http.get('/api/encryption/local'));
    await call('confirm local', t.http.post('/api/encryption/local/confirm'));
    await created('rotate local', t.http.post('/api/encryption/local/rotate'));
    await call('confirm local', t.http.post('/api/encryption/local/confirm'));
    await call('export local', t.http.post('/api/encryption/local/export'), true);
    await call('bad recipient', t.http.put('/api/encryption/local').send({ enabled: true, recipients: [identities[0]] }));
    await call('bad recipient, lower case', t.http.put('/api/encryption/local').send({ enabled: true, recipients: [identities[1].toLowerCase()] }));
    await created('PUT r2 write-only', t.http.put('/api/encryption/r2').send({ enabled: true, write_only: true }));
    await call('confirm r2', t.http.post('/api/encryption/r2/confirm'));
    await call('export r2', t.http.post('/api/encryption/r2/export'));
    await call('GET r2', t.http.get('/api/encryption/r2'));
    await call('audit', t.http.get('/api/audit'));
    await call('settings', t.http.get('/api/settings'));
    const job = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    expect(job.status).toBe('succeeded');
    await call('backups', t.http.get('/api/backups/local'));
    await call('off', t.http.put('/api/encryption/local').send({ enabled: false }));
    expect(identities).toHaveLength(3);
    for (const identity of identities) expect(identity).toMatch(IDENTITY);
    await t.app.close();

    // What is searched: the forms an identity could be written in (as given, lower case, its Bech32 data part).
    const needles = identities.flatMap((identity) => [identity, identity.toLowerCase(), identity.slice('AGE-SECRET-KEY-1'.length)]);
    const found = (text: string | Buffer) => {
      const haystack = Buffer.isBuffer(text) ? text : Buffer.from(text);
      return needles.filter((needle) => haystack.includes(Buffer.from(needle)) || haystack.includes(Buffer.from(needle.toLowerCase())));
    };
    for (const answer of answers) expect({ what: answer.what, found: found(answer.text) }).toEqual({ what: answer.what, found: [] });
    // Every file the service wrote: DATA_DIR (config.db and the other databases with their WAL, .encryption.db, .audit.db,
    // the run history, the backup folder with the archive unpacked from its gzip) and the log file.
    const files = walk(t.root);
    expect(files.some((file) => path.basename(file) === 'config.db')).toBe(true);
    expect(files.some((file) => path.basename(file) === '.encryption.db')).toBe(true);
    expect(files.some((file) => path.basename(file) === '.audit.db')).toBe(true);
    // The backup was made while encryption was active: an age file, searched as stored and once decrypted (with the
    // `age` command and the keys given out) and unpacked from its gzip.
    expect(files.some((file) => file.endsWith('.tar.gz.age'))).toBe(true);
    expect(fs.readFileSync(t.logFile, 'utf8')).toMatch(/\[Encryption\] Local backups: key age1\w+ confirmed/);
    const keyFile = path.join(os.tmpdir(), `leak-check-keys-${process.pid}.txt`);
    fs.writeFileSync(keyFile, `${identities.join('\n')}\n`, { mode: 0o600 });
    try {
      for (const file of files) {
        const stored = fs.readFileSync(file);
        expect({ file, found: found(stored) }).toEqual({ file, found: [] });
        if (file.endsWith('.age')) {
          const tar = zlib.gunzipSync(execFileSync('age', ['-d', '-i', keyFile, file], { maxBuffer: 256 * 1024 * 1024 }));
          expect({ file: `${file} decrypted`, found: found(tar) }).toEqual({ file: `${file} decrypted`, found: [] });
        } else if (file.endsWith('.gz')) {
          expect({ file, found: found(zlib.gunzipSync(stored)) }).toEqual({ file, found: [] });
        }
      }
    } finally {
      fs.rmSync(keyFile, { force: true });
    }
    // The identities the server holds are in .encryption.db, sealed.
    expect(fs.readFileSync(path.join(t.dataDir, '.encryption.db')).includes('enc:v1:')).toBe(true);
  });
});

function walk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    return entry.isDirectory() ? walk(full) : entry.isFile() ? [full] : [];
  });
}
