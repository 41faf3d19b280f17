import { type IncrementalDatabaseEntry, pagesFileName } from '../archive-format/incremental-metadata.js';
import type { PageChanges } from './page-diff.js';
import type { PageSnapshot } from './page-stable-snapshot.js';

/** A database's entry in an increment's backup-metadata.json, from its snapshot and what changed since the chain's last point. */
export function incrementEntryOf(
  name: string,
  snapshot: Pick<PageSnapshot, 'pageSize' | 'pageCount' | 'bytes' | 'sha256'>,
  changes: PageChanges,
): IncrementalDatabaseEntry {
  const filename = `${name}.db`;
  return {
    name,
    filename,
    page_size: snapshot.pageSize,
    page_count: snapshot.pageCount,
    size_bytes: snapshot.bytes,
    checksum: `sha256:${snapshot.sha256}`,
    changed_pages: changes.changedPages,
    pages_file: changes.pagesFile ? pagesFileName(filename) : null,
    pages_checksum: changes.pagesFile ? `sha256:${changes.pagesFile.sha256}` : null,
  };
}
