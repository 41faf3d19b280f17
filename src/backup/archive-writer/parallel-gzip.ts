import { availableParallelism } from 'node:os';
import { Transform, type TransformCallback } from 'node:stream';
import * as zlib from 'node:zlib';

export interface ParallelGzipOptions {
  /** zlib compression level, -1..9. Default 6, the same as `gzip`'s default. */
  level?: number;
  /** Uncompressed bytes per block. Default 1 MiB. */
  blockSize?: number;
  /**
   * Maximum number of blocks dispatched but not yet written out (compressing, or
   * done and waiting for an earlier block). Default {@link defaultConcurrency}.
   */
  concurrency?: number;
}

/** Options handed to {@link ParallelGzip.deflateBlock} for one block. */
export interface DeflateBlockOptions {
  level: number;
  /** The uncompressed bytes just before this block (up to 32 KiB); absent for the first block. */
  dictionary?: Buffer;
  /** False for every block but the last: those end with a sync flush, not a final block. */
  final: boolean;
}

const DEFAULT_BLOCK_SIZE = 1024 * 1024;
/** Deflate's window: a back-reference never reaches further than this. */
const WINDOW_SIZE = 32 * 1024;
/**
 * Blocks in flight by default: two per core, but not more than libuv's threadpool holds (tar's reads
 * and the target's writes share it), and never fewer than one per core. With only one per core, a
 * block that finished before the one ahead of it holds its slot while it waits to be written out, so
 * a core idles until the earlier block is done; a second block per core keeps it busy
 * (bench/results.md, "Where a backup's time goes").
 */
export function defaultConcurrency(cores = availableParallelism(), threadpoolSize = Number(process.env.UV_THREADPOOL_SIZE) || 4): number {
  return Math.max(cores, Math.min(2 * cores, threadpoolSize));
}

/**
 * Gzip compressor that uses several cores, in the way pigz does, producing ONE
 * standard gzip member (readable by `gzip -d`, `tar xzf`, `zlib.gunzip`).
 *
 * The input is cut into blocks. Each block is raw-deflated on its own through zlib's
 * async API, which runs on the libuv threadpool: other cores work while the event loop
 * stays free. Each block gets the previous 32 KiB of input as its preset dictionary, so
 * matches across block boundaries are not lost and the ratio stays close to plain gzip.
 * Non-final blocks end with a sync flush (byte-aligned, no "last block" bit), so the
 * pieces can simply be concatenated between our own gzip header and trailer. The CRC32
 * is computed on the event loop, in input order, as blocks are cut (cheap: GB/s).
 *
 * Memory is bounded: at most `concurrency` blocks are in flight; while they are, the
 * write callback is held back so upstream pauses (normal stream backpressure).
 */
export class ParallelGzip extends Transform {
  private readonly level: number;
  private readonly blockSize: number;
  private readonly concurrency: number;

  /**
   * The block being filled with input, and how many bytes it holds. Each write is copied into it at
   * once, so the writer's chunk (tar's 64 KiB reads) is garbage right after its callback instead of
   * waiting, referenced, until a whole block has gathered: chunks that outlived two young-generation
   * collections were promoted, and their memory, counted by V8 as external, made it run full
   * collections of the service's whole heap again and again during a backup (bench/results.md,
   * "Where a backup's time goes").
   */
  private filling: Buffer | undefined;
  private filled = 0;
  /** The rest of a write that waits for a free slot (at most one chunk). */
  private waitingInput: Buffer | undefined;

  /** Last (up to) 32 KiB of input already dispatched: the next block's dictionary. */
  private window: Buffer | undefined;
  private crc = 0;
  private totalBytes = 0;

  private nextSeq = 0;
  private emitSeq = 0;
  /** Compressed blocks that finished before an earlier one, keyed by sequence number. */
  private readonly finished = new Map<number, Buffer>();
  private inFlight = 0;
  private headerPushed = false;
  private finalDispatched = false;

  /**
   * Block buffers whose compression finished, for the next blocks cut from several input chunks: the
   * same few buffers are reused for the whole stream instead of a fresh 1 MiB per block, which with
   * `npm start`'s MALLOC_MMAP_THRESHOLD_ is a fresh mapping, page-faulted in and unmapped every time.
   */
  private readonly spareBlocks: Buffer[] = [];
  /** Blocks in flight that came from (and go back to) `spareBlocks`. */
  private readonly pooled = new Set<Buffer>();

