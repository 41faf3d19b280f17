import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { RestoreAppliedEvent, VerificationCompletedEvent } from '../restore/restore.events.js';
import { ScheduledRunFailedEvent, ScheduledRunSkippedEvent } from '../scheduling/scheduling.events.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { HealthRecordsStore } from './health-records.store.js';
import { TargetHealthService } from './target-health.service.js';

const ENABLED_KEYS: ReadonlySet<string> = new Set(['local_backup_enabled', 'r2_backup_enabled']);

/**
 * Keeps what the health status needs from events no store records: a scheduled backup that failed before it
 * became a job (a target not configured counts: backups are expected and none can run), the enabled flags'
 * changes, every verification's verdict and every restore applied. A listener, never a step of the work: a
 * failure to write is logged by @OnDomainEvent and the emitter carries on.
 */
@Injectable()
export class HealthEventRecorder {
  constructor(
    private readonly records: HealthRecordsStore,
    private readonly health: TargetHealthService,
    private readonly clock: Clock,
  ) {}

  @OnDomainEvent(ScheduledRunFailedEvent)
  async onRunFailed(event: ScheduledRunFailedEvent): Promise<void> {
    if (event.task !== 'backup') return;
    await this.records.addPreJobFailure(event.target, { time: this.clock.now().toISOString(), code: event.code, message: event.message });
  }

  @OnDomainEvent(ScheduledRunSkippedEvent)
  async onRunSkipped(event: ScheduledRunSkippedEvent): Promise<void> {
    if (event.task !== 'backup' || event.reason !== 'not_configured') return;
    await this.records.addPreJobFailure(event.target, { time: this.clock.now().toISOString(), code: ErrorCode.TargetNotConfigured, message: event.message });
  }

  @OnDomainEvent(SettingsChangedEvent)
  async onSettingsChanged(event: SettingsChangedEvent): Promise<void> {
    if (ENABLED_KEYS.has(event.key)) await this.health.observeSettings();
  }

  /** An added target turned on or off (or added: its overdue count starts now). */
  @OnDomainEvent(TargetsChangedEvent)
  async onTargetsChanged(): Promise<void> {
    await this.health.observeSettings();
  }

  @OnDomainEvent(VerificationCompletedEvent)
  async onVerified(event: VerificationCompletedEvent): Promise<void> {
    await this.records.setVerification(event.target, { time: this.clock.now().toISOString(), filename: event.filename, verdict: event.verdict });
  }

  @OnDomainEvent(RestoreAppliedEvent)
  async onRestoreApplied(event: RestoreAppliedEvent): Promise<void> {
    await this.records.addRestoreApplied(event.target);
  }
}
