import { Inject, Injectable } from '@nestjs/common';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { METADATA_FILENAME, type BackupMetadata } from '../../archive-format/backup-metadata.js';
import type { ChurnCounts } from '../../common/memory/buffer-churn.js';
import { startModuleWorker } from '../../common/workers/module-worker.js';
import type { ArchivePipelineJob } from './archive-pipeline-protocol.js';
import type { TarPackerEntry } from './tar-packer.js';
import { ARCHIVE_WRITE_STEPS, type ArchiveWriteContext, type ArchiveWriteStep } from './archive-write-step.js';
import { ArchiveWorkerStream } from './archive-worker-stream.js';
import type { StoredDigest } from './stored-digest.js';
import { ParallelGzip } from './parallel-gzip.js';

/** The archive's metadata document: a full backup's (the spec's) or an increment's; both carry the backup time. */
export interface ArchiveMetadata {
  /** ISO 8601 UTC: every entry's modification time. */
  timestamp: string;
}

export interface ArchiveContents {
  /** Folder holding the files; `backup-metadata.json` is written into it. */
  dir: string;
  /** Written as `backup-metadata.json`, the archive's first entry. */
  metadata: ArchiveMetadata;
  /** The files of `dir` that follow it, in order, with the sizes recorded for them. */
  files: readonly TarPackerEntry[];
}

/** A full backup's contents: the `<name>.db` snapshots, in the metadata's order, after the metadata. */
export function fullArchiveContents(dir: string, metadata: BackupMetadata): ArchiveContents {
  return { dir, metadata, files: metadata.databases.map((db) => ({ name: db.filename, size: db.size_bytes })) };
}

/**
 * The archive as the target stores it; `digest` is the SHA-256 and size of exactly those bytes, known once
 * the stream has ended. It emits 'close' only once nothing reads the snapshots' folder any more.
 */
export interface ArchiveStream extends Readable {
  readonly digest: StoredDigest | undefined;
  /** What the archive's worker thread asked V8 to collect (BufferChurn); known once the stream has ended. */
  readonly workerCollections: ChurnCounts | undefined;
}

/** Slack on top of the tar estimate: one 10 KiB tar record. */
const TAR_SLACK = 10 * 1024;

/**
 * The archive's worker thread's heap: it holds the pipeline's few objects (its buffers are external
 * memory, outside these limits), so a small heap is plenty, and its collections cost little.
 */
const WORKER_HEAP = { maxOldGenerationSizeMb: 48, maxYoungGenerationSizeMb: 4 };

/** Tar overhead: a 512-byte header per entry, data padded to 512, and two zero blocks at the end. */
export function tarSize(sizes: number[]): number {
  return sizes.reduce((sum, size) => sum + 512 + Math.ceil(size / 512) * 512, 0) + 1024;
}

/** The metadata file as the archive holds it. */
function metadataJson(metadata: ArchiveMetadata): string {
  return `${JSON.stringify(metadata, null, 2)}\n`;
}

/**
 * The archive's write pipeline, wired here and nowhere else. The bytes are made in a worker thread of
 * their own (archive-pipeline.worker.ts):
 *
 *   tar packer (backup-metadata.json first, then the files in order: a full backup's databases, an
 *   increment's pages files, each in metadata order; reports progress
 *   in uncompressed bytes)
 *     → parallel gzip (all cores, at ARCHIVE_GZIP_LEVEL)
 *     → each ArchiveWriteStep that takes this archive, in order (age encryption when it has recipients),
 *       built in the worker from the plan the step made here
 *     → SHA-256 and size of the bytes as stored (the provenance record's, for plain archives too)
 *     → the target (what `open` returns is what the target stores)
 *
 * Only the finished archive's bytes reach the service's thread, in chunks moved (not copied) from the
 * worker: every buffer of their making is allocated on the worker's small heap, where its collections
 * cost little (bench/results-notes.md, "archive pipeline in a worker thread"). Nothing is held in memory
 * beyond the compressor's blocks in flight, the steps' own buffers and a few chunks between the threads.
 */
@Injectable()
export class ArchiveWriter {
  constructor(@Inject(ARCHIVE_WRITE_STEPS) private readonly steps: readonly ArchiveWriteStep[]) {}

  /**
   * Writes the metadata file into `source.dir` and returns the archive as a stream. `context` chooses
   * the steps (a step may decline an archive, or refuse it: then this throws before anything is written
   * or started). `onTarBytes` reports progress in uncompressed bytes (the total is `tarBytes`).
   * Destroying the returned stream stops every step and the worker thread; it closes once the thread has
   * exited. An error in any step destroys it with that error, naming the step.
   */
  open(source: ArchiveContents, context: ArchiveWriteContext, onTarBytes?: (bytes: number) => void): ArchiveStream {
    // The plans first: a step may refuse the archive (a recipient it cannot encrypt to), and then nothing
    // may have been written or started, since the caller removes the folder the tar would be reading.
    const steps: ArchivePipelineJob['steps'] = [];
    for (const step of this.steps) {
      const plan = step.plan(context);
      if (plan) steps.push({ name: step.name, module: plan.module, options: plan.options });
    }
    const json = metadataJson(source.metadata);
    fs.writeFileSync(path.join(source.dir, METADATA_FILENAME), json, { mode: 0o600 });
    const job: ArchivePipelineJob = {
      dir: source.dir,
      entries: [{ name: METADATA_FILENAME, size: Buffer.byteLength(json) }, ...source.files],
      mtimeMs: new Date(source.metadata.timestamp).getTime(),
      steps,
    };
    const worker = startModuleWorker(new URL('./archive-pipeline.worker.js', import.meta.url), {
      workerData: job,
      resourceLimits: WORKER_HEAP,
    });
    return new ArchiveWorkerStream(worker, onTarBytes);
  }

  /** The uncompressed size of the archive of `contents` (the archiving phase's byte total). */
  tarBytes(contents: Omit<ArchiveContents, 'dir'>): number {
    return tarSize([Buffer.byteLength(metadataJson(contents.metadata)), ...contents.files.map((file) => file.size)]);
  }

  /**
   * The most the stored archive of `contents` can take, for data that does not compress at all and
   * through every step: lets an S3 upload size its parts up front. Nothing enforces it: a step that
   * underestimates its output makes a large upload fail after its last part, not corrupt it.
   */
  maxBytes(contents: Omit<ArchiveContents, 'dir'>, context: ArchiveWriteContext): number {
    const gzipped = ParallelGzip.maxOutputBytes(this.tarBytes(contents) + TAR_SLACK);
    return this.steps.reduce((bound, step) => step.maxOutputBytes(bound, context), gzipped);
  }
}
