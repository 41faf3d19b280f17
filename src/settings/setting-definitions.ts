import path from 'node:path';
import type { BackupTarget } from '../common/backup-target.js';
import { NAMED_SCHEDULES } from '../common/schedules/backup-schedule.js';

export type SettingKind =
  'flag' | 'integer' | 'keep-count' | 'text' | 'account' | 'choice' | 'url' | 'path' | 'bucket' | 'secret' | 'prefix' | 'schedule' | 'target';
export type SettingValue = number | string;

/** A setting the store knows: its type, default and how a value is checked. */
export interface SettingDefinition {
  readonly key: string;
  readonly kind: SettingKind;
  readonly description: string;
  /** The default; a function when it depends on the environment. */
  readonly defaultValue: SettingValue | ((ctx: { dataDir: string }) => SettingValue);
  /** For 'choice' ('' among them is "off"); for 'schedule', the named schedules (a `cron:` expression is allowed too). */
  readonly choices?: readonly string[];
  /** For 'schedule': the target whose backups it times (its daily / weekly / monthly run at the target's spec hour). */
  readonly scheduleOf?: BackupTarget;
  /**
   * For 'secret': stored encrypted like every credential, but shown by the API. An access key ID names the key (the
   * user needs to see which one is set, and it appears in the store's own console); only the secret beside it grants
   * access.
   */
  readonly shown?: boolean;
  /** For 'integer': the smallest value allowed (0 unless said). */
  readonly minimum?: number;
  /** A change to this key affects the R2 client or the local target (the storage module listens). */
  readonly storage?: 'r2' | 'local';
}

