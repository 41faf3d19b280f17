import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { RunQueryDto } from './dto/run-query.dto.js';
import { RunDto } from './dto/run.dto.js';
import { RunHistoryService } from './run-history.service.js';

@ApiTags('history')
@Controller('api/runs')
export class RunsController {
  constructor(private readonly history: RunHistoryService) {}

  @Get()
  @AllowedQuery(RunQueryDto)
  @Endpoint({
    summary: 'The run history, newest first: backups, verifications, rotations, replications and restores, failed ones included',
    description:
      'Each row: kind, target, start and end, trigger, result, duration, size, error code and message, and the backup file it is about. ' +
      'Backups and replications come from their jobs (DATA_DIR/.backup-runs.db); verifications (manual and scheduled, a verification that ' +
      'could not run included), rotations and restores (staged, staging failed, cancelled, applied, rolled back) are recorded as they end in ' +
      'DATA_DIR/.run-events.db, the newest 1000 per target. Both files are outside the backed-up databases, so a restore does not roll them back.',
    response: [RunDto],
    errors: [400],
  })
  list(@Query() query: RunQueryDto): Promise<RunDto[]> {
    return this.history.list({ target: query.target, kind: query.kind, limit: query.limit ?? 100 });
  }
}
