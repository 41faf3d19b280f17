import type { BackupTarget } from '../common/backup-target.js';

/**
 * off: future backups are plain. awaiting_confirmation: a first key was made and shown; backups stay plain
 * until the user confirms they kept its recovery key. active: backups are encrypted to the current key and
 * the user's recipients (a pending key, if any, is a rotation awaiting confirmation).
 */
export type EncryptionState = 'off' | 'awaiting_confirmation' | 'active';

/** One key of a target's keyring, as the API shows it: never its identity. */
export interface EncryptionKeyInfo {
  recipient: string;
  createdAt: Date;
  confirmedAt: Date | null;
  retiredAt: Date | null;
  /** Whether the server holds its identity (sealed under the master key); false in write-only mode. */
  identityStored: boolean;
  current: boolean;
  pending: boolean;
}

/** A target's encryption as the API shows it. */
export interface EncryptionStatus {
  target: BackupTarget;
  state: EncryptionState;
  writeOnly: boolean;
  /** What backups are encrypted to once active: the current key's (or the first, pending, key's) recipient and the user's. */
  recipients: string[];
  keyRecipient: string | null;
  pendingRecipient: string | null;
  userRecipients: string[];
  keys: EncryptionKeyInfo[];
}

/** What PUT and rotate answer: the status, and the new key's identity when they made one (the only time it is shown unasked). */
export interface EncryptionChangeResult {
  status: EncryptionStatus;
  recoveryKey?: string;
}

/** PUT /api/encryption/{target}, validated for types. */
export interface EncryptionChange {
  enabled: boolean;
  /** Omitted: unchanged for a target that has a confirmed key, false for a new one. */
  writeOnly?: boolean;
  /** Omitted: unchanged; given: replaces the user's recipients. */
  recipients?: string[];
  /** Required (true) to switch to write-only mode while the server holds identities: they are deleted. */
  forgetIdentities?: boolean;
}
