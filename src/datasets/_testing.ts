/**
 * Test support (internal): registered data files for a test module's top level, resolved once
 * without throwing at load time, so that only the tests that need a missing file fail, each
 * with the fetcher's message (file, folders searched, source).
 *
 * @module
 */
import { fetchDataset } from "./fetch.ts";

/** The resolved files of {@linkcode testData}. */
export interface TestData<K extends string> {
  /** Local path of each file (a placeholder naming the file when it is unavailable). */
  readonly path: Readonly<Record<K, string>>;
  /** Throws the fetcher's error for the first unavailable file, if any. */
  require(): void;
}

/**
 * Resolves `files` with {@linkcode fetchDataset}, keeping any error for {@linkcode TestData.require}.
 *
 * @example Usage
 * ```ts
 * import { testData } from "./_testing.ts";
 * // At a test module's top level; then, inside each `Deno.test` that needs the file:
 * const data = await testData(["rio-magnetic.csv.gz"]);
 * data.require(); // throws the fetch error, if any, in that test
 * data.path["rio-magnetic.csv.gz"]; // the local path
 * ```
 */
export async function testData<K extends string>(files: readonly K[]): Promise<TestData<K>> {
  const path = {} as Record<K, string>;
  const errors: unknown[] = [];
  for (const f of files) {
    try {
      path[f] = await fetchDataset(f);
    } catch (e) {
      path[f] = `<unavailable data file ${f}>`;
      errors.push(e);
    }
  }
  return {
    path,
    require() {
      if (errors.length > 0) throw errors[0];
    },
  };
}
