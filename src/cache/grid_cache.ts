/**
 * {@linkcode GridCache}: preprocessed grids cached as Zarr v3 groups at
 * `<cacheDir>/preprocessing/<modality>/<bbox_hash>/v<semver>/`, the semver being the pipeline
 * definition's version (a changed pipeline is a different entry).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Bbox, normaliseBbox, type ProcessedGrid, type RawData } from "../contracts/mod.ts";
import { gridChecksum } from "../contracts/checksum.ts";
import { validateProcessedGrid } from "../contracts/schemas.ts";
import { checkSegment } from "./cache_store.ts";
import {
  type CacheHit,
  type CacheOptions,
  type EntryAdapter,
  EntryCache,
  type EntryOrigin,
  type FetchAllOptions,
  type FetchAllResult,
  type FetchThroughOptions,
  type StoredResult,
} from "./_entry_cache.ts";
import type { CachePolicy } from "./cache_policy.ts";
import type { ManifestRecord } from "./manifest.ts";
import { readGridGroup, writeGridGroup } from "./zarr_entry.ts";
import { CacheKeyError } from "./errors.ts";

/**
 * Where a grid's data came from, for its manifest record: licence and citation are required.
 *
 * @example Usage
 * ```ts
 * import type { GridOrigin } from "./grid_cache.ts";
 * const o: GridOrigin = { licence: "CC0-1.0", citation: "synthetic survey", plugin: "synthetic" };
 * ```
 */
export interface GridOrigin {
  /** Licence of the source data. */
  licence: string;
  /** How to cite the source data. */
  citation: string;
  /** Plugin that fetched the source data. */
  plugin?: string;
  /** Its version. */
  pluginVersion?: string;
  /** URL of the source data. */
  sourceUrl?: string;
}

/**
 * The origin of a grid made from `raw` (its plugin, URL, licence, citation).
 *
 * @example Usage
 * ```ts
 * import { originOf } from "./grid_cache.ts";
 * import { createPlugin } from "../plugins/synthetic/mod.ts";
 * const raw = await createPlugin().fetch({
 *   modality: "gravity", bbox: [10, 45, 11, 46], params: { stations: 10 }, traceId: "t",
 *   grantedHosts: [], correlationId: "c", signal: new AbortController().signal,
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 * });
 * originOf(raw).plugin; // "synthetic": stored with the grids made from `raw`
 * ```
 */
export function originOf(raw: RawData): GridOrigin {
  return {
    licence: raw.metadata.licence,
    citation: raw.metadata.citation,
    plugin: raw.source.plugin,
    pluginVersion: raw.source.version,
    ...(raw.metadata.sourceUrl !== undefined ? { sourceUrl: raw.metadata.sourceUrl } : {}),
  };
}

/**
 * The 16-hex-digit hash of a normalised bbox (rounded to 1e-9 degrees) used in grid entry paths.
 *
 * @param bbox `[minLon, minLat, maxLon, maxLat]`.
 *
 * @example Usage
 * ```ts
 * import { bboxHash } from "./grid_cache.ts";
 * bboxHash([16, -35, 33, -22]).length; // 16
 * ```
 */
export function bboxHash(bbox: Bbox): string {
  return createHash("sha256").update(JSON.stringify(normaliseBbox(bbox))).digest("hex").slice(
    0,
    16,
  );
}

const SEMVER = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/**
 * What a preprocessing entry holds: the grid, where its data came from, the pipeline version.
 *
 * @example Usage
 * ```ts
 * import type { GridWithOrigin } from "./grid_cache.ts";
 * const version = (g: GridWithOrigin) => g.pipelineVersion;
 * ```
 */
export interface GridWithOrigin {
  grid: ProcessedGrid;
  origin: GridOrigin;
  pipelineVersion: string;
}

/**
 * The preprocessing layer's adapter: a grid with its origin to and from a Zarr group (used by
 * `verifyEntry`).
 *
 * @example Usage
 * ```ts
 * import { GRID_ADAPTER } from "./grid_cache.ts";
 * GRID_ADAPTER.layer; // "preprocessing"
 * ```
 */
