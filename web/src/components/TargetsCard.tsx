import { useContext, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  type BackupJob,
  type ConnectionTestResult,
  errorMessage,
  type Schedule,
  type TargetInfo,
  type TargetInput,
  unwrap,
} from '../api/client';
import { isActive, latestJob } from '../backup-jobs';
import { formatBytes, formatDateTime } from '../format';
import { scheduleWords, targetPlace } from '../target-form';
import { type BackupKind, BackupNowButtons } from './BackupNowButtons';
import { useConfirm } from './ConfirmDialog';
import { ConnectionTest } from './ConnectionTest';
import { SlowNotice } from './SlowNotice';
import { useSlowRequest } from '../hooks/useSlowRequest';
import { ServiceDown } from '../service-down';
import { JobStatus } from './JobStatus';
import { TargetForm } from './TargetForm';

interface TargetsCardProps {
  targets: TargetInfo[] | null;
  error: string | null;
  /** The schedules as the API describes them (in words, with the time zone), when it has them. */
  schedules: readonly Schedule[];
  /** The service's time zone (TZ), when known: the schedule choices say their time in it and in the reader's. */
  serviceZone?: string;
  /** Loads the targets again after a change (and whatever depends on them). */
  onChanged: () => Promise<void>;
  onJobStarted: (job: BackupJob) => void;
  /** The recent jobs: an added target's row shows its newest (the built-ins' show in their cards). */
  jobs: readonly BackupJob[];
  now: number;
  nameOf: (id: string) => string;
}

type Message = { kind: 'ok' | 'error'; text: string } | null;

/** The API's 409 for a target that still holds backups (or whose backups cannot be listed): it asks for ?confirm=true. */
function holdsBackups(error: unknown): error is ApiError {
  return error instanceof ApiError && error.status === 409 && 'backups' in error.details;
}

/**
 * Every backup destination from GET /api/targets, with Add, Edit, Test Connection, Backup Now, Sync Now and
 * Delete. The built-in local and r2 are edited in their own cards above: those cards hold everything the API
 * maps onto their settings keys, plus what the target model has no field for (R2's account ID, values taken
 * from the environment); a second form for the same keys would only make two places to change one thing.
 */
