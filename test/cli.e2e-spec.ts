/**
 * The disaster-recovery command line (`sentinel-backup`, dist/cli.js) as a user runs it: child processes
 * of the built command, over real folders of real SQLite files, the real service (dist/main.js) holding a
 * DATA_DIR, and the real S3 server with a backup the real service made.
 */
import { NestFactory } from '@nestjs/core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli, errorsIn, serviceWithBackup } from './support/cli-process.js';
import { fingerprint } from './fixtures/folder-fingerprint.js';
import { ALL_DATABASES, prepareBackupFolder, readMarker, sha256, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { assertServiceBuilt, getJson, startService, waitHealthy } from './fixtures/restore-service.js';
import { describeS3, testS3 } from './support/s3-server.js';
import type { TestApp } from './support/test-app.js';
import { TEST_MASTER_KEY } from './support/test-master-key.js';
import { parseEnvironment } from '../src/config/environment.js';
import { RestoreCoreModule } from '../src/restore/core/restore-core.module.js';
import { RestoreStager } from '../src/restore/core/restore-stager.js';

const OLDER = 'sentinel-backup-2026-01-07-120000.tar.gz';
const NEWER = 'sentinel-backup-2026-01-08-143022.tar.gz';

/** A data folder of a stopped service: the seven databases with `marker`. */
function dataFolder(dir: string, marker: string): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ALL_DATABASES) writeDatabase(path.join(dir, `${name}.db`), `${marker}:${name}`);
  return dir;
}