export const GRID_ADAPTER: EntryAdapter<GridWithOrigin> = {
  layer: "preprocessing",
  checksum: (g) => gridChecksum(g.grid),
  arrays: ({ grid }) => ({
    lat: grid.lat,
    lon: grid.lon,
    values: grid.values,
    dataDistanceKm: grid.dataDistanceKm,
  }),
  origin: (g): EntryOrigin => ({
    kind: "grid",
    ...g.origin,
    units: g.grid.units,
    crs: g.grid.crs,
    ...(g.grid.bbox ? { bbox: [...g.grid.bbox] as [number, number, number, number] } : {}),
    retrievedAt: g.grid.provenance.at(-1)?.at ?? new Date().toISOString(),
    pipelineVersion: g.pipelineVersion,
  }),
  describe: (g) => {
    const { lat: _lat, lon: _lon, values: _values, dataDistanceKm: _d, ...rest } = g.grid;
    return { grid: rest, origin: g.origin, pipelineVersion: g.pipelineVersion };
  },
  write: (dir, g, attributes, options) => writeGridGroup(dir, g.grid, attributes, options),
  async read(dir, described) {
    const { lat, lon, values, dataDistanceKm } = await readGridGroup(dir);
    const d = described as Omit<GridWithOrigin, "grid"> & { grid: Record<string, unknown> };
    const grid = validateProcessedGrid({
      ...d.grid,
      lat,
      lon,
      values,
      ...(dataDistanceKm ? { dataDistanceKm } : {}),
    }, dir);
    return { grid, origin: d.origin, pipelineVersion: d.pipelineVersion };
  },
};

