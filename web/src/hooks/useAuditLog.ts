import { useCallback, useState } from 'preact/hooks';
import { api, type AuditEntry, errorMessage, unwrap } from '../api/client';
import { usePolling } from './usePolling';

const AUDIT_POLL_MS = 10_000;
const AUDIT_ENTRIES = 20;

export interface AuditLog {
  /** The newest entries; null until the first answer. */
  entries: AuditEntry[] | null;
  /** Why the last load failed (the entries shown are the last ones loaded). */
  error: string | null;
  load: () => Promise<void>;
  /** Loads at once, in the polling loop (after an action the log records). */
  poke: () => void;
}

/** The newest entries of the audit log, polled while `enabled`. */
export function useAuditLog(enabled: boolean): AuditLog {
  const [audit, setAudit] = useState<{ entries: AuditEntry[] | null; error: string | null }>({ entries: null, error: null });

  const load = useCallback(async () => {
    try {
      setAudit({ entries: await unwrap(api.GET('/api/audit', { params: { query: { limit: AUDIT_ENTRIES } } })), error: null });
    } catch (error) {
      setAudit((a) => ({ ...a, error: errorMessage(error) }));
    }
  }, []);

  const poke = usePolling(load, () => AUDIT_POLL_MS, enabled);
  return { ...audit, load, poke };
}
