import { ApiProperty } from '@nestjs/swagger';
import { KeptBackupDto } from './kept-backup.dto.js';

export class RotationFailureDto {
  @ApiProperty()
  filename: string;

  @ApiProperty()
  message: string;
}

export class RotationLockedDto {
  @ApiProperty()
  filename: string;

  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Until when the store keeps it (S3 Object Lock); null when the store refused the delete without saying (an R2 bucket lock rule)',
  })
  retain_until: string | null;
}

export class RotationResultDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({ description: '0 keeps every backup while no keep_* setting is set; with one set, 0 means no rule by age' })
  retention_days: number;

  @ApiProperty({ type: [String], description: 'Backups deleted, oldest first' })
  deleted: string[];

  @ApiProperty({ description: 'Backups kept' })
  kept: number;

  @ApiProperty({ description: "Of the backups kept, those rotation leaves alone because they are not this installation's (see own in the list)" })
  not_own: number;

  @ApiProperty({ type: [RotationFailureDto], description: 'Backups that could not be deleted' })
  failed: RotationFailureDto[];

  @ApiProperty({ type: [KeptBackupDto], description: 'The backups kept, newest first, with why (those that could not be deleted are in failed)' })
  kept_backups: KeptBackupDto[];

  @ApiProperty({
    type: [RotationLockedDto],
    description:
      'Of the backups kept, those older than the retention that a lock keeps (S3 Object Lock, an R2 bucket lock rule): not failures; a later rotation deletes them once the lock has passed',
  })
  locked: RotationLockedDto[];
}
