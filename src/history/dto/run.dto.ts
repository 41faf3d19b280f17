import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_KINDS, type BackupKind } from '../../archive-format/backup-filename.js';
import { RUN_KINDS, type RunKindName, type RunRow } from '../run-row.js';

export class RunDto implements RunRow {
  @ApiProperty({ example: 'b7d4c1e2-...', description: "Unique in the list: a backup or replication job's id, or event-<n> for the others" })
  id: string;

  @ApiProperty({ enum: RUN_KINDS })
  kind: RunKindName;

  @ApiProperty({ type: String, example: 'r2', description: 'The target it ran on (a replication: the replica it copied to)' })
  target: string;

  @ApiProperty({ example: '2026-01-01T03:00:00.000Z', description: 'When it began (a queued backup: when it was asked for)' })
  started_at: string;

  @ApiProperty({ nullable: true, type: String, example: '2026-01-01T03:00:12.000Z', description: 'When it ended; null while it runs' })
  finished_at: string | null;

  @ApiProperty({
    example: 'manual',
    description:
      'Who started it: manual (a request, the page), scheduled, cli (the command line), after_backup (a replication), startup (a restore applied at start)',
  })
  trigger: string;

  @ApiProperty({
    example: 'failed',
    description: 'queued, running, succeeded, failed or cancelled; a restore also staged (applied at the next start) or rolled_back',
  })
  result: string;

  @ApiProperty({ nullable: true, type: Number, example: 12000 })
  duration_ms: number | null;

  @ApiProperty({ nullable: true, type: Number, description: "A backup's archive size in bytes; null for the other kinds" })
  size_bytes: number | null;

  @ApiProperty({ nullable: true, type: String, example: 'STORAGE_ACCESS_DENIED', description: 'The error code of a failure (ErrorCode); null otherwise' })
  error_code: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'What happened, or what went wrong and what to do' })
  message: string | null;

  @ApiProperty({ nullable: true, type: String, description: 'The backup file it is about (a replication: the last archive it copied)' })
  file: string | null;

  @ApiProperty({
    nullable: true,
    enum: BACKUP_KINDS,
    example: 'incremental',
    description:
      'A backup: what it made, a full backup or an increment of its chain (its job says why a full one was made: kind_reason); null for the other kinds',
  })
  backup_kind: BackupKind | null;
}
