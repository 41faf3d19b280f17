import { type IncrementalDatabaseEntry, pagesInRanges } from '../../archive-format/incremental-metadata.js';

/** The pages file an increment's metadata expects in the archive: its database's entry, its length and its SHA-256. */
export interface ExpectedPages {
  db: IncrementalDatabaseEntry;
  bytes: number;
  checksum: string;
}

/** Whether a parsed metadata document is an increment's (`"kind": "incremental"`); a full backup's may omit `kind`. */
export function isIncrementMetadata(value: unknown): boolean {
  return typeof value === 'object' && value !== null && (value as Record<string, unknown>).kind === 'incremental';
}

/**
 * The pages files an increment's (valid: incrementalMetadataProblems) metadata lists, by entry name, with the exact
 * length of each (its pages × page_size), which the extractor checks at the entry's tar header.
 */
export function expectedPagesFiles(databases: readonly IncrementalDatabaseEntry[]): Map<string, ExpectedPages> {
  const expected = new Map<string, ExpectedPages>();
  for (const db of databases) {
    if (db.pages_file === null) continue;
    expected.set(db.pages_file, { db, bytes: pagesInRanges(db.changed_pages) * db.page_size, checksum: db.pages_checksum as string });
  }
  return expected;
}
