import type { DynamicModule } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent.js';
import { createApp } from '../../src/app.factory.js';
import { TEST_MASTER_KEY } from './test-master-key.js';

export interface TestApp {
  app: NestExpressApplication;
  /** supertest bound to the app's HTTP server (real HTTP on an ephemeral port). */
  http: TestAgent;
  dataDir: string;
  /** Scratch folder of this app: DATA_DIR, the log and the local backup folder live below it. */
  root: string;
  logFile: string;
  close(): Promise<void>;
}

/** Makes a fresh scratch folder under the OS temp dir; removed by TestApp.close(). */
export function makeScratchDir(prefix = 'sentinel-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * Boots the whole application on a fresh data directory, as main.ts does (schedules off unless asked).
 * `env` overrides variables; pass `root` to boot again over an existing data directory, `imports` to
 * add modules of the test's own (listeners on the domain events).
 */
export async function startTestApp(
  env: Record<string, string | undefined> = {},
  options: { root?: string; keep?: boolean; imports?: NonNullable<DynamicModule['imports']> } = {},
): Promise<TestApp> {
  const root = options.root ?? makeScratchDir();
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'logs', 'sentinel-backup.log');
  const raw = {
    DATA_DIR: dataDir,
    LOG_FILE: logFile,
    SENTINEL_SCHEDULES: 'off',
    SENTINEL_MASTER_KEY: TEST_MASTER_KEY,
    TZ: process.env.TZ,
    ...env,
  };
  const { AppLogger } = await import('../../src/common/logging/app-logger.js');
  const logger = new AppLogger(logFile, { quiet: true });
  const app = await createApp(raw, logger, { imports: options.imports });
  try {
    await app.init();
  } catch (error) {
    // A failed start releases what it took (the databases it opened, DATA_DIR's lock), as main.ts's exit does.
    await app.close().catch(() => undefined);
    await logger.closeFile();
    throw error;
  }
  return {
    app,
    http: request(app.getHttpServer()),
    dataDir,
    root,
    logFile,
    async close() {
      await app.close();
      await logger.closeFile();
      if (!options.keep) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}
