import { useCallback, useState } from 'preact/hooks';
import { type Costs, fetchCosts } from '../api/costs';
import { errorMessage } from '../api/client';
import { usePolling } from './usePolling';

/**
 * Each load lists every target (an S3 LIST and HEADs, requests the estimate counts and R2 bills): the figures are
 * read when the page opens, on Refresh and after a price change, and otherwise every 15 minutes.
 */
const COSTS_POLL_MS = 15 * 60_000;

export interface CostsState {
  /** null until the first answer. */
  costs: Costs | null;
  /** Why the last load failed (the figures shown are the last ones loaded). */
  error: string | null;
  loading: boolean;
  load: () => Promise<void>;
}

/** GET /api/costs, while `enabled`. */
export function useCosts(enabled: boolean): CostsState {
  const [state, setState] = useState<{ costs: Costs | null; error: string | null; loading: boolean }>({ costs: null, error: null, loading: false });

  const load = useCallback(async () => {
    setState((s) => ({ ...s, loading: true }));
    try {
      setState({ costs: await fetchCosts(), error: null, loading: false });
    } catch (error) {
      setState((s) => ({ ...s, error: errorMessage(error), loading: false }));
    }
  }, []);

  usePolling(load, () => COSTS_POLL_MS, enabled);
  return { ...state, load };
}
