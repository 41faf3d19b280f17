import { ApiPropertyOptional } from '@nestjs/swagger';
import { Allow } from 'class-validator';
import { BACKUP_KINDS, type BackupKind } from '../../archive-format/backup-filename.js';

/**
 * POST /api/backups/{target}'s optional body. Only `kind` is @Allow'ed, so the global ApiValidationPipe refuses any
 * other field; its value is checked by the controller (400 naming `kind`).
 */
export class StartBackupDto {
  @ApiPropertyOptional({
    enum: BACKUP_KINDS,
    description:
      'full: a full backup; incremental: an increment when the chain allows one, else a full backup (the job says why in kind_reason); ' +
      "on a target whose incremental policy is off, 409 INCREMENTAL_NOT_ENABLED. Without it the target's policy decides, as for scheduled backups",
  })
  @Allow()
  kind?: BackupKind;
}
