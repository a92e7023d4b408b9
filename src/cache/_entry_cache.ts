/**
 * The logic `IngestionCache` and `GridCache` share: verified writes, verified (or sampled)
 * reads with quarantine, TTL and stale fallback, fetch-through under a lock, manifests, metrics.
 *
 * @module
 */
import { z } from "zod";
import type { CacheStore } from "./cache_store.ts";
import { FsCacheStore } from "./fs_cache_store.ts";
import { type CachePolicy, type CachePolicySource, resolvePolicy } from "./cache_policy.ts";
import { type CacheLayer, type CacheMetrics, cacheMetrics } from "./cache_metrics.ts";
import { CacheFormatError, CacheIntegrityError } from "./errors.ts";
import { type ManifestRecord, writeManifest } from "./manifest.ts";
import type { ZarrEntryWriteOptions } from "./zarr_entry.ts";
import { storageDigest } from "./digest.ts";
import { readZarrArray, readZarrGroupAttributes } from "../formats/codecs.ts";
import type { CanonicalArray } from "../contracts/checksum.ts";
import { createLogger, type Logger } from "../observability/mod.ts";
import type { MetricsRegistry } from "../observability/metrics/mod.ts";

/** Options shared by {@linkcode IngestionCache} and {@linkcode GridCache}. */
export interface CacheOptions {
  /** Where entries live: a folder (the local filesystem store) or any {@linkcode CacheStore}. */
  store: CacheStore | string;
  /** Cache policies by modality (TTL, codec, verification...). @default DEFAULT_CACHE_POLICY */
  policy?: CachePolicySource;
  /** When set, every write also writes a manifest record under `<outputDir>/manifest/`. */
  outputDir?: string;
  /** Registry of the cache metrics. @default defaultRegistry */
  metrics?: MetricsRegistry;
  /** Logger for quarantines and stale fallbacks. @default a JSON logger at "warn" */
  logger?: Logger;
  /**
   * A second lock taken (after the file lock) around fetch-through, keyed by the entry path
   * (e.g. `ingestion/gravity/<key>`): `gam run` wires a PostgreSQL advisory lock here
   * (`advisoryLock` of `persistence/`) when a server database is configured, so hosts sharing
   * a cache folder whose file locks do not reach each other (NFS) also fetch once.
   */
  extraLock?: (key: string) => Promise<Disposable | AsyncDisposable>;
  /** Clock. @default () => new Date() */
  now?: () => Date;
  /** Random numbers in [0, 1) for sampled verification. @default Math.random */
  random?: () => number;
}

/**
 * Where a cached value came from and when it expires.
 *
 * @example Usage
 * ```ts
 * import type { CachedEntry } from "./_entry_cache.ts";
 * const fresh = (e: CachedEntry) => Date.parse(e.expiresAt) > Date.now();
 * ```
 */
export interface CachedEntry {
  /** Entry path, e.g. `ingestion/gravity/<key>`. */
  path: string;
  /** Local folder of the Zarr group. */
  dir: string;
  /** Canonical checksum `sha256:<hex>`. */
  checksum: string;
  /** When it was written (ISO 8601). */
  cachedAt: string;
  /** When it stops being fresh (ISO 8601). */
  expiresAt: string;
  /** Never evicted when true. */
  pinned: boolean;
}

/**
 * A value read from the cache: `stale` when its TTL has passed (a caller should refetch, and
 * may serve it when the source is down).
 *
 * @example Usage
 * ```ts
 * import type { CacheHit } from "./_entry_cache.ts";
 * const usable = (h: CacheHit<unknown> | undefined) => h !== undefined && !h.stale;
 * ```
 */
export interface CacheHit<T> {
  /** The cached value. */
  data: T;
  /** True when the entry has expired. */
  stale: boolean;
  /** The entry. */
  entry: CachedEntry;
}

/**
 * Result of a fetch-through: `hit` (fresh entry, possibly written by another process while we
 * waited), `miss` (fetched now and cached; `record` is its manifest), `stale` (the fetch failed
 * and an expired entry was served; `error` says why), `no-store` (fetched now and not cached,
 * because the fetched value's caching hint said so: no entry).
 *
 * @example Usage
 * ```ts
 * import type { FetchThroughResult } from "./_entry_cache.ts";
 * const fetched = (r: FetchThroughResult<unknown>) => r.outcome === "miss";
 * ```
 */
