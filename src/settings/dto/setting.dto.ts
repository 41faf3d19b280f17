import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

import { ScheduleInfoDto } from './schedule-info.dto.js';

export class SettingDto {
  @ApiProperty({ example: 'r2_backup_schedule' })
  key: string;

  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'integer' }],
    nullable: true,
    example: 'daily',
    description:
      'The effective value; flags are 1/0. Null for secrets (is_secret true), whose value is never returned; r2_access_key_id is stored encrypted but shown (it names the key, it is not the secret)',
  })
  value: string | number | null;

  @ApiProperty({ description: 'A secret (stored encrypted, write-only)' })
  is_secret: boolean;

  @ApiProperty({ description: 'Whether a non-empty value is in effect (from the database or the environment)' })
  is_set: boolean;

  @ApiProperty({
    description:
      'Whether the value in effect can be used. False only for a stored secret that the current master key cannot decrypt ' +
      '(SENTINEL_MASTER_KEY or DATA_DIR/.master-key changed since it was stored, or the stored text is damaged); `problem` then says what to do',
  })
  readable: boolean;

  @ApiPropertyOptional({ description: 'Only when readable is false: why the stored secret cannot be read and what to do' })
  problem?: string;

  @ApiProperty({ enum: ['database', 'environment', 'default'], description: 'Where the effective value comes from; the database wins over the environment' })
  source: 'database' | 'environment' | 'default';

  @ApiProperty()
  description: string;

  @ApiPropertyOptional({
    type: [String],
    description: 'The allowed values, for a choice; for a schedule, its named values (cron:<five fields> is allowed too)',
  })
  allowed_values?: string[];

  @ApiPropertyOptional({
    type: ScheduleInfoDto,
    description: 'Only for a schedule setting (r2_backup_schedule, local_backup_schedule): its value in words and its next runs',
  })
  schedule?: ScheduleInfoDto;
}
