import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString, type ValidationArguments } from 'class-validator';
import { jsonType } from '../../common/format.js';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import { IDENTITY_PROPERTY, IsIdentityText } from './identity-property.js';

export class StageRestoreDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE, description: 'The backup archive to restore, as listed by GET /api/backups/{target}' })
  @IsString({
    message: ({ value }: ValidationArguments) =>
      value === undefined
        ? 'filename is missing: send JSON like {"filename": "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz"}'
        : `filename must be a string such as "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz" (got ${jsonType(value)})`,
  })
  filename: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'Restart the service at once to apply the restore (default). false: only stage it; it is applied at the next start, whenever that comes, and can be cancelled until then',
  })
  @IsOptional()
  @IsBoolean({ message: ({ value }: ValidationArguments) => `restart must be true or false (got ${jsonType(value)})` })
  restart?: boolean;

  @ApiPropertyOptional(IDENTITY_PROPERTY)
  @IsOptional()
  @IsIdentityText()
  identity?: string;

  @ApiPropertyOptional({
    default: false,
    description:
      'Restore an encrypted archive this installation has no record of writing, or whose stored bytes differ from the record of its upload ' +
      '(anyone with a public recipient can make a valid encrypted archive, so such a restore is refused with 409 ARCHIVE_NOT_MADE_HERE unless confirmed). ' +
      'Send true only for an archive you trust: a new machine after a disaster, say',
  })
  @IsOptional()
  @IsBoolean({ message: ({ value }: ValidationArguments) => `confirm_unknown must be true or false (got ${jsonType(value)})` })
  confirm_unknown?: boolean;
}
