import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { Logger } from '@nestjs/common';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import type { AppConfig } from '../config/app-config.js';
import { parseEnvironment } from '../config/environment.js';
import { SecretCipher } from '../settings/secret-cipher.js';
import { bech32Encode } from './age/age-bech32.js';
import { ageRecipientOf, generateAgeIdentity } from './age/age-keys.js';
import { ArchiveEncryption } from './archive-encryption.service.js';
import { ArchiveProvenance } from './archive-provenance.store.js';
import { EncryptionKeys } from './encryption-keys.service.js';
import { IdentityVault } from './identity-vault.js';
import { ENCRYPTION_DB_FILE, EncryptionDatabase } from './store/encryption-database.js';

/** A clock one second further at every reading, so each step has its own time. */
class SteppingClock extends Clock {
  private at = Date.parse('2026-12-01T10:00:00Z');
  override now(): Date {
    this.at += 1000;
    return new Date(this.at);
  }
}

interface Parts {
  db: EncryptionDatabase;
  vault: IdentityVault;
  keys: EncryptionKeys;
  archives: ArchiveEncryption;
  provenance: ArchiveProvenance;
}

async function open(dir: string, masterKey = 'unit-test-master-passphrase-0123'): Promise<Parts> {
  const config: AppConfig = { env: parseEnvironment({ DATA_DIR: dir, SENTINEL_MASTER_KEY: masterKey }) };
  const db = new EncryptionDatabase(config);
  await db.onModuleInit();
  const vault = new IdentityVault(new SecretCipher(config));
  return {
    db,
    vault,
    keys: new EncryptionKeys(db, vault, new SteppingClock()),
    archives: new ArchiveEncryption(db, vault),
    provenance: new ArchiveProvenance(db),
  };
}

/** An export's audit entry, where a test does not look at it. */
const unaudited = (): void => undefined;

/** The rejection of `promise`, which must be a DomainError. */
async function domainError(promise: Promise<unknown>): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

