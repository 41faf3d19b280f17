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
  ) {}

  @Get('schedules')
  @Endpoint({
    summary: 'The scheduled jobs: backups, rotation and verification per target, with their next and last run',
    description:
      'Local backups daily at 01:00; R2 backups at 03:00 daily, on Sundays or on the 1st (r2_backup_schedule); rotation daily at 03:30; ' +
      'verification of the newest backup on Sundays at 04:30. Times are wall-clock times in the service time zone (TZ). ' +
      'A change to local_backup_enabled, r2_backup_enabled or r2_backup_schedule takes effect at once.',
    response: [ScheduleDto],
    errors: [503],
  })
  async schedules(): Promise<ScheduleDto[]> {
    return (await this.scheduler.status()).map(toScheduleDto);
  }

  @Get('verifications')
  @Endpoint({
    summary: 'The latest scheduled verification of each target (targets never verified are absent)',
    description: 'Every Sunday at 04:30 the newest backup of each enabled target is checked as a restore would check it; the latest result per target is kept.',
    response: [VerificationReportDto],
  })
  verificationResults(): VerificationReportDto[] {
    return this.verifications.latest().map(toVerificationReportDto);
  }
}
