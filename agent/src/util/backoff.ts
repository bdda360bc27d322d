/**
 * Exponential backoff, the one helper for every retry and reconnect loop in
 * the agent, the station and the renderer: the first wait is `initialMs`,
 * each next one twice the last up to `maxMs`, and reset() starts over (after
 * a success). No timers here: callers sleep however suits them.
 */
export class Backoff {
  private current: number;

  constructor(
    readonly initialMs: number,
    readonly maxMs: number = Number.POSITIVE_INFINITY,
  ) {
    this.current = initialMs;
  }

  /** The wait before the next attempt; the one after it is twice as long (at most maxMs). */
  next(): number {
    const wait = this.current;
    this.current = Math.min(this.current * 2, this.maxMs);
    return wait;
  }

  /** After a success: the next wait is initialMs again. */
  reset(): void {
    this.current = this.initialMs;
  }
}

/** The wait before attempt n + 1 of a backoff (n counts from 1): initialMs × 2^(n−1), at most maxMs. */
export function backoffDelayMs(n: number, initialMs: number, maxMs: number): number {
  return Math.min(maxMs, initialMs * 2 ** Math.max(0, n - 1));
}
