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

/** The last failure, when it is newer than the last success (an older one no longer matters). */
export function failureSinceSuccess(target: TargetStatus): TargetStatus['last_error'] {
  const error = target.last_error;
  if (!error) return null;
  if (target.last_success && new Date(error.time).getTime() <= new Date(target.last_success).getTime()) return null;
  return error;
}

/** The page's headline, worst first: what the header and the browser tab say. */
export type Headline = { level: 'failing' | 'overdue' | 'unverified' | 'never' | 'attention' | 'off' | 'ok' | 'unknown'; text: string };

/**
 * The worst state of the enabled targets in a few words, for the header and document.title: a failing
 * backup must never sit under a green "running". The API's overall state covers what no target shows
 * (a disk too small for the next backup): "needs attention".
 */
export function headline(status: ServiceStatus | null, error: string | null): Headline | null {
  if (!status) return error ? { level: 'unknown', text: 'Backup status unknown' } : null;
  const enabled = status.targets.filter((t) => t.state !== 'disabled');
  if (enabled.some((t) => t.state === 'failing')) return { level: 'failing', text: 'Backup failing' };
  if (enabled.some((t) => t.state === 'overdue')) return { level: 'overdue', text: 'Backup overdue' };
  if (enabled.some((t) => t.last_verification?.verdict === 'failed')) return { level: 'unverified', text: 'Verification failed' };
  if (enabled.some((t) => t.state === 'never')) return { level: 'never', text: 'Never backed up' };
  if (enabled.length === 0) return { level: 'off', text: 'No backups enabled' };
  if (status.state !== 'ok') return { level: 'attention', text: 'Backup needs attention' };
  return { level: 'ok', text: 'Backups OK' };
}

/** One sentence a screen reader hears when a target's state changes; nothing for the first answer. */
export function statusChanges(previous: ServiceStatus | null, next: ServiceStatus): string[] {
  if (!previous) return [];
  const before = new Map(previous.targets.map((t) => [t.target, t.state]));
  const changes: string[] = [];
  for (const target of next.targets) {
    const was = before.get(target.target);
    if (was === undefined || was === target.state) continue;
    const name = TARGET_NAMES[target.target] ?? target.target;
    if (target.state === 'failing') changes.push(`${name} backups are failing${target.last_error ? `: ${target.last_error.message}` : '.'}`);
    else if (target.state === 'overdue') changes.push(`${name} backups are overdue.`);
    else if (target.state === 'ok') changes.push(`${name} backups work${isAlarm(was) ? ' again' : ''}.`);
    else changes.push(`${name} backups: ${TARGET_STATE_LABELS[target.state].toLowerCase()}.`);
  }
  return changes;
}
