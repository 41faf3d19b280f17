import { type ComponentChildren, Fragment } from 'preact';
import { useRef, useState } from 'preact/hooks';
import { hasToken } from '../api/auth';
import { api, ApiError, type BackupFile, errorMessage, type Run, type Target, unwrap, type VerificationReport } from '../api/client';
import { dependsOn, kindLabel } from '../backup-chain';
import { type Diagnosis, diagnoseActionError, type PlaceKind } from '../diagnosis';
import { accessNeeded, shortRecipient } from '../encryption';
import { ageSeconds, formatAge, formatAgo, formatBytes, formatDateTime } from '../format';
import { useVerificationProgress } from '../hooks/useVerificationProgress';
import { describeProgress } from '../progress';
import { verificationMark } from '../run-history';
import { forPeople } from '../words';
import { type ArchiveAccess, useArchiveAccess } from './ArchiveAccessDialog';
import { useConfirm } from './ConfirmDialog';
import { useSlowRequest } from '../hooks/useSlowRequest';
import { SlowNotice } from './SlowNotice';
import { RowMenu } from './RowMenu';
import { Verification } from './Verification';

export interface ListState {
  files: BackupFile[] | null;
  error: ApiError | null;
  loading: boolean;
}

interface BackupListProps {
  target: Target;
  /** The target's name on the page. */
  name: string;
  /** Where the target keeps its backups: an action's failure is diagnosed by it (diagnosis.ts). */
  place: PlaceKind;
  /** The targets that replicate from this one: each backup row says which of them hold a copy. */
  replicas: readonly { id: string; name: string }[];
  state: ListState;
  reload: () => Promise<void>;
  onRestore: (target: Target, file: BackupFile) => Promise<void>;
  /** The newest kept verification of each backup file (GET /api/runs): the row's "✓ Verified <date>" mark. */
  verified: ReadonlyMap<string, Run>;
  /** A verification ended (or could not run): the kept results are read again. */
  onVerified: () => void;
  /** The page's clock: the ages move on with it rather than stay as they were when the list was read. */
  now: number;
}

type VerifyState = { running: true } | { report: VerificationReport } | { error: string };

function downloadUrl(target: Target, filename: string): string {
  return `/api/backups/${target}/${encodeURIComponent(filename)}/download`;
}

/** Whose a backup that is not this installation's is, in words. */
function ownerText(file: BackupFile): string {
  return file.installation_id === null
    ? 'no owner recorded, another installation shares this place'
    : `made by installation ${file.installation_id.slice(0, 8)}…`;
}

/** A lock and the key(s) an encrypted backup needs; "Not made by this installation" when its provenance is unknown. */
function ArchiveMarks({ file }: { file: BackupFile }) {
  const recipients = file.recipients ?? [];
  return (
    <>
      {file.encrypted && (
        <span class="lock-tag">
          <svg class="lock-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">
            <path d="M4 7V5a4 4 0 0 1 8 0v2h1v8H3V7h1zm2 0h4V5a2 2 0 0 0-4 0v2z" fill="currentColor" />
          </svg>
          Encrypted
          {recipients.length > 0 && (
            <span class="key-needed">
              {' '}
              · key{' '}
              {recipients.map((r, i) => (
                <Fragment key={r}>
                  {i > 0 && ', '}
                  <code title={r} data-recipient={r}>
                    <span aria-hidden="true">{shortRecipient(r)}</span>
                    <span class="visually-hidden">{r}</span>
                  </code>
                </Fragment>
              ))}
            </span>
          )}
        </span>
      )}
      {file.made_here === false && <span class="provenance-tag">Not made by this installation</span>}
    </>
  );
}

/** The point's kind in words ("Full" / "Incremental"), and for an increment what it is restored from. */
function ChainMark({ file, files }: { file: BackupFile; files: readonly BackupFile[] }) {
  const needs = dependsOn(file, files);
  return (
    <span class="chain-mark" data-kind={file.kind}>
      <span class={`kind-tag kind-${file.kind}`}>{kindLabel(file.kind)}</span>
      {needs && <span class="chain-needs"> {needs}</span>}
    </span>
  );
}

/** A long list shows its newest backups first, the rest behind "Show all N". */
const FIRST_SHOWN = 10;

const FULL_VERIFICATION =
  'Only the stored archive was checked (its size and SHA-256 against the record of its upload): give its recovery key to decrypt it and check every database.';