export type FetchThroughResult<T> =
  | (CacheHit<T> & {
    /** What happened. */
    outcome: "hit" | "miss" | "stale";
    /** The manifest record of a fresh write (`miss`). */
    record?: ManifestRecord;
    /** Why the fetch failed (`stale`). */
    error?: unknown;
  })
  | {
    /** The fetched value. */
    data: T;
    /** Never stale: fetched now. */
    stale: false;
    /** Fetched, not cached (the value's hint). */
    outcome: "no-store";
    /** No entry was written. */
    entry?: undefined;
  };

/**
 * A fetch-through result that has a cache entry (`hit`, `miss`, `stale`): what callers that pass
 * no {@linkcode FetchThroughOptions.hintOf} get.
 *
 * @example Usage
 * ```ts
 * import type { StoredResult } from "./_entry_cache.ts";
 * const where = (r: StoredResult<unknown>) => r.entry.dir;
 * ```
 */
export type StoredResult<T> = Extract<FetchThroughResult<T>, { entry: CachedEntry }>;

/**
 * A fetched value's own caching hint (a plugin's `metadata.cache`): `store: false` keeps it out
 * of the cache; `ttlSeconds` shortens the configured TTL, never lengthens it.
 */
export interface CacheHint {
  /** Seconds the entry stays fresh, at most the configured TTL. */
  ttlSeconds?: number;
  /** `false`: do not cache this value. @default true */
  store?: boolean;
}

/**
 * Options of fetch-through.
 *
 * The stale rule: an expired entry is served only when the fetch throws and
 * `serveStaleOn(error)` is true. The main job passes the ingestion layer's `isSourceDown`
 * (retries exhausted on a retryable error, or the circuit open): invalid data, a refused
 * request or a cancelled run never turn into a stale copy. A fresh entry is always served; an
 * absent entry rethrows the error.
 */
export interface FetchThroughOptions<T = unknown> {
  /** Whether a failed fetch may be answered with an expired entry. @default () => true */
  serveStaleOn?: (error: unknown) => boolean;
  /** The fetched value's caching hint, honoured within the configured bounds. */
  hintOf?: (value: T) => CacheHint | undefined;
}

/** One entry of {@linkcode EntryCache.getOrFetchAll}. */
export interface EntryRef {
  /** Entry path. */
  path: string;
  /** Key recorded in the entry's attributes and manifest. */
  key: string;
}

/**
 * What the compute function of {@linkcode EntryCache.getOrFetchAll} returns: one value per
 * entry (`undefined` when it could not be made), and whether the set may be cached.
 */
export interface ComputedSet<T> {
  /** Values in the order of the entries. */
  values: (T | undefined)[];
  /** Cache the values (only when every value is present). */
  cacheable: boolean;
}

/** Options of {@linkcode EntryCache.getOrFetchAll}. */
export interface FetchAllOptions {
  /**
   * Told when the value at `index` could not be cached (it is still returned).
   * @default a warning in the cache's log
   */
  onPutError?: (error: unknown, index: number) => void;
}

/** Result of {@linkcode EntryCache.getOrFetchAll}. */
export interface FetchAllResult<T> {
  /** `hit`: every entry was fresh; `miss`: computed now. */
  outcome: "hit" | "miss";
  /** Values in the order of the entries (`undefined` where the computation made none). */
  values: (T | undefined)[];
}

/** Manifest fields that describe the data's origin. */
export interface EntryOrigin {
  kind: "points" | "grid";
  plugin?: string;
  pluginVersion?: string;
  sourceUrl?: string;
  licence: string;
  citation: string;
  units: string;
  crs: string;
  bbox?: [number, number, number, number];
  retrievedAt: string;
  pipelineVersion?: string;
}

/** How one layer turns its values into Zarr groups and back. */
export interface EntryAdapter<T> {
  layer: CacheLayer;
  /** The canonical SHA-256 of the data (manifest checksum). */
  checksum(data: T): string;
  /** The arrays as stored, for the fast storage digest ({@linkcode storageDigest}). */
  arrays(data: T): Record<string, CanonicalArray | undefined>;
  origin(data: T): EntryOrigin;
  /** JSON needed to rebuild `T` besides the arrays. */
  describe(data: T): Record<string, unknown>;
  write(
    dir: string,
    data: T,
    attributes: Record<string, unknown>,
    options: ZarrEntryWriteOptions,
  ): Promise<void>;
  read(dir: string, described: Record<string, unknown>): Promise<T>;
  /**
   * True when {@linkcode EntryAdapter.arrays}' names are the stored arrays' names: a write is
   * then verified one array at a time instead of by reading the whole entry back.
   */
  storedByName?: boolean;
}

