import { ApiProperty } from '@nestjs/swagger';
import { IsObject } from 'class-validator';

/** PUT /api/settings: several settings, saved together or not at all. */
export class UpdateSettingsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: { oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] },
    example: { r2_bucket_name: 'sentinel-backups', r2_backup_retention_days: 30, r2_backup_enabled: 1 },
    description: 'Setting key → new value, each as PUT /api/settings/{key} takes it. All are checked before any is stored',
  })
  @IsObject({ message: 'values must be an object of setting key → value: send JSON like {"values": {"r2_bucket_name": "backups"}}' })
  values: Record<string, unknown>;
}
