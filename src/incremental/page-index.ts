import type { PreviousPages } from './page-diff.js';

/**
 * `DATA_DIR/.incremental/<target>/chain.json`: the newest point of a target's chain and, per database, what the
 * next increment compares against (docs/incremental-backups.md, "The page index").
 */
export interface PageIndex {
  /** The layout of this file; a reader refuses others. */
  format: 1;
  /** The chain's full backup. */
  base: string;
  /** Its archive's size in bytes (for `max_chain_ratio`). */
  base_size: number;
  /** The chain's newest point: `base` itself right after a full backup, else the newest increment. */
  last: string;
  /** Increments in the chain after `base`. */
  increments: number;
  /** Their archives' sizes added up, in bytes. */
  increments_bytes: number;
  databases: PageIndexDatabase[];
}

export interface PageIndexDatabase {
  name: string;
  page_size: number;
  page_count: number;
  /** Lower-case hex SHA-256 of the whole database at `last`. */
  sha256: string;
  /** `<name>.<stamp>.hashes` in the same folder: 32 bytes per page, in page order. */
  hashes_file: string;
}

export const PAGE_INDEX_FORMAT = 1;

/** `ledger.20261203T091500123Z-a1b2c3.hashes`: a database's name, when it was written, and a random tail. */
export const HASHES_FILE_PATTERN = /^([a-z][a-z0-9_-]{0,63})\.(\d{8}T\d{9}Z-[0-9a-f]{6})\.hashes$/;

/** What `diffPages` needs of a database of a usable index; `folder` is the index's folder. */
export function previousPagesOf(entry: PageIndexDatabase, folder: string): PreviousPages {
  return { pageSize: entry.page_size, pageCount: entry.page_count, hashesFile: `${folder}/${entry.hashes_file}` };
}
