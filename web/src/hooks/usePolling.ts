import { useCallback, useEffect, useRef } from 'preact/hooks';
import { useLatest } from './useLatest';

/**
 * Calls `tick` now and then again `delay()` ms after each call has settled (never overlapping).
 * `delay` is read after every tick, so the pace can follow the state (fast while a backup runs).
 * Turning `enabled` off stops the loop; turning it on again starts it with a tick at once.
 * Returns `poke`, which runs a tick at once (after a user action that changes what the tick reads).
 */
export function usePolling(tick: () => Promise<unknown>, delay: () => number, enabled = true): () => void {
  const callbacksRef = useLatest({ tick, delay });
  const pokeRef = useRef<() => void>(() => undefined);
  useEffect(() => {
    if (!enabled) return;
    let stopped = false;
    let running = false;
    let again = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      clearTimeout(timer);
      try {
        await callbacksRef.current.tick();
      } catch {
        // the tick shows its own errors; keep polling
      }
      running = false;
      if (stopped) return;
      if (again) {
        again = false;
        void run();
        return;
      }
      timer = setTimeout(() => void run(), callbacksRef.current.delay());
    };
    pokeRef.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      pokeRef.current = () => undefined;
    };
  }, [enabled, callbacksRef]);
  return useCallback(() => pokeRef.current(), []);
}
