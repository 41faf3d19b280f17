/**
 * The disaster-recovery command line with encrypted backups (issue 17 with issue 14's keys), as a user runs
 * it: child processes of the built command (dist/cli.js) over real folders of real SQLite files; archives made
 * by the real `age` command (tar czf, then age -r) and by the real service on an encrypted S3 target of the
 * real S3 server; the real service started on the folder a restore filled. Every bad input exits with its
 * documented code and leaves the data folder byte-identical; the identity never appears in any output.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli as runCli, type CliRun, errorsIn } from './support/cli-process.js';
import { ageDecrypt, ageEncrypt, ageKeygen, type AgeKey, agePayloadStart, filesContaining } from './fixtures/encrypted-archives.js';
import { fingerprint } from './fixtures/folder-fingerprint.js';
import { ALL_DATABASES, prepareBackupFolder, readMarker, sha256, tarCzf } from './fixtures/restore-archives.js';
import { getJson, startService, waitHealthy } from './fixtures/restore-service.js';
import { downloadBackup, enableEncryption } from './support/age-archives.js';
import { configureR2 } from './support/r2-settings.js';
import { createTestBucket, describeS3, testS3, testS3Client } from './support/s3-server.js';
import { seedDatabases, waitForJob } from './support/seed.js';
import { startTestApp, type TestApp } from './support/test-app.js';
import { TEST_MASTER_KEY } from './support/test-master-key.js';

const PLAIN = 'sentinel-backup-2026-01-08-143022.tar.gz';
const ENCRYPTED = `${PLAIN}.age`;
/** An age identity itself (the help and messages name the prefix `AGE-SECRET-KEY-1...`, never a key). */
const IDENTITY = /AGE-SECRET-KEY-1[0-9A-Z]{20,}/;

/** Every output of every run, searched for identities at the end of each block. */
const outputs: string[] = [];

/** Runs `sentinel-backup args` with only `env` (and PATH, HOME) in its environment; keeps its output for the search. */
async function cli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const run = await runCli(args, env);
  outputs.push(run.stdout, run.stderr);
  return run;
}

/**
 * The fingerprint without SQLite's side files: reading a target's settings opens config.db read-only, and SQLite
 * leaves an empty `-wal` and its `-shm` index beside a WAL database a reader opened (a read-only connection cannot
 * remove them). Every database and every other file is compared byte for byte.
 */
function withoutSideFiles(print: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(print).filter(([name]) => !/-(wal|shm)$/.test(name)));
}

