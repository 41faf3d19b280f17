import { useCallback, useEffect, useRef } from 'preact/hooks';

/**
 * Calls `tick` now and then again `delay()` ms after each call has settled (never overlapping).
 * `delay` is read after every tick, so the pace can follow the state (fast while a backup runs).
 * Returns `poke`, which runs a tick at once (after a user action that changes what the tick reads).
 */
export function usePolling(tick: () => Promise<unknown>, delay: () => number, enabled = true): () => void {
  const tickRef = useRef(tick);
  const delayRef = useRef(delay);
  const pokeRef = useRef<() => void>(() => undefined);
  tickRef.current = tick;
  delayRef.current = delay;
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
        await tickRef.current();
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
      timer = setTimeout(() => void run(), delayRef.current());
    };
    pokeRef.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
      pokeRef.current = () => undefined;
    };
  }, [enabled]);
  return useCallback(() => pokeRef.current(), []);
}