function byNewest(a: BackupFile, b: BackupFile): number {
  return b.created_at.localeCompare(a.created_at);
}

/** Which replicas hold a checked copy of a backup, which do not, and which could not be asked. */
function ReplicaState({ file, replicas }: { file: BackupFile; replicas: BackupListProps['replicas'] }) {
  return (
    <ul class="replica-state">
      {replicas.map((replica) => {
        const state = file.replicas.includes(replica.id) ? 'held' : file.replicas_unknown.includes(replica.id) ? 'unknown' : 'missing';
        return (
          <li key={replica.id} class={`replica replica-${state}`} data-replica={replica.id} data-state={state}>
            <span aria-hidden="true">{state === 'held' ? '✓' : state === 'unknown' ? '?' : '✗'}</span> {replica.name}:{' '}
            {state === 'held' ? 'copied' : state === 'unknown' ? 'unknown (unreachable)' : 'missing'}
          </li>
        );
      })}
    </ul>
  );
}

/** The backup's newest kept verification: "✓ Verified <date>" or "✗ Verification failed <date>: reason"; nothing when never verified. */
function VerificationMark({ run }: { run: Run | undefined }) {
  if (!run) return null;
  const mark = verificationMark(run);
  return (
    <span class={`verification-mark ${mark.ok ? 'status-ok' : 'status-error'}`} data-verification={mark.ok ? 'passed' : 'failed'}>
      {forPeople(mark.text)}
    </span>
  );
}

