import { useCallback, useState } from 'preact/hooks';
import { api, type Schedule, unwrap, type VerificationReport } from '../api/client';
import { usePolling } from './usePolling';

const SCHEDULES_POLL_MS = 60_000;

export interface Schedules {
  /** The scheduled jobs and their next runs. */
  schedules: Schedule[];
  /** The last scheduled verification of each target. */
  verifications: VerificationReport[];
  load: () => Promise<void>;
}

/**
 * The scheduled jobs' next runs (re-timed by the service when a schedule setting changes: call `load`
 * after a save) and the last scheduled verifications, polled while `enabled`.
 */
export function useSchedules(enabled: boolean): Schedules {
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [verifications, setVerifications] = useState<VerificationReport[]>([]);

  const load = useCallback(async () => {
    try {
      const [jobs, verified] = await Promise.all([unwrap(api.GET('/api/schedules')), unwrap(api.GET('/api/verifications'))]);
      setSchedules(jobs);
      setVerifications(verified);
    } catch {
      // not shown until the next poll answers (503 while the databases open)
    }
  }, []);

  usePolling(load, () => SCHEDULES_POLL_MS, enabled);
  return { schedules, verifications, load };
}
