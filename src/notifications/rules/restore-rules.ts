import { Injectable } from '@nestjs/common';
import { targetLabel } from '../../common/backup-target.js';
import { ErrorCode } from '../../common/errors/error-code.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import { RestoreAppliedEvent, RestoreApplyFailedEvent, RestoreRolledBackEvent, RestoreStagedEvent } from '../../restore/restore.events.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { NotificationFacts } from './notification-facts.js';

/**
 * restore.staged, restore.applied and restore.failed (rolled back from the safety copy, withdrawn before
 * anything was replaced, or a start that failed). The apply's events come during the start, before the
 * databases open: the listeners return the publish, which the publisher completes into its outbox (its own
 * file in DATA_DIR, open from module init), so a start about to fail waits for it (emitAndWait) and the
 * delivery is made once a service runs again.
 */
@Injectable()
export class RestoreRules {
  constructor(
    private readonly publisher: NotificationPublisher,
    private readonly facts: NotificationFacts,
  ) {}

  @OnDomainEvent(RestoreStagedEvent)
  staged(event: RestoreStagedEvent): Promise<unknown> {
    const label = targetLabel(event.target);
    return this.publisher.publish({
      event: 'restore.staged',
      target: event.target,
      title: `Restore of ${event.filename} staged`,
      message:
        `The ${label} backup ${event.filename} was checked and staged (${event.databases.length} databases); ` +
        (event.restarting ? 'the service restarts now to apply it.' : 'it is applied at the next start and can be cancelled until then.'),
      hint: event.restarting ? null : 'Restart the service to apply it, or cancel it on the admin page.',
      details: { archive: event.filename, databases: event.databases, restarting: event.restarting },
    });
  }

  @OnDomainEvent(RestoreAppliedEvent)
  applied(event: RestoreAppliedEvent): Promise<unknown> {
    return this.publisher.publish({
      event: 'restore.applied',
      target: event.target,
      title: `Restore of ${event.filename} applied`,
      message:
        `The databases were replaced by those of the ${targetLabel(event.target)} backup ${event.filename}` +
        `${event.resumed ? ' (an apply interrupted by a crash was finished at this start)' : ''}.` +
        (event.safetyCopy ? ` The databases as they were before are kept in ${event.safetyCopy}.` : ''),
      details: { archive: event.filename, databases: event.databases, safety_copy: event.safetyCopy, resumed: event.resumed },
    });
  }

  @OnDomainEvent(RestoreRolledBackEvent)
  rolledBack(event: RestoreRolledBackEvent): Promise<unknown> {
    return this.publisher.publish({
      event: 'restore.failed',
      target: event.target,
      title: `Restore of ${event.filename} rolled back`,
      message: `The restore of ${event.filename} could not be finished and was undone: the databases are as they were before it. ${event.reason}`,
      hint: 'Nothing was lost. See the log lines below for the cause; fix it and stage the restore again.',
      error_code: ErrorCode.ArchiveInvalid,
      details: { archive: event.filename, outcome: 'rolled_back', safety_copy: event.safetyCopy },
      log_lines: this.facts.logLines(),
    });
  }

  @OnDomainEvent(RestoreApplyFailedEvent)
  applyFailed(event: RestoreApplyFailedEvent): Promise<unknown> {
    const archive = event.filename ?? 'a staged backup';
    const down = event.failure === 'not_started';
    return this.publisher.publish({
      event: 'restore.failed',
      target: event.target,
      title: down ? 'The service cannot start: the restore failed' : `Restore of ${archive} withdrawn`,
      message: down
        ? `Applying the restore of ${archive} failed and the service did not start: ${event.reason}`
        : `The restore of ${archive} was withdrawn before anything was replaced; the service runs on its databases as they were. ${event.reason}`,
      hint: down
        ? 'The service is down. Follow "When a restore fails" in docs/restore.md, then start the service again.'
        : 'Nothing was changed. Fix the cause (see the log lines below) and stage the restore again.',
      error_code: down ? 'RESTORE_APPLY_FAILED' : 'RESTORE_WITHDRAWN',
      details: { archive: event.filename, outcome: event.failure },
      log_lines: this.facts.logLines(),
    });
  }
}
