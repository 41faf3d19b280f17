import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import type { BackupTarget } from '../../common/backup-target.js';
import type { RestoreJournal } from '../restore-journal.store.js';

export class StagedDatabaseDto {
  @ApiProperty({ example: 'universe' })
  name: string;

  @ApiProperty({ example: 'universe.db' })
  filename: string;

  @ApiProperty({ example: 1234567 })
  size_bytes: number;

  @ApiProperty({
    example: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    description: 'Verified when staged, checked again before the swap',
  })
  checksum: string;
}

/** A restore waiting to be applied at the next start. */
export class StagedRestoreDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  archive: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ enum: ['staged', 'applying', 'rolling_back'], description: 'Always "staged" while the service runs; the others exist only during a start' })
  state: 'staged' | 'applying' | 'rolling_back';

  @ApiProperty({ example: '2026-01-09T08:15:00.000Z' })
  staged_at: string;

  @ApiProperty({ example: '2026-01-08T14:30:22Z', description: 'When the backup was made (from its metadata)' })
  backup_timestamp: string;

  @ApiProperty({ example: '0.1.0', description: 'The version of the service that made the backup' })
  backup_sentinel_version: string;

  @ApiProperty({ description: 'Whether staging asked for an immediate restart' })
  restart_requested: boolean;

  @ApiProperty({ type: [StagedDatabaseDto] })
  databases: StagedDatabaseDto[];
}

export class StageRestoreResultDto extends StagedRestoreDto {
  @ApiProperty({ description: 'True when the service restarts now to apply the restore (poll GET /api/health until it answers again)' })
  restarting: boolean;

  @ApiProperty({ example: 'Staged and verified; the service restarts now to apply it' })
  message: string;
}

export function toStagedRestoreDto(journal: RestoreJournal): StagedRestoreDto {
  return {
    archive: journal.archive,
    target: journal.target,
    state: journal.state,
    staged_at: journal.staged_at,
    backup_timestamp: journal.backup_timestamp,
    backup_sentinel_version: journal.backup_sentinel_version,
    restart_requested: journal.restart_requested,
    databases: journal.databases.map((db) => ({ name: db.name, filename: db.filename, size_bytes: db.size_bytes, checksum: db.checksum })),
  };
}
