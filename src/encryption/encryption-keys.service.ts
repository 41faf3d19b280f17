import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { type AgeKeyPair, containsAgeIdentity, generateAgeIdentity } from './age/age-keys.js';
import type { EncryptionChange, EncryptionChangeResult, EncryptionState, EncryptionStatus } from './encryption-status.js';
import { IdentityVault } from './identity-vault.js';
import { EncryptionDatabase } from './store/encryption-database.js';
import { KeyringEntryEntity } from './store/keyring-entry.entity.js';
import { TargetEncryptionEntity } from './store/target-encryption.entity.js';
import { loadTargetKeys, type TargetKeys } from './store/target-keys.js';
import { validUserRecipients } from './user-recipients.js';

/**
 * The per-target key state machine behind /api/encryption/{target}.
 *
 *   off ──PUT enabled──▶ awaiting_confirmation ──confirm──▶ active ──PUT disabled──▶ off (key kept)
 *   off (a key was confirmed before) ──PUT enabled──▶ active again with that key, no new key
 *   active ──rotate──▶ active with a pending key ──confirm──▶ active with it (the previous key retired, kept)
 *
 * A key is shown (as the recovery key) only in the answer of the request that made it, and is used for a
 * backup only once confirmed: until then the user may not have kept it. A pending key is never used, so it
 * is the one thing that is deleted (when replaced or when encryption is turned off). Each request is one
 * transaction of EncryptionDatabase: a kill -9 leaves the state before it or after it, never one current key
 * too many or none.
 */
@Injectable()
export class EncryptionKeys {
  private readonly logger = new Logger('Encryption');

  constructor(
    private readonly db: EncryptionDatabase,
    private readonly vault: IdentityVault,
    private readonly clock: Clock,
  ) {}

  async status(target: BackupTarget): Promise<EncryptionStatus> {
    return describe(target, await this.db.read((manager) => loadTargetKeys(manager, target)));
  }

  async update(target: BackupTarget, change: EncryptionChange): Promise<EncryptionChangeResult> {
    if (!change.enabled && (change.writeOnly !== undefined || change.recipients !== undefined || change.forgetIdentities !== undefined)) {
      throw new DomainError(
        ErrorCode.InvalidInput,
        'With "enabled": false send nothing else: turning encryption off keeps write_only, the recipients and the keys for when it is turned on again',
        { target },
      );
    }
    const recipients = change.recipients === undefined ? undefined : validUserRecipients(change.recipients);
    // Made before the transaction (no await in between), used only if the change needs a new key.
    const fresh = change.enabled ? generateAgeIdentity() : undefined;
    let created: AgeKeyPair | undefined;
    let scrub = false;
    let forgotten = 0;
    const after = await this.db.transaction(async (manager) => {
      const before = await loadTargetKeys(manager, target);
      const { row } = before;
      const now = this.clock.now().toISOString();
      if (!change.enabled) {
        scrub = await discardPending(manager, row);
        row.enabled = false;
      } else {
        if (recipients) row.userRecipients = JSON.stringify(recipients);
        if (!before.current) {
          // Never confirmed: a new first key, replacing an unconfirmed one (never used for a backup).
          scrub = await discardPending(manager, row);
          // Omitted: unchanged, also while the first key awaits confirmation or after an off (a new row's default is false).
          row.writeOnly = change.writeOnly ?? row.writeOnly;
          created = await this.addPending(manager, row, fresh!, now);
        } else {
          const writeOnly = change.writeOnly ?? row.writeOnly;
          if (writeOnly && !row.writeOnly) {
            const held = before.keys.filter((entry) => entry.sealedIdentity !== null).map((entry) => entry.recipient);
            // Deleting a retired key's identity cannot be undone: the user says so, after exporting what they still need.
            if (held.length && change.forgetIdentities !== true) throw wouldForget(target, before, held);
            forgotten = await forgetIdentities(manager, target);
            scrub = forgotten > 0;
          }
          row.writeOnly = writeOnly;
          // Leaving write-only mode: the server holds no identity of the current key, so it needs a new key the
          // user confirms like a rotation's; until then backups stay encrypted to the current key.
          if (!writeOnly && before.current.sealedIdentity === null && !before.pending?.sealedIdentity) {
            scrub = (await discardPending(manager, row)) || scrub;
            created = await this.addPending(manager, row, fresh!, now);
          }
        }
        row.enabled = true;
      }
      row.updatedAt = now;
      await manager.save(TargetEncryptionEntity, row);
      return loadTargetKeys(manager, target);
    });
    if (scrub) await this.db.scrubWal();
    const status = describe(target, after);
    const label = targetLabel(target);
    if (forgotten) this.logger.log(`${label} backups: write-only mode; the stored identities of ${forgotten} key(s) were deleted, their recipients kept`);
    if (created) this.logger.log(`${label} backups: new key ${created.recipient} made, awaiting confirmation that its recovery key was kept`);
    this.logger.log(
      `${label} backups: encryption ${status.state}${status.writeOnly ? ' (write-only)' : ''}, ${status.userRecipients.length} extra recipient(s)`,
    );
    return { status, recoveryKey: created?.identity };
  }

