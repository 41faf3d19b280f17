/** The Backup tab's settings, in the spec's order ("Via Settings UI", steps 2 to 5), and the local folder's. */
import { formatServiceClock } from './format';

export type FieldKind = 'flag' | 'text' | 'secret' | 'choice' | 'integer';

export interface FieldSpec {
  key: string;
  label: string;
  kind: FieldKind;
  hint?: string;
  placeholder?: string;
  /** Labels of a choice's values; the values themselves come from the API (allowed_values), or from `choices`. */
  choiceLabels?: Record<string, string>;
  /** A choice's values when the API lists none (the targets a replication may copy from). */
  choices?: readonly string[];
  inputType?: 'text' | 'password' | 'url';
  /** Groups fields under a sub-heading (fieldset legend). */
  group?: string;
  /** A backup schedule's wall-clock time ("03:00", in the service's zone): its choices say it in both zones. */
  scheduleAt?: string;
}

/** The schedule choices in words, their time in the service's zone and the reader's: "Daily, at 03:00 America/New_York (09:00 your time)". */
export function scheduleChoiceLabels(at: string, serviceZone: string | undefined): Record<string, string> {
  const time = serviceZone ? formatServiceClock(at, serviceZone) : at;
  return { daily: `Daily, at ${time}`, weekly: `Weekly, Sunday at ${time}`, monthly: `Monthly, on the 1st at ${time}`, hourly: 'Hourly, at :15' };
}

/** The fields with their schedule choices and hint in the service's time zone, once the page knows it (GET /api/health). */
export function withServiceZone(fields: readonly FieldSpec[], serviceZone: string | undefined): FieldSpec[] {
  return fields.map((field) =>
    field.scheduleAt
      ? {
          ...field,
          choiceLabels: scheduleChoiceLabels(field.scheduleAt, serviceZone),
          hint: serviceZone ? `Times are in the service’s time zone, ${serviceZone} (its TZ setting), shown in yours in brackets.` : field.hint,
        }
      : field,
  );
}

export const R2_FIELDS: readonly FieldSpec[] = [
  { key: 'r2_backup_enabled', label: 'Enable R2 backups', kind: 'flag', hint: 'Back up to Cloudflare R2 on the schedule below.' },
  { key: 'r2_account_id', label: 'Account ID', kind: 'text', group: 'R2 credentials', placeholder: '32 letters and digits' },
  // The access key ID is shown and edited as text: it names the key (the API returns it); only the secret is write-only.
  { key: 'r2_access_key_id', label: 'Access Key ID', kind: 'text', group: 'R2 credentials' },
  { key: 'r2_secret_access_key', label: 'Secret Access Key', kind: 'secret', group: 'R2 credentials', inputType: 'password' },
  { key: 'r2_bucket_name', label: 'Bucket Name', kind: 'text', group: 'R2 credentials', placeholder: 'sentinel-backups' },
  {
    key: 'r2_endpoint',
    label: 'Endpoint (optional)',
    kind: 'text',
    group: 'R2 credentials',
    inputType: 'url',
    placeholder: 'https://….r2.cloudflarestorage.com',
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
    scheduleAt: '03:00',
    choiceLabels: scheduleChoiceLabels('03:00', undefined),
  },
  { key: 'r2_backup_retention_days', label: 'Retention Days', kind: 'integer', hint: '0 keeps backups forever. The newest 3 are always kept.' },
  ...calendarFields('r2'),
  {
    key: 'r2_object_lock_mode',
    label: 'Object Lock mode',
    kind: 'choice',
    group: 'Locked backups',
    choiceLabels: { '': 'Off', governance: 'Governance', compliance: 'Compliance (cannot be lifted, even by the account owner)' },
    hint: 'Each uploaded archive cannot be deleted or overwritten until its lock ends. The bucket must have Object Lock enabled; Cloudflare R2 has bucket lock rules instead (see the README).',
  },
  { key: 'r2_object_lock_days', label: 'Locked for (days)', kind: 'integer', group: 'Locked backups', hint: '1 to 36500, used while a mode is set.' },
];

export const LOCAL_FIELDS: readonly FieldSpec[] = [
  { key: 'local_backup_enabled', label: 'Enable local backups', kind: 'flag', hint: 'Back up to a folder on this machine on the schedule below.' },
  { key: 'local_backup_dir', label: 'Backup folder', kind: 'text', hint: 'An absolute path, or relative to the service’s working directory.' },
  {
    key: 'local_backup_schedule',
    label: 'Backup Schedule',
    kind: 'choice',
    scheduleAt: '01:00',
    choiceLabels: scheduleChoiceLabels('01:00', undefined),
  },
  { key: 'local_backup_retention_days', label: 'Retention Days', kind: 'integer', hint: '0 keeps backups forever. The newest 3 are always kept.' },
  ...calendarFields('local'),
];

/**
 * The built-in target's replication source: a choice of the other targets (`ids`, from /api/targets), or none.
 * Its own id is left out; a cycle is refused by the API, at this field.
 */
export function replicationField(target: 'r2' | 'local', ids: readonly string[], nameOf: (id: string) => string): FieldSpec {
  const others = ids.filter((id) => id !== target);
  return {
    key: `${target}_replicate_from`,
    label: 'Copy the backups of',
    kind: 'choice',
    group: 'Replication',
    choices: ['', ...others],
    choiceLabels: Object.fromEntries([['', 'None'], ...others.map((id) => [id, nameOf(id)])]),
    hint: 'After each successful backup there, the same archive is copied here and checked on arrival.',
  };
}

/** keep_hourly … keep_yearly: calendar retention, on top of the retention days. */
function calendarFields(target: 'r2' | 'local'): FieldSpec[] {
  const units = [
    ['hourly', 'hours'],
    ['daily', 'days'],
    ['weekly', 'weeks'],
    ['monthly', 'months'],
    ['yearly', 'years'],
  ] as const;
  return units.map(([unit, periods]) => ({
    key: `${target}_backup_keep_${unit}`,
    label: `Keep ${unit}`,
    kind: 'integer' as const,
    group: 'Calendar retention',
    hint: `The newest backup of each of this many most recent ${periods}; empty for no such rule.${unit === 'hourly' ? ' Once any is set, Retention Days 0 means no rule by age.' : ''}`,
  }));
}
