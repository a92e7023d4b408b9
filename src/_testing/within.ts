/**
 * A bound on a test's wait: the one way tests fail on a hang instead of stalling the run.
 *
 * @module
 */

/**
 * `promise`, or a rejection after `ms` milliseconds naming what did not happen (a bound for a
 * wait that should end, not a wall-time assertion: keep it generous).
 *
 * @param promise What the test waits for.
 * @param ms The bound, milliseconds.
 * @param what What did not happen: a text, or a function giving it (e.g. with the logs so far).
 * @returns What `promise` resolves to.
 * @throws {Error} `<what>: not settled after <ms> ms` when the bound is reached first.
 *
 * @example Usage
 * ```ts
 * import { within } from "./within.ts";
 * await within(Promise.resolve(1), 1_000, "the answer"); // 1
 * ```
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string | (() => string),
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const text = typeof what === "string" ? what : what();
          reject(new Error(`${text}: not settled after ${ms} ms`));
        }, ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
