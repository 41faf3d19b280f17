import fs from 'node:fs';
import path from 'node:path';
import { StorageTargets } from '../storage/storage-targets.js';
import { TargetRoster } from '../targets/target-roster.js';
import { StorageBackupSource } from './backup-source.js';

/** One configured target's newest backup, as `status` shows it; `error` in one line when it could not be listed. */
export interface TargetNewest {
  target: string;
  enabled: boolean;
  /** False when its settings are incomplete (nothing to list; `error` says what is missing). */
  configured: boolean;
  newest: { name: string; time: string; age_seconds: number; size_bytes: number } | null;
  error: string | null;
}

/** Every target configured in DATA_DIR, or why they cannot be read (no config.db, a bad master key). */
export type NewestBackups = { targets: TargetNewest[]; error: null } | { targets: []; error: string };

function oneLine(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).replace(/\s*\n\s*/g, ' ');
}

/**
 * The newest backup in each target configured in `dataDir`, read as `list --target` reads one (config.db
 * read-only, the service's adapters), all targets side by side, each within the adapter's own time limit
 * (SENTINEL_STORAGE_TIMEOUT_MS). A target that cannot be listed carries its error and the others are still
 * listed; the messages are the adapters', which name settings, never their values.
 */
export async function newestBackups(dataDir: string, raw: Record<string, string | undefined>, now = Date.now()): Promise<NewestBackups> {
  if (!fs.existsSync(path.join(dataDir, 'config.db'))) return { targets: [], error: `${dataDir} has no config.db, so no target is configured there` };
  let context;
  try {
    context = await (await import('./configured-target.js')).openConfiguration(dataDir, raw);
  } catch (error) {
    return { targets: [], error: `Cannot read the targets configured in ${dataDir}: ${oneLine(error)}` };
  }
  try {
    const entries = await context.get(TargetRoster).entries();
    const storageTargets = context.get(StorageTargets);
    const targets = await Promise.all(
      entries.map(async (entry): Promise<TargetNewest> => {
        const out: TargetNewest = { target: entry.id, enabled: entry.enabled, configured: true, newest: null, error: null };
        try {
          const storage = await storageTargets.get(entry.id);
          const missing = await storage.missingConfiguration();
          if (missing) return { ...out, configured: false, error: oneLine(missing) };
          const [newest] = await new StorageBackupSource(storage, entry.id, entry.id).list();
          if (newest) {
            out.newest = {
              name: newest.name,
              time: newest.time.toISOString(),
              age_seconds: Math.floor((now - newest.time.getTime()) / 1000),
              size_bytes: newest.sizeBytes,
            };
          }
          return out;
        } catch (error) {
          return { ...out, error: oneLine(error) };
        }
      }),
    );
    return { targets, error: null };
  } catch (error) {
    return { targets: [], error: `Cannot read the targets configured in ${dataDir}: ${oneLine(error)}` };
  } finally {
    await context.close();
  }
}
