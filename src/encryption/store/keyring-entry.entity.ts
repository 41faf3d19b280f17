import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One age key of a target's keyring. Entries are kept after they are retired (older backups need them);
 * only a pending key that was never confirmed, hence never used, is ever deleted.
 */
@Entity('keyring')
@Index(['target', 'recipient'], { unique: true })
export class KeyringEntryEntity {
  @PrimaryColumn('text')
  id: string;

  @Column('text')
  target: string;

  /** The key's public recipient (`age1...`). */
  @Column('text')
  recipient: string;

  /**
   * The identity (`AGE-SECRET-KEY-1...`) sealed by SecretCipher under the master key (never the identity
   * itself); null when the server does not hold it (write-only mode).
   */
  @Column('text', { nullable: true })
  sealedIdentity: string | null;

  @Column('text')
  createdAt: string;

  /** When the user confirmed they kept its recovery key (it then became the current key); null while pending. */
  @Column('text', { nullable: true })
  confirmedAt: string | null;

  /** When a newer key replaced it as the current one; it still decrypts the backups made with it. */
  @Column('text', { nullable: true })
  retiredAt: string | null;
}
