/** GET /api/status in words: each target's state, which states are alarms, and what changed since the last poll. */
import { TARGET_NAMES } from './api/client';
import type { ServiceStatus, TargetStatus } from './api/status';

export type TargetState = TargetStatus['state'];

export const TARGET_STATE_LABELS: Record<TargetState, string> = {
  ok: 'OK',
  failing: 'Failing',
  overdue: 'Overdue',
  never: 'Never backed up',
  disabled: 'Off',
};

export const OVERALL_LABELS: Record<ServiceStatus['state'], string> = {
  ok: 'All backups are working',
  warning: 'Backups need attention',
  failing: 'Backups are failing',
};

/** Failing and overdue are shown in red: a backup the user relies on is not being made. */
export function isAlarm(state: TargetState): boolean {
  return state === 'failing' || state === 'overdue';
}

/** One sentence a screen reader hears when a target's state changes; nothing for the first answer. */
export function statusChanges(previous: ServiceStatus | null, next: ServiceStatus): string[] {
  if (!previous) return [];
  const before = new Map(previous.targets.map((t) => [t.target, t.state]));
  const changes: string[] = [];
  for (const target of next.targets) {
    const was = before.get(target.target);
    if (was === undefined || was === target.state) continue;
    const name = TARGET_NAMES[target.target];
    if (target.state === 'failing') changes.push(`${name} backups are failing${target.last_error ? `: ${target.last_error.message}` : '.'}`);
    else if (target.state === 'overdue') changes.push(`${name} backups are overdue.`);
    else if (target.state === 'ok') changes.push(`${name} backups work${isAlarm(was) ? ' again' : ''}.`);
    else changes.push(`${name} backups: ${TARGET_STATE_LABELS[target.state].toLowerCase()}.`);
  }
  return changes;
}
