/**
 * The base64 of age headers: RFC 4648 standard alphabet without padding, and canonical (age spec,
 * "Encoding": "unpadded ... and MUST reject non-canonical encodings"). node's base64 decoder is lenient
 * (it skips stray characters and ignores trailing bits), so decoding checks the alphabet and re-encodes
 * to prove the text is the one encoding of its bytes.
 */

const ALPHABET = /^[A-Za-z0-9+/]*$/;

export function base64Raw(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

/** The bytes of canonical unpadded base64 `text`, or undefined when it is not that. */
export function fromBase64Raw(text: string): Buffer | undefined {
  if (!ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64');
  return base64Raw(bytes) === text ? bytes : undefined;
}
