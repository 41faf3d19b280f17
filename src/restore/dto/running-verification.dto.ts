import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import type { BackupTarget } from '../../common/backup-target.js';
import type { RunningVerification } from '../backup-verifier.service.js';

export class RunningVerificationDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: '2026-01-09T08:15:00.000Z', description: 'When it began (or was asked for, while it waits for its turn)' })
  started_at: string;

  @ApiProperty({ description: 'Archive bytes read so far' })
  bytes_read: number;

  @ApiProperty({ description: 'The archive size; 0 until it is open (and for a limited verification, which reads the stored bytes without unpacking)' })
  archive_bytes: number;
}

export function toRunningVerificationDto(running: RunningVerification): RunningVerificationDto {
  return {
    target: running.target,
    filename: running.filename,
    started_at: running.startedAt,
    bytes_read: running.bytesRead,
    archive_bytes: running.archiveBytes,
  };
}
