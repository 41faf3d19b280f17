/**
 * `sentinel-backup backup` and the newest backups in `status`, as a user runs them: child processes of the
 * built command (dist/cli.js) on a DATA_DIR the real service configured (local folder, the real S3 server as
 * r2, an added folder target with encryption on, an added S3 target that cannot be reached), the real `age`
 * and `tar`, the real service (dist/main.js) started afterwards and during, and kill -9 during an upload.
 */
import Database from 'better-sqlite3';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ALL_DATABASES, sha256 } from './fixtures/restore-archives.js';
import { assertServiceBuilt, getJson, startService } from './fixtures/restore-service.js';
import { decryptByHand, enableEncryption } from './support/age-archives.js';
import { CLI, cliEnv, cli as runCli, type CliRun as Run } from './support/cli-process.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3 } from './support/s3-server.js';
import { seedDatabases } from './support/seed.js';
import { startTestApp } from './support/test-app.js';
import { TEST_MASTER_KEY } from './support/test-master-key.js';

const OFFSITE_SECRET = 'offsite-secret-0123456789abcdef';
/** The service's master key; retries of the unreachable target 10 ms apart rather than 500: the same failure, seconds sooner. */
const ENV = { SENTINEL_MASTER_KEY: TEST_MASTER_KEY, SENTINEL_STORAGE_RETRY_BASE_MS: '10' };

/** Runs `sentinel-backup args` with the service's master key (and PATH, HOME) in its environment. */
function cli(args: string[]): Promise<Run> {
  return runCli(args, ENV);
}

/** Every table of a SQLite file, row by row in rowid order: what a reader of the database sees. */
function contents(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{
      name: string;
    }>;
    return Object.fromEntries(tables.map(({ name }) => [name, db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()]));
  } finally {
    db.close();
  }
}

/** The backup names (not dot files, not `.partial`s) in a folder. */
function backupsIn(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('sentinel-backup-'))
    .sort();
}

