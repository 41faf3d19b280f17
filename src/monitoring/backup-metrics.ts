import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { APP_VERSION } from '../common/app-version.js';
import type { BackupTarget } from '../common/backup-target.js';
import { DiskSpaceState } from './disk-space-state.js';
import { StoredBackupsCache, type StoredBackups } from './stored-backups.cache.js';
import type { TargetHealth, TargetState } from './target-health.js';
import { TargetHealthService, type TargetTotals } from './target-health.service.js';

const TARGET = ['target'] as const;
const STATES: readonly TargetState[] = ['ok', 'failing', 'overdue', 'never', 'disabled'];

const MISNAMED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** The Prometheus text format, version 0.0.4 (what Prometheus asks for by default). */
export const METRICS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface Snapshot {
  health: TargetHealth;
  totals: TargetTotals;
  stored: StoredBackups | undefined;
  /** Whether the last listing of the target ended well; undefined before one ended or when not listed. */
  listingSucceeded: boolean | undefined;
  /** Whether a folder the target's next backup needs is short of space; undefined when the target is disabled. */
  diskLow: boolean | undefined;
}

/**
 * The Prometheus metrics, in a registry of this app's own (never prom-client's global one: tests run several
 * apps in one process, and each must export only its own). Every value is read from TargetHealthService and
 * the durable records at the scrape, so the metrics, GET /api/status and the notifications cannot disagree.
 *
 * The `_total` counters are not counted in memory: they are totals of the run history and the health
 * records, which survive restarts, so a restart does not reset them (rate() sees no drop). They only go
 * back when those files are deleted or damaged (a damaged field of the health records is read as 0), which
 * Prometheus then reads as a counter reset. Failures are also exported split by the file that counts them
 * (job_failures from the run history, prejob_failures from the health records), so a lost health file
 * resets only the latter and an alert on the two does not count the run history's failures again.
 */
@Injectable()
export class BackupMetrics implements OnModuleDestroy {
  readonly registry = new Registry();

  /** The series set from each snapshot (the build info is set once). */
  private readonly perScrape: Array<Gauge | Counter> = [];

  private gauge(name: string, help: string, labelNames: readonly string[] = TARGET): Gauge {
    const gauge = new Gauge({ name, help, labelNames, registers: [this.registry] });
    this.perScrape.push(gauge);
    return gauge;
  }

  private counter(name: string, help: string): Counter {
    const counter = new Counter({ name, help, labelNames: TARGET, registers: [this.registry] });
    this.perScrape.push(counter);
    return counter;
  }

  private readonly enabled = this.gauge('sentinel_backup_target_enabled', 'Whether backups to the target are turned on (1) or off (0)');
  private readonly state = this.gauge(
    'sentinel_backup_target_state',
    'The target health state: 1 for the current one of ok, failing, overdue, never, disabled (as GET /api/status)',
    ['target', 'state'],
  );
  private readonly lastSuccess = this.gauge('sentinel_backup_last_success_timestamp_seconds', 'When the last successful backup finished (unix seconds)');
  private readonly lastAttempt = this.gauge(
    'sentinel_backup_last_attempt_timestamp_seconds',
    'When the last backup attempt ended, succeeded or failed, including scheduled runs that failed before a job (unix seconds)',
  );
  private readonly lastResult = this.gauge('sentinel_backup_last_attempt_success', 'How the last backup attempt ended: 1 succeeded, 0 failed');
  private readonly lastDuration = this.gauge('sentinel_backup_last_duration_seconds', 'How long the last backup job ran, succeeded or failed');
  private readonly lastSize = this.gauge('sentinel_backup_last_archive_size_bytes', 'Size of the archive the last successful backup stored');
  private readonly storedCount = this.gauge('sentinel_backup_stored_backups', 'Backups stored in the target (from a listing at most a few minutes old)');
  private readonly storedBytes = this.gauge('sentinel_backup_stored_bytes', 'Total size of the backups stored in the target');
  private readonly listedAt = this.gauge('sentinel_backup_stored_listing_timestamp_seconds', 'When the target was last listed for the two stored_ series');
  private readonly listingSuccess = this.gauge(
    'sentinel_backup_stored_listing_success',
    'Whether the last listing of the target for the stored_ series succeeded (1) or failed (0)',
  );
  private readonly failures = this.counter(
    'sentinel_backup_failures_total',
    'Failed backups: jobs that failed and scheduled runs that failed before a job (the sum of the two series below)',
  );
  private readonly jobFailures = this.counter('sentinel_backup_job_failures_total', 'Backup jobs that failed (counted in the run history)');
  private readonly preJobFailures = this.counter(
    'sentinel_backup_prejob_failures_total',
    'Scheduled backups that failed before a job existed (counted in DATA_DIR/.target-health.json)',
  );
  private readonly diskLow = this.gauge(
    'sentinel_backup_disk_low',
    "Whether a folder the target's next backup writes to has less free space than it needs (1) or not (0)",
  );
  private readonly replicationFailures = this.counter(
    'sentinel_replication_failures_total',
    "Failed replications into the target as a replica (copies of another target's backups; counted in the run history). Not backup failures of the target",
  );
  private readonly uploaded = this.counter('sentinel_backup_uploaded_bytes_total', 'Bytes of the archives successful backups stored in the target');
  private readonly overdue = this.gauge(
    'sentinel_backup_overdue',
    'Whether an enabled target has no successful backup within its period plus the grace (1) or not (0)',
  );
  private readonly overdueAt = this.gauge(
    'sentinel_backup_overdue_deadline_timestamp_seconds',
    'When the target is (or became) overdue unless a backup succeeds before',
  );
  private readonly consecutive = this.gauge('sentinel_backup_consecutive_failures', 'Failed backup attempts since the last success');
  private readonly verification = this.gauge(
    'sentinel_backup_last_verification_success',
    'The last verification of a backup of the target: 1 passed, 0 failed',
  );
  private readonly verifiedAt = this.gauge('sentinel_backup_last_verification_timestamp_seconds', 'When the last verification of a backup of the target ended');
  private readonly nextRun = this.gauge('sentinel_backup_next_run_timestamp_seconds', 'When the next scheduled backup of the target is due');
  private readonly restores = this.counter('sentinel_restores_applied_total', 'Restores from a backup of the target applied at start');
  private readonly info = new Gauge({
    name: 'sentinel_build_info',
    help: 'The service version (always 1)',
    labelNames: ['version'],
    registers: [this.registry],
  });