  /** `expected`: the recipient of the key the user kept, when the caller knows it; another pending key is then refused. */
  async confirm(target: BackupTarget, expected?: string): Promise<EncryptionStatus> {
    let confirmed: string | undefined;
    const after = await this.db.transaction(async (manager) => {
      const before = await loadTargetKeys(manager, target);
      const { row, current, pending } = before;
      // A retried confirm whose answer was lost: the key it names is already the current one, so it is done.
      if (!pending && row.enabled && current && expected !== undefined && expected.trim().toLowerCase() === current.recipient) return before;
      if (!pending) throw nothingToConfirm(target, before);
      if (expected !== undefined && expected.trim().toLowerCase() !== pending.recipient) {
        throw new DomainError(
          ErrorCode.EncryptionStateConflict,
          `The key awaiting confirmation for ${targetLabel(target)} backups is ${pending.recipient}, not the one given: the key you were shown was replaced ` +
            `since (turned on again or rotated again elsewhere), and its recovery key will never be used. Keep the recovery key of ${pending.recipient} ` +
            `if you have it, or ask for a new key (PUT /api/encryption/${target} {"enabled": true}, or rotate), then confirm`,
          { target, state: stateOf(before), pending_recipient: pending.recipient },
        );
      }
      const now = this.clock.now().toISOString();
      if (current) {
        current.retiredAt = now;
        await manager.save(KeyringEntryEntity, current);
      }
      pending.confirmedAt = now;
      await manager.save(KeyringEntryEntity, pending);
      row.currentKeyId = pending.id;
      row.pendingKeyId = null;
      row.updatedAt = now;
      await manager.save(TargetEncryptionEntity, row);
      confirmed = pending.recipient;
      return loadTargetKeys(manager, target);
    });
    if (confirmed) this.logger.log(`${targetLabel(target)} backups: key ${confirmed} confirmed; new backups are encrypted to it`);
    return describe(target, after);
  }

  async rotate(target: BackupTarget): Promise<EncryptionChangeResult> {
    const fresh = generateAgeIdentity();
    let scrub = false;
    const after = await this.db.transaction(async (manager) => {
      const before = await loadTargetKeys(manager, target);
      const { row } = before;
      if (!row.enabled || !before.current) throw notActive(target, before, 'rotate its key');
      scrub = await discardPending(manager, row);
      const now = this.clock.now().toISOString();
      await this.addPending(manager, row, fresh, now);
      row.updatedAt = now;
      await manager.save(TargetEncryptionEntity, row);
      return loadTargetKeys(manager, target);
    });
    if (scrub) await this.db.scrubWal();
    this.logger.log(
      `${targetLabel(target)} backups: new key ${fresh.recipient} made by rotation, awaiting confirmation; backups stay encrypted to the current key until then`,
    );
    return { status: describe(target, after), recoveryKey: fresh.identity };
  }