describeS3('sentinel-backup backup and status, on a DATA_DIR the service configured', () => {
  let root: string;
  let data: string;
  let local: string;
  let vault: string;
  let bucket: string;
  let recoveryKey: { keyFile: string; identity: string };
  /** Every output of the command line, checked for secrets at the end. */
  const outputs: string[] = [];
  const run = async (args: string[]): Promise<Run> => {
    const result = await cli(args);
    outputs.push(result.stdout, result.stderr);
    return result;
  };

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npx nest build)`);
    assertServiceBuilt();
    bucket = await createTestBucket('cli-backup');
    const t = await startTestApp({}, { keep: true });
    root = t.root;
    data = t.dataDir;
    local = path.join(data, 'backups');
    vault = path.join(root, 'vault');
    try {
      await configureR2(t, bucket);
      await seedDatabases(t.app, { rows: 60 });
      // An added folder target with encryption on: its archives are .tar.gz.age, to its recovery key's recipient.
      await t.http.post('/api/targets').send({ id: 'vault', kind: 'folder', path: vault }).expect(201);
      const keys = path.join(root, 'keys');
      fs.mkdirSync(keys);
      recoveryKey = await enableEncryption(t, 'vault' as 'local', keys);
      // An added S3 target that cannot be reached (nothing listens on port 9), turned off: only named ones use it.
      await t.http
        .post('/api/targets')
        .send({
          id: 'offsite',
          kind: 's3',
          enabled: false,
          endpoint: 'http://127.0.0.1:9',
          bucket: 'nowhere',
          access_key_id: 'offsite-key-id',
          secret_access_key: OFFSITE_SECRET,
        })
        .expect(201);
    } finally {
      // The service stops: the command line backs up a stopped service's DATA_DIR.
      await t.close();
    }
  }, 120_000);
  afterAll(() => {
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  it('backs up to every enabled target (local, the S3 bucket, the encrypted folder): verify passes, the contents are the live databases, age -d opens the encrypted one', async () => {
    const result = await run(['backup', '--data-dir', data, '--json']);
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ ok: true, data_dir: data });
    expect(json.backups.map((b: { target: string }) => b.target)).toEqual(['local', 'r2', 'vault']);
    const [plain, s3, encrypted] = json.backups;
    for (const b of json.backups)
      expect(b).toMatchObject({ ok: true, error: null, duration_ms: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(plain.name).toMatch(/^sentinel-backup-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz$/);
    expect(s3.name).toMatch(/\.tar\.gz$/);
    expect(encrypted).toMatchObject({ encrypted: true, name: expect.stringMatching(/\.tar\.gz\.age$/) });
    // What the JSON says is what is stored.
    expect(backupsIn(local)).toEqual([plain.name]);
    expect(fs.statSync(path.join(local, plain.name)).size).toBe(plain.size_bytes);
    expect(sha256(path.join(local, plain.name))).toBe(plain.sha256);
    expect(backupsIn(vault)).toEqual([encrypted.name]);
    expect(sha256(path.join(vault, encrypted.name))).toBe(encrypted.sha256);
    // No lock, scratch folder or unfinished file left.
    expect(fs.readdirSync(data).filter((n) => n.startsWith('.service.lock') || n.startsWith('.backup-tmp'))).toEqual([]);
    expect(fs.readdirSync(local).filter((n) => n.endsWith('.partial'))).toEqual([]);

    // Every restore check passes on the bucket's archive (read as a configured target); the folder's contents are compared below.
    const verifyS3 = await run(['verify', 'latest', '--data-dir', data, '--target', 'r2', '--json']);
    expect(verifyS3.code).toBe(0);
    expect(JSON.parse(verifyS3.stdout)).toMatchObject({ ok: true, archive: s3.name });

    // The archives hold what the live databases hold (no one wrote since: the service is stopped).
    const unpacked = path.join(root, 'unpacked');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['xzf', path.join(local, plain.name), '-C', unpacked]);
    const decrypted = path.join(root, 'decrypted');
    decryptByHand(path.join(vault, encrypted.name), recoveryKey.keyFile, decrypted);
    for (const name of ALL_DATABASES) {
      const live = contents(path.join(data, `${name}.db`));
      expect(Object.keys(live).length).toBeGreaterThan(0);
      expect(contents(path.join(unpacked, `${name}.db`))).toEqual(live);
      expect(contents(path.join(decrypted, `${name}.db`))).toEqual(live);
    }
    expect(contents(path.join(data, 'ledger.db')).items).toHaveLength(60);
  }, 120_000);

  it("the service started afterwards lists the command's backups as made here, with their runs (trigger cli) in its history; while it runs the command is refused with exit 4 and writes nothing", async () => {
    const service = await startService(root);
    try {
      const until = Date.now() + 30_000;
      while ((await getJson(`${service.url}/api/health`))?.body?.databases_open !== true) {
        if (Date.now() > until || service.child.exitCode !== null) throw new Error(`The service did not start:\n${service.output()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      for (const target of ['local', 'r2', 'vault']) {
        // The first listing of a freshly started service on a busy CI machine (two suites, the S3 server) took over 5 s once: allow 30.
        const res = await getJson(`${service.url}/api/backups/${target}`, 30_000);
        if (res?.status !== 200)
          throw new Error(`GET /api/backups/${target} answered ${res ? `${res.status} ${JSON.stringify(res.body)}` : 'nothing in 30 s'}:\n${service.output()}`);
        const listed = res.body as Array<{ filename: string; own: boolean; made_here: boolean }>;
        expect(listed.length).toBeGreaterThan(0);
        for (const file of listed) expect({ target, ...file }).toMatchObject({ target, own: true, made_here: true });
      }
      const history = (await getJson(`${service.url}/api/backup-jobs?target=local`, 30_000))?.body as Array<{
        trigger: string;
        status: string;
        filename: string;
      }>;
      expect(history.map((job) => [job.trigger, job.status, job.filename]).sort()).toEqual(backupsIn(local).map((name) => ['cli', 'succeeded', name]));

      const jobs = async () => ((await getJson(`${service.url}/api/backup-jobs`, 30_000))?.body as unknown[]).length;
      const before = { local: backupsIn(local), vault: backupsIn(vault), jobs: await jobs() };
      const refused = await run(['backup', '--data-dir', data, '--json']);
      expect(refused.code).toBe(4);
      expect(refused.stderr).toMatch(
        new RegExp(`service pid ${service.child.pid} .* is running on ${data}.*back up through it: POST /api/backups/<target> \\(Backup Now on the page\\)`),
      );
      expect(JSON.parse(refused.stdout)).toMatchObject({ ok: false, exit_code: 4 });
      expect({ local: backupsIn(local), vault: backupsIn(vault), jobs: await jobs() }).toEqual(before);

      // status beside the running service: the newest backup of each target.
      const status = JSON.parse((await run(['status', '--data-dir', data, '--json'])).stdout);
      expect(status.service).toMatchObject({ state: 'running', pid: service.child.pid });
      const newest = Object.fromEntries(status.targets.map((t: { target: string; newest: { name: string } | null }) => [t.target, t.newest?.name ?? null]));
      expect(newest).toMatchObject({ local: before.local[before.local.length - 1], vault: before.vault[0] });
      expect(newest.r2).toMatch(/\.tar\.gz$/);
    } finally {
      await service.stop();
    }
  }, 90_000);

  it('kill -9 during the upload: a service start meanwhile is refused naming the command, no partial archive is visible, and the next run takes the stale lock over and cleans up', async () => {
    // 12 MiB that does not compress, so the upload lasts long enough to be caught in the act.
    const ledger = new Database(path.join(data, 'ledger.db'));
    try {
      ledger.exec(
        'CREATE TABLE blobs (b BLOB); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 12) INSERT INTO blobs SELECT randomblob(1048576) FROM n',
      );
    } finally {
      ledger.close();
    }
    const before = backupsIn(local);
    const child: ChildProcess = spawn(process.execPath, [CLI, 'backup', '--data-dir', data, '--target', 'local'], { env: cliEnv(ENV), stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // Stopped (SIGSTOP) the moment its unfinished file appears: alive, holding the lock, mid-upload.
      const until = Date.now() + 60_000;
      let partial: string | undefined;
      while (!(partial = fs.readdirSync(local).find((n) => n.endsWith('.partial')))) {
        if (Date.now() > until || child.exitCode !== null) throw new Error(`No upload was caught in progress (exit ${child.exitCode})`);
        await new Promise((r) => setTimeout(r, 2));
      }
      process.kill(child.pid as number, 'SIGSTOP');
      expect(partial).toMatch(/^\./);

      const started = await startService(root);
      const { code } = await started.exited;
      expect(code).not.toBe(0);
      expect(started.output()).toMatch(new RegExp(`in use by the command \`sentinel-backup backup\`, pid ${child.pid} .*Wait for it to finish`));

      process.kill(child.pid as number, 'SIGKILL');
      await exited;
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // What a user sees of the killed run: no new backup, a stale lock.
    expect(backupsIn(local)).toEqual(before);
    const listed = JSON.parse((await run(['list', '--data-dir', data, '--target', 'local', '--json'])).stdout);
    expect(listed.backups.map((b: { name: string }) => b.name).sort()).toEqual(before);
    expect(JSON.parse((await run(['status', '--data-dir', data, '--json'])).stdout).service).toMatchObject({ state: 'stale-lock', pid: child.pid });

    // The next run (one reachable target and one that is not): the lock taken over, the killed run's file
    // removed, the reachable target backed up, the other's failure named; exit 1.
    const next = await run(['backup', '--data-dir', data, '--target', 'local', '--target', 'offsite']);
    expect(next.code).toBe(1);
    expect(next.stdout).toMatch(/Took over the stale lock of `sentinel-backup backup`, pid \d+/);
    expect(next.stdout).toMatch(
      /^Took over .*\nBacking up .* to local, offsite\.\.\.\n {2}local: sentinel-backup-\S+\.tar\.gz, [\d.]+ MiB, sha256 [0-9a-f]{64}, [\d.]+ (ms|s)\n/,
    );
    expect(next.stdout).toMatch(/ {2}offsite: FAILED: /);
    expect(next.stdout).toMatch(/1 of 2 backups made; offsite failed/);
    expect(next.stderr).toMatch(/The backup to offsite failed: /);
    expect(backupsIn(local)).toHaveLength(before.length + 1);
    expect(fs.readdirSync(local).filter((n) => n.endsWith('.partial'))).toEqual([]);
    expect(fs.readdirSync(data).filter((n) => n.startsWith('.service.lock') || n.startsWith('.backup-tmp'))).toEqual([]);
    // The killed run is in the history as interrupted, the service's word for it.
    const runs = new Database(path.join(data, '.backup-runs.db'), { readonly: true });
    try {
      expect(runs.prepare("SELECT trigger, status, errorCode FROM backup_runs WHERE target = 'local' AND status = 'failed'").all()).toEqual([
        { trigger: 'cli', status: 'failed', errorCode: 'BACKUP_INTERRUPTED' },
      ]);
    } finally {
      runs.close();
    }
  }, 120_000);

  it('--help with an example; usage errors exit 2; a folder that is not a DATA_DIR exits 1 with nothing created', async () => {
    const help = await run(['backup', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: sentinel-backup backup --data-dir DIR \[--target ID \.\.\.\]/);
    expect(help.stdout).toMatch(/Example:\n\s+sentinel-backup backup --data-dir /);
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 failed.*4 refused/s);
    expect((await run(['--help'])).stdout).toMatch(/backup --data-dir DIR \[--target ID \.\.\.\]\n\s+one backup of a stopped service's DATA_DIR/);
    const usage = await run(['backup', '--target', 'local']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/backup needs --data-dir DIR.*See sentinel-backup backup --help/);
    const empty = path.join(root, 'not-a-data-dir');
    fs.mkdirSync(empty);
    const wrong = await run(['backup', '--data-dir', empty]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/has no config\.db: give the service's DATA_DIR/);
    expect(fs.readdirSync(empty)).toEqual([]);
  });

  it("status: the newest backup per target, an unreachable target's error in one line, exit 0; no credential or key in any output", async () => {
    const text = await run(['status', '--data-dir', data]);
    expect({ code: text.code, stderr: text.stderr }).toEqual({ code: 0, stderr: '' });
    const newestLocal = backupsIn(local).pop() as string;
    expect(text.stdout).toMatch(
      new RegExp(`Newest backup per target:\\n {2}local: ${newestLocal.replace(/\./g, '\\.')}, \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z, \\d+ min ago, [\\d.]+ MiB\\n`),
    );
    expect(text.stdout).toMatch(/ {2}vault: sentinel-backup-\S+\.tar\.gz\.age, /);
    expect(text.stdout).toMatch(/ {2}offsite \(turned off\): \S.*\n/);

    const json = JSON.parse((await run(['status', '--data-dir', data, '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, service: { state: 'stopped' }, targets_error: null });
    const byId = Object.fromEntries(json.targets.map((t: { target: string }) => [t.target, t]));
    expect(byId.local).toMatchObject({
      enabled: true,
      configured: true,
      error: null,
      newest: { name: newestLocal, size_bytes: fs.statSync(path.join(local, newestLocal)).size },
    });
    expect(byId.r2.newest.name).toMatch(/\.tar\.gz$/);
    expect(byId.offsite).toMatchObject({ enabled: false, configured: true, newest: null, error: expect.any(String) });
    expect(byId.offsite.error).not.toContain('\n');

    const everything = outputs.join('\n');
    for (const secret of [testS3().secretAccessKey, OFFSITE_SECRET, TEST_MASTER_KEY, recoveryKey.identity]) expect(everything).not.toContain(secret);
    expect(everything).not.toMatch(/AGE-SECRET-KEY-1/);
  }, 90_000);
});
