import type { Transform, TransformCallback } from 'node:stream';
import { AgeChunkedTransform } from './age-chunked-transform.js';
import { AgeError } from './age-error.js';
import { AGE_CHUNK_SIZE, AGE_HEADER_LINE } from './age-format.js';
import { headerMacMatches, MAX_HEADER_BYTES, parseAgeHeader, type ParsedAgeHeader } from './age-header.js';
import { ageIdentityKey } from './age-keys.js';
import { openChunk, PAYLOAD_NONCE_LENGTH, payloadKey, SEALED_CHUNK_SIZE, TAG_LENGTH } from './age-payload.js';
import { unwrapFileKey, x25519ShareOf, X25519_STANZA_TYPE, x25519Unwrapper } from './age-x25519-stanza.js';

/**
 * A transform that reads an age v1 file and outputs its plaintext, streamed, with any of `identities`
 * (`AGE-SECRET-KEY-1...`). Fails the stream with an AgeError: 'not-age', 'header-invalid',
 * 'no-matching-identity', 'header-mac', 'damaged' (at the chunk, before that chunk's plaintext is output),
 * 'truncated' (at the end). Unknown stanza types (scrypt, ssh-ed25519, grease) are skipped.
 *
 * A last chunk that fails authentication is reported as 'damaged': a changed byte in it and a cut in the middle
 * of a chunk look the same to the reader (both are a final piece whose tag does not match), so its message says
 * both. 'truncated' is what can be proven: the input ends inside the header or nonce, at a chunk boundary
 * before the chunk flagged last, or has data after that chunk.
 * Throws AgeError('key-invalid') at once for an identity that is not one (without quoting it).
 *
 * The identities are tried in the order given, each against every stanza (as age does), and the first that opens
 * one ends the search: a caller that knows which key an archive needs puts it first, so a large keyring costs
 * one X25519 per stanza, not one per stanza and identity. Each identity's key is made once per stream.
 */
export function createAgeDecryptStream(identities: readonly string[]): Transform {
  // Checked now (a bad one is refused at once); each key object is made only when its identity is reached.
  return new AgeDecryptStream(identities.map((identity) => ageIdentityKey(identity)));
}

/**
 * Collects the header (bounded by MAX_HEADER_BYTES) and the nonce, then opens the sealed chunks that
 * AgeChunkedTransform cuts (the last one held back until the end of input, which must carry the last-chunk flag).
 * Each chunk's plaintext is pushed only after its tag checked.
 */
class AgeDecryptStream extends AgeChunkedTransform {
  /** The header so far: a buffer that doubles when full (not one concatenation per write), `headLength` bytes of it used. */
  private head: Buffer = Buffer.alloc(0);
  private headLength = 0;
  private key: Buffer | undefined;
  private readonly nonce = Buffer.alloc(PAYLOAD_NONCE_LENGTH);
  private nonceFilled = 0;
  private index = 0;

