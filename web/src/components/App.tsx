import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import {
  api,
  ApiError,
  type AuditEntry,
  type BackupFile,
  type BackupJob,
  errorMessage,
  type Health,
  type RestoreStatus,
  type Schedule,
  type Setting,
  TARGET_NAMES,
  TARGETS,
  type Target,
  unwrap,
  type VerificationReport,
} from '../api/client';
import { formatBytes, formatDateTime, formatRelative } from '../format';
import { usePolling } from '../hooks';
import { LOCAL_FIELDS, R2_FIELDS } from '../settings-fields';
import { AuditList } from './AuditList';
import { BackupList, type ListState } from './BackupList';
import { ConfirmProvider, useConfirm } from './ConfirmDialog';
import { isActive } from './JobStatus';
import { RestoreBanner, type Restarting } from './RestoreBanner';
import { ScheduleInfo } from './ScheduleInfo';
import { SizeTrend } from './SizeTrend';
import { TargetCard } from './TargetCard';
import { TokenDialog } from './TokenDialog';

const EMPTY_LIST: ListState = { files: null, error: null, loading: false };
const FAST_POLL_MS = 1000;
const SLOW_POLL_MS = 10_000;
/** After this long with the service never gone, a restart is not coming (the restore stays staged). */
const RESTART_GIVE_UP_MS = 30_000;
/** How long the outcome of the last restore stays on the page. */
const OUTCOME_SHOWN_MS = 24 * 3600 * 1000;
const DISMISSED_KEY = 'sentinel-backup.dismissed-restore-outcome';
const SERVICE_STATES: Record<Health['status'], string> = { ok: 'running', starting: 'starting', degraded: 'running with a damaged database' };

function readDismissed(): string | null {
  try {
    return sessionStorage.getItem(DISMISSED_KEY);
  } catch {
    return null;
  }
}

function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, 'CLIENT', errorMessage(error));
}

/** The newest job of a target (the API lists newest first). */
function latestJob(jobs: readonly BackupJob[], target: Target): BackupJob | undefined {
  return jobs.find((j) => j.target === target);
}

export function App() {
  return (
    <ConfirmProvider>
      <BackupPage />
      <TokenDialog />
    </ConfirmProvider>
  );
}

