import { Controller, HttpCode, HttpStatus, Param, Post, Query, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { toBackupJobDto } from '../backup/backup-job.mapper.js';
import { BackupJobDto } from '../backup/dto/backup-job.dto.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { SyncPlanDto } from './dto/sync-plan.dto.js';
import { SyncQueryDto } from './dto/sync-query.dto.js';
import { ReplicationJobs } from './replication-jobs.js';

const seconds = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, 'Z');

@ApiTags('targets')
@Controller('api/targets')
export class ReplicationController {
  constructor(private readonly jobs: ReplicationJobs) {}

  @Post(':id/sync')
  @HttpCode(HttpStatus.ACCEPTED)
  @AllowedQuery(SyncQueryDto)
  @ApiOkResponse({ type: SyncPlanDto, description: 'With ?dry_run=true: what a sync would copy now, oldest first; nothing changed' })
  @ApiParam({ name: 'id', example: 'r2', description: 'The replica: a target whose replicate_from names the target it copies' })
  @Endpoint({
    summary: "Copy to a replica every backup of its source it is missing, now; answers 202 with the replication's job",
    description:
      "Copies, oldest first, the backups in the source (replicate_from; all but another installation's) that the replica holds no checked copy of and that " +
      "the replica's own rotation would keep (its retention days and keep_*); each copy is checked on arrival " +
      '(size, and the SHA-256 read back from the replica against what was read from the source) and deleted again if it does not match. ' +
      'An archive of the same name already in the replica is never overwritten: byte-identical, it counts as the copy; otherwise that copy fails and the job names it. ' +
      'Poll GET /api/backup-jobs/{id} for its progress (kind: replication). One replication per replica at a time: 409 names the running job. ' +
      'With ?dry_run=true the answer is 200 with the list of what it would copy (SyncPlanDto), and nothing changes. ' +
      'A target that replicates from none answers 400 naming replicate_from.',
    status: 202,
    response: BackupJobDto,
    errors: [400, 404, 409, 502, 504],
  })
  async sync(@Param('id') id: string, @Query() query: SyncQueryDto, @Res({ passthrough: true }) response: Response): Promise<BackupJobDto | SyncPlanDto> {
    if (query.dry_run === 'true') {
      const plan = await this.jobs.plan(id);
      response.status(HttpStatus.OK);
      return {
        target: plan.target,
        source: plan.source,
        dry_run: true,
        copies: plan.copies.map((copy) => ({ filename: copy.filename, size_bytes: copy.sizeBytes, created_at: seconds(copy.createdAt), reason: copy.reason })),
        bytes_total: plan.copies.reduce((sum, copy) => sum + copy.sizeBytes, 0),
        skipped: plan.skipped,
      };
    }
    return toBackupJobDto(await this.jobs.sync(id));
  }
}
