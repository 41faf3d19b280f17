import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A target's encryption state, one row per target (none until encryption is first configured). The state a
 * user sees is derived from it: off (enabled false), awaiting_confirmation (enabled, no current key yet: the
 * first key is pending), active (enabled with a current key; a pending key then is a rotation not yet confirmed).
 */
@Entity('target_encryption')
export class TargetEncryptionEntity {
  @PrimaryColumn('text')
  target: string;

  @Column('boolean')
  enabled: boolean;

  /** Write-only mode: the server keeps the recipients of its keys but none of their identities. */
  @Column('boolean')
  writeOnly: boolean;

  /** The user's own extra recipients (`age1...`), JSON array of strings, in the order given. */
  @Column('text')
  userRecipients: string;

  /** The keyring entry new backups are encrypted to once enabled (confirmed, not retired); null before the first confirm. */
  @Column('text', { nullable: true })
  currentKeyId: string | null;

  /** A keyring entry created but not yet confirmed (the first key, or a rotation's): never used for a backup. */
  @Column('text', { nullable: true })
  pendingKeyId: string | null;

  @Column('text')
  updatedAt: string;
}
