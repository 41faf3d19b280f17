import path from 'node:path';
import { DomainError } from '../common/errors/domain-error.js';
import { ErrorCode } from '../common/errors/error-code.js';
import { folderIdentity, realResolve, reservedFolderProblem } from '../common/fs/reserved-folders.js';
import type { SettingDefinition } from '../settings/setting-definitions.js';
import { parseSettingValue } from '../settings/setting-value.parser.js';
import { NAMED_SCHEDULES } from '../common/schedules/backup-schedule.js';
import { applyIncrementalInput, incrementalPolicyOf } from './incremental-policy.js';
import {
  BUILT_IN_TARGET_IDS,
  type ObjectLockRule,
  type RetentionRule,
  type TargetDefinition,
  TARGET_ID_PATTERN,
  type TargetSchedule,
} from './target-definition.js';

/** The fields of a target as the API takes them (snake_case). Every field optional: PATCH changes what it names. */
export interface TargetInput {
  id?: unknown;
  label?: unknown;
  kind?: unknown;
  enabled?: unknown;
  endpoint?: unknown;
  region?: unknown;
  bucket?: unknown;
  prefix?: unknown;
  access_key_id?: unknown;
  secret_access_key?: unknown;
  path?: unknown;
  schedule?: unknown;
  retention_days?: unknown;
  keep_hourly?: unknown;
  keep_daily?: unknown;
  keep_weekly?: unknown;
  keep_monthly?: unknown;
  keep_yearly?: unknown;
  replicate_from?: unknown;
  object_lock?: unknown;
  incremental?: unknown;
}

export type TargetField = keyof TargetInput;

export const KEEP_FIELDS = ['keep_hourly', 'keep_daily', 'keep_weekly', 'keep_monthly', 'keep_yearly'] as const;
const KEEP_RULE: Record<(typeof KEEP_FIELDS)[number], Exclude<keyof RetentionRule, 'retentionDays'>> = {
  keep_hourly: 'keepHourly',
  keep_daily: 'keepDaily',
  keep_weekly: 'keepWeekly',
  keep_monthly: 'keepMonthly',
  keep_yearly: 'keepYearly',
};

/**
 * The schedules a target takes: the spec's three (at 03:00 for an added target), `hourly` (at :15) and
 * `cron:<five fields>`, checked exactly as `r2_backup_schedule` is (the settings parser's check, with its messages
 * naming the field).
 */
export const SUPPORTED_SCHEDULES = NAMED_SCHEDULES;

const LABEL_MAX = 100;
/** The most of any keep_* rule: ten thousand periods is far past any real calendar rule. */
const KEEP_MAX = 10_000;
/** S3 Object Lock's longest retention here: 100 years, the same bound as retention days. */
const LOCK_DAYS_MAX = 36_500;
const REGION = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A 400 naming the field; `field` is what the API calls it. */
export function invalidField(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.InvalidInput, message, { field });
}

/** The settings parser's checks (control characters, lengths, URL and bucket rules) under the API's field name. */
function parsed(field: string, kind: SettingDefinition['kind'], input: unknown): string | number {
  try {
    return parseSettingValue({ key: field, kind, description: '', defaultValue: '' }, input);
  } catch (error) {
    throw invalidField(field, (error as Error).message);
  }
}

function text(field: string, input: unknown): string {
  return String(parsed(field, 'text', input));
}

function flag(field: string, input: unknown): boolean {
  if (typeof input !== 'boolean') throw invalidField(field, `${field} must be true or false, got ${JSON.stringify(input)}`);
  return input;
}

function wholeNumber(field: string, input: unknown, min: number, max: number, what: string): number {
  if (typeof input !== 'number' || !Number.isInteger(input) || input < min || input > max) {
    throw invalidField(field, `${field} must be a whole number of ${what} from ${min} to ${max}, got ${JSON.stringify(input)}`);
  }
  return input;
}

function schedule(input: unknown): TargetSchedule {
  return parsed('schedule', 'schedule', input) as TargetSchedule;
}