  /**
   * A key's identity, for the user to keep (the audited export action): the current key's, or, given its
   * `recipient`, a retired one's (before write-only mode deletes it, say). `recordExport` writes the audit
   * entry of the export (naming the key's recipient): it runs once the identity is known, before anything says
   * the key left (the service log, the returned identity); when it throws, the export stops with its error.
   */
  async exportKey(
    target: BackupTarget,
    recipient: string | undefined,
    recordExport: (recipient: string) => void,
  ): Promise<{ recipient: string; identity: string }> {
    const wanted = recipient === undefined ? undefined : exportedRecipient(recipient);
    const keys = await this.db.read((manager) => loadTargetKeys(manager, target));
    const label = targetLabel(target);
    let entry = keys.current;
    if (wanted !== undefined) {
      entry = keys.keys.find((key) => key.recipient === wanted);
      if (!entry) {
        throw new DomainError(ErrorCode.NotFound, `${label} backups have no key ${wanted}: GET /api/encryption/${target} lists the recipients of their keys`, {
          target,
          recipient: wanted,
        });
      }
      if (entry.id === keys.pending?.id) {
        throw new DomainError(
          ErrorCode.EncryptionStateConflict,
          `${label} backups' key ${wanted} awaits confirmation: its recovery key was shown once, in the answer that made it, and is exported only once confirmed ` +
            `(POST /api/encryption/${target}/confirm). If you did not keep it, ask for a new key instead`,
          { target, state: stateOf(keys), pending_recipient: wanted },
        );
      }
    }
    if (!entry) throw noKeyToExport(target, keys);
    if (entry.sealedIdentity === null) {
      const which = entry.id === keys.current?.id ? 'current key' : 'key';
      throw new DomainError(
        ErrorCode.EncryptionStateConflict,
        `The server does not hold the identity of ${label} backups' ${which} ${entry.recipient}: it was made in write-only mode or deleted when write-only mode was turned on, ` +
          'so only its recovery key, which you kept, opens those backups. To let the server hold a key again, turn write-only mode off (a new key to confirm)',
        { target, state: stateOf(keys), write_only: keys.row.writeOnly },
      );
    }
    const identity = this.vault.open(target, entry.recipient, entry.sealedIdentity);
    recordExport(entry.recipient);
    this.logger.log(`${label} backups: the identity of key ${entry.recipient} was exported`);
    return { recipient: entry.recipient, identity };
  }

  private async addPending(manager: EntityManager, row: TargetEncryptionEntity, pair: AgeKeyPair, now: string): Promise<AgeKeyPair> {
    const entry = new KeyringEntryEntity();
    entry.id = randomUUID();
    entry.target = row.target;
    entry.recipient = pair.recipient;
    entry.sealedIdentity = row.writeOnly ? null : this.vault.seal(row.target, pair.recipient, pair.identity);
    entry.createdAt = now;
    entry.confirmedAt = null;
    entry.retiredAt = null;
    await manager.insert(KeyringEntryEntity, entry);
    row.pendingKeyId = entry.id;
    return pair;
  }
}

/** Deletes the pending key, if any (never confirmed, so no backup used it); true when one was deleted. */
async function discardPending(manager: EntityManager, row: TargetEncryptionEntity): Promise<boolean> {
  if (row.pendingKeyId === null) return false;
  await manager.delete(KeyringEntryEntity, { id: row.pendingKeyId });
  row.pendingKeyId = null;
  return true;
}

/** Write-only mode: every identity of the target's keyring deleted (the recipients stay); how many there were. */
async function forgetIdentities(manager: EntityManager, target: BackupTarget): Promise<number> {
  const held = await manager.find(KeyringEntryEntity, { where: { target } });
  let forgotten = 0;
  for (const entry of held) {
    if (entry.sealedIdentity === null) continue;
    entry.sealedIdentity = null;
    await manager.save(KeyringEntryEntity, entry);
    forgotten += 1;
  }
  return forgotten;
}

export function stateOf(keys: TargetKeys): EncryptionState {
  if (!keys.row.enabled) return 'off';
  return keys.current ? 'active' : 'awaiting_confirmation';
}

