import { targetLabel } from '../common/backup-target.js';
import { formatBytes } from '../common/format.js';
import type { LowFolder } from './disk-space-state.js';
import type { TargetHealth } from './target-health.js';

export type OverallState = 'ok' | 'warning' | 'failing';

export interface OverallStatus {
  state: OverallState;
  /** One line per target or fact that made the state what it is; empty when ok. */
  reasons: string[];
}

/**
 * The installation's state from its targets' health, the worst that applies:
 * - `failing`: an enabled target is failing or overdue, or the last verification of an enabled target failed
 *   (its newest backup would not restore);
 * - `warning`: an enabled target has never been backed up yet, no target is enabled (nothing is backed up), or
 *   a folder the next backup of an enabled target writes to has less free space than it needs;
 * - `ok`: every enabled target is ok.
 * A disabled target alone never makes it worse: turning a target off is a choice.
 */
export function overallStatus(targets: readonly TargetHealth[], lowFolders: readonly LowFolder[] = []): OverallStatus {
  const failing: string[] = [];
  const warning: string[] = [];
  for (const health of targets) {
    const label = `${targetLabel(health.target)} backups`;
    if (health.state === 'failing') failing.push(`${label} are failing: ${health.last_error?.message ?? 'the last attempt failed'}`);
    if (health.state === 'overdue') failing.push(`${label} are overdue: no successful backup since ${health.last_success ?? 'it was enabled'}`);
    if (health.enabled && health.last_verification?.verdict === 'failed') {
      failing.push(`The last verification of ${targetLabel(health.target)} backups failed: ${health.last_verification.filename} would not restore`);
    }
    if (health.state === 'never') warning.push(`${label} have not run yet: the first is due ${health.next_run ?? 'when one is started'}`);
  }
  if (!targets.some((health) => health.enabled)) warning.push('No backup target is enabled: nothing is backed up');
  for (const low of lowFolders) {
    warning.push(
      `Low disk space in ${low.folder}: ${formatBytes(low.freeBytes)} free, the next ${low.targets.map((target) => targetLabel(target)).join(' and ')} backup needs ` +
        `${formatBytes(low.neededBytes)}: free up space there`,
    );
  }
  if (failing.length > 0) return { state: 'failing', reasons: [...failing, ...warning] };
  if (warning.length > 0) return { state: 'warning', reasons: warning };
  return { state: 'ok', reasons: [] };
}
