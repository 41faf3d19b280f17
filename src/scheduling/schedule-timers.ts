import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { targetLabel } from '../common/backup-target.js';
import { Clock } from '../common/clock.js';
import { OnDomainEvent } from '../common/events/domain-event-bus.js';
import { SettingsChangedEvent } from '../settings/settings-changed.event.js';
import type { RosterEntry } from '../targets/target-roster.js';
import { TargetsChangedEvent } from '../targets/targets-changed.event.js';
import { describeRecurrence, nextRun, nextRuns, type Recurrence, recurrenceCron, summarizeRecurrence } from '../common/schedules/backup-schedule.js';
import { ScheduledJobRunner, type LastRun } from './scheduled-job-runner.js';
import { formatLocal } from './schedule-slots.js';
import { SCHEDULE_SETTING_KEYS, type ScheduledJob, type ScheduledJobName, scheduledJobs } from './scheduled-jobs.js';
import { SchedulingOptions } from './scheduling-options.js';

/** setTimeout's longest delay (about 24.8 days); a monthly slot can be further away, so long waits go in steps. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** How many coming runs GET /api/schedules lists per job. */
export const LISTED_RUNS = 5;
/** After the settings could not be read (the databases are not open, say), the next attempt to arm the jobs. */
const RETRY_MS = 60_000;
const CATCH_UP_TIMEOUT = 'backup-catch-up';

export interface ScheduleStatus {
  job: ScheduledJob;
  /** The job runs on its own: schedules are on and its target is enabled. */
  enabled: boolean;
  disabledReason: string | null;
  /** The short form GET /api/schedules has always shown: "daily at 03:00". */
  description: string;
  /** In words with the zone: "every day at 03:00 Europe/Berlin", "every hour at :15". */
  words: string;
  /** The job's schedule value for a backup ("daily", "hourly", "cron:30 2 * * 1,4"); null for rotation and verification. */
  scheduleValue: string | null;
  cron: string;
  timeZone: string;
  nextRun: Date | null;
  /** The next LISTED_RUNS runs, whether or not the job is enabled (what the schedule would do). */
  nextRuns: Date[];
  lastRun: LastRun | null;
}

interface ArmedJob {
  job: ScheduledJob;
  next: Date;
}

/**
 * Arms a timer per enabled job at its next slot (schedule-slots.ts computes the instants, correct
 * across month ends and daylight-saving changes) and re-arms it when the settings change. The timers
 * are named timeouts in Nest's SchedulerRegistry, which also clears them at shutdown. A timer's handler
 * only calls ScheduledJobRunner, where the logic is.
 *
 * Not `cron` expressions in CronJobs: `cron` 4.4 fires some jobs twice or at the wrong time on
 * daylight-saving days (see schedule-slots.ts); the API still shows each job's cron expression.
 */
