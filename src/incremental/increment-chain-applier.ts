import fs from 'node:fs';
import path from 'node:path';
import { type IncrementalDatabaseEntry, type IncrementalMetadata, incrementalMetadataProblems, pagesInRanges } from '../archive-format/incremental-metadata.js';
import { mapConcurrentlyLargestFirst } from '../common/concurrency.js';
import type { FileDigest } from '../database/sqlite-snapshot.js';
import { IncrementChainError } from './increment-chain-error.js';
import { runPageWorker } from './page-worker.js';
import { PageWorkerPool } from './page-worker-pool.js';

/** One increment of a chain, as the caller extracted it. */
export interface IncrementToApply {
  /** The increment's archive name (`sentinel-incremental-….tar.gz[.age]`): errors name it, and `parent` links check it. */
  name: string;
  metadata: IncrementalMetadata;
  /** Database name → its extracted `<name>.db.pages`, for each database whose pages changed. */
  pagesFiles: ReadonlyMap<string, string>;
}

export interface RebuiltDatabase {
  name: string;
  file: string;
  bytes: number;
  /** Lower-case hex; equal to the last increment's checksum. */
  sha256: string;
}

/**
 * Rebuilds, in `folder`, the databases of the chain's newest increment from the full backup's extracted
 * `<name>.db` files (docs/incremental-backups.md, "Restoring a point"). Everything is checked before a page is
 * written (each metadata, the chain's links, each database's file and page size, each pages file's length and
 * SHA-256), then the increments are applied in order (each page at (n − 1) × page_size, the file cut to
 * page_count × page_size), and at the end each database's whole-file SHA-256 is compared with the last
 * increment's. The pages of the whole chain are checked and written in one worker thread; then each rebuilt file
 * is fsynced and hashed, FINALS_IN_PARALLEL at a time, largest first (a gigabyte's hashes are most of the rebuild's
 * time after the pages: issue 19, a chain's staging against a full one's). Files are streamed in chunks (flat
 * memory). The files in `folder` are changed in place: the folder is the caller's staging copy, never a live
 * database. `durable` (default true) fsyncs each rebuilt file. Throws IncrementChainError naming the increment and
 * database at fault.
 */
export async function applyIncrementChain(
  folder: string,
  increments: readonly IncrementToApply[],
  options: { durable?: boolean; signal?: AbortSignal } = {},
): Promise<RebuiltDatabase[]> {
  if (increments.length === 0) throw new Error('applyIncrementChain needs at least one increment');
  await checkChain(folder, increments);
  const last = increments[increments.length - 1];
  const steps = increments.flatMap((increment) => increment.metadata.databases.map((entry) => ({ increment, entry })));
  const outcome = await runPageWorker<ChainOutcome>(
    'applyChain',
    {
      steps: steps.map(({ increment, entry }) => {
        const pagesFile = entry.pages_file === null ? null : (increment.pagesFiles.get(entry.name) ?? null);
        return {
          file: path.join(folder, entry.filename),
          pagesFile,
          missing: entry.pages_file !== null && pagesFile === null,
          expectedBytes: pagesInRanges(entry.changed_pages) * entry.page_size,
          pagesChecksum: entry.pages_checksum,
          ranges: entry.changed_pages,
          pageSize: entry.page_size,
          pageCount: entry.page_count,
        };
      }),
    },
    options.signal,
  );
  if ('refused' in outcome) {
    const { increment, entry } = steps[outcome.refused.step];
    throw new IncrementChainError(increment.name, entry.name, pagesFileProblem(entry, outcome.refused));
  }
  if ('failed' in outcome) {
    const { increment, entry } = steps[outcome.failed.step];
    throw new IncrementChainError(increment.name, entry.name, `its pages could not be written (${outcome.failed.message})`);
  }
  const digests = await finalDigests(folder, last, options.durable ?? true, options.signal);
  return last.metadata.databases.map((entry, i) => {
    const digest = digests[i];
    if (`sha256:${digest.sha256}` !== entry.checksum || digest.bytes !== entry.size_bytes) {
      const problem = `the rebuilt ${entry.filename} (${digest.bytes} bytes, sha256:${digest.sha256}) differs from the increment's ${entry.size_bytes} bytes, ${entry.checksum}`;
      throw new IncrementChainError(last.name, entry.name, `${problem}: the chain's files do not fit together`);
    }
    return { name: entry.name, file: path.join(folder, entry.filename), bytes: digest.bytes, sha256: digest.sha256 };
  });
}

