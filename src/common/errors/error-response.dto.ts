import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 })
  statusCode: number;

  @ApiProperty({ example: 'SETTING_INVALID', description: 'Machine-readable error code' })
  error: string;

  @ApiProperty({ example: "r2_backup_schedule must be one of: daily, weekly, monthly (got 'hourly')" })
  message: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Structured context, such as the field or file concerned' })
  details?: Record<string, unknown>;
}
