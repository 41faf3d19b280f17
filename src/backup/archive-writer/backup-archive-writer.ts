import fs from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { create as createTar } from 'tar';
import { METADATA_FILENAME, type BackupMetadata } from '../../archive-format/backup-metadata.js';
import { ParallelGzip } from './parallel-gzip.js';

export interface ArchiveContents {
  /** Folder holding `backup-metadata.json` and the `<name>.db` snapshots. */
  dir: string;
  metadata: BackupMetadata;
}

/** Bytes tar reads from a file at a time: one compression block (ParallelGzip's default). */
const TAR_READ_SIZE = 1024 * 1024;

/** Tar overhead: a 512-byte header per entry, data padded to 512, and two zero blocks at the end. */
export function tarSize(sizes: number[]): number {
  return sizes.reduce((sum, size) => sum + 512 + Math.ceil(size / 512) * 512, 0) + 1024;
}

/** The metadata file as the archive holds it. */
function metadataJson(metadata: BackupMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/**
 * The most the compressed archive of `metadata` can take, for data that does not compress at all
 * (plus a 10 KiB tar record of slack): lets an upload size its parts up front.
 */
export function archiveMaxBytes(metadata: BackupMetadata): number {
  const tarBytes = tarSize([Buffer.byteLength(metadataJson(metadata)), ...metadata.databases.map((db) => db.size_bytes)]);
  return ParallelGzip.maxOutputBytes(tarBytes + 10 * 1024);
}

/**
 * Writes the metadata file into `dir` and returns the archive as a stream: a tar of
 * `backup-metadata.json` first, then each database in metadata order, gzip-compressed on all cores.
 * Nothing is held in memory beyond the compressor's blocks in flight. `onTarBytes` reports progress
 * in uncompressed bytes (see tarSize for the total).
 */
export function openArchiveStream(source: ArchiveContents, onTarBytes?: (bytes: number) => void): Readable {
  const json = metadataJson(source.metadata);
  fs.writeFileSync(path.join(source.dir, METADATA_FILENAME), json, { mode: 0o600 });
  const files = [METADATA_FILENAME, ...source.metadata.databases.map((db) => db.filename)];
  // portable: no uid/gid/user names of this machine in the archive; mtime fixed to the backup time.
  // maxReadSize: tar reads files in 16 MiB pieces by default, and up to 16 of them wait in
  // Readable.from's buffer while gzip catches up (measured: ~90 MiB more peak memory than 1 MiB reads).
  const tarStream = createTar({ cwd: source.dir, portable: true, mtime: new Date(source.metadata.timestamp), maxReadSize: TAR_READ_SIZE }, files);
  let counted = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      counted += chunk.length;
      onTarBytes?.(counted);
      callback(null, chunk);
    },
  });
  const output = new PassThrough();
  pipeline(Readable.from(tarStream), counter, new ParallelGzip(), output).catch((error: Error) => output.destroy(error));
  return output;
}
