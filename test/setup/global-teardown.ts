/**
 * Jest globalTeardown: stops the radosgw cluster that global-setup.ts started (all daemons, by their
 * pid files, via test/s3/stop-rgw.sh), removes its temp dir and the connection file.
 * Like global-setup.ts, this file is loaded by Node's own loader: Node built-ins and packages only.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const FILE_ENV = 'SENTINEL_TEST_S3_FILE';
const CLEANUP_KEY = Symbol.for('sentinel-backup.test-s3.cleanup');

export default async function globalTeardown(): Promise<void> {
  const file = process.env[FILE_ENV];
  if (!file) return;
  try {
    const conn = JSON.parse(readFileSync(file, 'utf8')) as { dir: string; scriptsDir: string };
    const res = spawnSync('bash', [join(conn.scriptsDir, 'stop-rgw.sh'), conn.dir], { encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0 || res.stderr) {
      console.warn(`[test-s3] stop-rgw.sh: ${res.error?.message ?? ''} ${res.stderr ?? ''}`.trim());
    }
    rmSync(conn.dir, { recursive: true, force: true });
  } catch (err) {
    console.warn(`[test-s3] teardown: ${(err as Error).message}`);
  } finally {
    rmSync(file, { force: true });
    delete process.env[FILE_ENV];
    const g = globalThis as Record<symbol, unknown>;
    if (typeof g[CLEANUP_KEY] === 'function') (g[CLEANUP_KEY] as () => void)();
  }
}
