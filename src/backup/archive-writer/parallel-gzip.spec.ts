import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as zlib from 'node:zlib';
import { type DeflateBlockOptions, defaultConcurrency, ParallelGzip, type ParallelGzipOptions } from './parallel-gzip.js';

const MiB = 1024 * 1024;

/** mulberry32: small deterministic PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-like text: words from a fixed vocabulary (skewed), numbers, some repetition. Compresses ~3:1. */
function semiCompressible(size: number, seed = 1): Buffer {
  const rnd = prng(seed);
  const words = Array.from({ length: 3000 }, () =>
    Array.from({ length: 2 + Math.floor(rnd() * 9) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(''),
  );
  const parts: string[] = [];
  let length = 0;
  while (length < size) {
    const line =
      `${Math.floor(rnd() * 1e9)} ${['INFO', 'WARN', 'DEBUG'][Math.floor(rnd() * 3)]} ` +
      Array.from({ length: 4 + Math.floor(rnd() * 12) }, () => words[Math.floor(rnd() ** 2 * words.length)]).join(' ') +
      '\n';
    parts.push(line);
    length += line.length;
  }
  return Buffer.from(parts.join('')).subarray(0, size);
}

/** Splits `input` into chunks of cycling odd sizes (1 byte up to ~300 KB), like a real producer. */
function* oddChunks(input: Buffer): Generator<Buffer> {
  const sizes = [1, 7, 4093, 65537, 333331, 12345];
  for (let offset = 0, i = 0; offset < input.length; i++) {
    const size = sizes[i % sizes.length];
    yield input.subarray(offset, offset + size);
    offset += size;
  }
}

async function collect(readable: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of readable) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function compress(input: Buffer, options?: ParallelGzipOptions, gz = new ParallelGzip(options)): Promise<Buffer> {
  const [, output] = await Promise.all([pipeline(Readable.from(oddChunks(input)), gz), collect(gz)]);
  return output;
}

/** Decompresses with the system `gzip -d`, an implementation independent of Node's zlib. */
function gunzipWithCli(data: Buffer): Promise<{ code: number | null; output: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('gzip', ['-d', '-c'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
    child.stdin.on('error', () => undefined); // gzip may exit early on corrupt data; close reports it
    child.stdin.end(data);
  });
}

async function expectRoundTrip(input: Buffer, gzipped: Buffer): Promise<void> {
  expect(zlib.gunzipSync(gzipped).equals(input)).toBe(true);
  const cli = await gunzipWithCli(gzipped);
  expect(cli.stderr).toBe('');
  expect(cli.code).toBe(0);
  expect(cli.output.length).toBe(input.length);
  expect(cli.output.equals(input)).toBe(true);
}

/** One gzip member: our header, and a trailer holding CRC32 and ISIZE of the whole input. */
function expectSingleMemberFraming(input: Buffer, gzipped: Buffer): void {
  expect([...gzipped.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
  expect(gzipped.readUInt32LE(gzipped.length - 8)).toBe(zlib.crc32(input));
  expect(gzipped.readUInt32LE(gzipped.length - 4)).toBe(input.length);
}

type Job = { block: Buffer; options: DeflateBlockOptions; done: (error: Error | null, output: Buffer) => void };

/** Holds every block until the test completes it, to control timing and observe the in-flight count. */
class ManualGzip extends ParallelGzip {
  readonly jobs: Job[] = [];
  outstanding = 0;
  maxOutstanding = 0;

  protected override deflateBlock(block: Buffer, options: DeflateBlockOptions, callback: Job['done']): void {
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    this.jobs.push({
      block,
      options,
      done: (error, output) => {
        this.outstanding--;
        callback(error, output);
      },
    });
  }

  /** Really compresses job `index` (synchronously, same parameters as the production path). */
  complete(index: number): void {
    const { block, options, done } = this.jobs[index];
    const output = zlib.deflateRawSync(block, {
      level: options.level,
      dictionary: options.dictionary,
      finishFlush: options.final ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
    });
    done(null, output);
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ParallelGzip', () => {
  it('produces a valid gzip file for empty input', async () => {
    const gz = new ParallelGzip();
    const output = collect(gz);
    gz.end();
    const gzipped = await output;

    await expectRoundTrip(Buffer.alloc(0), gzipped);
    expectSingleMemberFraming(Buffer.alloc(0), gzipped);
    expect(gzipped.length).toBe(20); // 10 header + 2 (empty final block) + 8 trailer, like gzip
  });

  it('round-trips a tiny input', async () => {
    const input = Buffer.from('hi there');
    const gzipped = await compress(input);
    await expectRoundTrip(input, gzipped);
    expectSingleMemberFraming(input, gzipped);
  });

  it('round-trips an input exactly one block long', async () => {
    const input = semiCompressible(MiB, 2);
    const gzipped = await compress(input, { blockSize: MiB });
    await expectRoundTrip(input, gzipped);
    expectSingleMemberFraming(input, gzipped);
  });

  it('never writes more than maxOutputBytes, even for incompressible input in small blocks', async () => {
    for (const [size, blockSize] of [
      [0, MiB],
      [1, MiB],
      [3 * MiB + 17, 64 * 1024],
      [2 * MiB, 4096],
    ] as const) {
      const input = randomBytes(size);
      const gzipped = await compress(input, { blockSize });
      await expectRoundTrip(input, gzipped);
      expect(gzipped.length).toBeGreaterThan(size); // random data does not compress: the bound is tested where it is tight
      expect(gzipped.length).toBeLessThanOrEqual(ParallelGzip.maxOutputBytes(size, blockSize));
    }
  });

  it('round-trips a multi-block input of several MB fed in odd chunk sizes', async () => {
    const input = semiCompressible(5 * MiB + 12345, 3);
    const gzipped = await compress(input, { blockSize: MiB, concurrency: 3 });
    await expectRoundTrip(input, gzipped);
    expectSingleMemberFraming(input, gzipped);
  });

  it('round-trips blocks smaller than the 32 KiB window and levels 0, 1 and 9', async () => {
    const input = semiCompressible(300_000, 4);
    for (const options of [{ blockSize: 1000 }, { blockSize: 40_000, level: 0 }, { level: 1 }, { blockSize: 70_000, level: 9 }]) {
      const gzipped = await compress(input, options);
      await expectRoundTrip(input, gzipped);
    }
  });

  it('accepts one huge write spanning many blocks', async () => {
    const input = semiCompressible(3 * MiB + 5, 5);
    const gz = new ParallelGzip({ blockSize: 256 * 1024, concurrency: 2 });
    const output = collect(gz);
    gz.end(input);
    await expectRoundTrip(input, await output);
  });

  it('stays within 2 % of zlib.gzipSync level 6 on a realistic ~8 MB input', async () => {
    const input = semiCompressible(8 * MiB, 6);
    const reference = zlib.gzipSync(input, { level: 6 });
    const gzipped = await compress(input);

    expect(gzipped.length).toBeLessThanOrEqual(reference.length * 1.02);
    expect(zlib.gunzipSync(gzipped).equals(input)).toBe(true);
  });

  it('keeps back-references across block boundaries (previous 32 KiB as dictionary)', async () => {
    // An 8 KiB random pattern repeated: with the dictionary, every 16 KiB block is nearly free;
    // compressed independently, each block would have to spell the pattern out (≥ 8 KiB).
    const pattern = randomBytes(8 * 1024);
    const input = Buffer.concat(Array.from({ length: 64 }, () => pattern));
    const reference = zlib.gzipSync(input, { level: 6 });
    const gzipped = await compress(input, { blockSize: 16 * 1024 });

    await expectRoundTrip(input, gzipped);
    expect(gzipped.length).toBeLessThan(reference.length + 2 * 1024);
  });

  it('keeps input order when later blocks finish first (real zlib, uneven blocks)', async () => {
    // Block 0 is slow (dense text at level 9), blocks 1..n are zeros (fast).
    const blockSize = 512 * 1024;
    const input = Buffer.concat([semiCompressible(blockSize, 7), Buffer.alloc(blockSize), semiCompressible(blockSize, 8), Buffer.alloc(blockSize * 2 + 99)]);
    const gzipped = await compress(input, { blockSize, concurrency: 4, level: 9 });
    await expectRoundTrip(input, gzipped);
  });

  it('keeps input order when completions arrive in reverse', async () => {
    const input = semiCompressible(4 * 64 * 1024, 9);
    const gz = new ManualGzip({ blockSize: 64 * 1024, concurrency: 4 });
    const output = collect(gz);
    gz.end(input);
    await tick();
    expect(gz.jobs).toHaveLength(4); // the fourth full block is held until flush sends the (empty) final one
    for (const i of [3, 2, 1]) gz.complete(i);
    expect(gz.readableLength).toBe(0); // nothing may be emitted before block 0
    gz.complete(0);
    await tick();
    expect(gz.jobs).toHaveLength(5);
    expect(gz.jobs[4].options.final).toBe(true);
    expect(gz.jobs[4].block.length).toBe(0);
    gz.complete(4);

    await expectRoundTrip(input, await output);
  });

  it('applies backpressure: never more than `concurrency` blocks in flight, write held back', async () => {
    const blockSize = 64 * 1024;
    const input = semiCompressible(10 * blockSize, 10);
    const gz = new ManualGzip({ blockSize, concurrency: 2 });
    const output = collect(gz);
    let writeAcknowledged = false;
    gz.write(input, () => (writeAcknowledged = true));
    await tick();

    expect(gz.jobs).toHaveLength(2);
    expect(writeAcknowledged).toBe(false);
    expect(gz.write(Buffer.from('more'))).toBe(false); // the writable side reports it is full

    // Completing in order frees one slot at a time.
    let next = 0;
    while (!writeAcknowledged) {
      gz.complete(next++);
      await tick();
      expect(gz.outstanding).toBeLessThanOrEqual(2);
    }
    gz.end();
    while (next < gz.jobs.length || gz.outstanding > 0) {
      if (next < gz.jobs.length) gz.complete(next++);
      await tick();
    }
    expect(gz.maxOutstanding).toBe(2);
    await expectRoundTrip(Buffer.concat([input, Buffer.from('more')]), await output);
  });

  it('stops pulling input while nobody reads the output (bounded memory)', async () => {
    const blockSize = 64 * 1024;
    const total = 10 * MiB;
    let pulled = 0;
    const pieces: Buffer[] = [];
    const source = new Readable({
      read() {
        if (pulled >= total) return void this.push(null);
        const piece = randomBytes(16 * 1024); // incompressible: output is as big as input
        pieces.push(piece);
        pulled += piece.length;
        this.push(piece);
      },
    });
    const gz = new ParallelGzip({ blockSize, concurrency: 2 });
    source.pipe(gz);
    await new Promise((resolve) => setTimeout(resolve, 300));

    expect(pulled).toBeLessThan(12 * blockSize); // a few blocks, not the 10 MiB input

    const output = await collect(gz); // start reading: everything flows through
    expect(pulled).toBe(total);
    expect(zlib.gunzipSync(output).equals(Buffer.concat(pieces))).toBe(true);
  });

  it('propagates a compression error as a stream error', async () => {
    const gz = new ManualGzip({ blockSize: 1024 });
    const failure = new Error('deflate failed');
    const done = pipeline(Readable.from([randomBytes(4096)]), gz, new PassThrough().resume());
    await tick();
    gz.jobs[0].done(failure, Buffer.alloc(0));
    await expect(done).rejects.toBe(failure);
    expect(gz.destroyed).toBe(true);
  });

  it('propagates an error from the input and ignores blocks that finish after destroy', async () => {
    const gz = new ManualGzip({ blockSize: 1024, concurrency: 2 });
    const failure = new Error('source broke');
    const source = new Readable({ read() {} });
    const emittedAfterDestroy: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (gz.destroyed) emittedAfterDestroy.push(chunk);
        callback();
      },
    });
    const done = pipeline(source, gz, sink);
    source.push(randomBytes(5000));
    await tick();
    expect(gz.jobs).toHaveLength(2);

    source.destroy(failure);
    await expect(done).rejects.toBe(failure);
    expect(gz.destroyed).toBe(true);

    // Threadpool jobs cannot be cancelled; finishing them later must be harmless.
    gz.complete(1);
    gz.complete(0);
    gz.jobs[0].done(new Error('late failure'), Buffer.alloc(0));
    await tick();
    expect(emittedAfterDestroy).toEqual([]);
    expect(gz.jobs).toHaveLength(2); // no new blocks dispatched for a dead stream
  });

  it('survives destroy() while real zlib jobs are still running', async () => {
    const gz = new ParallelGzip({ blockSize: 256 * 1024, concurrency: 4 });
    const errors: unknown[] = [];
    gz.on('error', (e) => errors.push(e));
    gz.on('data', () => undefined);
    gz.write(semiCompressible(MiB, 11));
    gz.destroy(new Error('cancelled'));
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the zlib callbacks land
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('cancelled');
  });

  it('does not keep consumed input reachable when input chunks do not line up with blocks', async () => {
    // Chunks of 3 blocks + 1 byte (like tar's reads after a 512-byte header): part of a chunk is
    // always pending, so the queue never runs empty; the chunks already cut into blocks must not stay
    // referenced from it (they did, and a 1 GB backup held 1 GB of input until the end).
    const blockSize = 64 * 1024;
    const chunks = Array.from({ length: 40 }, (_, i) => semiCompressible(3 * blockSize + 1, 100 + i));
    const gz = new ParallelGzip({ blockSize, concurrency: 2 });
    const output = collect(gz);
    const queued = () => [(gz as unknown as { waitingInput?: Buffer }).waitingInput].filter((chunk) => chunk !== undefined && chunk.length > 0).length;
    let maxQueued = 0;
    for (const chunk of chunks) {
      if (!gz.write(chunk)) await new Promise((resolve) => gz.once('drain', resolve));
      maxQueued = Math.max(maxQueued, queued());
    }
    gz.end();

    await expectRoundTrip(Buffer.concat(chunks), await output);
    expect(maxQueued).toBeLessThanOrEqual(2);
  });

  it('copies each write into a block before acknowledging it: the writer may reuse its chunk at once', async () => {
    // Input chunks held until a whole block had gathered lived long enough to be promoted out of V8's
    // young generation, and their memory then made full collections of the service's heap run again
    // and again during a backup. Each chunk is overwritten as soon as its write is acknowledged: the
    // output can only be right if the bytes were already copied.
    const blockSize = 64 * 1024;
    const input = semiCompressible(5 * blockSize + 100, 21);
    const gz = new ParallelGzip({ blockSize, concurrency: 2 });
    const output = collect(gz);
    for (let offset = 0; offset < input.length; offset += 10_000) {
      const chunk = Buffer.from(input.subarray(offset, offset + 10_000));
      await new Promise<void>((resolve, reject) => gz.write(chunk, (error) => (error ? reject(error) : resolve())));
      chunk.fill(0);
    }
    gz.end();

    await expectRoundTrip(input, await output);
  });

  it('rejects invalid options', () => {
    expect(() => new ParallelGzip({ level: 10 })).toThrow(RangeError);
    expect(() => new ParallelGzip({ blockSize: 0 })).toThrow(RangeError);
    expect(() => new ParallelGzip({ concurrency: 0 })).toThrow(RangeError);
  });

  it('keeps two blocks per core in flight by default, within the threadpool, never fewer than one per core', () => {
    expect(defaultConcurrency(1, 4)).toBe(2);
    expect(defaultConcurrency(2, 4)).toBe(4);
    expect(defaultConcurrency(2, 3)).toBe(3);
    expect(defaultConcurrency(4, 4)).toBe(4);
    expect(defaultConcurrency(8, 4)).toBe(8);
  });
});
