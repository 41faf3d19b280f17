import { useCallback, useEffect, useState } from 'preact/hooks';

/** How often the relative times on the page ("5 minutes ago", "in 2 hours") move on by themselves. */
const CLOCK_MS = 30_000;

/**
 * The page's idea of now, for relative times: it moves on every CLOCK_MS, and `refresh` moves it at
 * once (a poll that brought fresh data, a second of the restart wait).
 */
export function useClock(): { now: number; refresh: () => void } {
  const [now, setNow] = useState(() => Date.now());
  const refresh = useCallback(() => setNow(Date.now()), []);
  useEffect(() => {
    const clock = setInterval(refresh, CLOCK_MS);
    return () => clearInterval(clock);
  }, [refresh]);
  return { now, refresh };
}
