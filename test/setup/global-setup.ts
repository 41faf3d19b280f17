/**
 * Jest globalSetup: starts a real S3-compatible server for the e2e tests, Ceph's RADOS Gateway
 * (radosgw) on a one-node throwaway cluster on loopback (test/s3/start-rgw.sh), with random ports
 * and random keys, in a fresh temp dir; test/setup/global-teardown.ts stops it. One cluster per jest
 * worker (one with --runInBand), started side by side: a test file that takes its server down
 * (stopS3) then cannot disturb the test files the other workers run at the same time.
 *
 * Tests read the connection details through test/support/s3-server.ts (testS3(), createTestBucket(),
 * stopS3()/startS3()); this file hands them over in JSON files whose paths are in the env var
 * SENTINEL_TEST_S3_FILE, separated by the path delimiter, the Nth for jest worker N (env vars set here
 * are inherited by the test workers).
 *
 *   SENTINEL_TEST_S3=off   do not start the server, e.g. for a quick unit-test run:
 *                          `SENTINEL_TEST_S3=off npx jest src`. Tests that need S3 skip themselves
 *                          (describeS3 / isTestS3Enabled() in test/support/s3-server.ts).
 *
 * If radosgw is not installed: as root, the Debian packages are installed with apt-get; otherwise the
 * setup fails with the list of packages to install.
 *
 * Jest loads this file through Node's own module loader (not the test runtime), so jest.config.js's
 * moduleNameMapper does not apply: import only Node built-ins and packages here, no relative '.js'
 * imports of other .ts files (they fail with ERR_MODULE_NOT_FOUND).
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Must match test/support/s3-server.ts. */
const FILE_ENV = 'SENTINEL_TEST_S3_FILE';
const FILE_PREFIX = 'sentinel-backup-s3-';
const DIR_PREFIX = 'sentinel-backup-rgw-';
const CLEANUP_KEY = Symbol.for('sentinel-backup.test-s3.cleanup');

/** Commands start-rgw.sh / rgw-gateway.sh need, and the packages that bring them. */
const COMMANDS = ['radosgw', 'radosgw-admin', 'ceph-mon', 'ceph-osd', 'monmaptool', 'ceph', 'rados'];
const PACKAGES = ['radosgw', 'ceph-mon', 'ceph-osd', 'uuid-runtime', 'sqlite3'];

interface ConnectionFile {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: 'auto';
  dir: string;
  port: number;
  monPort: number;
  scriptsDir: string;
  ownerPid: number;
}

interface JestProjectConfig {
  rootDir: string;
}

interface JestGlobalConfig {
  /** 1 with --runInBand. */
  maxWorkers: number;
}

export default async function globalSetup(globalConfig: JestGlobalConfig, projectConfig: JestProjectConfig): Promise<void> {
  delete process.env[FILE_ENV];
  if ((process.env.SENTINEL_TEST_S3 ?? '').toLowerCase() === 'off') {
    console.log('\n[test-s3] SENTINEL_TEST_S3=off: no S3 server; tests that need it are skipped');
    return;
  }
  const t0 = Date.now();
  const scriptsDir = join(projectConfig.rootDir, 'test', 's3');
  const installMs = await ensurePackages();
  reapAbandonedClusters(scriptsDir);

  // One cluster per jest worker: a test file may take its server down (stopS3) while the other worker's
  // test files go on using theirs. Ports for all of them are picked in one go, so no two share one.
  const count = Math.max(1, globalConfig.maxWorkers);
  const files = Array.from({ length: count }, (_, i) => join(tmpdir(), `${FILE_PREFIX}${process.pid}-${i + 1}.json`));
  installCleanupHandlers(files);
  const ports = await freePorts(2 * count * 3);
  const started = await Promise.allSettled(files.map((file, i) => startCluster(file, scriptsDir, ports.slice(6 * i, 6 * i + 6))));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    for (const file of files) stopCluster(file);
    throw failed.reason;
  }
  process.env[FILE_ENV] = files.join(delimiter);
  const endpoints = started.map((r) => (r as PromiseFulfilledResult<ConnectionFile>).value.endpoint);
  console.log(
    `\n[test-s3] ${count === 1 ? 'radosgw' : `${count} radosgw clusters (one per jest worker)`} on ${endpoints.join(', ')} ready in ${Date.now() - t0} ms ` +
      `(install ${installMs} ms); details in ${files.join(', ')}`,
  );
}

