import { Transform, type TransformCallback } from 'node:stream';
import { inSlices } from './age-slices.js';

/**
 * What the age streams share: input worked through in slices that yield to the event loop (inSlices), stopped
 * once the stream is destroyed, and cut into chunks of `chunkSize` bytes, the payload's unit (64 KiB of
 * plaintext to seal, 64 KiB + tag to open).
 *
 * A full chunk is handed to `middleChunk` only once more input arrives, because only the end of input says
 * which chunk is the last (flagged as such in age); the held-back bytes, 0 to `chunkSize` of them, are
 * `heldChunk` for `_flush` to finish with. Whole chunks inside a large write are handed over in place, without a
 * copy; the rest is copied into one preallocated buffer. A chunk handed to `middleChunk` is only valid during
 * the call (the buffer is reused).
 */
export abstract class AgeChunkedTransform extends Transform {
  private readonly chunk: Buffer;
  private filled = 0;

  protected constructor(private readonly chunkSize: number) {
    super();
    this.chunk = Buffer.allocUnsafe(chunkSize);
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    inSlices(
      data,
      (slice) => this.consume(slice),
      callback,
      () => this.destroyed,
    );
  }

  /** One slice of input (at most SLICE_BYTES): what comes before the chunks (a header), then `addToChunks`. */
  protected abstract consume(slice: Buffer): void;

  /** A full chunk known not to be the last: more input follows it. */
  protected abstract middleChunk(chunk: Buffer): void;

  /** Cuts `data` from `offset` into chunks, keeping the last one back. */
  protected addToChunks(data: Buffer, offset = 0): void {
    const size = this.chunkSize;
    while (offset < data.length) {
      if (this.filled === size) {
        // More input follows, so the buffered chunk is not the last.
        this.middleChunk(this.chunk);
        this.filled = 0;
      }
      const remaining = data.length - offset;
      if (this.filled === 0 && remaining > size) {
        this.middleChunk(data.subarray(offset, offset + size));
        offset += size;
        continue;
      }
      const n = Math.min(size - this.filled, remaining);
      data.copy(this.chunk, this.filled, offset, offset + n);
      this.filled += n;
      offset += n;
    }
  }

  /** The chunk held back (the input's last, once it has ended): 0 to chunkSize bytes. */
  protected get heldChunk(): Buffer {
    return this.chunk.subarray(0, this.filled);
  }
}
