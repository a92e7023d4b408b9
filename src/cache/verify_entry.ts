/**
 * Verification of any entry by path, whichever its layer (for `gam cache verify`).
 *
 * @module
 */
import { type CacheOptions, EntryCache } from "./_entry_cache.ts";
import { RAW_DATA_ADAPTER } from "./ingestion_cache.ts";
import { GRID_ADAPTER } from "./grid_cache.ts";
import { entrySegments } from "./cache_store.ts";
import { CacheKeyError } from "./errors.ts";

/**
 * Reads the entry at `path` (`ingestion/<modality>/<key>` or
 * `preprocessing/<modality>/<bbox_hash>/v<semver>`) and checks its canonical checksum, whatever
 * the sampling policy. A corrupt entry is quarantined, logged and counted.
 *
 * @param options Cache options (store, metrics, logger).
 * @param path The entry path.
 * @returns `"ok"`, `"corrupt"` (now quarantined) or `"missing"`.
 * @throws {CacheKeyError} when `path` names no layer.
 *
 * @example Usage
 * ```ts
 * import { verifyEntry } from "./verify_entry.ts";
 * const state = await verifyEntry({ store: await Deno.makeTempDir() }, "ingestion/gravity/abc");
 * state; // "missing"
 * ```
 */
export function verifyEntry(
  options: CacheOptions,
  path: string,
): Promise<"ok" | "corrupt" | "missing"> {
  const [layer, modality] = entrySegments(path);
  if (layer === "ingestion") {
    return new EntryCache(RAW_DATA_ADAPTER, options).verify(path, modality);
  }
  if (layer === "preprocessing") {
    return new EntryCache(GRID_ADAPTER, options).verify(path, modality);
  }
  throw new CacheKeyError(
    `Cache entry path "${path}" names no layer: expected it to start with "ingestion/" or ` +
      `"preprocessing/"`,
  );
}
