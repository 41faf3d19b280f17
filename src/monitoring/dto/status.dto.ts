import { ApiProperty } from '@nestjs/swagger';
import type { BackupTarget } from '../../common/backup-target.js';
import type { OverallState, OverallStatus } from '../overall-status.js';
import type { TargetHealth, TargetState } from '../target-health.js';

const TARGET_STATES = ['ok', 'failing', 'overdue', 'never', 'disabled'] as const;
const OVERALL_STATES = ['ok', 'warning', 'failing'] as const;

export class LastErrorDto {
  @ApiProperty({ example: 'STORAGE_ACCESS_DENIED', description: "The error code (as in the API's error answers and a job's error_code)" })
  code: string;

  @ApiProperty({
    example: 'R2 refused the credentials (403 AccessDenied): check r2_access_key_id and r2_secret_access_key in Settings',
    description: 'What was wrong and what to do',
  })
  message: string;

  @ApiProperty({ example: '2026-03-08T02:00:41.301Z' })
  time: string;
}

export class LastBackupDto {
  @ApiProperty({ type: String, nullable: true, example: 'sentinel-backup-2026-03-08-020000.tar.gz' })
  filename: string | null;

  @ApiProperty({ type: Number, nullable: true, example: 1048576 })
  size_bytes: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 41301 })
  duration_ms: number | null;
}

export class LastVerificationDto {
  @ApiProperty({ example: '2026-03-08T03:30:12.000Z' })
  time: string;

  @ApiProperty({ example: 'sentinel-backup-2026-03-08-020000.tar.gz' })
  filename: string;

  @ApiProperty({ enum: ['passed', 'failed'] })
  verdict: 'passed' | 'failed';
}

/** One target's health. */
export class TargetStatusDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({
    enum: TARGET_STATES,
    description:
      'disabled: turned off; failing: the last attempt failed (a job, or a scheduled run refused before it became one); ' +
      "overdue: no success within the schedule's period plus the grace (SENTINEL_OVERDUE_GRACE_PERCENT, default 25 %); " +
      'never: enabled, no success yet, not yet overdue; ok. The first that applies, in that order',
  })
  state: TargetState;

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({ type: String, nullable: true, example: '2026-03-08T02:00:41.301Z', description: 'When the last successful backup finished' })
  last_success: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-03-09T02:00:03.120Z', description: 'When the last attempt ended (succeeded or failed)' })
  last_attempt: string | null;

  @ApiProperty({ enum: ['succeeded', 'failed'], nullable: true, description: 'How the last attempt ended' })
  last_result: 'succeeded' | 'failed' | null;

  @ApiProperty({ type: LastErrorDto, nullable: true, description: "The last attempt's error when it failed" })
  last_error: LastErrorDto | null;

  @ApiProperty({ type: LastBackupDto, nullable: true, description: 'The archive the last successful backup stored' })
  last_backup: LastBackupDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-03-10T02:00:00.000Z',
    description: 'The next scheduled backup; null when disabled or schedules are off',
  })
  next_run: string | null;

  @ApiProperty({ type: LastVerificationDto, nullable: true, description: 'The newest verification of one of its backups (scheduled or on request)' })
  last_verification: LastVerificationDto | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-03-09T08:00:41.301Z',
    description: 'When the target is (or became) overdue if no backup succeeds before; null when disabled',
  })
  overdue_at: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'When the target became overdue; null when it is not overdue' })
  overdue_since: string | null;

  @ApiProperty({ example: 0, description: 'Failed attempts since the last success' })
  consecutive_failures: number;
}

export class StatusDto {
  @ApiProperty({
    enum: OVERALL_STATES,
    description:
      'failing: an enabled target is failing or overdue, or its last verification failed; warning: an enabled target has never been backed up, or no target is enabled; ok otherwise',
  })
  state: OverallState;

  @ApiProperty({ type: [String], example: ['R2 backups are failing: R2 refused the credentials'], description: 'Why the state is not ok, one line each' })
  reasons: string[];

  @ApiProperty({ example: '2026-03-09T09:15:00.000Z', description: "The service's time the status was computed at" })
  checked_at: string;

  @ApiProperty({ type: [TargetStatusDto] })
  targets: TargetStatusDto[];
}

export function toTargetStatusDto(health: TargetHealth): TargetStatusDto {
  return {
    target: health.target,
    state: health.state,
    enabled: health.enabled,
    last_success: health.last_success,
    last_attempt: health.last_attempt,
    last_result: health.last_result,
    last_error: health.last_error,
    last_backup: health.last_backup,
    next_run: health.next_run,
    last_verification: health.last_verification,
    overdue_at: health.overdue_at,
    overdue_since: health.overdue_since,
    consecutive_failures: health.consecutive_failures,
  };
}

export function toStatusDto(overall: OverallStatus, targets: readonly TargetHealth[], checkedAt: Date): StatusDto {
  return { state: overall.state, reasons: overall.reasons, checked_at: checkedAt.toISOString(), targets: targets.map(toTargetStatusDto) };
}
