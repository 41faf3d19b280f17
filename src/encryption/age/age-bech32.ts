/**
 * Bech32 (BIP-173) as age uses it for its keys (age spec, "The X25519 recipient type": recipients and
 * identities are Bech32-encoded). Two differences from BIP-173, both age's: no 90-character limit (age's
 * own bech32 package drops it, since key strings are never typed into a QR-sized field), and the checksum
 * constant is BIP-173's 1, not Bech32m's.
 *
 * Errors are plain strings for the caller to wrap: they never quote the input, because the input may be
 * a secret key with a typo in it.
 */

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
const CHECKSUM_LENGTH = 6;

/** Why a string is not Bech32; the message never quotes the string. */
export class Bech32Error extends Error {}

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = (((chk & 0x1ffffff) << 5) ^ v) >>> 0;
    for (let i = 0; i < 5; i++) {
      if ((top >>> i) & 1) chk = (chk ^ GENERATOR[i]) >>> 0;
    }
  }
  return chk;
}

/** BIP-173 "hrpExpand": the high bits of each HRP character, a zero, then the low bits. */
function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >>> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/** Regroups bits (8 → 5 to encode, 5 → 8 to decode); decoding refuses non-zero or over-long padding, as BIP-173 requires. */
function convertBits(data: Uint8Array | readonly number[], from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (const value of data) {
    acc = (acc << from) | value;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >>> bits) & maxv);
    }
    acc &= (1 << bits) - 1;
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || acc !== 0) {
    throw new Bech32Error('its last characters do not make whole bytes: a character was added or lost');
  }
  return out;
}

/** `hrp` + '1' + data + checksum, lower case (callers upper-case identities, as age-keygen does). */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const lowerHrp = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true);
  const mod = polymod([...hrpExpand(lowerHrp), ...words, 0, 0, 0, 0, 0, 0]) ^ 1;
  let out = lowerHrp + '1';
  for (const w of words) out += CHARSET[w];
  for (let i = 0; i < CHECKSUM_LENGTH; i++) out += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return out;
}

/**
 * Splits a Bech32 string into its human-readable part (lower-cased) and data bytes, checking case,
 * characters and checksum. Upper- and lower-case strings are both valid; a mixed one is not (BIP-173).
 */
export function bech32Decode(s: string): { hrp: string; data: Buffer } {
  if (s.toLowerCase() !== s && s.toUpperCase() !== s) {
    throw new Bech32Error('it mixes upper- and lower-case letters');
  }
  const lower = s.toLowerCase();
  const pos = lower.lastIndexOf('1');
  if (pos < 1 || pos + 1 + CHECKSUM_LENGTH > lower.length) {
    throw new Bech32Error('it is too short, or its separator "1" is missing');
  }
  const hrp = lower.slice(0, pos);
  for (let i = 0; i < hrp.length; i++) {
    const c = hrp.charCodeAt(i);
    if (c < 33 || c > 126) throw new Bech32Error(`character ${i + 1} is not a printable ASCII character`);
  }
  const words: number[] = [];
  for (let i = pos + 1; i < lower.length; i++) {
    const w = CHARSET.indexOf(lower[i]);
    if (w < 0) {
      throw new Bech32Error(`character ${i + 1} is not one Bech32 uses (it never uses b, i, o or 1 after the separator)`);
    }
    words.push(w);
  }
  if (polymod([...hrpExpand(hrp), ...words]) !== 1) {
    throw new Bech32Error('checksum does not match: a character was mistyped or lost');
  }
  return { hrp, data: Buffer.from(convertBits(words.slice(0, -CHECKSUM_LENGTH), 5, 8, false)) };
}
