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
 * How a step's transform is made for one archive, as data: the archive's bytes are produced in a worker
 * thread (ArchiveWriter), so the step is described on the service's thread and built in the worker.
 */
export interface ArchiveWriteStepPlan {
  /**
   * URL of the module that builds the transform in the worker (an ArchiveStepTransformModule), named as
   * its compiled file: `new URL('./x-transform.js', import.meta.url).href`.
   */
  module: string;
  /** Handed to the module's createStepTransform; must survive structured cloning (plain data, no secrets to log). */
  options?: unknown;
}

/** What the module of an ArchiveWriteStepPlan exports; it runs in the archive's worker thread. */
export interface ArchiveStepTransformModule {
  /** A new transform for one archive: it receives the previous step's output (the first step: gzip's). */
  createStepTransform(options: unknown): Transform;
}

/**
 * One step of the archive's write pipeline after gzip (tar → parallel gzip → the steps, in order → the
 * target). The first one is age encryption: it registers itself under ARCHIVE_WRITE_STEPS and neither the
 * job lifecycle nor the archive's layout changes. A new step is this class, registered there, and the
 * module its plan names.
 */
export interface ArchiveWriteStep {
  /** Named in errors and logs ("the archive step 'age-encryption' failed: …"). */
  readonly name: string;
  /**
   * The plan of this step's transform for one archive, made on the service's thread before anything of the
   * archive starts: throwing refuses the archive (a recipient it cannot encrypt to). undefined declines: the
   * step does not apply to this archive (encryption without recipients) and is left out.
   */
  plan(context: ArchiveWriteContext): ArchiveWriteStepPlan | undefined;
  /**
   * The most this step can output for `maxInput` bytes of input, for the archive of `context` (a step
   * that declines it returns `maxInput`). The archive's size bound is the chain of these bounds, so an
   * S3 upload can size its parts before the first byte (a bound, not a check).
   */
  maxOutputBytes(maxInput: number, context: ArchiveWriteContext): number;
}

/** The steps after gzip, in order (BackupModule provides them). */
export const ARCHIVE_WRITE_STEPS = Symbol('ARCHIVE_WRITE_STEPS');
