import type { ChurnCounts } from '../../common/memory/buffer-churn.js';
import type { TarPackerEntry } from './tar-packer.js';
import type { StoredDigest } from './stored-digest.js';

/** What the archive's worker thread is given (its workerData): everything it reads, and the steps to build. */
export interface ArchivePipelineJob {
  /** The folder of the snapshots and the metadata file. */
  dir: string;
  entries: TarPackerEntry[];
  /** Every entry's modification time (the backup time), in milliseconds since the epoch. */
  mtimeMs: number;
  steps: { name: string; module: string; options?: unknown }[];
}

/**
 * The worker's messages, in order: progress and chunks while it runs, then exactly one of `end` (the
 * archive is complete: every chunk came before it) and `failed`.
 */
export type ArchivePipelineMessage =
  | { type: 'progress'; tarBytes: number }
  /** `length` bytes at the start of `bytes`, an ArrayBuffer transferred (not copied) to the service's thread. */
  | { type: 'chunk'; bytes: ArrayBuffer; length: number }
  /** `collections`: what the worker's thread asked V8 to collect while it made the archive (BufferChurn). */
  | { type: 'end'; digest: StoredDigest; collections: ChurnCounts }
  /** `step`: the name of the step that failed, when it was one (the rest name what failed in their message). */
  | { type: 'failed'; message: string; step?: string };

/** The service's thread to the worker: `chunks` more chunks were handed on, so as many more may come. */
export interface ArchivePipelineAck {
  type: 'ack';
  chunks: number;
}

/** Bytes per chunk sent to the service's thread (the last one may be shorter). */
export const ARCHIVE_CHUNK_BYTES = 1024 * 1024;
/**
 * Chunks sent and not yet handed on by the service's thread, at most: bounds the archive's bytes between
 * the two threads while the target is slower than the compressor.
 */
export const ARCHIVE_CHUNKS_IN_FLIGHT = 2;
/** Progress is reported after each this many tar bytes (and at the end), not after every 64 KiB read. */
export const PROGRESS_EVERY_BYTES = 1024 * 1024;
/**
 * The archive's deflate level. Not gzip's default 6: Node's zlib (Chromium's) compresses SQLite pages at
 * level 5 to within half a percent of level 6, still smaller than `gzip -6` or `pigz -6` of the same tar,
 * for about a third less CPU, which on two cores is most of a backup's time (bench/results-notes.md,
 * "Compression level").
 */
export const ARCHIVE_GZIP_LEVEL = 5;
