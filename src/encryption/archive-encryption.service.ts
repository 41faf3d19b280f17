import { Injectable, Logger } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { type BackupTarget, targetLabel } from '../common/backup-target.js';
import { DomainError } from '../common/errors/domain-error.js';
import { IdentityVault } from './identity-vault.js';
import { EncryptionDatabase } from './store/encryption-database.js';
import { KeyringEntryEntity } from './store/keyring-entry.entity.js';
import { loadTargetKeys } from './store/target-keys.js';

/**
 * What the backup and restore pipelines ask of encryption (the module's surface for them; the API,
 * keyring and state machine behind it are EncryptionKeys and EncryptionController).
 */
@Injectable()
export class ArchiveEncryption {
  private readonly logger = new Logger('Encryption');

  constructor(
    private readonly db: EncryptionDatabase,
    private readonly vault: IdentityVault,
  ) {}

  /**
   * The recipients (`age1...`) a new backup of `target` is encrypted to: the target's current identity's
   * recipient (or, in write-only mode, its public recipient alone) plus the user's own extra recipients.
   * undefined when encryption is not active for the target (off, or awaiting confirmation of the
   * recovery key): the backup is written as a plain `.tar.gz`.
   */
  async recipientsFor(target: BackupTarget): Promise<string[] | undefined> {
    const { row, current, userRecipients } = await this.db.read((manager) => loadTargetKeys(manager, target));
    if (!row.enabled || !current) return undefined;
    return [...new Set([current.recipient, ...userRecipients])];
  }

  /**
   * Every identity (`AGE-SECRET-KEY-1...`) the server holds for `target`: the current one first, then the
   * retired ones, newest first, for decrypting. A pending key (never confirmed, so never used) is not among them.
   * Empty when the server holds none (write-only mode, or never enabled). An identity the master key cannot
   * open (the key changed) is left out with a warning, so a request that brings the recovery key still works
   * and one without it is told which key it needs.
   * `preferred`: the recipients an archive was encrypted to, when known (its provenance record): the identities of
   * those keys come first, so decrypting tries the right key first instead of every key against every stanza.
   * Secrets: never log them, never put them in an error or event.
   */
  async identitiesFor(target: BackupTarget, preferred: readonly string[] = []): Promise<string[]> {
    const held = await this.db.read((manager) =>
      manager.find(KeyringEntryEntity, {
        where: { target, confirmedAt: Not(IsNull()), sealedIdentity: Not(IsNull()) },
        order: { confirmedAt: 'DESC', id: 'ASC' },
      }),
    );
    const first = new Set(preferred.map((recipient) => recipient.trim().toLowerCase()));
    // A stable sort: within each group the order stays current first, then newest retired.
    held.sort((a, b) => Number(first.has(b.recipient)) - Number(first.has(a.recipient)));
    const identities: string[] = [];
    const unreadable: DomainError[] = [];
    for (const entry of held) {
      try {
        identities.push(this.vault.open(target, entry.recipient, entry.sealedIdentity!));
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        unreadable.push(error);
      }
    }
    if (unreadable.length) {
      this.logger.warn(`${targetLabel(target)} backups: ${unreadable.length} of the ${held.length} stored identities cannot be used. ${unreadable[0].message}`);
    }
    return identities;
  }
}
