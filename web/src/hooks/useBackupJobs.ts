import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, type BackupJob, unwrap } from '../api/client';
import { endedSince, isActive, type SeenEnded } from '../backup-jobs';
import { usePolling } from './usePolling';

/** The live state's pace: every second while a backup runs, every ten otherwise. */
const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 10_000;
const RECENT_JOBS = 20;
/** Enough runs for the size trend's chart. */
const HISTORY_JOBS = 1000;

export interface BackupJobsOptions {
  /** Polls while on (off while the service restarts; on again, it starts afresh). */
  enabled: boolean;
  /** The targets whose jobs are watched (every one GET /api/targets lists), and their names. */
  targets: readonly string[];
  nameOf: (target: string) => string;
  announce: (text: string) => void;
  /** A backup ended with a new archive at its target. */
  onSucceeded: (job: BackupJob) => void;
  /** A backup ended, whatever its outcome (the status at the top changes). */
  onEnded?: (job: BackupJob) => void;
  /** Every answer of the live state (fresh progress: the relative times may move on too). */
  onPolled: () => void;
}

export interface BackupJobs {
  /** The recent jobs, newest first: the live state of each target. */
  jobs: BackupJob[];
  /** Every recent run, for the size trend's chart. */
  history: BackupJob[];
  /** Shows a job the page just started at once, and polls fast until it ends. */
  started: (job: BackupJob) => void;
}

/**
 * The backup jobs: the recent ones polled (fast while one runs), and the history for the chart. A job
 * that ends is announced and reloads the chart; one that succeeded tells `onSucceeded`.
 */
export function useBackupJobs({ enabled, targets, nameOf, announce, onSucceeded, onEnded, onPolled }: BackupJobsOptions): BackupJobs {
  const [jobs, setJobs] = useState<BackupJob[]>([]);
  const [history, setHistory] = useState<BackupJob[]>([]);
  /** The newest ended job of each target as of the last poll; null before the first one. */
  const seenRef = useRef<SeenEnded | null>(null);
  /** Whether a backup is running, as of the last poll: sets the polling pace. */
  const runningRef = useRef(false);

  const loadHistory = useCallback(async () => {
    try {
      setHistory(await unwrap(api.GET('/api/backup-jobs', { params: { query: { limit: HISTORY_JOBS } } })));
    } catch {
      // the chart keeps what it has; the live state reports errors
    }
  }, []);

  // When the page opens and when the service is back after a restart: the jobs that ended before are not news.
  useEffect(() => {
    if (!enabled) return;
    seenRef.current = null;
    void loadHistory();
  }, [enabled, loadHistory]);

  const what = (job: BackupJob): string => `${job.kind === 'replication' ? 'Replication' : 'Backup'} to ${nameOf(job.target)}`;

  const poll = async (): Promise<void> => {
    const recent = await unwrap(api.GET('/api/backup-jobs', { params: { query: { limit: RECENT_JOBS } } }));
    setJobs(recent);
    runningRef.current = recent.some(isActive);
    onPolled();
    const { ended, seen: now } = endedSince(seenRef.current, recent, targets);
    seenRef.current = now;
    for (const job of ended) {
      if (job.status === 'succeeded') {
        announce(`${what(job)} finished: ${job.filename}.`);
        onSucceeded(job);
      } else if (job.status === 'cancelled') {
        announce(`${what(job)} cancelled; nothing of it was kept.`);
      } else {
        announce(`${what(job)} failed: ${job.error ?? 'see the service log'}.`);
      }
      // The trends chart marks failed runs as well as new archives.
      void loadHistory();
      onEnded?.(job);
    }
  };
  const poke = usePolling(poll, () => (runningRef.current ? FAST_POLL_MS : SLOW_POLL_MS), enabled);

  const started = (job: BackupJob): void => {
    setJobs((current) => [job, ...current.filter((j) => j.id !== job.id)]);
    runningRef.current = true;
    poke();
    announce(`${what(job)} started.`);
  };

  return { jobs, history, started };
}
