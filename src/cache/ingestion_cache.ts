/**
 * {@linkcode IngestionCache}: fetched `RawData` cached as Zarr v3 groups at
 * `<cacheDir>/ingestion/<modality>/<key>/`, the key being the ingestion service's
 * `ingestionCacheKey` (64 hex digits).
 *
 * @module
 */
import type { RawData } from "../contracts/mod.ts";
import { rawDataChecksum } from "../contracts/checksum.ts";
import { validateRawData } from "../contracts/schemas.ts";
import { checkSegment } from "./cache_store.ts";
import {
  type CacheHit,
  type CacheOptions,
  type EntryAdapter,
  EntryCache,
  type FetchThroughOptions,
  type FetchThroughResult,
} from "./_entry_cache.ts";
import type { CachePolicy } from "./cache_policy.ts";
import type { ManifestRecord } from "./manifest.ts";
import { readGridGroup, readPointsGroup, writeGridGroup, writePointsGroup } from "./zarr_entry.ts";
import { CacheFormatError } from "./errors.ts";

/**
 * The ingestion layer's adapter: `RawData` to and from a Zarr group (used by `verifyEntry`).
 *
 * @example Usage
 * ```ts
 * import { RAW_DATA_ADAPTER } from "./ingestion_cache.ts";
 * RAW_DATA_ADAPTER.layer; // "ingestion"
 * ```
 */
export const RAW_DATA_ADAPTER: EntryAdapter<RawData> = {
  layer: "ingestion",
  storedByName: true,
  checksum: rawDataChecksum,
  arrays: (d) =>
    d.kind === "points"
      ? {
        lon: d.points.lon,
        lat: d.points.lat,
        value: d.points.value,
        height: d.points.height,
        line: d.points.line,
      }
      : { lat: d.grid.lat, lon: d.grid.lon, values: d.grid.values },
  origin: (d) => ({
    kind: d.kind,
    plugin: d.source.plugin,
    pluginVersion: d.source.version,
    ...(d.metadata.sourceUrl !== undefined ? { sourceUrl: d.metadata.sourceUrl } : {}),
    licence: d.metadata.licence,
    citation: d.metadata.citation,
    units: d.units,
    crs: d.crs,
    bbox: [...d.bbox] as [number, number, number, number],
    retrievedAt: d.metadata.retrievedAt,
  }),
  describe: (d) => ({
    kind: d.kind,
    source: d.source,
    modality: d.modality,
    bbox: [...d.bbox],
    units: d.units,
    crs: d.crs,
    ...(d.sourceCrs ? { sourceCrs: d.sourceCrs } : {}),
    metadata: d.metadata,
    // The line dictionary is JSON beside the `line` codes (a Zarr array holds numbers only).
    ...(d.kind === "points" && d.points.lineNames
      ? { lines: { names: d.points.lineNames, kinds: d.points.lineKinds } }
      : {}),
  }),
  write: (dir, d, attributes, options) =>
    d.kind === "points"
      ? writePointsGroup(dir, d.points, attributes, options)
      : writeGridGroup(dir, d.grid, attributes, options),
  async read(dir, described) {
    const { lines, ...common } = described as Omit<RawData, "points" | "grid"> & {
      lines?: { names: string[]; kinds?: string[] };
    };
    let raw: unknown;
    if (common.kind === "points") {
      const { points } = await readPointsGroup(dir);
      const dictionary = lines
        ? { lineNames: lines.names, ...(lines.kinds ? { lineKinds: lines.kinds } : {}) }
        : {};
      raw = { ...common, kind: "points", points: { ...points, ...dictionary } };
    } else if (common.kind === "grid") {
      const { lat, lon, values } = await readGridGroup(dir);
      raw = { ...common, kind: "grid", grid: { lat, lon, values } };
    } else {
      throw new CacheFormatError(`${dir}: gam.data.kind is ${JSON.stringify(common.kind)}`);
    }
    // Shape only: domain checks already passed when the data was first cached.
    return validateRawData(raw, { where: dir, tolerance: Infinity });
  },
};