@Injectable()
export class ScheduleTimers implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Scheduler');
  private readonly armed = new Map<ScheduledJobName, ArmedJob>();
  /** Every re-arming waits for the one before: settings changes are applied in order. */
  private reconciling: Promise<void> = Promise.resolve();
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private catchUpStarted = false;
  private caughtUp!: () => void;
  /** Settles when this start's catch-up check has ended (or will never run). */
  private readonly catchUpEnded = new Promise<void>((resolve) => (this.caughtUp = resolve));
  /** Logged once at the start, then only on changes. */
  private readonly announced = new Map<ScheduledJobName, string>();

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly service: ScheduledJobRunner,
    private readonly options: SchedulingOptions,
    private readonly clock: Clock,
  ) {}

  /**
   * Nothing here awaits the databases: the settings are in config.db, which the restore module opens
   * in its own bootstrap hook. Arming the jobs waits for it in the background, and the check for a
   * backup missed while the service was down runs from a timer.
   */
  onApplicationBootstrap(): void {
    if (!this.options.enabled) {
      this.logger.log('Schedules are off (SENTINEL_SCHEDULES=off): no backup, rotation or verification runs on its own');
      this.caughtUp();
      return;
    }
    void this.reconcile();
    const timer = setTimeout(() => void this.catchUp(), this.options.catchUpDelayMs);
    timer.unref();
    this.registry.addTimeout(CATCH_UP_TIMEOUT, timer);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    for (const name of this.armed.keys()) this.disarm(name);
    if (this.registry.doesExist('timeout', CATCH_UP_TIMEOUT)) this.registry.deleteTimeout(CATCH_UP_TIMEOUT);
    if (!this.catchUpStarted) this.caughtUp();
  }

  /** A change to an enabled flag or to a backup schedule re-times or stops the jobs at once. */
  @OnDomainEvent(SettingsChangedEvent)
  onSettingsChanged(event: SettingsChangedEvent): void {
    if (this.options.enabled && SCHEDULE_SETTING_KEYS.has(event.key)) void this.reconcile();
  }

  /** An added target's jobs start, change or stop with it (a removed target's timers are cleared). */
  @OnDomainEvent(TargetsChangedEvent)
  onTargetsChanged(): void {
    if (this.options.enabled) void this.reconcile();
  }

  /**
   * Arms, re-times or stops every job to match the settings. Queued behind any re-arming in progress;
   * resolves when this one is done (never rejects: a failure is logged and retried).
   */
  reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(async () => {
      if (this.stopped || !this.options.enabled) return;
      clearTimeout(this.retryTimer);
      try {
        // Strict first: an unreadable targets table must never read as "every added target deleted".
        let complete = true;
        let targets: RosterEntry[];
        try {
          targets = await this.service.scheduledTargets({ strict: true });
        } catch {
          // The built-ins still run (this throws, to the catch below, only when they cannot be read either);
          // the added targets' timers stay as they are until the retry reads the table (the roster logged why).
          targets = await this.service.scheduledTargets();
          complete = false;
        }
        if (this.stopped) return;
        const jobs = scheduledJobs(targets);
        for (const job of jobs) this.apply(job, targetOf(targets, job));
        // A target deleted keeps no timer.
        const names = new Set(jobs.map((job) => job.name));
        for (const [name, armed] of [...this.armed]) {
          if (names.has(name) || !complete) continue;
          this.disarm(name);
          this.announce(name, `${jobLabel(armed.job)} schedule: off (target ${armed.job.target} no longer exists)`);
        }
        if (!complete) this.retryLater();
      } catch (error) {
        if (this.stopped) return;
        this.logger.error(`Cannot read the backup settings to schedule the jobs: ${(error as Error).message}; trying again in ${RETRY_MS / 1000} s`);
        this.retryLater();
      }
    });
    return this.reconciling;
  }

  private retryLater(): void {
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.reconcile(), RETRY_MS);
    this.retryTimer.unref();
  }

  /** The state of every job, after any pending re-arming. */
  async status(): Promise<ScheduleStatus[]> {
    await this.reconciling;
    const targets = await this.service.scheduledTargets();
    const now = this.clock.now();
    return scheduledJobs(targets).map((job) => {
      const target = targetOf(targets, job);
      const disabledReason = this.disabledReason(target);
      return {
        job,
        enabled: disabledReason === null,
        disabledReason,
        description: summarizeRecurrence(job.recurrence),
        words: describeRecurrence(job.recurrence, this.options.timeZone),
        scheduleValue: job.task === 'backup' ? target.schedule : null,
        cron: recurrenceCron(job.recurrence),
        timeZone: this.options.timeZone,
        nextRun: this.armed.get(job.name)?.next ?? null,
        nextRuns: nextRuns(job.recurrence, now, this.options.timeZone, LISTED_RUNS),
        lastRun: this.service.lastRun(job.name) ?? null,
      };
    });
  }

  /** The one catch-up check of this start (a timer calls it once). */
  async catchUp(): Promise<void> {
    if (this.registry.doesExist('timeout', CATCH_UP_TIMEOUT)) this.registry.deleteTimeout(CATCH_UP_TIMEOUT);
    if (this.stopped || this.catchUpStarted) return;
    this.catchUpStarted = true;
    try {
      await this.service.catchUp();
    } catch (error) {
      this.logger.error(`Backup catch-up failed: ${(error as Error).message}`);
    } finally {
      this.caughtUp();
    }
  }

  /**
   * Resolves once this start's catch-up check has ended, with the backup it ran if any (at once when
   * schedules are off; at shutdown when it never ran). After it, nothing runs before the next slot:
   * what a test waits on instead of sleeping to see that no second backup comes.
   */
  whenCaughtUp(): Promise<void> {
    return this.catchUpEnded;
  }

  private disabledReason(target: RosterEntry): string | null {
    if (!this.options.enabled) return 'Schedules are turned off (SENTINEL_SCHEDULES=off)';
    return target.enabled ? null : target.offReason;
  }

  private apply(job: ScheduledJob, target: RosterEntry): void {
    const label = jobLabel(job);
    if (this.disabledReason(target) !== null) {
      this.disarm(job.name);
      this.announce(job.name, `${label} schedule: off (${target.builtIn ? `${job.target}_backup_enabled = 0` : 'enabled = false'})`);
      return;
    }
    const current = this.armed.get(job.name);
    if (current && sameSlots(current.job, job)) return;
    const next = nextRun(job.recurrence, this.clock.now(), this.options.timeZone);
    this.armed.set(job.name, { job, next });
    this.arm(job.name, next);
    this.announce(job.name, `${label} schedule: ${announced(job.recurrence)} (${this.options.timeZone}); next run ${formatLocal(next, this.options.timeZone)}`);
  }

  /** Sets the job's timer for `at` (in steps, when it is further away than a timeout can wait). */
  private arm(name: ScheduledJobName, at: Date): void {
    this.clearTimer(name);
    const delay = Math.min(Math.max(0, at.getTime() - this.clock.now().getTime()), MAX_TIMEOUT_MS);
    const timer = setTimeout(() => this.onTimer(name), delay);
    // The HTTP server keeps the process alive; a pending backup time alone must not.
    timer.unref();
    this.registry.addTimeout(timerName(name), timer);
  }

  /** The thin handler: re-arms for the following slot, then hands the job to the service. */
  private onTimer(name: ScheduledJobName): void {
    this.clearTimer(name);
    const armed = this.armed.get(name);
    if (!armed || this.stopped) return;
    const now = this.clock.now();
    if (now.getTime() < armed.next.getTime()) {
      // A long wait's intermediate step, or the wall clock was set back: wait for the slot itself.
      this.arm(name, armed.next);
      return;
    }
    armed.next = nextRun(armed.job.recurrence, now, this.options.timeZone);
    this.arm(name, armed.next);
    void this.service.run(armed.job).catch((error: Error) => this.logger.error(`${jobLabel(armed.job)} failed: ${error.message}`));
  }

  private disarm(name: ScheduledJobName): void {
    this.clearTimer(name);
    this.armed.delete(name);
  }

  private clearTimer(name: ScheduledJobName): void {
    // The schedule module removes every timeout at shutdown; then there is nothing to clear.
    if (this.registry.doesExist('timeout', timerName(name))) this.registry.deleteTimeout(timerName(name));
  }

  private announce(name: ScheduledJobName, line: string): void {
    if (this.announced.get(name) === line.replace(/; next run .*$/, '')) return;
    this.announced.set(name, line.replace(/; next run .*$/, ''));
    this.logger.log(line);
  }
}

/** The target a job belongs to (scheduledJobs made the job from the list). */
function targetOf(targets: readonly RosterEntry[], job: ScheduledJob): RosterEntry {
  return targets.find((target) => target.id === job.target)!;
}

function timerName(name: ScheduledJobName): string {
  return `scheduled-${name}`;
}

function jobLabel(job: ScheduledJob): string {
  const label = `${targetLabel(job.target)} backup`;
  return job.task === 'backup' ? label : `${label} ${job.task}`;
}

function sameSlots(a: ScheduledJob, b: ScheduledJob): boolean {
  return recurrenceCron(a.recurrence) === recurrenceCron(b.recurrence);
}

/** The log line's words: the spec's schedules as before ("daily at 03:00"), a cron schedule with its expression. */
function announced(recurrence: Recurrence): string {
  return recurrence.kind === 'slots' ? summarizeRecurrence(recurrence) : `${summarizeRecurrence(recurrence)} (cron ${recurrence.cron.text})`;
}
