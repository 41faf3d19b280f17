/**
 * `fn` over `items` with at most `limit` calls in flight; results in the order of `items`.
 *
 * After the first failure no new call starts, and the promise rejects with that failure only once
 * the calls already in flight have settled: callers remove the files those calls write, and must
 * not race them.
 */
export async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${limit}`);
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (!failure && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index], index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure) throw failure.error;
  return results;
}

/**
 * mapConcurrently, with the calls started in decreasing `weight` (ties in the order of `items`); results still in
 * the order of `items`. Why: a few lanes over items of very different sizes (a backup's seven databases, one of
 * them often most of the bytes) finish soonest when the largest start first; in the order given, the largest can
 * start last and run alone while the other lanes sit idle.
 */
export async function mapConcurrentlyLargestFirst<T, R>(
  items: readonly T[],
  limit: number,
  weight: (item: T) => number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const order = items.map((item, index) => ({ index, weight: weight(item) })).sort((a, b) => b.weight - a.weight || a.index - b.index);
  const results = new Array<R>(items.length);
  await mapConcurrently(order, limit, async ({ index }) => {
    results[index] = await fn(items[index], index);
  });
  return results;
}
