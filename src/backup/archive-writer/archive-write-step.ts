import type { Transform } from 'node:stream';

/**
 * One step of the archive's write pipeline after gzip (tar → byte count → parallel gzip → the steps, in
 * order → the target). The first one a later issue adds is age encryption: it registers itself under
 * ARCHIVE_WRITE_STEPS and neither the job lifecycle nor the archive's layout changes.
 */
export interface ArchiveWriteStep {
  /** Named in errors and logs ("the archive step 'age-encryption' failed: …"). */
  readonly name: string;
  /** A new transform for one archive: it receives the previous step's output (the first step: gzip's). */
  create(): Transform;
  /**
   * The most this step can output for `maxInput` bytes of input. The archive's size bound is the
   * chain of these bounds, so an S3 upload can size its parts before the first byte (a bound, not a check).
   */
  maxOutputBytes(maxInput: number): number;
}

/** The steps after gzip, in order; empty by default (BackupModule provides it). */
export const ARCHIVE_WRITE_STEPS = Symbol('ARCHIVE_WRITE_STEPS');
