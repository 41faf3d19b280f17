import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type BackupJob, type ConnectionTestResult, errorMessage, type Setting, type Target, unwrap } from '../api/client';
import { isActive } from '../backup-jobs';
import type { FieldSpec } from '../settings-fields';
import { isConfigured } from '../target-configured';
import { ConnectionTest } from './ConnectionTest';
import { useConfirm } from './ConfirmDialog';
import { type Draft, Field, fieldId, storedDraft } from './Field';
import { JobStatus } from './JobStatus';

interface TargetCardProps {
  target: Target;
  title: string;
  intro: ComponentChildren;
  fields: readonly FieldSpec[];
  settings: readonly Setting[];
  /** Reloads the settings after a save. */
  onSaved: () => Promise<void>;
  job: BackupJob | undefined;
  onBackupStarted: (job: BackupJob) => void;
  /** Shown under the actions: the next scheduled runs. */
  footer?: ComponentChildren;
  now: number;
}

type Busy = 'save' | 'test' | 'backup' | 'cancel' | null;
type Status = { kind: 'ok' | 'error'; text: string } | null;

/** What the API receives for a field: flags as 1/0, whole numbers as numbers, anything else as typed (the API judges it). */
function apiValue(spec: FieldSpec, draft: Draft): string | number {
  if (draft === null) return '';
  if (typeof draft === 'boolean') return draft ? 1 : 0;
  if (spec.kind === 'integer' && /^\s*-?\d+\s*$/.test(draft)) return Number(draft);
  return draft;
}

/**
 * One backup target: its settings form and its actions (Save, Test Connection, Backup Now) with their results.
 * The settings fold away behind "Edit" once the target is configured (the page leads with the status and the
 * backups); they start open while it is not, and open when a link leads to the card (TargetsCard's "Edit in
 * its card") or a save fails at a field.
 */
