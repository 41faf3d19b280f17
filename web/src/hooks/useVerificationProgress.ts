import { useState } from 'preact/hooks';
import { api, type RunningVerification, type Target, unwrap } from '../api/client';
import { usePolling } from './usePolling';

/** Often enough for a rate that moves, seldom enough to cost nothing: only while this list verifies something. */
const POLL_MS = 1000;

/**
 * The progress of this target's verification while one of its backups is being verified (the verify request
 * itself answers only at the end): bytes of the archive read of its size, and when it began.
 */
export function useVerificationProgress(target: Target, active: boolean): { running: RunningVerification | undefined; now: number } {
  const [running, setRunning] = useState<RunningVerification | undefined>(undefined);
  const [now, setNow] = useState(Date.now());
  usePolling(
    async () => {
      const all = await unwrap(api.GET('/api/verifications/running'));
      setRunning(all.find((verification) => verification.target === target));
      setNow(Date.now());
    },
    () => POLL_MS,
    active,
  );
  return { running: active ? running : undefined, now };
}