const GamAttributesSchema = z.looseObject({
  format: z.literal(1),
  layer: z.enum(["ingestion", "preprocessing"]),
  modality: z.string(),
  key: z.string(),
  checksum: z.string(),
  /** Fast storage digest checked on every read (absent in entries written before it existed). */
  digest: z.string().optional(),
  cachedAt: z.string(),
  expiresAt: z.string(),
  ttlSeconds: z.number(),
  compression: z.enum(["none", "gzip", "zstd"]),
  origin: z.record(z.string(), z.unknown()),
  data: z.record(z.string(), z.unknown()),
});
type GamAttributes = z.infer<typeof GamAttributesSchema>;

/**
 * Reads the `gam` attributes of an entry's group; throws {@linkcode CacheFormatError} when
 * they are missing or malformed.
 */
export function gamAttributes(path: string, attributes: Record<string, unknown>): GamAttributes {
  const parsed = GamAttributesSchema.safeParse(attributes.gam);
  if (!parsed.success) {
    throw new CacheFormatError(
      `Cache entry "${path}": group attribute "gam" is missing or malformed ` +
        `(${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")})`,
    );
  }
  return parsed.data;
}

/**
 * Checks a just-written entry against the data it was written from, one array in memory at a
 * time: each array read back has the same type, length and bytes, and the group's `gam`
 * attributes are those written. Throws {@linkcode CacheIntegrityError} otherwise.
 */
async function verifyWritten(
  path: string,
  dir: string,
  arrays: Record<string, CanonicalArray | undefined>,
  gam: GamAttributes,
  checksum: string,
): Promise<void> {
  const fail = (what: string, cause?: unknown): never => {
    throw new CacheIntegrityError(path, checksum, what, cause === undefined ? {} : { cause });
  };
  let attributes: Record<string, unknown> | undefined;
  try {
    attributes = readZarrGroupAttributes(dir);
  } catch (e) {
    fail(`unreadable data (${String(e)})`, e);
  }
  if (JSON.stringify(attributes?.gam) !== JSON.stringify(gam)) {
    fail('group attribute "gam" differs from the one written');
  }
  for (const name of Object.keys(arrays).sort()) {
    const expected = arrays[name];
    if (expected === undefined) continue;
    let read: CanonicalArray | undefined;
    try {
      read = (await readZarrArray(dir, name))?.data as CanonicalArray | undefined;
    } catch (e) {
      fail(`unreadable data (array "${name}": ${String(e)})`, e);
    }
    if (
      read === undefined || read.constructor !== expected.constructor ||
      read.length !== expected.length || !sameBytes(read, expected)
    ) {
      fail(`array "${name}" read back differs from the one written`);
    }
  }
}

/** Byte equality of two typed arrays of the same type and length. */
function sameBytes(a: CanonicalArray, b: CanonicalArray): boolean {
  const words = (x: CanonicalArray) =>
    x.byteOffset % 4 === 0
      ? new Int32Array(x.buffer, x.byteOffset, x.byteLength / 4)
      : new Int32Array(new Uint8Array(x.buffer, x.byteOffset, x.byteLength).slice().buffer);
  const wa = words(a), wb = words(b);
  if (wa.length !== wb.length) return false;
  for (let i = 0; i < wa.length; i++) if (wa[i] !== wb[i]) return false;
  return true;
}

async function disposeAny(d: Disposable | AsyncDisposable): Promise<void> {
  if (Symbol.asyncDispose in d) await (d as AsyncDisposable)[Symbol.asyncDispose]();
  else (d as Disposable)[Symbol.dispose]();
}

/** The shared engine. Not exported from the module; the layer classes wrap it. */
export class EntryCache<T> {
  readonly store: CacheStore;
  readonly #adapter: EntryAdapter<T>;
  readonly #policy: CachePolicySource | undefined;
  readonly #outputDir: string | undefined;
  readonly #metrics: CacheMetrics;
  readonly #log: Logger;
  readonly #extraLock: CacheOptions["extraLock"];
  readonly #now: () => Date;
  readonly #random: () => number;