  /** The identities' X25519 scalars. */
  constructor(private readonly identities: readonly Buffer[]) {
    super(SEALED_CHUNK_SIZE);
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.finish();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  protected override consume(input: Buffer): void {
    let data = input;
    if (!this.key) {
      this.appendHead(data);
      const head = this.head.subarray(0, this.headLength);
      // The header ends with a line: once the version line was checked, input without a newline cannot complete it
      // (only make it too long), so it is not parsed again; many small writes cost a copy each, not a parse of all so far.
      const versionChecked = this.headLength - data.length >= AGE_HEADER_LINE.length;
      if (versionChecked && !data.includes(0x0a) && this.headLength <= MAX_HEADER_BYTES) return;
      const header = parseAgeHeader(head);
      if (!header) return;
      this.key = this.fileKeyOf(header);
      data = Buffer.from(head.subarray(header.length));
      this.head = Buffer.alloc(0);
      this.headLength = 0;
    }
    let offset = 0;
    if (this.nonceFilled < PAYLOAD_NONCE_LENGTH) {
      const n = data.copy(this.nonce, this.nonceFilled, 0, PAYLOAD_NONCE_LENGTH - this.nonceFilled);
      this.nonceFilled += n;
      offset = n;
      if (this.nonceFilled < PAYLOAD_NONCE_LENGTH) return;
      this.key = payloadKey(this.key, this.nonce);
    }
    this.addToChunks(data, offset);
  }

  private appendHead(data: Buffer): void {
    const needed = this.headLength + data.length;
    if (needed > this.head.length) {
      const grown = Buffer.alloc(Math.max(needed, Math.min(2 * this.head.length, 2 * MAX_HEADER_BYTES), 1024));
      this.head.copy(grown, 0, 0, this.headLength);
      this.head = grown;
    }
    data.copy(this.head, this.headLength);
    this.headLength = needed;
  }

  /** The file key from the first identity that opens an X25519 stanza, its header MAC checked (age spec, "Header"). */
  private fileKeyOf(header: ParsedAgeHeader): Buffer {
    // Other recipient types are not ours to open; each share is read (and its shape checked) once.
    const shares = header.stanzas.filter((stanza) => stanza.type === X25519_STANZA_TYPE).map(x25519ShareOf);
    let fileKey: Buffer | undefined;
    search: for (const scalar of this.identities) {
      const identity = x25519Unwrapper(scalar);
      for (const share of shares) {
        fileKey = unwrapFileKey(share, identity);
        if (fileKey) break search;
      }
    }
    if (!fileKey) {
      const count = this.identities.length === 1 ? 'the identity given' : `none of the ${this.identities.length} identities given`;
      throw new AgeError('no-matching-identity', `this age file is not encrypted to ${count}: it needs the key of one of its recipients`);
    }
    if (!headerMacMatches(header, fileKey)) {
      throw new AgeError('header-mac', 'the age header was changed: its MAC does not match (the file is damaged or was tampered with)');
    }
    return fileKey;
  }

  /** A chunk known not to be the last (more input follows it). */
  protected override middleChunk(sealed: Buffer): void {
    const plaintext = openChunk(this.key!, this.index, false, sealed);
    if (plaintext) {
      this.index++;
      this.push(plaintext);
      return;
    }
    if (openChunk(this.key!, this.index, true, sealed)) {
      throw new AgeError('truncated', `the age file has data after its last chunk (chunk ${this.index}): something was appended to it`);
    }
    throw new AgeError(
      'damaged',
      `chunk ${this.index} of the age payload (at plaintext byte ${this.index * AGE_CHUNK_SIZE}) fails authentication: the file was changed`,
      this.index,
    );
  }

  private finish(): void {
    if (!this.key) {
      if (this.headLength === 0) throw new AgeError('not-age', 'not an age file: it is empty');
      throw new AgeError('truncated', 'the age file ends inside its header: it was cut short');
    }
    const sealed = this.heldChunk;
    if (this.nonceFilled < PAYLOAD_NONCE_LENGTH || sealed.length < TAG_LENGTH) {
      throw new AgeError('truncated', 'the age file ends before its first chunk: it was cut short');
    }
    const plaintext = openChunk(this.key, this.index, true, sealed);
    if (plaintext) {
      // age spec, "Payload": the last chunk is empty only when the whole plaintext is; age refuses such a file.
      if (plaintext.length === 0 && this.index > 0) {
        throw new AgeError('damaged', `the age payload ends with an empty chunk (chunk ${this.index}), which age never writes`, this.index);
      }
      this.push(plaintext);
      return;
    }
    if (sealed.length === SEALED_CHUNK_SIZE && openChunk(this.key, this.index, false, sealed)) {
      throw new AgeError('truncated', `the age file ends after chunk ${this.index}, which is not its last: it was cut short`);
    }
    throw new AgeError(
      'damaged',
      `the last chunk of the age payload (chunk ${this.index}) fails authentication: the file was changed, or cut short in the middle of a chunk`,
      this.index,
    );
  }
}
