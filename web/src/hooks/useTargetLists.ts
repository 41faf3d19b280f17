import { useCallback, useEffect, useState } from 'preact/hooks';
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

  // Every target's list, again when the targets change (one added: its list; one renamed or re-pointed: the same).
  const ids = targets.join(',');
  useEffect(() => {
    if (!enabled) return;
    for (const target of ids.split(',')) void load(target);
  }, [enabled, load, ids]);

  return { lists, load };
}
