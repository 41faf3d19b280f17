import { mapConcurrently, mapConcurrentlyLargestFirst } from './concurrency.js';

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

describe('mapConcurrentlyLargestFirst', () => {
  // A backup's databases in registry order, sizes in units of time: in that order two lanes finish after 600
  // (the largest starts fifth, and runs alone for most of its time); largest first, after 502.
  const sizes = { universe: 100, config: 20, ledger: 200, portfolio: 100, agents: 61, history: 380, cache: 141 };
  const names = Object.keys(sizes) as Array<keyof typeof sizes>;

  /**
   * Runs `map` over the databases on a simulated clock, each call taking its size: a call's promise settles when
   * the clock reaches its end, the earliest end first. Answers the start order, the end and the results.
   */
  async function simulate(map: typeof mapConcurrently) {
    let now = 0;
    const started: string[] = [];
    const running: Array<{ end: number; settle: () => void }> = [];
    let finished = false;
    const done = map(names, 2, async (name, index) => {
      started.push(name);
      await new Promise<void>((settle) => running.push({ end: now + sizes[name], settle }));
      return `${index}:${name}`;
    }).finally(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setImmediate(r)); // every lane that can start a call has started it
      if (running.length === 0) continue;
      running.sort((a, b) => a.end - b.end);
      const next = running.shift()!;
      now = next.end;
      next.settle();
    }
    return { started, end: now, results: await done };
  }

  it('starts the largest first, answers in the order of the items, and so ends sooner than in item order', async () => {
    const inOrder = await simulate(mapConcurrently);
    const largestFirst = await simulate((items, limit, fn) => mapConcurrentlyLargestFirst(items, limit, (name) => sizes[name as keyof typeof sizes], fn));
    expect(largestFirst.started.slice(0, 3)).toEqual(['history', 'ledger', 'cache']);
    expect(largestFirst.results).toEqual(names.map((name, i) => `${i}:${name}`));
    expect(inOrder.results).toEqual(largestFirst.results);
    expect(inOrder.end).toBe(600);
    expect(largestFirst.end).toBeLessThan(510);
  });

  it('keeps the order of the items among equal weights, and fails as mapConcurrently does', async () => {
    const started: number[] = [];
    await mapConcurrentlyLargestFirst(
      [1, 2, 3, 4],
      1,
      () => 7,
      async (i) => started.push(i),
    );
    expect(started).toEqual([1, 2, 3, 4]);
    await expect(
      mapConcurrentlyLargestFirst(
        [1, 2],
        2,
        (i) => i,
        async (i) => {
          if (i === 1) throw new Error('item 1 failed');
          return i;
        },
      ),
    ).rejects.toThrow('item 1 failed');
  });
});
