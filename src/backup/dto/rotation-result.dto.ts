import { ApiProperty } from '@nestjs/swagger';

export class RotationFailureDto {
  @ApiProperty()
  filename: string;

  @ApiProperty()
  message: string;
}

export class RotationResultDto {
  @ApiProperty({ type: String, pattern: '^[a-z0-9-]{1,32}$', example: 'r2', description: 'A target id: local, r2 or one added through /api/targets' })
  target: string;

  @ApiProperty({ description: '0 keeps every backup' })
  retention_days: number;

  @ApiProperty({ type: [String], description: 'Backups deleted, oldest first' })
  deleted: string[];

  @ApiProperty({ description: 'Backups kept' })
  kept: number;

  @ApiProperty({ description: "Of the backups kept, those rotation leaves alone because they are not this installation's (see own in the list)" })
  not_own: number;

  @ApiProperty({ type: [RotationFailureDto], description: 'Backups that could not be deleted' })
  failed: RotationFailureDto[];
}
