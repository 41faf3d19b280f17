/**
 * What a replication did: archives of `source` copied to the replica `target`, each checked on arrival.
 * Its own events, never a backup's: a replica that fails does not fail the backup that started it.
 */

/** A replication job ended with every missing archive copied and checked (possibly none was missing). */
export class ReplicationCompletedEvent {
  static readonly eventName = 'replication.completed';
  constructor(
    readonly jobId: string,
    /** The target whose archives were copied. */
    readonly source: string,
    /** The replica they were copied to. */
    readonly target: string,
    /** The archives copied and checked, oldest first. */
    readonly copied: readonly string[],
    readonly bytesCopied: number,
    readonly durationMs: number,
  ) {}
}

/** A replication job ended before every missing archive was on the replica; nothing partial was left there. */
export class ReplicationFailedEvent {
  static readonly eventName = 'replication.failed';
  constructor(
    readonly jobId: string,
    readonly source: string,
    readonly target: string,
    /** What went wrong and what to do. */
    readonly reason: string,
    /** The job's error code (ErrorCode), like a backup's. */
    readonly code: string,
    /** The archives it did copy and check before it failed (they stay on the replica), oldest first. */
    readonly copied: readonly string[],
    /** The archives still missing on the replica when it ended, oldest first. */
    readonly missing: readonly string[],
  ) {}
}

/** Every event the replication module emits (a listener test subscribes to each). */
export const REPLICATION_EVENTS = [ReplicationCompletedEvent, ReplicationFailedEvent] as const;
