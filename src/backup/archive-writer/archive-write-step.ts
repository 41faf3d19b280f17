import type { Transform } from 'node:stream';
import type { BackupTarget } from '../../common/backup-target.js';

/** What one archive's steps may depend on: where it goes, and whom it is encrypted to. */
export interface ArchiveWriteContext {
  target: BackupTarget;
  /**
   * The age recipients (`age1...`) of this archive, as ArchiveEncryption.recipientsFor answered once for
   * the backup; undefined (or empty) when the archive is stored plain.
   */
  recipients?: readonly string[];
}

/**
 * One step of the archive's write pipeline after gzip (tar → byte count → parallel gzip → the steps, in
 * order → the target). The first one is age encryption: it registers itself under ARCHIVE_WRITE_STEPS
 * and neither the job lifecycle nor the archive's layout changes.
 */
export interface ArchiveWriteStep {
  /** Named in errors and logs ("the archive step 'age-encryption' failed: …"). */
  readonly name: string;
  /**
   * A new transform for one archive: it receives the previous step's output (the first step: gzip's).
   * undefined declines: the step does not apply to this archive (encryption without recipients) and is left out.
   */
  create(context: ArchiveWriteContext): Transform | undefined;
  /**
   * The most this step can output for `maxInput` bytes of input, for the archive of `context` (a step
   * that declines it returns `maxInput`). The archive's size bound is the chain of these bounds, so an
   * S3 upload can size its parts before the first byte (a bound, not a check).
   */
  maxOutputBytes(maxInput: number, context: ArchiveWriteContext): number;
}

/** The steps after gzip, in order (BackupModule provides them). */
export const ARCHIVE_WRITE_STEPS = Symbol('ARCHIVE_WRITE_STEPS');