export function TargetCard({ target, title, intro, fields, settings, onSaved, job, onBackupStarted, footer, now }: TargetCardProps) {
  const [draft, setDraft] = useState<Record<string, Draft>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [status, setStatus] = useState<Status>(null);
  const [busy, setBusy] = useState<Busy>(null);
  const [test, setTest] = useState<ConnectionTestResult | null>(null);
  const confirm = useConfirm();
  const byKey = new Map(settings.map((s) => [s.key, s]));
  const headingId = `target-${target}-heading`;
  const settingsId = `target-${target}-settings`;
  /** null until the settings say whether the target is configured; after that only the user folds it. */
  const [open, setOpen] = useState<boolean | null>(null);
  const configured = isConfigured(target, settings);
  useEffect(() => {
    if (open === null && configured !== null) setOpen(!configured);
  }, [open, configured]);
  useEffect(() => {
    const openIfLinked = () => {
      if (window.location.hash === `#${headingId}`) setOpen(true);
    };
    openIfLinked();
    window.addEventListener('hashchange', openIfLinked);
    return () => window.removeEventListener('hashchange', openIfLinked);
  }, [headingId]);
  const expanded = open === true;

  const isEdited = (spec: FieldSpec): boolean => {
    if (!(spec.key in draft)) return false;
    const value = draft[spec.key] as Draft;
    if (spec.kind === 'secret') return value === null || value !== '';
    return value !== storedDraft(spec, byKey.get(spec.key));
  };
  const edited = fields.filter(isEdited);

  const change = (key: string, value: Draft): void => {
    setDraft((d) => ({ ...d, [key]: value }));
    setStatus(null);
  };
  const revert = (key: string): void =>
    setDraft((d) => {
      const { [key]: _removed, ...rest } = d;
      return rest;
    });

  /** Saves every edited field, in the form's order. Returns whether all were accepted. */
  const save = async (): Promise<boolean> => {
    if (edited.length === 0) {
      setErrors({});
      return true;
    }
    setBusy('save');
    setStatus(null);
    const failed: Record<string, string> = {};
    const saved: string[] = [];
    for (const spec of edited) {
      try {
        await unwrap(api.PUT('/api/settings/{key}', { params: { path: { key: spec.key } }, body: { value: apiValue(spec, draft[spec.key] ?? null) } }));
        saved.push(spec.key);
      } catch (error) {
        const key = error instanceof ApiError && error.key && fields.some((f) => f.key === error.key) ? error.key : spec.key;
        const label = fields.find((f) => f.key === key)?.label ?? key;
        // The API names the setting by its key; next to the field, its label reads better.
        failed[key] = errorMessage(error).replace(new RegExp(`^${key}\\b`), label);
      }
    }
    setDraft((d) => Object.fromEntries(Object.entries(d).filter(([key]) => !saved.includes(key))));
    setErrors(failed);
    await onSaved().catch(() => undefined);
    setBusy(null);
    const failures = Object.keys(failed);
    if (failures.length === 0) {
      setStatus({ kind: 'ok', text: saved.length === 1 ? 'Setting saved.' : `${saved.length} settings saved.` });
      return true;
    }
    setStatus({
      kind: 'error',
      text: `${failures.length === 1 ? 'One setting was' : `${failures.length} settings were`} not saved: see the field${failures.length === 1 ? '' : 's'} marked below.${saved.length ? ` The other changes were saved.` : ''}`,
    });
    const first = fields.find((f) => failures.includes(f.key));
    if (first) {
      // The field may be folded away (Backup Now saves too): open first, focus once it is shown.
      setOpen(true);
      setTimeout(() => document.getElementById(fieldId(first.key))?.focus(), 0);
    }
    return false;
  };

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    if (edited.length === 0) {
      setStatus({ kind: 'ok', text: 'No changes to save.' });
      return;
    }
    await save();
  };

  const testConnection = async (): Promise<void> => {
    if (busy) return;
    if (!(await save())) return;
    setBusy('test');
    setTest(null);
    try {
      setTest(await unwrap(api.POST('/api/backups/{target}/test', { params: { path: { target } } })));
    } catch (error) {
      setStatus({ kind: 'error', text: `Test Connection did not run: ${errorMessage(error)}` });
    } finally {
      setBusy(null);
    }
  };

  const backupNow = async (): Promise<void> => {
    if (busy || isActive(job)) return;
    if (!(await save())) return;
    setBusy('backup');
    try {
      const started = await unwrap(api.POST('/api/backups/{target}', { params: { path: { target } } }));
      onBackupStarted(started);
      setStatus(null);
    } catch (error) {
      setStatus({ kind: 'error', text: `The backup did not start: ${errorMessage(error)}` });
    } finally {
      setBusy(null);
    }
  };

  const cancelBackup = async (): Promise<void> => {
    if (busy || !job || !isActive(job)) return;
    const answer = await confirm({
      title: 'Cancel this backup?',
      body: (
        <p>The backup to {title} stops now and nothing of it is kept: no partial archive is left in the target. The backups already there stay as they are.</p>
      ),
      confirmLabel: 'Cancel backup',
      cancelLabel: 'Keep running',
      danger: true,
    });
    if (!answer.confirmed) return;
    setBusy('cancel');
    try {
      const ended = await unwrap(api.POST('/api/backup-jobs/{id}/cancel', { params: { path: { id: job.id } } }));
      // Shown at once (and announced by the next poll): the job has ended, its clean-up done.
      onBackupStarted(ended);
      setStatus(null);
    } catch (error) {
      setStatus({ kind: 'error', text: `The backup was not cancelled: ${errorMessage(error)}` });
    } finally {
      setBusy(null);
    }
  };

  const running = isActive(job);
  let previousGroup: string | undefined;
  const rendered: ComponentChildren[] = [];
  for (let i = 0; i < fields.length;) {
    const spec = fields[i] as FieldSpec;
    const render = (s: FieldSpec) => (
      <Field
        key={s.key}
        spec={s}
        setting={byKey.get(s.key)}
        value={s.key in draft ? (draft[s.key] as Draft) : storedDraft(s, byKey.get(s.key))}
        edited={isEdited(s)}
        error={errors[s.key]}
        onChange={(v) => change(s.key, v)}
        onRevert={() => revert(s.key)}
      />
    );
    if (spec.group && spec.group !== previousGroup) {
      const members: FieldSpec[] = [];
      while (i < fields.length && (fields[i] as FieldSpec).group === spec.group) members.push(fields[i++] as FieldSpec);
      rendered.push(
        <fieldset key={spec.group} class="field-group">
          <legend>{spec.group}</legend>
          {members.map(render)}
        </fieldset>,
      );
    } else {
      rendered.push(render(spec));
      i++;
    }
    previousGroup = spec.group;
  }

  return (
    <section
      class={`card target target-${target}`}
      aria-labelledby={headingId}
      data-target={target}
      data-settings={open === null ? 'loading' : open ? 'open' : 'folded'}
    >
      <div class="card-head">
        <h2 id={headingId}>{title}</h2>
        <button type="button" class="button button-small disclosure" aria-expanded={expanded} aria-controls={settingsId} onClick={() => setOpen(!expanded)}>
          Edit<span class="visually-hidden"> {title} settings</span>
          {/* A span, not CSS content: generated content would join the button's accessible name. */}
          <span class="disclosure-mark" aria-hidden="true">
            {expanded ? '▾' : '▸'}
          </span>
        </button>
      </div>
      <form onSubmit={(e) => void onSubmit(e)} noValidate>
        <div id={settingsId} class="target-settings" hidden={!expanded}>
          <p class="card-intro">{intro}</p>
          {rendered}
        </div>
        <div class="actions">
          {expanded && (
            <button type="submit" class="button button-primary" aria-disabled={busy !== null} aria-busy={busy === 'save'}>
              {busy === 'save' ? 'Saving…' : 'Save'}
            </button>
          )}
          <button type="button" class="button" aria-disabled={busy !== null} aria-busy={busy === 'test'} onClick={() => void testConnection()}>
            {busy === 'test' ? 'Testing…' : 'Test Connection'}
          </button>
          <button type="button" class="button" aria-disabled={busy !== null || running} aria-busy={busy === 'backup'} onClick={() => void backupNow()}>
            {busy === 'backup' ? 'Starting…' : running ? (job?.kind === 'replication' ? 'Replication running…' : 'Backup running…') : 'Backup Now'}
          </button>
        </div>
        {edited.length > 0 && !status && <p class="hint unsaved">Unsaved changes. Test Connection and Backup Now save them first.</p>}
        <div class="form-status" role="status">
          {status && <p class={status.kind === 'ok' ? 'status-ok' : 'status-error'}>{status.text}</p>}
        </div>
      </form>
      {test && <ConnectionTest result={test} />}
      <JobStatus job={job} now={now} onCancel={() => void cancelBackup()} cancelling={busy === 'cancel'} />
      {footer}
    </section>
  );
}
