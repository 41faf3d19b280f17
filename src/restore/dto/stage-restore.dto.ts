import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean, IsOptional, IsString } from 'class-validator';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive/backup-filename.js';

export class StageRestoreDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE, description: 'The backup archive to restore, as listed by GET /api/backups/{target}' })
  @IsString({ message: 'The body must be JSON like {"filename": "sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz"}' })
  filename: string;

  @ApiPropertyOptional({
    default: true,
    description:
      'Restart the service at once to apply the restore (default). false: only stage it; it is applied at the next start, whenever that comes, and can be cancelled until then',
  })
  @IsOptional()
  @IsBoolean({ message: 'restart must be true or false' })
  restart?: boolean;
}
