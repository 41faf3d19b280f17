import { type BackupMetadata, type DatabaseEntry, metadataProblems } from './backup-metadata.js';
import { parseBackupName } from './backup-filename.js';

/**
 * `backup-metadata.json` of an increment (docs/incremental-backups.md, "An increment's archive"): the full
 * backup's fields plus the chain it belongs to and, per database, the pages that changed.
 */

/**
 * The most increments a chain holds after its full backup: the most a policy lets a chain grow (`full_every`, a
 * whole number up to this), and so the longest chain a restore follows (beyond it, a loop of parents).
 */
export const LONGEST_CHAIN = 10_000;

/**
 * Whether a chain walked from its newest point goes on past the longest chain: `links` increments were read so far
 * (the newest first), and the last of them has `parent`. A chain of exactly LONGEST_CHAIN increments ends at its base there.
 */
export function chainTooLong(links: number, parent: string, base: string): boolean {
  return links > LONGEST_CHAIN || (links === LONGEST_CHAIN && parent !== base);
}

/** Inclusive 1-based page numbers: `[811, 840]` is 30 pages. */
export type PageRange = [first: number, last: number];

export interface IncrementalDatabaseEntry extends DatabaseEntry {
  page_size: number;
  page_count: number;
  /** `page_count × page_size`: the file is cut to this size after the pages are written. */
  size_bytes: number;
  /** `sha256:<64 hex>` of the whole database after this increment is applied. */
  checksum: string;
  /** Ascending, not overlapping, within 1…page_count; empty when the database did not change. */
  changed_pages: PageRange[];
  /** `<name>.db.pages` when pages changed, else null. */
  pages_file: string | null;
  /** `sha256:<64 hex>` of the pages file, null when there is none. */
  pages_checksum: string | null;
}

export interface IncrementalMetadata extends BackupMetadata {
  kind: 'incremental';
  /** The chain's full backup (`sentinel-backup-….tar.gz[.age]`). */
  base: string;
  /** The point this increment was compared with: `base` for the first increment, the increment before it otherwise. */
  parent: string;
  databases: IncrementalDatabaseEntry[];
}

/** `ledger.db.pages`: the pages file of a database's entry. */
export function pagesFileName(filename: string): string {
  return `${filename}.pages`;
}

/** How many pages the ranges hold. */
export function pagesInRanges(ranges: readonly PageRange[]): number {
  return ranges.reduce((sum, [first, last]) => sum + (last - first + 1), 0);
}

const SHA256 = /^sha256:[0-9a-f]{64}$/;

/**
 * Checks a parsed increment metadata document; returns a list of problems (empty when valid), each saying what
 * is wrong. `pagesFileSizes` (database name → bytes, from the archive's entries) adds the check that each pages
 * file holds exactly its pages (changed pages × page_size).
 */
export function incrementalMetadataProblems(value: unknown, pagesFileSizes?: ReadonlyMap<string, number>): string[] {
  const problems = metadataProblems(value);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return problems;
  const m = value as Record<string, unknown>;
  if (m.kind !== 'incremental') problems.push('"kind" must be "incremental"');
  if (typeof m.base !== 'string' || parseBackupName(m.base)?.kind !== 'full')
    problems.push('"base" must name a full backup (sentinel-backup-YYYY-MM-DD-HHMMSS.tar.gz)');
  if (typeof m.parent !== 'string' || (m.parent !== m.base && parseBackupName(m.parent)?.kind !== 'incremental'))
    problems.push('"parent" must be "base" or an increment\'s name (sentinel-incremental-YYYY-MM-DD-HHMMSS.tar.gz)');
  if (!Array.isArray(m.databases)) return problems;
  m.databases.forEach((entry: unknown, i: number) => {
    if (typeof entry === 'object' && entry !== null) problems.push(...entryProblems(entry as Record<string, unknown>, `databases[${i}]`, pagesFileSizes));
  });
  return problems;
}

function entryProblems(e: Record<string, unknown>, where: string, pagesFileSizes: ReadonlyMap<string, number> | undefined): string[] {
  const problems: string[] = [];
  const pageSize = e.page_size;
  const pageCount = e.page_count;
  const validSize = typeof pageSize === 'number' && Number.isInteger(pageSize) && pageSize >= 512 && pageSize <= 65536 && (pageSize & (pageSize - 1)) === 0;
  if (!validSize) problems.push(`${where}.page_size must be a power of two from 512 to 65536`);
  const validCount = typeof pageCount === 'number' && Number.isSafeInteger(pageCount) && pageCount >= 1;
  if (!validCount) problems.push(`${where}.page_count must be a whole number of pages, at least 1`);
  if (validSize && validCount && e.size_bytes !== pageSize * pageCount) problems.push(`${where}.size_bytes must be page_count × page_size`);
  const ranges = rangeProblems(e.changed_pages, validCount ? pageCount : Number.MAX_SAFE_INTEGER, where);
  problems.push(...ranges.problems);
  const changed = ranges.pages;
  if (changed === 0) {
    if (e.pages_file !== null) problems.push(`${where}.pages_file must be null when no pages changed`);
    if (e.pages_checksum !== null) problems.push(`${where}.pages_checksum must be null when no pages changed`);
    return problems;
  }
  if (e.pages_file !== pagesFileName(String(e.filename))) problems.push(`${where}.pages_file must be "<name>.db.pages"`);
  if (typeof e.pages_checksum !== 'string' || !SHA256.test(e.pages_checksum))
    problems.push(`${where}.pages_checksum must be "sha256:" and 64 lower-case hex digits`);
  const actual = typeof e.name === 'string' ? pagesFileSizes?.get(e.name) : undefined;
  if (pagesFileSizes && validSize && changed !== undefined) {
    if (actual === undefined) problems.push(`${where}: the archive holds no ${String(e.pages_file)}`);
    else if (actual !== changed * pageSize)
      problems.push(`${where}: ${String(e.pages_file)} holds ${actual} bytes, not the ${changed * pageSize} of its ${changed} pages of ${pageSize} bytes`);
  }
  return problems;
}

/** Problems of a changed_pages list, and how many pages it holds (undefined when it is not a valid list). */
function rangeProblems(value: unknown, pageCount: number, where: string): { problems: string[]; pages?: number } {
  const invalid = (problem: string) => ({ problems: [`${where}.changed_pages ${problem}`] });
  if (!Array.isArray(value)) return invalid('must be a list of [first, last] page ranges');
  let previous = 0;
  let pages = 0;
  for (const range of value as unknown[]) {
    if (!Array.isArray(range) || range.length !== 2 || !range.every((n) => Number.isSafeInteger(n)))
      return invalid('must hold [first, last] pairs of page numbers');
    const [first, last] = range as [number, number];
    if (first < 1 || last < first) return invalid(`has [${first}, ${last}]: a range is 1-based with first ≤ last`);
    if (first <= previous) return invalid(`has [${first}, ${last}] after page ${previous}: ranges must ascend without overlapping`);
    if (last > pageCount) return invalid(`has [${first}, ${last}] beyond page_count ${pageCount}`);
    previous = last;
    pages += last - first + 1;
  }
  return { problems: [], pages };
}
