import type { BackupJob } from './api/client';

/** One ended backup as the trend chart shows it. */
export interface TrendRun {
  /** When it ended, ms since the epoch. */
  at: number;
  /** The archive's size; null for a failed run. */
  size: number | null;
  durationMs: number | null;
  /** Why it failed; null for a run that succeeded. */
  failure: { code: string; message: string } | null;
  filename: string | null;
}

/** The ended backups (not replications) of each target, oldest first. */
export function trendRunsByTarget(jobs: readonly BackupJob[]): Map<string, TrendRun[]> {
  const byTarget = new Map<string, TrendRun[]>();
  for (const job of jobs) {
    if (job.kind !== 'backup' || !job.finished_at) continue;
    if (job.status !== 'succeeded' && job.status !== 'failed') continue;
    const at = Date.parse(job.finished_at);
    if (!Number.isFinite(at)) continue;
    const failed = job.status === 'failed';
    if (!failed && job.size_bytes === null) continue;
    const run: TrendRun = {
      at,
      size: failed ? null : job.size_bytes,
      durationMs: job.duration_ms,
      failure: failed ? { code: job.error_code ?? 'BACKUP_FAILED', message: job.error ?? 'no reason recorded' } : null,
      filename: job.filename,
    };
    byTarget.set(job.target, [...(byTarget.get(job.target) ?? []), run]);
  }
  for (const runs of byTarget.values()) runs.sort((a, b) => a.at - b.at);
  return byTarget;
}

export interface BytesAdded {
  /** The latest archive's size minus the one before it (negative when the databases shrank). */
  latest: number;
  /** The mean of that difference over every pair of successive archives. */
  average: number;
}

/** What each successful backup added over the one before; null before there are two. */
export function bytesAdded(runs: readonly TrendRun[]): BytesAdded | null {
  const sizes = runs.filter((r) => r.size !== null).map((r) => r.size as number);
  if (sizes.length < 2) return null;
  const deltas = sizes.slice(1).map((size, i) => size - (sizes[i] as number));
  return { latest: deltas[deltas.length - 1] as number, average: deltas.reduce((a, b) => a + b, 0) / deltas.length };
}

/** "1 of 4 runs failed (25 %)", the share in the locale's way of writing percentages; "No failed runs (of 3)" when none. */
export function failureShare(runs: readonly TrendRun[], locale?: string): string {
  const failed = runs.filter((r) => r.failure).length;
  if (failed === 0) return `No failed runs (of ${runs.length})`;
  const share = new Intl.NumberFormat(locale, { style: 'percent', maximumFractionDigits: 1 }).format(failed / runs.length);
  return `${failed} of ${runs.length} ${runs.length === 1 ? 'run' : 'runs'} failed (${share})`;
}
