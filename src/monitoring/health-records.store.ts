import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import path from 'node:path';
import { type BackupTarget, isBackupTarget } from '../common/backup-target.js';
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
export class HealthRecordsStore implements OnModuleInit, OnModuleDestroy {
  /**
   * A damaged file (not JSON, or a field of the wrong type) loses only what is damaged: each bad field is read
   * as its default (counters then start again, a reset to Prometheus), with one warning naming the file; the
   * rest is in the run history. A file that cannot be read at all (a folder in its place, no permission)
   * stops the start, naming it (see load()).
   */
  private readonly records: DurableJsonFile<Records>;

  constructor(config: AppConfig) {
    const file = path.join(config.env.dataDir, HEALTH_RECORDS_FILE);
    const logger = new Logger('Monitoring');
    this.records = new DurableJsonFile<Records>(file, 'the health records', logger, (json) => {
      const damaged: string[] = [];
      const records = parseRecords(json, damaged);
      if (damaged.length > 0) {
        logger.warn(`Ignoring damaged values in ${file}: ${damaged.join(', ')} read as their defaults; the next change of the health records replaces them`);
      }
      return records;
    });
  }

  /**
   * At start-up, before any write: the temp files of a write a crash interrupted; then the file is read, so
   * one that cannot be read stops the start with its name and what to do, instead of failing every status
   * request and every scrape later.
   */
  async onModuleInit(): Promise<void> {
    await this.records.removeLeftovers();
    this.records.load();
  }

  /** A write still under way ends before the app closes (see DurableJsonFile.flush). */
  onModuleDestroy(): Promise<void> {
    return this.records.flush();
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

/**
 * The records from the parsed file, each field checked: a field of the wrong type (a hand edit, another
 * version, a damaged disk) is read as its default and named in `damaged`, so one bad value never fails a
 * status request, a scrape or a listener. A field that is absent (a file an older version wrote) is
 * defaulted without a word.
 */
export function parseRecords(json: unknown, damaged: string[] = []): Records {
  const records: Records = {};
  if (json === undefined) return records;
  if (!isObject(json)) {
    damaged.push('the whole file (not an object)');
    return records;
  }
  // Every target's record: the built-ins' and the added targets' (a key that is no target id is not ours).
  for (const target of Object.keys(json).filter(isBackupTarget)) {
    const stored = json[target];
    if (stored === undefined) continue;
    if (!isObject(stored)) {
      damaged.push(target);
      continue;
    }
    const record = emptyRecord();
    const field = <K extends keyof TargetRecord>(key: K, read: (value: unknown) => TargetRecord[K] | undefined): void => {
      if (stored[key] === undefined) return;
      const value = read(stored[key]);
      if (value === undefined) damaged.push(`${target}.${key}`);
      else record[key] = value;
    };
    field('enabled', (value) => (typeof value === 'boolean' || value === null ? value : undefined));
    field('enabledAt', nullableTime);
    field('firstSeenAt', nullableTime);
    field('preJobFailures', (value) => {
      if (!Array.isArray(value)) return undefined;
      const failures = value.map(preJobFailure);
      return failures.every((failure) => failure !== undefined) ? (failures as PreJobFailure[]).slice(-MAX_PRE_JOB_FAILURES) : undefined;
    });
    field('preJobFailuresTotal', count);
    field('lastVerification', (value) => {
      if (value === null) return null;
      if (!isObject(value)) return undefined;
      const time = isoTime(value.time);
      const { filename, verdict } = value;
      if (time === undefined || typeof filename !== 'string' || (verdict !== 'passed' && verdict !== 'failed')) return undefined;
      return { time, filename, verdict };
    });
    field('restoresApplied', count);
    records[target] = record;
  }
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An ISO 8601 time as the service writes it (another spelling of a valid time is normalised). */
function isoTime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? undefined : new Date(time).toISOString();
}

function nullableTime(value: unknown): string | null | undefined {
  return value === null ? null : isoTime(value);
}

function count(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}

function preJobFailure(value: unknown): PreJobFailure | undefined {
  if (!isObject(value)) return undefined;
  const time = isoTime(value.time);
  const { code, message } = value;
  if (time === undefined || typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { time, code, message: message.slice(0, MAX_MESSAGE_LENGTH) };
}
