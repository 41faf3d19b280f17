import { createCipheriv, createDecipheriv, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { base64Raw, fromBase64Raw } from './age-base64.js';
import { AgeError } from './age-error.js';
import type { AgeStanza } from './age-header.js';
import { X25519_KEY_LENGTH, x25519PrivateKey, x25519PublicBytes, x25519PublicKey, x25519SharedSecret } from './age-x25519.js';

/**
 * The X25519 recipient stanza (age spec, "The X25519 recipient type"):
 *
 *     -> X25519 base64(ephemeral share)
 *     base64(ChaCha20-Poly1305(wrap key, nonce 0, file key))
 *
 * wrap key = HKDF-SHA256(ikm = X25519(ephemeral, recipient), salt = share || recipient,
 * info = "age-encryption.org/v1/X25519"). A fresh ephemeral key per stanza, so two stanzas never share a secret.
 */
export const X25519_STANZA_TYPE = 'X25519';

const WRAP_INFO = 'age-encryption.org/v1/X25519';
const ZERO_NONCE = Buffer.alloc(12);
const TAG_LENGTH = 16;
/** The file key is 16 bytes (age spec, "File key"), so the wrapped key is 16 + 16 bytes of tag. */
const FILE_KEY_LENGTH = 16;

/** An identity ready to unwrap stanzas: its private key and its public point (part of the HKDF salt). */
export interface X25519Unwrapper {
  privateKey: KeyObject;
  publicPoint: Buffer;
}

export function x25519Unwrapper(scalar: Buffer): X25519Unwrapper {
  const privateKey = x25519PrivateKey(scalar);
  return { privateKey, publicPoint: x25519PublicBytes(privateKey) };
}

/** The stanza that gives `fileKey` to the holder of the identity of `recipientPoint`. */
export function wrapFileKey(fileKey: Buffer, recipientPoint: Buffer): AgeStanza {
  const ephemeral = generateKeyPairSync('x25519').privateKey;
  const share = x25519PublicBytes(ephemeral);
  const shared = x25519SharedSecret(ephemeral, x25519PublicKey(recipientPoint));
  // Only a low-order recipient point gives an all-zero secret; parseAgeRecipient accepts any 32 bytes, so say it here.
  if (!shared) throw new AgeError('key-invalid', 'the age recipient is not a usable X25519 key (a low-order point)');
  const cipher = createCipheriv('chacha20-poly1305', wrapKey(shared, share, recipientPoint), ZERO_NONCE, { authTagLength: TAG_LENGTH });
  const body = Buffer.concat([cipher.update(fileKey), cipher.final(), cipher.getAuthTag()]);
  return { type: X25519_STANZA_TYPE, args: [base64Raw(share)], body };
}

/** An X25519 stanza read once per file: its share as a KeyObject (made once, tried with every identity) and its body. */
export interface X25519Share {
  share: Buffer;
  publicKey: KeyObject;
  body: Buffer;
}

/** Throws AgeError('header-invalid') for an X25519 stanza that breaks the spec's shape (one 32-byte argument, a 32-byte body), as age does. */
export function x25519ShareOf(stanza: AgeStanza): X25519Share {
  const share = stanza.args.length === 1 ? fromBase64Raw(stanza.args[0]) : undefined;
  if (!share || share.length !== X25519_KEY_LENGTH || stanza.body.length !== FILE_KEY_LENGTH + TAG_LENGTH) {
    throw new AgeError('header-invalid', 'the age header is malformed: an X25519 stanza does not have one 32-byte share and a 32-byte body');
  }
  return { share, publicKey: x25519PublicKey(share), body: stanza.body };
}

/**
 * The file key in the stanza if `identity` opens it, else undefined. A low-order share (an all-zero X25519
 * result, whatever the identity) throws AgeError('header-invalid'): the spec says MUST abort, and age -d does.
 */
export function unwrapFileKey(stanza: X25519Share, identity: X25519Unwrapper): Buffer | undefined {
  const { share, body } = stanza;
  const shared = x25519SharedSecret(identity.privateKey, stanza.publicKey);
  if (!shared) {
    throw new AgeError(
      'header-invalid',
      'the age header is invalid: an X25519 stanza has a low-order share, which age refuses (the file was crafted or damaged)',
    );
  }
  const decipher = createDecipheriv('chacha20-poly1305', wrapKey(shared, share, identity.publicPoint), ZERO_NONCE, { authTagLength: TAG_LENGTH });
  decipher.setAuthTag(body.subarray(FILE_KEY_LENGTH));
  const fileKey = decipher.update(body.subarray(0, FILE_KEY_LENGTH));
  try {
    decipher.final();
  } catch {
    return undefined; // another recipient's stanza
  }
  return fileKey;
}

function wrapKey(shared: Buffer, share: Buffer, recipientPoint: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([share, recipientPoint]), WRAP_INFO, 32));
}
