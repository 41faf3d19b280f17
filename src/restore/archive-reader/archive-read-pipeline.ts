import { createHash, randomUUID } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { DomainError } from '../../common/errors/domain-error.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { byteCounter } from '../../common/streams/byte-counter.js';
import { ArchiveExtractor, type ExtractedArchive, type ExtractOptions } from './archive-extractor.js';
import { archiveInvalid } from './archive-problem.js';
import type { ArchiveKeys, ArchiveReadStep } from './archive-read-step.js';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';

export interface ReadOptions extends ExtractOptions {
  /** Keys for the read steps (an encrypted archive's identities); never logged. */
  keys?: ArchiveKeys;
  /** Hash the archive's bytes as stored (the SHA-256 of `stored`), for a comparison with the record of its upload. */
  hashStored?: boolean;
}

/** The archive as stored: how many bytes were read and, when asked, their SHA-256 (hex). */
export interface StoredBytes {
  bytes: number;
  sha256?: string;
}

export interface ReadArchive extends ExtractedArchive {
  stored: StoredBytes;
}

/**
 * Output chunks of gunzip: 256 KiB instead of zlib's 16 KiB, a sixteenth of the chunks through the
 * tar parser and the hashing sink (bench/results.md, "Restore: reading an archive").
 */
const GUNZIP_CHUNK_SIZE = 256 * 1024;

/**
 * The reader pipeline, wired here and nowhere else:
 *
 *   source → byte counter → [hash] → [read steps] → gunzip → strict extractor (ArchiveExtractor)
 *
 * The counter sees the archive as stored (progress counts the download), and so does the hash when
 * `hashStored` asks for it (the SHA-256 of the object as stored, which the record of its upload holds);
 * the read steps (see ArchiveReadStep; age decryption) sit between it and gunzip, with `keys`; gzip is read with Node's zlib (multi-member
 * gzip, as parallel compressors write, is fine); the extractor applies every rule to the tar inside.
 *
 * Any refusal rejects with ArchiveInvalid (details: check, file) and tears the whole pipeline down at
 * once, which stops the download; a broken-off source is StorageUnavailable; a cancel through
 * `options.signal` rejects with the signal's reason. The caller owns `options.dir` and removes it on failure.
 */
export async function extractArchive(source: Readable, options: ReadOptions, steps: readonly ArchiveReadStep[] = []): Promise<ReadArchive> {
  const { archive, signal, keys } = options;
  const extractor = new ArchiveExtractor(options);
  let sourceError: Error | undefined;
  let gzipError: Error | undefined;
  source.on('error', (error: Error) => (sourceError ??= error));
  const counter = byteCounter((bytes) => options.onProgress?.(bytes));
  const gunzip = zlib.createGunzip({ chunkSize: GUNZIP_CHUNK_SIZE });
  gunzip.on('error', (error: Error) => (gzipError ??= error));
  const hash = options.hashStored ? createHash('sha256') : undefined;
  const hashing = hash ? [new Transform({ transform: (chunk: Buffer, _encoding, callback) => (hash.update(chunk), callback(null, chunk)) })] : [];
  const stored = steps.map((step) => step.create({ archive, signal, keys }));
  try {
    await pipeline([source, counter, ...hashing, ...stored, gunzip, extractor.sink], { signal });
  } catch (error) {
    await extractor.settled();
    if (signal?.aborted) throw signal.reason ?? error;
    const reason = extractor.failure ?? error;
    if (reason instanceof DomainError) throw reason;
    if (gzipError && reason === gzipError) throw gzipProblem(archive, gzipError);
    if (sourceError && reason === sourceError) {
      throw new DomainError(
        ErrorCode.StorageUnavailable,
        `Reading ${archive} broke off after ${counter.bytes} bytes: ${sourceError.message}. Nothing was changed; try again`,
        { file: archive },
        { cause: sourceError },
      );
    }
    throw reason;
  }
  return { ...extractor.result(), stored: { bytes: counter.bytes, sha256: hash?.digest('hex') } };
}

/** Thrown from the extractor's onMetadata hook to stop a read once the metadata is known. */
class MetadataRead extends Error {
  constructor() {
    super('the metadata has been read; the rest of the archive is not needed');
  }
}

export interface MetadataReadOptions {
  archive: string;
  /** The databases this service manages: the metadata's set is compared with it (databaseSetProblem), as a restore would. */
  managed: readonly string[];
  keys?: ArchiveKeys;
  signal?: AbortSignal;
}

/**
 * The archive's `backup-metadata.json` (its first entry), read through the same pipeline and extractor
 * as a restore, with every check that applies to it (gzip, tar, decryption, the entry's name and size,
 * the metadata's fields), and the read stopped as soon as it is known: only the archive's first bytes
 * are downloaded. No database byte is written anywhere: the extractor stops before its first database
 * entry (its `dir` does not exist, so a write could not even begin). Used to show what a restore would
 * bring back before it is asked for.
 */
export async function readArchiveMetadata(source: Readable, options: MetadataReadOptions, steps: readonly ArchiveReadStep[] = []): Promise<BackupMetadata> {
  let read: BackupMetadata | undefined;
  try {
    await extractArchive(
      source,
      {
        ...options,
        dir: path.join(os.tmpdir(), 'sentinel-metadata-read-writes-nothing', randomUUID()),
        mode: 'collect',
        durable: false,
        kind: 'any',
        onMetadata: (metadata) => {
          read = metadata;
          throw new MetadataRead();
        },
      },
      steps,
    );
  } catch (error) {
    // The stop tears the pipeline down, and its steps (gunzip) report it in their own words: once the
    // metadata has been read and checked, whatever ended the read after it does not matter.
    if (read) return read;
    throw error;
  } finally {
    if (!source.destroyed) source.destroy();
  }
  // The whole archive was read and its metadata hook never ran: the extractor refuses that first.
  throw archiveInvalid('metadata-missing', options.archive, `${options.archive} holds no metadata`);
}

function gzipProblem(archive: string, error: Error): DomainError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'Z_DATA_ERROR' && /header/i.test(error.message)) {
    return archiveInvalid('gzip', archive, `${archive} is not a gzip file; a backup is a .tar.gz archive (tar czf ...)`);
  }
  if (code === 'Z_BUF_ERROR' || /unexpected end/i.test(error.message)) {
    return archiveInvalid('gzip', archive, `${archive} is cut short: its gzip stream ends early (an interrupted upload or download?)`);
  }
  return archiveInvalid('gzip', archive, `${archive} has damaged gzip data: ${error.message}`);
}
