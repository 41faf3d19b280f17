import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorMessage, type TargetInfo, type TargetInput } from '../api/client';
import { formatServiceClock } from '../format';
import {
  type DraftErrors,
  type DraftField,
  draftFieldOf,
  KEEP_KEYS,
  type KeepKey,
  newTargetDraft,
  SCHEDULE_KINDS,
  type ScheduleKind,
  type TargetDraft,
  targetDraftOf,
  targetRequestOf,
} from '../target-form';
import { IncrementalPolicyFields } from './IncrementalPolicyFields';

const ID = 'target-form';
const fieldId = (key: DraftField): string => `${ID}-${key}`;

/** The schedule choices, their 03:00 in the service's zone and the reader's when the page knows the service's. */
function scheduleLabels(serviceZone: string | undefined): Record<ScheduleKind, string> {
  const at = serviceZone ? formatServiceClock('03:00', serviceZone) : '03:00';
  return {
    daily: `Daily (${at})`,
    weekly: `Weekly (Sunday ${at})`,
    monthly: `Monthly (the 1st, ${at})`,
    hourly: 'Hourly',
    cron: 'Cron expression',
  };
}
const KEEP_LABELS: Record<KeepKey, string> = {
  keep_hourly: 'Hourly backups to keep',
  keep_daily: 'Daily backups to keep',
  keep_weekly: 'Weekly backups to keep',
  keep_monthly: 'Monthly backups to keep',
  keep_yearly: 'Yearly backups to keep',
};

interface TargetFormProps {
  /** The target being edited; null for a new one. */
  target: TargetInfo | null;
  /** Every target, for replicate_from. */
  targets: readonly TargetInfo[];
  onSave: (body: TargetInput) => Promise<TargetInfo>;
  /** After a save (the saved target) or Cancel (null). */
  onClose: (saved: TargetInfo | null) => void;
  /** The service's time zone (TZ): schedule times are in it. */
  serviceZone?: string;
}

