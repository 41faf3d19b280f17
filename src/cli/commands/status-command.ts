import fs from 'node:fs';
import path from 'node:path';
import { formatBytes } from '../../common/format.js';
import { DataDirLock, describeHolder } from '../../common/lifecycle/data-dir-lock.js';
import { parseEnvironment } from '../../config/environment.js';
import { DataFolderLayout } from '../../restore/core/data-folder-layout.js';
import { LastApplyStore } from '../../restore/last-apply.store.js';
import { RestoreJournalStore } from '../../restore/restore-journal.store.js';
import type { ParsedCommand } from '../cli-arguments.js';
import { CliError } from '../cli-error.js';
import { EXIT, type ExitCode } from '../cli-exit.js';
import type { CliOutput } from '../cli-output.js';
import { newestBackups } from '../newest-backups.js';
import { formatAge } from './list-command.js';

/**
 * `status`: what the service's own restore files say (the `.pending-restore` journal, the last apply's
 * outcome), who holds the lock, and the newest backup in each configured target (newestBackups), read with
 * the service's stores and adapters and changing nothing, so it runs beside a running service.
 */
export async function statusCommand(command: ParsedCommand, raw: Record<string, string | undefined>, out: CliOutput): Promise<ExitCode> {
  const dataDir = path.resolve(command.dataDir as string);
  if (!fs.existsSync(dataDir)) throw new CliError(`${dataDir} does not exist: give the service's DATA_DIR`);
  const layout = DataFolderLayout.fromEnvironment(parseEnvironment({ ...raw, DATA_DIR: dataDir }));
  const journal = await new RestoreJournalStore(layout).read();
  const lastApply = await new LastApplyStore(layout).read();
  const lock = DataDirLock.inspect(dataDir);
  const service =
    lock === undefined
      ? { state: 'stopped' as const }
      : lock === 'unreadable'
        ? { state: 'unknown' as const, message: `The lock file in ${dataDir} cannot be read` }
        : {
            state: lock.running === null ? ('unknown' as const) : lock.running ? ('running' as const) : ('stale-lock' as const),
            pid: lock.holder.pid,
            hostname: lock.holder.hostname,
            locked_at: lock.holder.locked_at,
            holder: describeHolder(lock.holder),
          };
  const backups = await newestBackups(dataDir, raw);
  out.document({
    ok: true,
    data_dir: dataDir,
    service,
    staged_restore: journal ?? null,
    last_apply: lastApply,
    targets: backups.targets,
    targets_error: backups.error,
  });
  out.line(`DATA_DIR ${dataDir}`);
  if (service.state === 'stopped') out.line('Service: not running (no lock)');
  else if (service.state === 'running') out.line(`Service: running, ${service.holder}, since ${service.locked_at}`);
  else if (service.state === 'stale-lock') out.line(`Service: not running; a stale lock of ${service.holder} is left (the next start takes it over)`);
  else out.line(`Service: unknown (${'message' in service ? service.message : `lock of ${service.holder} on another host`})`);
  if (journal)
    out.line(
      `Staged restore: ${journal.archive} (${journal.state}, staged ${journal.staged_at}, backup of ${journal.backup_timestamp}): applied at the next start`,
    );
  else out.line('Staged restore: none');
  if (lastApply) out.line(`Last apply: ${lastApply.outcome} at ${lastApply.at}, ${lastApply.archive}: ${lastApply.message}`);
  else out.line('Last apply: none recorded');
  if (backups.error) out.line(`Newest backups: ${backups.error}`);
  else out.line('Newest backup per target:');
  for (const t of backups.targets) {
    const off = t.enabled ? '' : ' (turned off)';
    if (!t.configured) out.line(`  ${t.target}${off}: not configured`);
    else if (t.error) out.line(`  ${t.target}${off}: ${t.error}`);
    else if (!t.newest) out.line(`  ${t.target}${off}: no backups`);
    else
      out.line(
        `  ${t.target}${off}: ${t.newest.name}, ${t.newest.time.replace('.000Z', 'Z')}, ${formatAge(t.newest.age_seconds * 1000)} ago, ${formatBytes(t.newest.size_bytes)}`,
      );
  }
  return EXIT.ok;
}
