import type { BackupKind } from '../archive-format/backup-filename.js';
import type { BackupTarget } from '../common/backup-target.js';
import type { BackupTrigger } from './backup-run.entity.js';

/** A backup job began running. */
export class BackupStartedEvent {
  static readonly eventName = 'backup.started';
  constructor(
    readonly jobId: string,
    readonly target: BackupTarget,
    readonly trigger: BackupTrigger,
  ) {}
}

/** A running backup moved on (phase change, or more bytes written). Emitted at most a few times a second. */
export class BackupProgressEvent {
  static readonly eventName = 'backup.progress';
  constructor(
    readonly jobId: string,
    readonly target: BackupTarget,
    readonly phase: string,
    readonly bytesDone: number,
    readonly bytesTotal: number,
  ) {}
}

/** What a completed backup stored, beyond its name and size. */
export interface StoredArchiveFacts {
  /** SHA-256 (hex) of the archive exactly as stored (after encryption, when encrypted). */
  sha256: string;
  encrypted: boolean;
  /** The age recipients it was encrypted to; null when plain. */
  recipients: string[] | null;
}

/** A backup archive is complete in its target. */
export class BackupCompletedEvent {
  static readonly eventName = 'backup.completed';
  constructor(
    readonly jobId: string,
    readonly target: BackupTarget,
    readonly filename: string,
    readonly sizeBytes: number,
    readonly durationMs: number,
    /** The archive's hash, kind and recipients (issue 14). */
    readonly stored: StoredArchiveFacts,
    /** What was made (issue 19): a full backup or an increment of the target's chain. */
    readonly backupKind: BackupKind,
    /** Why a full backup was made where an increment was asked for or the policy allows one; null otherwise. */
    readonly kindReason: string | null,
  ) {}
}

/** A backup job ended without an archive; nothing partial was left behind. */
export class BackupFailedEvent {
  static readonly eventName = 'backup.failed';
  constructor(
    readonly jobId: string,
    readonly target: BackupTarget,
    /** The message the job shows: what was wrong and what to do. */
    readonly reason: string,
    /** The job's error code (ErrorCode), so a listener can tell STORAGE_ACCESS_DENIED from INSUFFICIENT_DISK_SPACE. */
    readonly code: string,
  ) {}
}

/** A backup job was stopped by a request (POST /api/backup-jobs/{id}/cancel); nothing of it was left behind. */
export class BackupCancelledEvent {
  static readonly eventName = 'backup.cancelled';
  constructor(
    readonly jobId: string,
    readonly target: BackupTarget,
    /** How long it ran before it stopped, clean-up included. */
    readonly durationMs: number,
  ) {}
}

/** Rotation of a target ran: what it deleted, how many backups it kept, what it could not delete. */
export class RotationCompletedEvent {
  static readonly eventName = 'rotation.completed';
  constructor(
    readonly target: BackupTarget,
    readonly deleted: readonly string[],
    readonly kept: number,
    readonly failed: readonly { filename: string; message: string }[],
    /** Who asked for it: the API or the page (`manual`), or the schedule. */
    readonly trigger: BackupTrigger = 'manual',
    /** How long listing and deleting took. */
    readonly durationMs: number | null = null,
  ) {}
}

/** A rotation of a target could not run (its backups could not be listed); it deleted nothing. */
export class RotationFailedEvent {
  static readonly eventName = 'rotation.failed';
  constructor(
    readonly target: BackupTarget,
    readonly trigger: BackupTrigger,
    /** The error code (ErrorCode: STORAGE_UNAVAILABLE, STORAGE_ACCESS_DENIED, ...; INTERNAL for an unexpected error). */
    readonly code: string,
    /** What went wrong and what to do. */
    readonly reason: string,
    readonly durationMs: number,
  ) {}
}

/**
 * A folder's disk has less free space than the next backup needs (the backup's own estimate, margin
 * included). Emitted by DiskSpaceWatch when a check finds it short after it was not (checks run after each
 * backup and at least hourly), not at every check.
 */
export class DiskSpaceLowEvent {
  static readonly eventName = 'disk.low';
  constructor(
    /** The folder whose file system is short: DATA_DIR (snapshots) or the local backup folder. */
    readonly folder: string,
    readonly freeBytes: number,
    readonly neededBytes: number,
    /** The enabled targets whose next backup needs that room. */
    readonly targets: readonly BackupTarget[] = [],
  ) {}
}

/** A folder that was short (DiskSpaceLowEvent) has room for the next backup again. */
export class DiskSpaceRecoveredEvent {
  static readonly eventName = 'disk.recovered';
  constructor(
    readonly folder: string,
    readonly freeBytes: number,
    readonly neededBytes: number,
    readonly targets: readonly BackupTarget[] = [],
  ) {}
}

/** Every event the backup module emits (a listener test subscribes to each). */
export const BACKUP_EVENTS = [
  BackupStartedEvent,
  BackupProgressEvent,
  BackupCompletedEvent,
  BackupFailedEvent,
  BackupCancelledEvent,
  RotationCompletedEvent,
  RotationFailedEvent,
  DiskSpaceLowEvent,
  DiskSpaceRecoveredEvent,
] as const;
