import type { BackupTarget } from '../common/backup-target.js';

/**
 * The restore module's events, each emitted once on the path that causes it. Payloads name the
 * archive and say what happened; they never carry a secret or a database's content.
 *
 * The apply's three (applied, rolled back, apply failed) are emitted during the start, by
 * RestoreOnStartHook, before the databases open: @OnDomainEvent listeners are registered by then
 * (the event emitter's module is global, so its start-up hook runs before the restore module's).
 */

/** A backup was checked and unpacked into the staging folder; it is applied at the next start. */
export class RestoreStagedEvent {
  static readonly eventName = 'restore.staged';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly databases: readonly string[],
    /** The service restarts now to apply it; false: at the next start, and it can be cancelled until then. */
    readonly restarting: boolean,
  ) {}
}

/** A staged restore was cancelled before it was applied. */
export class RestoreCancelledEvent {
  static readonly eventName = 'restore.cancelled';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
  ) {}
}

/** A staged restore replaced the databases at start. */
export class RestoreAppliedEvent {
  static readonly eventName = 'restore.applied';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly databases: readonly string[],
    /** Folder in DATA_DIR holding the databases as they were before, or null when none was kept. */
    readonly safetyCopy: string | null,
    /** True when an apply interrupted by a crash was finished at this start (outcome `resumed`). */
    readonly resumed: boolean,
  ) {}
}

/** An apply could not be finished and was undone from the safety copy: the databases are as they were before it. */
export class RestoreRolledBackEvent {
  static readonly eventName = 'restore.rolled_back';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly reason: string,
    /** The safety copy the databases were put back from; it is kept. */
    readonly safetyCopy: string | null,
  ) {}
}

/**
 * How an apply failed:
 * - `withdrawn`: it stopped before anything was replaced (no room for the safety copy, a staged file
 *   damaged); the staged restore was withdrawn and the service starts on its databases as they were;
 * - `not_started`: the databases could not be made one complete set, or the flag could not be read:
 *   the service does not start (see "When a restore fails" in docs/restore.md).
 */
export type RestoreApplyFailure = 'withdrawn' | 'not_started';

/** Applying a staged restore failed. The one a notifier must not miss: with `not_started`, the service is down. */
export class RestoreApplyFailedEvent {
  static readonly eventName = 'restore.apply_failed';
  constructor(
    /** Null when the flag could not be read. */
    readonly target: BackupTarget | null,
    readonly filename: string | null,
    readonly failure: RestoreApplyFailure,
    readonly reason: string,
  ) {}
}

/** A backup archive was verified (on request or by the weekly schedule) and has a verdict. */
export class VerificationCompletedEvent {
  static readonly eventName = 'verification.completed';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    readonly verdict: 'passed' | 'failed',
    /** One line per problem found; empty when the verdict is passed. */
    readonly problems: readonly string[],
    /**
     * A limited verification: an encrypted backup with no key at hand (write-only mode), of which only the
     * stored object was compared with the record of its upload; its databases were not opened.
     */
    readonly limited: boolean = false,
    /** The verdict per database the verification reached (empty when it stopped at the archive, or was limited). */
    readonly databases: readonly DatabaseVerdictLine[] = [],
  ) {}
}

/** One database's verdict in a verification: `message` is "ok" or what is wrong. */
export interface DatabaseVerdictLine {
  name: string;
  ok: boolean;
  message: string;
}

/** Every event the restore module emits (a listener test subscribes to each). */
export const RESTORE_EVENTS = [
  RestoreStagedEvent,
  RestoreCancelledEvent,
  RestoreAppliedEvent,
  RestoreRolledBackEvent,
  RestoreApplyFailedEvent,
  VerificationCompletedEvent,
] as const;
