import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { BACKUP_TARGETS, type BackupTarget } from '../common/backup-target.js';
import { DurableJsonFile } from '../common/fs/durable-json-file.js';
import { AppConfig } from '../config/app-config.js';

/**
 * What the health status needs that no other store keeps, in DATA_DIR. Its own small file, not a managed
 * database: a restore must not roll it back.
 */
export const HEALTH_RECORDS_FILE = '.target-health.json';

/** Pre-job failures kept per target: enough to count a long run of failures since the last success. */
export const MAX_PRE_JOB_FAILURES = 100;
const MAX_MESSAGE_LENGTH = 1000;

/** A scheduled backup that failed before it became a job (no run history row records it). */
export interface PreJobFailure {
  time: string;
  code: string;
  message: string;
}

export interface RecordedVerification {
  time: string;
  filename: string;
  verdict: 'passed' | 'failed';
}

export interface TargetRecord {
  /** Whether the target was enabled when the service last looked; null before it first looked. */
  enabled: boolean | null;
  /** When the service saw the target go from disabled to enabled; null when it never saw that. */
  enabledAt: string | null;
  /** The first time the service saw the target enabled (an installation enabled before this record existed). */
  firstSeenAt: string | null;
  /** The newest pre-job failures, oldest first, at most MAX_PRE_JOB_FAILURES. */
  preJobFailures: PreJobFailure[];
  /** Every pre-job failure ever recorded (a counter: never decreases). */
  preJobFailuresTotal: number;
  /** The newest verification verdict heard (on request or scheduled). */
  lastVerification: RecordedVerification | null;
  /** Restores from this target applied at start (a counter). */
  restoresApplied: number;
}

type Records = Partial<Record<BackupTarget, TargetRecord>>;

function emptyRecord(): TargetRecord {
  return { enabled: null, enabledAt: null, firstSeenAt: null, preJobFailures: [], preJobFailuresTotal: 0, lastVerification: null, restoresApplied: 0 };
}

/**
 * Per target: when it was enabled or first seen (the overdue rule's start when it never succeeded), the
 * scheduled runs that failed before a job existed (so such a failure makes the target `failing` across a
 * restart), the latest verification verdict and the restores applied.
 */
@Injectable()
export class HealthRecordsStore implements OnModuleInit {
  /** A damaged file loses the enabled times, the pre-job failures and the restore count (counters then start again, a reset to Prometheus); the rest is in the run history. */
  private readonly records: DurableJsonFile<Records>;

  constructor(config: AppConfig) {
    this.records = new DurableJsonFile<Records>(
      path.join(config.env.dataDir, HEALTH_RECORDS_FILE),
      'the health records',
      new Logger('Monitoring'),
      parseRecords,
    );
  }

  /** At start-up, before any write: the temp files of a write a crash interrupted. */
  onModuleInit(): Promise<void> {
    return this.records.removeLeftovers();
  }

  /** The target's record (a copy; an empty one when nothing was recorded yet). */
  get(target: BackupTarget): TargetRecord {
    const record = this.records.get()[target] ?? emptyRecord();
    return { ...record, preJobFailures: [...record.preJobFailures] };
  }

  /**
   * Notes whether the target is enabled at `now`: a change from disabled (as last observed) to enabled is its
   * enabled time; the first time it is seen enabled, its first-seen time. Writes only on a change.
   */
  async observeEnabled(target: BackupTarget, enabled: boolean, now: Date): Promise<TargetRecord> {
    const record = this.get(target);
    if (record.enabled === enabled && (!enabled || record.firstSeenAt !== null)) return record;
    const time = now.toISOString();
    if (enabled && record.enabled === false) record.enabledAt = time;
    if (enabled && record.firstSeenAt === null) record.firstSeenAt = time;
    record.enabled = enabled;
    await this.put(target, record);
    return record;
  }

  async addPreJobFailure(target: BackupTarget, failure: PreJobFailure): Promise<void> {
    const record = this.get(target);
    record.preJobFailures = [...record.preJobFailures, { ...failure, message: failure.message.slice(0, MAX_MESSAGE_LENGTH) }].slice(-MAX_PRE_JOB_FAILURES);
    record.preJobFailuresTotal += 1;
    await this.put(target, record);
  }

  async setVerification(target: BackupTarget, verification: RecordedVerification): Promise<void> {
    await this.put(target, { ...this.get(target), lastVerification: verification });
  }

  async addRestoreApplied(target: BackupTarget): Promise<void> {
    const record = this.get(target);
    await this.put(target, { ...record, restoresApplied: record.restoresApplied + 1 });
  }

  private put(target: BackupTarget, record: TargetRecord): Promise<void> {
    return this.records.set({ ...this.records.get(), [target]: record });
  }
}

function parseRecords(json: unknown): Records {
  const records: Records = {};
  if (typeof json !== 'object' || json === null) return records;
  for (const target of BACKUP_TARGETS) {
    const stored = (json as Records)[target];
    if (stored && typeof stored === 'object') records[target] = { ...emptyRecord(), ...stored };
  }
  return records;
}
