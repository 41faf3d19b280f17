import { randomBytes } from 'node:crypto';
import type { Transform, TransformCallback } from 'node:stream';
import { AgeChunkedTransform } from './age-chunked-transform.js';
import { AgeError } from './age-error.js';
import { AGE_CHUNK_SIZE } from './age-format.js';
import { writeAgeHeader } from './age-header.js';
import { ageRecipientKey } from './age-keys.js';
import { PAYLOAD_NONCE_LENGTH, payloadKey, sealChunk, TAG_LENGTH } from './age-payload.js';
import { wrapFileKey } from './age-x25519-stanza.js';

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
    callback();
  }

  protected override consume(data: Buffer): void {
    this.writeHeaderOnce();
    this.addToChunks(data);
  }

  protected override middleChunk(plaintext: Buffer): void {
    this.seal(plaintext, false);
  }

  /**
   * Seals one chunk and passes on its ciphertext and its tag as they come from node:crypto, without a copy. The
   * archive's pipeline gathers what this stream writes into 1 MiB chunks (TransferSink) right after, so small
   * pieces cost no extra write; copying them into larger buffers here (as until stop 39) doubled the buffers that
   * die in the archive's worker thread and made encrypted backups peak higher (bench/results-notes.md, stop 39).
   */
  private seal(plaintext: Buffer, last: boolean): void {
    const [ciphertext, tag] = sealChunk(this.key, this.index++, last, plaintext);
    this.push(ciphertext);
    this.push(tag);
  }

  private writeHeaderOnce(): void {
    if (!this.headerPending) return;
    this.headerPending = false;
    this.push(this.headerAndNonce);
  }
}
