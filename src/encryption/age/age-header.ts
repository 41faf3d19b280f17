import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { base64Raw, fromBase64Raw } from './age-base64.js';
import { AgeError } from './age-error.js';
import { AGE_HEADER_LINE } from './age-format.js';

/**
 * The age v1 header (age spec, "Header"):
 *
 *     age-encryption.org/v1
 *     -> TYPE ARG ARG...          one stanza per recipient
 *     BODY IN BASE64, 64 COLUMNS  the last line shorter than 64, possibly empty
 *     --- MAC                     HMAC-SHA256 of everything up to and including "---"
 *
 * Written and parsed here; what a stanza means (X25519 or another type) is the caller's business.
 */
export interface AgeStanza {
  type: string;
  args: string[];
  body: Buffer;
}

/** A parsed header: its stanzas, the bytes its MAC covers, the MAC, and the header's length in the input. */
export interface ParsedAgeHeader {
  stanzas: AgeStanza[];
  macInput: Buffer;
  mac: Buffer;
  length: number;
}

/** Real headers are a few hundred bytes; more than this is a damaged or hostile file, not a header to buffer. */
export const MAX_HEADER_BYTES = 64 * 1024;
/**
 * Each X25519 stanza costs one X25519 per identity tried, on the event loop; hostile stanzas against a keyring
 * would hold it for a long stretch. Real files have a handful of recipients (the spec sets no limit); ours at
 * most 17 (the target's key and MAX_USER_RECIPIENTS), so 32 leaves room for files made elsewhere.
 */
export const MAX_STANZAS = 32;

const STANZA_PREFIX = '-> ';
const MAC_PREFIX = '---';
const BODY_COLUMNS = 64;
const MAC_LENGTH = 32;
/** An "arbitrary string" of the spec: one or more printable ASCII characters (VCHAR), no spaces. */
const ARBITRARY_STRING = /^[\x21-\x7e]+$/;
const BASE64_LINE = /^[A-Za-z0-9+/]*$/;

/** The header (with its MAC line) for `stanzas`, MACed with the file key (age spec, "Header MAC"). */
export function writeAgeHeader(stanzas: readonly AgeStanza[], fileKey: Buffer): Buffer {
  let text = AGE_HEADER_LINE;
  for (const stanza of stanzas) {
    text += `${STANZA_PREFIX}${[stanza.type, ...stanza.args].join(' ')}\n`;
    // Full 64-column lines, then a shorter final line, empty when the body fills its last line exactly.
    const body = base64Raw(stanza.body);
    for (let i = 0; i + BODY_COLUMNS <= body.length; i += BODY_COLUMNS) text += `${body.slice(i, i + BODY_COLUMNS)}\n`;
    text += `${body.slice(body.length - (body.length % BODY_COLUMNS))}\n`;
  }
  text += MAC_PREFIX;
  const macInput = Buffer.from(text, 'latin1');
  return Buffer.concat([macInput, Buffer.from(` ${base64Raw(headerMac(fileKey, macInput))}\n`, 'latin1')]);
}

/** HMAC-SHA256 under HKDF-SHA256(ikm = file key, salt = empty, info = "header") (age spec, "Header MAC"). */
export function headerMac(fileKey: Buffer, macInput: Buffer): Buffer {
  const key = Buffer.from(hkdfSync('sha256', fileKey, Buffer.alloc(0), 'header', 32));
  return createHmac('sha256', key).update(macInput).digest();
}

/** True when `mac` is the header MAC of `header` under `fileKey` (compared in constant time). */
export function headerMacMatches(header: ParsedAgeHeader, fileKey: Buffer): boolean {
  return timingSafeEqual(headerMac(fileKey, header.macInput), header.mac);
}

/**
 * Parses the header at the start of `input` (the bytes read so far): undefined when the header is not
 * complete yet; throws AgeError 'not-age' when the first line is not age v1's, 'header-invalid' when a line
 * breaks the grammar or the header exceeds MAX_HEADER_BYTES. Strict, as the spec asks, so a file that one
 * implementation reads is read the same way by every other.
 */
