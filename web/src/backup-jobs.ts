/**
 * What the page reads from the backup jobs the API lists (newest first): plain functions, so the
 * live state's rules are tested without a browser (backup-jobs.spec.ts).
 */
import type { BackupJob, Target } from './api/client';

/** What these functions read of a job. */
type JobState = Pick<BackupJob, 'id' | 'target' | 'status'>;

export function isActive(job: Pick<BackupJob, 'status'> | undefined): boolean {
  return job?.status === 'queued' || job?.status === 'running';
}

/** The newest job of a target. */
export function latestJob<J extends JobState>(jobs: readonly J[], target: Target): J | undefined {
  return jobs.find((j) => j.target === target);
}

/** Per target, the newest job that has ended, as `id:status`: what the page has already seen end. */
export type SeenEnded = Partial<Record<Target, string>>;

/**
 * The jobs that ended since the last look: for each target, its newest ended job when that is not the
 * one seen before. Comparing the newest ended job (not watching a job go from running to ended) also
 * catches a job that started and ended between two looks, as when the browser slows the timers of a
 * page in the background. Without a previous look (`seen` null: the page just opened, or the service
 * is back after a restart) nothing counts as new: those jobs ended before the page was watching.
 */
export function endedSince<J extends JobState>(seen: SeenEnded | null, recent: readonly J[], targets: readonly Target[]): { ended: J[]; seen: SeenEnded } {
  const now: SeenEnded = {};
  const ended: J[] = [];
  for (const target of targets) {
    const job = recent.find((j) => j.target === target && !isActive(j));
    if (!job) continue;
    now[target] = `${job.id}:${job.status}`;
    if (seen && seen[target] !== now[target]) ended.push(job);
  }
  return { ended, seen: now };
}
