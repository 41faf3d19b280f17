import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { bech32Decode, bech32Encode, Bech32Error } from './age-bech32.js';
import { AgeError } from './age-error.js';
import { X25519_KEY_LENGTH, x25519PrivateKey, x25519PublicBytes, x25519PublicKey, x25519SharedSecret } from './age-x25519.js';

/**
 * age X25519 keys as the `age` command writes them (age spec, "The X25519 recipient type"): an identity is
 * the Bech32 encoding of a 32-byte random scalar with HRP "AGE-SECRET-KEY-", upper case; its recipient is
 * the Bech32 encoding of the scalar's public point with HRP "age", lower case.
 */
export interface AgeKeyPair {
  /** `AGE-SECRET-KEY-1...`: the secret. Never logged, never in an error message. */
  identity: string;
  /** `age1...`: the public recipient of `identity`. */
  recipient: string;
}

const IDENTITY_HRP = 'age-secret-key-';
const RECIPIENT_HRP = 'age';
const IDENTITY_PREFIX = 'AGE-SECRET-KEY-1';
const RECIPIENT_PREFIX = 'age1';

/** A new random X25519 identity and its recipient (what `age-keygen` makes). */
export function generateAgeIdentity(): AgeKeyPair {
  const scalar = randomBytes(X25519_KEY_LENGTH);
  return { identity: encodeIdentity(scalar), recipient: recipientOfScalar(scalar) };
}

/**
 * The identities in `text`: a bare `AGE-SECRET-KEY-1...`, or a key file as age-keygen writes it (comment lines
 * starting with '#', blank lines, one key per line; CRLF and surrounding spaces tolerated). Each identity is
 * returned in its canonical upper-case form. Throws AgeError('key-invalid') with a message that does not
 * contain the text itself (it may be a mistyped secret), only the line number and what is wrong.
 */
export function parseAgeIdentities(text: string): string[] {
  const lines = text.split('\n');
  const identities: string[] = [];
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = lines.length > 1 ? `line ${index + 1}: ` : '';
    identities.push(encodeIdentity(decodeIdentity(line, where)));
  });
  if (identities.length === 0) {
    throw new AgeError('key-invalid', 'no age identity found: expected a line starting with AGE-SECRET-KEY-1 (comment lines start with #)');
  }
  return identities;
}

/** The recipient (`age1...`) of an identity. */
export function ageRecipientOf(identity: string): string {
  return recipientOfScalar(decodeIdentity(identity.trim(), ''));
}

/**
 * `recipient` checked (Bech32 checksum, 32-byte key, a usable X25519 point) and normalised to lower case;
 * AgeError('key-invalid') otherwise. The point check is the one encryption makes (a trial X25519), so a
 * recipient accepted here never makes every later backup fail.
 */
export function parseAgeRecipient(recipient: string): string {
  const point = ageRecipientKey(recipient);
  if (!x25519SharedSecret(trialKey(), x25519PublicKey(point))) {
    throw new AgeError(
      'key-invalid',
      `${describeInput(recipient.trim())} is not a usable age recipient: its key is a low-order X25519 point, which nothing can decrypt`,
    );
  }
  return bech32Encode(RECIPIENT_HRP, point);
}

/** True when `text` holds a secret key anywhere (quoted, prefixed, a whole key file pasted): it must never be echoed. */
export function containsAgeIdentity(text: string): boolean {
  return /AGE-SECRET-KEY-1/i.test(text);
}

/** The 32-byte X25519 public point of a recipient string; AgeError('key-invalid') when it is not one. */
export function ageRecipientKey(recipient: string): Buffer {
  const text = recipient.trim();
  if (containsAgeIdentity(text)) {
    throw new AgeError(
      'key-invalid',
      `a secret key (AGE-SECRET-KEY-1...) is not an age recipient: give its public recipient (age1..., which age-keygen -y prints)`,
    );
  }
  const what = describeInput(text);
  if (!text.toLowerCase().startsWith(RECIPIENT_PREFIX)) {
    throw new AgeError('key-invalid', `${what} is not an age recipient: it should start with age1`);
  }
  const decoded = decodeOrExplain(text, `${what} is not a valid age recipient: `);
  if (decoded.hrp !== RECIPIENT_HRP || decoded.data.length !== X25519_KEY_LENGTH) {
    throw new AgeError('key-invalid', `${what} is not a valid age recipient: it should hold a 32-byte X25519 key (62 characters in all)`);
  }
  return decoded.data;
}

/**
 * How an error names a rejected recipient: quoted only when it looks like one (public, and quoting it helps find
 * which is wrong); anything else may be a secret in another shape, so it is only described.
 */
function describeInput(text: string): string {
  if (/^age1[0-9a-z]{0,100}$/i.test(text)) return JSON.stringify(text);
  return `the text given (${text.length} characters)`;
}

let trial: ReturnType<typeof generateKeyPairSync>['privateKey'] | undefined;

/** A throwaway private key for the trial X25519 of parseAgeRecipient; made once. */
function trialKey(): ReturnType<typeof generateKeyPairSync>['privateKey'] {
  trial ??= generateKeyPairSync('x25519').privateKey;
  return trial;
}

/** The 32-byte X25519 scalar of an identity string; AgeError('key-invalid') when it is not one, without quoting it. */
export function ageIdentityKey(identity: string): Buffer {
  return decodeIdentity(identity.trim(), '');
}

function decodeIdentity(text: string, where: string): Buffer {
  if (!text.toUpperCase().startsWith(IDENTITY_PREFIX)) {
    throw new AgeError('key-invalid', `${where}not an age identity: it should start with ${IDENTITY_PREFIX}`);
  }
  const decoded = decodeOrExplain(text, `${where}not a valid age identity: `);
  if (decoded.hrp !== IDENTITY_HRP || decoded.data.length !== X25519_KEY_LENGTH) {
    throw new AgeError('key-invalid', `${where}not a valid age identity: it should hold a 32-byte key (74 characters in all)`);
  }
  return decoded.data;
}

function decodeOrExplain(text: string, lead: string): { hrp: string; data: Buffer } {
  try {
    return bech32Decode(text);
  } catch (error) {
    if (error instanceof Bech32Error) throw new AgeError('key-invalid', lead + error.message);
    throw error;
  }
}

function encodeIdentity(scalar: Uint8Array): string {
  return bech32Encode(IDENTITY_HRP, scalar).toUpperCase();
}

function recipientOfScalar(scalar: Uint8Array): string {
  return bech32Encode(RECIPIENT_HRP, x25519PublicBytes(x25519PrivateKey(scalar)));
}
