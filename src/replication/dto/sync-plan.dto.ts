import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';

export class PlannedCopyDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: 52428800 })
  size_bytes: number;

  @ApiProperty({ example: '2026-01-08T14:30:22Z' })
  created_at: string;

  @ApiProperty({
    enum: ['missing', 'unverified'],
    description:
      'missing: not on the replica; unverified: an archive of that name is there but was never checked as a copy of this one: ' +
      'counted as the copy when byte-identical (size and SHA-256), otherwise left untouched and that copy fails (never overwritten)',
  })
  reason: 'missing' | 'unverified';
}

export class SkippedCopyDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: "older than 'r2''s retention of 90 days: its rotation would delete it" })
  reason: string;
}

/** POST /api/targets/{id}/sync?dry_run=true: what a sync would copy now. */
export class SyncPlanDto {
  @ApiProperty({ example: 'r2', description: 'The replica' })
  target: string;

  @ApiProperty({ example: 'local', description: 'The target it copies from (its replicate_from)' })
  source: string;

  @ApiProperty({ example: true })
  dry_run: true;

  @ApiProperty({
    type: [PlannedCopyDto],
    description:
      "The source's backups (all but another installation's, those of earlier versions included) the replica has no checked copy of and its own rotation would keep, oldest first: the order a sync copies them in",
  })
  copies: PlannedCopyDto[];

  @ApiProperty({ example: 104857600, description: 'Bytes the sync would copy' })
  bytes_total: number;

  @ApiProperty({ type: [SkippedCopyDto], description: 'Backups of the source a sync leaves alone, with why' })
  skipped: SkippedCopyDto[];
}
