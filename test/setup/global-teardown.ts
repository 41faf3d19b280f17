/**
 * Jest globalTeardown: stops the radosgw clusters that global-setup.ts started (all daemons, by their
 * pid files, via test/s3/stop-rgw.sh), removes their temp dirs and the connection files.
 * Like global-setup.ts, this file is loaded by Node's own loader: Node built-ins and packages only.
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const FILE_ENV = 'SENTINEL_TEST_S3_FILE';
const CLEANUP_KEY = Symbol.for('sentinel-backup.test-s3.cleanup');

export default async function globalTeardown(): Promise<void> {
  const files = process.env[FILE_ENV];
  if (!files) return;
  try {
    // Side by side: each stop waits for its daemons to exit.
    await Promise.all(files.split(delimiter).map(stopCluster));
  } finally {
    delete process.env[FILE_ENV];
    const g = globalThis as Record<symbol, unknown>;
    if (typeof g[CLEANUP_KEY] === 'function') (g[CLEANUP_KEY] as () => void)();
  }
}

async function stopCluster(file: string): Promise<void> {
  try {
    const conn = JSON.parse(readFileSync(file, 'utf8')) as { dir: string; scriptsDir: string };
    const res = await run('bash', [join(conn.scriptsDir, 'stop-rgw.sh'), conn.dir]);
    if (res.status !== 0 || res.stderr) {
      console.warn(`[test-s3] stop-rgw.sh: ${res.error ?? ''} ${res.stderr}`.trim());
    }
    rmSync(conn.dir, { recursive: true, force: true });
  } catch (err) {
    console.warn(`[test-s3] teardown: ${(err as Error).message}`);
  } finally {
    rmSync(file, { force: true });
  }
}

function run(cmd: string, args: string[]): Promise<{ status: number | null; stderr: string; error?: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { encoding: 'utf8', timeout: 60_000 }, (err, _stdout, stderr) =>
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr, error: err?.message }),
    );
  });
}
