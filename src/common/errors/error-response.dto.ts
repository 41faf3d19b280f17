import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'SETTING_INVALID', description: 'Machine-readable error code' })
  error: string;

  @ApiProperty({ example: "r2_backup_schedule: cron expression '0 25 * * *': hour field '25': 25 is out of range 0-23" })
  message: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Structured context, such as the field or file concerned' })
  details?: Record<string, unknown>;
}