/** Starts one cluster (3 attempts, each with its own pair of `ports`), warms it up and describes it in `file`. */
async function startCluster(file: string, scriptsDir: string, ports: number[]): Promise<ConnectionFile> {
  let lastError: unknown;
  // A port picked free can be taken by someone else before the daemon binds it: retry with new ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const [port, monPort] = ports.slice(2 * attempt, 2 * attempt + 2);
    const dir = mkdtempSync(join(tmpdir(), DIR_PREFIX));
    const candidate: ConnectionFile = {
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: 'SBT' + randomBytes(9).toString('hex').toUpperCase().slice(0, 17),
      secretAccessKey: randomBytes(30).toString('base64url'),
      region: 'auto',
      dir,
      port,
      monPort,
      scriptsDir,
      ownerPid: process.pid,
    };
    // Written before the start, so that an interrupted run can still be cleaned up from it.
    writeFileSync(file, JSON.stringify(candidate, null, 2) + '\n', { mode: 0o600 });
    try {
      await run('bash', [join(scriptsDir, 'start-rgw.sh'), dir, String(port), candidate.accessKeyId, candidate.secretAccessKey], {
        env: { ...process.env, MONPORT: String(monPort) },
        timeoutMs: 120_000,
      });
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n${logTails(dir)}`);
      stopCluster(file);
      continue;
    }
    try {
      await warmUp(candidate);
    } catch (err) {
      stopCluster(file);
      throw new Error(`[test-s3] radosgw started but the warm-up failed: ${(err as Error).message}\n${logTails(dir)}`, { cause: err });
    }
    return candidate;
  }
  throw new Error(`[test-s3] could not start radosgw (3 attempts); last error: ${(lastError as Error).message}`);
}

/** Stops the cluster described by `file` (synchronously, usable from exit/signal handlers), removes the dir and the file. */
function stopCluster(file: string): void {
  let conn: ConnectionFile;
  try {
    conn = JSON.parse(readFileSync(file, 'utf8')) as ConnectionFile;
  } catch {
    return;
  }
  spawnSync('bash', [join(conn.scriptsDir, 'stop-rgw.sh'), conn.dir], { stdio: 'ignore', timeout: 60_000 });
  rmSync(conn.dir, { recursive: true, force: true });
  rmSync(file, { force: true });
}

/**
 * Jest runs no globalTeardown when it is interrupted (Ctrl-C) or when a later step throws, and the
 * daemons detach from the terminal: stop them from exit and signal handlers too. global-teardown.ts
 * removes these handlers after its regular stop.
 */
function installCleanupHandlers(files: string[]): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[CLEANUP_KEY]) (g[CLEANUP_KEY] as () => void)();
  const onExit = (): void => files.forEach(stopCluster);
  const onSignal = (signal: NodeJS.Signals): void => {
    files.forEach(stopCluster);
    remove();
    process.kill(process.pid, signal);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const remove = (): void => {
    process.removeListener('exit', onExit);
    for (const s of signals) process.removeListener(s, onSignal);
    delete g[CLEANUP_KEY];
  };
  process.on('exit', onExit);
  for (const s of signals) process.on(s, onSignal);
  g[CLEANUP_KEY] = remove;
}

/** Clusters left by test runs that were killed hard (SIGKILL, OOM): their owner process is gone. */
function reapAbandonedClusters(scriptsDir: string): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir()).filter((n) => n.startsWith(FILE_PREFIX) && n.endsWith('.json'));
  } catch {
    return;
  }
  for (const name of names) {
    const file = join(tmpdir(), name);
    try {
      const conn = JSON.parse(readFileSync(file, 'utf8')) as ConnectionFile;
      if (conn.ownerPid === process.pid || pidAlive(conn.ownerPid)) continue;
      if (!conn.dir.startsWith(join(tmpdir(), DIR_PREFIX))) continue;
      spawnSync('bash', [join(scriptsDir, 'stop-rgw.sh'), conn.dir], { stdio: 'ignore', timeout: 60_000 });
      rmSync(file, { force: true });
      console.log(`\n[test-s3] stopped a cluster abandoned by process ${conn.ownerPid} (${conn.dir})`);
    } catch {
      // unreadable or half-written: not ours to judge
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function onPath(cmd: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((d) => {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Installs the Debian packages when a command is missing (root only). Returns the time spent. */
async function ensurePackages(): Promise<number> {
  const missing = COMMANDS.filter((c) => !onPath(c));
  if (missing.length === 0) return 0;
  const t0 = Date.now();
  const hint = `sudo apt-get install -y --no-install-recommends ${PACKAGES.join(' ')}`;
  if (process.getuid?.() !== 0 || !onPath('apt-get')) {
    throw new Error(
      `[test-s3] the e2e tests need a local Ceph RADOS Gateway, but ${missing.join(', ')} ` +
        `${missing.length === 1 ? 'is' : 'are'} not installed. Install the Debian packages:\n  ${hint}\n` +
        `or skip the S3 tests with SENTINEL_TEST_S3=off.`,
    );
  }
  console.log(`\n[test-s3] ${missing.join(', ')} missing: installing ${PACKAGES.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): Promise<void> => run('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], { env, timeoutMs: 600_000 });
  const haveLists = (() => {
    try {
      return readdirSync('/var/lib/apt/lists').some((n) => n.endsWith('_Packages') || n.endsWith('_Packages.lz4'));
    } catch {
      return false;
    }
  })();
  try {
    if (!haveLists) throw new Error('no package lists');
    await install();
  } catch {
    // lists missing or stale (404s): refresh once and retry
    await run('apt-get', ['update'], { env, timeoutMs: 300_000 });
    await install();
  }
  const still = COMMANDS.filter((c) => !onPath(c));
  if (still.length) throw new Error(`[test-s3] still missing after apt-get install: ${still.join(', ')}`);
  return Date.now() - t0;
}

/** Distinct free TCP ports on 127.0.0.1, outside 6800-7300 (where Ceph's storage daemon binds). */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const addr = srv.address();
        srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
      });
    });
    if (port && (port < 6800 || port > 7300)) ports.add(port);
  }
  return [...ports];
}

