import type { TargetDefinition } from './target-definition.js';
import type { TargetField } from './target-input.js';

export type BuiltInId = 'local' | 'r2';

/**
 * For `local` and `r2`, the spec's settings key each field of /api/targets reads and writes: PATCH
 * /api/targets/r2 {"bucket": "b"} is PUT /api/settings/r2_bucket_name. A field with no key here has no
 * setting in the spec (a label, a region, calendar retention, replication, object lock): a built-in target
 * refuses a change to it with a 400 naming it, and takes it sent back unchanged (a client may PATCH what GET
 * gave). Whoever gives a built-in one of these adds its settings key to SETTING_DEFINITIONS and here.
 */
export const BUILT_IN_FIELDS: Record<BuiltInId, Partial<Record<TargetField, string>>> = {
  r2: {
    enabled: 'r2_backup_enabled',
    endpoint: 'r2_endpoint',
    bucket: 'r2_bucket_name',
    prefix: 'r2_prefix',
    access_key_id: 'r2_access_key_id',
    secret_access_key: 'r2_secret_access_key',
    schedule: 'r2_backup_schedule',
    retention_days: 'r2_backup_retention_days',
  },
  local: {
    enabled: 'local_backup_enabled',
    path: 'local_backup_dir',
    retention_days: 'local_backup_retention_days',
  },
};

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
  };
}

/** Why a built-in target refuses `value` for a field with no settings key; undefined when it is sent unchanged. */
export function builtInFieldProblem(id: BuiltInId, field: TargetField, current: TargetDefinition, value: unknown): string | undefined {
  const shown = (apiFields(current) as Record<string, unknown>)[field];
  if (field !== 'access_key_id' && field !== 'secret_access_key' && JSON.stringify(shown) === JSON.stringify(value)) return undefined;
  const settable = Object.keys(BUILT_IN_FIELDS[id]).join(', ');
  return `${field} cannot be changed on the built-in target '${id}': it has no setting in the spec. Its settable fields are ${settable}; add a target with POST /api/targets for a destination of your own`;
}
