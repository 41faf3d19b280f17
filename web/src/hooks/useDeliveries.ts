import { useCallback, useState } from 'preact/hooks';
import { errorMessage } from '../api/client';
import { type Delivery, notificationsApi } from '../api/notifications';
import { usePolling } from './usePolling';

/** Every few seconds while a delivery waits for its next try; otherwise as often as the activity list. */
const PENDING_POLL_MS = 5000;
const IDLE_POLL_MS = 10_000;
/** As many as the activity list shows. */
const SHOWN_DELIVERIES = 20;

export interface Deliveries {
  /** Newest first; null until the first answer. */
  deliveries: Delivery[] | null;
  /** Why the last load failed (the entries shown are the last ones loaded). */
  error: string | null;
  load: () => Promise<void>;
  /** Loads at once, in the polling loop (after a Test, a new channel). */
  poke: () => void;
}

/** The notification delivery log (GET /api/notifications/deliveries), polled while `enabled`. */
export function useDeliveries(enabled: boolean): Deliveries {
  const [state, setState] = useState<{ deliveries: Delivery[] | null; error: string | null }>({ deliveries: null, error: null });

  const load = useCallback(async () => {
    try {
      const deliveries = await notificationsApi.deliveries(SHOWN_DELIVERIES);
      setState({ deliveries, error: null });
    } catch (e) {
      setState((s) => ({ ...s, error: errorMessage(e) }));
    }
  }, []);

  const poke = usePolling(load, () => (state.deliveries?.some((d) => d.state === 'pending') ? PENDING_POLL_MS : IDLE_POLL_MS), enabled);
  return { ...state, load, poke };
}
