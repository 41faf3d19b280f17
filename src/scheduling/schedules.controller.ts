import { TargetRoster } from '../targets/target-roster.js';
import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { toVerificationReportDto, VerificationReportDto } from '../restore/dto/verification-report.dto.js';
import { ScheduleTimers } from './schedule-timers.js';
import { ScheduleDto, toScheduleDto } from './dto/schedule.dto.js';
import { VerificationStore } from './verification.store.js';

@ApiTags('schedules')
@Controller('api')
export class SchedulesController {
  constructor(
    private readonly scheduler: ScheduleTimers,
    private readonly verifications: VerificationStore,
    private readonly roster: TargetRoster,
  ) {}

  @Get('schedules')
  @Endpoint({
    summary: 'The scheduled jobs: backups, rotation and verification per target, with their next and last run',
    description:
      'Local backups daily at 01:00 and R2 backups daily at 03:00 by default; local_backup_schedule and r2_backup_schedule choose daily, ' +
      'weekly (Sundays), monthly (the 1st), hourly (at :15) or cron:<five fields>. Rotation daily at 03:30; ' +
      'verification of the newest backup on Sundays at 04:30. Times are wall-clock times in the service time zone (TZ): a time a ' +
      'daylight-saving change skips runs when the clock jumps, a time it repeats runs once. Each job lists its schedule in words and its next 5 runs. ' +
      'A change to local_backup_enabled, r2_backup_enabled, local_backup_schedule or r2_backup_schedule takes effect at once. ' +
      'Each target added through /api/targets has its own three jobs (<id>-backup on its schedule, daily at 03:00 by default; <id>-rotation; <id>-verify), ' +
      'started, re-timed or stopped at once when it is added, changed or deleted.',
    response: [ScheduleDto],
    errors: [503],
  })
  async schedules(): Promise<ScheduleDto[]> {
    return (await this.scheduler.status()).map(toScheduleDto);
  }

  @Get('verifications')
  @Endpoint({
    summary: 'The latest scheduled verification of each target, the added ones included (targets never verified are absent)',
    description: 'Every Sunday at 04:30 the newest backup of each enabled target is checked as a restore would check it; the latest result per target is kept.',
    response: [VerificationReportDto],
  })
  async verificationResults(): Promise<VerificationReportDto[]> {
    const since = new Map((await this.roster.added()).flatMap((entry) => (entry.since ? [[entry.id, entry.since] as const] : [])));
    return this.verifications.latest(since).map(toVerificationReportDto);
  }
}
