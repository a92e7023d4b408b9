/**
 * The GAM cache: fetched `RawData` and processed grids as Zarr v3 groups, with manifests, TTL
 * and stale fallback, byte-limit sweeping with pinning, canonical-checksum integrity checks
 * with quarantine, crash-safe publishing and one fetch per key across processes.
 *
 * - {@linkcode IngestionCache}: `<cacheDir>/ingestion/<modality>/<key>/`.
 * - {@linkcode GridCache}: `<cacheDir>/preprocessing/<modality>/<bbox_hash>/v<semver>/`.
 * - {@linkcode CacheStore} / {@linkcode FsCacheStore}: the storage seam and its local
 *   filesystem implementation.
 * - {@linkcode sweepCache} / {@linkcode startSweeper}: eviction and leftover cleaning.
 * - {@linkcode ManifestRecordSchema}: manifest records, written under `<outputDir>/manifest/`.
 * - {@linkcode ReplicationJournal}: each entry's replication to the bucket, under
 *   `<cacheDir>/.replication/` (written by the remote mirror of `src/storage/`, read by
 *   `gam cache ls`).
 *
 * @example Fetch through the cache, then sweep
 * ```ts
 * import { IngestionCache, sweepCache } from "./mod.ts";
 * import type { RawData } from "../contracts/mod.ts";
 * const dir = await Deno.makeTempDir();
 * const cache = new IngestionCache({ store: dir, policy: { gravity: { ttl: 3600, compression: "zstd" } } });
 * const fetch = (): Promise<RawData> => Promise.resolve({
 *   source: { plugin: "synthetic", version: "1.0.0" }, modality: "gravity", kind: "points",
 *   bbox: [0, 0, 1, 1], units: "mGal", crs: "EPSG:4326",
 *   metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "synthetic" },
 *   points: { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) },
 * });
 * const r = await cache.getOrFetch("gravity", "a".repeat(64), fetch);
 * await sweepCache(cache.store, { policy: { maxBytes: 1e9 } });
 * ```
 *
 * @module
 */
export type { CacheStore, StoredEntry, StoredEntryInfo } from "./cache_store.ts";
export { checkSegment, entrySegments } from "./cache_store.ts";
export { FsCacheStore, type FsCacheStoreOptions } from "./fs_cache_store.ts";
export {
  type CachePolicy,
  type CachePolicySource,
  DEFAULT_CACHE_POLICY,
  resolvePolicy,
} from "./cache_policy.ts";
export {
  type CacheLayer,
  type CacheMetrics,
  cacheMetrics,
  type CacheOutcome,
} from "./cache_metrics.ts";
export { CacheFormatError, CacheIntegrityError, CacheKeyError } from "./errors.ts";
export {
  manifestPath,
  type ManifestRecord,
  ManifestRecordSchema,
  readManifest,
  writeManifest,
} from "./manifest.ts";
export type {
  CachedEntry,
  CacheHint,
  CacheHit,
  CacheOptions,
  ComputedSet,
  EntryRef,
  FetchAllOptions,
  FetchAllResult,
  FetchThroughOptions,
  FetchThroughResult,
  StoredResult,
} from "./_entry_cache.ts";
export { IngestionCache } from "./ingestion_cache.ts";
export { verifyEntry } from "./verify_entry.ts";
export { bboxHash, GridCache, type GridOrigin, originOf } from "./grid_cache.ts";
export {
  type Eviction,
  startSweeper,
  sweepCache,
  type SweepOptions,
  type SweepReport,
} from "./sweeper.ts";
export {
  chunkCodecs,
  type Compression,
  COMPRESSIONS,
  readGridGroup,
  readPointsGroup,
  registerZarrCodecs,
  writeGridGroup,
  writePointsGroup,
  type ZarrEntryWriteOptions,
  type ZarrPoints,
} from "./zarr_entry.ts";
export {
  JOURNAL_DIR,
  ReplicationJournal,
  type ReplicationRecord,
  ReplicationRecordSchema,
} from "./replication_journal.ts";
