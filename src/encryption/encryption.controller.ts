import { Body, Controller, Get, Param, Post, Put, Req, Res } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AuditRecorder } from '../audit/audit-recorder.js';
import type { BackupTarget } from '../common/backup-target.js';
import { Endpoint } from '../common/decorators/endpoint.decorator.js';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { ConfirmEncryptionDto } from './dto/confirm-encryption.dto.js';
import { EncryptionChangeDto } from './dto/encryption-change.dto.js';
import { ExistingTargetPipe } from '../targets/existing-target.pipe.js';
import { EncryptionStatusDto, encryptionStatusDto } from './dto/encryption-status.dto.js';
import { ExportEncryptionKeyDto } from './dto/export-encryption-key.dto.js';
import { ExportedKeyDto } from './dto/exported-key.dto.js';
import { UpdateEncryptionDto } from './dto/update-encryption.dto.js';
import { EncryptionKeys } from './encryption-keys.service.js';
import type { EncryptionChangeResult } from './encryption-status.js';

const TARGET_PARAM = ApiParam({
  name: 'target',
  schema: { type: 'string', pattern: '^[a-z0-9-]{1,32}$' },
  example: 'r2',
  description: 'A target id: r2 (Cloudflare R2 or the S3 endpoint), local (the local backup folder), or one added through /api/targets',
});

@ApiTags('encryption')
@Controller('api/encryption/:target')
export class EncryptionController {
  constructor(
    private readonly keys: EncryptionKeys,
    private readonly audit: AuditRecorder,
  ) {}

  @Get()
  @TARGET_PARAM
  @Endpoint({
    summary: "A target's encryption: state, write-only mode, recipients and keyring (never an identity)",
    response: EncryptionStatusDto,
    errors: [404],
  })
  async get(@Param('target', ExistingTargetPipe) target: BackupTarget): Promise<EncryptionStatusDto> {
    return encryptionStatusDto(await this.keys.status(target));
  }

  @Put()
  @TARGET_PARAM
  @Endpoint({
    summary: 'Turn encryption of future backups on or off, choose write-only mode and extra recipients',
    description:
      'Turning it on the first time (or again before confirming) makes a new age key: the answer has state awaiting_confirmation and `recovery_key`, ' +
      'shown this once; backups are encrypted only after POST .../confirm. Turning it on again after it was off reuses the confirmed key. ' +
      'Turning write-only mode on deletes the identities the server holds for the target: while it holds any, that needs `forget_identities: true` ' +
      '(409 ENCRYPTION_STATE_CONFLICT otherwise, listing the keys; export those you need first). Turning it off makes a new key to confirm. ' +
      'A recipient that is not an age1... X25519 recipient is refused (400 ENCRYPTION_KEY_INVALID, naming the entry) and nothing changes.',
    response: EncryptionChangeDto,
    errors: [400, 404, 409],
  })
  async update(@Param('target', ExistingTargetPipe) target: BackupTarget, @Body() body: UpdateEncryptionDto): Promise<EncryptionChangeDto> {
    return toChangeDto(
      await this.keys.update(target, {
        enabled: body.enabled,
        writeOnly: body.write_only,
        recipients: body.recipients,
        forgetIdentities: body.forget_identities,
      }),
    );
  }

  @Post('confirm')
  @TARGET_PARAM
  @Endpoint({
    summary: 'Confirm the recovery key was kept: the key awaiting confirmation becomes the current one',
    description:
      'The first key: encryption becomes active. A rotation: the previous key is retired (kept: it still decrypts older backups). ' +
      'Nothing awaiting confirmation, or another key than the `recipient` given: 409 ENCRYPTION_STATE_CONFLICT. The body is optional.',
    response: EncryptionStatusDto,
    errors: [400, 404, 409],
  })
  async confirm(@Param('target', ExistingTargetPipe) target: BackupTarget, @Body() body: ConfirmEncryptionDto): Promise<EncryptionStatusDto> {
    return encryptionStatusDto(await this.keys.confirm(target, body?.recipient));
  }

  @Post('rotate')
  @TARGET_PARAM
  @Endpoint({
    summary: 'Make a new key for future backups (active encryption only); answers its recovery key once',
    description: 'Backups stay encrypted to the current key until the new one is confirmed (POST .../confirm); older keys are kept for older backups.',
    response: EncryptionChangeDto,
    errors: [404, 409],
  })
  async rotate(@Param('target', ExistingTargetPipe) target: BackupTarget): Promise<EncryptionChangeDto> {
    return toChangeDto(await this.keys.rotate(target));
  }

  @Post('export')
  @TARGET_PARAM
  @Endpoint({
    summary: "Export a key's identity (recovery key): the current key's, or a retired one's given its recipient; recorded in the audit log",
    description:
      '409 ENCRYPTION_STATE_CONFLICT when the server does not hold the identity (write-only mode) and before a key is confirmed; 404 for a recipient ' +
      "that is none of the target's keys. The audit entry is written before the answer: when it cannot be, the key is not handed out (500). The body is optional.",
    response: ExportedKeyDto,
    errors: [400, 404, 409],
  })
  async export(
    @Param('target', ExistingTargetPipe) target: BackupTarget,
    @Body() body: ExportEncryptionKeyDto,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ExportedKeyDto> {
    const { recipient, identity } = await this.keys.exportKey(target, body?.recipient, (exported) => {
      try {
        this.audit.recordBeforeAnswer(request, response, exported);
      } catch (error) {
        throw new DomainError(
          ErrorCode.Internal,
          `The key was not exported: its audit log entry could not be written (${(error as Error).message}). An export is never answered unrecorded; ` +
            'check the disk of the data folder (DATA_DIR/.audit.db), then retry',
          { target },
        );
      }
    });
    return { target, recipient, recovery_key: identity };
  }
}

function toChangeDto(result: EncryptionChangeResult): EncryptionChangeDto {
  const dto: EncryptionChangeDto = encryptionStatusDto(result.status);
  if (result.recoveryKey !== undefined) dto.recovery_key = result.recoveryKey;
  return dto;
}