export function TargetsCard({ targets, error, schedules, serviceZone, onChanged, onJobStarted, jobs, now, nameOf }: TargetsCardProps) {
  const confirm = useConfirm();
  /** The open form: a target's id, 'new', or none (one form at a time keeps its field ids unique). */
  const [editing, setEditing] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  /** Each target's last Test Connection and when it was checked; a save of the target clears it (it tested the old settings). */
  const [tests, setTests] = useState<Record<string, { result: ConnectionTestResult; at: number } | 'running'>>({});
  const slowTest = useSlowRequest();
  const down = useContext(ServiceDown);
  const all = targets ?? [];

  const save = async (target: TargetInfo | null, body: TargetInput): Promise<TargetInfo> => {
    const saved = target
      ? await unwrap(api.PATCH('/api/targets/{id}', { params: { path: { id: target.id } }, body }))
      : await unwrap(api.POST('/api/targets', { body }));
    setTests(({ [saved.id]: _old, ...rest }) => rest);
    await onChanged();
    return saved;
  };

  const closed = (saved: TargetInfo | null, wasNew: boolean): void => {
    const from = editing;
    setEditing(null);
    if (saved) setMessage({ kind: 'ok', text: wasNew ? `Target ${saved.label} added.` : `Target ${saved.label} saved.` });
    // Back to the button that opened the form.
    setTimeout(() => document.getElementById(from === 'new' || !from ? 'targets-add' : `target-${from}-edit`)?.focus(), 0);
  };

  const remove = async (target: TargetInfo): Promise<void> => {
    const first = await confirm({
      title: `Delete target ${target.label}?`,
      body: (
        <p>
          The service forgets <strong>{target.label}</strong> ({targetPlace(target)}): it stops backing up to it, listing, rotating and restoring its backups.
          The backups themselves are not deleted.
        </p>
      ),
      confirmLabel: 'Delete target',
      danger: true,
    });
    if (!first.confirmed) return;
    const attempt = (confirmed: boolean) =>
      unwrap(api.DELETE('/api/targets/{id}', { params: { path: { id: target.id }, query: confirmed ? { confirm: 'true' } : {} } }));
    try {
      let answer;
      try {
        answer = await attempt(false);
      } catch (error) {
        if (!holdsBackups(error)) throw error;
        // The API's own words: how many backups it holds, and where they stay.
        const second = await confirm({
          title: `${target.label} still holds backups`,
          body: <p>{error.message.replace(/;? ?to delete it anyway, send DELETE \S+$/, '.')}</p>,
          confirmLabel: 'Delete target, keep its backups',
          danger: true,
        });
        if (!second.confirmed) return;
        answer = await attempt(true);
      }
      const left = answer.backups_left;
      setMessage({
        kind: 'ok',
        text: `Target ${target.label} deleted.${left ? ` ${left === 1 ? 'Its backup stays' : `Its ${left} backups stay`} in ${targetPlace(target)}.` : ''}`,
      });
      await onChanged();
      document.getElementById('targets-add')?.focus();
    } catch (error) {
      setMessage({ kind: 'error', text: `${target.label} was not deleted: ${errorMessage(error)}` });
    }
  };

  const test = async (target: TargetInfo): Promise<void> => {
    setTests((t) => ({ ...t, [target.id]: 'running' }));
    try {
      const result = await slowTest.run((signal) => unwrap(api.POST('/api/targets/{id}/test', { params: { path: { id: target.id } }, signal })));
      setTests((t) => ({ ...t, [target.id]: { result, at: Date.now() } }));
    } catch (error) {
      setTests(({ [target.id]: _old, ...rest }) => rest);
      setMessage({ kind: 'error', text: `Test Connection of ${target.label} did not run: ${errorMessage(error)}` });
    }
  };

  /** Back up now; with the incremental policy on, the kind the user chose (the policy decides without one). */
  const backup = async (target: TargetInfo, kind?: BackupKind): Promise<void> => {
    try {
      onJobStarted(await unwrap(api.POST('/api/backups/{target}', { params: { path: { target: target.id } }, ...(kind ? { body: { kind } } : {}) })));
      setMessage(null);
    } catch (error) {
      setMessage({ kind: 'error', text: `The backup to ${target.label} did not start: ${errorMessage(error)}` });
    }
  };

  /** Sync now: the dry run's list first, then the copy once confirmed. */
  const sync = async (target: TargetInfo): Promise<void> => {
    const source = nameOf(target.replicate_from ?? '');
    try {
      const plan = await unwrap(api.POST('/api/targets/{id}/sync', { params: { path: { id: target.id }, query: { dry_run: 'true' } } }));
      if (!('copies' in plan)) throw new Error('the service started a sync instead of listing it');
      if (plan.copies.length === 0) {
        setMessage({ kind: 'ok', text: `${target.label} already holds every backup of ${source}: nothing to copy.` });
        return;
      }
      const answer = await confirm({
        title: `Copy ${plan.copies.length} backup${plan.copies.length === 1 ? '' : 's'} to ${target.label}?`,
        body: (
          <>
            <p>
              From {source}, oldest first ({formatBytes(plan.bytes_total)}); each copy is checked on arrival:
            </p>
            <ul class="sync-plan">
              {plan.copies.map((copy) => (
                <li key={copy.filename}>
                  <span class="filename">{copy.filename}</span> ({formatDateTime(copy.created_at)}, {formatBytes(copy.size_bytes)}
                  {copy.reason === 'unverified' ? ', there but never checked' : ''})
                </li>
              ))}
            </ul>
            {plan.skipped.length > 0 && <p class="hint">Left alone: {plan.skipped.map((s) => `${s.filename} (${s.reason})`).join('; ')}</p>}
          </>
        ),
        confirmLabel: 'Copy now',
      });
      if (!answer.confirmed) return;
      const job = await unwrap(api.POST('/api/targets/{id}/sync', { params: { path: { id: target.id } } }));
      if ('copies' in job) throw new Error('the service listed the sync instead of starting it');
      onJobStarted(job);
      setMessage(null);
    } catch (error) {
      setMessage({ kind: 'error', text: `Sync to ${target.label} did not start: ${errorMessage(error)}` });
    }
  };

  /** The schedule in words, with the zone its time is in (the service's). */
  const words = (target: TargetInfo): string => {
    const text = schedules.find((s) => s.target === target.id && s.task === 'backup')?.description ?? scheduleWords(target);
    return serviceZone && /\d\d:\d\d/.test(text) ? `${text} (${serviceZone})` : text;
  };

  return (
    <section class="card targets-list" aria-labelledby="targets-heading" data-section="targets">
      <h2 id="targets-heading">Targets</h2>
      <p class="card-intro">
        Every place backups go. Add a folder (a NAS or USB disk mounted here) or another S3-compatible store; a target that replicates from another gets a
        checked copy of each of its backups. Cloudflare R2 and the local folder are set up in their cards above.
      </p>
      {error && (
        <div class="notice notice-error" role="alert">
          <p>The targets could not be loaded: {error}</p>
          <button type="button" class="button button-small" onClick={() => void onChanged()}>
            Try again
          </button>
        </div>
      )}
      <ul class="target-rows">
        {all.map((target) => {
          const result = tests[target.id];
          const job = latestJob(jobs, target.id);
          return (
            <li key={target.id} class="target-row" data-target={target.id} aria-labelledby={`target-${target.id}-name`}>
              <div class="target-row-head">
                <strong id={`target-${target.id}-name`}>{target.label}</strong> <code>{target.id}</code>
                <span class={`badge ${target.enabled ? 'badge-ok' : ''}`}>{target.enabled ? 'Enabled' : 'Disabled'}</span>
              </div>
              <dl class="target-facts">
                <dt>Kind</dt>
                <dd>{target.kind === 's3' ? 'S3-compatible store' : 'Folder'}</dd>
                <dt>Where</dt>
                <dd>{targetPlace(target)}</dd>
                <dt>Schedule</dt>
                <dd>{words(target)}</dd>
                <dt>Replicates from</dt>
                <dd>{target.replicate_from ? nameOf(target.replicate_from) : 'none'}</dd>
              </dl>
              {editing === target.id ? (
                <TargetForm
                  target={target}
                  targets={all}
                  serviceZone={serviceZone}
                  onSave={(body) => save(target, body)}
                  onClose={(saved) => closed(saved, false)}
                />
              ) : (
                <div class="actions">
                  {target.built_in ? (
                    <a class="button button-small" href={`#target-${target.id}-heading`} aria-disabled={down || undefined}>
                      Edit in its card<span class="visually-hidden"> {target.label}</span>
                    </a>
                  ) : (
                    <button type="button" id={`target-${target.id}-edit`} class="button button-small" onClick={() => setEditing(target.id)}>
                      Edit<span class="visually-hidden"> {target.label}</span>
                    </button>
                  )}
                  <button
                    type="button"
                    class="button button-small"
                    aria-busy={result === 'running'}
                    aria-disabled={result === 'running'}
                    onClick={() => result !== 'running' && void test(target)}
                  >
                    {result === 'running' ? 'Testing…' : 'Test Connection'}
                    <span class="visually-hidden"> {target.label}</span>
                  </button>
                  <BackupNowButtons
                    incremental={target.incremental.enabled}
                    class="button button-small"
                    disabled={isActive(job)}
                    busyText={isActive(job) ? 'Running…' : null}
                    hiddenSuffix={target.label}
                    onBackup={(kind) => void backup(target, kind)}
                  />
                  {target.replicate_from && (
                    <button type="button" class="button button-small" onClick={() => void sync(target)}>
                      Sync Now<span class="visually-hidden"> {target.label}</span>
                    </button>
                  )}
                  {!target.built_in && (
                    <button type="button" class="button button-small button-danger-quiet" onClick={() => void remove(target)}>
                      Delete<span class="visually-hidden"> {target.label}</span>
                    </button>
                  )}
                </div>
              )}
              {result === 'running' && <SlowNotice slow={slowTest.slow} what="the connection test" onCancel={slowTest.cancel} />}
              {result && result !== 'running' && <ConnectionTest result={result.result} kind={target.kind} checkedAt={result.at} />}
              {!target.built_in && <JobStatus job={job} now={now} place={target.kind} />}
            </li>
          );
        })}
      </ul>
      {editing === 'new' ? (
        <TargetForm target={null} targets={all} serviceZone={serviceZone} onSave={(body) => save(null, body)} onClose={(saved) => closed(saved, true)} />
      ) : (
        <button type="button" id="targets-add" class="button" onClick={() => setEditing('new')}>
          Add target
        </button>
      )}
      <div class="form-status" role="status">
        {message && <p class={message.kind === 'ok' ? 'status-ok' : 'status-error'}>{message.text}</p>}
      </div>
    </section>
  );
}