describe('sentinel-backup on folders and archive files', () => {
  let root: string;
  let backups: string;

  beforeAll(() => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npx nest build)`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    backups = path.join(root, 'backups');
    fs.mkdirSync(backups);
    tarCzf(prepareBackupFolder(path.join(root, 'made-old'), 'old'), path.join(backups, OLDER), [
      'backup-metadata.json',
      ...ALL_DATABASES.map((n) => `${n}.db`),
    ]);
    tarCzf(prepareBackupFolder(path.join(root, 'made-new'), 'new'), path.join(backups, NEWER), [
      'backup-metadata.json',
      ...ALL_DATABASES.map((n) => `${n}.db`),
    ]);
    // Not a backup: never listed.
    fs.writeFileSync(path.join(backups, 'notes.txt'), 'hello');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('--help on every command, with an example and the exit codes', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toMatch(/Commands:[\s\S]*list[\s\S]*verify[\s\S]*restore[\s\S]*status/);
    for (const command of ['list', 'verify', 'restore', 'status']) {
      const help = await cli([command, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`Usage: sentinel-backup ${command}`);
      expect(help.stdout).toMatch(/Example:\n\s+(\S+=\S+ )*sentinel-backup /);
      expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 failed.*2 usage error,\s*3 verification failed, 4 refused/s);
    }
  });

  it('usage errors exit 2 with what to write instead, and do nothing', async () => {
    const cases: Array<[string[], RegExp]> = [
      [[], /Name a command/],
      [['lsit'], /Unknown command 'lsit'/],
      [['list'], /Say where the backups are/],
      [['list', '--dir', backups, '--bucket', 'b', '--endpoint', 'http://x'], /one place for the backups/],
      [['verify', '--dir', backups], /Name the backup to verify/],
      [['restore', 'latest', '--dir', backups], /restore needs --data-dir/],
      [['list', '--dri', backups], /Unknown option '--dri'/],
      [['list', '--endpoint', 'http://127.0.0.1:9', '--bucket', 'b'], /credentials go in the environment: R2_ACCESS_KEY_ID/],
      [
        ['list', '--endpoint', 'http://127.0.0.1:9', '--bucket', 'b', '--secret-access-key', 'hunter2hunter2'],
        /credentials are read only from the environment/,
      ],
      [['verify', 'yesterday', '--dir', backups], /'yesterday' is not a backup name/],
    ];
    for (const [args, message] of cases) {
      const run = await cli(args);
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
      expect(run.stderr).toMatch(/See sentinel-backup( \w+)? --help/);
      expect(run.stdout + run.stderr).not.toContain('hunter2hunter2');
    }
  });

  it('list: the backups newest first with time, age and size; --json parses', async () => {
    const run = await cli(['list', '--dir', backups]);
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => line.includes('sentinel-backup-'));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain(NEWER);
    expect(lines[0]).toMatch(/2026-01-08T14:30:22Z\s+\d+ d \d+ h ago\s+[\d.]+ KiB/);
    expect(lines[1]).toContain(OLDER);
    expect(run.stdout).not.toContain('notes.txt');

    const json = JSON.parse((await cli(['list', '--dir', backups, '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, location: backups });
    expect(json.backups.map((b: { name: string }) => b.name)).toEqual([NEWER, OLDER]);
    expect(json.backups[0]).toEqual({
      name: NEWER,
      time: '2026-01-08T14:30:22.000Z',
      age_seconds: expect.any(Number),
      size_bytes: fs.statSync(path.join(backups, NEWER)).size,
    });

    const missing = await cli(['list', '--dir', path.join(root, 'nowhere')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/The folder .*nowhere does not exist/);
  });

  it('verify: a verdict per database, exit 0; an unknown backup exits 1; a damaged archive exits 3 naming the check', async () => {
    // Its own TMPDIR, where the verifications unpack: other test files verify in parallel in the system's one.
    const tmp = path.join(root, 'verify-tmp');
    fs.mkdirSync(tmp);
    const inTmp = (args: string[]) => cli(args, { TMPDIR: tmp });
    const run = await inTmp(['verify', 'latest', '--dir', backups]);
    expect(run.code).toBe(0);
    for (const name of ALL_DATABASES) expect(run.stdout).toMatch(new RegExp(`ok\\s+${name}\\.db`));
    expect(run.stdout).toMatch(/Verification passed: all 7 databases are intact/);
    const json = JSON.parse((await inTmp(['verify', OLDER, '--dir', backups, '--json'])).stdout);
    expect(json).toMatchObject({ ok: true, archive: OLDER, failed_check: null, backup_timestamp: expect.any(String) });
    expect(json.databases).toHaveLength(7);
    expect(json.databases.every((db: { ok: boolean }) => db.ok)).toBe(true);

    const unknown = await inTmp(['verify', 'sentinel-backup-2020-01-01-000000.tar.gz', '--dir', backups]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no backup named sentinel-backup-2020-01-01-000000\.tar\.gz in .*: sentinel-backup list shows/);

    // One flipped byte inside ledger.db, its size unchanged: the metadata's checksum no longer matches.
    const made = prepareBackupFolder(path.join(root, 'made-bad'), 'bad');
    const ledger = path.join(made, 'ledger.db');
    const bytes = fs.readFileSync(ledger);
    bytes[bytes.length - 200] ^= 0xff;
    fs.writeFileSync(ledger, bytes);
    fs.mkdirSync(path.join(root, 'damaged'));
    const damaged = tarCzf(made, path.join(root, 'damaged', NEWER), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    const bad = await inTmp(['verify', damaged]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/FAILED\s+ledger\.db/);
    expect(bad.stdout).toMatch(/Verification FAILED: checksum \(ledger\.db\)/);
    const badJson = JSON.parse((await inTmp(['verify', damaged, '--json'])).stdout);
    expect(badJson).toMatchObject({ ok: false, failed_check: 'checksum' });
    expect(badJson.databases.find((db: { name: string }) => db.name === 'ledger')).toMatchObject({ ok: false, checksum_ok: false });

    // Not an archive at all: the archive's own check is named.
    const garbage = path.join(root, 'damaged', OLDER);
    fs.writeFileSync(garbage, 'not a gzip file at all');
    const notGzip = await inTmp(['verify', garbage, '--json']);
    expect(notGzip.code).toBe(3);
    expect(JSON.parse(notGzip.stdout)).toMatchObject({ ok: false, failed_check: 'gzip' });
    // The scratch folders are gone.
    expect(fs.readdirSync(tmp)).toEqual([]);
  });

  it('restore --dry-run says what would change and leaves the data folder byte-identical', async () => {
    const data = dataFolder(path.join(root, 'dry'), 'live');
    const before = fingerprint(data);
    const run = await cli(['restore', 'latest', '--dir', backups, '--data-dir', data, '--dry-run', '--json']);
    expect(run.code).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json).toMatchObject({ ok: true, dry_run: true, archive: NEWER, service_running: false });
    expect(json.changes).toHaveLength(7);
    const universe = json.changes.find((c: { name: string }) => c.name === 'universe');
    expect(universe).toEqual({
      name: 'universe',
      filename: 'universe.db',
      current: { size_bytes: fs.statSync(path.join(data, 'universe.db')).size, sha256: sha256(path.join(data, 'universe.db')) },
      restored: { size_bytes: fs.statSync(path.join(root, 'made-new', 'universe.db')).size, sha256: sha256(path.join(root, 'made-new', 'universe.db')) },
      changes: true,
    });
    const human = await cli(['restore', 'latest', '--dir', backups, '--data-dir', data, '--dry-run']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/universe\.db: [\d.]+ KiB sha256 [0-9a-f]{12} -> [\d.]+ KiB sha256 [0-9a-f]{12}/);
    expect(human.stdout).toMatch(/Nothing was changed/);
    expect(fingerprint(data)).toEqual(before);
  });

  it('restore applies a backup into a stopped service folder with a safety copy; status then reports the apply', async () => {
    const data = dataFolder(path.join(root, 'live'), 'live');
    const run = await cli(['restore', OLDER, '--dir', backups, '--data-dir', data]);
    expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/Restored 7 databases from sentinel-backup-2026-01-07-120000\.tar\.gz/);
    for (const name of ALL_DATABASES) expect(readMarker(path.join(data, `${name}.db`))).toBe(`old:${name}`);
    const safety = fs.readdirSync(data).find((n) => n.startsWith('pre-restore-backup-')) as string;
    expect(safety).toBeDefined();
    for (const name of ALL_DATABASES) expect(readMarker(path.join(data, safety, `${name}.db`))).toBe(`live:${name}`);
    // No lock, staging folder or journal left behind.
    expect(fs.readdirSync(data).filter((n) => n.startsWith('.service.lock') || n.startsWith('.restore-staging') || n === '.pending-restore')).toEqual([]);

    const status = await cli(['status', '--data-dir', data, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      ok: true,
      service: { state: 'stopped' },
      staged_restore: null,
      last_apply: { outcome: 'applied', archive: OLDER, safety_copy: safety },
    });
    expect((await cli(['status', '--data-dir', data])).stdout).toMatch(/Last apply: applied at .* sentinel-backup-2026-01-07-120000\.tar\.gz/);
  });

  it('a restore killed (kill -9) in the middle of its swaps is finished by the next run, with one whole set', async () => {
    const data = dataFolder(path.join(root, 'killed'), 'live');
    const killed = await cli(['restore', NEWER, '--dir', backups, '--data-dir', data], { SENTINEL_RESTORE_FAULT: 'apply:swapped-3' });
    expect(killed.code).toBeNull();
    expect(killed.stderr).toContain('[restore-fault] killing the process at apply:swapped-3');
    // A mix right now: three swapped, the rest not, the journal says so.
    expect(ALL_DATABASES.map((n) => readMarker(path.join(data, `${n}.db`)).split(':')[0]).sort()).toEqual([
      'live',
      'live',
      'live',
      'live',
      'new',
      'new',
      'new',
    ]);
    expect(JSON.parse((await cli(['status', '--data-dir', data, '--json'])).stdout)).toMatchObject({
      service: { state: 'stale-lock' },
      staged_restore: { state: 'applying', archive: NEWER },
    });

    const again = await cli(['restore', NEWER, '--dir', backups, '--data-dir', data]);
    expect({ code: again.code, stderr: errorsIn(again) }).toEqual({ code: 0, stderr: '' });
    expect(again.stdout).toMatch(/Finishing the restore of sentinel-backup-2026-01-08-143022\.tar\.gz that was interrupted \(applying\)[\s\S]*resumed/);
    for (const name of ALL_DATABASES) expect(readMarker(path.join(data, `${name}.db`))).toBe(`new:${name}`);
    // Not staged and applied a second time: one safety copy, of the live set.
    const safety = fs.readdirSync(data).filter((n) => n.startsWith('pre-restore-backup-'));
    expect(safety).toHaveLength(1);
    for (const name of ALL_DATABASES) expect(readMarker(path.join(data, safety[0], `${name}.db`))).toBe(`live:${name}`);
  });

  it('a restore the service staged (waiting for its next start) is not replaced: exit 1 saying how to apply or cancel it; status shows it', async () => {
    const data = dataFolder(path.join(root, 'staged'), 'live');
    // Staged as the service stages one with "restart": false: by the restore core, then the lock released.
    const core = await NestFactory.createApplicationContext(RestoreCoreModule.standalone(parseEnvironment({ DATA_DIR: data })), {
      logger: false,
      abortOnError: false,
    });
    try {
      const file = path.join(backups, NEWER);
      await core
        .get(RestoreStager)
        .stage(
          { name: NEWER, open: async () => ({ body: fs.createReadStream(file), size: fs.statSync(file).size }) },
          { target: 'local', restartRequested: false, signal: new AbortController().signal },
        );
    } finally {
      await core.close();
    }
    const before = fingerprint(data);
    const run = await cli(['restore', OLDER, '--dir', backups, '--data-dir', data]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /A restore of sentinel-backup-2026-01-08-143022\.tar\.gz is already staged in .*staged, waiting for the service's next start\. Start the service to apply it, or cancel it there \(DELETE \/api\/backups\/local\/restore\/staged\)/,
    );
    expect(fingerprint(data)).toEqual(before);
    const status = JSON.parse((await cli(['status', '--data-dir', data, '--json'])).stdout);
    expect(status).toMatchObject({ service: { state: 'stopped' }, staged_restore: { state: 'staged', archive: NEWER, target: 'local' } });
  });

  it('restore into an empty folder on a new machine from an archive file', async () => {
    const data = path.join(root, 'new-machine', 'data');
    const run = await cli(['restore', path.join(backups, NEWER), '--data-dir', data, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, outcome: 'applied', archive: NEWER });
    for (const name of ALL_DATABASES) expect(readMarker(path.join(data, `${name}.db`))).toBe(`new:${name}`);
  });
});

describe('sentinel-backup restore and the running service', () => {
  it('is refused with exit 4 while the service runs (nothing changed), and works once it stopped; a stale lock of a killed service is taken over', async () => {
    assertServiceBuilt();
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-service-'));
    try {
      const backups = path.join(root, 'backups');
      fs.mkdirSync(backups);
      tarCzf(prepareBackupFolder(path.join(root, 'made'), 'backup'), path.join(backups, NEWER), [
        'backup-metadata.json',
        ...ALL_DATABASES.map((n) => `${n}.db`),
      ]);
      const data = path.join(root, 'data');
      const service = await startService(root);
      try {
        await waitHealthy(service);
        const before = fingerprint(data);
        const refused = await cli(['restore', 'latest', '--dir', backups, '--data-dir', data]);
        expect(refused.code).toBe(4);
        expect(refused.stderr).toMatch(
          new RegExp(
            `service pid ${service.child.pid} .* is running on ${data}.*Stop it \\(systemctl stop sentinel-backup, or kill -TERM ${service.child.pid}\\)`,
          ),
        );
        const status = JSON.parse((await cli(['status', '--data-dir', data, '--json'])).stdout);
        expect(status.service).toMatchObject({ state: 'running', pid: service.child.pid });
        const after = fingerprint(data);
        // The service may write its own files meanwhile; the databases are the point.
        for (const name of ALL_DATABASES) expect(after[`${name}.db`]).toBe(before[`${name}.db`]);
      } finally {
        service.child.kill('SIGKILL');
        await service.exited;
      }
      // Killed: its lock is left, stale.
      expect(fs.existsSync(path.join(data, '.service.lock'))).toBe(true);
      expect(JSON.parse((await cli(['status', '--data-dir', data, '--json'])).stdout).service).toMatchObject({ state: 'stale-lock' });
      const run = await cli(['restore', 'latest', '--dir', backups, '--data-dir', data]);
      expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
      for (const name of ALL_DATABASES) expect(readMarker(path.join(data, `${name}.db`))).toBe(`backup:${name}`);
      expect(fs.existsSync(path.join(data, '.service.lock'))).toBe(false);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describeS3('sentinel-backup on the real S3 server, with a backup the service made', () => {
  let t: TestApp;
  let bucket: string;
  let job: { filename: string; size_bytes: number };
  let creds: Record<string, string>;

  beforeAll(async () => {
    ({ t, bucket, job, creds } = await serviceWithBackup('cli'));
  }, 120_000);
  afterAll(async () => {
    await t?.close();
  });

  it('list by endpoint and bucket, credentials from the environment, and by the DATA_DIR configured target: the same backup, no secret shown', async () => {
    const byBucket = await cli(['list', '--endpoint', testS3().endpoint, '--bucket', bucket, '--json'], creds);
    expect(byBucket.code).toBe(0);
    expect(JSON.parse(byBucket.stdout).backups).toEqual([expect.objectContaining({ name: job.filename, size_bytes: job.size_bytes })]);
    // The running service's settings, read from its config.db (read-only) and decrypted with its master key.
    const byTarget = await cli(['list', '--data-dir', t.dataDir, '--target', 'r2', '--json'], { SENTINEL_MASTER_KEY: TEST_MASTER_KEY });
    expect({ code: byTarget.code, stderr: byTarget.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(byTarget.stdout)).toMatchObject({ location: `target 'r2' of ${t.dataDir}`, backups: [expect.objectContaining({ name: job.filename })] });
    for (const run of [byBucket, byTarget]) expect(run.stdout + run.stderr).not.toContain(testS3().secretAccessKey);

    const unknownTarget = await cli(['list', '--data-dir', t.dataDir, '--target', 'nas'], { SENTINEL_MASTER_KEY: TEST_MASTER_KEY });
    expect(unknownTarget.code).toBe(1);
    expect(unknownTarget.stderr).toMatch(/nas/);
  });

  it('the drill: restore latest into an empty folder with only the bucket credentials, start the service: its settings are back', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-drill-'));
    try {
      const data = path.join(root, 'data');
      const run = await cli(['restore', 'latest', '--endpoint', testS3().endpoint, '--bucket', bucket, '--data-dir', data, '--json'], creds);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, outcome: 'applied', archive: job.filename });
      expect(run.stdout).not.toContain(testS3().secretAccessKey);
      const { default: Database } = await import('better-sqlite3');
      const config = new Database(path.join(data, 'config.db'), { readonly: true });
      try {
        expect(config.prepare("SELECT value FROM settings WHERE key = 'r2_bucket_name'").get()).toEqual({ value: bucket });
      } finally {
        config.close();
      }
      const items = new Database(path.join(data, 'ledger.db'), { readonly: true });
      try {
        expect(items.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 50 });
      } finally {
        items.close();
      }
      // The service started on the restored folder, with the master key it had, is back with its settings and reaches its bucket.
      const service = await startService(root);
      try {
        await waitHealthy(service);
        const settings = (await getJson(`${service.url}/api/settings`))?.body as Array<{ key: string; value: unknown; is_set: boolean }>;
        expect(settings.find((s) => s.key === 'r2_bucket_name')).toMatchObject({ value: bucket });
        expect(settings.find((s) => s.key === 'r2_secret_access_key')).toMatchObject({ is_set: true, value: null });
        const listed = await getJson(`${service.url}/api/backups/r2`);
        expect(listed?.status).toBe(200);
        expect((listed?.body as Array<{ filename: string }>).map((b) => b.filename)).toEqual([job.filename]);
      } finally {
        await service.stop();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('wrong credentials and a missing bucket exit 1 with what to check, and never show a secret', async () => {
    const wrong = 'wrong-secret-0123456789abcdef';
    const run = await cli(['list', '--endpoint', testS3().endpoint, '--bucket', bucket], {
      R2_ACCESS_KEY_ID: testS3().accessKeyId,
      R2_SECRET_ACCESS_KEY: wrong,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/R2_SECRET_ACCESS_KEY|R2_ACCESS_KEY_ID/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(run.stdout + run.stderr).not.toContain(testS3().secretAccessKey);

    const missing = await cli(['verify', 'latest', '--endpoint', testS3().endpoint, '--bucket', `${bucket}-gone`, '--json'], creds);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/bucket/i);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, exit_code: 1 });
    expect(missing.stdout + missing.stderr).not.toContain(testS3().secretAccessKey);
  });
});
