import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsArray, IsBoolean, IsString, ValidateIf, type ValidationArguments } from 'class-validator';
import { jsonType } from '../../common/format.js';

const RECIPIENT_EXAMPLE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

/** Optional, but null is a wrong type, not an omission (IsOptional would let null through to the service). */
const UnlessOmitted = () => ValidateIf((_dto: unknown, value: unknown) => value !== undefined);

export class UpdateEncryptionDto {
  @ApiProperty({
    description:
      'true: encrypt future backups of the target (the first time, a new key is made and its recovery key answered once; ' +
      'backups are encrypted only after POST .../confirm). false: future backups are plain again; the keys are kept, so older encrypted backups still restore. ' +
      'With false send no other field',
  })
  @IsBoolean({
    message: ({ value }: ValidationArguments) =>
      value === undefined ? 'enabled is missing: send JSON like {"enabled": true}' : `enabled must be true or false (got ${jsonType(value)})`,
  })
  enabled: boolean;

  @ApiPropertyOptional({
    description:
      'Write-only mode: the server keeps only the public recipient of its key, never the identity. Backups are still made (and verified by size and SHA-256); ' +
      "a restore needs the recovery key in the request. Turning it on deletes the identities the server holds for the target, so it then needs forget_identities: true. Omitted: unchanged (false for a target's first key)",
  })
  @UnlessOmitted()
  @IsBoolean({ message: ({ value }: ValidationArguments) => `write_only must be true or false (got ${jsonType(value)})` })
  write_only?: boolean;

  @ApiPropertyOptional({
    type: [String],
    example: [RECIPIENT_EXAMPLE],
    description:
      "The user's own extra recipients (age1..., for example an offline key of theirs): every backup is encrypted to them too. Replaces the list; omitted: unchanged. At most 16",
  })
  @UnlessOmitted()
  @IsArray({ message: ({ value }: ValidationArguments) => `recipients must be an array of age1... strings (got ${jsonType(value)})` })
  @IsString({ each: true, message: 'recipients must hold strings only, each an age1... recipient' })
  recipients?: string[];

  @ApiPropertyOptional({
    description:
      'true: allowed to delete the identities the server holds for the target (current and retired keys), which turning write_only on does. ' +
      'Without it that switch is refused (409 ENCRYPTION_STATE_CONFLICT, listing the keys) while the server holds any: export those you need first (POST .../export {"recipient"})',
  })
  @UnlessOmitted()
  @IsBoolean({ message: ({ value }: ValidationArguments) => `forget_identities must be true or false (got ${jsonType(value)})` })
  forget_identities?: boolean;
}