function describe(target: BackupTarget, keys: TargetKeys): EncryptionStatus {
  const { row, current, pending, userRecipients } = keys;
  const key = current ?? pending;
  return {
    target,
    state: stateOf(keys),
    writeOnly: row.writeOnly,
    recipients: [...new Set([...(key ? [key.recipient] : []), ...userRecipients])],
    keyRecipient: current?.recipient ?? null,
    pendingRecipient: pending?.recipient ?? null,
    userRecipients,
    keys: keys.keys.map((entry) => ({
      recipient: entry.recipient,
      createdAt: new Date(entry.createdAt),
      confirmedAt: entry.confirmedAt === null ? null : new Date(entry.confirmedAt),
      retiredAt: entry.retiredAt === null ? null : new Date(entry.retiredAt),
      identityStored: entry.sealedIdentity !== null,
      current: entry.id === current?.id,
      pending: entry.id === pending?.id,
    })),
  };
}

function nothingToConfirm(target: BackupTarget, keys: TargetKeys): DomainError {
  const label = targetLabel(target);
  const state = stateOf(keys);
  const path = `/api/encryption/${target}`;
  const message =
    state === 'off'
      ? `Encryption of ${label} backups is off: no key awaits confirmation. Turn it on with PUT ${path} {"enabled": true}, keep the recovery key it answers, then confirm`
      : `${label} backups' key ${keys.current!.recipient} is already confirmed and no new key awaits confirmation. ` +
        `To replace it, POST ${path}/rotate, keep the recovery key it answers, then confirm`;
  return new DomainError(ErrorCode.EncryptionStateConflict, message, { target, state });
}

function notActive(target: BackupTarget, keys: TargetKeys, what: string): DomainError {
  const label = targetLabel(target);
  const state = stateOf(keys);
  const path = `/api/encryption/${target}`;
  const message =
    state === 'off'
      ? `Encryption of ${label} backups is off: turn it on (PUT ${path} {"enabled": true}) before you ${what}`
      : `${label} backups' first key ${keys.pending!.recipient} awaits confirmation: confirm it (POST ${path}/confirm) once you kept its recovery key, ` +
        `or PUT ${path} {"enabled": true} again for a new one`;
  return new DomainError(ErrorCode.EncryptionStateConflict, message, { target, state });
}

/** The recipient an export asks for, normalised; a secret key sent there is refused without being echoed. */
function exportedRecipient(text: string): string {
  if (containsAgeIdentity(text)) {
    throw new DomainError(
      ErrorCode.EncryptionKeyInvalid,
      'recipient is a secret key (AGE-SECRET-KEY-1...): send the recipient (age1...) of the key to export',
      {
        field: 'recipient',
      },
    );
  }
  const normalised = text.trim().toLowerCase();
  if (!/^age1[0-9a-z]{1,100}$/.test(normalised)) {
    throw new DomainError(
      ErrorCode.EncryptionKeyInvalid,
      "recipient must be the age1... recipient of one of the target's keys (as GET /api/encryption/{target} lists them)",
      {
        field: 'recipient',
      },
    );
  }
  return normalised;
}

function wouldForget(target: BackupTarget, keys: TargetKeys, held: string[]): DomainError {
  const path = `/api/encryption/${target}`;
  return new DomainError(
    ErrorCode.EncryptionStateConflict,
    `Write-only mode deletes the identities the server holds for ${targetLabel(target)} backups, of ${held.length} key(s): ${held.join(', ')}. ` +
      `Backups encrypted to them could then be restored only with recovery keys you kept. Export each you do not have first ` +
      `(POST ${path}/export {"recipient": "age1..."}), then send PUT ${path} {"enabled": true, "write_only": true, "forget_identities": true}`,
    { target, state: stateOf(keys), identities_held: held },
  );
}

function noKeyToExport(target: BackupTarget, keys: TargetKeys): DomainError {
  const label = targetLabel(target);
  const state = stateOf(keys);
  const path = `/api/encryption/${target}`;
  const message =
    state === 'off'
      ? `${label} backups have no key to export: encryption was never turned on (PUT ${path} {"enabled": true})`
      : `${label} backups have no confirmed key yet: the recovery key of the pending key ${keys.pending!.recipient} was shown once, in the answer that made it. ` +
        `If you kept it, confirm it (POST ${path}/confirm); if not, PUT ${path} {"enabled": true} again for a new one`;
  return new DomainError(ErrorCode.EncryptionStateConflict, message, { target, state });
}
