import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { create as createTar, Header, Parser, type ReadEntry } from 'tar';
import { ParallelGzip } from './parallel-gzip.js';
import { writeTarHeader } from './tar-header.js';
import { packTar, TAR_CHUNK_SIZE, type TarPackerEntry } from './tar-packer.js';

const MTIME = new Date('2026-01-02T03:04:05.678Z');

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Packs into a writable that copies each chunk before acknowledging it, as ParallelGzip does. */
async function pack(dir: string, entries: TarPackerEntry[], onBytes?: (bytes: number) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  await packTar(sink, { dir, entries, mtime: MTIME, onBytes });
  return Buffer.concat(chunks);
}

async function nodeTar(dir: string, names: string[]): Promise<Buffer> {
  return collect(createTar({ cwd: dir, portable: true, mtime: MTIME, maxReadSize: TAR_CHUNK_SIZE }, names));
}

async function parse(tar: Buffer): Promise<{ path: string; size: number; content: Buffer }[]> {
  const entries: { path: string; size: number; content: Buffer }[] = [];
  const warnings: string[] = [];
  const parser = new Parser({ strict: true, onwarn: (code: string, message: string | Error) => warnings.push(`${code} ${String(message)}`) });
  parser.on('entry', (entry: ReadEntry) => {
    const content: Buffer[] = [];
    entry.on('data', (chunk: Buffer) => content.push(chunk));
    entry.on('end', () => entries.push({ path: entry.path, size: entry.size ?? -1, content: Buffer.concat(content) }));
  });
  await new Promise<void>((resolve, reject) => {
    parser.on('end', resolve);
    parser.on('error', reject);
    parser.end(tar);
  });
  expect(warnings).toEqual([]);
  return entries;
}

