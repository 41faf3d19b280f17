import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { jest } from '@jest/globals';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';
import { serviceThreadChunkChurn, WORKER_COLLECT_EVERY_BYTES, WORKER_SCAVENGE_EVERY_BYTES } from '../../common/memory/buffer-churn.js';
import type { ArchiveWriteContext, ArchiveWriteStep } from './archive-write-step.js';
import { ArchiveWriter, fullArchiveContents } from './archive-writer.js';
import { ParallelGzip } from './parallel-gzip.js';

/** The entries of a tar: name and content, in order (ustar headers, no long names needed here). */
function tarEntries(tar: Buffer): { name: string; content: Buffer }[] {
  const entries: { name: string; content: Buffer }[] = [];
  for (let offset = 0; offset + 512 <= tar.length;) {
    const name = tar
      .subarray(offset, offset + 100)
      .toString('utf8')
      .replace(/\0.*$/s, '');
    if (name === '') break;
    const size = parseInt(
      tar
        .subarray(offset + 124, offset + 136)
        .toString('ascii')
        .replace(/\0.*$/s, '')
        .trim(),
      8,
    );
    entries.push({ name, content: tar.subarray(offset + 512, offset + 512 + size) });
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  return entries;
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A write step's module among the test fixtures (built in the archive's worker thread). */
function fixtureStep(file: string): string {
  return new URL(`../../../test/fixtures/archive-write-steps/${file}`, import.meta.url).href;
}

/** A step that records what it receives into `recordTo` and stores each byte XOR 0x5a (a stand-in for encryption). */
function recordingStep(name: string, recordTo?: string): ArchiveWriteStep {
  return {
    name,
    plan: () => ({ module: fixtureStep('xor-transform.js'), options: { recordTo } }),
    maxOutputBytes: (maxInput) => 2 * maxInput + 7,
  };
}

/** A step whose transform is made from `module` with `options`, growing nothing. */
function stepOf(name: string, module: string, options?: unknown): ArchiveWriteStep {
  return { name, plan: () => ({ module: fixtureStep(module), options }), maxOutputBytes: (n) => n };
}

/** The files under `dir` this process has open (its own and its worker threads'). */
function openFilesUnder(dir: string): string[] {
  return fs
    .readdirSync('/proc/self/fd')
    .map((fd) => {
      try {
        return fs.readlinkSync(`/proc/self/fd/${fd}`);
      } catch {
        return ''; // closed meanwhile (readdir's own descriptor)
      }
    })
    .filter((target) => target.startsWith(`${dir}${path.sep}`));
}

/** Resolves with the error the stream fails with, once it has closed. */
function failureOf(stream: Readable): Promise<Error> {
  return new Promise((resolve, reject) => {
    let error: Error | undefined;
    stream.on('error', (e) => (error = e));
    stream.on('close', () => (error ? resolve(error) : reject(new Error('the stream closed without an error'))));
    stream.resume();
  });
}

const LOCAL: ArchiveWriteContext = { target: 'local' };

describe('ArchiveWriter', () => {
  let dir: string;
  /** Where the test steps record what they received (outside `dir`, which only the archive's files are in). */
  let scratch: string;
  let metadata: BackupMetadata;
  const contents: Record<string, Buffer> = { 'universe.db': Buffer.alloc(70_000, 'u'), 'config.db': Buffer.from('settings '.repeat(500)) };

  beforeEach(() => {
    dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'archive-writer-')));
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-writer-steps-'));
    for (const [file, data] of Object.entries(contents)) fs.writeFileSync(path.join(dir, file), data);
    metadata = {
      timestamp: '2026-03-14T09:26:53Z',
      version: '1.0.0',
      sentinel_version: '0.1.0',
      databases: Object.entries(contents).map(([filename, data]) => ({
        name: filename.replace(/\.db$/, ''),
        filename,
        size_bytes: data.length,
        checksum: `sha256:${createHash('sha256').update(data).digest('hex')}`,
      })),
    };
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('without steps, stores a gzip of a tar with backup-metadata.json first, then each database in metadata order', async () => {
    const archive = await collect(new ArchiveWriter([]).open(fullArchiveContents(dir, metadata), LOCAL));
    const entries = tarEntries(gunzipSync(archive));
    expect(entries.map((e) => e.name)).toEqual(['backup-metadata.json', 'universe.db', 'config.db']);
    expect(JSON.parse(entries[0].content.toString())).toEqual(metadata);
    expect(entries[1].content.equals(contents['universe.db'])).toBe(true);
    expect(entries[2].content.equals(contents['config.db'])).toBe(true);
  });

  it("writes an increment's contents: its metadata first, then only the files it names, in its order", async () => {
    const pages = Buffer.alloc(2 * 4096, 'p');
    fs.writeFileSync(path.join(dir, 'ledger.db.pages'), pages);
    const increment = { timestamp: '2026-03-14T09:41:00Z', kind: 'incremental', databases: [{ name: 'ledger', pages_file: 'ledger.db.pages' }] };
    const archive = await collect(new ArchiveWriter([]).open({ dir, metadata: increment, files: [{ name: 'ledger.db.pages', size: pages.length }] }, LOCAL));
    const entries = tarEntries(gunzipSync(archive));
    expect(entries.map((e) => e.name)).toEqual(['backup-metadata.json', 'ledger.db.pages']);
    expect(JSON.parse(entries[0].content.toString())).toEqual(increment);
    expect(entries[1].content.equals(pages)).toBe(true);
  });

  it('feeds gzip output to a registered step, and what the step outputs is what the target stores', async () => {
    const received = path.join(scratch, 'received');
    const counted: number[] = [];
    const stored = await collect(
      new ArchiveWriter([recordingStep('xor', received)]).open(fullArchiveContents(dir, metadata), LOCAL, (bytes) => counted.push(bytes)),
    );
    const gzip = fs.readFileSync(received);
    // The step got the gzip stream (its magic bytes first), a tar of the archive's layout inside.
    expect([...gzip.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(tarEntries(gunzipSync(gzip)).map((e) => e.name)).toEqual(['backup-metadata.json', 'universe.db', 'config.db']);
    // The target stores the step's output, not gzip's.
    expect(stored.equals(Buffer.from(gzip.map((b) => b ^ 0x5a)))).toBe(true);
    // Progress counts the uncompressed tar, which the size estimate matches exactly.
    expect(counted.at(-1)).toBe(gunzipSync(gzip).length);
    expect(counted.at(-1)).toBe(new ArchiveWriter([]).tarBytes(fullArchiveContents(dir, metadata)));
  });

  it('runs several steps in their registered order', async () => {
    const first = path.join(scratch, 'first');
    const second = path.join(scratch, 'second');
    const stored = await collect(
      new ArchiveWriter([recordingStep('one', first), recordingStep('two', second)]).open(fullArchiveContents(dir, metadata), LOCAL),
    );
    expect(fs.readFileSync(second).equals(Buffer.from(fs.readFileSync(first).map((b) => b ^ 0x5a)))).toBe(true);
    expect(stored.equals(fs.readFileSync(first))).toBe(true); // XOR twice
  });

  it("counts each step's growth in the archive's maximum size", () => {
    const plain = new ArchiveWriter([]);
    const gzipBound = ParallelGzip.maxOutputBytes(plain.tarBytes(fullArchiveContents(dir, metadata)) + 10 * 1024);
    expect(plain.maxBytes(fullArchiveContents(dir, metadata), LOCAL)).toBe(gzipBound);
    expect(new ArchiveWriter([recordingStep('a'), recordingStep('b')]).maxBytes(fullArchiveContents(dir, metadata), LOCAL)).toBe(2 * (2 * gzipBound + 7) + 7);
  });

  it('fails the archive stream with an error naming the step that failed, and only that one', async () => {
    const failing = stepOf('age-encryption', 'failing-transform.js', { message: 'no recipient key' });
    const error = await failureOf(
      new ArchiveWriter([recordingStep('before'), failing, recordingStep('after')]).open(fullArchiveContents(dir, metadata), LOCAL),
    );
    expect(error.message).toBe("The archive step 'age-encryption' failed: no recipient key");
    expect(openFilesUnder(dir)).toEqual([]);
  });

  it('names the step whose module cannot be loaded in the worker', async () => {
    const missing = stepOf('compression-two', 'no-such-transform.js');
    const error = await failureOf(new ArchiveWriter([missing]).open(fullArchiveContents(dir, metadata), LOCAL));
    expect(error.message).toMatch(/^The archive step 'compression-two' failed: .*no-such-transform/);
  });

  it('fails the archive stream, with and without steps, when a snapshot is not the size its metadata records, naming no step', async () => {
    fs.appendFileSync(path.join(dir, 'config.db'), 'grown');
    for (const steps of [[], [recordingStep('xor')]]) {
      const error = await failureOf(new ArchiveWriter(steps).open(fullArchiveContents(dir, metadata), LOCAL));
      expect(error.message).toMatch(/^Cannot archive 'config\.db'.*changed while being archived/);
    }
  });

  it('leaves out a step that declines the archive (no recipients), in the stream and in the size bound', async () => {
    const received = path.join(scratch, 'received');
    const step = recordingStep('age-encryption', received);
    const onlyEncrypted: ArchiveWriteStep = {
      ...step,
      plan: (c) => (c.recipients?.length ? step.plan(c) : undefined),
      maxOutputBytes: (n, c) => (c.recipients?.length ? step.maxOutputBytes(n, c) : n),
    };
    const writer = new ArchiveWriter([onlyEncrypted]);
    const plain = await collect(writer.open(fullArchiveContents(dir, metadata), LOCAL));
    expect([...plain.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(fs.existsSync(received)).toBe(false);
    const encrypted = await collect(writer.open(fullArchiveContents(dir, metadata), { target: 'local', recipients: ['age1someone'] }));
    expect(encrypted.equals(Buffer.from(fs.readFileSync(received).map((b) => b ^ 0x5a)))).toBe(true);
    const gzipBound = ParallelGzip.maxOutputBytes(writer.tarBytes(fullArchiveContents(dir, metadata)) + 10 * 1024);
    expect(writer.maxBytes(fullArchiveContents(dir, metadata), LOCAL)).toBe(gzipBound);
    expect(writer.maxBytes(fullArchiveContents(dir, metadata), { target: 'local', recipients: ['age1someone'] })).toBe(2 * gzipBound + 7);
  });

  it("compresses real SQLite pages as well as gzip -6 does: at most 1.02 times gzip's default level on the same tar", async () => {
    // A ledger-like database of a few MB, compacted as a snapshot is (VACUUM), in place of the test files.
    const file = path.join(dir, 'ledger.db');
    const db = new Database(file);
    db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY, at TEXT, account TEXT, amount REAL, memo TEXT)');
    const insert = db.prepare('INSERT INTO entries (at, account, amount, memo) VALUES (?, ?, ?, ?)');
    const accounts = ['cash', 'broker', 'savings', 'card', 'pension'];
    db.transaction(() => {
      for (let i = 0; i < 40_000; i++) {
        const at = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000).toISOString();
        insert.run(at, accounts[i % accounts.length], Math.round(Math.sin(i) * 1e6) / 100, `payment ${i % 977} ref ${randomBytes(4).toString('hex')}`);
      }
    })();
    db.exec('VACUUM');
    db.close();
    const data = fs.readFileSync(file);
    metadata.databases = [
      { name: 'ledger', filename: 'ledger.db', size_bytes: data.length, checksum: `sha256:${createHash('sha256').update(data).digest('hex')}` },
    ];

    const archive = await collect(new ArchiveWriter([]).open(fullArchiveContents(dir, metadata), LOCAL));
    const tar = gunzipSync(archive);
    expect(tarEntries(tar)[1].content.equals(data)).toBe(true);
    expect(archive.length).toBeLessThanOrEqual(gzipSync(tar, { level: 6 }).length * 1.02);
  });

  it("counts every byte it hands the service's thread into that thread's chunk churn, which scavenges the dead chunks", async () => {
    const passed = jest.spyOn(serviceThreadChunkChurn, 'passed');
    try {
      const stored = await collect(new ArchiveWriter([recordingStep('xor')]).open(fullArchiveContents(dir, metadata), LOCAL));
      const counted = passed.mock.calls.reduce((sum, [bytes]) => sum + bytes, 0);
      expect(counted).toBe(stored.length);
    } finally {
      passed.mockRestore();
    }
  });

  it("asks V8 to free the worker's dead buffers as the archive passes: a scavenge every 2 MiB, a full collection every 16 MiB", async () => {
    // 40 MiB that do not compress, so that about as many bytes reach the worker's end of the pipeline.
    const size = 40 * 1024 * 1024;
    fs.writeFileSync(path.join(dir, 'ledger.db.pages'), randomBytes(size));
    const increment = { timestamp: '2026-03-14T09:41:00Z', kind: 'incremental', databases: [{ name: 'ledger', pages_file: 'ledger.db.pages' }] };
    const archive = new ArchiveWriter([]).open({ dir, metadata: increment, files: [{ name: 'ledger.db.pages', size }] }, LOCAL);
    const stored = (await collect(archive)).length;
    const collections = archive.workerCollections;
    expect(stored).toBeGreaterThan(size);
    // Every 16 MiB a full collection (which stands for the scavenge due there), every other 2 MiB a scavenge. These are
    // the calls made; that V8 frees dead buffers on them is buffer-churn.spec.ts's real-V8 tests.
    const fulls = Math.floor(stored / WORKER_COLLECT_EVERY_BYTES);
    const due = Math.floor(stored / WORKER_SCAVENGE_EVERY_BYTES);
    expect(fulls).toBeGreaterThanOrEqual(2);
    expect(collections).toEqual({ collections: fulls, scavenges: expect.any(Number) as number });
    expect(collections!.scavenges).toBeGreaterThanOrEqual(due - fulls - 2);
    expect(collections!.scavenges).toBeLessThanOrEqual(due - fulls);
  });

  it('gives the SHA-256 and size of the bytes as stored (after the last step) once the stream has ended', async () => {
    const archive = new ArchiveWriter([recordingStep('xor')]).open(fullArchiveContents(dir, metadata), LOCAL);
    expect(archive.digest).toBeUndefined();
    const stored = await collect(archive);
    expect(archive.digest).toEqual({ sha256: createHash('sha256').update(stored).digest('hex'), bytes: stored.length });
  });

  it('when a step refuses the archive, throws before writing anything or starting to read the folder', () => {
    const planned: string[] = [];
    const first: ArchiveWriteStep = {
      name: 'first',
      plan: () => {
        planned.push('first');
        return { module: fixtureStep('xor-transform.js') };
      },
      maxOutputBytes: (maxInput) => maxInput,
    };
    const refusing: ArchiveWriteStep = {
      name: 'refusing',
      plan: () => {
        throw new Error('no such recipient');
      },
      maxOutputBytes: (maxInput) => maxInput,
    };
    expect(() => new ArchiveWriter([first, refusing]).open(fullArchiveContents(dir, metadata), LOCAL)).toThrow('no such recipient');
    expect(planned).toEqual(['first']);
    // Nothing was written into the folder and nothing reads it: the caller may remove it at once.
    expect(fs.readdirSync(dir).sort()).toEqual(['config.db', 'universe.db']);
    expect(openFilesUnder(dir)).toEqual([]);
  });

  describe('its worker thread', () => {
    /** A database that does not compress, large enough that the archive is still reading it when the reader stops. */
    function withLargeDatabase(): void {
      const data = randomBytes(32 * 1024 * 1024);
      fs.writeFileSync(path.join(dir, 'universe.db'), data);
      metadata.databases[0] = { ...metadata.databases[0], size_bytes: data.length, checksum: `sha256:${createHash('sha256').update(data).digest('hex')}` };
    }

    it('stops when the archive stream is destroyed mid-archive, and the stream closes only once nothing reads the folder', async () => {
      withLargeDatabase();
      const archive = new ArchiveWriter([recordingStep('xor')]).open(fullArchiveContents(dir, metadata), LOCAL);
      await new Promise((resolve) => archive.once('data', resolve));
      archive.pause();
      // The reader has stopped: the worker waits for it, with the database open, a few MiB into it.
      expect(openFilesUnder(dir)).toEqual([path.join(dir, 'universe.db')]);
      const closed = new Promise((resolve) => archive.once('close', resolve));
      archive.destroy();
      await closed;
      expect(openFilesUnder(dir)).toEqual([]);
      expect(archive.digest).toBeUndefined();
    });

    it('that exits mid-archive fails the archive with an error that says so, and leaves nothing open', async () => {
      withLargeDatabase();
      const error = await failureOf(
        new ArchiveWriter([stepOf('dying', 'dying-transform.js', { how: 'exit' })]).open(fullArchiveContents(dir, metadata), LOCAL),
      );
      expect(error.message).toBe("The archive's worker thread stopped (exit code 7) before the archive was complete");
      expect(openFilesUnder(dir)).toEqual([]);
    });

    it('that crashes mid-archive (an uncaught error) fails the archive with that error, and leaves nothing open', async () => {
      withLargeDatabase();
      const error = await failureOf(
        new ArchiveWriter([stepOf('crashing', 'dying-transform.js', { how: 'throw' })]).open(fullArchiveContents(dir, metadata), LOCAL),
      );
      expect(error.message).toBe("The archive's worker thread failed: the step crashed");
      expect(openFilesUnder(dir)).toEqual([]);
    });
  });
});
