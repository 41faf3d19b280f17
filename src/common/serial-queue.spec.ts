import { SerialQueue } from './serial-queue.js';

describe('SerialQueue', () => {
  it('runs pieces one at a time in the order they came, a failed one not stopping the next', async () => {
    const queue = new SerialQueue();
    const seen: string[] = [];
    const piece = (name: string, ms: number, fail = false) =>
      queue.run(async () => {
        seen.push(`${name} start`);
        await new Promise((r) => setTimeout(r, ms));
        seen.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([piece('a', 30), piece('b', 1, true), piece('c', 1)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(seen).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
  });

  it('runs work started from inside a piece at once instead of waiting for itself', async () => {
    const queue = new SerialQueue();
    const outer = queue.run(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return queue.run(async () => 'inner');
    });
    await expect(outer).resolves.toBe('inner');
    // A piece from outside, queued meanwhile, still waits its turn.
    const order: string[] = [];
    await Promise.all([
      queue.run(async () => {
        await new Promise((r) => setTimeout(r, 10));
        order.push('first');
      }),
      queue.run(async () => {
        order.push('second');
      }),
    ]);
    expect(order).toEqual(['first', 'second']);
  });

  it('makes what a piece set off, going on after the piece ended, wait its turn', async () => {
    const queue = new SerialQueue();
    const order: string[] = [];
    let later: Promise<void> | undefined;
    await queue.run(async () => {
      later = new Promise<void>((r) => setTimeout(r, 5)).then(() => queue.run(async () => void order.push('set off')));
    });
    const blocking = queue.run(async () => {
      await new Promise((r) => setTimeout(r, 20));
      order.push('next in line');
    });
    await Promise.all([later, blocking]);
    expect(order).toEqual(['next in line', 'set off']);
  });
});
