/** Bounded concurrency for API calls within one stage. */

export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `task` over `items` with at most `concurrency` in flight, preserving order. With
 * `stopOnError`, no new task starts after the first failure (in-flight ones finish) and the first
 * error is thrown; otherwise every outcome is returned. An aborted signal stops new tasks too.
 */
export async function runBounded<T, R>(
  items: readonly T[],
  options: { concurrency: number; stopOnError: boolean; signal?: AbortSignal | undefined },
  task: (item: T) => Promise<R>,
): Promise<Array<Settled<R>>> {
  const results: Array<Settled<R>> = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (next < items.length) {
      if (options.signal?.aborted) {
        failure ??= { error: options.signal.reason };
        return;
      }
      if (failure && options.stopOnError) return;
      const index = next;
      next += 1;
      const item = items[index] as T;
      try {
        results[index] = { ok: true, value: await task(item) };
      } catch (error) {
        results[index] = { ok: false, error };
        failure ??= { error };
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.concurrency, items.length)) }, worker);
  await Promise.all(workers);
  if (failure && (options.stopOnError || options.signal?.aborted)) throw failure.error;
  return results;
}
