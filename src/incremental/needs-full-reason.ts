/**
 * Why the next backup of a target must be a full one instead of an increment (docs/incremental-backups.md,
 * "When the next backup is full instead"). The caller makes a full backup, logs `message` and shows `summary`
 * (the job's `kind_reason`): the API never shows the server's paths.
 */
export type NeedsFullCode =
  'index-missing' | 'index-unreadable' | 'hash-file-missing' | 'hash-file-wrong-length' | 'page-size-changed' | 'too-many-pages-changed';

export interface NeedsFullReason {
  code: NeedsFullCode;
  /** A sentence for the log: what was found (naming the files, in the data folder), and that a full backup is made instead. */
  message: string;
  /** The same without the server's paths, for the API. */
  summary: string;
}
