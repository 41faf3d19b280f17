import { mapConcurrently } from './concurrency.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('mapConcurrently', () => {
  it('keeps the order of the items whatever order the calls finish in', async () => {
    const delays = [30, 5, 20, 1, 10];
    const results = await mapConcurrently(delays, 2, (ms, i) => new Promise<string>((r) => setTimeout(() => r(`${i}:${ms}`), ms)));
    expect(results).toEqual(['0:30', '1:5', '2:20', '3:1', '4:10']);
  });

  it('never has more than `limit` calls in flight', async () => {
    let inFlight = 0;
    let most = 0;
    await mapConcurrently([...Array(9).keys()], 3, async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
    });
    expect(most).toBe(3);
  });

  it('starts nothing after a failure and rejects only when the calls in flight have settled', async () => {
    const slow = deferred();
    const started: number[] = [];
    let slowSettled = false;
    const done = mapConcurrently([0, 1, 2, 3], 2, async (i) => {
      started.push(i);
      if (i === 0) {
        await slow.promise;
        slowSettled = true;
        return i;
      }
      throw new Error(`item ${i} failed`);
    });
    let rejected = false;
    done.catch(() => (rejected = true));
    // Item 1 has thrown and every promise callback has run (no timer is involved): a too-early rejection would show now.
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(rejected).toBe(false); // item 0 still runs
    slow.resolve();
    await expect(done).rejects.toThrow('item 1 failed');
    expect(slowSettled).toBe(true);
    expect(started).toEqual([0, 1]);
  });

  it('handles no items and rejects a limit below 1', async () => {
    await expect(mapConcurrently([], 2, async () => 1)).resolves.toEqual([]);
    await expect(mapConcurrently([1], 0, async () => 1)).rejects.toThrow('limit must be a positive integer, got 0');
  });
});
