/** Whether a built-in target's settings are filled in: its settings card starts folded when they are. */
import type { Setting } from './api/client';

/** Each entry: one of these keys must be set. R2 needs its credentials, a bucket, and an account ID or an endpoint. */
const REQUIRED: Record<'r2' | 'local', readonly (readonly string[])[]> = {
  r2: [['r2_access_key_id'], ['r2_secret_access_key'], ['r2_bucket_name'], ['r2_account_id', 'r2_endpoint']],
  local: [['local_backup_dir']],
};

/** null while the settings are not loaded: the card neither opens nor folds on a guess. */
export function isConfigured(target: string, settings: readonly Setting[]): boolean | null {
  if (settings.length === 0) return null;
  const required = REQUIRED[target as 'r2' | 'local'];
  if (!required) return true;
  const set = new Set(settings.filter((s) => s.is_set).map((s) => s.key));
  return required.every((anyOf) => anyOf.some((key) => set.has(key)));
}
