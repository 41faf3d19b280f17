import { ApiProperty } from '@nestjs/swagger';

export class RotationFailureDto {
  @ApiProperty()
  filename: string;

  @ApiProperty()
  message: string;
}

export class RotationResultDto {
  @ApiProperty({ enum: ['local', 'r2'] })
  target: 'local' | 'r2';

  @ApiProperty({ description: '0 keeps every backup' })
  retention_days: number;

  @ApiProperty({ type: [String], description: 'Backups deleted, oldest first' })
  deleted: string[];

  @ApiProperty({ description: 'Backups kept' })
  kept: number;

  @ApiProperty({ type: [RotationFailureDto], description: 'Backups that could not be deleted' })
  failed: RotationFailureDto[];
}