/** Runs a command; rejects with its exit status and output on failure or timeout. */
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args[0] ?? ''} failed (${signal ?? `exit ${code}`}): ${out.slice(-4000)}`));
    });
  });
}

function logTails(dir: string): string {
  const logDir = join(dir, 'log');
  if (!existsSync(logDir)) return '';
  return readdirSync(logDir)
    .map((n) => {
      const lines = readFileSync(join(logDir, n), 'utf8').trimEnd().split('\n');
      return `--- ${n} (last lines)\n${lines.slice(-15).join('\n')}`;
    })
    .join('\n');
}

/** The first bucket and the first object create Ceph pools (slow): do them here, not in a timed test. */
async function warmUp(conn: ConnectionFile): Promise<void> {
  const client = new S3Client({
    endpoint: conn.endpoint,
    region: conn.region,
    credentials: { accessKeyId: conn.accessKeyId, secretAccessKey: conn.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = `warmup-${randomBytes(4).toString('hex')}`;
  try {
    await client.send(new CreateBucketCommand({ Bucket }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'warmup.txt', Body: 'warm' }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key: 'warmup.txt' }));
    if ((await got.Body?.transformToString()) !== 'warm') throw new Error('warm-up object read back wrong');
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'warmup.txt' }));
    await client.send(new DeleteBucketCommand({ Bucket }));
  } finally {
    client.destroy();
  }
}