/** The calendar retention rules (issue 16), in the order restic and Kopia apply them: `<target>_backup_keep_<unit>`. */
export const KEEP_UNITS = ['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type KeepUnit = (typeof KEEP_UNITS)[number];

const KEEP_PERIOD: Record<KeepUnit, string> = { hourly: 'hours', daily: 'days', weekly: 'ISO weeks', monthly: 'months', yearly: 'years' };

/** keep_hourly … keep_yearly of one target: empty (unset) by default. */
function keepDefinitions(target: 'r2' | 'local', label: string): SettingDefinition[] {
  return KEEP_UNITS.map((unit) => ({
    key: `${target}_backup_keep_${unit}`,
    kind: 'keep-count' as const,
    defaultValue: '',
    description:
      `Keep the newest ${label} backup of each of this many most recent ${KEEP_PERIOD[unit]} that have one (in the service's time zone, TZ); ` +
      `empty = unset. Once any ${target}_backup_keep_* is set, ${target}_backup_retention_days 0 means no rule by age instead of keeping everything`,
  }));
}

export const SETTING_DEFINITIONS: readonly SettingDefinition[] = [
  {
    key: 'r2_backup_enabled',
    kind: 'flag',
    defaultValue: 0,
    storage: 'r2',
    description: 'Back up to Cloudflare R2 (or another S3-compatible store) on the schedule: 1 or 0',
  },
  {
    key: 'r2_account_id',
    kind: 'account',
    defaultValue: '',
    storage: 'r2',
    description: 'Cloudflare account ID; the endpoint is https://<account_id>.r2.cloudflarestorage.com',
  },
  {
    key: 'r2_access_key_id',
    kind: 'secret',
    shown: true,
    defaultValue: '',
    storage: 'r2',
    description: 'R2 access key ID (stored encrypted; shown, as it names the key and is not the secret)',
  },
  { key: 'r2_secret_access_key', kind: 'secret', defaultValue: '', storage: 'r2', description: 'R2 secret access key (stored encrypted, never shown)' },
  { key: 'r2_bucket_name', kind: 'bucket', defaultValue: '', storage: 'r2', description: 'Bucket the backups go to' },
  {
    key: 'r2_endpoint',
    kind: 'url',
    defaultValue: '',
    storage: 'r2',
    description: 'Optional S3 endpoint URL; empty means R2 at https://<account_id>.r2.cloudflarestorage.com',
  },
  {
    key: 'r2_prefix',
    kind: 'prefix',
    defaultValue: '',
    storage: 'r2',
    description:
      "Optional folder in the bucket for this installation's backups, such as 'office/' (stored ending in '/'); empty means the bucket's root. Lets installations share a bucket deliberately",
  },
  {
    key: 'r2_backup_schedule',
    kind: 'schedule',
    defaultValue: 'daily',
    choices: NAMED_SCHEDULES,
    scheduleOf: 'r2',
    description:
      'When R2 backups run: daily at 03:00, weekly on Sunday at 03:00, monthly on the 1st at 03:00, hourly at :15, ' +
      "or cron:<minute hour day-of-month month day-of-week> such as 'cron:30 2 * * 1,4' (service time zone; at most every 5 minutes)",
  },
  {
    key: 'r2_backup_retention_days',
    kind: 'integer',
    defaultValue: 90,
    description: 'Delete R2 backups older than this many days, always keeping the newest 3; 0 keeps all',
  },
  ...keepDefinitions('r2', 'R2'),
  {
    key: 'r2_object_lock_mode',
    kind: 'choice',
    defaultValue: '',
    choices: ['', 'governance', 'compliance'],
    storage: 'r2',
    description:
      "S3 Object Lock for each uploaded archive: '' (off), 'governance' or 'compliance', for r2_object_lock_days. The bucket must have Object Lock enabled (Cloudflare R2 has bucket lock rules instead: see the README)",
  },
  {
    key: 'r2_object_lock_days',
    kind: 'integer',
    defaultValue: 30,
    minimum: 1,
    storage: 'r2',
    description: 'How many days each uploaded archive stays locked when r2_object_lock_mode is set (1 to 36500)',
  },
  { key: 'local_backup_enabled', kind: 'flag', defaultValue: 1, storage: 'local', description: 'Back up to a local folder daily at 01:00: 1 or 0' },
  {
    key: 'local_backup_schedule',
    kind: 'schedule',
    defaultValue: 'daily',
    choices: NAMED_SCHEDULES,
    scheduleOf: 'local',
    description:
      "When local backups run: daily at 01:00 (the spec's time, the default), weekly on Sunday at 01:00, monthly on the 1st at 01:00, hourly at :15, " +
      "or cron:<minute hour day-of-month month day-of-week> such as 'cron:0 */4 * * *' (service time zone; at most every 5 minutes)",
  },
  {
    key: 'local_backup_dir',
    kind: 'path',
    defaultValue: ({ dataDir }) => path.join(dataDir, 'backups'),
    storage: 'local',
    description: 'Folder for local backups (absolute, or relative to the working directory)',
  },
  {
    key: 'local_backup_retention_days',
    kind: 'integer',
    defaultValue: 90,
    description: 'Delete local backups older than this many days, always keeping the newest 3; 0 keeps all',
  },
  ...keepDefinitions('local', 'local'),
  {
    key: 'r2_replicate_from',
    kind: 'target',
    defaultValue: '',
    description:
      "The target whose backups R2 copies after each successful backup there (replication, such as 'local'); empty for none. Not 'r2' itself, and no cycle",
  },
  {
    key: 'local_replicate_from',
    kind: 'target',
    defaultValue: '',
    description:
      "The target whose backups the local folder copies after each successful backup there (replication, such as 'r2'); empty for none. Not 'local' itself, and no cycle",
  },
];

export type SettingKey = (typeof SETTING_DEFINITIONS)[number]['key'];

export function findDefinition(key: string): SettingDefinition | undefined {
  return SETTING_DEFINITIONS.find((d) => d.key === key);
}

/** The environment variable that serves as a fallback for a key (the spec's migration from `.env`). */
export function environmentName(key: string): string {
  return key.toUpperCase();
}
