import { Inject, Injectable } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Transform } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { METADATA_FILENAME, type BackupMetadata } from '../../archive-format/backup-metadata.js';
import { ARCHIVE_WRITE_STEPS, type ArchiveWriteContext, type ArchiveWriteStep } from './archive-write-step.js';
import { storedDigest, type StoredDigest } from './stored-digest.js';
import { ParallelGzip } from './parallel-gzip.js';
import { packTar } from './tar-packer.js';

export interface ArchiveContents {
  /** Folder holding the `<name>.db` snapshots; `backup-metadata.json` is written into it. */
  dir: string;
  metadata: BackupMetadata;
}

/** The archive as the target stores it; `digest` is the SHA-256 and size of exactly those bytes, known once the stream has ended. */
export interface ArchiveStream extends Readable {
  readonly digest: StoredDigest | undefined;
}

/** Slack on top of the tar estimate: one 10 KiB tar record. */
const TAR_SLACK = 10 * 1024;

/** Tar overhead: a 512-byte header per entry, data padded to 512, and two zero blocks at the end. */
export function tarSize(sizes: number[]): number {
  return sizes.reduce((sum, size) => sum + 512 + Math.ceil(size / 512) * 512, 0) + 1024;
}

/**
 * Packs the archive's files into `gzip`, which copies each write into its own blocks before
 * acknowledging it, as the packer's reused buffers require. A packing error destroys `gzip`
 * with it, which fails the pipeline and so the archive.
 */
function packArchive(gzip: ParallelGzip, source: ArchiveContents, metadataJsonText: string, onTarBytes?: (bytes: number) => void): void {
  const entries = [
    { name: METADATA_FILENAME, size: Buffer.byteLength(metadataJsonText) },
    ...source.metadata.databases.map((db) => ({ name: db.filename, size: db.size_bytes })),
  ];
  packTar(gzip, { dir: source.dir, entries, mtime: new Date(source.metadata.timestamp), onBytes: onTarBytes }).catch((error: Error) => {
    if (!gzip.destroyed) gzip.destroy(error);
  });
}

/** The metadata file as the archive holds it. */
function metadataJson(metadata: BackupMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/**
 * The archive's write pipeline, wired here and nowhere else:
 *
 *   tar packer (backup-metadata.json first, then each database in metadata order; reports progress
 *   in uncompressed bytes)
 *     → parallel gzip (all cores)
 *     → each ArchiveWriteStep that takes this archive, in order (age encryption when it has recipients)
 *     → SHA-256 and size of the bytes as stored (the provenance record's, for plain archives too)
 *     → the target (what `open` returns is what the target stores)
 *
 * Nothing is held in memory beyond the compressor's blocks in flight and the steps' own buffers.
 */
@Injectable()
export class ArchiveWriter {
  constructor(@Inject(ARCHIVE_WRITE_STEPS) private readonly steps: readonly ArchiveWriteStep[]) {}

  /**
   * Writes the metadata file into `source.dir` and returns the archive as a stream. `context` chooses
   * the steps (a step may decline an archive). `onTarBytes` reports progress in uncompressed bytes (the
   * total is `tarBytes`). Destroying the returned stream stops every step; an error in any step destroys
   * it with that error, naming the step.
   */
  open(source: ArchiveContents, context: ArchiveWriteContext, onTarBytes?: (bytes: number) => void): ArchiveStream {
    // The steps first: one may refuse the archive (a recipient it cannot encrypt to), and then nothing
    // may have been written or started, since the caller removes the folder the tar would still be reading.
    const named: { name: string; stream: Transform }[] = [];
    try {
      for (const step of this.steps) {
        const stream = step.create(context);
        if (stream) named.push({ name: step.name, stream });
      }
    } catch (error) {
      for (const made of named) made.stream.destroy();
      throw error;
    }
    const json = metadataJson(source.metadata);
    fs.writeFileSync(path.join(source.dir, METADATA_FILENAME), json, { mode: 0o600 });
    const gzip = new ParallelGzip();
    packArchive(gzip, source, json, onTarBytes);
    const chain: (Readable | Transform)[] = [gzip, ...named.map((s) => s.stream)];
    const last = chain[chain.length - 1];
    // The output is outside the pipeline so that it fails with the error named by its step (the
    // pipeline destroys its own streams with the bare error); destroying it stops the whole chain.
    // It hashes what passes, the last thing before the target: the digest is of the bytes as stored.
    const output = storedDigest();
    (chain.length > 1 ? pipeline(chain) : finished(gzip)).catch((error: Error) => {
      const failed = named.find((s) => s.stream.errored === error);
      output.destroy(failed ? new Error(`The archive step '${failed.name}' failed: ${error.message}`, { cause: error }) : error);
    });
    last.pipe(output);
    output.once('close', () => {
      if (!output.readableEnded) last.destroy();
    });
    return output;
  }

  /** The uncompressed size of the archive of `metadata` (the archiving phase's byte total). */
  tarBytes(metadata: BackupMetadata): number {
    return tarSize([Buffer.byteLength(metadataJson(metadata)), ...metadata.databases.map((db) => db.size_bytes)]);
  }

  /**
   * The most the stored archive of `metadata` can take, for data that does not compress at all and
   * through every step: lets an S3 upload size its parts up front. Nothing enforces it: a step that
   * underestimates its output makes a large upload fail after its last part, not corrupt it.
   */
  maxBytes(metadata: BackupMetadata, context: ArchiveWriteContext): number {
    const gzipped = ParallelGzip.maxOutputBytes(this.tarBytes(metadata) + TAR_SLACK);
    return this.steps.reduce((bound, step) => step.maxOutputBytes(bound, context), gzipped);
  }
}
