/**
 * age X25519 keys as the `age` command writes them: identities `AGE-SECRET-KEY-1...` (Bech32, upper case)
 * and recipients `age1...` (Bech32, lower case). STUB: implemented by the age engineer.
 */
export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1...`: the secret. Never logged, never in an error message. */
  identity: string;
  /** `age1...`: the public recipient of `identity`. */
  recipient: string;
}

/** A new random X25519 identity and its recipient (what `age-keygen` makes). */
export function generateAgeIdentity(): AgeKeyPair {
  throw new Error('not implemented');
}

/**
 * The identities in `text`: a bare `AGE-SECRET-KEY-1...`, or a key file as age-keygen writes it (comment lines
 * starting with '#', blank lines, one key per line). Throws AgeError('key-invalid') with a message that does not
 * contain the text itself (it may be a mistyped secret).
 */
export function parseAgeIdentities(text: string): string[] {
  void text;
  throw new Error('not implemented');
}

/** The recipient (`age1...`) of an identity. */
export function ageRecipientOf(identity: string): string {
  void identity;
  throw new Error('not implemented');
}

/** `recipient` checked (Bech32 checksum, 32-byte key) and normalised to lower case; AgeError('key-invalid') otherwise. */
export function parseAgeRecipient(recipient: string): string {
  void recipient;
  throw new Error('not implemented');
}
