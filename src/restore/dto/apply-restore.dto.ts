import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, type ValidationArguments } from 'class-validator';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';
import { BACKUP_TARGET_PATTERN } from '../../common/backup-target.js';
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

  @ApiPropertyOptional({
    example: 'local',
    description:
      "The staged restore's target, as GET /api/restore/status shows it (staged.target). When given, a restore staged from another target is not applied (404)",
  })
  @IsOptional()
  // The value is not quoted back: whatever was sent there (a key pasted into the wrong field) stays out of the response.
  @Matches(BACKUP_TARGET_PATTERN, { message: 'target must be a target id such as "local" or "r2", as GET /api/restore/status shows it (staged.target)' })
  target?: string;
}
