import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type PageIndexUpdate, PageIndexStore, type PageIndexWriteStep } from './page-index-store.js';

const FULL = 'sentinel-backup-2026-12-03-030000.tar.gz';
const INCREMENT = 'sentinel-incremental-2026-12-03-091500.tar.gz';

class SimulatedCrash extends Error {}

describe('PageIndexStore', () => {
  let dir: string;
  let dataDir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'page-index-'));
    dataDir = path.join(dir, 'data');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A snapshot's hashes file of `pages` pages, each hash byte `fill`. */
  function hashes(name: string, pages: number, fill: number): string {
    const file = path.join(dir, `${name}-${fill}.hashes`);
    fs.writeFileSync(file, Buffer.alloc(pages * 32, fill));
    return file;
  }

  function update(last: string, pages: number, fill: number): PageIndexUpdate {
    return {
      base: FULL,
      base_size: 1000,
      last,
      increments: last === FULL ? 0 : 1,
      increments_bytes: last === FULL ? 0 : 100,
      databases: [
        { name: 'ledger', page_size: 4096, page_count: pages, sha256: 'a'.repeat(64), hashes: hashes('ledger', pages, fill) },
        { name: 'cache', page_size: 4096, page_count: 3, sha256: 'b'.repeat(64), hashes: hashes('cache', 3, fill) },
      ],
    };
  }

  const folder = () => path.join(dataDir, '.incremental', 'local');
  const hashFiles = () =>
    fs
      .readdirSync(folder())
      .filter((f) => f.endsWith('.hashes'))
      .sort();

  it('reads back what it wrote, with the hashes the next diff compares against', async () => {
    const store = new PageIndexStore(dataDir);
    await store.write('local', update(FULL, 10, 1));
    const read = await store.read('local');
    if (!read.usable) throw new Error(read.reason.message);
    expect(read.index).toMatchObject({ format: 1, base: FULL, last: FULL, increments: 0, databases: [{ name: 'ledger', page_count: 10 }, { name: 'cache' }] });
    expect(fs.readFileSync(path.join(read.folder, read.index.databases[0].hashes_file))).toEqual(Buffer.alloc(320, 1));
  });

  it('keeps a hash file already in the index as it is, and removes the superseded ones', async () => {
    const store = new PageIndexStore(dataDir);
    await store.write('local', update(FULL, 10, 1));
    const first = await store.read('local');
    if (!first.usable) throw new Error(first.reason.message);
    const cache = first.index.databases[1].hashes_file;
    const next = update(INCREMENT, 12, 2);
    next.databases[1].hashes = path.join(first.folder, cache);
    await store.write('local', next);
    const second = await store.read('local');
    if (!second.usable) throw new Error(second.reason.message);
    expect(second.index.databases[1].hashes_file).toBe(cache);
    expect(hashFiles()).toEqual([second.index.databases[0].hashes_file, cache].sort());
  });

  it.each<[PageIndexWriteStep, string]>([
    ['hash-files-written', FULL],
    ['chain-written', INCREMENT],
  ])('a crash after %s leaves an index that reads (the point it names: %s), and the next write clears the leftovers', async (step, expected) => {
    await new PageIndexStore(dataDir).write('local', update(FULL, 10, 1));
    const crashing = new PageIndexStore(dataDir, (at) => {
      if (at === step) throw new SimulatedCrash(at);
    });
    await expect(crashing.write('local', update(INCREMENT, 12, 2))).rejects.toThrow(SimulatedCrash);
    // An atomic write's temp file that a kill left, too.
    fs.writeFileSync(path.join(folder(), 'chain.json.tmp-99999'), '{"format": 1, "base"');
    expect(hashFiles()).toHaveLength(4);

    const store = new PageIndexStore(dataDir);
    const read = await store.read('local');
    if (!read.usable) throw new Error(read.reason.message);
    expect(read.index.last).toBe(expected);

    await store.write('local', update(INCREMENT, 14, 3));
    const after = await store.read('local');
    if (!after.usable) throw new Error(after.reason.message);
    expect(hashFiles()).toEqual(after.index.databases.map((db) => db.hashes_file).sort());
  });

  it('answers why an index cannot be used instead of throwing', async () => {
    const store = new PageIndexStore(dataDir);
    expect(await store.read('local')).toMatchObject({
      usable: false,
      reason: { code: 'index-missing', message: expect.stringContaining(folder()), summary: expect.stringContaining('No page index') },
    });

    await store.write('local', update(FULL, 10, 1));
    const read = await store.read('local');
    if (!read.usable) throw new Error(read.reason.message);
    const ledgerHashes = path.join(folder(), read.index.databases[0].hashes_file);

    fs.truncateSync(ledgerHashes, 300);
    expect(await store.read('local')).toMatchObject({
      usable: false,
      reason: { code: 'hash-file-wrong-length', message: expect.stringContaining('hold 300 bytes, not the 320 of its 10 pages') },
    });
    fs.rmSync(ledgerHashes);
    expect(await store.read('local')).toMatchObject({
      usable: false,
      reason: { code: 'hash-file-missing', message: expect.stringContaining('database ledger') },
    });

    const chain = path.join(folder(), 'chain.json');
    fs.writeFileSync(chain, '{"format": 1, "base":');
    expect(await store.read('local')).toMatchObject({
      usable: false,
      reason: { code: 'index-unreadable', message: expect.stringContaining('not valid JSON') },
    });
    fs.writeFileSync(chain, JSON.stringify({ ...read.index, databases: [{ ...read.index.databases[0], hashes_file: '../../x.hashes' }] }));
    expect(await store.read('local')).toMatchObject({
      usable: false,
      reason: { code: 'index-unreadable', message: expect.stringContaining('hashes_file for database ledger') },
    });
  });

  it("says why without the server's paths in the summary the API shows, and with them in the message the log shows", async () => {
    const store = new PageIndexStore(dataDir);
    const expectUnusable = async (what: string): Promise<void> => {
      const read = await store.read('local');
      if (read.usable) throw new Error('the index was usable');
      expect(read.reason.message).toContain(folder());
      expect(read.reason.summary).toContain(what);
      expect(read.reason.summary).not.toContain(dataDir);
    };
    await expectUnusable('No page index');
    await store.write('local', update(FULL, 10, 1));
    const read = await store.read('local');
    if (!read.usable) throw new Error(read.reason.message);
    const ledgerHashes = path.join(folder(), read.index.databases[0].hashes_file);
    fs.truncateSync(ledgerHashes, 300);
    await expectUnusable('The page index could not be read: the page hashes of database ledger hold 300 bytes');
    fs.rmSync(ledgerHashes);
    await expectUnusable('The page index could not be read: the page hashes of database ledger are missing');
    fs.writeFileSync(path.join(folder(), 'chain.json'), '[');
    await expectUnusable('The page index could not be read: it is not valid JSON');
    fs.writeFileSync(path.join(folder(), 'chain.json'), '[]');
    await expectUnusable('The page index could not be read: it is not a JSON object');
    fs.rmSync(path.join(folder(), 'chain.json'));
    fs.mkdirSync(path.join(folder(), 'chain.json'));
    await expectUnusable('The page index could not be read: EISDIR');
  });
});
