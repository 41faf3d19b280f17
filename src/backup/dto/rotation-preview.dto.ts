import { ApiProperty } from '@nestjs/swagger';
import { KeptBackupDto } from './kept-backup.dto.js';

/** What POST /api/backups/{target}/rotate?dry_run=true answers: what a rotation now would do, nothing done. */
export class RotationPreviewDto {
  @ApiProperty({ enum: ['local', 'r2'] })
  target: 'local' | 'r2';

  @ApiProperty({ enum: [true], description: 'Always true: nothing was deleted' })
  dry_run: true;

  @ApiProperty({ type: [String], description: 'Backups a rotation now would delete, oldest first' })
  deleted: string[];

  @ApiProperty({ type: [KeptBackupDto], description: 'Every backup a rotation now would keep, newest first, with why' })
  kept: KeptBackupDto[];
}
