import { randomBytes } from 'node:crypto';
import type { Transform, TransformCallback } from 'node:stream';
import { AgeChunkedTransform } from './age-chunked-transform.js';
import { AgeError } from './age-error.js';
import { AGE_CHUNK_SIZE } from './age-format.js';
import { writeAgeHeader } from './age-header.js';
import { ageRecipientKey } from './age-keys.js';
import { PAYLOAD_NONCE_LENGTH, payloadKey, SEALED_CHUNK_SIZE, sealChunk, TAG_LENGTH } from './age-payload.js';
import { wrapFileKey } from './age-x25519-stanza.js';

/** Output is carved from slabs of this many sealed chunks (see AgeEncryptStream.seal). */
const SLAB_BYTES = 16 * SEALED_CHUNK_SIZE;
/** The file key's length (age spec, "File key": 16 bytes from a CSPRNG). */
const FILE_KEY_LENGTH = 16;
/** Bytes of header for no recipient: the version line (22) and the MAC line ("--- " + 43 + LF = 48). */
const HEADER_BASE_BYTES = 22 + 48;
/** Bytes per X25519 stanza: "-> X25519 " + 43 base64 + LF, then the 32-byte body as 43 base64 + LF. */
const X25519_STANZA_BYTES = 10 + 43 + 1 + 43 + 1;

/**
 * A transform that writes its input as an age v1 file encrypted to every one of `recipients` (`age1...`,
 * X25519), streamed: header, 16-byte nonce, then ChaCha20-Poly1305 chunks of 64 KiB of plaintext.
 * Byte-for-byte what `age -d` reads. Throws AgeError('key-invalid') at once for a recipient that is not one.
 */
export function createAgeEncryptStream(recipients: readonly string[]): Transform {
  if (recipients.length === 0) throw new AgeError('key-invalid', 'an age file needs at least one recipient');
  const points = recipients.map(ageRecipientKey);
  const fileKey = randomBytes(FILE_KEY_LENGTH);
  const header = writeAgeHeader(
    points.map((point) => wrapFileKey(fileKey, point)),
    fileKey,
  );
  const nonce = randomBytes(PAYLOAD_NONCE_LENGTH);
  return new AgeEncryptStream(Buffer.concat([header, nonce]), payloadKey(fileKey, nonce));
}

/** The most an age file of `plainBytes` bytes of plaintext to `recipientCount` recipients can take (a bound for S3 part sizing). */
export function ageEncryptedSizeBound(plainBytes: number, recipientCount: number): number {
  // Exact for what createAgeEncryptStream writes: an empty plaintext is still one (empty) chunk with a tag.
  const chunks = Math.max(1, Math.ceil(plainBytes / AGE_CHUNK_SIZE));
  return HEADER_BASE_BYTES + recipientCount * X25519_STANZA_BYTES + PAYLOAD_NONCE_LENGTH + plainBytes + chunks * TAG_LENGTH;
}

/**
 * Seals 64 KiB chunks of plaintext (cut by AgeChunkedTransform, which holds the last one back until the end of
 * input, because the last chunk is flagged). A plaintext that is an exact multiple of 64 KiB therefore ends with
 * a full, flagged chunk (age spec, "Payload": the last chunk is empty only when the whole plaintext is).
 */
class AgeEncryptStream extends AgeChunkedTransform {
  private slab = Buffer.alloc(0);
  private slabUsed = 0;
  private slabPushed = 0;
  private index = 0;
  private headerPending = true;

  constructor(
    private readonly headerAndNonce: Buffer,
    private readonly key: Buffer,
  ) {
    super(AGE_CHUNK_SIZE);
  }

  override _flush(callback: TransformCallback): void {
    this.writeHeaderOnce();
    this.seal(this.heldChunk, true);
    this.pushSealed();
    callback();
  }

  protected override consume(data: Buffer): void {
    this.writeHeaderOnce();
    this.addToChunks(data);
    this.pushSealed();
  }

  protected override middleChunk(plaintext: Buffer): void {
    this.seal(plaintext, false);
  }

  /**
   * Seals one chunk into the current slab, ciphertext and tag joined; pushSealed passes on what a write sealed
   * as one buffer. A consumer such as a file writer makes one write (a thread-pool round trip) per buffer it is
   * given, so one buffer per chunk, or a separate 16-byte tag, multiplied them. The chunks are sealed into
   * 16-chunk slabs rather than allocated one by one, because a fresh allocation per chunk costs more in
   * allocation and garbage collection than the copy itself. A slab lives until the consumer has dropped its
   * last piece: a few MiB at most with backpressure.
   */
  private seal(plaintext: Buffer, last: boolean): void {
    const [ciphertext, tag] = sealChunk(this.key, this.index++, last, plaintext);
    const size = ciphertext.length + tag.length;
    if (this.slabUsed + size > this.slab.length) {
      this.pushSealed();
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
      this.slabPushed = 0;
    }
    ciphertext.copy(this.slab, this.slabUsed);
    tag.copy(this.slab, this.slabUsed + ciphertext.length);
    this.slabUsed += size;
  }

  /** Passes on, as one buffer, what was sealed into the slab since the last push. */
  private pushSealed(): void {
    if (this.slabUsed === this.slabPushed) return;
    this.push(this.slab.subarray(this.slabPushed, this.slabUsed));
    this.slabPushed = this.slabUsed;
  }

  private writeHeaderOnce(): void {
    if (!this.headerPending) return;
    this.headerPending = false;
    this.push(this.headerAndNonce);
  }
}
