import type { Transform } from 'node:stream';

/**
 * A transform that writes its input as an age v1 file encrypted to every one of `recipients` (`age1...`,
 * X25519), streamed: header, 16-byte nonce, then ChaCha20-Poly1305 chunks of 64 KiB of plaintext.
 * Byte-for-byte what `age -d` reads. STUB: implemented by the age engineer.
 */
export function createAgeEncryptStream(recipients: readonly string[]): Transform {
  void recipients;
  throw new Error('not implemented');
}

/** The most an age file of `plainBytes` bytes of plaintext to `recipientCount` recipients can take (a bound for S3 part sizing). */
export function ageEncryptedSizeBound(plainBytes: number, recipientCount: number): number {
  void plainBytes;
  void recipientCount;
  throw new Error('not implemented');
}
