import 'reflect-metadata';
import dotenv from 'dotenv';
import fs from 'node:fs';
import os from 'node:os';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createApp, takeoverLine } from './app.factory.js';
import { BackupJobs } from './backup/backup-jobs.js';
import { DataDirLock, DataDirLockError } from './common/lifecycle/data-dir-lock.js';
import { InFlightRequests } from './common/lifecycle/in-flight-requests.js';
import { assertDataDirWritable } from './common/fs/data-dir-check.js';
import { AppLogger } from './common/logging/app-logger.js';
import { RestartSignal } from './common/lifecycle/restart-signal.js';
import { EnvironmentError, parseEnvironment, RESTART_EXIT_CODE } from './config/environment.js';
import { BackupVerifier } from './restore/backup-verifier.service.js';

/** Process variables win over `.env`, as dotenv does by default. */
function readEnvironment(): Record<string, string | undefined> {
  const fromFile = fs.existsSync('.env') ? dotenv.parse(fs.readFileSync('.env')) : {};
  return { ...fromFile, ...process.env };
}

/** What a stop that ran out of time was still waiting for, in words (best effort: the app may be half closed). */
function pendingWork(app: NestExpressApplication | undefined, requests: InFlightRequests | undefined): string {
  const parts = (requests?.describe() ?? []).map((request) => `request ${request}`);
  try {
    if (app) {
      const backups = app.get(BackupJobs, { strict: false });
      for (const job of backups.runningJobs()) parts.push(`${job.target} backup job ${job.id} (${job.phase})`);
      for (const running of app.get(BackupVerifier, { strict: false }).running())
        parts.push(`verification of ${running.target} ${running.filename} (started ${running.startedAt})`);
    }
  } catch {
    // The app is gone or was never built: the requests are all there is to say.
  }
  return parts.length ? parts.join('; ') : "no request or job (a provider's shutdown step, or an open connection)";
}

/** Set once LOG_FILE is open, so that a failed start is written there too, not only to stderr. */
let startLogger: AppLogger | undefined;

async function main(): Promise<void> {
  const raw = readEnvironment();
  let env;
  try {
    env = parseEnvironment(raw);
  } catch (error) {
    if (error instanceof EnvironmentError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = new AppLogger(env.logFile);
  startLogger = logger;
  // Before the lock file, the first thing written to DATA_DIR: an unwritable folder is named as such.
  assertDataDirWritable(env.dataDir);

  // One service per DATA_DIR, taken before anything reads DATA_DIR and held across in-process restarts,
  // so no other process can slip in between closing the app and booting it again.
  let lock: DataDirLock;
  try {
    lock = DataDirLock.acquire(env.dataDir);
  } catch (error) {
    if (!(error instanceof DataDirLockError)) throw error;
    logger.error(`Sentinel Backup cannot start: ${error.message}`, 'Main');
    await logger.closeFile();
    process.exit(1);
  }
  const takeover = takeoverLine(lock);
  if (takeover) logger.warn(takeover, 'Main');

  /** Every way out of the process goes through here, so the lock is released on each (a kill -9 leaves it: the next start takes it over). */
  const exit = (code: number): never => {
    lock.release();
    void logger.closeFile();
    process.exit(code);
  };

  let requests: InFlightRequests | undefined;
  let app: NestExpressApplication | undefined;
  let phase = 'starting';
  let stopping: ((signal: string) => void) | undefined;
  const stopRequested = new Promise<string>((resolve) => (stopping = resolve));
  let signalled: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) {
        logger.warn(`${signal} received again while stopping: exiting at once (${phase})`, 'Main');
        exit(128 + os.constants.signals[signal]);
      }
      signalled = signal;
      logger.log(`${signal} received: stopping (at most ${env.shutdownTimeoutMs} ms, SENTINEL_SHUTDOWN_TIMEOUT_MS)`, 'Main');
      // Not unref'd: this timer is what guarantees the end of the process.
      setTimeout(() => {
        logger.error(
          `Did not stop within SENTINEL_SHUTDOWN_TIMEOUT_MS (${env.shutdownTimeoutMs} ms) after ${signal}; exiting with code 1. ` +
            `It was ${phase}, waiting for: ${pendingWork(app, requests)}`,
          'Main',
        );
        exit(1);
      }, env.shutdownTimeoutMs);
      stopping?.(signal);
    });
  }

  try {
    // Each pass boots the whole application; a staged restore is applied during boot. After a restore
    // is staged the app closes gracefully (in-flight requests finish, databases close) and boots again.
    for (;;) {
      phase = 'booting (a staged restore is applied during boot)';
      app = await createApp(raw, logger, { lock });
      requests = new InFlightRequests(app.getHttpServer());
      await app.listen(env.port, env.host);
      phase = 'running';
      logger.log(`Sentinel Backup listening on http://${env.host}:${env.port} (API docs at /api/docs)`, 'Main');
      const outcome = await Promise.race([app.get(RestartSignal).requested.then(() => 'restart'), stopRequested]);
      phase = 'closing the application (in-flight requests, running jobs, the databases)';
      requests.drain();
      await app.close();
      if (outcome !== 'restart') {
        logger.log(`Stopped (${outcome})`, 'Main');
        break;
      }
      if (signalled) {
        logger.log(`Stopped (${signalled}) instead of restarting; the staged restore is applied at the next start`, 'Main');
        break;
      }
      if (env.restartMode === 'exit') {
        logger.log(`Exiting with code ${RESTART_EXIT_CODE} so the supervisor restarts the service`, 'Main');
        exit(RESTART_EXIT_CODE);
      }
      logger.log('Restarting in-process', 'Main');
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // Logged (console and LOG_FILE) rather than thrown, so the lock is released on the way out.
    logger.error(`Sentinel Backup ${phase.startsWith('booting') ? 'failed to start' : `stopped on an error while ${phase}`}: ${message}`, 'Main');
    exit(1);
  }
  // Exit explicitly: a socket a storage client left open must not keep a stopped service alive.
  exit(0);
}

main().catch((error: unknown) => {
  const message = `Sentinel Backup failed to start: ${error instanceof Error ? error.message : String(error)}`;
  if (startLogger) {
    // The logger prints errors to stderr as well, and appends them to LOG_FILE, where monitoring looks.
    startLogger.error(message, 'Main');
    void startLogger.closeFile();
  } else process.stderr.write(`${message}\n`);
  process.exit(1);
});