export function parseAgeHeader(input: Buffer): ParsedAgeHeader | undefined {
  const versionLength = AGE_HEADER_LINE.length;
  const head = input.subarray(0, versionLength).toString('latin1');
  if (head !== AGE_HEADER_LINE.slice(0, head.length)) {
    throw new AgeError('not-age', notAgeMessage(head));
  }
  // The MAC line is the only line that starts with "---" (stanza lines start with "->", body lines are base64).
  const macStart = input.indexOf('\n---', versionLength - 1);
  const macEnd = macStart < 0 ? -1 : input.indexOf('\n', macStart + 1);
  if (macEnd < 0) {
    if (input.length > MAX_HEADER_BYTES) throw invalid(`no end of header in the first ${MAX_HEADER_BYTES} bytes`);
    return undefined;
  }
  if (macEnd + 1 > MAX_HEADER_BYTES) throw invalid(`the header is longer than ${MAX_HEADER_BYTES} bytes`);

  const lines = input
    .subarray(versionLength, macStart + 1)
    .toString('latin1')
    .split('\n');
  lines.pop(); // the empty string after the last LF
  const stanzas: AgeStanza[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i++];
    if (!line.startsWith(STANZA_PREFIX)) throw invalid(`line ${i + 1} is neither a stanza ("-> ...") nor the MAC line ("--- ...")`);
    const [type, ...args] = line.slice(STANZA_PREFIX.length).split(' ');
    if (![type, ...args].every((s) => ARBITRARY_STRING.test(s))) throw invalid(`stanza line ${i + 1} has an empty or non-ASCII argument`);
    let bodyText = '';
    for (;;) {
      if (i >= lines.length) throw invalid(`the stanza at line ${i} has no final body line shorter than ${BODY_COLUMNS} columns`);
      const bodyLine = lines[i++];
      if (bodyLine.length > BODY_COLUMNS || !BASE64_LINE.test(bodyLine)) throw invalid(`line ${i + 1} is not a base64 stanza body line`);
      bodyText += bodyLine;
      if (bodyLine.length < BODY_COLUMNS) break;
    }
    const body = fromBase64Raw(bodyText);
    if (!body) throw invalid(`the stanza body ending at line ${i + 1} is not canonical unpadded base64`);
    stanzas.push({ type, args, body });
    if (stanzas.length > MAX_STANZAS)
      throw invalid(`it has more than ${MAX_STANZAS} recipient stanzas (this service reads at most ${MAX_STANZAS}; re-encrypt it to fewer recipients)`);
  }

  const macLine = input.subarray(macStart + 1, macEnd).toString('latin1');
  const mac = macLine.startsWith(`${MAC_PREFIX} `) ? fromBase64Raw(macLine.slice(MAC_PREFIX.length + 1)) : undefined;
  if (!mac || mac.length !== MAC_LENGTH) throw invalid('the MAC line is not "--- " followed by a 32-byte MAC in base64');
  if (stanzas.length === 0) throw invalid('it has no recipient stanza');
  return { stanzas, macInput: input.subarray(0, macStart + 1 + MAC_PREFIX.length), mac, length: macEnd + 1 };
}

function notAgeMessage(head: string): string {
  if (head.startsWith('\x1f\x8b')) return 'not an age file: it is a gzip file (a plain, unencrypted archive?)';
  if (head.startsWith('-----BEGIN')) return 'not an age file in binary form: it is ASCII-armored (PEM); decrypt it with `age -d` first';
  if (head.startsWith('age-encryption.org/')) return 'not an age v1 file: its version line names another version of the format';
  return 'not an age file: it does not start with the line "age-encryption.org/v1"';
}

function invalid(what: string): AgeError {
  return new AgeError('header-invalid', `the age header is malformed: ${what}`);
}
