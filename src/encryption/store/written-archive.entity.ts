import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The provenance record of one archive this installation uploaded (ArchiveProvenance's WrittenArchive). */
@Entity('written_archives')
export class WrittenArchiveEntity {
  @PrimaryColumn('text')
  target: string;

  @PrimaryColumn('text')
  filename: string;

  /** SHA-256 (hex) of the object as stored. */
  @Column('text')
  sha256: string;

  @Column('integer')
  sizeBytes: number;

  /** JSON array of the age recipients it was encrypted to; null for a plain archive. */
  @Column('text', { nullable: true })
  recipients: string | null;

  @Column('text')
  createdAt: string;

  /** What identifies the stored version of the object (S3 ETag, a file's size and mtime); null in earlier records. */
  @Column('text', { nullable: true })
  version: string | null;

  /**
   * The chain of an archive (docs/incremental-backups.md): 'full' or 'incremental'; null in records written before
   * increments existed (all of them full backups). Added as nullable columns, which the schema synchronisation at
   * open adds to an existing file without touching its rows (as `version` was).
   */
  @Column('text', { nullable: true })
  kind: string | null;

  /** An increment's chain: its full backup's name; null for a full backup or when not recorded. */
  @Column('text', { nullable: true })
  base: string | null;

  /** An increment's parent: the point it was compared with (the full backup for the first increment); null for a full backup or when not recorded. */
  @Column('text', { nullable: true })
  parent: string | null;
}