function openHandlesOf(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

describe('packTar', () => {
  let dir: string;
  const write = (name: string, size: number, mode = 0o644): TarPackerEntry => {
    const content = Buffer.alloc(size);
    for (let i = 0; i < size; i++) content[i] = (i * 31 + name.length) & 0xff;
    fs.writeFileSync(path.join(dir, name), content, { mode });
    fs.chmodSync(path.join(dir, name), mode);
    return { name, size };
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tar-packer-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes byte for byte what node-tar portable mode wrote (modes, sizes 0, 511, 512, 513, several chunks), which GNU tar lists and extracts', async () => {
    const entries = [
      write('backup-metadata.json', 700, 0o600),
      write('empty.db', 0),
      write('a.db', 511),
      write('b.db', 512),
      write('c.db', 513),
      write('large.db', 5 * TAR_CHUNK_SIZE + 777, 0o664),
    ];
    let progress = 0;
    const ours = await pack(dir, entries, (bytes) => (progress = bytes));
    const theirs = await nodeTar(
      dir,
      entries.map((e) => e.name),
    );
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
    expect(progress).toBe(ours.length);

    const tarFile = path.join(dir, 'out.tar');
    fs.writeFileSync(tarFile, ours);
    const listing = execFileSync('tar', ['tvf', tarFile, '--utc'], { encoding: 'utf8' }).trim().split('\n');
    expect(listing[0]).toMatch(/^-rw------- 0\/0 +700 2026-01-02 03:04 backup-metadata.json$/);
    expect(listing[5]).toMatch(/^-rw-r--r-- 0\/0 +328457 2026-01-02 03:04 large.db$/);
    const out = fs.mkdtempSync(path.join(dir, 'x-'));
    execFileSync('tar', ['xf', tarFile, '-C', out]);
    for (const entry of entries) expect(fs.readFileSync(path.join(out, entry.name)).equals(fs.readFileSync(path.join(dir, entry.name)))).toBe(true);

    const parsed = await parse(ours);
    expect(parsed.map((e) => [e.path, e.size])).toEqual(entries.map((e) => [e.name, e.size]));
  });

  it('makes a .tar.gz through ParallelGzip that GNU tar extracts', async () => {
    const entries = [write('backup-metadata.json', 100), write('big.db', 3 * 1024 * 1024 + 5)];
    const gzip = new ParallelGzip({ blockSize: 256 * 1024 });
    const collected = collect(gzip);
    await packTar(gzip, { dir, entries, mtime: MTIME });
    const tarGz = path.join(dir, 'out.tar.gz');
    fs.writeFileSync(tarGz, await collected);
    const out = fs.mkdtempSync(path.join(dir, 'x-'));
    execFileSync('tar', ['xzf', tarGz, '-C', out]);
    expect(fs.readFileSync(path.join(out, 'big.db')).equals(fs.readFileSync(path.join(dir, 'big.db')))).toBe(true);
  });

  it('refuses a file whose size is not the snapshot’s, or that shrinks or grows while it is read', async () => {
    const entry = write('a.db', 10 * TAR_CHUNK_SIZE);
    await expect(pack(dir, [{ name: 'a.db', size: entry.size + 1 }])).rejects.toThrow(/'a\.db'.*snapshot was 655361 bytes but 655360/);

    for (const change of ['shrink', 'grow'] as const) {
      write('a.db', 10 * TAR_CHUNK_SIZE);
      let writes = 0;
      const sink = new Writable({
        write(_chunk: Buffer, _encoding, callback) {
          // After the first chunk is taken, the file changes under the packer.
          if (writes++ === 0) {
            if (change === 'shrink') fs.truncateSync(path.join(dir, 'a.db'), 2 * TAR_CHUNK_SIZE);
            else fs.appendFileSync(path.join(dir, 'a.db'), 'more');
          }
          setImmediate(callback);
        },
      });
      await expect(packTar(sink, { dir, entries: [entry], mtime: MTIME })).rejects.toThrow(/'a\.db'.*changed while being archived/);
      expect(openHandlesOf(path.join(dir, 'a.db'))).toBe(0);
    }
  });

  it('refuses a name longer than a ustar header holds', async () => {
    const name = `${'n'.repeat(101)}`;
    write(name, 1);
    await expect(pack(dir, [{ name, size: 1 }])).rejects.toThrow(/1 to 100 bytes/);
  });

  it('stops, with the file closed, when the stream it writes into is destroyed mid-way, and waits for acknowledgements before reusing a buffer', async () => {
    const entry = write('a.db', 40 * TAR_CHUNK_SIZE);
    const held: Buffer[] = [];
    const seen: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        // Keep the chunk itself (not a copy) and never acknowledge: its bytes must not change afterwards.
        held.push(chunk);
        seen.push(Buffer.from(chunk));
        void callback;
      },
    });
    const packing = packTar(sink, { dir, entries: [entry], mtime: MTIME });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(held.length).toBe(1);
    expect(openHandlesOf(path.join(dir, 'a.db'))).toBe(1);
    sink.destroy();
    await expect(packing).rejects.toThrow(/closed before it was complete/);
    expect(openHandlesOf(path.join(dir, 'a.db'))).toBe(0);
    held.forEach((chunk, i) => expect(chunk.equals(seen[i])).toBe(true));
    // A sink that is never read (PassThrough without a reader) also holds the packer back rather than buffering the file.
    const stalled = new PassThrough({ highWaterMark: 1 });
    const stalledPacking = packTar(stalled, { dir, entries: [entry], mtime: MTIME });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(stalled.writableLength).toBeLessThanOrEqual(4 * TAR_CHUNK_SIZE);
    stalled.destroy();
    await expect(stalledPacking).rejects.toThrow();
  });
});

describe('writeTarHeader', () => {
  it('writes a size over 8 GiB in GNU base-256, as node-tar does, which node-tar reads back', () => {
    const size = 9 * 2 ** 30 + 3;
    const ours = Buffer.alloc(512);
    writeTarHeader(ours, { name: 'huge.db', size, mode: 0o644, mtime: 1767323045 });
    const parsed = new Header(ours);
    expect(parsed.cksumValid).toBe(true);
    expect(parsed.size).toBe(size);
    const theirs = Buffer.alloc(512);
    new Header({ path: 'huge.db', size, mode: 0o644, mtime: new Date(1767323045 * 1000), type: 'File' }).encode(theirs);
    expect(ours.equals(theirs)).toBe(true);
  });
});
