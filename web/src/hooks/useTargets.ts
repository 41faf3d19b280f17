import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PlaceKind } from '../diagnosis';
import { api, errorMessage, TARGET_NAMES, TARGETS, type TargetInfo, unwrap } from '../api/client';

export interface Targets {
  /** Every target as GET /api/targets lists it; null before the first answer. */
  targets: TargetInfo[] | null;
  error: string | null;
  load: () => Promise<void>;
  /** The ids to show lists and jobs for: the API's, or the built-ins until it answers. */
  ids: readonly string[];
  /** A target's name for the page: the built-ins' names, else its label, else its id. */
  nameOf: (id: string) => string;
  kindOf: (id: string) => PlaceKind;
}

/** The backup destinations (GET /api/targets), loaded when the page opens, when the service is back, and after each change. */
export function useTargets(enabled: boolean): Targets {
  const [targets, setTargets] = useState<TargetInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setTargets(await unwrap(api.GET('/api/targets')));
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);

  const ids = targets ? targets.map((t) => t.id) : TARGETS;
  const nameOf = (id: string): string => TARGET_NAMES[id] ?? targets?.find((t) => t.id === id)?.label ?? id;
  /** Where a target keeps its backups (the built-ins: r2 a bucket, local a folder), for diagnosis.ts. */
  const kindOf = (id: string): PlaceKind => targets?.find((t) => t.id === id)?.kind ?? (id === 'local' ? 'folder' : 's3');
  return { targets, error, load, ids, nameOf, kindOf };
}
