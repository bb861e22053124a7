/**
 * A job's time budget, readable by the transport: an AbortSignal that fires at the deadline and
 * remembers when that is, so a `Retry-After` wait is taken in-process only when it fits in what
 * is left (an AbortSignal alone cannot say how much time remains).
 */

const deadlines = new WeakMap<AbortSignal, number>();

/** An AbortSignal that aborts (TimeoutError) after `ms` and carries its deadline. */
export function timeBudgetSignal(ms: number, now: number = Date.now()): AbortSignal {
  const signal = AbortSignal.timeout(ms);
  deadlines.set(signal, now + ms);
  return signal;
}

/** Milliseconds left before `signal`'s deadline; 0 once aborted; undefined when its deadline is unknown. */
export function remainingBudgetMs(
  signal: AbortSignal | undefined,
  now: number = Date.now(),
): number | undefined {
  if (!signal) return undefined;
  if (signal.aborted) return 0;
  const deadline = deadlines.get(signal);
  return deadline === undefined ? undefined : Math.max(0, deadline - now);
}