  constructor(
    private readonly health: TargetHealthService,
    private readonly stored: StoredBackupsCache,
    private readonly disk: DiskSpaceState,
  ) {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `_total`, which `promtool check metrics` rejects (a suffix reserved for
    // counters); their per-type breakdowns without the suffix (nodejs_active_handles, ...) stay.
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    this.info.set({ version: APP_VERSION }, 1);
  }

  onModuleDestroy(): void {
    this.registry.clear();
  }

  /** The metrics as of now, in the Prometheus text format. */
  async render(): Promise<string> {
    const snapshots: Snapshot[] = [];
    const all = await this.health.all();
    const low = this.disk.lowFolders(all.filter((health) => health.enabled).map((health) => health.target));
    for (const health of all) {
      const [totals, stored] = await Promise.all([
        this.health.totals(health.target),
        // A disabled target is not listed: it may have no settings, and it is not being backed up.
        health.enabled ? this.stored.get(health.target) : Promise.resolve(undefined),
      ]);
      snapshots.push({
        health,
        totals,
        stored,
        listingSucceeded: health.enabled ? this.stored.lastListingSucceeded(health.target) : undefined,
        diskLow: health.enabled ? low.some((folder) => folder.targets.includes(health.target)) : undefined,
      });
    }
    this.apply(snapshots);
    return this.registry.metrics();
  }

  /** Sets every series from one snapshot, synchronously, so a scrape never mixes two. A value not known has no series. */
  private apply(snapshots: readonly Snapshot[]): void {
    for (const metric of this.perScrape) metric.reset();
    for (const { health, totals, stored, listingSucceeded, diskLow } of snapshots) {
      const target = { target: health.target };
      this.enabled.set(target, health.enabled ? 1 : 0);
      for (const state of STATES) this.state.set({ target: health.target, state }, health.state === state ? 1 : 0);
      setTime(this.lastSuccess, health.target, health.last_success);
      setTime(this.lastAttempt, health.target, health.last_attempt);
      if (health.last_result) this.lastResult.set(target, health.last_result === 'succeeded' ? 1 : 0);
      if (health.last_duration_ms !== null) this.lastDuration.set(target, health.last_duration_ms / 1000);
      if (health.last_backup?.size_bytes != null) this.lastSize.set(target, health.last_backup.size_bytes);
      if (stored) {
        this.storedCount.set(target, stored.count);
        this.storedBytes.set(target, stored.bytes);
        this.listedAt.set(target, stored.listedAt.getTime() / 1000);
      }
      if (listingSucceeded !== undefined) this.listingSuccess.set(target, listingSucceeded ? 1 : 0);
      if (diskLow !== undefined) this.diskLow.set(target, diskLow ? 1 : 0);
      this.failures.inc(target, totals.failures);
      this.jobFailures.inc(target, totals.jobFailures);
      this.preJobFailures.inc(target, totals.preJobFailures);
      this.uploaded.inc(target, totals.bytesStored);
      this.replicationFailures.inc(target, totals.replicationFailures);
      this.restores.inc(target, totals.restoresApplied);
      this.overdue.set(target, health.state === 'overdue' || health.overdue_since !== null ? 1 : 0);
      setTime(this.overdueAt, health.target, health.overdue_at);
      this.consecutive.set(target, health.consecutive_failures);
      if (health.last_verification) {
        this.verification.set(target, health.last_verification.verdict === 'passed' ? 1 : 0);
        setTime(this.verifiedAt, health.target, health.last_verification.time);
      }
      setTime(this.nextRun, health.target, health.next_run);
    }
  }
}

function setTime(gauge: Gauge, target: BackupTarget, iso: string | null): void {
  if (iso !== null) gauge.set({ target }, Date.parse(iso) / 1000);
}
