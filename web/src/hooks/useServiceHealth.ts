import { useCallback, useState } from 'preact/hooks';
import type { Health } from '../api/client';
import { fetchHealth } from '../api/health';
import { usePolling } from './usePolling';

const HEALTH_POLL_MS = 15_000;
/** While the service does not answer, asked more often, so the page is usable again soon after it is back. */
const DOWN_POLL_MS = 3_000;

export interface ServiceHealth {
  /** The service's state for the top bar (running, starting, damaged databases); null while it does not answer. */
  health: Health | null;
  /** Asks at once and shows the answer (the wait for a restart asks every second). */
  check: () => Promise<Health | null>;
  /** Since when the service has not answered (the last health check failed); null while it answers. */
  downSince: number | null;
}

/** /api/health, polled: the one request the page makes whatever state the service is in. */
export function useServiceHealth(): ServiceHealth {
  const [health, setHealth] = useState<Health | null>(null);
  const [downSince, setDownSince] = useState<number | null>(null);
  const check = useCallback(async () => {
    const answer = await fetchHealth();
    setHealth(answer);
    setDownSince((since) => (answer ? null : (since ?? Date.now())));
    return answer;
  }, []);
  usePolling(check, () => (downSince === null ? HEALTH_POLL_MS : DOWN_POLL_MS));
  return { health, check, downSince };
}
