import { useLayoutEffect, useRef } from 'preact/hooks';

/**
 * A ref that holds the latest `value`, updated after every render and before any effect runs. For the
 * callbacks a long-lived loop calls (a polling loop, the wait for a restart): the loop starts once and
 * is not restarted when a callback changes, yet never calls a stale one.
 */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
