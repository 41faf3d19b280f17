import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, errorMessage, type Health, type RestoreStatus, type Target, unwrap } from '../api/client';
import type { ArchiveAccess } from '../components/ArchiveAccessDialog';
import type { Restarting } from '../components/RestoreBanner';
import { accessNeeded } from '../encryption';
import { backAnnouncement, isServiceUp, restartStep, type RestartWatch } from './restart-watch';
import { useLatest } from './useLatest';
import { usePolling } from './usePolling';
import { useSlowRequest } from './useSlowRequest';

/** The restore status's pace: every second while a restore is being staged, every ten otherwise. */
const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 10_000;
/** How often the wait for a restart asks, and how soon it first asks (the service needs a moment to go). */
const RESTART_POLL_MS = 1000;
const FIRST_RESTART_POLL_MS = 300;
/** How soon the status is asked after a restore request is sent, to show the staging's progress. */
const FIRST_STAGING_POLL_MS = 300;
/** How long the outcome of the last restore stays on the page. */
const OUTCOME_SHOWN_MS = 24 * 3600 * 1000;
/** The outcome the user dismissed (its `at`), for as long as the browser tab lives. */
const DISMISSED_KEY = 'sentinel-backup.dismissed-restore-outcome';

function readDismissed(): string | null {
  try {
    return sessionStorage.getItem(DISMISSED_KEY);
  } catch {
    return null;
  }
}

/** The restart asked for with a restore, with what the page knew before it. */
export interface RestartWait extends Restarting {
  /** `last_apply.at` before the restart: a different one after it is this restore's outcome. */
  previousApply: string | null;
}

export interface RestoreFlowOptions {
  now: number;
  /** Asks /api/health at once and shows the answer (the top bar follows the restart this way). */
  checkHealth: () => Promise<Health | null>;
  announce: (text: string) => void;
  showNotice: (kind: 'ok' | 'error', text: string) => void;
  /** Every second of the wait for a restart: the banner counts the seconds. */
  onWaiting: () => void;
}

export interface RestoreFlow {
  status: RestoreStatus | null;
  /** From a restore with restart until the service is back, or has clearly not restarted. Every other poll pauses meanwhile. */
  restarting: RestartWait | null;
  /** A restore request on its way (staging takes a while: download, checksums, integrity checks). */
  pending: { archive: string; target: Target } | null;
  cancelling: boolean;
  /** An Apply now on its way. */
  applying: boolean;
  /** Whether the last restore's outcome is shown: recent, and not dismissed. */
  showOutcome: boolean;
  /** The staging request has waited long (useSlowRequest); `stopWaiting` aborts it, and the service cancels a staging whose asker went away. */
  slow: boolean;
  stopWaiting: () => void;
  /**
   * Asks the service to stage a backup for restore, and to restart at once to apply it when `restart` is set.
   * A refusal the user can answer (a recovery key, trust in the archive: see accessNeeded) rejects, for the
   * caller to ask and call again with `access`; any other failure shows as the page's notice.
   */
  stage: (target: Target, filename: string, restart: boolean, access?: ArchiveAccess) => Promise<void>;
  /** Cancels the staged restore. */
  cancel: () => Promise<void>;
  /** Applies the staged restore now: the service restarts, and the page waits for it as after a restore with restart. */
  applyNow: () => Promise<void>;
  dismissOutcome: () => void;
}

/**
 * A restore from the page's side: staging (polled fast while the service downloads and checks the
 * backup), staged (cancellable), the restart that applies it and the wait for the service to come back
 * (restart-watch.ts decides each second; also after Apply now on a staged restore), and the outcome, shown for a day unless dismissed.
 */
