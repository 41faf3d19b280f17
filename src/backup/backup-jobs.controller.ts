import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { toBackupJobDto } from './backup-job.mapper.js';
import { BackupJobs } from './backup-jobs.js';
import { BackupJobDto } from './dto/backup-job.dto.js';
import { JobHistoryQueryDto } from './dto/job-history-query.dto.js';

@ApiTags('backups')
@Controller('api/backup-jobs')
export class BackupJobsController {
  constructor(private readonly backups: BackupJobs) {}

  @Get()
  @AllowedQuery(JobHistoryQueryDto)
  @Endpoint({
    summary: 'Job history, newest first: backups and replications (kind), running jobs with their live progress',
    response: [BackupJobDto],
    errors: [400],
  })
  async history(@Query() query: JobHistoryQueryDto): Promise<BackupJobDto[]> {
    return (await this.backups.history(query.target, query.limit ?? 100, query.kind)).map(toBackupJobDto);
  }

  @Get(':id')
  @Endpoint({
    summary: 'One backup job: queued, running (phase and bytes), succeeded (filename and size) or failed (reason)',
    response: BackupJobDto,
    errors: [404],
  })
  async job(@Param('id') id: string): Promise<BackupJobDto> {
    return toBackupJobDto(await this.backups.job(id));
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Endpoint({
    summary:
      'Cancel a running (or queued) backup: its archive pipeline and upload stop and nothing of it is kept (no partial file, no half object, ' +
      'no unfinished multipart upload). Answers when that is done, with the job ended as cancelled (error_code BACKUP_CANCELLED). ' +
      '404 JOB_NOT_FOUND for an unknown id; 409 JOB_NOT_RUNNING when it has already ended, JOB_NOT_CANCELLABLE for a replication',
    response: BackupJobDto,
    errors: [404, 409],
  })
  async cancel(@Param('id') id: string): Promise<BackupJobDto> {
    return toBackupJobDto(await this.backups.cancel(id));
  }
}
