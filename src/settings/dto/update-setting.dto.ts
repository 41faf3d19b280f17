import { ApiProperty } from '@nestjs/swagger';
import { IsDefined } from 'class-validator';

export class UpdateSettingDto {
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }],
    example: 1,
    description:
      'The new value. Flags take 1/0 or true/false; retention days a whole number (0 = forever); keep_* a whole number or an empty string (unset); schedule daily, weekly or monthly; an empty string clears a text or secret',
  })
  @IsDefined({ message: 'value is missing: send JSON like {"value": ...}' })
  value: unknown;
}
