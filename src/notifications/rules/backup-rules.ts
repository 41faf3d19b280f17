import { Injectable } from '@nestjs/common';
import { BackupCompletedEvent, BackupFailedEvent, BackupStartedEvent } from '../../backup/backup.events.js';
import { type BackupTarget, targetLabel } from '../../common/backup-target.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { formatBytes } from '../../common/format.js';
import { ScheduledRunFailedEvent, ScheduledRunSkippedEvent } from '../../scheduling/scheduling.events.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { hintFor } from './failure-hints.js';
import { failuresText, NotificationFacts, readableTime, written } from './notification-facts.js';
import { type AlertKey, RepeatRule } from './repeat-rule.js';

/**
 * backup.started (ping channels' `/start`), backup.succeeded, and backup.failed from every way a backup
 * fails: a job that fails (BackupFailedEvent), a scheduled run that fails before it becomes a job
 * (storage unreachable, no space, a damaged database: ScheduledRunFailedEvent), and a scheduled run of an
 * enabled target nobody configured (ScheduledRunSkippedEvent `not_configured`). backup.failed follows the
 * repeat rule per target; the success after failures sends the one "works again".
 *
 * Not notified, on purpose (docs/notifications.md): a job cancelled because the service was stopped
 * (BACKUP_CANCELLED); scheduled runs skipped because a backup is running or one was just made; a manual
 * request refused before a job exists (the caller got the answer, 4xx or 5xx, with what to do).
 */
@Injectable()
export class BackupRules {
  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly repeat: RepeatRule,
    private readonly facts: NotificationFacts,
  ) {}

  @OnDomainEvent(BackupStartedEvent)
  started(event: BackupStartedEvent): Promise<unknown> {
    const label = targetLabel(event.target);
    return this.publisher.publish({
      event: 'backup.started',
      target: event.target,
      title: `${label} backup started`,
      message: `${label} backup started (${event.trigger}, job ${event.jobId}).`,
      details: { job_id: event.jobId, trigger: event.trigger },
    });
  }

  @OnDomainEvent(BackupCompletedEvent)
  async completed(event: BackupCompletedEvent): Promise<void> {
    const label = targetLabel(event.target);
    const details = {
      job_id: event.jobId,
      archive: event.filename,
      size_bytes: event.sizeBytes,
      duration_ms: event.durationMs,
      sha256: event.stored.sha256,
      encrypted: event.stored.encrypted,
      backup_kind: event.backupKind,
      kind_reason: event.kindReason,
    };
    // Entered in the repeat rule at once, so a failure heard after this success is counted after it.
    const recovering = this.repeat.recovered(failingKey(event.target), async (recovery) =>
      written(
        this.publisher.publish({
          event: 'backup.failed',
          target: event.target,
          title: `${label} backups work again`,
          message: `${label} backups work again after ${failuresText(recovery.failures)} since ${readableTime(recovery.since)}: ${event.filename} was stored.`,
          resolves: { event: 'backup.failed', failures: recovery.failures, since: recovery.since },
          last_success: await this.facts.lastSuccess(event.target),
          details,
        }),
      ),
    );
    await this.publisher.publish({
      event: 'backup.succeeded',
      target: event.target,
      title: `${label} backup succeeded`,
      message: `${label} backup stored ${event.filename} (${formatBytes(event.sizeBytes)}${event.stored.encrypted ? ', encrypted' : ''}) in ${(event.durationMs / 1000).toFixed(1)} s.`,
      last_success: await this.facts.lastSuccess(event.target),
      details,
    });
    await recovering;
  }

  @OnDomainEvent(BackupFailedEvent)
  failed(event: BackupFailedEvent): Promise<void> {
    // Stopped by the service's own shutdown: whoever stopped it knows; the next run makes the backup.
    if (event.code === ErrorCode.BackupCancelled) return Promise.resolve();
    return this.failure(event.target, event.code, event.reason, { job_id: event.jobId }, this.facts.logLines(`(job ${event.jobId}`));
  }

  @OnDomainEvent(ScheduledRunFailedEvent)
  runFailed(event: ScheduledRunFailedEvent): Promise<void> {
    if (event.task !== 'backup') return Promise.resolve();
    return this.failure(event.target, event.code, event.message, { scheduled_job: event.job, job_id: null }, this.facts.logLines());
  }

  @OnDomainEvent(ScheduledRunSkippedEvent)
  runSkipped(event: ScheduledRunSkippedEvent): Promise<void> {
    // The other reasons are the schedule working as meant (a backup running, one just made).
    if (event.task !== 'backup' || event.reason !== 'not_configured') return Promise.resolve();
    return this.failure(event.target, ErrorCode.TargetNotConfigured, event.message, { scheduled_job: event.job, job_id: null }, this.facts.logLines());
  }

  /**
   * Enters the repeat rule at once (in the order of the events, before anything is awaited), so that the
   * decision is taken at the failure's time; the facts are read only for a message that is sent.
   */
  private async failure(target: BackupTarget, code: string, reason: string, details: Record<string, unknown>, logLines: string[]): Promise<void> {
    const label = targetLabel(target);
    await this.repeat.failed(failingKey(target), async (decision) => {
      const lastSuccess = await this.facts.lastSuccess(target);
      const since = lastSuccess ? `The last successful ${label} backup finished ${readableTime(lastSuccess)}.` : `There is no successful ${label} backup yet.`;
      await written(
        this.publisher.publish({
          event: 'backup.failed',
          target,
          title:
            decision.send === 'first'
              ? `${label} backup failed`
              : `${label} backups still failing: ${failuresText(decision.failures)} since ${readableTime(decision.since)}`,
          message:
            decision.send === 'first'
              ? `${reason}. ${since}`
              : `${label} backups have failed ${decision.failures} times since ${readableTime(decision.since)} (a reminder, at most once a day). The latest: ${reason}. ${since}`,
          hint: hintFor(code),
          error_code: code,
          last_success: lastSuccess,
          details: { ...details, failures: decision.failures, failing_since: decision.since },
          log_lines: logLines,
        }),
      );
    });
  }
}

function failingKey(target: BackupTarget): AlertKey {
  return { event: 'backup.failed', subject: target };
}
