import fs from 'node:fs';
import { mapConcurrentlyLargestFirst } from '../../common/concurrency.js';
import { integrityCheck } from '../../database/sqlite-snapshot.js';
import { SQLITE_SIDE_SUFFIXES } from '../restore-paths.js';
import { archiveInvalid } from './archive-problem.js';
import type { ExtractedDatabase } from './archive-extractor.js';

/** The verdict on one database of an archive. */
export interface DatabaseVerdict {
  name: string;
  filename: string;
  sizeBytes: number;
  checksumOk: boolean;
  integrityOk: boolean;
  /** "ok", or what is wrong in words. */
  message: string;
}

/** Shown at most, of the problems PRAGMA integrity_check lists. */
const PROBLEMS_SHOWN = 3;
/**
 * Integrity checks run two at a time, each in its own worker thread: one check is mostly one core
 * of SQLite page reads, so two keep a 2-core machine busy without starving the API's event loop.
 */
const CHECKS_IN_PARALLEL = 2;

/**
 * `PRAGMA integrity_check` on one extracted database (in a worker, off the event loop). The check
 * does not change the file's bytes; SQLite's side files it may create in the scratch folder are removed.
 */
export async function integrityProblems(db: ExtractedDatabase, signal?: AbortSignal): Promise<string[]> {
  try {
    return await integrityCheck(db.path, signal);
  } catch (error) {
    // A cancelled check is no verdict on the database.
    signal?.throwIfAborted();
    return [(error as Error).message];
  } finally {
    for (const suffix of SQLITE_SIDE_SUFFIXES) fs.rmSync(`${db.path}${suffix}`, { force: true });
  }
}

/** The checks start with the largest database (see mapConcurrentlyLargestFirst): the lanes finish together. */
const bySize = (db: ExtractedDatabase): number => db.sizeBytes;

function describeProblems(problems: string[]): string {
  const shown = problems.slice(0, PROBLEMS_SHOWN).join('; ');
  return problems.length > PROBLEMS_SHOWN ? `${shown}; and ${problems.length - PROBLEMS_SHOWN} more` : shown;
}

/** Staging: every database must pass; the first that does not stops the restore (ArchiveInvalid, check 'integrity'). */
export async function requireIntegrity(databases: ExtractedDatabase[], signal?: AbortSignal): Promise<void> {
  await mapConcurrentlyLargestFirst(databases, CHECKS_IN_PARALLEL, bySize, async (db) => {
    signal?.throwIfAborted();
    const problems = await integrityProblems(db, signal);
    if (problems.length) {
      throw archiveInvalid('integrity', db.filename, `${db.filename} fails the SQLite integrity check: ${describeProblems(problems)}`);
    }
  });
}

/** Verification: a verdict for every database, checksum and integrity, whatever the others' results. */
export function judgeDatabases(databases: ExtractedDatabase[], signal?: AbortSignal): Promise<DatabaseVerdict[]> {
  return mapConcurrentlyLargestFirst(databases, CHECKS_IN_PARALLEL, bySize, async (db) => {
    signal?.throwIfAborted();
    const problems = await integrityProblems(db, signal);
    const messages: string[] = [];
    if (!db.checksumOk) messages.push(`the checksum does not match (expected ${db.expectedChecksum}, got sha256:${db.sha256})`);
    if (problems.length) messages.push(`the SQLite integrity check failed: ${describeProblems(problems)}`);
    return {
      name: db.name,
      filename: db.filename,
      sizeBytes: db.sizeBytes,
      checksumOk: db.checksumOk,
      integrityOk: problems.length === 0,
      message: messages.length ? messages.join('; ') : 'ok',
    };
  });
}
