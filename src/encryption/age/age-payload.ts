import { createCipheriv, createDecipheriv, hkdfSync } from 'node:crypto';
import { AGE_CHUNK_SIZE } from './age-format.js';

/**
 * The payload's STREAM construction (age spec, "Payload"): after the header, a 16-byte random nonce; the
 * payload key is HKDF-SHA256(ikm = file key, salt = nonce, info = "payload"); then the plaintext in chunks of
 * 64 KiB, each sealed with ChaCha20-Poly1305 under a 12-byte nonce: an 11-byte big-endian chunk counter and a
 * final byte 0x01 on the last chunk, 0x00 on the others. The flag is what makes a cut at a chunk boundary
 * detectable, and the counter what makes reordered chunks fail.
 */
export const PAYLOAD_NONCE_LENGTH = 16;
export const TAG_LENGTH = 16;
/** A full chunk as stored: 64 KiB of ciphertext and its tag. */
export const SEALED_CHUNK_SIZE = AGE_CHUNK_SIZE + TAG_LENGTH;

const CIPHER = 'chacha20-poly1305';
const LAST_CHUNK_FLAG = 1;

export function payloadKey(fileKey: Buffer, nonce: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', fileKey, nonce, 'payload', 32));
}

/** The nonce of chunk `index`; the counter's top bytes stay zero (2^48 chunks is far beyond any file). */
function chunkNonce(index: number, last: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeUIntBE(index, 5, 6);
  nonce[11] = last ? LAST_CHUNK_FLAG : 0;
  return nonce;
}

/** Chunk `index` sealed: [ciphertext, tag] (two buffers, so the plaintext is never copied to join them). */
export function sealChunk(key: Buffer, index: number, last: boolean, plaintext: Uint8Array): [Buffer, Buffer] {
  const cipher = createCipheriv(CIPHER, key, chunkNonce(index, last), { authTagLength: TAG_LENGTH });
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return [ciphertext, cipher.getAuthTag()];
}

/** The plaintext of sealed chunk `index` (ciphertext then tag), or undefined when it does not authenticate. */
export function openChunk(key: Buffer, index: number, last: boolean, sealed: Buffer): Buffer | undefined {
  const decipher = createDecipheriv(CIPHER, key, chunkNonce(index, last), { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
  const plaintext = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
  try {
    decipher.final();
  } catch {
    return undefined;
  }
  return plaintext;
}
