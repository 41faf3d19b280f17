import { Injectable } from '@nestjs/common';
import { RotationCompletedEvent, RotationFailedEvent } from '../backup/backup.events.js';
import { Clock } from '../common/clock.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import {
  RestoreAppliedEvent,
  RestoreApplyFailedEvent,
  RestoreCancelledEvent,
  RestoreRolledBackEvent,
  RestoreStagedEvent,
  RestoreStagingFailedEvent,
  VerificationCompletedEvent,
  VerificationFailedEvent,
} from '../restore/restore.events.js';
import { ScheduledRunFailedEvent } from '../scheduling/scheduling.events.js';
import { type NewRunEvent, RunEventStore } from './run-event.store.js';

/** The error code of a verification whose verdict is failed: the archive would not restore, as a restore would say. */
const VERIFICATION_VERDICT_CODE = 'ARCHIVE_INVALID';
/** The error code of a rotation that ran but could not delete some of what it should have (the code its notification carries): the message names each and why. */
const ROTATION_FAILED_CODE = 'ROTATION_FAILED';

type Fields = Pick<NewRunEvent, 'kind' | 'target' | 'trigger' | 'result' | 'message'> &
  Partial<Pick<NewRunEvent, 'durationMs' | 'sizeBytes' | 'errorCode' | 'file'>>;

/**
 * Writes the run history's verifications, rotations and restores from the domain events, as they end. A listener,
 * never a step of the job: a write that fails is logged by the event bus, and the job it records has already ended.
 */
@Injectable()
export class RunEventRecorder {
  constructor(
    private readonly store: RunEventStore,
    private readonly clock: Clock,
  ) {}

  @OnDomainEvent(VerificationCompletedEvent)
  verified(event: VerificationCompletedEvent): Promise<void> {
    const passed = event.verdict === 'passed';
    return this.record({
      kind: 'verification',
      target: event.target,
      trigger: event.trigger,
      result: passed ? 'succeeded' : 'failed',
      durationMs: event.durationMs,
      errorCode: passed ? null : VERIFICATION_VERDICT_CODE,
      message: passed
        ? event.limited
          ? 'Limited verification passed: the stored archive matches the record of its upload (no key at hand to open it)'
          : `Verified: all ${event.databases.length} databases passed every check`
        : event.problems.join('; '),
      file: event.filename,
    });
  }

  @OnDomainEvent(VerificationFailedEvent)
  verificationFailed(event: VerificationFailedEvent): Promise<void> {
    return this.record({
      kind: 'verification',
      target: event.target,
      trigger: event.trigger,
      result: 'failed',
      durationMs: event.durationMs,
      errorCode: event.code,
      message: `The verification could not run: ${event.reason}`,
      file: event.filename,
    });
  }

  @OnDomainEvent(RotationCompletedEvent)
  rotated(event: RotationCompletedEvent): Promise<void> {
    const failed = event.failed.map((f) => `${f.filename}: ${f.message}`);
    return this.record({
      kind: 'rotation',
      target: event.target,
      trigger: event.trigger,
      result: failed.length ? 'failed' : 'succeeded',
      durationMs: event.durationMs,
      errorCode: failed.length ? ROTATION_FAILED_CODE : null,
      message: `Deleted ${event.deleted.length}, kept ${event.kept}` + (failed.length ? `; could not delete ${failed.join('; ')}` : ''),
    });
  }

  @OnDomainEvent(RotationFailedEvent)
  rotationFailed(event: RotationFailedEvent): Promise<void> {
    return this.record({
      kind: 'rotation',
      target: event.target,
      trigger: event.trigger,
      result: 'failed',
      durationMs: event.durationMs,
      errorCode: event.code,
      message: event.reason,
    });
  }

