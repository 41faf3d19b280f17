/**
 * One service per DATA_DIR, and a stop that always ends: the real service (`node dist/main.js`) as
 * child processes. A second service on a held DATA_DIR refuses to start; a lock left by a kill -9,
 * or by a process whose pid was reused, is taken over; the in-process restart keeps the lock;
 * SIGTERM ends the process within SENTINEL_SHUTDOWN_TIMEOUT_MS even when a storage request hangs.
 */
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ALL_DATABASES, prepareBackupFolder, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { assertServiceBuilt, getJson, post, type ServiceProcess, startService, waitHealthy, withService } from './fixtures/restore-service.js';
import { makeScratchDir, startTestApp } from './support/test-app.js';
import { until } from './support/until.js';

const LOCK = '.service.lock';
const ARCHIVE = 'sentinel-backup-2026-01-08-143022.tar.gz';

function readLock(data: string): any {
  return JSON.parse(fs.readFileSync(path.join(data, LOCK), 'utf8'));
}

function logOf(root: string): string {
  const file = path.join(root, 'logs', 'sentinel-backup.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
}

/** /proc/<pid>/stat field 22, the start time in clock ticks. */
function startTicks(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

/** A database big enough (incompressible pages) that a backup of it takes a moment. */
function writeBigDatabase(file: string, megabytes: number): void {
  const db = new Database(file);
  db.exec('CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB)');
  const insert = db.prepare('INSERT INTO blobs (data) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < megabytes * 16; i++) insert.run(randomBytes(64 * 1024));
  })();
  db.close();
}

/** Starts a second service on the same root and waits for its exit. */
async function secondStart(root: string): Promise<{ code: number | null; output: string }> {
  const second = await startService(root);
  const exit = await Promise.race([
    second.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`the second service did not exit:\n${second.output()}`)), 30_000)),
  ]).finally(() => {
    if (second.child.exitCode === null) second.child.kill('SIGKILL');
  });
  return { code: exit.code, output: second.output() };
}