export function useRestoreFlow(options: RestoreFlowOptions): RestoreFlow {
  const { now, announce, showNotice } = options;
  const [status, setStatus] = useState<RestoreStatus | null>(null);
  const [restarting, setRestarting] = useState<RestartWait | null>(null);
  const slowStage = useSlowRequest();
  const [pending, setPending] = useState<{ archive: string; target: Target } | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [applying, setApplying] = useState(false);
  const [dismissed, setDismissed] = useState<string | null>(readDismissed);
  /** The last status read, for what a request needs to know before it is sent. */
  const lastStatusRef = useRef<RestoreStatus | null>(null);
  /** Whether a restore is being staged (our request, or seen in the status): sets the status polling pace. */
  const stagingRef = useRef({ requested: false, seen: false });
  /**
   * Set while a cancel is on its way. The service forgets the staged restore before it removes the
   * staging folder and answers, so a poll answered meanwhile shows the restore gone: it is dropped,
   * and the banner goes with the cancel's own answer, together with the notice that says why.
   */
  const cancellingRef = useRef(false);
  const optionsRef = useLatest(options);

  const loadStatus = useCallback(async (): Promise<RestoreStatus | null> => {
    try {
      const answer = await unwrap(api.GET('/api/restore/status'));
      if (cancellingRef.current) return null;
      lastStatusRef.current = answer;
      setStatus(answer);
      stagingRef.current.seen = answer.staging !== null;
      return answer;
    } catch {
      return null;
    }
  }, []);

  const pokeStatus = usePolling(loadStatus, () => (stagingRef.current.requested || stagingRef.current.seen ? FAST_POLL_MS : SLOW_POLL_MS), restarting === null);

  // The wait for the restart: once per restart, until the service is back or has clearly not restarted.
  useEffect(() => {
    if (!restarting) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let watch: RestartWatch = { since: restarting.since, previousApply: restarting.previousApply, wentDown: false };
    const tick = async (): Promise<void> => {
      optionsRef.current.onWaiting();
      const health = await optionsRef.current.checkHealth();
      const step = restartStep(watch, health, isServiceUp(health) && !stopped ? await loadStatus() : null, Date.now());
      if (stopped) return;
      if (step.kind === 'back') {
        setRestarting(null);
        optionsRef.current.announce(backAnnouncement(step.status));
        return;
      }
      if (step.kind === 'not-restarted') {
        setRestarting(null);
        optionsRef.current.showNotice(
          'error',
          'The service did not restart, so the restore has not been applied yet: it stays staged and is applied at the next start.',
        );
        return;
      }
      watch = step.watch;
      timer = setTimeout(() => void tick(), RESTART_POLL_MS);
    };
    timer = setTimeout(() => void tick(), FIRST_RESTART_POLL_MS);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [restarting, optionsRef, loadStatus]);

  const stage = async (target: Target, filename: string, restart: boolean, access: ArchiveAccess = {}): Promise<void> => {
    setPending({ archive: filename, target });
    stagingRef.current.requested = true;
    setTimeout(pokeStatus, FIRST_STAGING_POLL_MS);
    const previousApply = lastStatusRef.current?.last_apply?.at ?? null;
    try {
      // The identity, when there is one, goes in this request's body only.
      const body = { filename, restart, confirm_unknown: access.confirm_unknown ?? false, ...(access.identity ? { identity: access.identity } : {}) };
      const result = await slowStage.run((signal) => unwrap(api.POST('/api/backups/{target}/restore', { params: { path: { target } }, body, signal })));
      if (result.restarting) {
        setRestarting({ archive: result.archive, target: result.target, since: Date.now(), previousApply });
        announce(`Restore of ${result.archive} staged; the service is restarting.`);
      } else {
        await loadStatus();
        announce(`Restore of ${result.archive} staged; it is applied at the next start.`);
      }
    } catch (error) {
      const after = await loadStatus();
      if (accessNeeded(error)) throw error;
      if (error instanceof ApiError && error.code === 'CANCELLED') {
        // The service stops a staging whose request was closed; one that ended just before is staged, and stays cancellable.
        showNotice(
          'error',
          after?.staged?.archive === filename
            ? `The restore of ${filename} was staged before the cancel arrived: Cancel restore in the banner above withdraws it.`
            : `The restore of ${filename} was cancelled: nothing was staged and nothing changed.`,
        );
        return;
      }
      showNotice('error', `The restore of ${filename} was not staged: ${errorMessage(error)}`);
    } finally {
      stagingRef.current.requested = false;
      setPending(null);
    }
  };

  const cancel = async (): Promise<void> => {
    const staged = status?.staged;
    if (!staged || cancelling || applying) return;
    setCancelling(true);
    cancellingRef.current = true;
    try {
      await unwrap(api.DELETE('/api/backups/{target}/restore/staged', { params: { path: { target: staged.target } } }));
      showNotice('ok', `The staged restore of ${staged.archive} was cancelled. Nothing was changed.`);
    } catch (error) {
      showNotice('error', `The staged restore was not cancelled: ${errorMessage(error)}`);
    } finally {
      cancellingRef.current = false;
      await loadStatus();
      setCancelling(false);
    }
  };

  const applyNow = async (): Promise<void> => {
    const staged = status?.staged;
    if (!staged || applying || cancelling) return;
    setApplying(true);
    const previousApply = lastStatusRef.current?.last_apply?.at ?? null;
    try {
      // The archive and target name the restore the user sees: one staged meanwhile by someone else is refused, not applied.
      const result = await unwrap(api.POST('/api/restore/apply', { body: { archive: staged.archive, target: staged.target } }));
      setRestarting({ archive: result.archive, target: result.target, since: Date.now(), previousApply });
      announce(`Applying the restore of ${result.archive}; the service is restarting.`);
    } catch (error) {
      showNotice('error', `The staged restore was not applied: ${errorMessage(error)}`);
      await loadStatus();
    } finally {
      setApplying(false);
    }
  };

  const lastApply = status?.last_apply;
  const showOutcome = !!lastApply && lastApply.at !== dismissed && now - Date.parse(lastApply.at) < OUTCOME_SHOWN_MS;
  const dismissOutcome = (): void => {
    if (!lastApply) return;
    setDismissed(lastApply.at);
    try {
      sessionStorage.setItem(DISMISSED_KEY, lastApply.at);
    } catch {
      // not remembered past this page
    }
  };

  return {
    status,
    restarting,
    pending,
    cancelling,
    applying,
    showOutcome,
    slow: slowStage.slow,
    stopWaiting: slowStage.cancel,
    stage,
    cancel,
    applyNow,
    dismissOutcome,
  };
}
