import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import type { BackupMetadata } from '../../archive-format/backup-metadata.js';
import type { ArchiveWriteContext, ArchiveWriteStep } from './archive-write-step.js';
import { ArchiveWriter } from './archive-writer.js';
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

/** A step that records what it receives and stores each byte XOR 0x5a (a stand-in for encryption). */
function recordingStep(name: string, received: Buffer[]): ArchiveWriteStep {
  return {
    name,
    create: () =>
      new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          received.push(Buffer.from(chunk));
          callback(null, Buffer.from(chunk.map((b) => b ^ 0x5a)));
        },
      }),
    maxOutputBytes: (maxInput) => 2 * maxInput + 7,
  };
}

const LOCAL: ArchiveWriteContext = { target: 'local' };

describe('ArchiveWriter', () => {
  let dir: string;
  let metadata: BackupMetadata;
  const contents: Record<string, Buffer> = { 'universe.db': Buffer.alloc(70_000, 'u'), 'config.db': Buffer.from('settings '.repeat(500)) };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'archive-writer-'));
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
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('without steps, stores a gzip of a tar with backup-metadata.json first, then each database in metadata order', async () => {
    const archive = await collect(new ArchiveWriter([]).open({ dir, metadata }, LOCAL));
    const entries = tarEntries(gunzipSync(archive));
    expect(entries.map((e) => e.name)).toEqual(['backup-metadata.json', 'universe.db', 'config.db']);
    expect(JSON.parse(entries[0].content.toString())).toEqual(metadata);
    expect(entries[1].content.equals(contents['universe.db'])).toBe(true);
    expect(entries[2].content.equals(contents['config.db'])).toBe(true);
  });

  it('feeds gzip output to a registered step, and what the step outputs is what the target stores', async () => {
    const received: Buffer[] = [];
    const counted: number[] = [];
    const stored = await collect(new ArchiveWriter([recordingStep('xor', received)]).open({ dir, metadata }, LOCAL, (bytes) => counted.push(bytes)));
    const gzip = Buffer.concat(received);
    // The step got the gzip stream (its magic bytes first), a tar of the archive's layout inside.
    expect([...gzip.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(tarEntries(gunzipSync(gzip)).map((e) => e.name)).toEqual(['backup-metadata.json', 'universe.db', 'config.db']);
    // The target stores the step's output, not gzip's.
    expect(stored.equals(Buffer.from(gzip.map((b) => b ^ 0x5a)))).toBe(true);
    // Progress counts the uncompressed tar, which the size estimate matches exactly.
    expect(counted.at(-1)).toBe(gunzipSync(gzip).length);
  });

  it('runs several steps in their registered order', async () => {
    const first: Buffer[] = [];
    const second: Buffer[] = [];
    const stored = await collect(new ArchiveWriter([recordingStep('one', first), recordingStep('two', second)]).open({ dir, metadata }, LOCAL));
    expect(Buffer.concat(second).equals(Buffer.from(Buffer.concat(first).map((b) => b ^ 0x5a)))).toBe(true);
    expect(stored.equals(Buffer.concat(first))).toBe(true); // XOR twice
  });

  it("counts each step's growth in the archive's maximum size", () => {
    const plain = new ArchiveWriter([]);
    const gzipBound = ParallelGzip.maxOutputBytes(plain.tarBytes(metadata) + 10 * 1024);
    expect(plain.maxBytes(metadata, LOCAL)).toBe(gzipBound);
    expect(new ArchiveWriter([recordingStep('a', []), recordingStep('b', [])]).maxBytes(metadata, LOCAL)).toBe(2 * (2 * gzipBound + 7) + 7);
  });

  it('fails the archive stream with an error naming the step that failed', async () => {
    const failing: ArchiveWriteStep = {
      name: 'age-encryption',
      create: () => new Transform({ transform: (_chunk, _encoding, callback) => callback(new Error('no recipient key')) }),
      maxOutputBytes: (n) => n,
    };
    await expect(collect(new ArchiveWriter([failing]).open({ dir, metadata }, LOCAL))).rejects.toThrow(
      "The archive step 'age-encryption' failed: no recipient key",
    );
  });

  it('fails the archive stream, with and without steps, when a snapshot is not the size its metadata records', async () => {
    fs.appendFileSync(path.join(dir, 'config.db'), 'grown');
    for (const steps of [[], [recordingStep('xor', [])]]) {
      await expect(collect(new ArchiveWriter(steps).open({ dir, metadata }, LOCAL))).rejects.toThrow(/'config\.db'.*changed while being archived/);
    }
  });

  it('leaves out a step that declines the archive (no recipients), in the stream and in the size bound', async () => {
    const received: Buffer[] = [];
    const step = recordingStep('age-encryption', received);
    const onlyEncrypted: ArchiveWriteStep = {
      ...step,
      create: (c) => (c.recipients?.length ? step.create(c) : undefined),
      maxOutputBytes: (n, c) => (c.recipients?.length ? step.maxOutputBytes(n, c) : n),
    };
    const writer = new ArchiveWriter([onlyEncrypted]);
    const plain = await collect(writer.open({ dir, metadata }, LOCAL));
    expect([...plain.subarray(0, 2)]).toEqual([0x1f, 0x8b]);
    expect(received).toHaveLength(0);
    const encrypted = await collect(writer.open({ dir, metadata }, { target: 'local', recipients: ['age1someone'] }));
    expect(encrypted.equals(Buffer.from(Buffer.concat(received).map((b) => b ^ 0x5a)))).toBe(true);
    const gzipBound = ParallelGzip.maxOutputBytes(writer.tarBytes(metadata) + 10 * 1024);
    expect(writer.maxBytes(metadata, LOCAL)).toBe(gzipBound);
    expect(writer.maxBytes(metadata, { target: 'local', recipients: ['age1someone'] })).toBe(2 * gzipBound + 7);
  });

  it('gives the SHA-256 and size of the bytes as stored (after the last step) once the stream has ended', async () => {
    const archive = new ArchiveWriter([recordingStep('xor', [])]).open({ dir, metadata }, LOCAL);
    expect(archive.digest).toBeUndefined();
    const stored = await collect(archive);
    expect(archive.digest).toEqual({ sha256: createHash('sha256').update(stored).digest('hex'), bytes: stored.length });
  });

  it('when a step refuses the archive, throws before writing anything or starting to read the folder, and stops the steps already made', () => {
    const made: Transform[] = [];
    const first: ArchiveWriteStep = {
      name: 'first',
      create: () => {
        const stream = new Transform({ transform: (chunk, _encoding, callback) => callback(null, chunk) });
        made.push(stream);
        return stream;
      },
      maxOutputBytes: (maxInput) => maxInput,
    };
    const refusing: ArchiveWriteStep = {
      name: 'refusing',
      create: () => {
        throw new Error('no such recipient');
      },
      maxOutputBytes: (maxInput) => maxInput,
    };
    expect(() => new ArchiveWriter([first, refusing]).open({ dir, metadata }, LOCAL)).toThrow('no such recipient');
    // Nothing was written into the folder and no tar reads it: the caller may remove it at once.
    expect(fs.readdirSync(dir).sort()).toEqual(['config.db', 'universe.db']);
    expect(made.map((stream) => stream.destroyed)).toEqual([true]);
  });
});
