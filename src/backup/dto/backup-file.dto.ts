import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive/backup-filename.js';

export class BackupFileDto {
  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ example: 52428800 })
  size_bytes: number;

  @ApiProperty({ example: '2026-01-08T14:30:22Z', description: 'When the backup was made (UTC, from its name)' })
  created_at: string;

  @ApiProperty({ example: 86400, description: 'Age in seconds' })
  age_seconds: number;

  @ApiProperty({ example: 1, description: 'Age in whole days, rounded down. Rotation deletes a backup once it is older than the retention days: under retention 30, one 30 days and 1 second old' })
  age_days: number;
}
