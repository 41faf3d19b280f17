import type { SecretCipher } from '../settings/secret-cipher.js';
import { apiFields } from './built-in-target-fields.js';
import { type IncrementalPolicy, readStoredIncremental } from './incremental-policy.js';
import type { TargetDefinition, TargetSchedule, UnreadableCredential } from './target-definition.js';
import { TARGET_ID_PATTERN } from './target-definition.js';
import type { StoredTargetRow } from './target-store.js';

/** Version 1 of a row's JSON: the API's field names, secrets sealed. */
interface StoredTargetFields {
  format: 1;
  label: string;
  kind: 's3' | 'folder';
  enabled: boolean;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  secret_access_key: string;
  path: string;
  schedule: string;
  retention_days: number;
  keep_hourly: number | null;
  keep_daily: number | null;
  keep_weekly: number | null;
  keep_monthly: number | null;
  keep_yearly: number | null;
  replicate_from: string | null;
  object_lock: { mode: 'governance' | 'compliance'; days: number } | null;
  /** Absent in rows written before incremental backups: the default policy (off). */
  incremental?: IncrementalPolicy;
}

/**
 * The name a target's secret is sealed under (SecretCipher's additional data): the target's id and the field,
 * so a sealed value copied into another target or field does not open.
 */
export function secretName(id: string, field: 'access_key_id' | 'secret_access_key'): string {
  return `targets/${id}/${field}`;
}

/** The row's JSON for a target: secrets sealed with the master key, like the r2_* secrets. */
export function sealTarget(target: TargetDefinition, cipher: SecretCipher): string {
  const seal = (field: 'access_key_id' | 'secret_access_key', value: string) => (value === '' ? '' : cipher.encrypt(secretName(target.id, field), value));
  // The API's names (apiFields) are the stored names, so the row reads like a GET answer with its secrets sealed.
  const { id: _id, ...shown } = apiFields(target);
  const fields = {
    format: 1,
    ...shown,
    access_key_id: seal('access_key_id', target.accessKeyId),
    secret_access_key: seal('secret_access_key', target.secretAccessKey),
  } as StoredTargetFields;
  return JSON.stringify(fields);
}

/**
 * A stored row as a TargetDefinition, secrets opened; undefined (with a warning) for a row that is not one
 * this version can read. A secret the master key cannot open (the key changed) reads as unset, and says so,
 * so the target reports "not configured" instead of every target failing. With no cipher the secrets stay
 * sealed and read as '': for the lists that every timer and scrape reads, which need no credentials.
 */
export function parseStoredTarget(row: StoredTargetRow, cipher: SecretCipher | undefined, warn: (message: string) => void): TargetDefinition | undefined {
  let f: Partial<StoredTargetFields>;
  try {
    f = JSON.parse(row.definition) as Partial<StoredTargetFields>;
  } catch {
    f = {};
  }
  if (!TARGET_ID_PATTERN.test(row.id) || f.format !== 1 || (f.kind !== 's3' && f.kind !== 'folder')) {
    warn(`Ignoring the stored target ${JSON.stringify(String(row.id).slice(0, 40))}: its record in config.db is not one this version reads`);
    return undefined;
  }
  const unreadable: UnreadableCredential[] = [];
  const open = (field: UnreadableCredential): string => {
    const sealed = f[field];
    if (typeof sealed !== 'string' || sealed === '' || cipher === undefined) return '';
    try {
      return cipher.decrypt(secretName(row.id, field), sealed);
    } catch (error) {
      warn(`Target ${row.id}: ${(error as Error).message.replace(/Settings → Backup/, `PATCH /api/targets/${row.id}`)}`);
      unreadable.push(field);
      return '';
    }
  };
  const str = (value: unknown) => (typeof value === 'string' ? value : '');
  const count = (value: unknown) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  return {
    id: row.id,
    ...(typeof row.created_at === 'string' && row.created_at !== '' ? { createdAt: row.created_at } : {}),
    label: str(f.label) || row.id,
    kind: f.kind,
    builtIn: false,
    enabled: f.enabled === true,
    endpoint: str(f.endpoint),
    region: str(f.region),
    bucket: str(f.bucket),
    prefix: str(f.prefix),
    accessKeyId: open('access_key_id'),
    secretAccessKey: open('secret_access_key'),
    ...(unreadable.length > 0 ? { unreadable } : {}),
    path: str(f.path),
    schedule: (str(f.schedule) || 'daily') as TargetSchedule,
    retention: {
      retentionDays: count(f.retention_days) ?? 90,
      keepHourly: count(f.keep_hourly),
      keepDaily: count(f.keep_daily),
      keepWeekly: count(f.keep_weekly),
      keepMonthly: count(f.keep_monthly),
      keepYearly: count(f.keep_yearly),
    },
    replicateFrom: typeof f.replicate_from === 'string' ? f.replicate_from : null,
    objectLock: f.object_lock && typeof f.object_lock === 'object' ? f.object_lock : null,
    incremental: readStoredIncremental(f.incremental ?? {}),
  };
}
