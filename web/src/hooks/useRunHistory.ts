import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, errorMessage, type Run, unwrap } from '../api/client';
import { type RunFilter, runsQuery } from '../run-history';
import { usePolling } from './usePolling';

const HISTORY_POLL_MS = 10_000;
/** Rows the card shows. */
const HISTORY_ROWS = 50;
/** Verification rows read for the backup lists' marks: the most the API answers, every target's. */
const VERIFICATION_ROWS = 1000;

export interface RunHistory {
  /** The newest runs matching the filter; null until the first answer. */
  runs: Run[] | null;
  /** Every target's newest verifications (manual and scheduled), for the "Verified <date>" marks of the backup lists. */
  verifications: Run[];
  /** Why the last load failed (what is shown is the last loaded). */
  error: string | null;
  filter: RunFilter;
  setFilter: (filter: RunFilter) => void;
  load: () => Promise<void>;
  /** Loads at once, in the polling loop (after a backup, a verification, a restore). */
  poke: () => void;
}

/** The run history (GET /api/runs) under the chosen filter, and the verifications, polled while `enabled`. */
export function useRunHistory(enabled: boolean): RunHistory {
  const [filter, setFilterState] = useState<RunFilter>({ target: null, kind: null });
  const [state, setState] = useState<{ runs: Run[] | null; verifications: Run[]; error: string | null }>({ runs: null, verifications: [], error: null });

  const load = useCallback(async () => {
    try {
      const [runs, verifications] = await Promise.all([
        unwrap(api.GET('/api/runs', { params: { query: runsQuery(filter, HISTORY_ROWS) } })),
        unwrap(api.GET('/api/runs', { params: { query: { kind: 'verification', limit: VERIFICATION_ROWS } } })),
      ]);
      setState({ runs, verifications, error: null });
    } catch (error) {
      setState((s) => ({ ...s, error: errorMessage(error) }));
    }
  }, [filter]);

  const poke = usePolling(load, () => HISTORY_POLL_MS, enabled);
  // Another filter loads at once (the polling loop started with the first one).
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else poke();
  }, [filter, poke]);
  const setFilter = (next: RunFilter): void => {
    setFilterState(next);
    setState((s) => ({ ...s, runs: null }));
  };
  return { ...state, filter, setFilter, load, poke };
}
