import { ApiProperty } from '@nestjs/swagger';
import { KeptBackupDto } from './kept-backup.dto.js';

/** What POST /api/backups/{target}/rotate?dry_run=true answers: what a rotation now would do, nothing done. */
export class RotationPreviewDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({ enum: [true], description: 'Always true: nothing was deleted' })
  dry_run: true;

  @ApiProperty({ type: [String], description: 'Backups a rotation now would delete, oldest first' })
  deleted: string[];

  @ApiProperty({ type: [KeptBackupDto], description: 'Every backup a rotation now would keep, newest first, with why' })
  kept: KeptBackupDto[];
}