describe('EncryptionKeys (the per-target key state machine)', () => {
  let dir: string;
  let parts: Parts;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'encryption-keys-'));
    parts = await open(dir);
  });
  afterEach(async () => {
    await parts.db.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts off: no keys, backups plain', async () => {
    const status = await parts.keys.status('r2');
    expect(status).toMatchObject({ target: 'r2', state: 'off', writeOnly: false, recipients: [], keyRecipient: null, pendingRecipient: null, keys: [] });
    expect(await parts.archives.recipientsFor('r2')).toBeUndefined();
    expect(await parts.archives.identitiesFor('r2')).toEqual([]);
  });

  it('turning on makes a key shown once; backups stay plain until it is confirmed, then are encrypted to it', async () => {
    const { status, recoveryKey } = await parts.keys.update('local', { enabled: true });
    expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/);
    const recipient = ageRecipientOf(recoveryKey!);
    expect(status).toMatchObject({ state: 'awaiting_confirmation', keyRecipient: null, pendingRecipient: recipient, recipients: [recipient] });
    expect(await parts.archives.recipientsFor('local')).toBeUndefined();
    // A pending key was never used: it is not among the identities to decrypt with.
    expect(await parts.archives.identitiesFor('local')).toEqual([]);

    const active = await parts.keys.confirm('local');
    expect(active).toMatchObject({ state: 'active', keyRecipient: recipient, pendingRecipient: null });
    expect(active.keys).toEqual([expect.objectContaining({ recipient, identityStored: true, current: true, pending: false, retiredAt: null })]);
    expect(await parts.archives.recipientsFor('local')).toEqual([recipient]);
    expect(await parts.archives.identitiesFor('local')).toEqual([recoveryKey]);
    // The other target is untouched.
    expect((await parts.keys.status('r2')).state).toBe('off');
  });

  it('turning on again before confirming replaces the unconfirmed key (discarded, it was never used)', async () => {
    const first = await parts.keys.update('r2', { enabled: true });
    const second = await parts.keys.update('r2', { enabled: true });
    expect(second.recoveryKey).not.toBe(first.recoveryKey);
    expect(second.status.keys.map((key) => key.recipient)).toEqual([ageRecipientOf(second.recoveryKey!)]);
    await parts.keys.confirm('r2');
    expect(await parts.archives.identitiesFor('r2')).toEqual([second.recoveryKey]);
  });

  it('rotation: backups keep the current key until the new one is confirmed; the old one is retired and still decrypts', async () => {
    const first = (await parts.keys.update('r2', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('r2');
    const { status, recoveryKey } = await parts.keys.rotate('r2');
    const second = recoveryKey!;
    expect(status).toMatchObject({ state: 'active', keyRecipient: ageRecipientOf(first), pendingRecipient: ageRecipientOf(second) });
    expect(await parts.archives.recipientsFor('r2')).toEqual([ageRecipientOf(first)]);
    expect(await parts.archives.identitiesFor('r2')).toEqual([first]);

    const after = await parts.keys.confirm('r2');
    expect(after).toMatchObject({ state: 'active', keyRecipient: ageRecipientOf(second), pendingRecipient: null });
    const [old, current] = after.keys;
    expect(old).toMatchObject({ recipient: ageRecipientOf(first), current: false, identityStored: true });
    expect(old.retiredAt).toBeInstanceOf(Date);
    expect(current).toMatchObject({ recipient: ageRecipientOf(second), current: true, retiredAt: null });
    expect(await parts.archives.recipientsFor('r2')).toEqual([ageRecipientOf(second)]);
    // The current key first, then the retired one.
    expect(await parts.archives.identitiesFor('r2')).toEqual([second, first]);
    // An archive known to need the older key: its identity first, so decrypting tries it first.
    expect(await parts.archives.identitiesFor('r2', [ageRecipientOf(first).toUpperCase(), generateAgeIdentity().recipient])).toEqual([first, second]);
    expect(after.keys.filter((key) => key.current)).toHaveLength(1);
  });

  it('turning off keeps the keys; turning on again reuses the confirmed key without a new one', async () => {
    const key = (await parts.keys.update('local', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('local');
    const off = await parts.keys.update('local', { enabled: false });
    expect(off.recoveryKey).toBeUndefined();
    expect(off.status).toMatchObject({ state: 'off', keyRecipient: ageRecipientOf(key) });
    expect(await parts.archives.recipientsFor('local')).toBeUndefined();
    expect(await parts.archives.identitiesFor('local')).toEqual([key]);
    const on = await parts.keys.update('local', { enabled: true });
    expect(on.recoveryKey).toBeUndefined();
    expect(on.status).toMatchObject({ state: 'active', keyRecipient: ageRecipientOf(key) });
    expect(on.status.keys).toHaveLength(1);
  });

  it("encrypts to the user's recipients too, normalised and without repeats; a later list replaces it", async () => {
    const mine = generateAgeIdentity().recipient;
    const theirs = generateAgeIdentity().recipient;
    const key = (await parts.keys.update('r2', { enabled: true, recipients: [mine, mine.toUpperCase(), ` ${theirs} `] })).recoveryKey!;
    await parts.keys.confirm('r2');
    expect(await parts.archives.recipientsFor('r2')).toEqual([ageRecipientOf(key), mine, theirs]);
    const status = (await parts.keys.update('r2', { enabled: true, recipients: [theirs, ageRecipientOf(key)] })).status;
    expect(status.userRecipients).toEqual([theirs, ageRecipientOf(key)]);
    expect(await parts.archives.recipientsFor('r2')).toEqual([ageRecipientOf(key), theirs]);
    // Omitted: unchanged.
    await parts.keys.update('r2', { enabled: true });
    expect((await parts.keys.status('r2')).userRecipients).toEqual([theirs, ageRecipientOf(key)]);
  });

  it('write-only from the start: the identity is shown once and never stored', async () => {
    const { status, recoveryKey } = await parts.keys.update('r2', { enabled: true, writeOnly: true });
    expect(recoveryKey).toMatch(/^AGE-SECRET-KEY-1/);
    expect(status.keys).toEqual([expect.objectContaining({ identityStored: false, pending: true })]);
    await parts.keys.confirm('r2');
    expect(await parts.archives.recipientsFor('r2')).toEqual([ageRecipientOf(recoveryKey!)]);
    expect(await parts.archives.identitiesFor('r2')).toEqual([]);
    const error = await domainError(parts.keys.exportKey('r2', undefined, unaudited));
    expect(error.code).toBe(ErrorCode.EncryptionStateConflict);
    expect(error.message).toMatch(/write-only/);
  });

  it('switching to write-only deletes every stored identity (current and retired); switching back makes a new key to confirm', async () => {
    const first = (await parts.keys.update('local', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('local');
    await parts.keys.rotate('local');
    const second = (await parts.keys.confirm('local')).keyRecipient;
    const sealedBefore = sealedIdentities(dir);
    expect(sealedBefore).toHaveLength(2);

    // Not without saying so: the retired key's identity would be gone for good. The refusal lists both keys and changes nothing.
    const before = await parts.keys.status('local');
    const unasked = await domainError(parts.keys.update('local', { enabled: true, writeOnly: true }));
    expect(unasked).toMatchObject({ code: ErrorCode.EncryptionStateConflict, details: { identities_held: [ageRecipientOf(first), second] } });
    expect(unasked.message).toMatch(/export.*"recipient".*"forget_identities": true/);
    expect(await parts.keys.status('local')).toEqual(before);
    expect(sealedIdentities(dir)).toHaveLength(2);
    // The retired key can be exported first, by its recipient.
    expect(await parts.keys.exportKey('local', ageRecipientOf(first).toUpperCase(), unaudited)).toEqual({ recipient: ageRecipientOf(first), identity: first });

    const writeOnly = await parts.keys.update('local', { enabled: true, writeOnly: true, forgetIdentities: true });
    expect(writeOnly.recoveryKey).toBeUndefined();
    expect(writeOnly.status).toMatchObject({ state: 'active', writeOnly: true, keyRecipient: second });
    expect(writeOnly.status.keys.map((key) => key.identityStored)).toEqual([false, false]);
    expect(await parts.archives.identitiesFor('local')).toEqual([]);
    expect(await parts.archives.recipientsFor('local')).toEqual([second]);
    // Gone from the file and its WAL, not only unlinked from the row.
    const bytes = Buffer.concat(databaseFiles(dir).map((file) => fs.readFileSync(file)));
    for (const sealed of sealedBefore) expect(bytes.includes(Buffer.from(sealed))).toBe(false);
    expect(bytes.includes(Buffer.from(ageRecipientOf(first)))).toBe(true);

    const back = await parts.keys.update('local', { enabled: true, writeOnly: false });
    expect(back.recoveryKey).toMatch(/^AGE-SECRET-KEY-1/);
    // Backups stay encrypted to the current key meanwhile (never plain).
    expect(back.status).toMatchObject({ state: 'active', writeOnly: false, keyRecipient: second, pendingRecipient: ageRecipientOf(back.recoveryKey!) });
    expect(await parts.archives.recipientsFor('local')).toEqual([second]);
    await parts.keys.confirm('local');
    expect(await parts.archives.identitiesFor('local')).toEqual([back.recoveryKey]);
    expect((await parts.keys.exportKey('local', undefined, unaudited)).identity).toBe(back.recoveryKey);
  });

  it('write-only stays on when a later PUT omits it: before the first key is confirmed, and after off and on again', async () => {
    await parts.keys.update('r2', { enabled: true, writeOnly: true });
    const again = await parts.keys.update('r2', { enabled: true });
    expect(again.status.writeOnly).toBe(true);
    expect(again.status.keys).toEqual([expect.objectContaining({ identityStored: false, pending: true })]);
    await parts.keys.confirm('r2');
    expect(await parts.archives.identitiesFor('r2')).toEqual([]);

    await parts.keys.update('local', { enabled: true, writeOnly: true });
    await parts.keys.update('local', { enabled: false });
    expect((await parts.keys.status('local')).writeOnly).toBe(true);
    const reenabled = await parts.keys.update('local', { enabled: true });
    expect(reenabled.status.writeOnly).toBe(true);
    expect(reenabled.status.keys.every((key) => !key.identityStored)).toBe(true);
    expect(sealedIdentities(dir)).toEqual([]);
  });

  it('a kill -9 between deleting identities and emptying the WAL: the next start empties it', async () => {
    await parts.keys.update('r2', { enabled: true });
    await parts.keys.confirm('r2');
    const [sealed] = sealedIdentities(dir);
    jest.spyOn(parts.db, 'scrubWal').mockResolvedValue(undefined);
    await parts.keys.update('r2', { enabled: true, writeOnly: true, forgetIdentities: true });
    // The files as a kill -9 leaves them now (a clean close would checkpoint): the old frame is still in the WAL.
    const crashed = fs.mkdtempSync(path.join(os.tmpdir(), 'encryption-crashed-'));
    try {
      for (const file of databaseFiles(dir).filter((name) => !name.endsWith('-shm'))) fs.copyFileSync(file, path.join(crashed, path.basename(file)));
      const contains = () => databaseFiles(crashed).some((file) => fs.readFileSync(file).includes(Buffer.from(sealed)));
      expect(contains()).toBe(true);
      const restarted = await open(crashed);
      try {
        expect((await restarted.keys.status('r2')).keys).toEqual([expect.objectContaining({ identityStored: false })]);
        expect(contains()).toBe(false);
      } finally {
        await restarted.db.onModuleDestroy();
      }
    } finally {
      fs.rmSync(crashed, { recursive: true, force: true });
    }
  });

  it('export answers the current key; refuses when there is none', async () => {
    expect((await domainError(parts.keys.exportKey('r2', undefined, unaudited))).message).toMatch(/never turned on/);
    const key = (await parts.keys.update('r2', { enabled: true })).recoveryKey!;
    expect((await domainError(parts.keys.exportKey('r2', undefined, unaudited))).message).toMatch(/no confirmed key yet.*PUT \/api\/encryption\/r2/);
    await parts.keys.confirm('r2');
    expect(await parts.keys.exportKey('r2', undefined, unaudited)).toEqual({ recipient: ageRecipientOf(key), identity: key });
    // Off, the key is still the user's to export.
    await parts.keys.update('r2', { enabled: false });
    expect((await parts.keys.exportKey('r2', undefined, unaudited)).identity).toBe(key);
  });

  it('records an export before its log line says the key left, and neither logs nor answers when the record cannot be written', async () => {
    const key = (await parts.keys.update('r2', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('r2');
    const order: string[] = [];
    const log = jest.spyOn(Logger.prototype, 'log').mockImplementation((message: unknown) => void order.push(`log: ${String(message)}`));
    try {
      const exported = await parts.keys.exportKey('r2', undefined, (recipient) => void order.push(`audit: ${recipient}`));
      expect(exported.identity).toBe(key);
      expect(order).toEqual([`audit: ${ageRecipientOf(key)}`, `log: R2 backups: the identity of key ${ageRecipientOf(key)} was exported`]);

      order.length = 0;
      const refused = parts.keys.exportKey('r2', undefined, () => {
        throw new Error('disk full');
      });
      await expect(refused).rejects.toThrow('disk full');
      expect(order).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });

  it('exports a retired key by its recipient; refuses a pending key, an unknown one and a secret sent as the recipient', async () => {
    const first = (await parts.keys.update('r2', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('r2');
    const second = (await parts.keys.rotate('r2')).recoveryKey!;
    const pending = await domainError(parts.keys.exportKey('r2', ageRecipientOf(second), unaudited));
    expect(pending.code).toBe(ErrorCode.EncryptionStateConflict);
    expect(pending.message).toMatch(/awaits confirmation/);
    await parts.keys.confirm('r2');
    expect(await parts.keys.exportKey('r2', ` ${ageRecipientOf(first)} `, unaudited)).toEqual({ recipient: ageRecipientOf(first), identity: first });
    expect((await parts.keys.exportKey('r2', undefined, unaudited)).identity).toBe(second);
    const unknown = await domainError(parts.keys.exportKey('r2', generateAgeIdentity().recipient, unaudited));
    expect(unknown.code).toBe(ErrorCode.NotFound);
    const secret = await domainError(parts.keys.exportKey('r2', `"${first}"`, unaudited));
    expect(secret.code).toBe(ErrorCode.EncryptionKeyInvalid);
    expect(JSON.stringify([secret.message, secret.details])).not.toContain(first.slice(16, 40));
    // A first key awaiting confirmation was never used: switching to write-only replaces it without asking.
    await parts.keys.update('local', { enabled: true });
    expect((await parts.keys.update('local', { enabled: true, writeOnly: true })).status.writeOnly).toBe(true);
  });

  it('refuses what the state does not allow, saying what to do, and changes nothing', async () => {
    const confirmOff = await domainError(parts.keys.confirm('r2'));
    expect(confirmOff).toMatchObject({ code: ErrorCode.EncryptionStateConflict, details: { target: 'r2', state: 'off' } });
    expect(confirmOff.message).toMatch(/is off.*PUT \/api\/encryption\/r2 \{"enabled": true\}/);
    expect((await domainError(parts.keys.rotate('r2'))).message).toMatch(/is off: turn it on/);
    await parts.keys.update('r2', { enabled: true });
    expect((await domainError(parts.keys.rotate('r2'))).message).toMatch(/awaits confirmation: confirm it/);
    await parts.keys.confirm('r2');
    const before = await parts.keys.status('r2');
    const confirmAgain = await domainError(parts.keys.confirm('r2'));
    expect(confirmAgain.message).toMatch(/already confirmed.*POST \/api\/encryption\/r2\/rotate/);
    expect(await parts.keys.status('r2')).toEqual(before);
    const disableWithMore = await domainError(parts.keys.update('r2', { enabled: false, writeOnly: true }));
    expect(disableWithMore.code).toBe(ErrorCode.InvalidInput);
    expect(await parts.keys.status('r2')).toEqual(before);
  });

  it('confirms only the key the caller was shown, when it says which', async () => {
    const shown = (await parts.keys.update('local', { enabled: true })).status.pendingRecipient!;
    const replacement = (await parts.keys.update('local', { enabled: true })).status;
    const stale = await domainError(parts.keys.confirm('local', shown));
    expect(stale).toMatchObject({ code: ErrorCode.EncryptionStateConflict, details: { pending_recipient: replacement.pendingRecipient } });
    expect(await parts.keys.status('local')).toEqual(replacement);
    const confirmed = await parts.keys.confirm('local', replacement.pendingRecipient!.toUpperCase());
    expect(confirmed.keyRecipient).toBe(replacement.pendingRecipient);
    // Retried (its answer lost): the key named is already current, so the same state again, not a 409.
    expect(await parts.keys.confirm('local', replacement.pendingRecipient!)).toEqual(confirmed);
    // Without naming the key, or naming another, there is still nothing to confirm.
    expect((await domainError(parts.keys.confirm('local'))).code).toBe(ErrorCode.EncryptionStateConflict);
    expect((await domainError(parts.keys.confirm('local', shown))).code).toBe(ErrorCode.EncryptionStateConflict);
  });

  it('refuses a bad recipient by its index and reason, never echoing a secret key pasted by mistake', async () => {
    await parts.keys.update('local', { enabled: true });
    await parts.keys.confirm('local');
    const before = await parts.keys.status('local');
    const good = generateAgeIdentity().recipient;
    const flipped = good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q');
    const badChecksum = await domainError(parts.keys.update('local', { enabled: true, recipients: [good, flipped] }));
    expect(badChecksum).toMatchObject({ code: ErrorCode.EncryptionKeyInvalid, details: { field: 'recipients[1]', index: 1 } });
    expect(badChecksum.message).toMatch(/^recipients\[1\] is not an age X25519 recipient/);
    const secret = generateAgeIdentity().identity;
    const pasted = await domainError(parts.keys.update('local', { enabled: true, writeOnly: true, recipients: [secret] }));
    expect(pasted.message).toMatch(/recipients\[0\] is a secret key/);
    expect(JSON.stringify([pasted.message, pasted.details]).toLowerCase()).not.toContain(secret.toLowerCase().slice(16));
    const lower = await domainError(parts.keys.update('local', { enabled: true, recipients: [secret.toLowerCase()] }));
    expect(lower.message).toMatch(/is a secret key/);
    // Nothing changed: neither the list nor write-only (whose switch would have deleted the identity).
    expect(await parts.keys.status('local')).toEqual(before);
    expect(await parts.archives.identitiesFor('local')).toHaveLength(1);
  });

  it('refuses a low-order recipient (which would make every encrypted backup fail) by its index', async () => {
    const zero = bech32Encode('age', Buffer.alloc(32));
    const one = bech32Encode('age', Buffer.from([1, ...Buffer.alloc(31)]));
    for (const [recipients, index] of [
      [[zero], 0],
      [[generateAgeIdentity().recipient, one], 1],
    ] as const) {
      const error = await domainError(parts.keys.update('r2', { enabled: true, recipients: [...recipients] }));
      expect(error).toMatchObject({ code: ErrorCode.EncryptionKeyInvalid, details: { field: `recipients[${index}]`, index } });
      expect(error.message).toMatch(/low-order X25519 point/);
    }
    expect((await parts.keys.status('r2')).state).toBe('off');
  });

  it('never echoes a secret key quoted, prefixed or inside a pasted key file', async () => {
    const { identity, recipient } = generateAgeIdentity();
    const keyFile = `# created: 2026-12-01T10:00:00Z\n# public key: ${recipient}\n${identity}\n`;
    for (const entry of [`"${identity}"`, `identity: ${identity}`, `'${identity.toLowerCase()}'`, keyFile, ` ${identity.slice(0, 40)}`]) {
      const error = await domainError(parts.keys.update('r2', { enabled: true, recipients: [entry] }));
      expect(error.code).toBe(ErrorCode.EncryptionKeyInvalid);
      expect(error.message).toMatch(/is a secret key/);
      expect(JSON.stringify([error.message, error.details]).toUpperCase()).not.toContain(identity.slice(16, 40));
    }
    // Text that does not look like a recipient is described, not quoted (it may be a secret in another shape).
    const other = await domainError(parts.keys.update('r2', { enabled: true, recipients: ['my secret passphrase'] }));
    expect(other.message).not.toContain('passphrase');
    expect(other.message).toMatch(/the text given \(20 characters\) is not an age recipient/);
  });

  it('a request that fails half-way leaves the state as it was (one transaction)', async () => {
    await parts.keys.update('r2', { enabled: true });
    await parts.keys.confirm('r2');
    const pending = (await parts.keys.rotate('r2')).status;
    // The second rotation deletes the pending key, then fails sealing the new one: the deletion is rolled back.
    const seal = jest.spyOn(parts.vault, 'seal').mockImplementation(() => {
      throw new Error('disk gone');
    });
    await expect(parts.keys.rotate('r2')).rejects.toThrow('disk gone');
    seal.mockRestore();
    expect(await parts.keys.status('r2')).toEqual(pending);
    // And the queue goes on after the failure.
    expect((await parts.keys.confirm('r2')).keyRecipient).toBe(pending.pendingRecipient);
  });

  it('concurrent requests are applied one after another: one current key, never two', async () => {
    await parts.keys.update('local', { enabled: true });
    await parts.keys.confirm('local');
    await parts.keys.rotate('local');
    const results = await Promise.allSettled([parts.keys.confirm('local'), parts.keys.confirm('local'), parts.keys.rotate('local')]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const status = await parts.keys.status('local');
    expect(status.keys.filter((key) => key.current)).toHaveLength(1);
    expect(status.keys.filter((key) => key.pending)).toHaveLength(1);
    expect(status.keys).toHaveLength(3);
  });

  it('keeps state and keys across a restart; another master key cannot open them and says so without the key', async () => {
    const key = (await parts.keys.update('r2', { enabled: true, recipients: [generateAgeIdentity().recipient] })).recoveryKey!;
    await parts.keys.confirm('r2');
    const before = await parts.keys.status('r2');
    await parts.db.onModuleDestroy();

    parts = await open(dir);
    expect(await parts.keys.status('r2')).toEqual(before);
    expect(await parts.archives.identitiesFor('r2')).toEqual([key]);
    await parts.db.onModuleDestroy();

    parts = await open(dir, 'another-master-passphrase-456789');
    // Left out with a warning (a restore that brings the recovery key still works), never shown.
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    expect(await parts.archives.identitiesFor('r2')).toEqual([]);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/R2 backups: 1 of the 1 stored identities cannot be used.*master key changed/);
    expect(String(warn.mock.calls[0][0])).not.toContain(key.slice(16));
    warn.mockRestore();
    const error = await domainError(parts.keys.exportKey('r2', undefined, unaudited));
    expect(error.code).toBe(ErrorCode.SecretUnreadable);
    expect(error.message).toMatch(/master key/);
    expect(JSON.stringify([error.message, error.details])).not.toContain(key.slice(16));
    expect(await parts.archives.recipientsFor('r2')).toEqual(before.recipients);
  });

  it('stores only sealed identities, owner-only', async () => {
    const key = (await parts.keys.update('r2', { enabled: true })).recoveryKey!;
    await parts.keys.confirm('r2');
    for (const file of databaseFiles(dir)) {
      const bytes = fs.readFileSync(file);
      expect(bytes.includes(Buffer.from(key))).toBe(false);
      expect(bytes.includes(Buffer.from(key.toLowerCase()))).toBe(false);
      expect(bytes.includes(Buffer.from(key.slice(16)))).toBe(false);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    }
    expect(sealedIdentities(dir)).toEqual([expect.stringMatching(/^enc:v1:/)]);
  });
});

describe('ArchiveProvenance', () => {
  let dir: string;
  let parts: Parts;
  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'provenance-'));
    parts = await open(dir);
  });
  afterEach(async () => {
    await parts.db.onModuleDestroy();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const plain = {
    target: 'r2' as const,
    filename: 'sentinel-backup-2026-12-01-100000.tar.gz',
    sha256: 'a'.repeat(64),
    sizeBytes: 6_000_000_000,
    recipients: null,
    createdAt: new Date('2026-12-01T10:00:00.000Z'),
  };
  const encrypted = { ...plain, filename: 'sentinel-backup-2026-12-02-100000.tar.gz.age', sha256: 'b'.repeat(64), recipients: ['age1x', 'age1y'] };

  it('records, finds, lists per target, replaces a record of the same name, and forgets', async () => {
    await parts.provenance.record(plain);
    await parts.provenance.record(encrypted);
    await parts.provenance.record({ ...plain, target: 'local' });
    expect(await parts.provenance.find('r2', plain.filename)).toEqual(plain);
    expect(await parts.provenance.find('r2', encrypted.filename)).toEqual(encrypted);
    expect(await parts.provenance.find('r2', 'sentinel-backup-2026-12-03-100000.tar.gz')).toBeUndefined();
    expect([...(await parts.provenance.findAll('r2')).keys()].sort()).toEqual([plain.filename, encrypted.filename]);

    const replaced = { ...encrypted, sha256: 'c'.repeat(64), sizeBytes: 12 };
    await parts.provenance.record(replaced);
    expect(await parts.provenance.find('r2', encrypted.filename)).toEqual(replaced);
    expect((await parts.provenance.findAll('r2')).size).toBe(2);

    await parts.provenance.forget('r2', plain.filename);
    expect(await parts.provenance.find('r2', plain.filename)).toBeUndefined();
    expect(await parts.provenance.find('local', plain.filename)).toEqual({ ...plain, target: 'local' });

    await parts.db.onModuleDestroy();
    parts = await open(dir);
    expect(await parts.provenance.findAll('r2')).toEqual(new Map([[encrypted.filename, replaced]]));
  });

  it('lists what was recorded and forgotten since the last listing (kept in memory between writes), whatever a caller does with a listing', async () => {
    await parts.provenance.record(plain);
    const first = await parts.provenance.findAll('r2');
    expect([...first.keys()]).toEqual([plain.filename]);
    // A caller changing its copy changes nothing for the next.
    first.get(plain.filename)!.sizeBytes = 1;
    first.delete(plain.filename);
    expect(await parts.provenance.findAll('r2')).toEqual(new Map([[plain.filename, plain]]));

    // Each write is seen by the next listing, also a listing that was asked for while the write waited its turn.
    const whileWriting = parts.provenance.record(encrypted);
    const asked = parts.provenance.findAll('r2');
    await whileWriting;
    expect([...(await asked).keys()].sort()).toEqual([plain.filename, encrypted.filename]);
    expect([...(await parts.provenance.findAll('r2')).keys()].sort()).toEqual([plain.filename, encrypted.filename]);
    await parts.provenance.forget('r2', plain.filename);
    expect([...(await parts.provenance.findAll('r2')).keys()]).toEqual([encrypted.filename]);
    expect([...(await parts.provenance.findAll('local')).keys()]).toEqual([]);

    // A write that fails leaves the listing to read the file again: what is there is what it answers.
    await parts.db.onModuleDestroy();
    await expect(parts.provenance.record({ ...plain, filename: 'sentinel-backup-2026-12-04-100000.tar.gz' })).rejects.toThrow(/closed/);
    parts = await open(dir);
    expect([...(await parts.provenance.findAll('r2')).keys()]).toEqual([encrypted.filename]);
  });
});

function databaseFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((name) => name.startsWith(ENCRYPTION_DB_FILE))
    .map((name) => path.join(dir, name));
}

/** The sealed identities as stored, read with a connection of the test's own. */
function sealedIdentities(dir: string): string[] {
  const text = execSqlite(path.join(dir, ENCRYPTION_DB_FILE), 'SELECT sealedIdentity FROM keyring WHERE sealedIdentity IS NOT NULL ORDER BY createdAt');
  return text;
}

function execSqlite(file: string, sql: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(sql).pluck().all() as string[]).filter(Boolean);
  } finally {
    db.close();
  }
}
