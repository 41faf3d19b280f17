import { useRef } from 'preact/hooks';
import { type BackupFile, type BackupJob, errorMessage, type Health, type Target } from '../api/client';
import { latestJob } from '../backup-jobs';
import { latestVerifications } from '../run-history';
import { formatDateTime } from '../format';
import { forPeople } from '../words';
import { forgetToken, hasToken } from '../api/auth';
import { useAuditLog } from '../hooks/useAuditLog';
import { useBackupJobs } from '../hooks/useBackupJobs';
import { useClock } from '../hooks/useClock';
import { usePageMessages } from '../hooks/usePageMessages';
import { useRestoreFlow } from '../hooks/useRestoreFlow';
import { useRunHistory } from '../hooks/useRunHistory';
import { useSchedules } from '../hooks/useSchedules';
import { useServiceHealth } from '../hooks/useServiceHealth';
import { useSettings } from '../hooks/useSettings';
import { useStatus } from '../hooks/useStatus';
import { EMPTY_LIST, useTargetLists } from '../hooks/useTargetLists';
import { useTargets } from '../hooks/useTargets';
import { LOCAL_FIELDS, R2_FIELDS, replicationField, withServiceZone } from '../settings-fields';
import { ArchiveAccessProvider, useArchiveAccess } from './ArchiveAccessDialog';
import { AuditList } from './AuditList';
import { BackupHeadline } from './BackupHeadline';
import { BackupList } from './BackupList';
import { EncryptionSettings } from './EncryptionSettings';
import { NotificationsCard } from './NotificationsCard';
import { ConfirmProvider, useConfirm } from './ConfirmDialog';
import { CostCard } from './CostCard';
import { RestoreBanner } from './RestoreBanner';
import { RestoreContents } from './RestoreContents';
import { RunHistory } from './RunHistory';
import { ScheduleInfo } from './ScheduleInfo';
import { ServiceDownBanner } from './ServiceDownBanner';
import { SlowNotice } from './SlowNotice';
import { ServiceDown } from '../service-down';
import { SizeTrend } from './SizeTrend';
import { StatusStrip } from './StatusStrip';
import { TargetCard } from './TargetCard';
import { TargetsCard } from './TargetsCard';
import { TokenDialog } from './TokenDialog';
import { TokenWait } from './TokenWait';

const SERVICE_STATES: Record<Health['status'], string> = { ok: 'running', starting: 'starting', degraded: 'running with a damaged database' };

/** A click on a link, stopped before the link or its handler acts on it (a Download while the service does not answer). */
function stopLink(event: MouseEvent): void {
  if (!(event.target instanceof Element) || !event.target.closest('a[href]')) return;
  event.preventDefault();
  event.stopPropagation();
}

export function App() {
  return (
    <ConfirmProvider>
      <ArchiveAccessProvider>
        <BackupPage />
      </ArchiveAccessProvider>
      <TokenDialog />
    </ConfirmProvider>
  );
}

/**
 * The Backup tab's layout. What it shows comes from hooks (web/src/hooks/), one kind of state each; the
 * restore flow pauses every poll but the health check while the service restarts, and the data hooks
 * load again when it is back.
 */
