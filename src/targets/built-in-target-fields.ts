import { incrementalFields, incrementalPolicyOf } from './incremental-policy.js';
import type { TargetDefinition } from './target-definition.js';
import { objectLock, type TargetField } from './target-input.js';

export type BuiltInId = 'local' | 'r2';

/** A field of /api/targets, or one half of `object_lock` (a built-in keeps its mode and its days in two settings keys). */
export type BuiltInField = TargetField | 'object_lock.mode' | 'object_lock.days';

const calendarKeys = (id: BuiltInId) =>
  Object.fromEntries((['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((unit) => [`keep_${unit}`, `${id}_backup_keep_${unit}`]));

/**
 * For `local` and `r2`, the spec's settings key each field of /api/targets reads and writes: PATCH
 * /api/targets/r2 {"bucket": "b"} is PUT /api/settings/r2_bucket_name. `object_lock` is two keys (its mode, ''
 * when null, and its days). A field with no key here has no setting (a label, a region; for `local`, the S3
 * fields and object lock): a built-in target refuses a change to it with a 400 naming it, and takes it sent back
 * unchanged (a client may PATCH what GET gave). Whoever gives a built-in one of these adds its settings key to
 * SETTING_DEFINITIONS and here.
 */
export const BUILT_IN_FIELDS: Record<BuiltInId, Partial<Record<BuiltInField, string>>> = {
  r2: {
    enabled: 'r2_backup_enabled',
    endpoint: 'r2_endpoint',
    bucket: 'r2_bucket_name',
    prefix: 'r2_prefix',
    access_key_id: 'r2_access_key_id',
    secret_access_key: 'r2_secret_access_key',
    schedule: 'r2_backup_schedule',
    retention_days: 'r2_backup_retention_days',
    ...calendarKeys('r2'),
    replicate_from: 'r2_replicate_from',
    'object_lock.mode': 'r2_object_lock_mode',
    'object_lock.days': 'r2_object_lock_days',
  },
  local: {
    enabled: 'local_backup_enabled',
    path: 'local_backup_dir',
    schedule: 'local_backup_schedule',
    retention_days: 'local_backup_retention_days',
    ...calendarKeys('local'),
    replicate_from: 'local_replicate_from',
  },
};

/**
 * The settings writes for `value` sent as `field` to a built-in target, or undefined when the field has no key.
 * `object_lock` is checked as for an added target (400 naming object_lock.mode or .days) and becomes both keys,
 * so the mode never goes without the days it was sent with; null is mode '' (off), the days left as they were.
 */
export function builtInWrites(id: BuiltInId, field: TargetField, value: unknown): Array<[string, unknown]> | undefined {
  const keys = BUILT_IN_FIELDS[id];
  if (field === 'object_lock' && keys['object_lock.mode'] && keys['object_lock.days']) {
    const lock = objectLock(value);
    return lock === null
      ? [[keys['object_lock.mode'], '']]
      : [
          [keys['object_lock.mode'], lock.mode],
          [keys['object_lock.days'], lock.days],
        ];
  }
  const key = keys[field];
  return key ? [[key, value]] : undefined;
}

/** A target's fields as the API shows them (snake_case); secrets are left out (the API says only whether each is set). */
export function apiFields(target: TargetDefinition): Record<Exclude<TargetField, 'access_key_id' | 'secret_access_key'>, unknown> {
  return {
    id: target.id,
    label: target.label,
    kind: target.kind,
    enabled: target.enabled,
    endpoint: target.endpoint,
    region: target.region,
    bucket: target.bucket,
    prefix: target.prefix,
    path: target.path,
    schedule: target.schedule,
    retention_days: target.retention.retentionDays,
    keep_hourly: target.retention.keepHourly,
    keep_daily: target.retention.keepDaily,
    keep_weekly: target.retention.keepWeekly,
    keep_monthly: target.retention.keepMonthly,
    keep_yearly: target.retention.keepYearly,
    replicate_from: target.replicateFrom,
    object_lock: target.objectLock,
    incremental: incrementalFields(incrementalPolicyOf(target)),
  };
}

/** Why a built-in target refuses `value` for a field with no settings key; undefined when it is sent unchanged. */
export function builtInFieldProblem(id: BuiltInId, field: TargetField, current: TargetDefinition, value: unknown): string | undefined {
  const shown = (apiFields(current) as Record<string, unknown>)[field];
  if (field !== 'access_key_id' && field !== 'secret_access_key' && JSON.stringify(shown) === JSON.stringify(value)) return undefined;
  const settable = [...new Set(Object.keys(BUILT_IN_FIELDS[id]).map((name) => name.split('.')[0]))].join(', ');
  return `${field} cannot be changed on the built-in target '${id}': it has no setting in the spec. Its settable fields are ${settable}; add a target with POST /api/targets for a destination of your own`;
}
