import type { EntityManager } from 'typeorm';
import type { BackupTarget } from '../../common/backup-target.js';
import { KeyringEntryEntity } from './keyring-entry.entity.js';
import { TargetEncryptionEntity } from './target-encryption.entity.js';

/** A target's state row and its whole keyring, read together (inside one queued read or transaction). */
export interface TargetKeys {
  /** The stored state; a fresh, unsaved "off" row when the target was never configured. */
  row: TargetEncryptionEntity;
  /** Oldest first. */
  keys: KeyringEntryEntity[];
  current: KeyringEntryEntity | undefined;
  pending: KeyringEntryEntity | undefined;
  userRecipients: string[];
}

export async function loadTargetKeys(manager: EntityManager, target: BackupTarget): Promise<TargetKeys> {
  const stored = await manager.findOneBy(TargetEncryptionEntity, { target });
  const row = stored ?? offRow(target);
  const keys = await manager.find(KeyringEntryEntity, { where: { target }, order: { createdAt: 'ASC', id: 'ASC' } });
  const current = row.currentKeyId === null ? undefined : keys.find((key) => key.id === row.currentKeyId);
  const pending = row.pendingKeyId === null ? undefined : keys.find((key) => key.id === row.pendingKeyId);
  if ((row.currentKeyId !== null && !current) || (row.pendingKeyId !== null && !pending)) {
    // Only a hand-edited file gets here: the pointers and the keyring are always written in one transaction.
    throw new Error(`${target}'s encryption state names a key that is not in its keyring: .encryption.db was altered`);
  }
  return { row, keys, current, pending, userRecipients: JSON.parse(row.userRecipients) as string[] };
}

function offRow(target: BackupTarget): TargetEncryptionEntity {
  const row = new TargetEncryptionEntity();
  row.target = target;
  row.enabled = false;
  row.writeOnly = false;
  row.userRecipients = '[]';
  row.currentKeyId = null;
  row.pendingKeyId = null;
  row.updatedAt = new Date(0).toISOString();
  return row;
}