/** How many rebuilt files are fsynced and hashed at a time: the machines are two cores. */
const FINALS_IN_PARALLEL = 2;

/** Each rebuilt database of `last`, fsynced when durable, then hashed: its digest, in the metadata's order. */
async function finalDigests(folder: string, last: IncrementToApply, durable: boolean, signal?: AbortSignal): Promise<FileDigest[]> {
  const workers = new PageWorkerPool();
  try {
    return await mapConcurrentlyLargestFirst(
      last.metadata.databases,
      FINALS_IN_PARALLEL,
      (entry) => entry.size_bytes,
      (entry) =>
        runPageWorker<FileDigest>('finalDigest', { file: path.join(folder, entry.filename), durable }, signal, workers).catch((error: Error) => {
          if (signal?.aborted) throw error;
          throw new IncrementChainError(last.name, entry.name, `its pages could not be written (${error.message})`);
        }),
    );
  } finally {
    await workers.close();
  }
}

/** What the chain's worker answers: the first damaged pages file, the first step it could not write, or that every step was written. */
type ChainOutcome = { refused: PagesFileRefusal & { step: number } } | { failed: { step: number; message: string } } | { applied: number };

type PagesFileRefusal =
  { kind: 'missing' } | { kind: 'unreadable'; message: string } | { kind: 'length'; bytes: number } | { kind: 'checksum'; sha256: string };

/** Why a pages file was refused, in the words of IncrementChainError. */
function pagesFileProblem(entry: IncrementalDatabaseEntry, refusal: PagesFileRefusal): string {
  switch (refusal.kind) {
    case 'missing':
      return `its ${entry.pages_file} is missing`;
    case 'unreadable':
      return `its ${entry.pages_file} cannot be read (${refusal.message})`;
    case 'length':
      return `its ${entry.pages_file} holds ${refusal.bytes} bytes, not the ${pagesInRanges(entry.changed_pages) * entry.page_size} of its pages: it is damaged`;
    case 'checksum':
      return `its ${entry.pages_file} has sha256:${refusal.sha256}, not the ${entry.pages_checksum} recorded: it is damaged`;
  }
}

/** Each metadata valid, each increment's parent the point before it, the same databases throughout, page sizes as the full backup's. */
async function checkChain(folder: string, increments: readonly IncrementToApply[]): Promise<void> {
  const base = increments[0].metadata.base;
  let previous = base;
  for (const { name, metadata } of increments) {
    const problems = incrementalMetadataProblems(metadata);
    if (problems.length > 0) throw new IncrementChainError(name, undefined, `its backup-metadata.json is not valid (${problems.join('; ')})`);
    if (metadata.base !== base) throw new IncrementChainError(name, undefined, `it belongs to the chain of ${metadata.base}, not of ${base}`);
    if (metadata.parent !== previous)
      throw new IncrementChainError(
        name,
        undefined,
        `it was made after ${metadata.parent}, not after ${previous}: a link of the chain is missing or out of order`,
      );
    previous = name;
  }
  const first = increments[0].metadata.databases;
  const names = first
    .map((db) => db.name)
    .sort()
    .join(', ');
  for (const { name, metadata } of increments) {
    const these = metadata.databases
      .map((db) => db.name)
      .sort()
      .join(', ');
    if (these !== names) throw new IncrementChainError(name, undefined, `it lists the databases ${these}, the chain ${names}`);
  }
  for (const entry of first) {
    const file = path.join(folder, entry.filename);
    const pageSize = await pageSizeOf(file);
    if (pageSize === undefined)
      throw new IncrementChainError(increments[0].name, entry.name, `the full backup's ${entry.filename} is not in ${folder} or is not a SQLite database`);
    for (const { name, metadata } of increments) {
      const size = metadata.databases.find((db) => db.name === entry.name)?.page_size;
      if (size !== pageSize) throw new IncrementChainError(name, entry.name, `its pages are of ${size} bytes, the full backup's of ${pageSize}`);
    }
  }
}

/** The page size in a SQLite file's header (bytes 16–17, big-endian; 1 means 65536), undefined when it is not one. */
async function pageSizeOf(file: string): Promise<number | undefined> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(18);
    const { bytesRead } = await handle.read(header, 0, 18, 0);
    if (bytesRead < 18 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
    const size = header.readUInt16BE(16);
    return size === 1 ? 65536 : size;
  } finally {
    await handle.close();
  }
}
