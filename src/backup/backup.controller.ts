import { Body, Controller, Delete, Get, Param, Post, Query, Res, StreamableFile } from '@nestjs/common';
import { ApiBody, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { BACKUP_FILENAME_EXAMPLE, BACKUP_KINDS, type BackupKind } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { AllowedQuery } from '../common/validation/allowed-query.js';
import { BackupTargetPipe } from '../common/pipes/backup-target.pipe.js';
import { archiveDownload } from './archive-download.js';
import { ageInDays, BackupCatalogService } from './backup-catalog.service.js';
import { toBackupJobDto } from './backup-job.mapper.js';
import { BackupJobs } from './backup-jobs.js';
import { BackupFileDto } from './dto/backup-file.dto.js';
import { BackupJobDto } from './dto/backup-job.dto.js';
import { DeletedBackupDto } from './dto/deleted-backup.dto.js';
import { DeleteBackupQueryDto } from './dto/delete-backup-query.dto.js';
import { AdoptedBackupDto } from './dto/adopted-backup.dto.js';
import { RotateQueryDto } from './dto/rotate-query.dto.js';
import { StartBackupDto } from './dto/start-backup.dto.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { RotationPreviewDto } from './dto/rotation-preview.dto.js';
import { RotationResultDto } from './dto/rotation-result.dto.js';
import { ReplicaCopies } from './replica-copies.js';
import { RotationService } from './rotation.service.js';

export const TARGET_PARAM = ApiParam({
  name: 'target',
  schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
  example: 'r2',
  description: 'A target id: r2 (Cloudflare R2 or the S3 endpoint), local (the local backup folder), or one added through /api/targets',
});
export const FILENAME_PARAM = ApiParam({ name: 'filename', example: BACKUP_FILENAME_EXAMPLE });

@ApiTags('backups')
@Controller('api/backups/:target')
export class BackupController {
  constructor(
    private readonly backups: BackupJobs,
    private readonly catalog: BackupCatalogService,
    private readonly rotation: RotationService,
    private readonly replicaCopies: ReplicaCopies,
  ) {}

  @Get()
  @TARGET_PARAM
  @Endpoint({
    summary: 'List every backup with size, creation time, age and owner, newest first',
    description:
      "Includes other installations' backups in a shared bucket or folder (own: false): they can be downloaded, verified and restored like this installation's own. " +
      'Plain (.tar.gz) and age-encrypted (.tar.gz.age) backups are listed together, by the time in their names; encrypted ones carry the recipients they were encrypted to. ' +
      'Each says on which replicas (targets that replicate from this one) it has a checked copy. ' +
      'Full backups and increments (sentinel-incremental-…, docs/incremental-backups.md) are listed together, each one restorable point: kind says which, and an increment names its chain (base, parent).',
    response: [BackupFileDto],
    errors: [404, 409, 502, 504],
  })
  async list(@Param('target', BackupTargetPipe) target: BackupTarget): Promise<BackupFileDto[]> {
    const [files, replicas] = await Promise.all([this.catalog.list(target), this.replicaCopies.of(target)]);
    return files.map((file) => ({
      filename: file.filename,
      size_bytes: file.sizeBytes,
      created_at: file.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      age_seconds: Math.floor(file.ageMs / 1000),
      age_days: ageInDays(file),
      installation_id: file.owner,
      own: file.own,
      encrypted: file.encrypted,
      recipients: file.recipients,
      made_here: file.madeHere,
      locked_until: file.lock ? file.lock.retainUntil.toISOString() : null,
      lock_mode: file.lock?.mode ?? null,
      replicas: replicas.copiesOf(file.filename),
      replicas_unknown: replicas.unknown,
      kind: file.kind,
      base: file.base,
      parent: file.parent,
    }));
  }

  @Post()
  @TARGET_PARAM
  @Endpoint({
    summary: 'Start a backup now; answers 202 with the job at once',
    description:
      'Poll GET /api/backup-jobs/{id} for its progress. One backup at a time per target: 409 names the running job. ' +
      'A target whose settings are incomplete is refused with 400 naming the missing settings, before any work. ' +
      'While a database is damaged or missing (GET /api/health is degraded) a backup is refused with 503 DATABASE_DAMAGED. ' +
      'An optional body {"kind": "full" | "incremental"} asks for a kind (docs/incremental-backups.md); without it the target\'s policy decides. ' +
      '"incremental" on a target whose incremental policy is off answers 409 INCREMENTAL_NOT_ENABLED; the job says what was made (backup_kind) and why a full backup was made instead (kind_reason).',
    status: 202,
    response: BackupJobDto,
    errors: [400, 404, 409, 503],
  })
  @ApiBody({ type: StartBackupDto, required: false })
  async create(@Param('target', BackupTargetPipe) target: BackupTarget, @Body() body: StartBackupDto = {}): Promise<BackupJobDto> {
    return toBackupJobDto(await this.backups.start(target, 'manual', requestedKind(body?.kind)));
  }

  @Post('rotate')
  @AllowedQuery(RotateQueryDto)
  @TARGET_PARAM
  @Endpoint({
    summary: "Delete this installation's backups that the retention rule does not keep, now; or, with ?dry_run=true, only say what would go",
    description:
      'The rule: the newest three are always kept; retention days keep what is younger; keep_hourly … keep_yearly keep the newest backup of each of that many ' +
      "most recent hours, days, ISO weeks, months, years that have one, in the service's time zone. A backup is kept when any rule keeps it. " +
      'Without any keep_* set, retention 0 keeps everything; with one set, it means no rule by age. ' +
      'Each increment is one restorable point for these rules, and a kept increment keeps its chain (its parent, and so on to its full backup; everything it might need when its chain is unknown or broken). ' +
      "Another installation's backups are never deleted; backups without an owner (earlier versions) count as this installation's only while no other installation's backups share the target. " +
      'With dry_run=true the answer is RotationPreviewDto (deleted, and kept with the reasons of each) and nothing is deleted; otherwise RotationResultDto.',
    responseOneOf: [RotationResultDto, RotationPreviewDto],
    errors: [400, 404, 409, 502, 504],
  })
  async rotate(@Param('target', BackupTargetPipe) target: BackupTarget, @Query() query: RotateQueryDto): Promise<RotationResultDto | RotationPreviewDto> {
    if (query.dry_run === 'true') {
      const preview = await this.rotation.preview(target);
      return { target: preview.target, dry_run: true, deleted: preview.deleted, kept: preview.kept };
    }
    const result = await this.rotation.rotate(target);
    return {
      target: result.target,
      retention_days: result.retentionDays,
      deleted: result.deleted,
      kept: result.kept,
      not_own: result.notOwn,
      failed: result.failed,
      kept_backups: result.keptBackups,
      locked: result.locked.map((l) => ({ filename: l.filename, retain_until: l.retainUntil ? l.retainUntil.toISOString() : null })),
    };
  }

  @Get(':filename/download')
  @TARGET_PARAM
  @FILENAME_PARAM
  @ApiProduces('application/gzip', 'application/octet-stream')
  @Endpoint({
    summary: 'Download a backup archive (streamed)',
    responseDescription: 'The .tar.gz archive (application/gzip), or the age-encrypted .tar.gz.age one (application/octet-stream) as stored',
    errors: [400, 404, 409, 502, 504],
  })
  async download(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Param('filename') filename: string,
    @Res({ passthrough: true }) response: Response,
  ): Promise<StreamableFile> {
    return archiveDownload(this.catalog, target, filename, response);
  }

  @Delete(':filename')
  @AllowedQuery(DeleteBackupQueryDto)
  @TARGET_PARAM
  @FILENAME_PARAM
  @Endpoint({
    summary: 'Delete one backup',
    description:
      "A backup that is not this installation's (own: false in the list) is deleted only with ?confirm_foreign=true; without it the answer is 409 (BACKUP_NOT_OWN) and nothing is deleted. " +
      'A backup the store keeps because of a lock (S3 Object Lock until locked_until, or an R2 bucket lock rule) answers 409 OBJECT_LOCKED with details.retain_until (null when the store does not say) and stays. ' +
      'A backup that listed increments need to be restored answers 409 BACKUP_HAS_DEPENDENTS naming them (details.dependents: up to 10, newest first; details.dependents_total) and stays: delete those first. ' +
      'A link of the chain a running incremental backup builds on (its base to its newest point) answers 409 BACKUP_CHAIN_IN_USE naming the job (details.job_id, base, last) and stays: wait for the job, then send the delete again.',
    response: DeletedBackupDto,
    errors: [400, 404, 409, 502, 504],
  })
  async delete(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Param('filename') filename: string,
    @Query() query: DeleteBackupQueryDto,
  ): Promise<DeletedBackupDto> {
    await this.catalog.delete(target, filename, query.confirm_foreign === 'true');
    return { filename, deleted: true };
  }

  @Post(':filename/adopt')
  @TARGET_PARAM
  @FILENAME_PARAM
  @Endpoint({
    summary: "Make a backup this installation's own, so its rotation manages it",
    description:
      "For another installation's backup (for example after moving to a new machine) or one without an owner from an earlier version. R2/S3: the object is copied onto itself with the new owner in its metadata (at most 5 GiB); folder: its owner file is rewritten. Adopting an own backup changes nothing. An increment whose chain is not recorded here (base and parent null in the list) has them read from its own metadata and recorded, own or not, so rotation and DELETE follow its chain; when its metadata cannot be read (encrypted to a key the server does not hold), it is adopted all the same and its chain stays unknown (rotation then keeps every older backup).",
    response: AdoptedBackupDto,
    errors: [400, 404, 409, 502, 504],
  })
  async adopt(@Param('target', BackupTargetPipe) target: BackupTarget, @Param('filename') filename: string): Promise<AdoptedBackupDto> {
    const { previousOwner, owner } = await this.catalog.adopt(target, filename);
    return { filename, installation_id: owner, previous_installation_id: previousOwner };
  }
}

/** The kind a start request asks for: undefined (the policy decides), or full / incremental; 400 naming `kind` otherwise. */
function requestedKind(kind: unknown): BackupKind | undefined {
  if (kind === undefined) return undefined;
  if (typeof kind === 'string' && (BACKUP_KINDS as readonly string[]).includes(kind)) return kind as BackupKind;
  throw new DomainError(
    ErrorCode.InvalidInput,
    `kind must be "full" or "incremental" (or left out: the target's policy decides), got ${JSON.stringify(kind)?.slice(0, 60)}`,
    {
      field: 'kind',
    },
  );
}
