import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import type { BackupTarget } from '../../common/backup-target.js';
import type { BackupContents } from '../backup-contents-reader.js';

export class DatabaseComparisonDto {
  @ApiProperty({ example: 'config' })
  name: string;

  @ApiProperty({ example: 'config.db' })
  filename: string;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 118784,
    description: "Its size in the backup (from the archive's metadata); null when the backup does not hold it or its contents cannot be read",
  })
  backup_size_bytes: number | null;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 126976,
    description:
      'The live database now, as a backup made now would hold it (its pages in use, less the free ones, times the page size); null when there is none',
  })
  current_size_bytes: number | null;
}

/** GET /api/backups/{target}/{filename}/contents: what a restore of the backup would bring back, beside what is live now. */
export class BackupContentsDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  archive: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ description: 'Encrypted with age (.tar.gz.age)' })
  encrypted: boolean;

  @ApiProperty({ description: 'False when the contents cannot be read without a key the server does not hold (unreadable_reason says so)' })
  readable: boolean;

  @ApiProperty({ type: String, nullable: true, description: 'Why the contents cannot be shown, when readable is false' })
  unreadable_reason: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-01-08T14:30:22Z', description: 'When the backup was made (its metadata); null when unreadable' })
  backup_timestamp: string | null;

  @ApiProperty({ type: String, nullable: true, example: '0.1.0', description: 'The version of the service that made the backup' })
  backup_sentinel_version: string | null;

  @ApiProperty({
    type: [DatabaseComparisonDto],
    description: "The backup's databases in its order, then managed ones it lacks; when unreadable, the managed databases with their current size",
  })
  databases: DatabaseComparisonDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: "Set when the backup's databases are not the ones this service manages: a restore of it would be refused",
  })
  database_set_problem: string | null;
}

export function toBackupContentsDto(contents: BackupContents): BackupContentsDto {
  return {
    archive: contents.archive,
    target: contents.target,
    encrypted: contents.encrypted,
    readable: contents.readable,
    unreadable_reason: contents.unreadableReason,
    backup_timestamp: contents.backupTimestamp,
    backup_sentinel_version: contents.backupSentinelVersion,
    databases: contents.databases.map((db) => ({
      name: db.name,
      filename: db.filename,
      backup_size_bytes: db.backupSizeBytes,
      current_size_bytes: db.currentSizeBytes,
    })),
    database_set_problem: contents.databaseSetProblem,
  };
}
