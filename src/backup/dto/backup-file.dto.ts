import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE, BACKUP_KINDS, type BackupKind } from '../../archive-format/backup-filename.js';

export class BackupFileDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: 52428800 })
  size_bytes: number;

  @ApiProperty({ example: '2026-01-08T14:30:22Z', description: 'When the backup was made (UTC, from its name)' })
  created_at: string;

  @ApiProperty({ example: 86400, description: 'Age in seconds' })
  age_seconds: number;

  @ApiProperty({
    example: 1,
    description:
      'Age in whole days, rounded down. Rotation deletes a backup once it is older than the retention days: under retention 30, one 30 days and 1 second old',
  })
  age_days: number;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '6f1c2a9e-4b7d-4e21-9a53-0c8d2f7b1e44',
    description:
      "The installation that made the backup (GET /api/health shows this installation's); null for backups of earlier versions, which recorded none; 'unreadable' when the marker is damaged",
  })
  installation_id: string | null;

  @ApiProperty({
    example: true,
    description:
      "Whether this installation manages the backup: its own, or one without an owner while no other installation's backups share the target. Rotation deletes only these; others are listed, downloadable and restorable, deleted only with ?confirm_foreign=true, and adopted with POST .../adopt",
  })
  own: boolean;

  @ApiProperty({ example: false, description: 'Encrypted with age: the name ends in .tar.gz.age, and inside is the same .tar.gz as a plain backup' })
  encrypted: boolean;

  @ApiProperty({
    nullable: true,
    type: [String],
    example: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
    description:
      "The age recipients an encrypted backup was encrypted to: the identity of any one of them decrypts it (this tells which key it needs). From this installation's record of it, else from the object's metadata; null when plain or unknown",
  })
  recipients: string[] | null;

  @ApiProperty({
    example: true,
    description:
      'This installation recorded writing this backup (SHA-256 and size of the bytes stored) and it still has that size. A restore checks the hash; an encrypted backup not made here is restored only with "confirm_unknown": true',
  })
  made_here: boolean;

  @ApiProperty({
    nullable: true,
    type: String,
    example: '2027-01-08T14:30:22.000Z',
    description:
      'S3 Object Lock: the date before which the store refuses to delete this backup (rotation keeps it, DELETE answers 409 OBJECT_LOCKED); null when it has no lock the store reports',
  })
  locked_until: string | null;

  @ApiProperty({ nullable: true, enum: ['governance', 'compliance'], description: 'The Object Lock mode of locked_until; null without a lock' })
  lock_mode: 'governance' | 'compliance' | null;

  @ApiProperty({
    type: [String],
    example: ['r2'],
    description:
      'The replicas (targets whose replicate_from is this target) holding a copy of this backup that the replication checked on arrival (size and SHA-256) and that is still the object recorded there with the SHA-256 recorded for this backup (an object of the same size put under the name since is no copy); for an increment, only where every point it is restored through is such a copy too. Empty when none, or when no target replicates from this one',
  })
  replicas: string[];

  @ApiProperty({
    type: [String],
    example: [],
    description: 'Replicas that could not be listed now (unreachable): whether they hold this backup is unknown, so it is not in `replicas`',
  })
  replicas_unknown: string[];

  @ApiProperty({
    enum: BACKUP_KINDS,
    example: 'full',
    description:
      'full: a self-contained archive (sentinel-backup-…); incremental: the pages changed since its parent (sentinel-incremental-…), restorable with the full backup and the increments before it',
  })
  kind: BackupKind;

  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      "An increment's full backup (the first point of its chain), by filename; null for a full backup, and for an increment this installation has no record of (its chain is unknown)",
  })
  base: string | null;

  @ApiProperty({
    nullable: true,
    type: String,
    example: null,
    description:
      'The point an increment was made against, by filename: its full backup for the first increment of a chain, the increment before otherwise; null as base',
  })
  parent: string | null;
}
