import { useCallback, useEffect, useState } from 'preact/hooks';
import { api, errorMessage, type Setting, unwrap } from '../api/client';

export interface Settings {
  /** Every setting (secrets without their values); null until the first answer. */
  settings: Setting[] | null;
  /** Why the settings could not be loaded, until a load succeeds. */
  error: string | null;
  load: () => Promise<void>;
}

/** The settings the two target cards edit: loaded when the page opens and whenever `enabled` turns on again (the service is back after a restart). */
export function useSettings(enabled: boolean): Settings {
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setSettings(await unwrap(api.GET('/api/settings')));
      setError(null);
    } catch (error) {
      setError(errorMessage(error));
    }
  }, []);

  useEffect(() => {
    if (enabled) void load();
  }, [enabled, load]);

  return { settings, error, load };
}