  /** Continuation waiting for a free slot (the held-back write or flush). */
  private waitingForSlot: (() => void) | undefined;
  private flushCallback: TransformCallback | undefined;

  constructor(options: ParallelGzipOptions = {}) {
    super();
    const { level = 6, blockSize = DEFAULT_BLOCK_SIZE, concurrency = defaultConcurrency() } = options;
    if (!Number.isInteger(level) || level < -1 || level > 9) {
      throw new RangeError(`ParallelGzip: level must be an integer from -1 to 9, got ${level}`);
    }
    if (!Number.isInteger(blockSize) || blockSize < 1) {
      throw new RangeError(`ParallelGzip: blockSize must be a positive integer, got ${blockSize}`);
    }
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      throw new RangeError(`ParallelGzip: concurrency must be a positive integer, got ${concurrency}`);
    }
    this.level = level;
    this.blockSize = blockSize;
    this.concurrency = concurrency;
  }

  /**
   * An upper bound of the output for `inputBytes` of input, however incompressible: deflate falls
   * back to stored blocks (a 5-byte header per at most 16 KiB of input at the default memLevel, and
   * at least one per block of `blockSize`), each block ends with a sync flush (an empty stored
   * block, 5 bytes, plus at most one byte of alignment), and the gzip header and trailer take 18 bytes.
   */
  static maxOutputBytes(inputBytes: number, blockSize = DEFAULT_BLOCK_SIZE): number {
    const blocks = Math.ceil(inputBytes / blockSize);
    return inputBytes + 5 * Math.ceil(inputBytes / 16384) + 11 * blocks + 1024;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.fillBlocks(chunk, callback);
  }

  override _flush(callback: TransformCallback): void {
    this.flushCallback = callback;
    // fillBlocks() dispatched every full block; what is left becomes the final block (possibly empty:
    // deflate still has to emit a "last block" marker).
    this.whenSlotFree(() => {
      const block = this.filling;
      this.filling = undefined;
      this.dispatch(block ? block.subarray(0, this.filled) : Buffer.alloc(0), true, block);
      this.filled = 0;
      this.finalDispatched = true;
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // Jobs already on the threadpool cannot be cancelled; their callbacks see
    // `destroyed` and return without touching the stream.
    this.filling = undefined;
    this.waitingInput = undefined;
    this.finished.clear();
    // Blocks still on the threadpool are being read by zlib: none may be handed out again.
    this.spareBlocks.length = 0;
    this.pooled.clear();
    this.waitingForSlot = undefined;
    this.flushCallback = undefined;
    callback(error);
  }

  /**
   * Compresses one block on the threadpool. Protected so tests can substitute a
   * deterministic implementation (delays, failures) without touching zlib.
   */
  protected deflateBlock(block: Buffer, options: DeflateBlockOptions, callback: (error: Error | null, output: Buffer) => void): void {
    zlib.deflateRaw(
      block,
      {
        level: options.level,
        dictionary: options.dictionary,
        finishFlush: options.final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
        // One output buffer that holds a block's output as SQLite pages compress (well under half),
        // so one round trip to the event loop per block; an incompressible block takes two or three.
        // Not the worst case (a little over the block): zlib allocates it when the job starts and it
        // lives until the job ends, so its size is memory V8 counts as external for the whole
        // compression, which drives its full collections (bench/results.md, "Where a backup's time goes").
        chunkSize: Math.max(64 * 1024, (block.length >>> 1) + 64),
      },
      callback,
    );
  }

  /**
   * Copies `chunk` into blocks, dispatching each block as it fills while slots are free; acknowledges
   * the write once all of it is in a block. A full block without a free slot holds the write back
   * (backpressure), with the rest of the chunk, until a block in flight is done.
   */
  private fillBlocks(chunk: Buffer, callback: TransformCallback): void {
    let offset = 0;
    while (offset < chunk.length || this.filled === this.blockSize) {
      if (this.filled === this.blockSize || (this.filled === 0 && chunk.length - offset >= this.blockSize)) {
        if (this.inFlight >= this.concurrency) {
          this.waitingInput = chunk.subarray(offset);
          this.waitingForSlot = () => {
            const rest = this.waitingInput!;
            this.waitingInput = undefined;
            this.fillBlocks(rest, callback);
          };
          return;
        }
        if (this.filled === this.blockSize) {
          const block = this.filling!;
          this.filling = undefined;
          this.filled = 0;
          this.dispatch(block, false, block);
        } else {
          // A whole block inside one large write: compressed where it is, without a copy.
          this.dispatch(chunk.subarray(offset, offset + this.blockSize), false, undefined);
          offset += this.blockSize;
        }
        continue;
      }
      this.filling ??= this.spareBlocks.pop() ?? Buffer.allocUnsafeSlow(this.blockSize);
      const copied = chunk.copy(this.filling, this.filled, offset, Math.min(chunk.length, offset + this.blockSize - this.filled));
      this.filled += copied;
      offset += copied;
    }
    callback();
  }

  private whenSlotFree(run: () => void): void {
    if (this.inFlight < this.concurrency) run();
    else this.waitingForSlot = run;
  }

  /** `pooledBlock`: the reused buffer `block` lies in, handed back to `spareBlocks` once zlib has read it. */
  private dispatch(block: Buffer, final: boolean, pooledBlock: Buffer | undefined): void {
    const seq = this.nextSeq++;
    const dictionary = this.window;
    this.crc = zlib.crc32(block, this.crc);
    this.totalBytes += block.length;
    if (!final) this.window = lastWindow(dictionary, block);
    this.inFlight++;
    if (pooledBlock) this.pooled.add(pooledBlock);
    this.deflateBlock(block, { level: this.level, dictionary, final }, (error, output) => {
      // zlib has read the block: it can take the next one's bytes.
      if (pooledBlock && this.pooled.delete(pooledBlock) && !this.destroyed) this.spareBlocks.push(pooledBlock);
      this.onBlockDone(seq, error, output);
    });
  }

  private onBlockDone(seq: number, error: Error | null, output: Buffer): void {
    if (this.destroyed) return;
    if (error) {
      this.destroy(error);
      return;
    }
    // Output buffers can be slices of a much larger allocation (chunkSize above);
    // copy small ones so downstream buffering does not pin the slack.
    this.finished.set(seq, output.length * 2 < output.buffer.byteLength ? Buffer.from(output) : output);
    while (this.finished.has(this.emitSeq)) {
      const piece = this.finished.get(this.emitSeq)!;
      this.finished.delete(this.emitSeq);
      this.emitSeq++;
      this.inFlight--;
      this.pushHeaderOnce();
      this.push(piece);
      // A 'data' listener may have destroyed the stream synchronously.
      if (this.destroyed) return;
    }
    const waiting = this.waitingForSlot;
    if (waiting && this.inFlight < this.concurrency) {
      this.waitingForSlot = undefined;
      waiting();
    }
    if (this.finalDispatched && this.inFlight === 0 && this.flushCallback) {
      const done = this.flushCallback;
      this.flushCallback = undefined;
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(this.crc >>> 0, 0);
      trailer.writeUInt32LE(this.totalBytes % 0x1_0000_0000, 4); // ISIZE: length mod 2^32
      this.push(trailer);
      done();
    }
  }

  private pushHeaderOnce(): void {
    if (this.headerPushed) return;
    this.headerPushed = true;
    // ID1 ID2 CM=deflate FLG=0 MTIME=0 (x4) XFL OS=255 (unknown); XFL as gzip sets it.
    const xfl = this.level === 9 ? 2 : this.level === 1 ? 4 : 0;
    this.push(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255]));
  }
}

/** The last 32 KiB of `previous` + `block` (a copy, so the block itself is not retained). */
function lastWindow(previous: Buffer | undefined, block: Buffer): Buffer {
  if (block.length >= WINDOW_SIZE || !previous) {
    return Buffer.from(block.subarray(Math.max(0, block.length - WINDOW_SIZE)));
  }
  const joined = Buffer.concat([previous, block]);
  return joined.subarray(Math.max(0, joined.length - WINDOW_SIZE));
}
