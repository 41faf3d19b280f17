import { Body, Controller, Delete, Get, Param, Post } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { BackupTargetPipe } from '../common/pipes/backup-target.pipe.js';
import { RequestAbortSignal } from '../common/decorators/request-abort-signal.decorator.js';
import { BackupContentsReader } from './backup-contents-reader.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { BackupContentsDto, toBackupContentsDto } from './dto/backup-contents.dto.js';
import { StageRestoreDto } from './dto/stage-restore.dto.js';
import { VerifyBackupDto } from './dto/verify-backup.dto.js';
import { requestIdentities } from './request-identity.js';
import { StagedRestoreDto, StageRestoreResultDto, toStagedRestoreDto } from './dto/staged-restore.dto.js';
import { toVerificationReportDto, VerificationReportDto } from './dto/verification-report.dto.js';
import { RestoreService } from './restore.service.js';

const TARGET_PARAM = ApiParam({
  name: 'target',
  schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
  example: 'r2',
  description: 'A target id: r2 (Cloudflare R2 or the S3 endpoint), local (the local backup folder), or one added through /api/targets',
});

@ApiTags('restore')
@Controller('api/backups/:target')
export class RestoreController {
  constructor(
    private readonly restores: RestoreService,
    private readonly verifier: BackupVerifier,
    private readonly contents: BackupContentsReader,
  ) {}

  @Post('restore')
  @TARGET_PARAM
  @Endpoint({
    summary: 'Stage a restore (phase 1), then restart to apply it (phase 2)',
    description:
      'Downloads the archive into a staging folder in DATA_DIR, extracts it safely, verifies every checksum and runs PRAGMA integrity_check on every database; ' +
      'only then writes the .pending-restore flag and answers 202. With "restart" true (default) the service then restarts and swaps the databases in ' +
      'before it serves again (poll GET /api/health). Nothing live is touched in this phase: on any failure the answer says which check failed on which file ' +
      '(422, details.check and details.file), and nothing is left behind. One restore is staged at a time (409). ' +
      'An encrypted backup (.tar.gz.age) is decrypted with "identity" (for this request only) or a key the server holds; with none, 422 ENCRYPTION_KEY_REQUIRED ' +
      'names the key it needs, and with a key that does not open it, 422 ENCRYPTION_KEY_WRONG. One this installation did not write, or whose stored bytes ' +
      'differ from the record of its upload, is refused with 409 ARCHIVE_NOT_MADE_HERE unless "confirm_unknown" is true. ' +
      'Closing the connection before the answer cancels the staging (nothing is staged, and there is no restart).',
    status: 202,
    response: StageRestoreResultDto,
    errors: [400, 404, 409, 422, 502, 503, 504, 507],
  })
  async stage(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Body() body: StageRestoreDto,
    @RequestAbortSignal() signal: AbortSignal,
  ): Promise<StageRestoreResultDto> {
    const restart = body.restart ?? true;
    const request = { identities: requestIdentities(body.identity), confirmUnknown: body.confirm_unknown ?? false };
    const journal = await this.restores.stage(target, body.filename, { restart, request, signal });
    return {
      ...toStagedRestoreDto(journal),
      restarting: restart,
      message: restart
        ? 'Staged and verified; the service restarts now to apply it'
        : 'Staged and verified; it will be applied at the next start of the service (cancel it with DELETE .../restore/staged)',
    };
  }

  @Get('restore/staged')
  @TARGET_PARAM
  @Endpoint({ summary: 'The restore staged from this target, waiting for the next start', response: StagedRestoreDto, errors: [404] })
  async staged(@Param('target', BackupTargetPipe) target: BackupTarget): Promise<StagedRestoreDto> {
    return toStagedRestoreDto(await this.restores.staged(target));
  }

  @Delete('restore/staged')
  @TARGET_PARAM
  @Endpoint({
    summary: 'Cancel the staged restore: removes the flag and the staging folder; answers with what was withdrawn',
    response: StagedRestoreDto,
    errors: [404, 409],
  })
  async cancel(@Param('target', BackupTargetPipe) target: BackupTarget): Promise<StagedRestoreDto> {
    return toStagedRestoreDto(await this.restores.cancel(target));
  }

  @Get(':filename/contents')
  @TARGET_PARAM
  @ApiParam({ name: 'filename', example: BACKUP_FILENAME_EXAMPLE })
  @Endpoint({
    summary: 'What a restore of this backup would bring back, beside the live databases',
    description:
      "Reads the archive's backup-metadata.json (its first entry, with a restore's checks; only the archive's first bytes are downloaded) and lists " +
      "each database with its size in the backup and its size now (the live database's pages in use, as a backup made now would hold it), and the time the backup was made. Changes nothing. " +
      'An encrypted backup is read with the keys the server holds; with none (write-only mode) the answer has readable false and says that ' +
      'the contents cannot be shown without the recovery key (the current sizes still listed). A damaged archive is refused with 422.',
    response: BackupContentsDto,
    errors: [400, 404, 422, 502, 504],
  })
  async backupContents(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Param('filename') filename: string,
    @RequestAbortSignal() signal: AbortSignal,
  ): Promise<BackupContentsDto> {
    return toBackupContentsDto(await this.contents.read(target, filename, signal));
  }

  @Post(':filename/verify')
  @TARGET_PARAM
  @ApiParam({ name: 'filename', example: BACKUP_FILENAME_EXAMPLE })
  @Endpoint({
    summary: 'Verify a backup without restoring it',
    description:
      'Runs every check of a restore in a scratch folder (removed afterwards) and reports per database: size, checksum, integrity. Changes nothing. ' +
      'A damaged archive is a report with ok false, not an error. One verification runs at a time per target: a second answers 409 naming the running one. ' +
      'Closing the connection cancels the verification. An encrypted backup is verified in full with "identity" (for this request only) or a key ' +
      'the server holds; with none (write-only mode) the verification is limited (limited: true): the stored archive is downloaded and its size and ' +
      'SHA-256 compared with the record of its upload, without decrypting it. With no key and no record, 422 ENCRYPTION_KEY_REQUIRED.',
    response: VerificationReportDto,
    errors: [400, 404, 409, 422, 502, 503, 504, 507],
  })
  async verify(
    @Param('target', BackupTargetPipe) target: BackupTarget,
    @Param('filename') filename: string,
    @Body() body: VerifyBackupDto,
    @RequestAbortSignal() signal: AbortSignal,
  ): Promise<VerificationReportDto> {
    const request = { identities: requestIdentities(body?.identity) };
    return toVerificationReportDto(await this.verifier.verify(target, filename, signal, request));
  }
}