/** `object_lock` as sent: null, or {mode, days}; a wrong one is refused naming object_lock, object_lock.mode or object_lock.days. */
export function objectLock(input: unknown): ObjectLockRule | null {
  if (input === null) return null;
  if (typeof input !== 'object' || Array.isArray(input)) {
    throw invalidField('object_lock', 'object_lock must be null or an object {"mode": "governance" | "compliance", "days": N}');
  }
  const { mode, days, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length > 0)
    throw invalidField(
      'object_lock',
      `object_lock takes only mode and days, not ${extra
        .slice(0, 3)
        .map((k) => JSON.stringify(k.slice(0, 40)))
        .join(', ')}`,
    );
  if (mode !== 'governance' && mode !== 'compliance') {
    throw invalidField('object_lock.mode', `object_lock.mode must be "governance" or "compliance", got ${JSON.stringify(mode)?.slice(0, 60)}`);
  }
  return { mode, days: wholeNumber('object_lock.days', days, 1, LOCK_DAYS_MAX, 'days') };
}

/**
 * Applies the fields of `input` to `base` (a new target's defaults, or the stored one), checking each and naming
 * the field of the first that is wrong. Checks that need the other targets (unique places, replication) are in
 * `checkAgainst`. `id` and `kind` are set by the caller.
 */
export function applyTargetInput(base: TargetDefinition, input: TargetInput, dataDir: string): TargetDefinition {
  const next: TargetDefinition = { ...base, retention: { ...base.retention } };
  const has = (field: TargetField) => input[field] !== undefined;
  if (has('label')) {
    const label = text('label', input.label);
    if (label === '' || label.length > LABEL_MAX) throw invalidField('label', `label must be 1 to ${LABEL_MAX} characters, got ${label.length}`);
    next.label = label;
  }
  if (has('enabled')) next.enabled = flag('enabled', input.enabled);
  const s3Only: TargetField[] = ['endpoint', 'region', 'bucket', 'prefix', 'access_key_id', 'secret_access_key', 'object_lock'];
  for (const field of next.kind === 'folder' ? s3Only : (['path'] as TargetField[])) {
    // An empty value is what GET shows for a field of the other kind: sending it back is not an error.
    const value = input[field];
    if (value !== undefined && value !== '' && value !== null) {
      throw invalidField(field, `${field} is a field of ${next.kind === 'folder' ? 'S3' : 'folder'} targets; this target's kind is '${next.kind}'. Remove it`);
    }
  }
  if (next.kind === 's3') {
    if (has('endpoint')) next.endpoint = String(parsed('endpoint', 'url', input.endpoint));
    if (has('region')) {
      const region = text('region', input.region);
      if (!REGION.test(region))
        throw invalidField(
          'region',
          `region must be the store's region such as 'auto' (R2), 'us-east-1' or 'eu-central-003', got ${JSON.stringify(region.slice(0, 60))}`,
        );
      next.region = region;
    }
    if (has('bucket')) next.bucket = String(parsed('bucket', 'bucket', input.bucket));
    if (has('prefix')) next.prefix = String(parsed('prefix', 'prefix', input.prefix));
    if (has('access_key_id')) next.accessKeyId = String(parsed('access_key_id', 'secret', input.access_key_id));
    if (has('secret_access_key')) next.secretAccessKey = String(parsed('secret_access_key', 'secret', input.secret_access_key));
    if (has('object_lock')) next.objectLock = objectLock(input.object_lock);
    const missing = [
      ['endpoint', next.endpoint, "the store's URL, such as https://<account>.eu.r2.cloudflarestorage.com or https://s3.us-west-004.backblazeb2.com"],
      ['bucket', next.bucket, 'the bucket the backups go to'],
      ['access_key_id', next.accessKeyId, 'an access key with read and write access to the bucket'],
      ['secret_access_key', next.secretAccessKey, "that access key's secret"],
    ].find(([, value]) => value === '');
    if (missing) throw invalidField(missing[0], `${missing[0]} is required for an S3 target: ${missing[2]}`);
  } else {
    if (has('path')) {
      const raw = String(parsed('path', 'path', input.path));
      if (!path.isAbsolute(raw))
        throw invalidField('path', `path must be an absolute folder path such as /mnt/nas/sentinel, got ${JSON.stringify(raw.slice(0, 60))}`);
      const folder = path.resolve(raw);
      const reserved = reservedFolderProblem(folder, dataDir);
      if (reserved) throw invalidField('path', `path cannot be ${folder}: ${reserved}`);
      next.path = folder;
    }
    if (next.path === '') throw invalidField('path', 'path is required for a folder target: the absolute folder the backups go to, such as /mnt/nas/sentinel');
  }
  if (has('schedule')) next.schedule = schedule(input.schedule);
  if (has('retention_days')) next.retention.retentionDays = wholeNumber('retention_days', input.retention_days, 0, 36_500, 'days (0 = no rule by age)');
  for (const field of KEEP_FIELDS) {
    if (!has(field)) continue;
    const value = input[field];
    next.retention[KEEP_RULE[field]] = value === null ? null : wholeNumber(field, value, 1, KEEP_MAX, 'periods (null = unset)');
  }
  if (has('incremental')) next.incremental = applyIncrementalInput(incrementalPolicyOf(base), input.incremental);
  if (has('replicate_from')) {
    const from = input.replicate_from;
    if (from !== null && (typeof from !== 'string' || !TARGET_ID_PATTERN.test(from))) {
      throw invalidField(
        'replicate_from',
        `replicate_from must be null or another target's id ([a-z0-9-], 1 to 32 characters), got ${JSON.stringify(from)?.slice(0, 60)}`,
      );
    }
    next.replicateFrom = from;
  }
  return next;
}

