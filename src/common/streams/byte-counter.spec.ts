import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { byteCounter } from './byte-counter.js';

/** Everything `counter` lets through when `chunks` flow into it. */
async function drain(chunks: Array<Buffer | string>, counter: ReturnType<typeof byteCounter>): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    Readable.from(chunks),
    counter,
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        out.push(chunk);
        done();
      },
    }),
  );
  return Buffer.concat(out);
}

describe('byteCounter', () => {
  it('passes the bytes through unchanged and reports the running total', async () => {
    const totals: number[] = [];
    const counter = byteCounter((bytes) => totals.push(bytes));
    const out = await drain([Buffer.from('abc'), 'déf', Buffer.alloc(0)], counter);
    expect(out.toString()).toBe('abcdéf');
    expect(counter.bytes).toBe(7); // é is two bytes
    expect(totals).toEqual([3, 7, 7]);
  });

  it('fails the stream instead of ending it when the check at the end returns an error', async () => {
    const counter = byteCounter(undefined, (bytes) => (bytes === 10 ? undefined : new Error(`ended after ${bytes} of 10 bytes`)));
    await expect(drain([Buffer.alloc(6)], counter)).rejects.toThrow('ended after 6 of 10 bytes');
    await expect(
      drain(
        [Buffer.alloc(4), Buffer.alloc(6)],
        byteCounter(undefined, (bytes) => (bytes === 10 ? undefined : new Error('short'))),
      ),
    ).resolves.toHaveLength(10);
  });
});
