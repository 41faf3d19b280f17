import type { BackupTarget } from '../common/backup-target.js';

/**
 * The restore module's events. Payloads name the archive and say what happened; they never carry a
 * secret or a database's content.
 */

/** A backup was checked and unpacked into the staging folder; it is applied at the next start. */
export class RestoreStagedEvent {
  static readonly eventName = 'restore.staged';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly databases: readonly string[],
  ) {}
}

/** A staged restore was cancelled before it was applied. */
export class RestoreCancelledEvent {
  static readonly eventName = 'restore.cancelled';
  constructor(readonly filename: string) {}
}

/** A staged restore replaced the databases at start. */
export class RestoreAppliedEvent {
  static readonly eventName = 'restore.applied';
  constructor(
    readonly filename: string,
    readonly databases: readonly string[],
    /** Folder in DATA_DIR holding the databases as they were before, or null when none was kept. */
    readonly safetyCopy: string | null,
  ) {}
}

/** An apply that a crash interrupted was rolled back at start: the databases are as they were before it. */
export class RestoreRolledBackEvent {
  static readonly eventName = 'restore.rolled_back';
  constructor(
    readonly filename: string,
    readonly reason: string,
  ) {}
}

/** Applying a staged restore failed; the databases are as they were before it. */
export class RestoreApplyFailedEvent {
  static readonly eventName = 'restore.apply_failed';
  constructor(
    readonly filename: string,
    readonly code: string,
    readonly reason: string,
  ) {}
}

/** A backup archive was verified (on request or by the weekly schedule). */
export class VerificationCompletedEvent {
  static readonly eventName = 'verification.completed';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly verdict: 'passed' | 'failed',
    /** One line per problem found; empty when the verdict is passed. */
    readonly problems: readonly string[],
  ) {}
}

/** Every event the restore module emits (a listener test subscribes to each). */
export const RESTORE_EVENTS = [RestoreStagedEvent, RestoreCancelledEvent, RestoreAppliedEvent, RestoreRolledBackEvent, RestoreApplyFailedEvent, VerificationCompletedEvent] as const;