/** A new target's id, checked: the pattern, not a built-in, not taken. */
export function checkNewId(input: unknown, taken: readonly string[]): string {
  if (typeof input !== 'string' || !TARGET_ID_PATTERN.test(input)) {
    const shown = typeof input === 'string' ? JSON.stringify(input.slice(0, 40)) : String(typeof input);
    throw invalidField('id', `id must be 1 to 32 lower-case letters, digits or '-', such as 'b2-eu' or 'nas', got ${shown}`);
  }
  if ((BUILT_IN_TARGET_IDS as readonly string[]).includes(input)) {
    throw invalidField('id', `id '${input}' is a built-in target: change it with PATCH /api/targets/${input}, or choose another id`);
  }
  if (taken.includes(input)) {
    throw new DomainError(ErrorCode.Conflict, `A target with id '${input}' already exists: choose another id, or change it with PATCH /api/targets/${input}`, {
      field: 'id',
    });
  }
  return input;
}

/**
 * The checks that need every target: replication names another existing target without a cycle, and no two
 * targets write to the same place (each would rotate the other's backups as its own).
 */
export function checkAgainst(next: TargetDefinition, all: readonly TargetDefinition[]): void {
  const others = all.filter((t) => t.id !== next.id);
  if (next.replicateFrom !== null) {
    if (next.replicateFrom === next.id) throw invalidField('replicate_from', `replicate_from cannot be the target itself ('${next.id}')`);
    if (!others.some((t) => t.id === next.replicateFrom)) {
      throw invalidField(
        'replicate_from',
        `replicate_from names no target: '${next.replicateFrom}' does not exist. Use one of ${others.map((t) => `'${t.id}'`).join(', ')}`,
      );
    }
    const byId = new Map([...others, next].map((t) => [t.id, t]));
    const seen = [next.id];
    for (let at = byId.get(next.replicateFrom); at; at = at.replicateFrom ? byId.get(at.replicateFrom) : undefined) {
      if (seen.includes(at.id)) {
        throw invalidField(
          'replicate_from',
          `replicate_from '${next.replicateFrom}' would make a cycle (${[...seen, at.id].join(' → ')}): a target cannot replicate from its own replicas`,
        );
      }
      seen.push(at.id);
    }
  }
  const field = next.kind === 'folder' ? 'path' : 'prefix';
  const problem = samePlaceProblem(next, all, field);
  if (problem) throw invalidField(field, problem);
}