  constructor(adapter: EntryAdapter<T>, options: CacheOptions) {
    this.#adapter = adapter;
    this.store = typeof options.store === "string"
      ? new FsCacheStore(options.store)
      : options.store;
    this.#policy = options.policy;
    this.#outputDir = options.outputDir;
    this.#metrics = cacheMetrics(options.metrics);
    this.#log = (options.logger ?? createLogger({ level: "warn" })).child({ component: "cache" });
    this.#extraLock = options.extraLock;
    this.#now = options.now ?? (() => new Date());
    this.#random = options.random ?? Math.random;
  }

  policy(modality: string): CachePolicy {
    return resolvePolicy(this.#policy, modality);
  }

  /** Reads an entry (counted: hit, stale or miss; corrupt as well when quarantined). */
  async get(path: string, modality: string): Promise<CacheHit<T> | undefined> {
    const hit = await this.#read(path, modality);
    this.#count(hit === undefined ? "miss" : hit.stale ? "stale" : "hit");
    return hit;
  }

  /** Writes and verifies an entry, pins it if the policy says so, writes its manifest. */
  async put(
    path: string,
    modality: string,
    key: string,
    data: T,
    options: { ttlSeconds?: number } = {},
  ): Promise<{ record: ManifestRecord; entry: CachedEntry }> {
    const configured = this.policy(modality);
    // A caller's (a plugin's) TTL can shorten the configured one, never lengthen it.
    const policy = options.ttlSeconds !== undefined && options.ttlSeconds < configured.ttl
      ? { ...configured, ttl: options.ttlSeconds }
      : configured;
    const checksum = this.#adapter.checksum(data);
    const digest = storageDigest(this.#adapter.arrays(data));
    const now = this.#now();
    const gam: GamAttributes = {
      format: 1,
      layer: this.#adapter.layer,
      modality,
      key,
      checksum,
      digest,
      cachedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + policy.ttl * 1000).toISOString(),
      ttlSeconds: policy.ttl,
      compression: policy.compression,
      origin: { ...this.#adapter.origin(data) },
      data: this.#adapter.describe(data),
    };
    const stored = await this.store.put(path, async (dir) => {
      await this.#adapter.write(dir, data, { gam }, {
        compression: policy.compression,
        chunkSize: policy.chunkSize,
      });
      // Verify what is on disk before anyone can see it: the canonical checksum and the storage
      // digest that later reads check. Where the adapter allows, one array at a time (reading
      // the whole entry back would hold the data a second time, about 280 MB for 10 million
      // readings): every array's bytes equal to the ones written (so both are the same), and
      // the `gam` attributes as written.
      if (this.#adapter.storedByName) {
        await verifyWritten(path, dir, this.#adapter.arrays(data), gam, checksum);
        return;
      }
      let written: T;
      try {
        written = await this.#adapter.read(dir, gam.data);
      } catch (e) {
        throw new CacheIntegrityError(path, checksum, `unreadable data (${String(e)})`, {
          cause: e,
        });
      }
      const actual = this.#adapter.checksum(written);
      if (actual !== checksum) throw new CacheIntegrityError(path, checksum, actual);
      const actualDigest = storageDigest(this.#adapter.arrays(written));
      if (actualDigest !== digest) throw new CacheIntegrityError(path, digest, actualDigest);
    });
    let pinned = stored.pinned;
    if (policy.pin && !pinned) {
      await this.store.setPinned(path, true);
      pinned = true;
    }
    this.#metrics.bytes.inc({ layer: this.#adapter.layer }, stored.sizeBytes);
    const o = gam.origin as unknown as EntryOrigin;
    const record: ManifestRecord = {
      manifestVersion: 1,
      id: path,
      layer: this.#adapter.layer,
      modality,
      key,
      kind: o.kind,
      ...(o.plugin !== undefined ? { plugin: o.plugin } : {}),
      ...(o.pluginVersion !== undefined ? { pluginVersion: o.pluginVersion } : {}),
      ...(o.sourceUrl !== undefined ? { sourceUrl: o.sourceUrl } : {}),
      ...(o.pipelineVersion !== undefined ? { pipelineVersion: o.pipelineVersion } : {}),
      checksum,
      sizeBytes: stored.sizeBytes,
      licence: o.licence,
      citation: o.citation,
      units: o.units,
      crs: o.crs,
      ...(o.bbox !== undefined ? { bbox: o.bbox } : {}),
      retrievedAt: o.retrievedAt,
      cachedAt: gam.cachedAt,
      expiresAt: gam.expiresAt,
      pinned,
      compression: policy.compression,
      cachePath: stored.dir,
    };
    if (this.#outputDir !== undefined) await writeManifest(this.#outputDir, record);
    return {
      record,
      entry: {
        path,
        dir: stored.dir,
        checksum,
        cachedAt: gam.cachedAt,
        expiresAt: gam.expiresAt,
        pinned,
      },
    };
  }

  /**
   * Fresh entry, else (under the entry's lock, so one caller fetches and the others wait and
   * then read what it wrote) fetch, verify, publish; a failed fetch falls back to a stale entry
   * when `options.serveStaleOn(error)` allows it ({@linkcode FetchThroughOptions}).
   */
  async getOrFetch(
    path: string,
    modality: string,
    key: string,
    fetch: () => Promise<T>,
    options: FetchThroughOptions<T> = {},
  ): Promise<FetchThroughResult<T>> {
    const first = await this.#read(path, modality);
    if (first !== undefined && !first.stale) {
      this.#count("hit");
      return { ...first, outcome: "hit" };
    }
    const lock = await this.lock(path);
    try {
      const second = await this.#read(path, modality);
      if (second !== undefined && !second.stale) {
        this.#count("hit");
        return { ...second, outcome: "hit" };
      }
      let data: T;
      try {
        data = await fetch();
      } catch (error) {
        if (second !== undefined && (options.serveStaleOn?.(error) ?? true)) {
          this.#count("stale");
          this.#log.warn("serving a stale cache entry: the fetch failed", {
            entry: path,
            expiresAt: second.entry.expiresAt,
            error,
          });
          return { ...second, outcome: "stale", error };
        }
        this.#count("miss");
        throw error;
      }
      const hint = options.hintOf?.(data);
      this.#count("miss");
      if (hint?.store === false) return { data, stale: false, outcome: "no-store" };
      const { record, entry } = await this.put(path, modality, key, data, {
        ttlSeconds: hint?.ttlSeconds,
      });
      return { data, stale: false, entry, outcome: "miss", record };
    } finally {
      await lock[Symbol.asyncDispose]();
    }
  }

  /**
   * Fetch-through of a set of entries made together (the branches of one pipeline): every
   * entry fresh, else, under all their locks (taken in path order, so two callers never
   * deadlock), read again and, if still not all fresh, compute the whole set once and cache
   * it when `cacheable` and complete. A value that fails to cache is logged and still returned:
   * a cache that cannot take it costs a recomputation, not the result. Never serves stale
   * entries (a computation that fails is not a source that is down).
   */
  async getOrFetchAll(
    entries: readonly EntryRef[],
    modality: string,
    compute: () => Promise<ComputedSet<T>>,
    options: FetchAllOptions = {},
  ): Promise<FetchAllResult<T>> {
    const counted = <R>(outcome: "hit" | "miss", r: R): R => {
      for (const _ of entries) this.#count(outcome);
      return r;
    };
    const fresh = await this.#readAllFresh(entries, modality);
    if (fresh !== undefined) return counted("hit", { outcome: "hit", values: fresh });
    const locks: AsyncDisposable[] = [];
    try {
      for (const path of [...new Set(entries.map((e) => e.path))].sort()) {
        locks.push(await this.lock(path));
      }
      const again = await this.#readAllFresh(entries, modality);
      if (again !== undefined) return counted("hit", { outcome: "hit", values: again });
      const { values, cacheable } = await compute();
      if (cacheable && values.length === entries.length && values.every((v) => v !== undefined)) {
        for (const [i, e] of entries.entries()) {
          try {
            await this.put(e.path, modality, e.key, values[i] as T);
          } catch (error) {
            if (options.onPutError) options.onPutError(error, i);
            else this.#log.warn("could not cache a computed entry", { entry: e.path, error });
          }
        }
      }
      return counted("miss", { outcome: "miss", values });
    } finally {
      for (const l of locks.reverse()) await l[Symbol.asyncDispose]();
    }
  }

  /** Every entry's value when all are fresh, else `undefined` (stops at the first gap). */
  async #readAllFresh(entries: readonly EntryRef[], modality: string): Promise<T[] | undefined> {
    const out: T[] = [];
    for (const e of entries) {
      const hit = await this.#read(e.path, modality);
      if (hit === undefined || hit.stale) return undefined;
      out.push(hit.data);
    }
    return out;
  }

