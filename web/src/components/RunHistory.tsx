import type { ComponentChildren } from 'preact';
import type { Run } from '../api/client';
import { kindLabel } from '../backup-chain';
import { diagnoseError, type PlaceKind } from '../diagnosis';
import { formatBytes, formatDateTime, formatDuration } from '../format';
import type { RunHistory as RunHistoryState } from '../hooks/useRunHistory';
import { isFailure, RUN_KIND_LABELS, RUN_KINDS, resultText, triggerText } from '../run-history';

interface RunHistoryProps {
  history: RunHistoryState;
  /** The targets the filter offers, in the page's order. */
  ids: readonly string[];
  nameOf: (target: string) => string;
  /** Where a target keeps its backups: a failure's diagnosis depends on it (diagnosis.ts). */
  kindOf: (target: string) => PlaceKind;
}

/**
 * Every backup, verification, rotation, replication and restore, newest first, failed ones included (a backup with
 * what it made in words: "Backup · Local folder · Incremental"): a failure is
 * marked ✗ with its word, headed by its diagnosis (the one the status strip and a failed backup give the same
 * code), its error code and its message, so it reads without colour.
 */
export function RunHistory({ history, ids, nameOf, kindOf }: RunHistoryProps) {
  const { runs, error, filter, setFilter, load } = history;
  let body: ComponentChildren;
  if (error && !runs) {
    body = (
      <div class="notice notice-error" role="alert">
        <p>The run history could not be loaded: {error}</p>
        <button type="button" class="button button-small" onClick={() => void load()}>
          Try again
        </button>
      </div>
    );
  } else if (!runs) {
    body = <p class="muted">Loading…</p>;
  } else if (runs.length === 0) {
    body = <p class="muted">{filter.target || filter.kind ? 'No runs match these filters yet.' : 'Nothing has run yet.'}</p>;
  } else {
    body = (
      <table class="backups run-history">
        <caption class="visually-hidden">Runs, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Started</th>
            <th scope="col">Run</th>
            <th scope="col">Result</th>
            <th scope="col">Duration</th>
            <th scope="col">Size</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <RunRow key={run.id} run={run} nameOf={nameOf} place={kindOf(run.target)} />
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <section class="card" aria-labelledby="runs-heading" data-section="run-history">
      <div class="list-head">
        <h2 id="runs-heading">Run history</h2>
        <button type="button" class="button button-small" onClick={() => void load()}>
          Refresh<span class="visually-hidden"> run history</span>
        </button>
      </div>
      <p class="hint">Every backup, verification, rotation, replication and restore, newest first, with why a failed one failed.</p>
      <div class="run-filters">
        <label>
          Target{' '}
          <select value={filter.target ?? ''} onChange={(e) => setFilter({ ...filter, target: e.currentTarget.value || null })}>
            <option value="">All targets</option>
            {ids.map((id) => (
              <option key={id} value={id}>
                {nameOf(id)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Kind{' '}
          <select value={filter.kind ?? ''} onChange={(e) => setFilter({ ...filter, kind: (e.currentTarget.value || null) as Run['kind'] | null })}>
            <option value="">All kinds</option>
            {RUN_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {RUN_KIND_LABELS[kind]}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && runs && (
        <p class="status-error" role="alert">
          The run history could not be refreshed: {error}
        </p>
      )}
      {body}
    </section>
  );
}

function RunRow({ run, nameOf, place }: { run: Run; nameOf: (target: string) => string; place: PlaceKind }) {
  const failed = isFailure(run);
  const diagnosis = failed && run.error_code ? diagnoseError(run.error_code, place) : null;
  return (
    <tr data-run={run.id} data-kind={run.kind} data-result={run.result} data-target={run.target} class={failed ? 'run-failed' : undefined}>
      <th scope="row" data-label="Started">
        <time dateTime={run.started_at}>{formatDateTime(run.started_at)}</time>
        <span class="filename">{triggerText(run.trigger)}</span>
      </th>
      <td data-label="Run">
        {RUN_KIND_LABELS[run.kind]} · {nameOf(run.target)}
        {run.backup_kind && <span class="run-backup-kind"> · {kindLabel(run.backup_kind)}</span>}
        {run.file && <span class="filename">{run.file}</span>}
      </td>
      <td data-label="Result">
        <span class={failed ? 'status-error' : run.result === 'succeeded' ? 'status-ok' : undefined}>{resultText(run)}</span>
        {diagnosis && (
          <span class="run-diagnosis">
            <strong>{diagnosis.heading}</strong> <span class="status-advice">{diagnosis.advice}</span>
          </span>
        )}
        {run.error_code && <code class="error-code">{run.error_code}</code>}
        {run.message && <span class={failed ? 'run-message run-message-error' : 'run-message'}>{run.message}</span>}
      </td>
      <td data-label="Duration">{formatDuration(run.duration_ms)}</td>
      <td data-label="Size">{formatBytes(run.size_bytes)}</td>
    </tr>
  );
}
