import path from 'node:path';

export type SettingKind = 'flag' | 'integer' | 'text' | 'account' | 'choice' | 'url' | 'path' | 'bucket' | 'secret' | 'prefix' | 'target';
export type SettingValue = number | string;

/** A setting the store knows: its type, default and how a value is checked. */
export interface SettingDefinition {
  readonly key: string;
  readonly kind: SettingKind;
  readonly description: string;
  /** The default; a function when it depends on the environment. */
  readonly defaultValue: SettingValue | ((ctx: { dataDir: string }) => SettingValue);
  /** For 'choice'. */
  readonly choices?: readonly string[];
  /** A change to this key affects the R2 client or the local target (the storage module listens). */
  readonly storage?: 'r2' | 'local';
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
  { key: 'r2_access_key_id', kind: 'secret', defaultValue: '', storage: 'r2', description: 'R2 access key ID (stored encrypted, never shown)' },
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
    kind: 'choice',
    defaultValue: 'daily',
    choices: ['daily', 'weekly', 'monthly'],
    description: 'When R2 backups run: daily at 03:00, weekly on Sunday at 03:00, monthly on the 1st at 03:00',
  },
  {
    key: 'r2_backup_retention_days',
    kind: 'integer',
    defaultValue: 90,
    description: 'Delete R2 backups older than this many days, always keeping the newest 3; 0 keeps all',
  },
  { key: 'local_backup_enabled', kind: 'flag', defaultValue: 1, storage: 'local', description: 'Back up to a local folder daily at 01:00: 1 or 0' },
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
