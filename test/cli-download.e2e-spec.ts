/**
 * `sentinel-backup download` as a user runs it: child processes of the built command (dist/cli.js) over real
 * folders of real SQLite archives and the real S3 server, with a backup the real service made (whose SHA-256
 * the service recorded). Resumption is proved by a kill -9 of the real process in the middle of a download;
 * the progress bar by a pseudo terminal (util-linux `script`).
 */
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ALL_DATABASES, metadataFor, tarCzf, writeDatabase } from './fixtures/restore-archives.js';
import { CLI, cli, cliEnv, type CliRun, serviceWithBackup } from './support/cli-process.js';
import { describeS3, testS3, testS3Client } from './support/s3-server.js';
import { startSlowS3Relay } from './support/slow-s3-relay.js';
import { waitForJob } from './support/seed.js';
import type { TestApp } from './support/test-app.js';
import { TEST_MASTER_KEY } from './support/test-master-key.js';

const SMALL = 'sentinel-backup-2026-01-07-120000.tar.gz';
const BIG = 'sentinel-backup-2026-01-08-143022.tar.gz';
/** Random (incompressible) data in the ledger database: a download that lasts long enough to be killed in its middle. */
const BIG_MIB = 40;

/** The same command under a pseudo terminal (`script` from util-linux): stdout and stderr are a terminal, as for a person. */
function cliOnTerminal(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliRun> {
  const quoted = [process.execPath, CLI, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(' ');
  return new Promise((resolve) => {
    execFile('script', ['-qfec', quoted, '/dev/null'], { cwd, env: cliEnv(env), timeout: 120_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stdout, stderr }),
    );
  });
}

/**
 * Starts a download and kills it (SIGKILL) as soon as its `.partial` has bytes; resolves once it is dead, with the
 * `.partial`'s size then. Fails the test if the download finished before it could be killed.
 */
async function killMidDownload(args: string[], cwd: string, partial: string, env: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env: cliEnv(env), stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let ended: number | null | undefined;
  void exited.then((code) => (ended = code));
  while (ended === undefined && !(fs.existsSync(partial) && fs.statSync(partial).size > 0)) await sleep(2);
  child.kill('SIGKILL');
  const code = await exited;
  expect({ killed: code === null, code }).toEqual({ killed: true, code: null });
  return fs.statSync(partial).size;
}

/** An archive of the seven databases with `marker`; `randomMib` MiB of random rows in the ledger. */
function makeArchive(dir: string, archive: string, marker: string, randomMib = 0): string {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ALL_DATABASES) writeDatabase(path.join(dir, `${name}.db`), `${marker}:${name}`);
  if (randomMib > 0) {
    const db = new Database(path.join(dir, 'ledger.db'));
    db.exec('CREATE TABLE noise (data BLOB NOT NULL)');
    const insert = db.prepare('INSERT INTO noise (data) VALUES (?)');
    db.transaction(() => {
      for (let i = 0; i < randomMib * 16; i++) insert.run(randomBytes(64 * 1024));
    })();
    db.close();
  }
  fs.writeFileSync(path.join(dir, 'backup-metadata.json'), `${JSON.stringify(metadataFor(dir, ALL_DATABASES), null, 2)}\n`);
  return tarCzf(dir, archive, ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
}

function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0];
}

/** The progress lines of a piped run's stderr ("Downloading: 4.00 MiB of 40.0 MiB (10%), ..."). */
const PLAIN_PROGRESS = /^(Downloading|Checking): [\d.]+ \w?i?B of [\d.]+ \w?i?B \(\d+%\), (--|[\d.]+) \w?i?B\/s, (time left unknown|.* left)$/;
const PLAIN_DONE = /^(Downloading|Checking): [\d.]+ \w?i?B done in .* \([\d.]+ \w?i?B\/s\)$/;

