import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import {
  ALL_DATABASES,
  badArchives,
  buildTar,
  folderEntries,
  gzip,
  metadataFor,
  prepareBackupFolder,
  readMarker,
  sha256,
  tarCzf,
} from '../../../test/fixtures/restore-archives.js';
import { DomainError } from '../../common/errors/domain-error.js';
import type { ExtractOptions } from './archive-extractor.js';
import { extractArchive } from './archive-read-pipeline.js';

/** `bytes` as a stream of 64 KiB chunks, and how much of it has been read so far. */
function chunkedSource(bytes: Buffer): { source: Readable; read: () => number } {
  let read = 0;
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 64 * 1024) {
        read += Math.min(64 * 1024, bytes.length - i);
        yield bytes.subarray(i, i + 64 * 1024);
      }
    })(),
  );
  return { source, read: () => read };
}

describe('extractArchive', () => {
  let root: string;
  let good: string;
  let out: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'restore-extract-'));
    good = prepareBackupFolder(path.join(root, 'good'), 'new');
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
  beforeEach(() => {
    out = fs.mkdtempSync(path.join(root, 'out-'));
  });

  const options = (overrides: Partial<ExtractOptions> = {}): ExtractOptions => ({
    dir: out,
    archive: 'sentinel-backup-2026-01-08-143022.tar.gz',
    managed: ALL_DATABASES,
    mode: 'fail-fast',
    durable: true,
    ...overrides,
  });

  it('extracts an archive made with `tar czf`, every database byte-identical with its checksum', async () => {
    const archive = tarCzf(good, path.join(root, 'cli.tar.gz'), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    const result = await extractArchive(fs.createReadStream(archive), options());
    expect(result.metadata.databases.map((d) => d.name)).toEqual(ALL_DATABASES);
    expect(result.databases.every((d) => d.checksumOk)).toBe(true);
    expect(fs.readdirSync(out).sort()).toEqual(ALL_DATABASES.map((n) => `${n}.db`).sort());
    for (const name of ALL_DATABASES) {
      expect(sha256(path.join(out, `${name}.db`))).toBe(sha256(path.join(good, `${name}.db`)));
      expect(readMarker(path.join(out, `${name}.db`))).toBe(`new:${name}`);
    }
  });

  it('accepts "./" prefixed names and multi-member gzip (concatenated members)', async () => {
    const entries = folderEntries(good).map((e) => ({ ...e, name: `./${e.name}` }));
    const tar = buildTar(entries);
    const cut = 512 * 5 + 17;
    const bytes = Buffer.concat([zlib.gzipSync(tar.subarray(0, cut)), zlib.gzipSync(tar.subarray(cut))]);
    const result = await extractArchive(Readable.from([bytes]), options());
    expect(result.databases).toHaveLength(ALL_DATABASES.length);
    expect(result.databases.every((d) => d.checksumOk)).toBe(true);
  });

  describe('refuses a bad archive with its own reason', () => {
    let corpus: ReturnType<typeof badArchives>;
    beforeAll(() => {
      corpus = badArchives(good, path.join(root, 'corpus')).filter((bad) => bad.check !== 'integrity');
    });

    it('every case of the corpus', async () => {
      expect(corpus.length).toBeGreaterThan(15);
      for (const bad of corpus) {
        const dir = fs.mkdtempSync(path.join(root, 'bad-'));
        const error = await extractArchive(Readable.from([bad.bytes]), options({ dir })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect({ label: bad.label, error: error instanceof DomainError ? error.code : String(error) }).toEqual({ label: bad.label, error: 'ARCHIVE_INVALID' });
        const details = (error as DomainError).details as { check: string; file: string };
        expect({ label: bad.label, ...details }).toEqual({ label: bad.label, check: bad.check, file: bad.file === 'ARCHIVE' ? options().archive : bad.file });
        expect((error as Error).message).toMatch(bad.message);
        if (process.env.SHOW) console.log(bad.label, '=>', (error as Error).message);
        // Nothing was ever written outside the folder, and no link or folder inside it.
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) expect(entry.isFile()).toBe(true);
      }
      expect(fs.existsSync('/etc/cron.d/evil')).toBe(false);
      expect(fs.existsSync(path.join(root, 'universe.db'))).toBe(false);
    });
  });

  it('stops reading at once at an entry larger than the metadata says', async () => {
    const dir = prepareBackupFolder(path.join(root, 'big'), 'big', ALL_DATABASES);
    const entries = folderEntries(dir);
    // 16 MiB of incompressible bytes where universe.db should be.
    entries[1] = { ...entries[1], data: randomBytes(16 * 1024 * 1024) };
    const bytes = gzip(buildTar(entries));
    const { source, read } = chunkedSource(bytes);
    await expect(extractArchive(source, options())).rejects.toMatchObject({ details: { check: 'size', file: 'universe.db' } });
    expect(read()).toBeLessThan(bytes.length / 4);
    expect(source.destroyed).toBe(true);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('stops after about 1 MiB of tar headers with no file (a crafted flood of pax headers), wherever they are', async () => {
    // Pax records of random text, each well under the 64 KiB a header may have: the parser takes them without a word.
    const paxHeader = (): { name: string; type: 'x'; data: Buffer } => {
      const content = ` comment=${randomBytes(45_000).toString('base64')}\n`;
      let length = content.length + 1;
      while (`${length}${content}`.length !== length) length = `${length}${content}`.length;
      return { name: 'PaxHeader', type: 'x', data: Buffer.from(`${length}${content}`) };
    };
    const flood = Array.from({ length: 240 }, paxHeader);
    const entries = folderEntries(good);
    for (const [label, archive] of [
      ['before the metadata', [...flood, ...entries]],
      ['between two databases', [...entries.slice(0, 3), ...flood, ...entries.slice(3)]],
    ] as const) {
      const bytes = gzip(buildTar([...archive]));
      const { source, read } = chunkedSource(bytes);
      const dir = fs.mkdtempSync(path.join(root, 'flood-'));
      const error = await extractArchive(source, options({ dir })).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect({ label, details: (error as DomainError).details }).toEqual({ label, details: { check: 'tar', file: options().archive } });
      expect((error as Error).message).toMatch(/bytes of tar headers \(pax or long-name\) with no file: it is not a backup archive/);
      // The flood is 14 MB of incompressible headers: the refusal comes a little after its first MiB.
      expect({ label, read: read() < bytes.length / 4 }).toEqual({ label, read: true });
    }
  });

  it('runs the metadata hook before writing any database, and stops when it throws', async () => {
    const archive = tarCzf(good, path.join(root, 'hook.tar.gz'), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    const seen: string[] = [];
    const error = new DomainError('INSUFFICIENT_DISK_SPACE' as never, 'no room');
    await expect(
      extractArchive(
        fs.createReadStream(archive),
        options({
          onMetadata: async (metadata) => {
            seen.push(...metadata.databases.map((d) => d.name));
            expect(fs.readdirSync(out)).toEqual([]);
            await new Promise((r) => setTimeout(r, 20));
            throw error;
          },
        }),
      ),
    ).rejects.toBe(error);
    expect(seen).toEqual(ALL_DATABASES);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('in collect mode records a wrong checksum and a different database set, and reads on', async () => {
    const entries = folderEntries(good);
    const damaged = Buffer.from(entries[2].data as Buffer);
    damaged[damaged.length - 10] ^= 0x01;
    entries[2] = { ...entries[2], data: damaged };
    const result = await extractArchive(Readable.from([gzip(buildTar(entries))]), options({ mode: 'collect', managed: ['universe', 'config'] }));
    expect(result.databases.map((d) => [d.name, d.checksumOk])).toEqual(ALL_DATABASES.map((n) => [n, n !== 'config']));
    expect(result.databaseSetProblem).toMatch(/ledger\.db, portfolio\.db, agents\.db, history\.db, cache\.db, which this service does not manage/);
  });

  describe("an increment's archive (docs/incremental-backups.md)", () => {
    const page = 4096;
    const increment = 'sentinel-incremental-2026-01-08-151500.tar.gz';
    const ledgerPages = randomBytes(3 * page);
    const historyPages = randomBytes(page);
    const digest = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
    const entry = (name: string, ranges: [number, number][], pages: Buffer | null) => ({
      name,
      filename: `${name}.db`,
      page_size: page,
      page_count: 10,
      size_bytes: 10 * page,
      checksum: `sha256:${'a'.repeat(64)}`,
      changed_pages: ranges,
      pages_file: pages ? `${name}.db.pages` : null,
      pages_checksum: pages ? digest(pages) : null,
    });
    const metadata = (overrides: Record<string, unknown> = {}) => ({
      timestamp: '2026-01-08T15:15:00Z',
      version: '1.0.0',
      sentinel_version: '0.1.0',
      kind: 'incremental',
      base: 'sentinel-backup-2026-01-08-143022.tar.gz',
      parent: 'sentinel-backup-2026-01-08-143022.tar.gz',
      databases: ALL_DATABASES.map((name) =>
        name === 'ledger'
          ? entry(
              name,
              [
                [1, 1],
                [5, 6],
              ],
              ledgerPages,
            )
          : name === 'history'
            ? entry(name, [[10, 10]], historyPages)
            : entry(name, [], null),
      ),
      ...overrides,
    });
    const json = (value: unknown) => ({ name: 'backup-metadata.json', data: Buffer.from(JSON.stringify(value)) });
    const pagesEntries = () => [
      { name: 'ledger.db.pages', data: ledgerPages },
      { name: 'history.db.pages', data: historyPages },
    ];
    const read = (entries: Parameters<typeof buildTar>[0], overrides: Partial<ExtractOptions> = {}) =>
      extractArchive(
        Readable.from([gzip(buildTar(entries))]),
        options({ archive: increment, kind: 'incremental', dir: fs.mkdtempSync(path.join(root, 'increment-')), ...overrides }),
      ).then(
        (result) => result,
        (error: DomainError) => error,
      );

    it('accepts the metadata and the pages files it names, each checked, and writes no database', async () => {
      const result = await read([json(metadata()), ...pagesEntries()], { dir: out });
      if (result instanceof Error) throw result;
      expect(result.databases).toEqual([]);
      expect(result.pages?.map((p) => [p.db.name, path.basename(p.path)])).toEqual([
        ['ledger', 'ledger.db.pages'],
        ['history', 'history.db.pages'],
      ]);
      expect(fs.readFileSync(path.join(out, 'ledger.db.pages'))).toEqual(ledgerPages);
      expect(fs.readdirSync(out).sort()).toEqual(['history.db.pages', 'ledger.db.pages']);
    });

    it('refuses, naming the file, a damaged pages file in every mode, one of the wrong length at its header, and unlisted or missing ones', async () => {
      const flipped = Buffer.from(ledgerPages);
      flipped[100] ^= 0x01;
      for (const mode of ['fail-fast', 'collect'] as const) {
        const damaged = await read([json(metadata()), { name: 'ledger.db.pages', data: flipped }, pagesEntries()[1]], { mode });
        expect(damaged).toMatchObject({ code: 'ARCHIVE_INVALID', details: { check: 'checksum', file: 'ledger.db.pages' } });
        expect((damaged as Error).message).toContain(`ledger.db.pages in the increment ${increment} does not match its pages_checksum`);
        expect((damaged as Error).message).toMatch(/the increment is damaged$/);
      }
      const short = await read([json(metadata()), { name: 'ledger.db.pages', data: ledgerPages.subarray(0, 2 * page) }, pagesEntries()[1]]);
      expect(short).toMatchObject({ details: { check: 'size', file: 'ledger.db.pages' } });
      const unlisted = await read([json(metadata()), ...pagesEntries(), { name: 'cache.db.pages', data: randomBytes(page) }]);
      expect(unlisted).toMatchObject({ details: { check: 'unexpected-entry', file: 'cache.db.pages' } });
      const database = await read([json(metadata()), ...pagesEntries(), { name: 'cache.db', data: randomBytes(page) }]);
      expect(database).toMatchObject({ details: { check: 'unexpected-entry', file: 'cache.db' } });
      const missing = await read([json(metadata()), pagesEntries()[0]]);
      expect(missing).toMatchObject({ details: { check: 'missing-database', file: 'history.db.pages' } });
      const twice = await read([json(metadata()), ...pagesEntries(), pagesEntries()[0]]);
      expect(twice).toMatchObject({ details: { check: 'duplicate-entry', file: 'ledger.db.pages' } });
      const first = await read([...pagesEntries(), json(metadata())]);
      expect(first).toMatchObject({ details: { check: 'unexpected-entry', file: 'ledger.db.pages' } });
    });

    it('refuses an increment metadata with bad pages fields, and mixes of the two kinds', async () => {
      const badRanges = metadata();
      (badRanges.databases as { changed_pages: unknown }[])[2].changed_pages = [
        [5, 6],
        [1, 1],
      ];
      expect(await read([json(badRanges), ...pagesEntries()])).toMatchObject({ details: { check: 'metadata-invalid' } });
      const fullAsIncrement = await read(folderEntries(good));
      expect(fullAsIncrement).toMatchObject({ details: { check: 'metadata-invalid' } });
      expect((fullAsIncrement as Error).message).toMatch(/is named as an increment but its backup-metadata\.json is a full backup's/);
      const incrementAsFull = await read([json(metadata()), ...pagesEntries()], { kind: 'full', archive: 'sentinel-backup-2026-01-08-151500.tar.gz' });
      expect(incrementAsFull).toMatchObject({ details: { check: 'metadata-invalid' } });
      expect((incrementAsFull as Error).message).toMatch(/is an increment \("kind": "incremental".*restored from its chain/);
    });
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    const metadata = metadataFor(good, ALL_DATABASES);
    expect(metadata.databases).toHaveLength(7);
    const archive = tarCzf(good, path.join(root, 'abort.tar.gz'), ['backup-metadata.json', ...ALL_DATABASES.map((n) => `${n}.db`)]);
    const reason = new Error('shutting down');
    const promise = extractArchive(
      fs.createReadStream(archive, { highWaterMark: 256 }),
      options({ signal: controller.signal, onProgress: () => controller.abort(reason) }),
    );
    await expect(promise).rejects.toBe(reason);
  });
});