/**
 * The preprocessing cache: processed grids by modality, bbox and pipeline version, with the
 * same guarantees as {@linkcode IngestionCache} (atomic publish, verified reads, TTL with stale
 * fallback, one computation per key across processes).
 *
 * @example Compute through the cache
 * ```ts
 * import { GridCache } from "./grid_cache.ts";
 * import type { ProcessedGrid } from "../contracts/mod.ts";
 * const dir = await Deno.makeTempDir({ prefix: "gam-doc-grid-cache-" });
 * try {
 *   const grids = new GridCache({ store: `${dir}/cache`, outputDir: `${dir}/out` });
 *   // In a run, compute is runPipeline(...) and the origin is originOf(raw).
 *   const compute = (): Promise<ProcessedGrid> => Promise.resolve({
 *     lat: new Float64Array([0, 1]), lon: new Float64Array([0, 1]),
 *     values: new Float64Array([1, 2, 3, 4]), resolution: { lon: 1, lat: 1 }, units: "mGal",
 *     crs: "EPSG:4326", registration: "gridline", bbox: [0, 0, 1, 1], provenance: [],
 *   });
 *   const origin = { licence: "CC0-1.0", citation: "synthetic survey", plugin: "synthetic" };
 *   await grids.getOrCompute("gravity", [0, 0, 1, 1], "1.0.0", compute, origin); // computes
 *   await grids.getOrCompute("gravity", [0, 0, 1, 1], "1.0.0", compute, origin); // cached
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class GridCache {
  readonly #engine: EntryCache<GridWithOrigin>;

  /** @param options Store, policies, manifests, metrics, extra lock. */
  constructor(options: CacheOptions) {
    this.#engine = new EntryCache(GRID_ADAPTER, options);
  }

  /** The underlying store. */
  get store(): CacheOptions["store"] & object {
    return this.#engine.store;
  }

  /** The entry path: `preprocessing/<modality>/<bbox_hash>/v<version>`. */
  path(modality: string, bbox: Bbox, pipelineVersion: string): string {
    checkSegment(modality, "Modality");
    if (typeof pipelineVersion !== "string" || !SEMVER.test(pipelineVersion)) {
      throw new CacheKeyError(
        `Pipeline version ${JSON.stringify(pipelineVersion)} is not allowed: expected a ` +
          `semantic version such as "1.2.0" or "1.2.0-rc.1"`,
      );
    }
    return `preprocessing/${modality}/${bboxHash(bbox)}/v${pipelineVersion}`;
  }

  /** The policy in force for `modality`. */
  policy(modality: string): CachePolicy {
    return this.#engine.policy(modality);
  }

  /** The cached grid, `stale: true` when expired; `undefined` when absent or corrupt. */
  async get(
    modality: string,
    bbox: Bbox,
    pipelineVersion: string,
  ): Promise<CacheHit<ProcessedGrid> | undefined> {
    const hit = await this.#engine.get(this.path(modality, bbox, pipelineVersion), modality);
    return hit === undefined ? undefined : { ...hit, data: hit.data.grid };
  }

  /** Caches `grid` (verified after writing) and returns its manifest record. */
  async put(
    modality: string,
    bbox: Bbox,
    pipelineVersion: string,
    grid: ProcessedGrid,
    origin: GridOrigin,
  ): Promise<ManifestRecord> {
    const path = this.path(modality, bbox, pipelineVersion);
    const key = path.split("/").slice(2).join("/");
    return (await this.#engine.put(path, modality, key, { grid, origin, pipelineVersion }))
      .record;
  }

  /** Fresh entry, or compute once (other callers wait on the entry lock) and cache. */
  async getOrCompute(
    modality: string,
    bbox: Bbox,
    pipelineVersion: string,
    compute: () => Promise<ProcessedGrid>,
    origin: GridOrigin,
    options?: Pick<FetchThroughOptions, "serveStaleOn">,
  ): Promise<StoredResult<ProcessedGrid>> {
    const path = this.path(modality, bbox, pipelineVersion);
    const key = path.split("/").slice(2).join("/");
    const r = await this.#engine.getOrFetch(
      path,
      modality,
      key,
      async () => ({ grid: await compute(), origin, pipelineVersion }),
      { serveStaleOn: options?.serveStaleOn },
    );
    // Without a hint function the engine always stores what it computes.
    if (r.outcome === "no-store") throw new TypeError("A computed grid was not stored");
    return { ...r, data: r.data.grid };
  }

  /**
   * The grids of several pipeline versions made together (a pipeline's branches): all fresh
   * from the cache, or computed once under all their locks and cached when the computation
   * says so ({@linkcode EntryCache.getOrFetchAll}).
   *
   * @param versions One cache version per grid, e.g. `1.0.0-<hash>.fine`.
   * @param compute Makes every grid: one per version (`undefined` where it made none) and
   *   whether the set may be cached (a run with a failed branch may not).
   * @param origin Where the source data came from, for the manifests.
   * @param options `onPutError`: told of a grid that could not be cached (still returned).
   */
  async getOrComputeAll(
    modality: string,
    bbox: Bbox,
    versions: readonly string[],
    compute: () => Promise<{ grids: (ProcessedGrid | undefined)[]; cacheable: boolean }>,
    origin: GridOrigin,
    options?: FetchAllOptions,
  ): Promise<FetchAllResult<ProcessedGrid>> {
    const entries = versions.map((v) => {
      const path = this.path(modality, bbox, v);
      return { path, key: path.split("/").slice(2).join("/"), version: v };
    });
    const r = await this.#engine.getOrFetchAll(entries, modality, async () => {
      const { grids, cacheable } = await compute();
      return {
        values: grids.map((grid, i) =>
          grid === undefined ? undefined : { grid, origin, pipelineVersion: entries[i].version }
        ),
        cacheable,
      };
    }, options);
    return { outcome: r.outcome, values: r.values.map((v) => v?.grid) };
  }

  /** The entry's lock (file lock, plus the extra lock if configured). */
  lock(modality: string, bbox: Bbox, pipelineVersion: string): Promise<AsyncDisposable> {
    return this.#engine.lock(this.path(modality, bbox, pipelineVersion));
  }

  /** Verifies one entry now: "ok", "corrupt" (quarantined) or "missing". */
  verify(
    modality: string,
    bbox: Bbox,
    pipelineVersion: string,
  ): Promise<"ok" | "corrupt" | "missing"> {
    return this.#engine.verify(this.path(modality, bbox, pipelineVersion), modality);
  }
}
