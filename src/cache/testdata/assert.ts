/**
 * The assertions the cache tests use, from `node:assert/strict`.
 *
 * @module
 */
import assertStrict from "node:assert/strict";

/** Fails unless `v` is truthy. */
export function assert(v: unknown, msg?: string): asserts v {
  assertStrict.ok(v, msg);
}
/** Deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T {
  assertStrict.deepStrictEqual(actual, expected, msg);
}
/** Deep strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, msg?: string): void {
  assertStrict.notDeepStrictEqual(actual, expected, msg);
}
/** Fails unless `fn()` rejects with an instance of `Class` whose message includes `includes`. */
export async function assertRejects(
  fn: () => Promise<unknown>,
  Class: abstract new (...args: never[]) => Error = Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    assertStrict.ok(e instanceof Class, `expected ${Class.name}, got ${String(e)}`);
    if (includes !== undefined) {
      assertStrict.ok((e as Error).message.includes(includes), (e as Error).message);
    }
    return e as Error;
  }
  throw new assertStrict.AssertionError({ message: "expected a rejection" });
}
