import { Controller, Get, Param, Query } from '@nestjs/common';
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
}
