import type { Transform } from 'node:stream';

/**
 * A transform that reads an age v1 file and outputs its plaintext, streamed, with any of `identities`
 * (`AGE-SECRET-KEY-1...`). Fails the stream with an AgeError: 'not-age', 'header-invalid',
 * 'no-matching-identity', 'header-mac', 'damaged' (at the chunk, before that chunk's plaintext is output),
 * 'truncated' (at the end). Unknown stanza types (scrypt, ssh-ed25519, grease) are skipped.
 * STUB: implemented by the age engineer.
 */
export function createAgeDecryptStream(identities: readonly string[]): Transform {
  void identities;
  throw new Error('not implemented');
}