/**
 * Where a target keeps its backups, spelled one way: a folder as its real path (symbolic links, `.` and `..`
 * resolved, a trailing slash dropped, up to the deepest folder that exists), an S3 place as endpoint, bucket
 * and prefix. Two targets with one key would each list, rotate and delete the other's backups as their own.
 */
export function placeKey(target: TargetDefinition): string {
  if (target.kind === 'folder') return target.path === '' ? '' : `folder ${realResolve(target.path)}`;
  return `s3 ${s3Place(target)} ${target.bucket} ${target.prefix}`;
}

/**
 * Why `next` cannot keep its backups where it would, in a sentence starting with `field`, or undefined.
 * Only the same place is refused. A place nested in another's (a folder inside another target's folder, a
 * prefix under another's in the same bucket) never mixes their backups: a folder target lists only the files
 * at its own level (FolderStorage.list), and an S3 target only the keys `<prefix>sentinel-*` whose
 * rest is a backup's name, which has no '/' (BACKUP_FILENAME_PATTERN), so neither sees the other's archives,
 * and rotation and DELETE never reach them.
 */
export function samePlaceProblem(next: TargetDefinition, all: readonly TargetDefinition[], field: string): string | undefined {
  const place = placeKey(next);
  if (place === '') return undefined;
  // A folder is also compared by its identity on disk: a bind mount or a case-insensitive disk gives one folder two real paths.
  const identity = next.kind === 'folder' ? folderIdentity(next.path) : '';
  const other = all.find(
    (t) => t.id !== next.id && t.kind === next.kind && (placeKey(t) === place || (identity !== '' && t.path !== '' && folderIdentity(t.path) === identity)),
  );
  if (!other) return undefined;
  const where =
    next.kind === 'folder'
      ? `${next.path}${realResolve(next.path) === path.resolve(next.path) ? '' : ` (that is ${realResolve(next.path)})`}`
      : `bucket '${next.bucket}' with prefix '${next.prefix}' at ${s3Place(next)}`;
  return (
    `${field}: ${where} is where target '${other.id}' keeps its backups: two targets in one place would list, rotate and delete each other's backups as their own. ` +
    `Use a ${next.kind === 'folder' ? 'folder' : 'prefix or bucket'} of its own (one inside it is fine)`
  );
}

/**
 * The S3 endpoint a target actually talks to, spelled one way: R2's account-ID endpoint when only the account is
 * set (the built-in r2's usual set-up), and the URL's origin (lower-case host, no default port, no trailing
 * slash or trailing dot), with the loopback's names (localhost, 127.0.0.0/8, ::1) as one, and AWS's names of
 * one region's endpoint (s3.amazonaws.com and s3-external-1 are us-east-1; s3-<region> and s3.dualstack.<region>
 * are s3.<region>) as one. Two spellings of one place must not pass the same-place check. What cannot be told
 * from the URL (a DNS alias, a proxy in front of the same store) is the limit README's Destinations section names.
 */
export function s3Place(target: Pick<TargetDefinition, 'endpoint' | 'accountId'>): string {
  const endpoint = target.endpoint.trim() || (target.accountId ? `https://${target.accountId}.r2.cloudflarestorage.com` : '');
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return endpoint;
  }
  const host = url.hostname.toLowerCase().replace(/\.+$/, '');
  return `${url.protocol}//${canonicalHost(host)}${url.port === '' ? '' : `:${url.port}`}`;
}

const LOOPBACK = /^(?:localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\])$/;
const AWS_S3 = /^s3(?:[.-]dualstack)?(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$/;

function canonicalHost(host: string): string {
  if (LOOPBACK.test(host)) return 'loopback';
  const aws = AWS_S3.exec(host);
  if (!aws) return host;
  const region = aws[1] === undefined || aws[1] === 'external-1' ? 'us-east-1' : aws[1];
  return `s3.${region}.amazonaws.com`;
}
