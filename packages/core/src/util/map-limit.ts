// Bounded concurrency: an async function over a list, at most `limit` at a time, results in order.

/**
 * `fn` over `items`, at most `limit` at a time, results in order. The first failure stops new items
 * from starting; those already running finish, then that failure is thrown. `openLane`, when given,
 * wraps each lane (e.g. one database session per lane, reused for its items) and `fn` gets its value.
 */
export async function mapLimit<T, R, L = undefined>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number, lane: L) => Promise<R>,
  openLane?: (body: (lane: L) => Promise<void>) => Promise<void>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failed: unknown;
  const body = async (lane: L) => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i, lane);
      } catch (e) {
        failed ??= e;
      }
    }
  };
  const lane = openLane
    ? () =>
        openLane(body).catch((e: unknown) => {
          failed ??= e; // a lane that could not open: the others stop too
        })
    : () => body(undefined as L);
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, lane));
  if (failed !== undefined) throw failed;
  return results;
}
