import { useCallback, useState } from 'preact/hooks';
import type { Health } from '../api/client';
import { fetchHealth } from '../api/health';
import { usePolling } from './usePolling';

const HEALTH_POLL_MS = 15_000;

export interface ServiceHealth {
  /** The service's state for the top bar (running, starting, damaged databases); null while it does not answer. */
  health: Health | null;
  /** Asks at once and shows the answer (the wait for a restart asks every second). */
  check: () => Promise<Health | null>;
}

/** /api/health, polled: the one request the page makes whatever state the service is in. */
export function useServiceHealth(): ServiceHealth {
  const [health, setHealth] = useState<Health | null>(null);
  const check = useCallback(async () => {
    const answer = await fetchHealth();
    setHealth(answer);
    return answer;
  }, []);
  usePolling(check, () => HEALTH_POLL_MS);
  return { health, check };
}