  /** A scheduled backup that failed before it became a job: no job records it, so the history does. */
  @OnDomainEvent(ScheduledRunFailedEvent)
  scheduledRunFailed(event: ScheduledRunFailedEvent): Promise<void> {
    if (event.task !== 'backup') return Promise.resolve();
    return this.record({ kind: 'backup', target: event.target, trigger: 'scheduled', result: 'failed', errorCode: event.code, message: event.message });
  }

  @OnDomainEvent(RestoreStagedEvent)
  staged(event: RestoreStagedEvent): Promise<void> {
    return this.record({
      kind: 'restore',
      target: event.target,
      trigger: 'manual',
      result: 'staged',
      durationMs: event.durationMs,
      message: `Staged ${event.databases.length} databases; ${event.restarting ? 'the service restarts to apply them' : 'they are applied at the next start'}`,
      file: event.filename,
    });
  }

  @OnDomainEvent(RestoreStagingFailedEvent)
  stagingFailed(event: RestoreStagingFailedEvent): Promise<void> {
    // The asker closed the request (the page's Cancel): a cancel, as a backup's is (BACKUP_CANCELLED), not a failure.
    const cancelled = event.code === ErrorCode.RestoreCancelled;
    return this.record({
      kind: 'restore',
      target: event.target,
      trigger: 'manual',
      result: cancelled ? 'cancelled' : 'failed',
      durationMs: event.durationMs,
      errorCode: event.code,
      message: cancelled
        ? 'The restore staging was cancelled (its request was closed); nothing was staged and the databases are unchanged'
        : `Staging failed; nothing was staged and the databases are unchanged: ${event.reason}`,
      file: event.filename,
    });
  }

  @OnDomainEvent(RestoreCancelledEvent)
  cancelled(event: RestoreCancelledEvent): Promise<void> {
    return this.record({
      kind: 'restore',
      target: event.target,
      trigger: 'manual',
      result: 'cancelled',
      durationMs: event.durationMs,
      message: 'The staged restore was cancelled; nothing was applied',
      file: event.filename,
    });
  }

  @OnDomainEvent(RestoreAppliedEvent)
  applied(event: RestoreAppliedEvent): Promise<void> {
    return this.record({
      kind: 'restore',
      target: event.target,
      trigger: 'startup',
      result: 'succeeded',
      durationMs: event.durationMs,
      message:
        `Applied at start: ${event.databases.length} databases replaced` +
        (event.safetyCopy ? `; the databases as they were are in ${event.safetyCopy}` : '') +
        (event.resumed ? ' (an apply interrupted by a crash, finished)' : ''),
      file: event.filename,
    });
  }

  @OnDomainEvent(RestoreRolledBackEvent)
  rolledBack(event: RestoreRolledBackEvent): Promise<void> {
    return this.record({
      kind: 'restore',
      target: event.target,
      trigger: 'startup',
      result: 'rolled_back',
      durationMs: event.durationMs,
      errorCode: 'RESTORE_ROLLED_BACK',
      message: `The apply failed and was undone; the databases are as they were: ${event.reason}`,
      file: event.filename,
    });
  }

  @OnDomainEvent(RestoreApplyFailedEvent)
  applyFailed(event: RestoreApplyFailedEvent): Promise<void> {
    return this.record({
      kind: 'restore',
      target: event.target ?? 'unknown',
      trigger: 'startup',
      result: 'failed',
      durationMs: event.durationMs,
      errorCode: event.failure === 'withdrawn' ? 'RESTORE_WITHDRAWN' : 'RESTORE_APPLY_FAILED',
      message: event.reason,
      file: event.filename,
    });
  }

  private record(fields: Fields): Promise<void> {
    const finished = this.clock.now();
    const durationMs = fields.durationMs ?? null;
    return this.store.add({
      sizeBytes: null,
      errorCode: null,
      file: null,
      ...fields,
      durationMs,
      startedAt: new Date(finished.getTime() - (durationMs ?? 0)).toISOString(),
      finishedAt: finished.toISOString(),
    });
  }
}
