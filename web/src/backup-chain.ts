/**
 * What a point of the backup list is, in words: a full backup, or an increment and the backups it is restored
 * from (docs/incremental-backups.md). The list entries carry kind, and an increment's base and parent (filenames);
 * their times are read from the list when they are listed, else from their names (a backup's name is its UTC time).
 */
import { formatDateTime } from './format';

/** What the list needs of an entry. */
export interface ChainEntry {
  filename: string;
  created_at: string;
  kind: 'full' | 'incremental';
  base: string | null;
  parent: string | null;
}

const NAME_TIME = /^sentinel-(?:backup|incremental)-(\d{4})-(\d{2})-(\d{2})-(\d{2})(\d{2})(\d{2})\.tar\.gz(?:\.age)?$/;

/** The moment a backup's name says it was made (ISO), or null when the name is none of a backup's. */
export function timeOfName(filename: string): string | null {
  const m = NAME_TIME.exec(filename);
  return m ? `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z` : null;
}

/** "Full" or "Incremental": the badge's words (its colour only repeats them). */
export function kindLabel(kind: ChainEntry['kind']): string {
  return kind === 'incremental' ? 'Incremental' : 'Full';
}

/**
 * What an increment depends on: "after <parent time>, from full <base time>" (the parent is the base itself for
 * the first increment: "after the full backup of <time>"); null for a full backup. An increment without a record
 * of its chain says so.
 */
export function dependsOn(entry: ChainEntry, listed: readonly ChainEntry[], timeZone?: string): string | null {
  if (entry.kind !== 'incremental') return null;
  if (!entry.base || !entry.parent) return 'its chain is not recorded here: restoring it needs the full backup and increments before it';
  const when = (name: string): string => {
    const iso = listed.find((f) => f.filename === name)?.created_at ?? timeOfName(name);
    const missing = listed.some((f) => f.filename === name) ? '' : ' (not in this list)';
    return `${iso ? formatDateTime(iso, timeZone) : name}${missing}`;
  };
  if (entry.parent === entry.base) return `after the full backup of ${when(entry.base)}`;
  return `after ${when(entry.parent)}, from full ${when(entry.base)}`;
}
