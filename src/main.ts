import 'reflect-metadata';
import dotenv from 'dotenv';
import fs from 'node:fs';
import { createApp } from './app.factory.js';
import { assertDataDirWritable } from './common/fs/data-dir-check.js';
import { AppLogger } from './common/logging/app-logger.js';
import { RestartSignal } from './common/lifecycle/restart-signal.js';
import { EnvironmentError, parseEnvironment, RESTART_EXIT_CODE } from './config/environment.js';

/** Process variables win over `.env`, as dotenv does by default. */
function readEnvironment(): Record<string, string | undefined> {
  const fromFile = fs.existsSync('.env') ? dotenv.parse(fs.readFileSync('.env')) : {};
  return { ...fromFile, ...process.env };
}

/** Set once LOG_FILE is open, so that a failed start is written there too, not only to stderr. */
let logger: AppLogger | undefined;

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
  logger = new AppLogger(env.logFile);
  assertDataDirWritable(env.dataDir);
  let stopping: ((signal: string) => void) | undefined;
  const stopRequested = new Promise<string>((resolve) => (stopping = resolve));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopping?.(signal));

  // Each pass boots the whole application; a staged restore is applied during boot. After a restore
  // is staged the app closes gracefully (in-flight requests finish, databases close) and boots again.
  for (;;) {
    const app = await createApp(raw, logger);
    await app.listen(env.port, env.host);
    logger.log(`Sentinel Backup listening on http://${env.host}:${env.port} (API docs at /api/docs)`, 'Main');
    const outcome = await Promise.race([app.get(RestartSignal).requested.then(() => 'restart'), stopRequested]);
    await app.close();
    if (outcome !== 'restart') {
      logger.log(`Stopped (${outcome})`, 'Main');
      break;
    }
    if (env.restartMode === 'exit') {
      logger.log(`Exiting with code ${RESTART_EXIT_CODE} so the supervisor restarts the service`, 'Main');
      await logger.closeFile();
      process.exit(RESTART_EXIT_CODE);
    }
    logger.log('Restarting in-process', 'Main');
  }
  await logger.closeFile();
}

main().catch((error: unknown) => {
  const message = `Sentinel Backup failed to start: ${error instanceof Error ? error.message : String(error)}`;
  if (logger) {
    // The logger prints errors to stderr as well, and appends them to LOG_FILE, where monitoring looks.
    logger.error(message, 'Main');
    void logger.closeFile();
  } else process.stderr.write(`${message}\n`);
  process.exit(1);
});
