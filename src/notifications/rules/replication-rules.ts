import { Injectable } from '@nestjs/common';
import { type BackupTarget, isBackupTarget, targetLabel } from '../../common/backup-target.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { formatBytes } from '../../common/format.js';
import { ReplicationCompletedEvent, ReplicationFailedEvent } from '../../replication/replication.events.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { hintFor } from './failure-hints.js';
import { failuresText, NotificationFacts, readableTime, written } from './notification-facts.js';
import { type AlertKey, RepeatRule } from './repeat-rule.js';

/**
 * replication.failed and replication.succeeded, per replica: a replica that fails is a failure of its own
 * (the source's backup succeeded and says so), under the repeat rule like backups, with the one "works
 * again" when a replication to it succeeds after failures. A replication that copied nothing (the replica
 * had everything) is not a success worth a message; one cancelled by the service's shutdown is not a failure
 * worth one (the next replication copies what is missing).
 */
@Injectable()
export class ReplicationRules {
  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly repeat: RepeatRule,
    private readonly facts: NotificationFacts,
  ) {}

  @OnDomainEvent(ReplicationCompletedEvent)
  async completed(event: ReplicationCompletedEvent): Promise<void> {
    const label = labelOf(event.target);
    const details = { job_id: event.jobId, source: event.source, archives: event.copied, bytes_copied: event.bytesCopied, duration_ms: event.durationMs };
    const recovering = this.repeat.recovered(failingKey(event.target), async (recovery) =>
      written(
        this.publisher.publish({
          event: 'replication.failed',
          target: targetOf(event.target),
          title: `Replication to ${label} works again`,
          message: `Replication from ${labelOf(event.source)} to ${label} works again after ${failuresText(recovery.failures)} since ${readableTime(recovery.since)}: ${event.copied.length} archive(s) copied and checked.`,
          resolves: { event: 'replication.failed', failures: recovery.failures, since: recovery.since },
          details,
        }),
      ),
    );
    if (event.copied.length > 0) {
      await this.publisher.publish({
        event: 'replication.succeeded',
        target: targetOf(event.target),
        title: `Replication to ${label} succeeded`,
        message: `Copied ${event.copied.length} archive(s) (${formatBytes(event.bytesCopied)}) from ${labelOf(event.source)} to ${label}, each checked on arrival (size and SHA-256): ${event.copied.join(', ')}.`,
        details,
      });
    }
    await recovering;
  }

  @OnDomainEvent(ReplicationFailedEvent)
  async failed(event: ReplicationFailedEvent): Promise<void> {
    if (event.code === ErrorCode.BackupCancelled) return;
    const label = labelOf(event.target);
    await this.repeat.failed(failingKey(event.target), async (decision) => {
      await written(
        this.publisher.publish({
          event: 'replication.failed',
          target: targetOf(event.target),
          title:
            decision.send === 'first'
              ? `Replication to ${label} failed`
              : `Replication to ${label} still failing: ${failuresText(decision.failures)} since ${readableTime(decision.since)}`,
          message:
            decision.send === 'first'
              ? `${event.reason}. The backup to ${labelOf(event.source)} itself succeeded.`
              : `Replication to ${label} has failed ${decision.failures} times since ${readableTime(decision.since)} (a reminder, at most once a day). The latest: ${event.reason}.`,
          hint: hintFor(event.code),
          error_code: event.code,
          details: {
            job_id: event.jobId,
            source: event.source,
            copied: event.copied,
            missing: event.missing,
            failures: decision.failures,
            failing_since: decision.since,
          },
          log_lines: this.facts.logLines(`(job ${event.jobId}`),
        }),
      );
    });
  }
}

function failingKey(target: string): AlertKey {
  return { event: 'replication.failed', subject: target };
}

function targetOf(id: string): BackupTarget | null {
  return isBackupTarget(id) ? id : null;
}

function labelOf(id: string): string {
  return isBackupTarget(id) ? targetLabel(id) : id;
}