/** Every backup of one target, newest first (the newest 10 until "Show all"), each with its actions menu. */
export function BackupList({ target, name, place, replicas, state, reload, onRestore, verified, onVerified, now }: BackupListProps) {
  const confirm = useConfirm();
  const slowVerify = useSlowRequest();
  const askAccess = useArchiveAccess();
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string; diagnosis?: Diagnosis | null } | null>(null);
  const [verifications, setVerifications] = useState<Record<string, VerifyState>>({});
  const progress = useVerificationProgress(
    target,
    Object.values(verifications).some((state) => 'running' in state),
  );
  const heading = useRef<HTMLHeadingElement>(null);
  const headingId = `backups-${target}-heading`;
  const [showAll, setShowAll] = useState(false);
  const files = state.files ? [...state.files].sort(byNewest) : null;
  const shown = files && !showAll ? files.slice(0, FIRST_SHOWN) : files;
  const total = files?.reduce((sum, f) => sum + f.size_bytes, 0) ?? 0;

  const remove = async (file: BackupFile): Promise<void> => {
    const answer = await confirm({
      title: 'Delete this backup?',
      body: (
        <p>
          <strong class="filename">{file.filename}</strong> ({formatBytes(file.size_bytes)}, made {formatAgo(file.created_at)}) will be deleted from {name}.
          This cannot be undone.
          {!file.own && (
            <>
              {' '}
              <strong>It is not this installation’s backup</strong> ({ownerText(file)}): it may be that installation’s only backup.
            </>
          )}
        </p>
      ),
      confirmLabel: 'Delete backup',
      danger: true,
    });
    if (!answer.confirmed) return;
    try {
      // The user has just confirmed deleting another installation's backup, as the API requires.
      const query = file.own ? {} : { confirm_foreign: 'true' as const };
      await unwrap(api.DELETE('/api/backups/{target}/{filename}', { params: { path: { target, filename: file.filename }, query } }));
      setMessage({ kind: 'ok', text: `Deleted ${file.filename}.` });
    } catch (error) {
      const diagnosis = error instanceof ApiError ? diagnoseActionError(error.code, place) : null;
      setMessage({ kind: 'error', text: `${file.filename} was not deleted: ${errorMessage(error)}`, diagnosis });
    }
    await reload();
    heading.current?.focus();
  };

  const adopt = async (file: BackupFile): Promise<void> => {
    const answer = await confirm({
      title: 'Adopt this backup?',
      body: (
        <p>
          <strong class="filename">{file.filename}</strong> ({ownerText(file)}) becomes this installation’s own: its rotation will delete it once it is older
          than the retention days, and the other installation’s rotation will no longer count it.
        </p>
      ),
      confirmLabel: 'Adopt backup',
    });
    if (!answer.confirmed) return;
    try {
      await unwrap(api.POST('/api/backups/{target}/{filename}/adopt', { params: { path: { target, filename: file.filename } } }));
      setMessage({ kind: 'ok', text: `${file.filename} is now this installation’s backup.` });
    } catch (error) {
      setMessage({ kind: 'error', text: `${file.filename} was not adopted: ${errorMessage(error)}` });
    }
    await reload();
    heading.current?.focus();
  };

  /**
   * Verify. A backup whose key the server does not hold: a refusal (no key, no record) opens the dialog
   * that asks for the recovery key; a limited report (write-only mode) offers it for a full verification.
   */
  const verify = async (file: BackupFile, firstRefusal?: ApiError): Promise<void> => {
    if (verifications[file.filename] && 'running' in (verifications[file.filename] as VerifyState)) return;
    const set = (v: VerifyState | null): void =>
      setVerifications((all) => {
        const { [file.filename]: _old, ...rest } = all;
        return v ? { ...rest, [file.filename]: v } : rest;
      });
    const previous = verifications[file.filename] ?? null;
    set({ running: true });
    const attempt = async (access: ArchiveAccess = {}): Promise<void> => {
      // The identity, when there is one, goes in this request's body only.
      const body = access.identity ? { identity: access.identity } : {};
      set({
        report: await slowVerify.run((signal) =>
          unwrap(api.POST('/api/backups/{target}/{filename}/verify', { params: { path: { target, filename: file.filename } }, body, signal })),
        ),
      });
      onVerified();
    };
    try {
      if (firstRefusal) throw firstRefusal;
      await attempt();
    } catch (error) {
      // The service kept the result (a verification that could not run too): the row's mark shows it.
      onVerified();
      if (!accessNeeded(error)) return set({ error: errorMessage(error) });
      try {
        if (!(await askAccess({ action: 'verify', filename: file.filename, error, attempt }))) set(previous);
      } catch (e) {
        set({ error: errorMessage(e) });
      }
    }
  };

  /**
   * Without a token the link downloads as any link does. With one, the browser cannot send it with a link, and fetching
   * the archive would hold all of it in this page (a Blob) before saving: so the page asks for a single-use link with the
   * token and lets the browser download that, streamed to disk by its download manager. The token never goes in a URL.
   */
  const download = async (event: MouseEvent, file: BackupFile): Promise<void> => {
    if (!hasToken()) return;
    event.preventDefault();
    try {
      const link = await unwrap(api.POST('/api/backups/{target}/{filename}/download-link', { params: { path: { target, filename: file.filename } } }));
      const anchor = document.createElement('a');
      anchor.href = link.url;
      anchor.download = file.filename;
      anchor.click();
      setMessage({
        kind: 'ok',
        text: `Download of ${file.filename} started: your browser saves it as it arrives. If its downloads list shows it failed, click Download again (each link works once).`,
      });
    } catch (error) {
      setMessage({ kind: 'error', text: `${file.filename} could not be downloaded: ${errorMessage(error)}` });
    }
  };

  let body: ComponentChildren;
  if (state.error) {
    const notConfigured = state.error.code === 'STORAGE_NOT_CONFIGURED';
    body = notConfigured ? (
      <div class="notice">
        <div>
          <p>
            <strong>Not set up yet.</strong> Enter the {name} settings above, Save, then Test Connection.
          </p>
          <p class="hint">{forPeople(state.error.message)}</p>
        </div>
      </div>
    ) : (
      <div class="notice notice-error" role="alert">
        <p>The backups could not be listed: {forPeople(state.error.message)}</p>
        <button type="button" class="button button-small" onClick={() => void reload()}>
          Try again
        </button>
      </div>
    );
  } else if (!files) {
    body = <p class="muted">Loading…</p>;
  } else if (files.length === 0) {
    body = <p class="muted">No backups yet.</p>;
  } else {
    body = (
      <table class="backups">
        <caption class="visually-hidden">Backups in {name}, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Created</th>
            <th scope="col">Age</th>
            <th scope="col">Size</th>
            {replicas.length > 0 && <th scope="col">Replicas</th>}
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(shown ?? []).map((file) => {
            const verification = verifications[file.filename];
            const verifying = verification !== undefined && 'running' in verification;
            return (
              <Fragment key={file.filename}>
                <tr data-filename={file.filename}>
                  <th scope="row" data-label="Created">
                    <time dateTime={file.created_at}>{formatDateTime(file.created_at)}</time>
                    <span class="filename">{file.filename}</span>
                    <ChainMark file={file} files={files} />
                    <ArchiveMarks file={file} />
                    {!file.own && <span class="owner-tag">{ownerText(file)}</span>}
                    <VerificationMark run={verified.get(file.filename)} />
                  </th>
                  <td data-label="Age">{formatAge(ageSeconds(file.created_at, now))}</td>
                  <td data-label="Size">{formatBytes(file.size_bytes)}</td>
                  {replicas.length > 0 && (
                    <td data-label="Replicas">
                      <ReplicaState file={file} replicas={replicas} />
                    </td>
                  )}
                  <td class="row-actions">
                    <RowMenu
                      subject={file.filename}
                      items={[
                        { label: 'Restore', onSelect: () => void onRestore(target, file) },
                        { label: verifying ? 'Verifying…' : 'Verify', busy: verifying, onSelect: () => void verify(file) },
                        {
                          label: 'Download',
                          href: downloadUrl(target, file.filename),
                          download: file.filename,
                          onSelect: (e) => void download(e, file),
                        },
                        ...(file.own ? [] : [{ label: 'Adopt', onSelect: () => void adopt(file) }]),
                        { label: 'Delete', danger: true, onSelect: () => void remove(file) },
                      ]}
                    />
                  </td>
                </tr>
                {verifying && progress.running?.filename === file.filename && progress.running.archive_bytes > 0 && (
                  <tr class="row-result">
                    <td colSpan={replicas.length > 0 ? 5 : 4}>
                      <p class="job-timing" data-verification-progress>
                        Verifying: {formatBytes(Math.min(progress.running.bytes_read, progress.running.archive_bytes))} of{' '}
                        {formatBytes(progress.running.archive_bytes)} read ·{' '}
                        {describeProgress({
                          bytesDone: progress.running.bytes_read,
                          bytesTotal: progress.running.archive_bytes,
                          startedAt: progress.running.started_at,
                          now: progress.now,
                        })}
                      </p>
                    </td>
                  </tr>
                )}
                {verification && !verifying && (
                  <tr class="row-result">
                    <td colSpan={replicas.length > 0 ? 5 : 4}>
                      {'report' in verification ? (
                        <Verification
                          report={verification.report}
                          onClose={() => setVerifications(({ [file.filename]: _v, ...rest }) => rest)}
                          onVerifyWithKey={() => void verify(file, new ApiError(422, 'ENCRYPTION_KEY_REQUIRED', FULL_VERIFICATION))}
                        />
                      ) : (
                        <p class="status-error" role="alert">
                          {file.filename} could not be verified: {verification.error}
                        </p>
                      )}
                    </td>
                  </tr>
                )}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    );
    if (files.length > FIRST_SHOWN && !showAll) {
      body = (
        <>
          {body}
          <p class="list-more">
            Showing the newest {FIRST_SHOWN}.{' '}
            <button type="button" class="button button-small" onClick={() => setShowAll(true)}>
              Show all {files.length}
              <span class="visually-hidden"> {name} backups</span>
            </button>
          </p>
        </>
      );
    }
  }

  return (
    <section class="backup-list" aria-label={`${name} backups`} data-target={target}>
      <div class="list-head">
        <h3 id={headingId} ref={heading} tabIndex={-1}>
          {name}
          {files && files.length > 0 && (
            <span class="list-summary">
              {' '}
              · {files.length} {files.length === 1 ? 'backup' : 'backups'}, {formatBytes(total)}
            </span>
          )}
        </h3>
        <button type="button" class="button button-small" aria-busy={state.loading} onClick={() => void reload()}>
          {state.loading ? 'Refreshing…' : 'Refresh'}
          <span class="visually-hidden"> {name} backups</span>
        </button>
      </div>
      <div role="status" class="list-status">
        {message && (
          <p class={message.kind === 'ok' ? 'status-ok' : 'status-error'}>
            {message.diagnosis && (
              <>
                <strong class="list-diagnosis">{message.diagnosis.heading}</strong>:{' '}
              </>
            )}
            {message.text}
            {message.diagnosis && <span class="status-advice"> {message.diagnosis.advice}</span>}
          </p>
        )}
      </div>
      <SlowNotice slow={slowVerify.slow} what="the verification" onCancel={slowVerify.cancel} />
      {body}
    </section>
  );
}
