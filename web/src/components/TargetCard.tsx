import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  type BackupJob,
  type ConnectionTestResult,
  errorMessage,
  type Setting,
  type Target,
  type TargetInfo,
  type TargetInput,
  unwrap,
} from '../api/client';
import { isActive } from '../backup-jobs';
import { useSlowRequest } from '../hooks/useSlowRequest';
import { useUnsavedGuard } from '../hooks/useUnsavedGuard';
import type { FieldSpec } from '../settings-fields';
import { type DraftErrors, draftFieldOf, targetDraftOf, targetRequestOf } from '../target-form';
import { isConfigured } from '../target-configured';
import { type BackupKind, BackupNowButtons } from './BackupNowButtons';
import { ConnectionTest } from './ConnectionTest';
import { type Draft, Field, fieldId, storedDraft } from './Field';
import { useConfirm } from './ConfirmDialog';
import { type IncrementalDraft, type IncrementalField, IncrementalPolicyFields } from './IncrementalPolicyFields';
import { JobStatus } from './JobStatus';
import { SlowNotice } from './SlowNotice';

interface TargetCardProps {
  target: Target;
  title: string;
  intro: ComponentChildren;
  fields: readonly FieldSpec[];
  settings: readonly Setting[];
  /** The target as GET /api/targets lists it (its incremental policy); undefined until loaded. */
  info: TargetInfo | undefined;
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
export function TargetCard({ target, title, intro, fields, settings, info, onSaved, job, onBackupStarted, footer, now }: TargetCardProps) {
  const [draft, setDraft] = useState<Record<string, Draft>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  /** The incremental policy as edited (only the fields changed), saved through PATCH /api/targets/{target}. */
  const [policyDraft, setPolicyDraft] = useState<Partial<IncrementalDraft>>({});
  const [policyErrors, setPolicyErrors] = useState<DraftErrors>({});
  const [status, setStatus] = useState<Status>(null);
  const [busy, setBusy] = useState<Busy>(null);
  /** The last Test Connection result and when it was checked; cleared when a field changes (it no longer says what would happen). */
  const [test, setTest] = useState<{ result: ConnectionTestResult; at: number } | null>(null);
  const slowTest = useSlowRequest();
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
  const storedTarget = info ? targetDraftOf(info) : null;
  const targetDraft = storedTarget && { ...storedTarget, ...policyDraft };
  /** The policy to send: only when it differs from the stored one. */
  const policyEdit = info && targetDraft ? targetRequestOf(targetDraft, info).incremental : undefined;
  const changes = edited.length + (policyEdit ? 1 : 0);
  useUnsavedGuard(changes > 0);

  const change = (key: string, value: Draft): void => {
    setDraft((d) => ({ ...d, [key]: value }));
    setStatus(null);
    setTest(null);
  };
  const changePolicy = (key: IncrementalField, value: IncrementalDraft[IncrementalField]): void => {
    setPolicyDraft((d) => ({ ...d, [key]: value }));
    setPolicyErrors(({ [key]: _fixed, ...rest }) => rest);
    setStatus(null);
  };
  const policyIdOf = (key: IncrementalField): string => fieldId(`${target}_${key}`);

  /** Folding the settings away with unsaved changes asks first: the changes would otherwise linger unseen. */
  const toggle = async (): Promise<void> => {
    if (expanded && changes > 0) {
      const names = [...edited.map((f) => f.label), ...(policyEdit ? ['Incremental backups'] : [])];
      const answer = await confirm({
        title: 'Discard the unsaved changes?',
        body: <p>{`${names.join(', ')} ${names.length === 1 ? 'was' : 'were'} changed but not saved.`}</p>,
        confirmLabel: 'Discard changes',
        danger: true,
      });
      if (!answer.confirmed) return;
      setDraft({});
      setErrors({});
      setPolicyDraft({});
      setPolicyErrors({});
      setTest(null);
    }
    setOpen(!expanded);
  };

  /**
   * A new local folder hides the backups of the old one from the page (they stay on disk): asked before saving,
   * naming both folders. False when the user keeps the old folder.
   */
  const folderMoveAccepted = async (): Promise<boolean> => {
    const moved = edited.find((f) => f.key === 'local_backup_dir');
    if (!moved) return true;
    const from = storedDraft(moved, byKey.get(moved.key));
    const answer = await confirm({
      title: 'Change the backup folder?',
      body: (
        <p>
          Backups in the old folder <code>{String(from)}</code> will no longer be listed here, nor rotated: they stay on disk, and you can copy them to{' '}
          <code>{String(draft[moved.key] ?? '')}</code> or change the folder back to see them again.
        </p>
      ),
      confirmLabel: 'Change folder',
    });
    return answer.confirmed;
  };
  const revert = (key: string): void =>
    setDraft((d) => {
      const { [key]: _removed, ...rest } = d;
      return rest;
    });

  /**
   * Saves every edited field in one request (PUT /api/settings): all or nothing. When the service refuses, it lists
   * every invalid field, each shown at its field, and nothing of the form was saved. Returns whether it was saved.
   */
  const save = async (): Promise<boolean> => {
    if (edited.length === 0) {
      setErrors({});
      if (!policyEdit) return true;
      if (!(await savePolicy())) return false;
      setStatus({ kind: 'ok', text: 'Setting saved.' });
      return true;
    }
    if (!(await folderMoveAccepted())) return false;
    setBusy('save');
    setStatus(null);
    const failed: Record<string, string> = {};
    // The API names a setting by its key; next to the field, its label reads better.
    const inWords = (key: string, message: string) => message.replace(new RegExp(`^${key}\\b`), fields.find((f) => f.key === key)?.label ?? key);
    try {
      const values = Object.fromEntries(edited.map((spec) => [spec.key, apiValue(spec, draft[spec.key] ?? null)]));
      await unwrap(api.PUT('/api/settings', { body: { values } }));
      setDraft({});
    } catch (error) {
      const invalid =
        error instanceof ApiError && Array.isArray(error.details.invalid) ? (error.details.invalid as Array<{ key: string; message: string }>) : [];
      for (const item of invalid) if (fields.some((f) => f.key === item.key)) failed[item.key] = inWords(item.key, item.message);
      if (Object.keys(failed).length === 0) {
        const key = error instanceof ApiError && error.key && fields.some((f) => f.key === error.key) ? error.key : undefined;
        if (key) failed[key] = inWords(key, errorMessage(error));
        else {
          setErrors({});
          setBusy(null);
          setStatus({ kind: 'error', text: `Nothing was saved: ${errorMessage(error)}` });
          return false;
        }
      }
    }
    setErrors(failed);
    await onSaved().catch(() => undefined);
    setBusy(null);
    const failures = Object.keys(failed);
    if (failures.length === 0) {
      if (!(await savePolicy())) return false;
      setStatus({ kind: 'ok', text: changes === 1 ? 'Setting saved.' : `${changes} settings saved.` });
      return true;
    }
    setStatus({
      kind: 'error',
      text: `Nothing was saved: ${failures.length === 1 ? 'one setting is' : `${failures.length} settings are`} not valid; see the field${failures.length === 1 ? '' : 's'} marked below.`,
    });
    const first = fields.find((f) => failures.includes(f.key));
    if (first) {
      // The field may be folded away (Backup Now saves too): open first, focus once it is shown.
      setOpen(true);
      setTimeout(() => document.getElementById(fieldId(first.key))?.focus(), 0);
    }
    return false;
  };

  /**
   * Saves the incremental policy when it was changed (PATCH /api/targets/{target} with incremental only). A refused
   * value shows at the field it names, and the stored policy stays as it was. Returns whether nothing is left unsaved.
   */
  const savePolicy = async (): Promise<boolean> => {
    if (!policyEdit || !targetDraft) {
      setPolicyErrors({});
      return true;
    }
    setBusy('save');
    try {
      await unwrap(api.PATCH('/api/targets/{id}', { params: { path: { id: target } }, body: { incremental: policyEdit } as TargetInput }));
      setPolicyDraft({});
      setPolicyErrors({});
      await onSaved().catch(() => undefined);
      return true;
    } catch (error) {
      const field = draftFieldOf(error, targetDraft) as IncrementalField | undefined;
      setPolicyErrors(field ? { [field]: errorMessage(error) } : {});
      setStatus({ kind: 'error', text: `The incremental backup policy was not saved: ${errorMessage(error)}` });
      if (field) {
        setOpen(true);
        setTimeout(() => document.getElementById(policyIdOf(field))?.focus(), 0);
      }
      return false;
    } finally {
      setBusy(null);
    }
  };

  const onSubmit = async (event: Event): Promise<void> => {
    event.preventDefault();
    if (busy) return;
    if (changes === 0) {
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
      const result = await slowTest.run((signal) => unwrap(api.POST('/api/backups/{target}/test', { params: { path: { target } }, signal })));
      setTest({ result, at: Date.now() });
    } catch (error) {
      setStatus({ kind: 'error', text: `Test Connection did not run: ${errorMessage(error)}` });
    } finally {
      setBusy(null);
    }
  };

  /** Back up now; with the incremental policy on, the kind the user chose (without one, the policy decides). */
  const backupNow = async (kind?: BackupKind): Promise<void> => {
    if (busy || isActive(job)) return;
    if (!(await save())) return;
    setBusy('backup');
    try {
      const started = await unwrap(api.POST('/api/backups/{target}', { params: { path: { target } }, ...(kind ? { body: { kind } } : {}) }));
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
        <button type="button" class="button button-small disclosure" aria-expanded={expanded} aria-controls={settingsId} onClick={() => void toggle()}>
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
          {targetDraft && <IncrementalPolicyFields draft={targetDraft} errors={policyErrors} idOf={policyIdOf} onChange={changePolicy} />}
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
          <BackupNowButtons
            incremental={info?.incremental.enabled === true}
            class="button"
            disabled={busy !== null || running}
            busy={busy === 'backup'}
            busyText={busy === 'backup' ? 'Starting…' : running ? (job?.kind === 'replication' ? 'Replication running…' : 'Backup running…') : null}
            onBackup={(kind) => void backupNow(kind)}
          />
        </div>
        {changes > 0 && !status && <p class="hint unsaved">Unsaved changes. Test Connection and Backup Now save them first.</p>}
        <div class="form-status" role="status">
          {status && <p class={status.kind === 'ok' ? 'status-ok' : 'status-error'}>{status.text}</p>}
        </div>
      </form>
      <SlowNotice slow={slowTest.slow} what="the connection test" onCancel={slowTest.cancel} />
      {test && <ConnectionTest result={test.result} kind={target === 'r2' ? 's3' : 'folder'} checkedAt={test.at} />}
      <JobStatus job={job} now={now} place={target === 'r2' ? 's3' : 'folder'} onCancel={() => void cancelBackup()} cancelling={busy === 'cancel'} />
      {footer}
    </section>
  );
}
