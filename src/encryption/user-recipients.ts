import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { AgeError } from './age/age-error.js';
import { containsAgeIdentity, parseAgeRecipient } from './age/age-keys.js';

/** A user's own recipients per target: enough for several people and offline keys, bounded so a header stays small. */
export const MAX_USER_RECIPIENTS = 16;

/**
 * The user's recipients checked one by one (Bech32, a usable X25519 point), normalised to lower case and without repeats.
 * The first bad entry is refused by its index and the reason; its text is never echoed when it looks like a
 * secret key, which is the likely mistake (pasting the recovery key where its public recipient belongs).
 */
export function validUserRecipients(recipients: readonly string[]): string[] {
  if (recipients.length > MAX_USER_RECIPIENTS) {
    throw new DomainError(ErrorCode.EncryptionKeyInvalid, `recipients has ${recipients.length} entries, at most ${MAX_USER_RECIPIENTS} are allowed`, {
      field: 'recipients',
    });
  }
  const valid: string[] = [];
  recipients.forEach((recipient, index) => {
    const field = `recipients[${index}]`;
    // Anywhere in the entry: quoted, prefixed ("identity: ...") or a whole key file pasted, it is still the secret.
    if (containsAgeIdentity(recipient)) {
      throw new DomainError(
        ErrorCode.EncryptionKeyInvalid,
        `${field} is a secret key (AGE-SECRET-KEY-1...), not a recipient: never send it here. Give its public recipient (age1..., which age-keygen -y prints)`,
        { field, index },
      );
    }
    try {
      valid.push(parseAgeRecipient(recipient.trim()));
    } catch (error) {
      if (!(error instanceof AgeError)) throw error;
      throw new DomainError(
        ErrorCode.EncryptionKeyInvalid,
        `${field} is not an age X25519 recipient: ${error.message}. A recipient looks like age1... (62 characters; age-keygen -y prints one)`,
        { field, index },
      );
    }
  });
  return [...new Set(valid)];
}