function BackupPage() {
  const { now, refresh: refreshNow } = useClock();
  const { notice, noticeRef, showNotice, dismissNotice, announcement, announce } = usePageMessages();
  const service = useServiceHealth();
  const flow = useRestoreFlow({ now, checkHealth: service.check, announce, showNotice, onWaiting: refreshNow });
  const live = flow.restarting === null;
  const settings = useSettings(live);
  // The status and the notifications are read once the settings are: with an API token, the page's first
  // requests all wait for the token question and retry with what was typed; these join after that burst
  // (the service counts a repeated wrong token once, so this only keeps the burst small).
  const afterSettings = live && settings.settings !== null;
  const status = useStatus(afterSettings, announce);
  const destinations = useTargets(live);
  const targets = useTargetLists(live, destinations.ids);
  const jobs = useBackupJobs({
    enabled: live,
    targets: destinations.ids,
    nameOf: destinations.nameOf,
    announce,
    onSucceeded: (job) => {
      void targets.load(job.target);
      // A replication changes the source's list too: its rows show which replicas hold each backup.
      if (job.source) void targets.load(job.source);
    },
    onEnded: () => {
      status.poke();
      history.poke();
    },
    onPolled: refreshNow,
  });
  const schedules = useSchedules(live);
  const audit = useAuditLog(live);
  const history = useRunHistory(afterSettings);
  const bannerRef = useRef<HTMLDivElement>(null);
  const confirm = useConfirm();
  const askAccess = useArchiveAccess();
  const { health } = service;
  // The service stopped answering (not the restart a restore asked for, which RestoreBanner follows): every action is off until it is back.
  const down = live && service.downSince !== null;
  /** The zone the schedules' wall-clock times are in (the service's TZ); the schedules say it too, while health is not in yet. */
  const serviceZone = health?.time_zone ?? schedules.schedules[0]?.time_zone;

  const backupStarted = (job: BackupJob): void => {
    jobs.started(job);
    audit.poke();
  };

  const restore = async (target: Target, file: BackupFile): Promise<void> => {
    const answer = await confirm({
      title: 'Restore this backup?',
      body: <RestoreContents target={target} targetName={destinations.nameOf(target)} file={file} />,
      confirmLabel: 'Restore backup',
      danger: true,
      option: {
        label: 'Restart the service now to apply it',
        hint: 'Unticked, the restore waits for the next start of the service and can be cancelled until then.',
        defaultChecked: true,
      },
    });
    if (!answer.confirmed) return;
    dismissNotice();
    // The restore's state shows at the top of the page: take the user there.
    setTimeout(() => bannerRef.current?.focus(), 0);
    const attempt = (access = {}) => flow.stage(target, file.filename, answer.option, access);
    try {
      await attempt();
    } catch (error) {
      // Encrypted with a key the server does not hold, or not made here: the dialog asks and tries again.
      await askAccess({ action: 'restore', filename: file.filename, error, attempt }).catch((e: unknown) =>
        showNotice('error', `The restore of ${file.filename} was not staged: ${errorMessage(e)}`),
      );
    }
  };

  /**
   * Apply now replaces every database with the staged backup's and restarts the service: asked first, naming the
   * backup and its time, as every destructive action is (README). Cancel or Escape leaves the staged restore as it is.
   */
  const applyStaged = async (): Promise<void> => {
    const staged = flow.status?.staged;
    if (!staged) return;
    const answer = await confirm({
      title: 'Apply the restore now?',
      body: (
        <p>
          The databases are replaced with those of <strong class="filename">{staged.archive}</strong> from {destinations.nameOf(staged.target)}, the backup of{' '}
          <time dateTime={staged.backup_timestamp}>{formatDateTime(staged.backup_timestamp)}</time>: every change made since then is lost. The service restarts
          to apply it, and the page waits until it is back.
        </p>
      ),
      confirmLabel: 'Apply and restart',
      danger: true,
    });
    if (answer.confirmed) await flow.applyNow();
  };

  /** After a save: the settings as stored, the target's list (another folder or bucket), and the re-timed schedules. */
  const saved = async (target: Target): Promise<void> => {
    // Both awaited: a built-in card shows its incremental policy from the targets' list once its draft is cleared.
    await Promise.all([settings.load(), destinations.load()]);
    void targets.load(target);
    void schedules.load();
    status.poke();
  };
  /** After a target is added, changed or deleted: the list, the built-ins' settings it may have written, and the schedules. */
  const targetsChanged = async (): Promise<void> => {
    await destinations.load();
    void settings.load();
    void schedules.load();
    status.poke();
  };
  const scheduleOf = (target: Target) => (
    <ScheduleInfo
      schedules={schedules.schedules.filter((s) => s.target === target)}
      verification={schedules.verifications.find((v) => v.target === target)}
      now={now}
    />
  );

  return (
    <>
      {/* The first stop of the Tab key: past the top bar to the page's content, its title and sections. */}
      <a class="skip-link" href="#main">
        Skip to the content
      </a>
      <header class="topbar">
        <div class="topbar-inner">
          <span class="brand">
            <img src="/favicon.svg" alt="" width="24" height="24" /> Sentinel
          </span>
          <span class="topbar-states">
            <BackupHeadline status={status.status} error={status.error} />
            <span class={`service-state ${health?.status === 'ok' ? 'service-ok' : 'service-down'}`}>
              {health ? `Service ${SERVICE_STATES[health.status]} · v${health.version}` : 'Service not answering'}
            </span>
            {hasToken() && (
              <button
                type="button"
                class="button button-small topbar-button"
                onClick={() => {
                  // On a shared computer: the tab stops sending the token, and the page starts again without it (it asks).
                  forgetToken();
                  location.reload();
                }}
              >
                Forget token
              </button>
            )}
          </span>
        </div>
      </header>
      {/* Everything below the top bar is in the main landmark, the page's h1 and its section tabs too (axe's region rule). */}
      <main id="main" class="page" tabIndex={-1}>
        <div class="page-head">
          <h1>Settings</h1>
          <nav aria-label="Settings sections" class="tabs">
            <a href="#backup" class="tab" aria-current="page">
              Backup
            </a>
          </nav>
        </div>
        <div id="backup" class="tab-panel">
          {health?.problems.map((problem) => (
            <div key={problem.file} class="banner banner-error" role="alert" data-state="damaged">
              <div class="banner-text">
                <strong>{problem.file} is damaged</strong>
                <span>{forPeople(problem.message)}</span>
              </div>
            </div>
          ))}
          <div ref={bannerRef} tabIndex={-1} class="banner-slot">
            <RestoreBanner
              status={flow.status}
              restarting={flow.restarting}
              pending={flow.pending}
              now={now}
              cancelling={flow.cancelling}
              onCancel={() => void flow.cancel()}
              applying={flow.applying}
              onApply={() => void applyStaged()}
              onDismissOutcome={flow.dismissOutcome}
              showOutcome={flow.showOutcome}
            />
          </div>
          <SlowNotice slow={flow.slow} what="the restore to be staged" onCancel={flow.stopWaiting} />
          {down && <ServiceDownBanner since={service.downSince} onCheck={() => void service.check()} />}
          <div ref={noticeRef} tabIndex={-1} class="page-notice" role="status">
            {notice && (
              <div class={`notice ${notice.kind === 'ok' ? 'notice-ok' : 'notice-error'}`}>
                <p>{notice.text}</p>
                <button type="button" class="button button-small" onClick={dismissNotice}>
                  Dismiss
                </button>
              </div>
            )}
          </div>
          {/* A disabled fieldset turns off every button in it at once, and on again when the service answers; its links are stopped here (they mark themselves through ServiceDown). */}
          <ServiceDown.Provider value={down}>
            <fieldset class="page-actions" disabled={down} data-disabled={down} onClickCapture={(event) => down && stopLink(event)}>
              <StatusStrip status={status.status} error={status.error} now={now} nameOf={destinations.nameOf} kindOf={destinations.kindOf} />
              {settings.error && (
                <div class="notice notice-error" role="alert">
                  <p>The settings could not be loaded: {settings.error}</p>
                  <button type="button" class="button button-small" onClick={() => void settings.load()}>
                    Try again
                  </button>
                </div>
              )}
              <section class="card" aria-labelledby="backups-heading">
                <h2 id="backups-heading">Backups</h2>
                {destinations.ids.map((target) => (
                  <BackupList
                    key={target}
                    target={target}
                    name={destinations.nameOf(target)}
                    place={destinations.kindOf(target)}
                    replicas={(destinations.targets ?? [])
                      .filter((t) => t.replicate_from === target)
                      .map((t) => ({ id: t.id, name: destinations.nameOf(t.id) }))}
                    state={targets.lists[target] ?? EMPTY_LIST}
                    reload={() => targets.load(target)}
                    onRestore={restore}
                    verified={latestVerifications(history.verifications, target)}
                    onVerified={history.poke}
                    now={now}
                  />
                ))}
              </section>
              <section class="card" aria-labelledby="trend-heading">
                <h2 id="trend-heading">Backup trends</h2>
                <SizeTrend jobs={jobs.history} ids={destinations.ids} nameOf={destinations.nameOf} />
              </section>
              <RunHistory history={history} ids={destinations.ids} nameOf={destinations.nameOf} kindOf={destinations.kindOf} />
              <CostCard enabled={afterSettings} />
              <div class="targets">
                {settings.settings === null ? (
                  <TokenWait />
                ) : (
                  <>
                    <TargetCard
                      target="r2"
                      title="Cloudflare R2"
                      intro="Off-site backups to an R2 bucket (or any S3-compatible store). Create the bucket and an API token in the Cloudflare dashboard, then enter them here."
                      fields={[...withServiceZone(R2_FIELDS, serviceZone), replicationField('r2', destinations.ids, destinations.nameOf)]}
                      settings={settings.settings ?? []}
                      info={destinations.targets?.find((t) => t.id === 'r2')}
                      onSaved={() => saved('r2')}
                      job={latestJob(jobs.jobs, 'r2')}
                      onBackupStarted={backupStarted}
                      footer={scheduleOf('r2')}
                      now={now}
                    />
                    <TargetCard
                      target="local"
                      title="Local folder"
                      intro="Backups to a folder on this machine: the default, with no account needed."
                      fields={[...withServiceZone(LOCAL_FIELDS, serviceZone), replicationField('local', destinations.ids, destinations.nameOf)]}
                      settings={settings.settings ?? []}
                      info={destinations.targets?.find((t) => t.id === 'local')}
                      onSaved={() => saved('local')}
                      job={latestJob(jobs.jobs, 'local')}
                      onBackupStarted={backupStarted}
                      footer={scheduleOf('local')}
                      now={now}
                    />
                  </>
                )}
                {destinations.ids.map((target) => (
                  <EncryptionSettings key={target} target={target} name={destinations.nameOf(target)} enabled={live} onAudited={audit.poke} />
                ))}
              </div>
              <TargetsCard
                targets={destinations.targets}
                error={destinations.error}
                schedules={schedules.schedules}
                serviceZone={serviceZone}
                onChanged={targetsChanged}
                onJobStarted={backupStarted}
                jobs={jobs.jobs}
                now={now}
                nameOf={destinations.nameOf}
              />
              <NotificationsCard enabled={afterSettings} now={now} />
              <AuditList entries={audit.entries} error={audit.error} reload={audit.load} />
            </fieldset>
          </ServiceDown.Provider>
        </div>
      </main>
      <div class="visually-hidden" aria-live="polite">
        {announcement}
      </div>
    </>
  );
}
