import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, ValidateIf, type ValidationArguments } from 'class-validator';
import { jsonType } from '../../common/format.js';

export class ExportEncryptionKeyDto {
  @ApiPropertyOptional({
    example: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    description:
      "The recipient of the key to export, as the target's keys list it: a retired key's, to keep it before write-only mode deletes it. " +
      'Omitted: the current key. A key awaiting confirmation is not exported (409); a key without a stored identity neither (409)',
  })
  @ValidateIf((_dto: unknown, value: unknown) => value !== undefined)
  @IsString({ message: ({ value }: ValidationArguments) => `recipient must be an age1... string (got ${jsonType(value)})` })
  recipient?: string;
}
