import { useCallback, useRef, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { fetchStatus, type ServiceStatus } from '../api/status';
import { statusChanges } from '../target-status';
import { usePolling } from './usePolling';

const STATUS_POLL_MS = 15_000;

export interface BackupStatus {
  /** Each target's health and the overall state; null until the first answer. */
  status: ServiceStatus | null;
  /** Why the last load failed (the status shown is the last one loaded). */
  error: string | null;
  /** Loads at once, in the polling loop (a backup ended, a setting changed). */
  poke: () => void;
}

/**
 * GET /api/status, polled while `enabled`: the summary at the top of the page. A target whose state
 * changes between two answers is announced (a scheduled backup that failed while the page was open).
 */
export function useStatus(enabled: boolean, announce: (text: string) => void): BackupStatus {
  const [state, setState] = useState<{ status: ServiceStatus | null; error: string | null }>({ status: null, error: null });
  const previous = useRef<ServiceStatus | null>(null);

  const load = useCallback(async () => {
    try {
      const status = await fetchStatus();
      const changes = statusChanges(previous.current, status);
      previous.current = status;
      setState({ status, error: null });
      if (changes.length > 0) announce(changes.join(' '));
    } catch (error) {
      setState((s) => ({ ...s, error: errorMessage(error) }));
    }
  }, [announce]);

  const poke = usePolling(load, () => STATUS_POLL_MS, enabled);
  return { ...state, poke };
}