/** The rows `sql` selects from the SQLite file `file`, opened read-only. */
function query(file: string, sql: string): unknown[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

const markersOf = (data: string) => ALL_DATABASES.map((name) => readMarker(path.join(data, `${name}.db`)));

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npx nest build)`);
});

describe('sentinel-backup with an archive made by the age command (tar czf, then age -r)', () => {
  let root: string;
  let mine: AgeKey;
  let stranger: AgeKey;
  let encrypted: string;
  let plain: string;
  /** A stopped service's data folder, filled by a first restore (the databases marked `live`). */
  let data: string;

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-age-'));
    const keys = path.join(root, 'keys');
    mine = ageKeygen(keys, 'mine');
    stranger = ageKeygen(keys, 'stranger');
    fs.writeFileSync(path.join(keys, 'not-a-key.txt'), '# my notes\nAGE-SECRET-KEY-1NOTAKEY\n');
    const files = ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)];
    plain = tarCzf(prepareBackupFolder(path.join(root, 'made'), 'backup', ALL_DATABASES, 2000), path.join(root, PLAIN), files);
    fs.mkdirSync(path.join(root, 'backups'));
    encrypted = ageEncrypt(plain, path.join(root, 'backups', ENCRYPTED), [mine.recipient]);
    fs.mkdirSync(path.join(root, 'live'));
    const live = tarCzf(prepareBackupFolder(path.join(root, 'made-live'), 'live'), path.join(root, 'live', PLAIN), files);
    data = path.join(root, 'data');
    const first = await cli(['restore', live, '--data-dir', data]);
    expect({ code: first.code, stderr: errorsIn(first) }).toEqual({ code: 0, stderr: '' });
  }, 60_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('--help: key has its usage, an example and the exit codes; verify and restore say where the recovery key goes', async () => {
    const key = await cli(['key', '--help']);
    expect(key.code).toBe(0);
    expect(key.stdout).toContain('Usage: sentinel-backup key show --data-dir DIR --target ID');
    expect(key.stdout).toMatch(/Example:\n\s+sentinel-backup key show [^\n]*\n\s+sentinel-backup key export --data-dir \S+ --target r2 --output \S+/);
    expect(key.stdout).toMatch(/Exit codes: 0 ok, 1 failed/);
    for (const command of ['verify', 'restore']) {
      const help = await cli([command, '--help']);
      expect(help.stdout).toMatch(/--identity FILE\s+a file of age identities/);
      expect(help.stdout).toMatch(new RegExp(`sentinel-backup ${command} \\S+ .*--identity \\S+`));
    }
    expect((await cli(['restore', '--help'])).stdout).toMatch(/--confirm-unknown/);
    expect((await cli(['--help'])).stdout).toMatch(/key show\|export --data-dir DIR --target ID/);
    const usage = await cli(['key', 'export', '--data-dir', root, '--target', 'r2']);
    expect({ code: usage.code, stderr: usage.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/key export needs --output FILE/) });
  });

  it('verify and restore it with --identity (the key file as age-keygen wrote it): every database back', async () => {
    const verify = await cli(['verify', encrypted, '--identity', mine.file, '--json']);
    expect({ code: verify.code, stderr: errorsIn(verify) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, encrypted: true, archive: ENCRYPTED, failed_check: null });

    // From a folder of backups, with a second, useless key given first: each is tried.
    const fresh = path.join(root, 'fresh', 'data');
    const run = await cli([
      'restore',
      'latest',
      '--dir',
      path.join(root, 'backups'),
      '--data-dir',
      fresh,
      '--identity',
      stranger.file,
      '--identity',
      mine.file,
      '--json',
    ]);
    expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
    // A new machine: no record of the archives it wrote, so the origin is not checked and the restore goes on.
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, outcome: 'applied', archive: ENCRYPTED, encrypted: true, origin: 'unchecked' });
    expect(markersOf(fresh)).toEqual(ALL_DATABASES.map((n) => `backup:${n}`));
    const human = await cli(['restore', encrypted, '--data-dir', path.join(root, 'fresh2'), '--identity', mine.file]);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Its origin cannot be checked: .* holds no record of the archives this installation wrote/);
  }, 120_000);

  it('every bad input exits with its code, says what to do, and leaves the data folder byte-identical', async () => {
    const bad = path.join(root, 'bad');
    fs.mkdirSync(bad);
    const bytes = fs.readFileSync(encrypted);
    const flipped = Buffer.from(bytes);
    flipped[agePayloadStart(bytes) + 1000] ^= 0x01;
    fs.mkdirSync(path.join(bad, 'tampered'));
    fs.writeFileSync(path.join(bad, 'tampered', ENCRYPTED), flipped);
    fs.mkdirSync(path.join(bad, 'cut'));
    fs.writeFileSync(path.join(bad, 'cut', ENCRYPTED), bytes.subarray(0, bytes.length - 300));
    fs.mkdirSync(path.join(bad, 'plain-named-age'));
    fs.copyFileSync(plain, path.join(bad, 'plain-named-age', ENCRYPTED));
    fs.mkdirSync(path.join(bad, 'age-named-plain'));
    fs.copyFileSync(encrypted, path.join(bad, 'age-named-plain', PLAIN));

    const cases: Array<{ args: string[]; code: number; message: RegExp }> = [
      { args: [encrypted], code: 2, message: /is encrypted for a key .*; supply its recovery key with --identity FILE/ },
      {
        args: [encrypted, '--identity', stranger.file],
        code: 1,
        message: /none of the keys given \(--identity\) opens it: supply its recovery key with --identity FILE/,
      },
      {
        args: [encrypted, '--identity', path.join(root, 'keys', 'not-a-key.txt')],
        code: 2,
        message: /not-a-key\.txt is not an age recovery key file: line 2: /,
      },
      { args: [encrypted, '--identity', path.join(root, 'keys', 'missing.txt')], code: 2, message: /missing\.txt: no such file/ },
      { args: [encrypted, '--identity', mine.identity], code: 2, message: /never given as an argument: other users can see arguments in ps.*--identity FILE/ },
      { args: [encrypted, `--identity=${mine.identity}`], code: 2, message: /never given as an argument/ },
      { args: [path.join(bad, 'tampered', ENCRYPTED), '--identity', mine.file], code: 3, message: /Verification FAILED: age \(.*\): .*damaged at chunk 0/ },
      { args: [path.join(bad, 'cut', ENCRYPTED), '--identity', mine.file], code: 3, message: /Verification FAILED: age \(.*\): .*(cut short|damaged)/ },
      {
        args: [path.join(bad, 'plain-named-age', ENCRYPTED), '--identity', mine.file],
        code: 3,
        message: /Verification FAILED: missing-encryption .*found a plain gzip/,
      },
      {
        args: [path.join(bad, 'age-named-plain', PLAIN), '--identity', mine.file],
        code: 3,
        message: /Verification FAILED: unexpected-encryption .*encrypted with age/,
      },
    ];
    const before = fingerprint(data);
    for (const { args, code, message } of cases) {
      const run = await cli(['restore', ...args, '--data-dir', data]);
      expect({ args, code: run.code }).toEqual({ args, code });
      expect(run.stderr).toMatch(message);
      expect(fingerprint(data)).toEqual(before);
    }
    // The same checks in verify: the failed check named, exit 3.
    const verify = await cli(['verify', path.join(bad, 'tampered', ENCRYPTED), '--identity', mine.file, '--json']);
    expect(verify.code).toBe(3);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: false, encrypted: true, failed_check: 'age' });
    const wrong = await cli(['verify', encrypted, '--identity', stranger.file]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/none of the keys given/);
    expect(markersOf(data)).toEqual(ALL_DATABASES.map((n) => `live:${n}`));
  }, 240_000);

  it('download with --identity: the inner checks run decrypted and the encrypted file is kept; a wrong key (exit 1) or a damaged inner database (exit 3) keeps nothing', async () => {
    const files = ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)];
    /** A folder of backups holding `archive` as ENCRYPTED, with the recipients marker the service writes beside it. */
    const store = (name: string, archive: string): string => {
      const dir = path.join(root, 'download', name, 'store');
      fs.mkdirSync(dir, { recursive: true });
      fs.copyFileSync(archive, path.join(dir, ENCRYPTED));
      fs.writeFileSync(path.join(dir, `.${ENCRYPTED}.recipients`), `${mine.recipient}\n`);
      return dir;
    };
    const outputFolder = (name: string): string => {
      const dir = path.join(root, 'download', name, 'out');
      fs.mkdirSync(dir, { recursive: true });
      return dir;
    };
    const good = store('good', encrypted);

    const kept = outputFolder('good');
    const run = await cli(['download', 'latest', '--dir', good, '--output', kept, '--identity', mine.file]);
    expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/Checking the archive .*, decrypting it with --identity\.\.\./);
    expect(run.stdout).toMatch(/Archive checks passed: all 7 databases intact/);
    expect(fs.readdirSync(kept)).toEqual([ENCRYPTED]);
    expect(sha256(path.join(kept, ENCRYPTED))).toBe(sha256(encrypted));
    const json = await cli(['download', 'latest', '--dir', good, '--output', path.join(kept, 'again.age'), '--identity', mine.file, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, encrypted: true, checks: { archive: 'passed', failed: null, verdict: { failed_check: null } } });

    // Without a key: downloaded as stored, and the way to run the skipped checks is given.
    const keyless = outputFolder('keyless');
    const skipped = await cli(['download', 'latest', '--dir', good, '--output', keyless]);
    expect({ code: skipped.code, stderr: errorsIn(skipped) }).toEqual({ code: 0, stderr: '' });
    expect(skipped.stdout).toMatch(/inner checks were skipped: .* Run them with: sentinel-backup verify \S+\.tar\.gz\.age --identity KEY/);

    const nothing = outputFolder('wrong');
    const wrong = await cli(['download', 'latest', '--dir', good, '--output', nothing, '--identity', stranger.file]);
    expect(wrong.code).toBe(1);
    expect(errorsIn(wrong)).toContain(`${ENCRYPTED} is encrypted for key ${mine.recipient}, and none of the keys given (--identity) opens it`);
    // Refused on the stored archive's header, before the download: a wrong key does not cost the whole transfer.
    expect(wrong.stdout).not.toContain('Downloading');
    expect(fs.readdirSync(nothing)).toEqual([]);

    // The ledger damaged after its checksum went into the metadata, then archived and encrypted: only decrypted can it be seen.
    const made = prepareBackupFolder(path.join(root, 'download', 'damaged', 'made'), 'backup');
    const ledger = fs.readFileSync(path.join(made, 'ledger.db'));
    ledger[ledger.length - 1] ^= 0xff;
    fs.writeFileSync(path.join(made, 'ledger.db'), ledger);
    const damagedPlain = tarCzf(made, path.join(root, 'download', 'damaged', PLAIN), files);
    const damaged = store('damaged', ageEncrypt(damagedPlain, path.join(root, 'download', 'damaged', ENCRYPTED), [mine.recipient]));
    const refused = outputFolder('damaged');
    const bad = await cli(['download', 'latest', '--dir', damaged, '--output', refused, '--identity', mine.file, '--json']);
    expect(bad.code).toBe(3);
    expect(errorsIn(bad)).toMatch(/failed its checksum check \(checksum \(ledger\.db\): .*\) and was not kept/);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, output: null, failed_check: 'checksum', checks: { archive: 'failed' } });
    expect(fs.readdirSync(refused)).toEqual([]);
  }, 120_000);

  it('no output names an identity', () => {
    for (const text of outputs) expect(text).not.toMatch(IDENTITY);
    for (const key of [mine, stranger]) expect(filesContaining(data, key.identity)).toEqual([]);
  });
});

describeS3('sentinel-backup with backups the service encrypted (an encrypted S3 target)', () => {
  let root: string;
  let t: TestApp | undefined;
  let bucket: string;
  let recovery: { keyFile: string; identity: string; recipient: string };
  let job: { filename: string; size_bytes: number };
  let creds: Record<string, string>;
  let keys: string;
  const masterKey = { SENTINEL_MASTER_KEY: TEST_MASTER_KEY };
  const serviceData = () => path.join(root, 'service', 'data');

  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-enc-s3-'));
    keys = path.join(root, 'keys');
    fs.mkdirSync(keys);
    bucket = await createTestBucket('clienc');
    t = await startTestApp({}, { root: path.join(root, 'service'), keep: true });
    await configureR2(t, bucket);
    recovery = await enableEncryption(t, 'r2', keys);
    await seedDatabases(t.app, { rows: 50 });
    job = await waitForJob(t.http, (await t.http.post('/api/backups/r2').expect(202)).body.id);
    expect(job.filename).toMatch(/\.tar\.gz\.age$/);
    creds = { R2_ACCESS_KEY_ID: testS3().accessKeyId, R2_SECRET_ACCESS_KEY: testS3().secretAccessKey };
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('the encrypted drill: an empty folder, only the bucket credentials and the recovery key file; the service started there serves the restored data', async () => {
    const drill = path.join(root, 'drill');
    const data = path.join(drill, 'data');
    const bucketArgs = ['--endpoint', testS3().endpoint, '--bucket', bucket];
    // Without the key: refused before anything is made, naming the key it needs.
    const keyless = await cli(['restore', 'latest', ...bucketArgs, '--data-dir', data], creds);
    expect(keyless.code).toBe(2);
    expect(keyless.stderr).toContain(
      `${job.filename} is encrypted for key ${recovery.recipient}; supply the recovery key of ${recovery.recipient} with --identity FILE`,
    );
    const stranger = ageKeygen(keys, 'stranger');
    const wrong = await cli(['restore', 'latest', ...bucketArgs, '--data-dir', data, '--identity', stranger.file], creds);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`is encrypted for key ${recovery.recipient}, and none of the keys given (--identity) opens it`);
    expect(fs.existsSync(data)).toBe(false);

    const run = await cli(['restore', 'latest', ...bucketArgs, '--data-dir', data, '--identity', recovery.keyFile, '--json'], creds);
    expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, outcome: 'applied', archive: job.filename, encrypted: true, origin: 'unchecked' });
    expect(query(path.join(data, 'ledger.db'), 'SELECT count(*) AS n FROM items')).toEqual([{ n: 50 }]);
    // The service started on the restored folder (with the master key it had) serves the restored data and lists its encrypted backups.
    const service = await startService(drill);
    try {
      await waitHealthy(service);
      const [settings, listed] = await Promise.all([getJson(`${service.url}/api/settings`), getJson(`${service.url}/api/backups/r2`)]);
      expect((settings?.body as Array<{ key: string; value: unknown }>).filter((s) => s.key === 'r2_bucket_name')).toEqual([
        expect.objectContaining({ value: bucket }),
      ]);
      expect((listed?.body as Array<{ filename: string; encrypted: boolean }>).map((b) => [b.filename, b.encrypted])).toEqual([[job.filename, true]]);
    } finally {
      await service.stop();
    }
    expect(filesContaining(drill, recovery.identity)).toEqual([]);
  }, 180_000);

  it('with --data-dir/--target the stored key is used (the service running); key show names recipients, never an identity', async () => {
    const verify = await cli(['verify', 'latest', '--data-dir', serviceData(), '--target', 'r2', '--json'], masterKey);
    expect({ code: verify.code, stderr: errorsIn(verify) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, encrypted: true, archive: job.filename });
    // download checks it with the same stored key (and the SHA-256 the service recorded), and keeps it as stored.
    const folder = path.join(root, 'downloaded');
    fs.mkdirSync(folder);
    const download = await cli(['download', 'latest', '--data-dir', serviceData(), '--target', 'r2', '--output', folder, '--json'], masterKey);
    expect({ code: download.code, stderr: errorsIn(download) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(download.stdout)).toMatchObject({
      ok: true,
      encrypted: true,
      archive: job.filename,
      checks: { object_sha256: 'matched', archive: 'passed' },
    });
    expect(fs.readdirSync(folder)).toEqual([job.filename]);

    const show = await cli(['key', 'show', '--data-dir', serviceData(), '--target', 'r2', '--json'], masterKey);
    expect({ code: show.code, stderr: errorsIn(show) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(show.stdout)).toMatchObject({
      ok: true,
      target: 'r2',
      state: 'active',
      write_only: false,
      recipients: [recovery.recipient],
      keys: [expect.objectContaining({ recipient: recovery.recipient, current: true, identity_stored: true })],
    });
    const human = await cli(['key', 'show', '--data-dir', serviceData(), '--target', 'r2'], masterKey);
    expect(human.stdout).toContain(`${recovery.recipient}  current`);
  }, 120_000);

  it('key export writes a new 0600 file that age -d -i accepts, recorded in the audit log; it never overwrites', async () => {
    const output = path.join(keys, 'exported.txt');
    const run = await cli(['key', 'export', '--data-dir', serviceData(), '--target', 'r2', '--output', output, '--json'], masterKey);
    expect({ code: run.code, stderr: errorsIn(run) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, target: 'r2', output, recipients: [recovery.recipient] });
    expect(fs.statSync(output).mode & 0o777).toBe(0o600);
    expect(execFileSync('age-keygen', ['-y', output], { encoding: 'utf8' }).trim()).toBe(recovery.recipient);
    const { body } = await downloadBackup(t!, 'r2', job.filename);
    const stored = path.join(root, job.filename);
    fs.writeFileSync(stored, body);
    const tarList = execFileSync('tar', ['tz'], { input: ageDecrypt(stored, output), encoding: 'utf8' });
    expect(tarList.split('\n')[0]).toBe('backup-metadata.json');

    expect(query(path.join(serviceData(), '.audit.db'), "SELECT target, subject, outcome, client FROM audit WHERE action = 'encryption.export'")).toEqual([
      { target: 'r2', subject: recovery.recipient, outcome: 'ok', client: 'sentinel-backup' },
    ]);

    const before = sha256(output);
    const again = await cli(['key', 'export', '--data-dir', serviceData(), '--target', 'r2', '--output', output], masterKey);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists: key export never overwrites a file/);
    expect(sha256(output)).toBe(before);
    expect(fs.readdirSync(keys).filter((name) => name.includes('partial'))).toEqual([]);
  }, 120_000);

  it('no silent swaps: into the installation that keeps records, an archive it did not write needs --confirm-unknown; its own restores with its stored key', async () => {
    await t!.close();
    t = undefined;
    // Anyone with the public recipient can make a valid archive and put it in the bucket, newer than the real one.
    const made = path.join(root, 'foreign');
    const files = ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)];
    const plain = tarCzf(prepareBackupFolder(made, 'foreign'), path.join(root, 'foreign.tar.gz'), files);
    const foreign = 'sentinel-backup-2099-01-01-000000.tar.gz.age';
    ageEncrypt(plain, path.join(root, foreign), [recovery.recipient]);
    const s3 = testS3Client();
    try {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: foreign, Body: fs.readFileSync(path.join(root, foreign)) }));
    } finally {
      s3.destroy();
    }
    const target = ['--data-dir', serviceData(), '--target', 'r2'];

    const before = withoutSideFiles(fingerprint(serviceData()));
    const refused = await cli(['restore', foreign, ...target], masterKey);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`holds the records of the \\d+ archive\\(s\\) this installation wrote, and ${foreign} is not among them.*--confirm-unknown`),
    );
    expect(withoutSideFiles(fingerprint(serviceData()))).toEqual(before);

    const own = await cli(['restore', job.filename, ...target, '--json'], masterKey);
    expect({ code: own.code, stderr: errorsIn(own) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(own.stdout)).toMatchObject({ ok: true, archive: job.filename, encrypted: true, origin: 'made-here' });

    const confirmed = await cli(['restore', foreign, ...target, '--confirm-unknown', '--json'], masterKey);
    expect({ code: confirmed.code, stderr: errorsIn(confirmed) }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(confirmed.stdout)).toMatchObject({ ok: true, archive: foreign, origin: 'confirmed-unknown' });
    expect(markersOf(serviceData())).toEqual(ALL_DATABASES.map((n) => `foreign:${n}`));
  }, 180_000);

  it('no output, log or file of the data folders holds the identity', () => {
    for (const text of outputs) expect(text).not.toMatch(IDENTITY);
    const exported = path.join(keys, 'exported.txt');
    const holders = filesContaining(root, recovery.identity).filter((file) => !file.startsWith(keys));
    expect(holders).toEqual([]);
    expect(fs.existsSync(exported)).toBe(true);
  });
});
