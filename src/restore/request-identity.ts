import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { AgeError } from '../encryption/age/age-error.js';
import { parseAgeIdentities } from '../encryption/age/age-keys.js';

/**
 * The identities of a request's `"identity"` (a bare `AGE-SECRET-KEY-1...` or the text of an age-keygen
 * key file), for that request only: never stored, logged or put in an event. Absent: none. One that is
 * not a key is a 400 that says so without repeating it (it may be a mistyped secret).
 */
export function requestIdentities(identity: string | undefined): string[] {
  if (identity === undefined) return [];
  try {
    return parseAgeIdentities(identity);
  } catch (error) {
    const why = error instanceof AgeError ? error.message : 'it could not be read';
    throw new DomainError(
      ErrorCode.EncryptionKeyInvalid,
      `"identity" is not an age recovery key: ${why}. Send the recovery key shown when encryption was turned on ("AGE-SECRET-KEY-1...") or the whole text of its key file`,
    );
  }
}
