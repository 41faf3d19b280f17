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
}
