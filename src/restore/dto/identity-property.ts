import type { ApiPropertyOptions } from '@nestjs/swagger';
import { IsString, MaxLength, type ValidationArguments } from 'class-validator';
import { jsonType } from '../../common/format.js';

/** Longer than any age-keygen key file (a few lines of comments and one key per line, a handful of keys). */
const MAX_IDENTITY_TEXT = 16 * 1024;

/** The `identity` of a restore or verification request, as the OpenAPI document shows it. */
export const IDENTITY_PROPERTY: ApiPropertyOptions = {
  type: String,
  example: 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
  maxLength: MAX_IDENTITY_TEXT,
  description:
    'The recovery key of an encrypted backup ("AGE-SECRET-KEY-1...", or the whole text of an age-keygen key file), for a backup whose key ' +
    'the server does not hold (write-only mode, a key not in its keyring, a new machine). Used for this request only: never stored or logged. ' +
    'Tried before the keys the server holds; a text that is not a key answers 400 ENCRYPTION_KEY_INVALID',
};

/** A string of reasonable length; whether it is a key is checked by the service (400 ENCRYPTION_KEY_INVALID), which never repeats it. */
export function IsIdentityText(): PropertyDecorator {
  const string = IsString({ message: ({ value }: ValidationArguments) => `identity must be a string such as "AGE-SECRET-KEY-1..." (got ${jsonType(value)})` });
  const length = MaxLength(MAX_IDENTITY_TEXT, { message: `identity is longer than any age key file (${MAX_IDENTITY_TEXT} characters at most)` });
  return (target, key) => {
    string(target, key);
    length(target, key);
  };
}
