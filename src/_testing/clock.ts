/**
 * A manual clock for tests that would otherwise wait on the wall clock: time moves only when the
 * test calls {@linkcode ManualClock.advance}. Pass {@linkcode ManualClock.now} where the code
 * takes a `now()` (the ingestion rate limiter does); for a library that reads `Date.now()` itself
 * (cockatiel's circuit breaker measures its half-open window with it), {@linkcode useManualClock}
 * replaces `Date.now` until the returned clock is disposed.
 *
 * @module
 */

/**
 * A clock in milliseconds that moves only when told.
 *
 * @example Usage
 * ```ts
 * import { ManualClock } from "./clock.ts";
 * const clock = new ManualClock(1_000);
 * clock.advance(500);
 * clock.now(); // 1500
 * ```
 */
export class ManualClock {
  #t: number;
  /** @param start The start time, ms. @default {0} */
  constructor(start = 0) {
    this.#t = start;
  }
  /** The current time, ms (bound: pass it as a `now` option as it is). */
  now = (): number => this.#t;
  /**
   * Moves the clock forward.
   *
   * @param ms Milliseconds, >= 0.
   * @throws {RangeError} for a negative or non-finite step.
   */
  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new RangeError(`A clock advances by a finite number of ms >= 0, got ${ms}`);
    }
    this.#t += ms;
  }
}

/** A {@linkcode ManualClock} that is also `Date.now` until disposed. */
export interface InstalledClock extends ManualClock, Disposable {}

/**
 * Replaces `Date.now` with a manual clock starting at the real current time; `Date.now` is
 * restored when the result is disposed (`using clock = useManualClock()`).
 *
 * @example Usage
 * ```ts
 * import { useManualClock } from "./clock.ts";
 * {
 *   using clock = useManualClock();
 *   const t0 = Date.now();
 *   clock.advance(30_000);
 *   Date.now() - t0; // 30000
 * }
 * ```
 */
export function useManualClock(): InstalledClock {
  const real = Date.now;
  const clock = new ManualClock(real()) as InstalledClock;
  Date.now = clock.now;
  clock[Symbol.dispose] = () => {
    Date.now = real;
  };
  return clock;
}
