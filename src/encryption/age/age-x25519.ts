import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';

/**
 * X25519 on node:crypto, from and to the raw 32-byte keys that age encodes (RFC 7748). node:crypto takes
 * X25519 keys as KeyObjects, so raw bytes are wrapped in the fixed DER prefix of a PKCS#8 private key or
 * an SPKI public key (RFC 8410: algorithm id 1.3.101.110) — the same bytes any X25519 key's DER has.
 */

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

/** Length of an X25519 scalar, point and shared secret. */
export const X25519_KEY_LENGTH = 32;

export function x25519PrivateKey(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, scalar]), format: 'der', type: 'pkcs8' });
}

export function x25519PublicKey(point: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, point]), format: 'der', type: 'spki' });
}

/** The public point (X25519(scalar, basepoint)) of a private key. */
export function x25519PublicBytes(privateKey: KeyObject): Buffer {
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return spki.subarray(spki.length - X25519_KEY_LENGTH);
}

/**
 * The shared secret X25519(privateKey, publicKey), or undefined when it is all zeros (a low-order point:
 * age spec, X25519 recipient type, "If the X25519 result is all zeroes, ... MUST abort"). OpenSSL refuses
 * such a point itself; both outcomes mean the same.
 */
export function x25519SharedSecret(privateKey: KeyObject, publicKey: KeyObject): Buffer | undefined {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey });
  } catch {
    return undefined;
  }
  return shared.every((b) => b === 0) ? undefined : shared;
}
