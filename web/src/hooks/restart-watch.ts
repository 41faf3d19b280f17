/**
 * The wait for the service to restart and apply a staged restore, as a pure step function (the
 * useRestoreFlow hook runs it once a second; restart-watch.spec.ts tests it without a browser).
 *
 * The page cannot see the restart itself, only /api/health and /api/restore/status between polls, so:
 * - back: the service answers with its databases open and no restore is staged any more, and either it
 *   reports an apply other than the one known before the restart, or the page saw it gone meanwhile
 *   (then whatever the status says is the outcome);
 * - not restarted: the service never went away and still has the restore staged after
 *   RESTART_GIVE_UP_MS: nothing restarted it, so the restore waits for the next start;
 * - otherwise: keep waiting (no answer, still starting, or the status could not be read).
 */
import type { Health, RestoreStatus } from '../api/client';

/** After this long with the service never gone, a restart is not coming (the restore stays staged). */
export const RESTART_GIVE_UP_MS = 30_000;

export interface RestartWatch {
  /** When the restart was asked for (ms since the epoch). */
  since: number;
  /** `last_apply.at` as the service reported it before the restart. */
  previousApply: string | null;
  /** Whether a poll found the service gone or still starting. */
  wentDown: boolean;
}

export type RestartStep = { kind: 'waiting'; watch: RestartWatch } | { kind: 'back'; status: RestoreStatus } | { kind: 'not-restarted' };

/** Up means the databases are open; degraded is up too: a restore that did not repair a damaged database must not leave the page waiting. */
export function isServiceUp(health: Health | null): boolean {
  return health !== null && health.status !== 'starting' && health.databases_open;
}

/**
 * One poll's verdict. `status` is the restore status read after an answer that `isServiceUp` accepts
 * (null when it was not read, or could not be).
 */
export function restartStep(watch: RestartWatch, health: Health | null, status: RestoreStatus | null, now: number): RestartStep {
  if (!isServiceUp(health)) return { kind: 'waiting', watch: watch.wentDown ? watch : { ...watch, wentDown: true } };
  if (status === null) return { kind: 'waiting', watch };
  if (!status.staged && (watch.wentDown || (status.last_apply?.at ?? null) !== watch.previousApply)) return { kind: 'back', status };
  if (!watch.wentDown && status.staged && now - watch.since > RESTART_GIVE_UP_MS) return { kind: 'not-restarted' };
  return { kind: 'waiting', watch };
}

/** What the page announces when the service is back: how the restore ended. */
export function backAnnouncement(status: RestoreStatus): string {
  const last = status.last_apply;
  if (!last) return 'The service is back.';
  return `${last.outcome === 'applied' ? 'Restore applied' : `Restore ${last.outcome}`}: ${last.message}`;
}
