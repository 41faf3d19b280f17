import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { BackupCompletedEvent } from '../../backup/backup.events.js';
import { targetLabel } from '../../common/backup-target.js';
import { Clock } from '../../common/clock.js';
import { OnDomainEvent } from '../../common/events/domain-event-bus.js';
import type { TargetHealth } from '../../monitoring/target-health.js';
import { TargetHealthService } from '../../monitoring/target-health.service.js';
import { SettingsChangedEvent } from '../../settings/settings-changed.event.js';
import { NotificationPublisher } from '../notification-publisher.js';
import { readableTime, written } from './notification-facts.js';
import { type AlertKey, RepeatRule } from './repeat-rule.js';

/** The longest wait between two checks: a deadline is never missed by more than this, even if the clock jumps. */
export const OVERDUE_CHECK_MAX_WAIT_MS = 60 * 60 * 1000;
/** The shortest wait between two timed checks (a deadline that has just passed is checked once, not in a loop). */
const MIN_WAIT_MS = 60 * 1000;

/**
 * backup.overdue: an enabled target with no successful backup within its schedule's period plus the grace
 * (TargetHealthService decides, the one rule GET /api/status and the metrics share). Nothing has to run
 * for it, so it is watched: at the start, at the next overdue deadline of any target (at least hourly),
 * after a settings change, and the "up to date again" message when a backup succeeds. The repeat rule
 * applies: the first sight, at most one reminder a day, one message when it ends. Times come from the
 * Clock: a test moves it and calls `check()`.
 */
@Injectable()
export class OverdueWatch implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Notifications');
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private checking: Promise<TargetHealth[]> = Promise.resolve([]);

  constructor(
    private readonly health: TargetHealthService,
    private readonly repeat: RepeatRule,
    private readonly publisher: NotificationPublisher,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    // In the background: the health reads the settings, which wait for the databases to open.
    void this.check();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  @OnDomainEvent(SettingsChangedEvent, { async: true })
  onSettingsChanged(): Promise<TargetHealth[]> {
    return this.check();
  }

  /** A success ends the target's overdue state at once (the next check would find it too, later). */
  @OnDomainEvent(BackupCompletedEvent)
  onBackupCompleted(): Promise<TargetHealth[]> {
    return this.check();
  }

  /**
   * Reads every target's health and notifies what changed; resolves with the health it read (empty when
   * it could not: logged, and the next check tries again). Checks run one after the other.
   */
  check(): Promise<TargetHealth[]> {
    this.checking = this.checking.then(async () => {
      // Stopped: the health reads the settings and writes .target-health.json, neither of which may happen
      // once the app is closing (an event can still arrive, or a check queued before the stop can come up).
      if (this.stopped) return [];
      try {
        const all = await this.health.all();
        for (const health of all) await this.judge(health);
        this.arm(all);
        return all;
      } catch (error) {
        this.logger.warn(`Cannot check whether a backup is overdue: ${(error as Error).message}; checking again within the hour`);
        this.arm([]);
        return [];
      }
    });
    return this.checking;
  }

  private async judge(health: TargetHealth): Promise<void> {
    const key: AlertKey = { event: 'backup.overdue', subject: health.target };
    const label = targetLabel(health.target);
    if (health.overdue_since !== null) {
      const since = health.overdue_since;
      const last = health.last_success
        ? `the last successful ${label} backup finished ${readableTime(health.last_success)}`
        : `there has been no successful ${label} backup yet`;
      await this.repeat.failed(
        key,
        (decision) =>
          written(
            this.publisher.publish({
              event: 'backup.overdue',
              target: health.target,
              title: decision.send === 'first' ? `${label} backup overdue` : `${label} backup still overdue (since ${readableTime(decision.since)})`,
              message:
                `No ${label} backup has succeeded within its schedule's period plus the grace: overdue since ${readableTime(since)}; ${last}.` +
                (health.last_error ? ` The last attempt failed: ${health.last_error.message}.` : '') +
                (health.next_run
                  ? ` Next scheduled run: ${readableTime(health.next_run)}.`
                  : ' No backup is scheduled on this instance (SENTINEL_SCHEDULES=off).'),
              hint: 'Check that the service is running and its schedules are on, then run a backup from the admin page; if the backup fails, its own notification says why.',
              error_code: health.last_error?.code ?? 'BACKUP_OVERDUE',
              last_success: health.last_success,
              details: {
                overdue_since: since,
                last_attempt: health.last_attempt,
                next_run: health.next_run,
                consecutive_failures: health.consecutive_failures,
              },
            }),
          ),
        // Still the same overdue state, not a new failure: the count stays, the reminder comes daily.
        { counted: false, since },
      );
      return;
    }
    if (!(await this.repeat.active(key))) return;
    if (!health.enabled) {
      // Turned off: no longer expected to be backed up, and not "working again" either.
      await this.repeat.forget(key);
      return;
    }
    await this.repeat.recovered(key, (recovery) =>
      written(
        this.publisher.publish({
          event: 'backup.overdue',
          target: health.target,
          title: `${label} backups are up to date again`,
          message: health.last_success
            ? `A ${label} backup succeeded at ${readableTime(health.last_success)}; it was overdue since ${readableTime(recovery.since)}.`
            : `The ${label} backup is no longer overdue (its schedule or the grace changed); it was overdue since ${readableTime(recovery.since)}.`,
          resolves: { event: 'backup.overdue', failures: recovery.failures, since: recovery.since },
          last_success: health.last_success,
          details: { archive: health.last_backup?.filename ?? null },
        }),
      ),
    );
  }

  /** The next check: at the nearest future deadline, at most an hour away. */
  private arm(all: TargetHealth[]): void {
    clearTimeout(this.timer);
    if (this.stopped) return;
    const now = this.clock.now().getTime();
    const deadlines = all.map((h) => (h.overdue_at ? Date.parse(h.overdue_at) - now : Infinity)).filter((ms) => ms > 0);
    const wait = Math.max(MIN_WAIT_MS, Math.min(OVERDUE_CHECK_MAX_WAIT_MS, ...deadlines));
    this.timer = setTimeout(() => void this.check(), wait);
    // The HTTP server keeps the process alive; this watch alone must not.
    this.timer.unref();
  }
}
