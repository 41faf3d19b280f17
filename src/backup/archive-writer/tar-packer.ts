import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { writeTarHeader } from './tar-header.js';

export interface TarPackerEntry {
  /** File name in `dir`, and the entry's name in the archive. */
  name: string;
  /** The size the caller recorded for it (the snapshot's): a file of any other size fails the archive. */
  size: number;
}

export interface TarPackerOptions {
  dir: string;
  entries: readonly TarPackerEntry[];
  /** Every entry's modification time (the backup time). */
  mtime: Date;
  /** Called with the total of tar bytes acknowledged so far, after each write. */
  onBytes?: (bytes: number) => void;
}

/**
 * Bytes per write, and per read from a file. Must stay below ParallelGzip's block size: it copies such
 * writes into its own blocks before acknowledging them, which is what lets a buffer be reused (a write
 * of a whole block or more is compressed where it lies).
 */
export const TAR_CHUNK_SIZE = 64 * 1024;
/** Buffers in rotation: a read fills one while the writes of the others wait for the compressor. */
const POOL_SIZE = 4;

/**
 * Writes a tar (POSIX ustar, regular files only, in the given order) of `entries` into `into` and ends
 * it, as node-tar's portable mode wrote it: two zero blocks at the end, no record padding. Unlike
 * node-tar, which allocates a fresh Buffer for every read, it reads into a few buffers reused for the
 * whole archive, each one again only once `into` has acknowledged its write: every Buffer the service
 * allocates counts as external memory for V8 and, promoted, drives its full collections
 * (bench/results.md, "Where a backup's time goes"). `into` must therefore be done with a chunk when it
 * acknowledges it (ParallelGzip copies it).
 *
 * A file whose size is not the one given, or that grows or shrinks while it is read, fails the archive
 * instead of writing a wrong entry: the files are the backup's immutable snapshots. If `into` closes
 * first (the archive was destroyed), packing stops with an error. File handles are closed either way.
 */
export async function packTar(into: Writable, options: TarPackerOptions): Promise<void> {
  const writer = new AckedWrites(into, options.onBytes);
  try {
    const mtime = Math.floor(options.mtime.getTime() / 1000);
    for (const entry of options.entries) {
      writer.check();
      const handle = await open(path.join(options.dir, entry.name), 'r');
      try {
        await packFile(handle, entry, mtime, writer);
      } finally {
        await handle.close();
      }
    }
    await writer.zeros(1024);
    await writer.finish();
    into.end();
  } finally {
    writer.dispose();
  }
}

async function packFile(handle: FileHandle, entry: TarPackerEntry, mtime: number, writer: AckedWrites): Promise<void> {
  const stat = await handle.stat();
  if (!stat.isFile()) throw new Error(`Cannot archive '${entry.name}': not a regular file`);
  if (stat.size !== entry.size) throw sizeChanged(entry, stat.size);
  const header = await writer.room(512);
  // node-tar's portable mode: the file's own permissions, but always read-write for the owner and
  // never writable by group or others.
  writeTarHeader(header.fill(0, 0, 512).subarray(0, 512), { name: entry.name, size: entry.size, mode: (stat.mode | 0o600) & ~0o22, mtime });
  writer.used(512);
  let position = 0;
  while (position < entry.size) {
    const room = await writer.room(1);
    const { bytesRead } = await handle.read(room, 0, Math.min(room.length, entry.size - position), position);
    writer.check();
    if (bytesRead === 0) throw sizeChanged(entry, position);
    writer.used(bytesRead);
    position += bytesRead;
  }
  // One byte past the end tells a file that grew since its size was taken.
  const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, entry.size);
  if (bytesRead !== 0) throw sizeChanged(entry, undefined);
  await writer.zeros((512 - (entry.size % 512)) % 512);
}

function sizeChanged(entry: TarPackerEntry, found: number | undefined): Error {
  const now = found === undefined ? 'more than that' : `${found}`;
  return new Error(`Cannot archive '${entry.name}': its snapshot was ${entry.size} bytes but ${now} bytes were read; it changed while being archived`);
}

/** The rotation of reused buffers, and the writes to `into` whose acknowledgement frees them. */
class AckedWrites {
  private readonly buffers: Buffer[] = Array.from({ length: POOL_SIZE }, () => Buffer.allocUnsafeSlow(TAR_CHUNK_SIZE));
  /** The unacknowledged write of each buffer. */
  private readonly pending: (Promise<void> | undefined)[] = new Array<Promise<void> | undefined>(POOL_SIZE).fill(undefined);
  private current = 0;
  private filled = 0;
  private acknowledged = 0;
  private failure: Error | undefined;
  /** Rejections of the writes not yet acknowledged, for when `into` closes without calling back. */
  private readonly waiters = new Set<(error: Error) => void>();
  private readonly onClose = (): void => this.fail(new Error('The archive was closed before it was complete'));
  private readonly onError = (error: Error): void => this.fail(error);

  constructor(
    private readonly into: Writable,
    private readonly onBytes: ((bytes: number) => void) | undefined,
  ) {
    into.once('close', this.onClose);
    into.once('error', this.onError);
  }

  /** Throws once `into` has failed or closed. */
  check(): void {
    if (this.failure) throw this.failure;
  }

  /** The free part of the current buffer, at least `min` bytes: sends the buffer and waits for the next one when it has less. */
  async room(min: number): Promise<Buffer> {
    this.check();
    if (TAR_CHUNK_SIZE - this.filled < min) {
      this.send();
      this.current = (this.current + 1) % POOL_SIZE;
    }
    if (this.filled === 0) {
      await this.pending[this.current];
      this.check();
    }
    return this.buffers[this.current].subarray(this.filled);
  }

  used(bytes: number): void {
    this.filled += bytes;
  }

  async zeros(bytes: number): Promise<void> {
    for (let left = bytes; left > 0;) {
      const room = await this.room(1);
      const n = Math.min(left, room.length);
      room.fill(0, 0, n);
      this.used(n);
      left -= n;
    }
  }

  /** Sends what is left and waits for every write to be acknowledged. */
  async finish(): Promise<void> {
    if (this.filled > 0) this.send();
    await Promise.all(this.pending);
    this.check();
  }

  dispose(): void {
    this.into.off('close', this.onClose);
    this.into.off('error', this.onError);
    this.fail(new Error('The tar packer stopped'));
  }

  private send(): void {
    const length = this.filled;
    const chunk = this.buffers[this.current].subarray(0, length);
    this.filled = 0;
    const write = new Promise<void>((resolve, reject) => {
      this.waiters.add(reject);
      this.into.write(chunk, (error) => {
        this.waiters.delete(reject);
        if (error) return reject(error);
        this.acknowledged += length;
        this.onBytes?.(this.acknowledged);
        resolve();
      });
    });
    // Whoever next waits for this buffer sees a rejection; until then it must not count as unhandled.
    write.catch(() => undefined);
    this.pending[this.current] = write;
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const reject of this.waiters) reject(this.failure);
    this.waiters.clear();
  }
}
