import { ApiProperty } from '@nestjs/swagger';
import type { BackupTarget } from '../../common/backup-target.js';
import type { ScheduleStatus } from '../schedule-timers.js';
import { SCHEDULED_JOB_NAMES, type ScheduledJobName, type ScheduledTask } from '../scheduled-jobs.js';

const OUTCOMES = ['running', 'succeeded', 'failed', 'skipped', 'disabled'] as const;

/** One scheduled job: when it runs, when it runs next, and what it did last. */
export class ScheduleDto {
  @ApiProperty({
    type: String,
    pattern: '^[a-z0-9-]{1,32}-(backup|rotation|verify)$',
    example: 'r2-backup',
    description: `<target>-backup, <target>-rotation or <target>-verify: ${SCHEDULED_JOB_NAMES.join(', ')} and the same for each target added through /api/targets`,
  })
  job: ScheduledJobName;

  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: BackupTarget;

  @ApiProperty({ enum: ['backup', 'rotation', 'verification'] })
  task: ScheduledTask;

  @ApiProperty({ description: 'Whether the job runs on its own: schedules are on (SENTINEL_SCHEDULES) and its target is enabled' })
  enabled: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'R2 backups are turned off (r2_backup_enabled = 0)',
    description: 'Why the job does not run, when it does not',
  })
  disabled_reason: string | null;

  @ApiProperty({ example: 'Sundays at 03:00', description: 'The schedule in words (wall-clock time in time_zone)' })
  schedule: string;

  @ApiProperty({
    example: 'every Sunday at 03:00 Europe/Berlin',
    description: 'The schedule in words, with the time zone when it names wall-clock times ("every hour at :15" does not)',
  })
  description: string;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'weekly',
    description:
      "A backup job's schedule value (r2_backup_schedule, local_backup_schedule): daily, weekly, monthly, hourly or cron:<five fields>; null for rotation and verification",
  })
  schedule_value: string | null;

  @ApiProperty({
    type: [String],
    example: ['2026-01-11T02:00:00.000Z', '2026-01-18T02:00:00.000Z'],
    description: 'The next 5 runs of the schedule (shown even when the job is not enabled), with the daylight-saving rules applied',
  })
  next_runs: string[];

  @ApiProperty({ example: '0 0 3 * * 0', description: 'The same as a six-field cron expression (seconds first)' })
  cron: string;

  @ApiProperty({ example: 'Europe/Berlin', description: 'The service time zone (TZ) the times are in' })
  time_zone: string;

  @ApiProperty({ type: String, nullable: true, example: '2026-01-11T02:00:00.000Z', description: 'When the job runs next; null when it is not enabled' })
  next_run: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: '2026-01-04T02:00:00.012Z',
    description: 'When the job last started since the service started (a timer or the catch-up after a start)',
  })
  last_run: string | null;

  @ApiProperty({ type: String, nullable: true, example: '2026-01-04T02:00:41.301Z' })
  last_finished: string | null;

  @ApiProperty({ enum: OUTCOMES, nullable: true, description: 'What the last run did; skipped: a backup was running or finished within the duplicate window' })
  last_outcome: (typeof OUTCOMES)[number] | null;

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'R2 backup skipped: a backup finished 12 minutes ago (duplicate window 60 min): sentinel-backup-2026-01-04-014812.tar.gz, manual',
  })
  last_message: string | null;
}

export function toScheduleDto(status: ScheduleStatus): ScheduleDto {
  return {
    job: status.job.name,
    target: status.job.target,
    task: status.job.task,
    enabled: status.enabled,
    disabled_reason: status.disabledReason,
    schedule: status.description,
    description: status.words,
    schedule_value: status.scheduleValue,
    next_runs: status.nextRuns.map((at) => at.toISOString()),
    cron: status.cron,
    time_zone: status.timeZone,
    next_run: status.nextRun?.toISOString() ?? null,
    last_run: status.lastRun?.startedAt.toISOString() ?? null,
    last_finished: status.lastRun?.finishedAt?.toISOString() ?? null,
    last_outcome: status.lastRun?.outcome ?? null,
    last_message: status.lastRun?.message ?? null,
  };
}