describe('One service per DATA_DIR (real processes)', () => {
  let root: string;
  let data: string;
  const services: ServiceProcess[] = [];

  beforeAll(() => assertServiceBuilt());
  beforeEach(() => {
    root = makeScratchDir('sentinel-lock-');
    data = path.join(root, 'data');
    fs.mkdirSync(data, { recursive: true });
  });
  afterEach(async () => {
    for (const service of services.splice(0)) if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function first(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const service = await startService(root, env);
    services.push(service);
    await waitHealthy(service);
    return service;
  }

  it('a second service on a held DATA_DIR exits 1 naming the holder; the first keeps running and its backup completes', async () => {
    for (const name of ALL_DATABASES) writeDatabase(path.join(data, `${name}.db`), `current:${name}`);
    writeBigDatabase(path.join(data, 'history.db'), 48);
    const service = await first();
    const pid = service.child.pid!;
    const started = await post(`${service.url}/api/backups/local`, {});
    expect(started.status).toBe(202);

    const second = await secondStart(root);
    expect(second.code).toBe(1);
    const lock = readLock(data);
    expect(lock).toMatchObject({ pid, hostname: os.hostname(), process_start_ticks: startTicks(pid) });
    const line = new RegExp(
      `cannot start: DATA_DIR ${data.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by the Sentinel Backup service pid ${pid} \\(started ${lock.process_started_at.replace(/[.]/g, '\\.')}\\) on host .*stop that service first \\(kill -TERM ${pid}\\), or give this one another DATA_DIR`,
    );
    expect(second.output).toMatch(line);
    // One line, and in LOG_FILE too (where an operator looks when a supervisor started it).
    expect(second.output.split('\n').filter((l) => /cannot start/.test(l))).toHaveLength(1);
    expect(logOf(root)).toMatch(line);

    // The first is unaffected: still serving, its backup finishes and is the only one.
    const job = await until(
      'the backup job to finish',
      async () => {
        const res = await getJson(`${service.url}/api/backup-jobs/${started.body.id}`);
        return res && ['succeeded', 'failed'].includes(res.body.status) ? res.body : undefined;
      },
      60_000,
    );
    expect(job).toMatchObject({ status: 'succeeded', error: null });
    expect(fs.readdirSync(path.join(data, 'backups')).sort()).toEqual([`.${job.filename}.owner`, job.filename]); // the archive and its owner file
    expect(service.child.exitCode).toBeNull();
    expect(readLock(data).nonce).toBe(lock.nonce);

    // A graceful stop releases the lock.
    expect(await service.stop()).toMatchObject({ code: 0 });
    expect(fs.existsSync(path.join(data, LOCK))).toBe(false);
  }, 120_000);

  it('after a kill -9 of the first, a new service takes the stale lock over and logs whose it was', async () => {
    const service = await first();
    const pid = service.child.pid!;
    const stale = readLock(data);
    service.child.kill('SIGKILL');
    await service.exited;
    expect(readLock(data).pid).toBe(pid); // a kill -9 leaves the lock behind

    await withService(root, async (again) => {
      expect(readLock(data)).toMatchObject({ pid: again.child.pid });
      expect(logOf(root)).toContain(
        `Took over the lock of DATA_DIR ${data} from pid ${pid} (started ${stale.process_started_at}) on host ${stale.hostname}, lock taken ${stale.locked_at}: that process no longer runs`,
      );
    });
    expect(fs.readdirSync(data).filter((f) => f.startsWith(LOCK))).toEqual([]);
  }, 60_000);

  it('a lock whose pid is alive but belongs to another process (pid reused) is taken over; one on another host is not', async () => {
    // This jest process is alive; the lock says the holder started at another time: the pid was reused.
    const reused = {
      service: 'sentinel-backup',
      pid: process.pid,
      process_start_ticks: startTicks(process.pid) + 12345,
      process_started_at: '2026-01-01T00:00:00.000Z',
      hostname: os.hostname(),
      locked_at: '2026-01-01T00:00:01.000Z',
      data_dir: data,
      nonce: '00000000-0000-4000-8000-000000000001',
    };
    fs.writeFileSync(path.join(data, LOCK), JSON.stringify(reused));
    await withService(root, async (service) => {
      expect(readLock(data).pid).toBe(service.child.pid);
      expect(logOf(root)).toContain(`Took over the lock of DATA_DIR ${data} from pid ${process.pid} (started 2026-01-01T00:00:00.000Z)`);
    });

    // The same record from another host: its liveness cannot be checked from here, so the start is refused.
    fs.writeFileSync(path.join(data, LOCK), JSON.stringify({ ...reused, hostname: 'other-host.example' }));
    const refused = await secondStart(root);
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(
      /is in use by the Sentinel Backup service pid \d+ .* on host other-host\.example.*this is host .*If it no longer runs there .*delete .*\.service\.lock and start again/,
    );
    expect(readLock(data).hostname).toBe('other-host.example');
  }, 60_000);

  it('the in-process restart after a staged restore keeps the lock: no other service can start in between or after', async () => {
    fs.mkdirSync(path.join(data, 'backups'), { recursive: true });
    for (const name of ALL_DATABASES) writeDatabase(path.join(data, `${name}.db`), `current:${name}`);
    const folder = prepareBackupFolder(path.join(root, 'backup-set'), 'restored');
    tarCzf(folder, path.join(data, 'backups', ARCHIVE), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    const service = await first();
    const lock = readLock(data);
    expect((await post(`${service.url}/api/backups/local/restore`, { filename: ARCHIVE })).status).toBe(202);
    await until(
      'the restore applied after the in-process restart',
      async () => (await getJson(`${service.url}/api/restore/status`))?.body?.last_apply ?? undefined,
      30_000,
    ).catch((e) => {
      throw new Error(`${e.message}\n${logOf(root)}`);
    });
    await waitHealthy(service);
    expect(service.output()).toMatch(/Restarting in-process/);
    expect(readLock(data)).toEqual(lock);
    expect((await secondStart(root)).code).toBe(1);
    expect(await service.stop()).toMatchObject({ code: 0 });
  }, 90_000);
});

describe('SIGTERM always ends the process within SENTINEL_SHUTDOWN_TIMEOUT_MS (real processes)', () => {
  let root: string;
  let hung: net.Server;
  let connected: Promise<void>;
  const sockets: net.Socket[] = [];

  beforeAll(() => assertServiceBuilt());
  beforeEach(async () => {
    root = makeScratchDir('sentinel-sigterm-');
    // A "storage server" that accepts connections and never answers.
    let onConnection!: () => void;
    connected = new Promise((resolve) => (onConnection = resolve));
    hung = net.createServer((socket) => {
      sockets.push(socket);
      onConnection();
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await new Promise((resolve) => hung.close(resolve));
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function serviceWithHungR2(): Promise<ServiceProcess> {
    const { port } = hung.address() as net.AddressInfo;
    const service = await startService(root, {
      SENTINEL_SHUTDOWN_TIMEOUT_MS: '2000',
      R2_ENDPOINT: `http://127.0.0.1:${port}`,
      R2_ACCESS_KEY_ID: 'test-key-id',
      R2_SECRET_ACCESS_KEY: 'test-secret-access-key',
      R2_BUCKET_NAME: 'hung-bucket',
      R2_BACKUP_ENABLED: '1',
    });
    await waitHealthy(service);
    return service;
  }

  it('a Test Connection hanging on the storage server: the process exits within the limit, saying what it waited for, and releases the lock', async () => {
    const service = await serviceWithHungR2();
    const client = fetch(`${service.url}/api/backups/r2/test`, { method: 'POST' }).catch(() => undefined);
    await connected;
    const signalled = Date.now();
    service.child.kill('SIGTERM');
    const exit = await service.exited;
    const took = Date.now() - signalled;
    await client;
    // 2 s limit plus the time a loaded machine needs to log and exit (Test Connection's own limit is 15 s).
    expect(took).toBeLessThan(2000 + 4000);
    expect(exit.code).toBe(1);
    expect(logOf(root)).toMatch(
      /Did not stop within SENTINEL_SHUTDOWN_TIMEOUT_MS \(2000 ms\) after SIGTERM; exiting with code 1\. It was closing the application .*waiting for: request POST \/api\/backups\/r2\/test \(for \d+ s\)/,
    );
    expect(fs.existsSync(path.join(root, 'data', LOCK))).toBe(false);
    // The next start is not refused.
    await withService(root, async () => undefined);
  }, 60_000);

  it('a second signal while stopping exits at once', async () => {
    const service = await serviceWithHungR2();
    const client = fetch(`${service.url}/api/backups/r2/test`, { method: 'POST' }).catch(() => undefined);
    await connected;
    service.child.kill('SIGTERM');
    await until('the first signal logged', async () => (/SIGTERM received: stopping/.test(logOf(root)) ? true : undefined), 10_000);
    const second = Date.now();
    service.child.kill('SIGINT');
    const exit = await service.exited;
    await client;
    expect(exit.code).toBe(130);
    expect(Date.now() - second).toBeLessThan(1500);
    expect(logOf(root)).toContain('SIGINT received again while stopping: exiting at once');
    expect(fs.existsSync(path.join(root, 'data', LOCK))).toBe(false);
  }, 60_000);
});

describe('One app per DATA_DIR inside one process (createApp, as the tests and the OpenAPI generator use it)', () => {
  it('a second app on the same DATA_DIR is refused until the first has closed; a failed start releases the lock', async () => {
    const t = await startTestApp({}, { keep: true });
    try {
      await expect(startTestApp({}, { root: t.root, keep: true })).rejects.toThrow(`DATA_DIR ${t.dataDir} is in use by this process, pid ${process.pid}`);
      expect(readLock(t.dataDir).pid).toBe(process.pid);
      await t.app.close();
      expect(fs.existsSync(path.join(t.dataDir, LOCK))).toBe(false);
      // A start that fails after taking the lock (here: an unreadable restore flag) leaves it free.
      fs.writeFileSync(path.join(t.dataDir, '.pending-restore'), '{"format": 1, "state": "applying"');
      await expect(startTestApp({}, { root: t.root, keep: true })).rejects.toThrow(/restore flag/);
      expect(fs.existsSync(path.join(t.dataDir, LOCK))).toBe(false);
    } finally {
      await t.close();
    }
  });
});
