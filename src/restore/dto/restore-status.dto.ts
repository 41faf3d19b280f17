import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import type { BackupTarget } from '../../common/backup-target.js';
import type { ApplyOutcome, LastApply } from '../last-apply.store.js';
import type { RestoreStatus, StagingPhase } from '../restore.service.js';
import { StagedRestoreDto, toStagedRestoreDto } from './staged-restore.dto.js';

export class StagingProgressDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  archive: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ example: '2026-01-09T08:15:00.000Z' })
  started_at: string;

  @ApiProperty({
    enum: ['downloading', 'checking'],
    description: 'downloading: reading and extracting the archive, checking checksums as it goes; checking: SQLite integrity checks',
  })
  phase: StagingPhase;

  @ApiProperty({ description: 'Archive bytes read so far' })
  bytes_read: number;

  @ApiProperty({ description: 'The archive size' })
  archive_bytes: number;
}

export class LastApplyDto {
  @ApiProperty({
    enum: ['applied', 'resumed', 'rolled_back', 'failed'],
    description:
      'applied: the restored databases are live. resumed: an apply interrupted by a crash was finished at the next start. ' +
      'rolled_back: an apply could not be finished and was undone; the databases are as before. ' +
      'failed: the apply stopped before replacing anything; the databases are as before and the staged restore was withdrawn',
  })
  outcome: ApplyOutcome;

  @ApiProperty({ example: '2026-01-09T08:15:04.000Z' })
  at: string;

  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  archive: string;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty()
  message: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'pre-restore-backup-2026-01-09-081503',
    description: 'Folder in DATA_DIR with the databases as they were before',
  })
  safety_copy: string | null;
}

export class RestoreStatusDto {
  @ApiProperty({ type: () => StagedRestoreDto, nullable: true, description: 'The restore waiting for the next start, if any' })
  staged: StagedRestoreDto | null;

  @ApiProperty({ type: () => StagingProgressDto, nullable: true, description: 'A restore being staged right now, if any' })
  staging: StagingProgressDto | null;

  @ApiProperty({ type: () => LastApplyDto, nullable: true, description: 'How the last apply of a staged restore ended' })
  last_apply: LastApplyDto | null;
}

export function toRestoreStatusDto(status: RestoreStatus): RestoreStatusDto {
  const staging = status.staging;
  return {
    staged: status.staged ? toStagedRestoreDto(status.staged) : null,
    staging: staging
      ? {
          archive: staging.archive,
          target: staging.target,
          started_at: staging.startedAt,
          phase: staging.phase,
          bytes_read: staging.bytesRead,
          archive_bytes: staging.archiveBytes,
        }
      : null,
    last_apply: status.lastApply ? toLastApplyDto(status.lastApply) : null,
  };
}

function toLastApplyDto(last: LastApply): LastApplyDto {
  return { outcome: last.outcome, at: last.at, archive: last.archive, target: last.target, message: last.message, safety_copy: last.safety_copy };
}
