import { Writable } from 'node:stream';
import type { MessagePort } from 'node:worker_threads';
import { threadBufferChurn } from '../../common/memory/buffer-churn.js';
import { ARCHIVE_CHUNK_BYTES, ARCHIVE_CHUNKS_IN_FLIGHT, type ArchivePipelineAck, type ArchivePipelineMessage } from './archive-pipeline-protocol.js';

/**
 * The end of the archive's pipeline in its worker thread: gathers what it is written into chunks of a
 * fresh ArrayBuffer each and transfers them to the service's thread, which then owns those bytes without
 * a copy and without any other allocation of its own. One copy here, into the chunk, because what the
 * steps write may share its memory with buffers they go on using (zlib's output blocks are slices of one
 * larger buffer; a step's output may be a view of its input), and a transfer would take that memory from
 * under them; and because the age stream's ciphertexts and tags (64 KiB and 16 bytes) are gathered here
 * into chunks of a size the targets write well.
 *
 * At most ARCHIVE_CHUNKS_IN_FLIGHT chunks are out before the service's thread acknowledges one; until
 * then a write is held back, which stops the whole pipeline (backpressure up to the tar reads).
 */
export class TransferSink extends Writable {
  private chunk: ArrayBuffer | undefined;
  private filled = 0;
  private inFlight = 0;
  /** The acknowledgement of the write held back while too many chunks are out. */
  private held: (() => void) | undefined;
  private readonly onAck = (message: ArchivePipelineAck): void => {
    if (message?.type !== 'ack') return;
    this.inFlight -= message.chunks;
    if (this.held && this.inFlight < ARCHIVE_CHUNKS_IN_FLIGHT) {
      const release = this.held;
      this.held = undefined;
      release();
    }
  };

  constructor(private readonly port: MessagePort) {
    super();
    port.on('message', this.onAck);
  }

  override _write(data: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    let offset = 0;
    while (offset < data.length) {
      this.chunk ??= new ArrayBuffer(ARCHIVE_CHUNK_BYTES);
      const n = Math.min(data.length - offset, ARCHIVE_CHUNK_BYTES - this.filled);
      new Uint8Array(this.chunk, this.filled, n).set(data.subarray(offset, offset + n));
      this.filled += n;
      offset += n;
      if (this.filled === ARCHIVE_CHUNK_BYTES) this.send();
    }
    // What the steps before this one wrote (zlib's output blocks, age's chunks) dies once copied into a chunk: collected every few chunks (BufferChurn).
    threadBufferChurn.passed(data.length);
    if (this.inFlight < ARCHIVE_CHUNKS_IN_FLIGHT) callback();
    else this.held = () => callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (this.filled > 0) this.send();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.port.off('message', this.onAck);
    this.held = undefined;
    callback(error);
  }

  private send(): void {
    const bytes = this.chunk!;
    const message: ArchivePipelineMessage = { type: 'chunk', bytes, length: this.filled };
    this.port.postMessage(message, [bytes]);
    this.inFlight++;
    this.chunk = undefined;
    this.filled = 0;
  }
}
