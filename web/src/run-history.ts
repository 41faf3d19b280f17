import type { Run } from './api/client';
import { formatDateTime } from './format';

/** The kinds of run, in the order the kind filter offers them. */
export const RUN_KINDS: readonly Run['kind'][] = ['backup', 'verification', 'rotation', 'replication', 'restore'];

export const RUN_KIND_LABELS: Record<Run['kind'], string> = {
  backup: 'Backup',
  verification: 'Verification',
  rotation: 'Rotation',
  replication: 'Replication',
  restore: 'Restore',
};

const RESULT_LABELS: Record<string, string> = {
  succeeded: 'Succeeded',
  failed: 'Failed',
  cancelled: 'Cancelled',
  queued: 'Queued',
  running: 'Running',
  staged: 'Staged',
  rolled_back: 'Rolled back',
};

const TRIGGER_LABELS: Record<string, string> = {
  manual: 'Manual',
  scheduled: 'Scheduled',
  cli: 'Command line',
  after_backup: 'After a backup',
  startup: 'At start',
};

/** What the two filters of the run history chose; null: every target, every kind. */
export interface RunFilter {
  target: string | null;
  kind: Run['kind'] | null;
}

/** The query of GET /api/runs for a filter (absent parameters: all). */
export function runsQuery(filter: RunFilter, limit: number): { target?: string; kind?: Run['kind']; limit: number } {
  return { ...(filter.target ? { target: filter.target } : {}), ...(filter.kind ? { kind: filter.kind } : {}), limit };
}

/** A run that went wrong: failed, or an apply undone. Shown with ✗ and the word, not by colour alone. */
export function isFailure(run: Pick<Run, 'result'>): boolean {
  return run.result === 'failed' || run.result === 'rolled_back';
}

/** The result in words with a mark that does not depend on colour: "✓ Succeeded", "✗ Failed", "Cancelled". */
export function resultText(run: Pick<Run, 'result'>): string {
  const label = RESULT_LABELS[run.result] ?? run.result;
  if (isFailure(run)) return `✗ ${label}`;
  if (run.result === 'succeeded') return `✓ ${label}`;
  return label;
}

export function triggerText(trigger: string): string {
  return TRIGGER_LABELS[trigger] ?? trigger;
}

/**
 * The newest verification of each backup file of `target`, from verification rows (any order). A verification
 * that could not run counts too: the row says it failed and why.
 */
export function latestVerifications(runs: readonly Run[], target: string): Map<string, Run> {
  const latest = new Map<string, Run>();
  for (const run of runs) {
    if (run.kind !== 'verification' || run.target !== target || !run.file) continue;
    const known = latest.get(run.file);
    if (!known || (run.finished_at ?? run.started_at) > (known.finished_at ?? known.started_at)) latest.set(run.file, run);
  }
  return latest;
}

/** A backup row's verification mark: "✓ Verified <date>" or "✗ Verification failed <date>: <reason>". */
export function verificationMark(run: Run, formatTime: (iso: string) => string = formatDateTime): { ok: boolean; text: string } {
  const when = formatTime(run.finished_at ?? run.started_at);
  if (run.result === 'succeeded') return { ok: true, text: `✓ Verified ${when}` };
  return { ok: false, text: `✗ Verification failed ${when}: ${run.message ?? run.error_code ?? 'no reason recorded'}` };
}