/**
 * The ingestion cache. Entries are immutable Zarr groups published by rename; reads verify the
 * canonical checksum (always, or the policy's sampled fraction) and quarantine mismatches;
 * expired entries are returned as `stale` and kept as fallback until the sweeper removes them.
 *
 * @example Fetch through the cache
 * ```ts
 * import { IngestionCache } from "./ingestion_cache.ts";
 * import type { RawData } from "../contracts/mod.ts";
 * const cache = new IngestionCache({ store: await Deno.makeTempDir(), policy: { ttl: 3600 } });
 * const fetchFromSource = (): Promise<RawData> => Promise.resolve({
 *   source: { plugin: "synthetic", version: "1.0.0" }, modality: "gravity", kind: "points",
 *   bbox: [0, 0, 1, 1], units: "mGal", crs: "EPSG:4326",
 *   metadata: { retrievedAt: new Date().toISOString(), licence: "CC0-1.0", citation: "synthetic" },
 *   points: { lon: new Float64Array([0.5]), lat: new Float64Array([0.5]), value: new Float64Array([1]) },
 * });
 * const r = await cache.getOrFetch("gravity", "0".repeat(64), fetchFromSource);
 * r.outcome; // "miss" the first time, "hit" afterwards
 * ```
 */
export class IngestionCache {
  readonly #engine: EntryCache<RawData>;

  /** @param options Store, policies, manifests, metrics, extra lock. */
  constructor(options: CacheOptions) {
    this.#engine = new EntryCache(RAW_DATA_ADAPTER, options);
  }

  /** The underlying store. */
  get store(): CacheOptions["store"] & object {
    return this.#engine.store;
  }

  /** The entry path of a key: `ingestion/<modality>/<key>`. */
  path(modality: string, key: string): string {
    checkSegment(modality, "Modality");
    checkSegment(key, "Ingestion cache key");
    return `ingestion/${modality}/${key}`;
  }

  /** The policy in force for `modality`. */
  policy(modality: string): CachePolicy {
    return this.#engine.policy(modality);
  }

  /** The cached data, `stale: true` when expired; `undefined` when absent or corrupt. */
  get(modality: string, key: string): Promise<CacheHit<RawData> | undefined> {
    return this.#engine.get(this.path(modality, key), modality);
  }

  /**
   * Caches `data` (verified after writing) and returns its manifest record. `ttlSeconds` (a
   * plugin's hint) shortens the modality's configured TTL, never lengthens it.
   */
  async put(
    modality: string,
    key: string,
    data: RawData,
    options: { ttlSeconds?: number } = {},
  ): Promise<ManifestRecord> {
    return (await this.#engine.put(this.path(modality, key), modality, key, data, options))
      .record;
  }

  /** Fresh entry, or fetch once (other callers wait on the entry lock) and cache. */
  getOrFetch(
    modality: string,
    key: string,
    fetch: () => Promise<RawData>,
    options: FetchThroughOptions<RawData> = {},
  ): Promise<FetchThroughResult<RawData>> {
    // The plugin's caching hint (`metadata.cache`), within the modality's configured TTL.
    return this.#engine.getOrFetch(this.path(modality, key), modality, key, fetch, {
      hintOf: (d) => d.metadata.cache,
      ...options,
    });
  }

  /** The entry's lock (file lock, plus the extra lock if configured). */
  lock(modality: string, key: string): Promise<AsyncDisposable> {
    return this.#engine.lock(this.path(modality, key));
  }

  /** Verifies one entry now: "ok", "corrupt" (quarantined) or "missing". */
  verify(modality: string, key: string): Promise<"ok" | "corrupt" | "missing"> {
    return this.#engine.verify(this.path(modality, key), modality);
  }
}
