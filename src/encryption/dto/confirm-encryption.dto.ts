import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, ValidateIf, type ValidationArguments } from 'class-validator';
import { jsonType } from '../../common/format.js';

export class ConfirmEncryptionDto {
  @ApiPropertyOptional({
    example: 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
    description:
      'The recipient of the key whose recovery key was kept (pending_recipient as shown with it). Given, the confirm is refused (409) when another key ' +
      'awaits confirmation: the shown key was replaced meanwhile (another tab, a lost answer), and confirming a key nobody kept would encrypt backups to it. ' +
      'A retry naming the key that is already current answers 200 with the state',
  })
  @ValidateIf((_dto: unknown, value: unknown) => value !== undefined)
  @IsString({ message: ({ value }: ValidationArguments) => `recipient must be an age1... string (got ${jsonType(value)})` })
  recipient?: string;
}
