/**
 * `CacheStore`: the storage seam of the cache. A store keeps *entries*, folders addressed by a
 * relative path such as `ingestion/gravity/<key>` or `preprocessing/gravity/<bbox_hash>/v1.2.0`,
 * each holding one Zarr v3 group. The store knows nothing about what is inside beyond the
 * group's `zarr.json` attributes; the typed caches ({@linkcode IngestionCache},
 * {@linkcode GridCache}) sit on top. The local filesystem implementation is
 * {@linkcode FsCacheStore}; an object-store mirror can implement the same interface.
 *
 * @module
 */
import { CacheKeyError } from "./errors.ts";

/**
 * A complete entry as {@linkcode CacheStore.get} returns it.
 *
 * @example Usage
 * ```ts
 * import type { StoredEntry } from "./cache_store.ts";
 * const e: StoredEntry = { path: "ingestion/gravity/k", dir: "/c/ingestion/gravity/k", pinned: false, attributes: {} };
 * ```
 */
export interface StoredEntry {
  /** Entry path relative to the store root, `/`-separated. */
  path: string;
  /** Local folder holding the entry's Zarr group (readable while the entry is not deleted). */
  dir: string;
  /** Whether the entry is pinned (never evicted). */
  pinned: boolean;
  /** The Zarr group's attributes (`zarr.json` `attributes`). */
  attributes: Record<string, unknown>;
}

/**
 * An entry as {@linkcode CacheStore.list} reports it, with what the sweeper needs.
 *
 * @example Usage
 * ```ts
 * import type { StoredEntryInfo } from "./cache_store.ts";
 * const bytes = (e: StoredEntryInfo) => e.sizeBytes;
 * ```
 */
export interface StoredEntryInfo extends StoredEntry {
  /** Bytes of all files in the entry folder. */
  sizeBytes: number;
  /** Last time the entry was written or read (least-recently-used order). */
  lastAccess: Date;
}

/**
 * Storage of cache entries. Every method takes entry paths made of 1 to 8 segments of
 * `[A-Za-z0-9._-]` (no `.`/`..`); anything else is a {@linkcode CacheKeyError}.
 *
 * Guarantees an implementation must give:
 * - `put` publishes an entry atomically: readers see the old entry, no entry, or the complete
 *   new one, never a partial one, even when the writing process is killed.
 * - `lock` excludes every other holder of the same path, in this and other processes.
 *
 * @example Usage
 * ```ts
 * import { FsCacheStore } from "./fs_cache_store.ts";
 * import type { CacheStore } from "./cache_store.ts";
 * const store: CacheStore = new FsCacheStore(await Deno.makeTempDir());
 * console.log(await store.list());
 * ```
 */
export interface CacheStore {
  /** Where the store lives, for messages (a folder, a URL). */
  readonly location: string;
  /** The complete entry at `path`, or `undefined`. Records the access for LRU. */
  get(path: string): Promise<StoredEntry | undefined>;
  /**
   * Writes an entry: `fill(dir)` writes the Zarr group into a fresh private folder; when it
   * resolves the folder replaces any entry at `path` in one step. If `fill` throws, nothing is
   * published and the folder is removed. Pinning of `path` is kept.
   */
  put(path: string, fill: (dir: string) => Promise<void>): Promise<StoredEntryInfo>;
  /** Removes the entry; resolves to whether one existed. */
  delete(path: string): Promise<boolean>;
  /**
   * Moves the entry aside (out of reach of `get`) for later inspection; resolves to where it
   * went, or `undefined` when there was no entry.
   */
  quarantine(path: string): Promise<string | undefined>;
  /** Every complete entry whose path starts with `prefix` (segment-wise). */
  list(prefix?: string): Promise<StoredEntryInfo[]>;
  /** Pins or unpins `path` (an entry need not exist yet). */
  setPinned(path: string, pinned: boolean): Promise<void>;
  /** Waits for the exclusive lock of `path`; dispose the result to release it. */
  lock(path: string): Promise<AsyncDisposable>;
  /**
   * Like {@linkcode lock} but does not wait: `undefined` when another holder has the lock.
   */
  tryLock(path: string): Promise<AsyncDisposable | undefined>;
  /**
   * Removes leftovers: temporary folders of writers that died, quarantined entries older than
   * `quarantineMaxAgeSeconds`. Resolves to how many were removed and their bytes.
   */
  cleanLeftovers(
    options?: { quarantineMaxAgeSeconds?: number; now?: Date },
  ): Promise<{ removed: number; bytes: number }>;
  /** Removes every entry, pin, quarantined entry and leftover. */
  clear(): Promise<void>;
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * Checks an entry path (`a/b/c`, 1 to 8 segments of `[A-Za-z0-9._-]`, none `.` or `..`) and
 * returns its segments; throws {@linkcode CacheKeyError} naming the path otherwise.
 *
 * @param path The entry path.
 * @param what What the path is, for the message.
 *
 * @example Usage
 * ```ts
 * import { entrySegments } from "./cache_store.ts";
 * entrySegments("ingestion/gravity/abc"); // ["ingestion", "gravity", "abc"]
 * ```
 */
export function entrySegments(path: string, what = "Cache entry path"): string[] {
  if (typeof path !== "string" || path === "") {
    throw new CacheKeyError(`${what} must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  const segments = path.split("/");
  const bad = segments.find((s) => !SEGMENT.test(s) || s === "." || s === "..");
  if (bad !== undefined || segments.length > 8) {
    throw new CacheKeyError(
      `${what} "${path}" is not allowed: expected 1 to 8 "/"-separated segments of ` +
        `[A-Za-z0-9._-] (not "." or "..")` + (bad !== undefined ? `, found "${bad}"` : ""),
    );
  }
  return segments;
}

/**
 * Checks one path segment (a modality, a key): `[A-Za-z0-9._-]+`, not `.` or `..`; throws
 * {@linkcode CacheKeyError} naming `what` otherwise.
 *
 * @param value The segment.
 * @param what What it is, for the message (e.g. "Ingestion cache key").
 *
 * @example Usage
 * ```ts
 * import { checkSegment } from "./cache_store.ts";
 * checkSegment("gravity", "Modality");
 * ```
 */
export function checkSegment(value: string, what: string): string {
  if (typeof value !== "string" || !SEGMENT.test(value) || value === "." || value === "..") {
    throw new CacheKeyError(
      `${what} ${JSON.stringify(value)} is not allowed: expected [A-Za-z0-9._-]+ (not "." or "..")`,
    );
  }
  return value;
}