function BackupPage() {
  const [health, setHealth] = useState<Health | null>(null);
  const [settings, setSettings] = useState<Setting[] | null>(null);
  const [settingsError, setSettingsError] = useState<string | null>(null);
  const [jobs, setJobs] = useState<BackupJob[]>([]);
  const [history, setHistory] = useState<BackupJob[]>([]);
  const [lists, setLists] = useState<Record<Target, ListState>>({ r2: EMPTY_LIST, local: EMPTY_LIST });
  const [announcement, setAnnouncement] = useState('');
  const [now, setNow] = useState(Date.now());
  const finished = useRef<Record<string, string> | null>(null);
  /** Whether a backup is running, as of the last poll: sets the polling pace. */
  const jobRunning = useRef(false);
  /** Whether a restore is being staged (our request, or seen in the status): sets the status polling pace. */
  const restoreStaging = useRef({ requested: false, seen: false });
  const [restoreStatus, setRestoreStatus] = useState<RestoreStatus | null>(null);
  const [schedules, setSchedules] = useState<Schedule[]>([]);
  const [verifications, setVerifications] = useState<VerificationReport[]>([]);
  const [restarting, setRestarting] = useState<Restarting | null>(null);
  const [pendingRestore, setPendingRestore] = useState<{ archive: string; target: Target } | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [dismissedOutcome, setDismissedOutcome] = useState<string | null>(readDismissed);
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string } | null>(null);
  const [audit, setAudit] = useState<{ entries: AuditEntry[] | null; error: string | null }>({ entries: null, error: null });
  const noticeRef = useRef<HTMLDivElement>(null);
  const bannerRef = useRef<HTMLDivElement>(null);
  const confirm = useConfirm();

  const loadSettings = useCallback(async () => {
    try {
      setSettings(await unwrap(api.GET('/api/settings')));
      setSettingsError(null);
    } catch (error) {
      setSettingsError(errorMessage(error));
    }
  }, []);

  const loadList = useCallback(async (target: Target) => {
    setLists((l) => ({ ...l, [target]: { ...l[target], loading: true } }));
    try {
      const files = await unwrap(api.GET('/api/backups/{target}', { params: { path: { target } } }));
      setLists((l) => ({ ...l, [target]: { files, error: null, loading: false } }));
    } catch (error) {
      setLists((l) => ({ ...l, [target]: { files: null, error: toApiError(error), loading: false } }));
    }
  }, []);

  const loadHistory = useCallback(async () => {
    try {
      setHistory(await unwrap(api.GET('/api/backup-jobs', { params: { query: { limit: 1000 } } })));
    } catch {
      // the chart keeps what it has; the live state below reports errors
    }
  }, []);

  const loadHealth = useCallback(async () => {
    try {
      const response = await fetch('/api/health', { cache: 'no-store' });
      setHealth(response.ok ? ((await response.json()) as Health) : null);
    } catch {
      setHealth(null);
    }
  }, []);

  const loadRestoreStatus = useCallback(async (): Promise<RestoreStatus | null> => {
    try {
      const status = await unwrap(api.GET('/api/restore/status'));
      setRestoreStatus(status);
      restoreStaging.current.seen = status.staging !== null;
      return status;
    } catch {
      return null;
    }
  }, []);

  /** The scheduled jobs' next runs (re-timed by the service when a schedule setting changes) and the last scheduled verifications. */
  const loadSchedules = useCallback(async () => {
    try {
      const [jobs, verified] = await Promise.all([unwrap(api.GET('/api/schedules')), unwrap(api.GET('/api/verifications'))]);
      setSchedules(jobs);
      setVerifications(verified);
    } catch {
      // not shown until the next poll answers (503 while the databases open)
    }
  }, []);

  const loadAudit = useCallback(async () => {
    try {
      setAudit({ entries: await unwrap(api.GET('/api/audit', { params: { query: { limit: 20 } } })), error: null });
    } catch (error) {
      setAudit((a) => ({ ...a, error: errorMessage(error) }));
    }
  }, []);

  /** Everything not polled: at the start and when the service is back after a restart. */
  const loadAll = useCallback(() => {
    void loadSettings();
    void loadHistory();
    for (const target of TARGETS) void loadList(target);
  }, [loadSettings, loadHistory, loadList]);

  useEffect(() => {
    loadAll();
    const clock = setInterval(() => setNow(Date.now()), 30_000);
    return () => clearInterval(clock);
  }, [loadAll]);

  const showNotice = (kind: 'ok' | 'error', text: string): void => {
    setNotice({ kind, text });
    setAnnouncement(text);
    // The button that led here may be gone (Cancel): keep the keyboard user's place on the message.
    setTimeout(() => noticeRef.current?.focus(), 0);
  };

  /** The live state: recent jobs, fast while one runs. A job that finished refreshes its list and the chart. */
  const pollJobs = async (): Promise<void> => {
    const recent = await unwrap(api.GET('/api/backup-jobs', { params: { query: { limit: 20 } } }));
    setJobs(recent);
    jobRunning.current = recent.some(isActive);
    setNow(Date.now());
    const latestDone: Record<string, string> = {};
    for (const target of TARGETS) {
      const done = recent.find((j) => j.target === target && !isActive(j));
      if (done) latestDone[target] = `${done.id}:${done.status}`;
    }
    const before = finished.current;
    finished.current = latestDone;
    if (!before) return;
    for (const target of TARGETS) {
      if (latestDone[target] === before[target] || !latestDone[target]) continue;
      const job = recent.find((j) => j.target === target && !isActive(j)) as BackupJob;
      if (job.status === 'succeeded') {
        setAnnouncement(`Backup to ${TARGET_NAMES[target]} finished: ${job.filename}.`);
        void loadList(target);
        void loadHistory();
      } else {
        setAnnouncement(`Backup to ${TARGET_NAMES[target]} failed: ${job.error ?? 'see the service log'}.`);
      }
    }
  };
  usePolling(loadHealth, () => 15_000, !restarting);
  usePolling(loadSchedules, () => 60_000, !restarting);
  const pokeAudit = usePolling(loadAudit, () => SLOW_POLL_MS, !restarting);
  const pokeJobs = usePolling(pollJobs, () => (jobRunning.current ? FAST_POLL_MS : SLOW_POLL_MS), !restarting);
  const pokeRestore = usePolling(
    loadRestoreStatus,
    () => (restoreStaging.current.requested || restoreStaging.current.seen ? FAST_POLL_MS : SLOW_POLL_MS),
    !restarting,
  );

  /**
   * After a restore with restart: poll /api/health until the service is back with its databases open,
   * then check that the restore was applied and reload everything. If the service never went away
   * (nothing restarted it), the restore simply stays staged.
   */
  useEffect(() => {
    if (!restarting) return;
    let stopped = false;
    let wentDown = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const previousApply = restoreStatus?.last_apply?.at ?? null;
    const tick = async (): Promise<void> => {
      setNow(Date.now());
      let up = false;
      try {
        const response = await fetch('/api/health', { cache: 'no-store' });
        const body = response.ok ? ((await response.json()) as Health) : null;
        setHealth(body);
        // Degraded is up too: a restore that did not repair a damaged database must not leave the page waiting.
        up = body !== null && body.status !== 'starting' && body.databases_open;
      } catch {
        setHealth(null);
      }
      if (!up) wentDown = true;
      if (up && !stopped) {
        const status = await loadRestoreStatus();
        const applied = status !== null && !status.staged && (status.last_apply?.at ?? null) !== previousApply;
        if (applied || (wentDown && status !== null && !status.staged)) {
          setRestarting(null);
          loadAll();
          finished.current = null;
          const last = status?.last_apply;
          setAnnouncement(last ? `${last.outcome === 'applied' ? 'Restore applied' : `Restore ${last.outcome}`}: ${last.message}` : 'The service is back.');
          return;
        }
        if (!wentDown && status?.staged && Date.now() - restarting.since > RESTART_GIVE_UP_MS) {
          setRestarting(null);
          showNotice('error', 'The service did not restart, so the restore has not been applied yet: it stays staged and is applied at the next start.');
          return;
        }
      }
      if (!stopped) timer = setTimeout(() => void tick(), FAST_POLL_MS);
    };
    timer = setTimeout(() => void tick(), 300);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
    // Runs once per restart; the status it starts from is the one on screen at that moment.
  }, [restarting]);

  const backupStarted = (job: BackupJob): void => {
    setJobs((current) => [job, ...current.filter((j) => j.id !== job.id)]);
    jobRunning.current = true;
    pokeJobs();
    pokeAudit();
    setAnnouncement(`Backup to ${TARGET_NAMES[job.target]} started.`);
  };

  const restore = async (target: Target, file: BackupFile): Promise<void> => {
    const answer = await confirm({
      title: 'Restore this backup?',
      body: (
        <>
          <p>
            Every database is replaced by its copy in <strong class="filename">{file.filename}</strong> ({TARGET_NAMES[target]}, made {formatDateTime(file.created_at)}{' '}
            – {formatRelative(file.created_at)}, {formatBytes(file.size_bytes)}).
          </p>
          <p>The backup is downloaded and verified first; if any check fails, nothing changes. The current databases are kept as a safety copy in the data folder.</p>
        </>
      ),
      confirmLabel: 'Restore backup',
      danger: true,
      option: {
        label: 'Restart the service now to apply it',
        hint: 'Unticked, the restore waits for the next start of the service and can be cancelled until then.',
        defaultChecked: true,
      },
    });
    if (!answer.confirmed) return;
    setNotice(null);
    setPendingRestore({ archive: file.filename, target });
    // The restore's state shows at the top of the page: take the user there.
    setTimeout(() => bannerRef.current?.focus(), 0);
    restoreStaging.current.requested = true;
    setTimeout(pokeRestore, 300);
    try {
      const result = await unwrap(
        api.POST('/api/backups/{target}/restore', { params: { path: { target } }, body: { filename: file.filename, restart: answer.option } }),
      );
      if (result.restarting) {
        setRestarting({ archive: result.archive, target: result.target, since: Date.now() });
        setAnnouncement(`Restore of ${result.archive} staged; the service is restarting.`);
      } else {
        await loadRestoreStatus();
        setAnnouncement(`Restore of ${result.archive} staged; it is applied at the next start.`);
      }
    } catch (error) {
      await loadRestoreStatus();
      showNotice('error', `The restore of ${file.filename} was not staged: ${errorMessage(error)}`);
    } finally {
      restoreStaging.current.requested = false;
      setPendingRestore(null);
    }
  };

  const cancelRestore = async (): Promise<void> => {
    const staged = restoreStatus?.staged;
    if (!staged || cancelling) return;
    setCancelling(true);
    try {
      await unwrap(api.DELETE('/api/backups/{target}/restore/staged', { params: { path: { target: staged.target } } }));
      showNotice('ok', `The staged restore of ${staged.archive} was cancelled. Nothing was changed.`);
    } catch (error) {
      showNotice('error', `The staged restore was not cancelled: ${errorMessage(error)}`);
    } finally {
      await loadRestoreStatus();
      setCancelling(false);
    }
  };

  const lastApply = restoreStatus?.last_apply;
  const showOutcome = !!lastApply && lastApply.at !== dismissedOutcome && now - Date.parse(lastApply.at) < OUTCOME_SHOWN_MS;
  const dismissOutcome = (): void => {
    if (!lastApply) return;
    setDismissedOutcome(lastApply.at);
    try {
      sessionStorage.setItem(DISMISSED_KEY, lastApply.at);
    } catch {
      // not remembered past this page
    }
  };

  const savedR2 = async (): Promise<void> => {
    await loadSettings();
    void loadList('r2');
    void loadSchedules();
  };
  const savedLocal = async (): Promise<void> => {
    await loadSettings();
    void loadList('local');
    void loadSchedules();
  };
  const scheduleOf = (target: Target) => (
    <ScheduleInfo schedules={schedules.filter((s) => s.target === target)} verification={verifications.find((v) => v.target === target)} now={now} />
  );

  return (
    <>
      <a class="skip-link" href="#main">
        Skip to the backup settings
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <span class="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" /> Sentinel
          </span>
          <span class={`service-state ${health?.status === 'ok' ? 'service-ok' : 'service-down'}`}>
            {health ? `Service ${SERVICE_STATES[health.status]} · v${health.version}` : 'Service not answering'}
          </span>
        </div>
      </header>
      <div class="page">
        <div class="page-head">
          <h1>Settings</h1>
          <nav aria-label="Settings sections" class="tabs">
            <a href="#backup" class="tab" aria-current="page">
              Backup
            </a>
          </nav>
        </div>
        <main id="main" tabIndex={-1}>
          <div id="backup" class="tab-panel">
            {health?.problems.map((problem) => (
              <div key={problem.file} class="banner banner-error" role="alert" data-state="damaged">
                <div class="banner-text">
                  <strong>{problem.file} is damaged</strong>
                  <span>{problem.message}</span>
                </div>
              </div>
            ))}
            <div ref={bannerRef} tabIndex={-1} class="banner-slot">
              <RestoreBanner
                status={restoreStatus}
                restarting={restarting}
                pending={pendingRestore}
                now={now}
                cancelling={cancelling}
                onCancel={() => void cancelRestore()}
                onDismissOutcome={dismissOutcome}
                showOutcome={showOutcome}
              />
            </div>
            <div ref={noticeRef} tabIndex={-1} class="page-notice" role="status">
              {notice && (
                <div class={`notice ${notice.kind === 'ok' ? 'notice-ok' : 'notice-error'}`}>
                  <p>{notice.text}</p>
                  <button type="button" class="button button-small" onClick={() => setNotice(null)}>
                    Dismiss
                  </button>
                </div>
              )}
            </div>
            {settingsError && (
              <div class="notice notice-error" role="alert">
                <p>The settings could not be loaded: {settingsError}</p>
                <button type="button" class="button button-small" onClick={() => void loadSettings()}>
                  Try again
                </button>
              </div>
            )}
            <div class="targets">
              <TargetCard
                target="r2"
                title="Cloudflare R2"
                intro="Off-site backups to an R2 bucket (or any S3-compatible store). Create the bucket and an API token in the Cloudflare dashboard, then enter them here."
                fields={R2_FIELDS}
                settings={settings ?? []}
                onSaved={savedR2}
                job={latestJob(jobs, 'r2')}
                onBackupStarted={backupStarted}
                footer={scheduleOf('r2')}
                now={now}
              />
              <TargetCard
                target="local"
                title="Local folder"
                intro="Backups to a folder on this machine: the default, with no account needed."
                fields={LOCAL_FIELDS}
                settings={settings ?? []}
                onSaved={savedLocal}
                job={latestJob(jobs, 'local')}
                onBackupStarted={backupStarted}
                footer={scheduleOf('local')}
                now={now}
              />
            </div>
            <section class="card" aria-labelledby="backups-heading">
              <h2 id="backups-heading">Backups</h2>
              {TARGETS.map((target) => (
                <BackupList key={target} target={target} state={lists[target]} reload={() => loadList(target)} onRestore={restore} />
              ))}
            </section>
            <section class="card" aria-labelledby="trend-heading">
              <h2 id="trend-heading">Backup size trend</h2>
              <SizeTrend jobs={history} />
            </section>
            <AuditList entries={audit.entries} error={audit.error} reload={loadAudit} />
          </div>
        </main>
      </div>
      <div class="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </>
  );
}
