import { ApiProperty } from '@nestjs/swagger';
import { BACKUP_FILENAME_EXAMPLE } from '../../archive-format/backup-filename.js';

export class DownloadLinkDto {
  @ApiProperty({
    description:
      'Where to GET the archive, relative to the service: carries a single-use ticket (no API token). Valid once, until expires_at; answers 403 DOWNLOAD_LINK_INVALID afterwards',
    example: `/api/backups/r2/${BACKUP_FILENAME_EXAMPLE}/download-link?ticket=3q2-7wEAAAB8n1yWcN0-jgqI8LKz4HrYQb0c_pXh0eU`,
  })
  url: string;

  @ApiProperty({ example: BACKUP_FILENAME_EXAMPLE })
  filename: string;

  @ApiProperty({ description: 'The size of the archive as stored, in bytes', example: 52428800 })
  size_bytes: number;

  @ApiProperty({ description: 'Until when the link can be used (ISO 8601, UTC)', example: '2026-12-02T14:31:00.000Z' })
  expires_at: string;
}
