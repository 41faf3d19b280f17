import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { configureR2 } from './r2-settings.js';
import { createTestBucket, testS3 } from './s3-server.js';
import { seedDatabases, waitForJob } from './seed.js';
import { startTestApp, type TestApp } from './test-app.js';

/** The built command line the tests run (`npx nest build` first). */
export const CLI = path.resolve(process.env.SENTINEL_TEST_DIST ?? 'dist', 'cli.js');

export interface CliRun {
  /** The exit code; null when a signal ended it. */
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * stderr without the progress lines a piped download, verify or restore writes there ("Restoring: 2.93 KiB done
 * in 12 ms ..."): what is left is errors.
 */
export function errorsIn(run: CliRun): string {
  return run.stderr.replace(/^(Downloading|Verifying|Checking|Restoring|Reading): .*\n/gm, '');
}

/** The environment of a run: only `env`, with PATH, HOME and TZ=UTC, so nothing of the test's own environment leaks in. */
export function cliEnv(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), TZ: 'UTC', ...env };
}

/** Runs `sentinel-backup args` (node dist/cli.js) with only `env` (and PATH, HOME) in its environment, in `cwd`, its output piped. */
export function cli(args: string[], env: Record<string, string> = {}, cwd = os.tmpdir()): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd, env: cliEnv(env), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/** The service (in this process) with its R2 target on a new bucket of the test S3 server and one backup made there, as the command line finds it. */
export interface ServiceWithBackup {
  t: TestApp;
  bucket: string;
  /** The backup job, done: its archive's name and size. */
  job: { filename: string; size_bytes: number };
  /** The bucket's credentials, as the command line takes them: from the environment. */
  creds: Record<string, string>;
}

export async function serviceWithBackup(bucketPrefix: string): Promise<ServiceWithBackup> {
  const bucket = await createTestBucket(bucketPrefix);
  const t = await startTestApp();
  await configureR2(t, bucket);
  await seedDatabases(t.app, { rows: 50 });
  const job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
  const s3 = testS3();
  return { t, bucket, job, creds: { R2_ACCESS_KEY_ID: s3.accessKeyId, R2_SECRET_ACCESS_KEY: s3.secretAccessKey } };
}
