import type { IncrementalPolicy } from './incremental-policy.js';

/**
 * A backup destination as data (issue 16). `local` and `r2` are built in and read their fields from the spec's
 * settings keys; more destinations are created through /api/targets. Every feature that works per target
 * (storage, scheduling, rotation, replication, object lock) reads its part of this one definition.
 */
export type TargetKind = 's3' | 'folder';

/** The ids of the two targets every installation has; their fields map onto the spec's settings keys. */
export const BUILT_IN_TARGET_IDS = ['local', 'r2'] as const;

/** A target id: `[a-z0-9-]`, 1 to 32 characters. */
export const TARGET_ID_PATTERN = /^[a-z0-9-]{1,32}$/;

/**
 * When a target backs up: the spec's `daily` / `weekly` / `monthly` (times fixed by the spec), `hourly`, or
 * `cron:<expression>` (five fields, in the service's time zone).
 */
export type TargetSchedule = 'daily' | 'weekly' | 'monthly' | 'hourly' | `cron:${string}`;

/**
 * Which backups rotation keeps. `retentionDays` is the spec's rule (0 = keep everything while no keep* is
 * set); each keep* (null = unset) keeps the newest backup of each of the N most recent hours / days / ISO weeks
 * / months / years that have a backup, in the service's time zone. The newest three are always kept.
 */
export interface RetentionRule {
  retentionDays: number;
  keepHourly: number | null;
  keepDaily: number | null;
  keepWeekly: number | null;
  keepMonthly: number | null;
  keepYearly: number | null;
}

/** S3 Object Lock retention given to each uploaded archive (the bucket must have Object Lock enabled). */
export interface ObjectLockRule {
  mode: 'governance' | 'compliance';
  days: number;
}

/** A credential of an added target, by its API field name. */
export type UnreadableCredential = 'access_key_id' | 'secret_access_key';

export interface TargetDefinition {
  id: string;
  label: string;
  kind: TargetKind;
  /** `local` and `r2`: their fields live in the spec's settings keys; they cannot be deleted. */
  builtIn: boolean;
  enabled: boolean;
  /** kind s3: the endpoint as set ('' for the built-in r2 configured by its account ID alone). */
  endpoint: string;
  /** The built-in r2's r2_account_id (its endpoint when `endpoint` is empty); '' otherwise. */
  accountId?: string;
  region: string;
  bucket: string;
  /** '' or a folder ending in '/'. */
  prefix: string;
  /** Revealed only inside the service (storage adapters); never returned by the API. */
  accessKeyId: string;
  secretAccessKey: string;
  /**
   * An added target's credentials that are stored but the current master key cannot read (they read ''): the
   * page says so beside the field, to be entered again. Absent when every stored credential opened (or was not opened).
   */
  unreadable?: readonly UnreadableCredential[];
  /** kind folder: absolute path. */
  path: string;
  schedule: TargetSchedule;
  retention: RetentionRule;
  /** The target whose backups this one copies after each successful backup there, or null. */
  replicateFrom: string | null;
  objectLock: ObjectLockRule | null;
  /** Incremental backups (issue 19); absent: the default, off (incrementalPolicyOf). */
  incremental?: IncrementalPolicy;
  /**
   * An added target: when it was created. An id can be used again after DELETE: the job history, health
   * records and verification results of the same id from before this time are the deleted target's.
   */
  createdAt?: string;
}
