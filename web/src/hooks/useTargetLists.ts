import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, type Target, unwrap } from '../api/client';
import type { ListState } from '../components/BackupList';

export const EMPTY_LIST: ListState = { files: null, error: null, loading: false };

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CLIENT', errorMessage(error));
}

export interface TargetLists {
  lists: Record<Target, ListState>;
  /** Loads one target's list again (Refresh, a finished backup, a changed setting). */
  load: (target: Target) => Promise<void>;
}

/**
 * The backups stored at each target (`targets`: the ids from GET /api/targets): every list is loaded when the page opens and whenever `enabled`
 * turns on again (the service is back after a restart); one list is loaded again with `load`. A list
 * keeps its own error (an unconfigured or unreachable target), so one target's trouble never hides
 * the other's backups.
 */
export function useTargetLists(enabled: boolean, targets: readonly Target[]): TargetLists {
  const [lists, setLists] = useState<Record<Target, ListState>>({ r2: EMPTY_LIST, local: EMPTY_LIST });

  const load = useCallback(async (target: Target) => {
    setLists((l) => ({ ...l, [target]: { ...(l[target] ?? EMPTY_LIST), loading: true } }));
    try {
      const files = await unwrap(api.GET('/api/backups/{target}', { params: { path: { target } } }));
      setLists((l) => ({ ...l, [target]: { files, error: null, loading: false } }));
    } catch (error) {
      setLists((l) => ({ ...l, [target]: { files: null, error: toApiError(error), loading: false } }));
    }
  }, []);

  // Every list when the page opens or the service is back; afterwards only the lists of targets added since
  // (the ids change from the built-ins' to the API's when GET /api/targets answers: no second request for those).
  const loaded = useRef(new Set<Target>());
  const ids = targets.join(',');
  useEffect(() => {
    if (!enabled) {
      loaded.current.clear();
      return;
    }
    const current = ids.split(',');
    // A deleted target's list is forgotten: added again under the same id, it is loaded afresh.
    for (const target of loaded.current) if (!current.includes(target)) loaded.current.delete(target);
    for (const target of current) {
      if (loaded.current.has(target)) continue;
      loaded.current.add(target);
      void load(target);
    }
  }, [enabled, load, ids]);

  return { lists, load };
}
