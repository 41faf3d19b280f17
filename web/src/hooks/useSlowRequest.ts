import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** After this long a request shows "Still waiting… Cancel". */
export const SLOW_REQUEST_MS = 8_000;

export interface SlowRequest {
  /** Runs `send` with a signal that Cancel aborts; a request aborted this way rejects with an ApiError of code CANCELLED. */
  run: <T>(send: (signal: AbortSignal) => Promise<T>) => Promise<T>;
  /** A request of this hook has been waiting longer than SLOW_REQUEST_MS. */
  slow: boolean;
  /** Stops waiting for every request of this hook. */
  cancel: () => void;
}

/**
 * A client-side time limit with Cancel for requests that can wait long on something outside the service (a
 * store that never answers): after SLOW_REQUEST_MS the page says so and offers Cancel, which aborts the fetch
 * (AbortController), so the page is never stuck on a spinner.
 */
export function useSlowRequest(): SlowRequest {
  const [slow, setSlow] = useState(false);
  const running = useRef(new Set<{ controller: AbortController; timer: ReturnType<typeof setTimeout>; slow: boolean }>());
  const update = useCallback(() => setSlow([...running.current].some((r) => r.slow)), []);

  const run = useCallback(
    async <T>(send: (signal: AbortSignal) => Promise<T>): Promise<T> => {
      const entry = { controller: new AbortController(), timer: setTimeout(() => ((entry.slow = true), update()), SLOW_REQUEST_MS), slow: false };
      running.current.add(entry);
      try {
        return await send(entry.controller.signal);
      } finally {
        clearTimeout(entry.timer);
        running.current.delete(entry);
        update();
      }
    },
    [update],
  );

  const cancel = useCallback(() => {
    for (const entry of running.current) entry.controller.abort();
  }, []);

  // A request still open when its component goes (the row was deleted) is not waited for.
  useEffect(() => cancel, [cancel]);
  return { run, slow, cancel };
}