  /** The entry's file lock plus the optional extra (database) lock. */
  async lock(path: string): Promise<AsyncDisposable> {
    const fileLock = await this.store.lock(path);
    let extra: Disposable | AsyncDisposable | undefined;
    try {
      extra = await this.#extraLock?.(path);
    } catch (e) {
      await fileLock[Symbol.asyncDispose]();
      throw e;
    }
    return {
      async [Symbol.asyncDispose]() {
        try {
          if (extra !== undefined) await disposeAny(extra);
        } finally {
          await fileLock[Symbol.asyncDispose]();
        }
      },
    };
  }

  /**
   * Reads, checks and verifies an entry without counting it. Corrupt entries are quarantined,
   * logged and counted as `corrupt`, and read as `undefined`.
   */
  async #read(
    path: string,
    modality: string,
    verify?: boolean,
  ): Promise<CacheHit<T> | undefined> {
    const stored = await this.store.get(path);
    if (stored === undefined) return undefined;
    const policy = this.policy(modality);
    let gam: GamAttributes | undefined;
    let data: T;
    try {
      gam = gamAttributes(path, stored.attributes);
      data = await this.#adapter.read(stored.dir, gam.data);
    } catch (e) {
      if (await this.#replacedMeanwhile(path, gam)) return undefined;
      await this.#quarantine(path, "unreadable", String(e));
      return undefined;
    }
    // Every read checks the fast storage digest; the canonical SHA-256 is recomputed on the
    // policy's fraction of reads (and always by `verify`, and for entries without a digest).
    if (gam.digest !== undefined) {
      const actual = storageDigest(this.#adapter.arrays(data));
      if (actual !== gam.digest) {
        if (await this.#replacedMeanwhile(path, gam)) return undefined;
        await this.#quarantine(path, "storage digest mismatch", `${gam.digest} != ${actual}`);
        return undefined;
      }
    }
    const check = verify ?? (gam.digest === undefined || policy.verifyOnRead >= 1 ||
      this.#random() < policy.verifyOnRead);
    if (check) {
      const actual = this.#adapter.checksum(data);
      if (actual !== gam.checksum) {
        if (await this.#replacedMeanwhile(path, gam)) return undefined;
        await this.#quarantine(path, "checksum mismatch", `${gam.checksum} != ${actual}`);
        return undefined;
      }
    }
    return {
      data,
      stale: this.#now().getTime() >= Date.parse(gam.expiresAt),
      entry: {
        path,
        dir: stored.dir,
        checksum: gam.checksum,
        cachedAt: gam.cachedAt,
        expiresAt: gam.expiresAt,
        pinned: stored.pinned,
      },
    };
  }

  /** Reads `path` with verification forced: "ok", "corrupt" (now quarantined) or "missing". */
  async verify(path: string, modality: string): Promise<"ok" | "corrupt" | "missing"> {
    if ((await this.store.get(path)) === undefined) return "missing";
    return (await this.#read(path, modality, true)) === undefined ? "corrupt" : "ok";
  }

  /**
   * Whether the entry was evicted or replaced while we read it (then a failed read says
   * nothing about the entry now in place, which must not be quarantined).
   */
  async #replacedMeanwhile(path: string, read: GamAttributes | undefined): Promise<boolean> {
    const now = await this.store.get(path);
    if (now === undefined) return true;
    if (read === undefined) return false;
    const gam = now.attributes.gam as Partial<GamAttributes> | undefined;
    return gam?.cachedAt !== read.cachedAt || gam?.checksum !== read.checksum;
  }

  async #quarantine(path: string, reason: string, detail: string): Promise<void> {
    this.#count("corrupt");
    const aside = await this.store.quarantine(path);
    this.#log.error("cache entry failed its integrity check and was quarantined", {
      entry: path,
      reason,
      detail,
      quarantinedTo: aside,
    });
  }

  #count(outcome: "hit" | "miss" | "stale" | "corrupt"): void {
    this.#metrics.requests.inc({ layer: this.#adapter.layer, outcome });
  }
}
