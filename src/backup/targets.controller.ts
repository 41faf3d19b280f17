import { Body, Controller, Delete, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { BackupTargetPipe } from '../common/pipes/backup-target.pipe.js';
import { ConnectionTestResultDto } from '../storage/dto/connection-test-result.dto.js';
import { StorageTargets } from '../storage/storage-targets.js';
import { DeleteTargetQueryDto } from '../targets/dto/delete-target-query.dto.js';
import { DeletedTargetDto } from '../targets/dto/deleted-target.dto.js';
import { TargetInputDto } from '../targets/dto/target-input.dto.js';
import { TargetDto } from '../targets/dto/target.dto.js';
import type { TargetDefinition } from '../targets/target-definition.js';
import { TargetDirectory } from '../targets/target-directory.js';
import { BackupCatalogService } from './backup-catalog.service.js';

const ID_PARAM = { name: 'id', example: 'b2-eu', description: 'local, r2, or the id of an added target' };

/**
 * /api/targets: the backup destinations as data (issue 16). Here rather than in the targets module because
 * deleting asks the catalog whether the target still holds backups, and Test Connection asks its storage.
 */
/** How long deleting a target waits for its store to count the backups it holds. */
const BACKUP_COUNT_LIMIT_MS = 15_000;

@ApiTags('targets')
@Controller('api/targets')
export class TargetsController {
  constructor(
    private readonly targets: TargetDirectory,
    private readonly storage: StorageTargets,
    private readonly catalog: BackupCatalogService,
  ) {}

  @Get()
  @Endpoint({ summary: 'Every backup target: the built-in local and r2, then the added ones (secrets never shown)', response: [TargetDto], errors: [503] })
  async list(): Promise<TargetDto[]> {
    return (await this.targets.list()).map((t) => TargetDto.from(t));
  }

  @Post()
  @Endpoint({
    summary: 'Add a destination: an S3-compatible store (kind s3) or a folder (kind folder)',
    description: 'A wrong or missing field answers 400 naming it and stores nothing; an id that exists answers 409. Test it with POST /api/targets/{id}/test',
    status: 201,
    response: TargetDto,
    errors: [400, 409, 503],
  })
  async create(@Body() body: TargetInputDto): Promise<TargetDto> {
    return TargetDto.from(await this.targets.create(body));
  }

  @Get(':id')
  @ApiParam(ID_PARAM)
  @Endpoint({ summary: 'One target', response: TargetDto, errors: [404, 503] })
  async get(@Param('id', BackupTargetPipe) id: string): Promise<TargetDto> {
    return TargetDto.from(await this.targets.get(id));
  }

  @Patch(':id')
  @ApiParam(ID_PARAM)
  @Endpoint({
    summary: 'Change the fields sent; for local and r2 they write the spec settings keys',
    description:
      'Omitted fields (secrets included) keep their values. A wrong field answers 400 naming it and changes nothing. local and r2 refuse a field they have no settings key for (see settings_keys), unless it is sent unchanged. ' +
      "A place another target keeps its backups in (the same folder under any spelling, or the same endpoint, bucket and prefix) answers 400; one inside another's is fine. " +
      'A change of the place (path, endpoint, bucket, prefix) while a backup or rotation of the target runs answers 409 TARGET_BUSY naming the job to wait for',
    response: TargetDto,
    errors: [400, 404, 409, 503],
  })
  async update(@Param('id', BackupTargetPipe) id: string, @Body() body: TargetInputDto): Promise<TargetDto> {
    return TargetDto.from(await this.targets.update(id, body));
  }

  @Delete(':id')
  @ApiParam(ID_PARAM)
  @Endpoint({
    summary: 'Forget an added target; its backups are never deleted',
    description:
      'A target that still holds backups (or whose backups cannot be listed now) is deleted only with ?confirm=true; without it the answer is 409 saying how many, and nothing changes. ' +
      'local and r2 cannot be deleted (409): turn them off with enabled false. A target another one replicates from cannot be deleted (409), nor one whose backup or rotation is running (409 TARGET_BUSY naming the job)',
    response: DeletedTargetDto,
    errors: [400, 404, 409, 503],
  })
  async remove(@Param('id', BackupTargetPipe) id: string, @Query() query: DeleteTargetQueryDto): Promise<DeletedTargetDto> {
    let left: number | null = null;
    await this.targets.remove(id, async (target) => {
      left = await this.backupsIn(target, query.confirm === 'true');
    });
    return { id, deleted: true, backups_left: left };
  }

  @Post(':id/test')
  @ApiParam(ID_PARAM)
  @Endpoint({
    summary: 'Test Connection of any target: its settings, the endpoint, the credentials, the bucket (or folder, and its free space) and write access',
    description:
      'Writes, reads back and deletes a small probe object named .sentinel-connection-test-<random>. Answers 200 with every check even when one fails: `ok` says whether all passed. ' +
      "Messages name the target's own fields (the spec's keys for r2 and local)",
    response: ConnectionTestResultDto,
    errors: [404, 503],
  })
  async test(@Param('id', BackupTargetPipe) id: string): Promise<ConnectionTestResultDto> {
    return ConnectionTestResultDto.from(await (await this.storage.get(id)).testConnection());
  }

  /** How many backups the target holds; a 409 unless `confirmed` when there are any or they cannot be listed. */
  private async backupsIn(target: TargetDefinition, confirmed: boolean): Promise<number | null> {
    let count: number | null;
    let why = '';
    let timer: NodeJS.Timeout | undefined;
    try {
      // A store that never answers must not hold the delete, nor the settings and target changes queued behind it
      // (TargetDirectory.serially): past the limit the count is unknown, as for a store that refuses.
      const listing = this.catalog.list(target.id);
      listing.catch(() => undefined);
      const limit = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the store did not answer within ${BACKUP_COUNT_LIMIT_MS / 1000} s`)), BACKUP_COUNT_LIMIT_MS);
      });
      count = (await Promise.race([listing, limit])).length;
    } catch (error) {
      count = null;
      why = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timer);
    }
    if (confirmed || count === 0) return count;
    const where = target.kind === 's3' ? `bucket '${target.bucket}'${target.prefix ? ` under '${target.prefix}'` : ''}` : `folder ${target.path}`;
    throw new DomainError(
      ErrorCode.Conflict,
      count === null
        ? `Cannot tell whether target '${target.id}' still holds backups (${why}). Deleting it never deletes backups; to delete it anyway, send DELETE /api/targets/${target.id}?confirm=true`
        : `Target '${target.id}' still holds ${count} backup${count === 1 ? '' : 's'} in ${where}. Deleting the target leaves them there (they are not deleted) but the service stops listing, rotating and restoring them; ` +
            `to delete it anyway, send DELETE /api/targets/${target.id}?confirm=true`,
      { target: target.id, backups: count },
    );
  }
}
