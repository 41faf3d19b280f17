/** The Backup tab's settings, in the spec's order ("Via Settings UI", steps 2 to 5), and the local folder's. */

export type FieldKind = 'flag' | 'text' | 'secret' | 'choice' | 'integer';

export interface FieldSpec {
  key: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  placeholder?: string;
  /** Labels of a choice's values; the values themselves come from the API (allowed_values). */
  choiceLabels?: Record<string, string>;
  inputType?: 'text' | 'password' | 'url';
  /** Groups fields under a sub-heading (fieldset legend). */
  group?: string;
}

export const R2_FIELDS: readonly FieldSpec[] = [
  { key: 'r2_backup_enabled', label: 'Enable R2 backups', kind: 'flag', hint: 'Back up to Cloudflare R2 on the schedule below.' },
  { key: 'r2_account_id', label: 'Account ID', kind: 'text', group: 'R2 credentials', placeholder: '0123456789abcdef0123456789abcdef' },
  { key: 'r2_access_key_id', label: 'Access Key ID', kind: 'secret', group: 'R2 credentials' },
  { key: 'r2_secret_access_key', label: 'Secret Access Key', kind: 'secret', group: 'R2 credentials', inputType: 'password' },
  { key: 'r2_bucket_name', label: 'Bucket Name', kind: 'text', group: 'R2 credentials', placeholder: 'sentinel-backups' },
  {
    key: 'r2_endpoint',
    label: 'Endpoint (optional)',
    kind: 'text',
    group: 'R2 credentials',
    inputType: 'url',
    placeholder: 'https://<account id>.r2.cloudflarestorage.com',
    hint: 'Leave empty for Cloudflare R2. Any S3-compatible endpoint URL works too.',
  },
  {
    key: 'r2_prefix',
    label: 'Folder in the bucket (optional)',
    kind: 'text',
    group: 'R2 credentials',
    placeholder: 'office/',
    hint: 'Empty keeps backups at the bucket’s root. Give each installation that shares a bucket its own folder.',
  },
  {
    key: 'r2_backup_schedule',
    label: 'Backup Schedule',
    kind: 'choice',
    choiceLabels: { daily: 'Daily, at 03:00', weekly: 'Weekly, Sunday at 03:00', monthly: 'Monthly, on the 1st at 03:00', hourly: 'Hourly, at :15' },
  },
  { key: 'r2_backup_retention_days', label: 'Retention Days', kind: 'integer', hint: '0 keeps backups forever. The newest 3 are always kept.' },
];

export const LOCAL_FIELDS: readonly FieldSpec[] = [
  { key: 'local_backup_enabled', label: 'Enable local backups', kind: 'flag', hint: 'Back up to a folder on this machine every day at 01:00.' },
  { key: 'local_backup_dir', label: 'Backup folder', kind: 'text', hint: 'An absolute path, or relative to the service’s working directory.' },
  { key: 'local_backup_retention_days', label: 'Retention Days', kind: 'integer', hint: '0 keeps backups forever. The newest 3 are always kept.' },
];
