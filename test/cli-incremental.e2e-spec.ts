/**
 * The command line with increments (issue 19): `verify`, `restore` and `materialize` of a point of a chain made with
 * the engine's own classes from real SQLite files under a concurrent writer (test/support/increment-chains.ts), run
 * as a user runs them: child processes of the built command (dist/cli.js). materialize's archive is read with the
 * standard tools only: tar xzf, sha256sum -c, sqlite3 PRAGMA integrity_check.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CLI, cli, errorsIn } from './support/cli-process.js';
import { ALL_DATABASES, writeDatabase } from './fixtures/restore-archives.js';
import { type ChainPoint, chainUnderWriter, rowsIn, type TestChain } from './support/increment-chains.js';

const NAMES = ALL_DATABASES;

describe('sentinel-backup with increments', () => {
  let root: string;
  let backups: string;
  let chain: TestChain;
  let points: ChainPoint[];

  beforeAll(async () => {
    if (!fs.existsSync(CLI)) throw new Error(`${CLI} does not exist: build first (npx nest build)`);
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-incremental-'));
    backups = path.join(root, 'backups');
    fs.mkdirSync(backups);
    chain = await chainUnderWriter({ source: path.join(root, 'source'), folder: backups, scratch: path.join(root, 'work'), increments: 2, names: NAMES });
    points = chain.points;
  }, 60_000);
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('materialize writes the point as one ordinary full archive: tar xzf, sha256sum -c and sqlite3 integrity_check read it', async () => {
    const point = points[2];
    const out = path.join(root, 'point.tar.gz');
    const run = await cli(['materialize', point.name, '--dir', backups, '--out', out]);
    expect({ code: run.code, errors: errorsIn(run) }).toEqual({ code: 0, errors: '' });
    expect(run.stdout).toContain(`Wrote ${out}`);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('point.tar.gz'))).toEqual(['point.tar.gz']);

    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).trim().split('\n');
    expect(listing).toEqual(['backup-metadata.json', ...NAMES.map((n) => `${n}.db`)]);
    const dir = path.join(root, 'extracted');
    fs.mkdirSync(dir);
    execFileSync('tar', ['xzf', out, '-C', dir]);
    const metadata = JSON.parse(fs.readFileSync(path.join(dir, 'backup-metadata.json'), 'utf8'));
    expect(Object.keys(metadata).sort()).toEqual(['databases', 'sentinel_version', 'timestamp', 'version']);
    expect(metadata.timestamp).toBe(JSON.parse(fs.readFileSync(path.join(point.work, 'backup-metadata.json'), 'utf8')).timestamp);
    for (const db of metadata.databases) expect(Object.keys(db).sort()).toEqual(['checksum', 'filename', 'name', 'size_bytes']);
    const sums = metadata.databases.map((db: { checksum: string; filename: string }) => `${db.checksum.slice('sha256:'.length)}  ${db.filename}\n`).join('');
    fs.writeFileSync(path.join(dir, 'SHA256SUMS'), sums);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: dir, encoding: 'utf8' })).toBe(NAMES.map((n) => `${n}.db: OK\n`).join(''));
    for (const name of NAMES) {
      expect(execFileSync('sqlite3', [path.join(dir, `${name}.db`), 'PRAGMA integrity_check;'], { encoding: 'utf8' }).trim()).toBe('ok');
    }
    expect(rowsIn(dir, point.rows)).toEqual(point.rows);
  });

  it('materialize never replaces a file, and takes an increment file whose chain is beside it', async () => {
    const taken = path.join(root, 'taken.tar.gz');
    fs.writeFileSync(taken, 'mine');
    const refused = await cli(['materialize', points[1].name, '--dir', backups, '--out', taken]);
    expect(refused.code).toBe(1);
    expect(errorsIn(refused)).toMatch(/already exists: materialize never replaces a file/);
    expect(fs.readFileSync(taken, 'utf8')).toBe('mine');

    const out = path.join(root, 'from-file.tar.gz');
    const run = await cli(['materialize', path.join(backups, points[1].name), '--out', out, '--json']);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true, output: out, archive: points[1].name });
  });

  it('verify and restore take an increment: rebuilt from its chain, restored into a DATA_DIR with the rows of that moment', async () => {
    const verified = await cli(['verify', points[1].name, '--dir', backups, '--json']);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, archive: points[1].name, failed_check: null });

    const data = path.join(root, 'data');
    fs.mkdirSync(data);
    for (const name of NAMES) writeDatabase(path.join(data, `${name}.db`), `old:${name}`);
    const dryRun = await cli(['restore', points[1].name, '--dir', backups, '--data-dir', data, '--dry-run', '--json']);
    expect(dryRun.code).toBe(0);
    expect(JSON.parse(dryRun.stdout)).toMatchObject({ ok: true, dry_run: true, archive: points[1].name });
    expect(JSON.parse(dryRun.stdout).changes.map((change: { name: string; changes: boolean }) => [change.name, change.changes])).toEqual(
      NAMES.map((name) => [name, true]),
    );
    const restored = await cli(['restore', points[1].name, '--dir', backups, '--data-dir', data]);
    expect({ code: restored.code, errors: errorsIn(restored) }).toEqual({ code: 0, errors: '' });
    expect(restored.stdout).toContain(`Restored ${NAMES.length} databases from ${points[1].name}`);
    expect(rowsIn(data, points[1].rows)).toEqual(points[1].rows);
  });

  it('names a missing or damaged link (exit 3), and materialize then leaves no file', async () => {
    const [, first, second] = points;
    const away = path.join(root, first.name);
    fs.renameSync(path.join(backups, first.name), away);
    const out = path.join(root, 'broken.tar.gz');
    try {
      const missing = await cli(['materialize', second.name, '--dir', backups, '--out', out]);
      expect(missing.code).toBe(3);
      expect(missing.stdout).toMatch(new RegExp(`chain \\(${first.name.replace(/\./g, '\\.')}\\).*its chain needs ${first.name.replace(/\./g, '\\.')}`));
      const verify = await cli(['verify', second.name, '--dir', backups]);
      expect(verify.code).toBe(3);
    } finally {
      fs.renameSync(away, path.join(backups, first.name));
    }
    const pagesFile = await chain.damagePages(first);
    const damaged = await cli(['materialize', second.name, '--dir', backups, '--out', out, '--json']);
    expect(damaged.code).toBe(3);
    expect(JSON.parse(damaged.stdout)).toMatchObject({ ok: false, output: null, failed_check: 'checksum', problem: { check: 'checksum', file: pagesFile } });
    expect(JSON.parse(damaged.stdout).problem.message).toContain(first.name);
    expect(fs.readdirSync(root).filter((f) => f.startsWith('broken.tar.gz'))).toEqual([]);
  });
});
