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
    /** How long downloading, checking and unpacking took. */
    readonly durationMs: number | null = null,
  ) {}
}

/**
 * A staging failed: the backup could not be read, was damaged, or the disk was short. Nothing was staged and the
 * databases are unchanged; the event exists so the run history shows the attempt and its cause.
 * Not emitted when another restore was already being staged (nothing was tried).
 */
export class RestoreStagingFailedEvent {
  static readonly eventName = 'restore.staging_failed';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    /**
     * The error code (ErrorCode: BACKUP_NOT_FOUND, ARCHIVE_CORRUPT, ...; INTERNAL for an unexpected error;
     * RESTORE_CANCELLED when the asker closed the request, which is not a failure).
     */
    readonly code: string,
    /** What went wrong and what to do. */
    readonly reason: string,
    readonly durationMs: number,
  ) {}
}

/** A staged restore was cancelled before it was applied. */
export class RestoreCancelledEvent {
  static readonly eventName = 'restore.cancelled';
  constructor(
    readonly target: BackupTarget,
    readonly filename: string,
    /** How long withdrawing it (flag and staging folder removed) took. */
    readonly durationMs: number | null = null,
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
    /** How long the apply took at this start. */
    readonly durationMs: number | null = null,
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
    /** How long the apply and its undoing took at this start. */
    readonly durationMs: number | null = null,
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
    /** How long the attempt took at this start. */
    readonly durationMs: number | null = null,
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
    /** Who asked for it: a request (the API, the page) or the weekly schedule. */
    readonly trigger: VerificationTrigger = 'manual',
    readonly durationMs: number | null = null,
  ) {}
}

/** Who started a verification: a request (`POST .../verify`, the page's Verify) or the weekly schedule. */
export type VerificationTrigger = 'manual' | 'scheduled';

/**
 * A verification could not reach a verdict: the storage was unreachable or refused, the backup was gone, a key
 * was missing. Not a verdict on the backup (that is VerificationCompletedEvent with `failed`), but a failed
 * attempt the run history shows with its cause. Not emitted when the caller went away (cancelled).
 */
export class VerificationFailedEvent {
  static readonly eventName = 'verification.failed';
  constructor(
    readonly target: BackupTarget,
    /** null when no backup was chosen yet: a scheduled verification whose listing of the target failed. */
    readonly filename: string | null,
    readonly trigger: VerificationTrigger,
    /** The error code (ErrorCode: STORAGE_UNAVAILABLE, BACKUP_NOT_FOUND, ...; INTERNAL for an unexpected error). */
    readonly code: string,
    /** What went wrong and what to do. */
    readonly reason: string,
    readonly durationMs: number,
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
  RestoreStagingFailedEvent,
  RestoreCancelledEvent,
  RestoreAppliedEvent,
  RestoreRolledBackEvent,
  RestoreApplyFailedEvent,
  VerificationCompletedEvent,
  VerificationFailedEvent,
] as const;
