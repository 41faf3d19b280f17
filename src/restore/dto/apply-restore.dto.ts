import { ApiProperty } from '@nestjs/swagger';
import { IsString, type ValidationArguments } from 'class-validator';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import { jsonType } from '../../common/format.js';

/** POST /api/restore/apply: names the staged restore the caller means, so a restore staged meanwhile by someone else is not applied unseen. */
export class ApplyRestoreDto {
  @ApiProperty({
    example: BACKUP_FILENAME_EXAMPLE,
    description: 'The archive of the staged restore to apply, as GET /api/restore/status shows it (staged.archive)',
  })
  @IsString({
    message: ({ value }: ValidationArguments) =>
      value === undefined
        ? 'archive is missing: send JSON like {"archive": "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz"}, the staged restore\'s archive from GET /api/restore/status'
        : `archive must be a string such as "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz" (got ${jsonType(value)})`,
  })
  archive: string;
}