/** Add or edit a destination: the fields follow the kind, secrets are write-only, the API's errors show at their fields. */
export function TargetForm({ target, targets, onSave, onClose, serviceZone }: TargetFormProps) {
  const [draft, setDraft] = useState<TargetDraft>(() => (target ? targetDraftOf(target) : newTargetDraft()));
  const [errors, setErrors] = useState<DraftErrors>({});
  const [status, setStatus] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  const title = target ? `Edit ${target.label}` : 'Add a target';

  useEffect(() => heading.current?.focus(), []);

  const change = <K extends DraftField>(key: K, value: TargetDraft[K]): void => {
    setDraft((d) => ({ ...d, [key]: value }));
    setErrors(({ [key]: _fixed, ...rest }) => rest);
    setStatus(null);
  };

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    const body = targetRequestOf(draft, target);
    if (target && Object.keys(body).length === 0) {
      setStatus({ kind: 'ok', text: 'No changes to save.' });
      return;
    }
    setBusy(true);
    setStatus(null);
    try {
      onClose(await onSave(body));
    } catch (error) {
      const field = draftFieldOf(error, draft);
      if (field) {
        setErrors({ [field]: errorMessage(error) });
        setStatus({ kind: 'error', text: 'The target was not saved: see the field marked below. Nothing was changed.' });
        setTimeout(() => document.getElementById(fieldId(field))?.focus(), 0);
      } else {
        setErrors({});
        setStatus({ kind: 'error', text: `The target was not saved: ${errorMessage(error)} Nothing was changed.` });
      }
    } finally {
      setBusy(false);
    }
  };

  /** A labelled input with its hint and its error (described by both). */
  const input = (
    key: DraftField,
    label: string,
    options: { hint?: ComponentChildren; type?: 'text' | 'password'; short?: boolean; placeholder?: string } = {},
  ) => {
    const error = errors[key];
    // A credential stored under another master key reads as empty: until something is typed, the field says why.
    const unreadable = (target?.credentials_unreadable as readonly string[] | undefined)?.includes(key) === true && String(draft[key]) === '';
    const hint = unreadable ? <>{options.hint} Set, but it cannot be read with the current master key: enter it again.</> : options.hint;
    const describedBy = [hint ? `${fieldId(key)}-hint` : '', error ? `${fieldId(key)}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div class="field" key={key}>
        {unreadable ? (
          <div class="label-row">
            <label for={fieldId(key)}>{label}</label>
            <span class="badge">Set, but unreadable</span>
          </div>
        ) : (
          <label for={fieldId(key)}>{label}</label>
        )}
        <input
          id={fieldId(key)}
          type={(options.type ?? 'text') as 'text'}
          class={options.short ? 'input-short' : undefined}
          inputMode={options.short ? 'numeric' : undefined}
          autocomplete={options.type === 'password' ? 'new-password' : 'off'}
          spellcheck={false}
          placeholder={unreadable ? 'Cannot be read – type it again' : options.placeholder}
          value={String(draft[key])}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy}
          onInput={(e) => change(key, e.currentTarget.value as never)}
        />
        {hint && (
          <p id={`${fieldId(key)}-hint`} class="hint">
            {hint}
          </p>
        )}
        {error && (
          <p id={`${fieldId(key)}-error`} class="field-error">
            {error}
          </p>
        )}
      </div>
    );
  };
  const select = (key: DraftField, label: string, choices: readonly (readonly [string, string])[]) => {
    const error = errors[key];
    return (
      <div class="field" key={key}>
        <label for={fieldId(key)}>{label}</label>
        <select
          id={fieldId(key)}
          value={String(draft[key])}
          disabled={key === 'kind' && target !== null}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${fieldId(key)}-error` : undefined}
          onChange={(e) => change(key, e.currentTarget.value as never)}
        >
          {choices.map(([value, text]) => (
            <option key={value} value={value}>
              {text}
            </option>
          ))}
        </select>
        {error && (
          <p id={`${fieldId(key)}-error`} class="field-error">
            {error}
          </p>
        )}
      </div>
    );
  };
  const secretHint = (set: boolean | undefined) => `Write-only: the stored value is never shown. ${set ? 'Stored – leave empty to keep it.' : ''}`;
  const others = targets.filter((t) => t.id !== target?.id);

  return (
    <form class="target-form" aria-labelledby={`${ID}-heading`} onSubmit={(e) => void submit(e)} noValidate>
      <h3 id={`${ID}-heading`} ref={heading} tabIndex={-1}>
        {title}
      </h3>
      {!target && input('id', 'Id', { hint: '1 to 32 of a-z, 0-9 and -; it names the target in the API and cannot change.', placeholder: 'nas' })}
      {input('label', 'Label', { placeholder: 'NAS in the office' })}
      {select('kind', 'Kind', [
        ['folder', 'Folder (a NAS or disk mounted here)'],
        ['s3', 'S3-compatible store'],
      ])}
      <div class="field field-flag">
        <input id={fieldId('enabled')} type="checkbox" class="switch" checked={draft.enabled} onChange={(e) => change('enabled', e.currentTarget.checked)} />
        <label for={fieldId('enabled')}>Enabled</label>
      </div>
      {draft.kind === 'folder' ? (
        input('path', 'Folder', { hint: 'An absolute path; created on the first backup.', placeholder: '/mnt/nas/sentinel' })
      ) : (
        <fieldset class="field-group">
          <legend>Store</legend>
          {input('endpoint', 'Endpoint', { placeholder: 'https://s3.example.com' })}
          {input('region', 'Region', { hint: 'auto for R2; AWS S3 needs the bucket’s region.' })}
          {input('bucket', 'Bucket')}
          {input('prefix', 'Folder in the bucket (optional)', { placeholder: 'office/' })}
          {input('access_key_id', 'Access Key ID', { hint: 'It names the key and is not the secret, so it is shown.' })}
          {input('secret_access_key', 'Secret Access Key', { type: 'password', hint: secretHint(target?.secret_access_key_set) })}
          {select('lock_mode', 'Object Lock', [
            ['', 'None'],
            ['governance', 'Governance mode'],
            ['compliance', 'Compliance mode'],
          ])}
          {draft.lock_mode && input('lock_days', 'Days each backup is locked', { short: true })}
        </fieldset>
      )}
      {select(
        'schedule',
        'Schedule',
        SCHEDULE_KINDS.map((k) => [k, scheduleLabels(serviceZone)[k]] as const),
      )}
      {draft.schedule === 'cron' &&
        input('cron', 'Cron expression', {
          hint: `Five fields: minute hour day-of-month month day-of-week, e.g. 30 2 * * SUN; times in the service’s zone${serviceZone ? `, ${serviceZone}` : ''}.`,
          placeholder: '30 2 * * *',
        })}
      <fieldset class="field-group">
        <legend>Retention</legend>
        {input('retention_days', 'Retention Days', { short: true, hint: 'Older backups are deleted; the newest 3 are always kept. 0: no rule by age.' })}
        {KEEP_KEYS.map((key) => input(key, KEEP_LABELS[key], { short: true }))}
      </fieldset>
      <IncrementalPolicyFields draft={draft} errors={errors} idOf={fieldId} onChange={change} />
      {select('replicate_from', 'Replicate from', [['', 'None'] as const, ...others.map((t) => [t.id, `${t.label} (${t.id})`] as const)])}
      <div class="actions">
        <button type="submit" class="button button-primary" aria-disabled={busy} aria-busy={busy}>
          {busy ? 'Saving…' : target ? 'Save target' : 'Add target'}
        </button>
        <button type="button" class="button" onClick={() => onClose(null)}>
          Cancel
        </button>
      </div>
      <div class="form-status" role="status">
        {status && <p class={status.kind === 'ok' ? 'status-ok' : 'status-error'}>{status.text}</p>}
      </div>
    </form>
  );
}
