import { Injectable } from '@nestjs/common';
import { RotationCompletedEvent } from '../../backup/backup.events.js';
import { targetLabel } from '../../common/backup-target.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { VerificationCompletedEvent } from '../../restore/restore.events.js';
import { ScheduledRunFailedEvent } from '../../scheduling/scheduling.events.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { hintFor } from './failure-hints.js';
import { NotificationFacts } from './notification-facts.js';

/**
 * verification.failed (a verdict of failed, with the verdict per database; or a scheduled verification that
 * could not run) and rotation.failed (backups it could not delete; or a scheduled rotation that could not
 * run). Both are at most daily by their schedules, so no repeat rule: each is news.
 */
@Injectable()
export class CheckRules {
  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly facts: NotificationFacts,
  ) {}

  @OnDomainEvent(VerificationCompletedEvent)
  async verified(event: VerificationCompletedEvent): Promise<void> {
    if (event.verdict !== 'failed') return;
    const label = targetLabel(event.target);
    const bad = event.databases.filter((db) => !db.ok).map((db) => db.name);
    await this.publisher.publish({
      event: 'verification.failed',
      target: event.target,
      title: `${label} backup ${event.filename} failed verification`,
      message:
        `The ${label} backup ${event.filename} could not be restored as it is` +
        (bad.length ? ` (damaged: ${bad.join(', ')})` : '') +
        `: ${event.problems.slice(0, 5).join('; ') || 'see the verification report'}.`,
      hint: 'Do not rely on this backup: run a new backup now and verify it; if it fails again, check the disk or the storage it is kept on.',
      error_code: 'VERIFICATION_FAILED',
      last_success: await this.facts.lastSuccess(event.target),
      details: { archive: event.filename, verdict: event.verdict, limited: event.limited, databases: event.databases, problems: event.problems },
      log_lines: this.facts.logLines(`verification of ${event.filename}`),
    });
  }

  @OnDomainEvent(RotationCompletedEvent)
  async rotated(event: RotationCompletedEvent): Promise<void> {
    if (event.failed.length === 0) return;
    const label = targetLabel(event.target);
    await this.publisher.publish({
      event: 'rotation.failed',
      target: event.target,
      title: `${label} backup rotation could not delete ${event.failed.length} backup(s)`,
      message: `${label} backup rotation deleted ${event.deleted.length} and kept ${event.kept}, but could not delete: ${event.failed
        .slice(0, 5)
        .map((f) => `${f.filename} (${f.message})`)
        .join('; ')}.`,
      hint: 'Old backups pile up until this is fixed: check the permissions on the storage (delete rights for the R2 key, the local folder’s owner).',
      error_code: 'ROTATION_FAILED',
      last_success: await this.facts.lastSuccess(event.target),
      details: { deleted: event.deleted, kept: event.kept, failed: event.failed },
      log_lines: this.facts.logLines(),
    });
  }

  /** A scheduled rotation or verification that could not run at all (storage unreachable, no room to verify). */
  @OnDomainEvent(ScheduledRunFailedEvent)
  async runFailed(event: ScheduledRunFailedEvent): Promise<void> {
    if (event.task === 'backup') return;
    const label = targetLabel(event.target);
    const verification = event.task === 'verification';
    await this.publisher.publish({
      event: verification ? 'verification.failed' : 'rotation.failed',
      target: event.target,
      title: verification ? `${label} backup verification could not run` : `${label} backup rotation could not run`,
      message: `${event.message}.`,
      hint: hintFor(event.code),
      error_code: event.code,
      last_success: await this.facts.lastSuccess(event.target),
      details: { scheduled_job: event.job, verdict: verification ? 'not_run' : undefined },
      log_lines: this.facts.logLines(),
    });
  }
}