describe('sentinel-backup download from a folder', () => {
  let root: string;
  let backups: string;

  beforeAll(() => {
    expect(fs.existsSync(CLI) || `${CLI} does not exist: build first (npx nest build)`).toBe(true);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-download-'));
    backups = fs.mkdirSync(path.join(root, 'backups'), { recursive: true }) as string;
    makeArchive(path.join(root, 'made-small'), path.join(backups, SMALL), 'small');
    makeArchive(path.join(root, 'made-big'), path.join(backups, BIG), 'big', BIG_MIB);
  }, 120_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  /** A fresh empty folder to download into. */
  const here = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));

  it('download latest: the newest backup under its own name in the current folder, identical (sha256sum agrees), checked; --json parses', async () => {
    const cwd = here('latest');
    const run = await cli(['download', 'latest', '--dir', backups, '--json'], {}, cwd);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(run.stdout);
    const file = path.join(cwd, BIG);
    expect(result).toMatchObject({
      ok: true,
      archive: BIG,
      location: backups,
      output: file,
      size_bytes: fs.statSync(path.join(backups, BIG)).size,
      sha256: sha256sum(path.join(backups, BIG)),
      resumed_from_bytes: 0,
      restarted: null,
      encrypted: false,
      checks: { object_sha256: 'not-recorded', archive: 'passed', failed: null },
    });
    expect(sha256sum(file)).toBe(sha256sum(path.join(backups, BIG)));
    // Nothing else is left: no .partial, no sidecar.
    expect(fs.readdirSync(cwd)).toEqual([BIG]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  });

  it('--help for download with an example; the main help lists it', async () => {
    const help = await cli(['download', '--help'], {}, root);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: sentinel-backup download <name|latest>');
    expect(help.stdout).toMatch(/--output PATH/);
    expect(help.stdout).toMatch(/Example:\n\s+(\S+=\S+ )*sentinel-backup download /);
    expect(help.stdout).toMatch(/Exit codes: 0 ok, 1 failed.*2 usage error,\s*3 verification failed, 4 refused/s);
    expect((await cli(['--help'], {}, root)).stdout).toMatch(/download <name\|latest>/);
    const usage = await cli(['download', path.join(backups, BIG)], {}, root);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/is already a file: download takes a backup's name or latest/);
  });

  it('resumes after a kill -9: the second run continues from the .partial (said in --json) and the file is identical', async () => {
    const cwd = here('resume');
    const partial = path.join(cwd, `${BIG}.partial`);
    const had = await killMidDownload(['download', BIG, '--dir', backups], cwd, partial);
    expect(had).toBeGreaterThan(0);
    expect(had).toBeLessThan(fs.statSync(path.join(backups, BIG)).size);
    expect(fs.existsSync(path.join(cwd, BIG))).toBe(false);
    expect(JSON.parse(fs.readFileSync(`${partial}.json`, 'utf8'))).toMatchObject({ archive: BIG, size_bytes: fs.statSync(path.join(backups, BIG)).size });

    const again = await cli(['download', BIG, '--dir', backups, '--json'], {}, cwd);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(again.stdout);
    // At least what the killed run had (it may have written more after the size was read).
    expect(result.resumed_from_bytes).toBeGreaterThanOrEqual(had);
    expect(result).toMatchObject({ ok: true, restarted: null, checks: { archive: 'passed' } });
    expect(sha256sum(path.join(cwd, BIG))).toBe(sha256sum(path.join(backups, BIG)));
    expect(fs.readdirSync(cwd)).toEqual([BIG]);
  });

  it('a .partial of another object is not continued: started again, and said so; one without its sidecar is refused and left alone', async () => {
    const cwd = here('stale');
    const partial = path.join(cwd, `${SMALL}.partial`);
    // What a download of an earlier object of that name left (another size and version).
    fs.writeFileSync(partial, randomBytes(5000));
    fs.writeFileSync(`${partial}.json`, JSON.stringify({ format: 1, archive: SMALL, size_bytes: 9999, version: 'size 9999 mtime 1', location: backups }));
    const run = await cli(['download', SMALL, '--dir', backups], {}, cwd);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/\.partial held the start of an earlier object of that name .*, so it was started again/);
    expect(sha256sum(path.join(cwd, SMALL))).toBe(sha256sum(path.join(backups, SMALL)));

    // What a download of another backup to the same --output left.
    const second = path.join(cwd, 'second.tar.gz');
    fs.writeFileSync(`${second}.partial`, randomBytes(5000));
    fs.writeFileSync(`${second}.partial.json`, JSON.stringify({ format: 1, archive: BIG, size_bytes: 5, version: 'etag "x"', location: backups }));
    const restarted = JSON.parse((await cli(['download', SMALL, '--dir', backups, '--output', second, '--json'], {}, cwd)).stdout);
    expect(restarted).toMatchObject({
      ok: true,
      resumed_from_bytes: 0,
      restarted: expect.stringMatching(/held the start of another backup \(sentinel-backup-2026-01-08-143022\.tar\.gz\), so it was started again/),
    });
    expect(sha256sum(second)).toBe(sha256sum(path.join(backups, SMALL)));
    expect(fs.readdirSync(cwd).sort()).toEqual(['second.tar.gz', SMALL]);

    // A .partial this command did not write (no sidecar): refused, exit 1, not touched.
    const foreign = path.join(cwd, 'third.tar.gz.partial');
    fs.writeFileSync(foreign, 'someone else’s');
    const refused = await cli(['download', SMALL, '--dir', backups, '--output', path.join(cwd, 'third.tar.gz')], {}, cwd);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/third\.tar\.gz\.partial exists but is not a download of sentinel-backup .*move it away/);
    expect(fs.readFileSync(foreign, 'utf8')).toBe('someone else’s');
    expect(fs.existsSync(path.join(cwd, 'third.tar.gz'))).toBe(false);
  });

  it('a damaged archive (bytes flipped) is refused with exit 3, naming the failed check, and no file is kept', async () => {
    const damaged = path.join(root, 'damaged');
    fs.mkdirSync(damaged);
    const copy = path.join(damaged, SMALL);
    fs.copyFileSync(path.join(backups, SMALL), copy);
    const bytes = fs.readFileSync(copy);
    for (let i = 0; i < 16; i++) bytes[Math.floor(bytes.length / 2) + i] ^= 0xff;
    fs.writeFileSync(copy, bytes);
    const cwd = here('damaged-out');
    const run = await cli(['download', 'latest', '--dir', damaged, '--json'], {}, cwd);
    expect(run.code).toBe(3);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ ok: false, output: null, failed_check: 'gzip', checks: { archive: 'failed', failed: { check: 'gzip' } } });
    expect(run.stderr).toMatch(new RegExp(`${SMALL.replace(/\./g, '\\.')} failed its gzip check \\(.*damaged gzip data.*\\) and was not kept`));
    expect(fs.readdirSync(cwd)).toEqual([]);
  });

  it('an unknown backup exits 1; an existing output exits 1 and is left unchanged', async () => {
    const cwd = here('refusals');
    const unknown = await cli(['download', 'sentinel-backup-2020-01-01-000000.tar.gz', '--dir', backups], {}, cwd);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/There is no backup named sentinel-backup-2020-01-01-000000\.tar\.gz in .*: sentinel-backup list shows/);
    expect(fs.readdirSync(cwd)).toEqual([]);

    fs.writeFileSync(path.join(cwd, SMALL), 'mine');
    const taken = await cli(['download', SMALL, '--dir', backups, '--json'], {}, cwd);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(new RegExp(`${SMALL.replace(/\./g, '\\.')} exists: move it away or give another --output`));
    expect(JSON.parse(taken.stdout)).toMatchObject({ ok: false, exit_code: 1 });
    expect(fs.readFileSync(path.join(cwd, SMALL), 'utf8')).toBe('mine');
    expect(fs.readdirSync(cwd)).toEqual([SMALL]);
    const nowhere = await cli(['download', SMALL, '--dir', backups, '--output', path.join(cwd, 'nowhere', 'x.tar.gz')], {}, cwd);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/The folder .*nowhere does not exist: create it, or give another --output/);
    // --output may be a folder: the backup's name in it.
    fs.mkdirSync(path.join(cwd, 'sub'));
    expect((await cli(['download', SMALL, '--dir', backups, '--output', path.join(cwd, 'sub')], {}, cwd)).code).toBe(0);
    expect(sha256sum(path.join(cwd, 'sub', SMALL))).toBe(sha256sum(path.join(backups, SMALL)));
  });

  it('an encrypted archive (.tar.gz.age) is downloaded as stored; the inner checks are said to be skipped', async () => {
    const folder = path.join(root, 'encrypted');
    fs.mkdirSync(folder);
    const name = 'sentinel-backup-2026-01-09-080000.tar.gz.age';
    fs.writeFileSync(path.join(folder, name), Buffer.concat([Buffer.from('age-encryption.org/v1\n'), randomBytes(4096)]));
    const cwd = here('encrypted-out');
    const run = await cli(['download', 'latest', '--dir', folder], {}, cwd);
    expect({ code: run.code, stderr: run.stderr.split('\n').filter((line) => line && !PLAIN_PROGRESS.test(line) && !PLAIN_DONE.test(line)) }).toEqual({
      code: 0,
      stderr: [],
    });
    expect(run.stdout).toMatch(/inner checks were skipped: it is encrypted \(age\)/);
    expect(sha256sum(path.join(cwd, name))).toBe(sha256sum(path.join(folder, name)));
    const json = JSON.parse((await cli(['download', 'latest', '--dir', folder, '--output', path.join(cwd, 'again.age'), '--json'], {}, cwd)).stdout);
    expect(json).toMatchObject({ ok: true, encrypted: true, checks: { archive: 'skipped-encrypted', object_sha256: 'not-recorded' } });
  });

  it('progress: a bar on a terminal (bytes, rate, time left) for download, verify and restore; plain lines when piped; none in --json', async () => {
    expect(fs.existsSync('/usr/bin/script') || execFileSync('sh', ['-c', 'command -v script || true'], { encoding: 'utf8' }).trim()).toBeTruthy();
    const terminal = await cliOnTerminal(['download', BIG, '--dir', backups], here('tty'));
    expect(terminal.code).toBe(0);
    // A bar ended by erase-to-end-of-line, drawn at the first chunk at least. How many redraws a folder this
    // fast allows depends on the machine: the redraws with a rate are shown through a paced store (S3 block).
    const bars = terminal.stdout.split('\r').filter((part) => part.startsWith('Downloading ['));
    expect(bars.length).toBeGreaterThan(0);
    expect(bars[bars.length - 1]).toMatch(
      /^Downloading \[[#.]+\] [\d.]+ MiB of 40\.\d MiB \(\d+%\), (--|[\d.]+) \w?i?B\/s, (.* left|time left unknown)\x1b\[K$/,
    );
    expect(terminal.stdout).toMatch(/Downloading: 40\.\d MiB done in/);
    expect(terminal.stdout).toMatch(/\rChecking \[/);
    expect(terminal.stdout).toMatch(/Verification|Archive checks passed/);

    // verify and restore get a bar too (the archive's bytes as the restore core reads them).
    const verify = await cliOnTerminal(['verify', BIG, '--dir', backups], root);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/\rVerifying \[[#.]+\] [\d.]+ [KM]iB of 40\.\d MiB/);
    const restore = await cliOnTerminal(['restore', BIG, '--dir', backups, '--data-dir', path.join(here('restore'), 'data')], root);
    expect(restore.code).toBe(0);
    expect(restore.stdout).toMatch(/\rRestoring \[[#.]+\] [\d.]+ [KM]iB of 40\.\d MiB/);
    expect(restore.stdout).toMatch(/Restored 7 databases from sentinel-backup-2026-01-08-143022\.tar\.gz/);

    const piped = await cli(['download', BIG, '--dir', backups], {}, here('piped'));
    expect(piped.code).toBe(0);
    const lines = piped.stderr.split('\n').filter(Boolean);
    // No bar, no control characters: lines that read well in a log.
    expect(piped.stderr).not.toMatch(/[\r\x1b]/);
    expect(lines.filter((line) => line.startsWith('Downloading'))).toEqual(expect.arrayContaining([expect.stringMatching(PLAIN_DONE)]));
    for (const line of lines) expect(line).toMatch(new RegExp(`${PLAIN_PROGRESS.source}|${PLAIN_DONE.source}`));
    // At most one every tenth of the way (or 5 s): a handful, not one per chunk.
    expect(lines.filter((line) => line.startsWith('Downloading: ')).length).toBeLessThanOrEqual(12);
    expect(lines.some((line) => PLAIN_PROGRESS.test(line) && line.startsWith('Downloading'))).toBe(true);
    expect(piped.stdout).not.toMatch(/Downloading:|%\)/);

    const json = await cli(['download', BIG, '--dir', backups, '--json'], {}, here('json'));
    expect({ code: json.code, stderr: json.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, archive: BIG });
    expect(json.stdout).not.toMatch(/Downloading|\r/);
  }, 180_000);
});

describeS3('sentinel-backup download from the real S3 server, and with the SHA-256 the service recorded', () => {
  let t: TestApp;
  let bucket: string;
  let client: S3Client;
  let job: { filename: string; size_bytes: number };
  let creds: Record<string, string>;
  let root: string;
  let bigMade: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-download-s3-'));
    ({ t, bucket, job, creds } = await serviceWithBackup('cli-download'));
    client = testS3Client();
    // A large archive beside it, under a prefix of its own, for a download to be killed in its middle.
    bigMade = makeArchive(path.join(root, 'made-big'), path.join(root, BIG), 'big', BIG_MIB);
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `big/${BIG}`, Body: fs.readFileSync(bigMade) }));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    client?.destroy();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  const here = (name: string) => fs.mkdtempSync(path.join(root, `${name}-`));
  const bucketArgs = () => ['--endpoint', testS3().endpoint, '--bucket', bucket];
  const secretsIn = (run: CliRun) => [testS3().secretAccessKey, testS3().accessKeyId, TEST_MASTER_KEY].filter((s) => (run.stdout + run.stderr).includes(s));

  it('download latest from a bucket: identical to the object; by the DATA_DIR target, its SHA-256 matches the one the service recorded', async () => {
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: job.filename }));
    const stored = Buffer.from(await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
    const storedSha = execFileSync('sha256sum', { input: stored, encoding: 'utf8' }).split(' ')[0];

    const cwd = here('bucket');
    const run = await cli(['download', 'latest', ...bucketArgs(), '--json'], creds, cwd);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      archive: job.filename,
      size_bytes: job.size_bytes,
      sha256: storedSha,
      checks: { object_sha256: 'not-recorded', archive: 'passed' },
    });
    expect(sha256sum(path.join(cwd, job.filename))).toBe(storedSha);
    expect(secretsIn(run)).toEqual([]);

    const byTarget = await cli(
      ['download', 'latest', '--data-dir', t.dataDir, '--target', 'r2', '--json'],
      {
        SENTINEL_MASTER_KEY: TEST_MASTER_KEY,
      },
      here('target'),
    );
    expect({ code: byTarget.code, stderr: byTarget.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(byTarget.stdout)).toMatchObject({
      ok: true,
      archive: job.filename,
      sha256: storedSha,
      checks: { object_sha256: 'matched', recorded_sha256: storedSha, archive: 'passed' },
    });
    const human = await cli(['download', 'latest', '--data-dir', t.dataDir, '--target', 'r2'], { SENTINEL_MASTER_KEY: TEST_MASTER_KEY }, here('target-human'));
    expect(human.stdout).toMatch(/SHA-256 matches the one recorded when the service wrote it/);
    for (const r of [byTarget, human]) expect(secretsIn(r)).toEqual([]);
  });

  it('resumes after a kill -9 with a ranged read from the bucket: the second run says how much it resumed from, and the file is identical', async () => {
    const cwd = here('resume');
    const partial = path.join(cwd, `${BIG}.partial`);
    const args = ['download', 'latest', ...bucketArgs(), '--prefix', 'big'];
    const had = await killMidDownload(args, cwd, partial, creds);
    expect(had).toBeGreaterThan(0);
    const again = await cli([...args, '--json'], creds, cwd);
    expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
    const result = JSON.parse(again.stdout);
    expect(result.resumed_from_bytes).toBeGreaterThanOrEqual(had);
    expect(result.resumed_from_bytes).toBeLessThan(fs.statSync(bigMade).size);
    expect(result).toMatchObject({ ok: true, archive: BIG, restarted: null, checks: { archive: 'passed' } });
    expect(sha256sum(path.join(cwd, BIG))).toBe(sha256sum(bigMade));
    expect(fs.readdirSync(cwd)).toEqual([BIG]);
    expect(secretsIn(again)).toEqual([]);
  }, 120_000);

  it("an archive whose stored bytes are not the ones the service recorded is refused (exit 3, the object's SHA-256 named), no file kept", async () => {
    const local = await waitForJob(t.http, (await t.http.post('/api/backups/local').expect(202)).body.id);
    const stored = path.join(t.dataDir, 'backups', local.filename);
    expect(fs.existsSync(stored)).toBe(true);
    const bytes = fs.readFileSync(stored);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    fs.writeFileSync(stored, bytes);
    const cwd = here('swapped');
    const run = await cli(['download', local.filename, '--data-dir', t.dataDir, '--target', 'local', '--json'], { SENTINEL_MASTER_KEY: TEST_MASTER_KEY }, cwd);
    expect(run.code).toBe(3);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ ok: false, output: null, checks: { object_sha256: 'mismatch' } });
    expect(result).toMatchObject({ failed_check: 'object-sha256' });
    expect(result.checks.failed.message).toMatch(/^the downloaded bytes .* are not what the service wrote .*: the object was replaced or damaged/);
    expect(run.stderr).toMatch(/failed its object-sha256 check \(the downloaded bytes/);
    expect(fs.readdirSync(cwd)).toEqual([]);
    expect(secretsIn(run)).toEqual([]);
  });

  it('on a terminal, the bar is redrawn in place as the bytes come, with the rate and the time left (a store paced at 32 MiB/s)', async () => {
    // The relay passes the archive at a set rate, so the download lasts over a second whatever the machine: the
    // bar (redrawn at most every 100 ms) gets several states, and those after the first have a rate to show.
    const relay = await startSlowS3Relay();
    try {
      relay.pace({ kind: 'rate', bytesPerSecond: 32 * 1024 * 1024 });
      const cwd = here('tty');
      const terminal = await cliOnTerminal(['download', 'latest', '--endpoint', relay.endpoint, '--bucket', bucket, '--prefix', 'big'], cwd, creds);
      expect(terminal.code).toBe(0);
      // Redrawn in place: carriage returns and erase-to-end-of-line between states of one bar.
      const bars = terminal.stdout.split('\r').filter((part) => part.startsWith('Downloading ['));
      expect(bars.length).toBeGreaterThan(3);
      for (const bar of bars)
        expect(bar).toMatch(/^Downloading \[[#.]+\] [\d.]+ \w?i?B of 40\.\d MiB \(\d+%\), (--|[\d.]+) \w?i?B\/s, (.* left|time left unknown)\x1b\[K$/);
      // The states after the first show a rate and a time left.
      expect(bars.some((bar) => /[\d.]+ [KMG]iB\/s, \d+ (s|min \d+ s) left/.test(bar))).toBe(true);
      expect(terminal.stdout).toMatch(/Downloading: 40\.\d MiB done in/);
      expect(sha256sum(path.join(cwd, BIG))).toBe(sha256sum(bigMade));
      expect(secretsIn(terminal)).toEqual([]);
    } finally {
      await relay.close();
    }
  }, 120_000);

  it('wrong credentials: exit 1, nothing written, no secret shown', async () => {
    const cwd = here('wrong');
    const wrong = 'wrong-secret-0123456789abcdef';
    const run = await cli(['download', 'latest', ...bucketArgs()], { R2_ACCESS_KEY_ID: testS3().accessKeyId, R2_SECRET_ACCESS_KEY: wrong }, cwd);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).not.toContain(wrong);
    expect(secretsIn(run)).toEqual([]);
    expect(fs.readdirSync(cwd)).toEqual([]);
  });
});
