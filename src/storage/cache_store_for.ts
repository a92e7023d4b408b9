/**
 * The cache store a command uses: the local folder alone, or (with a `storage:` section whose
 * `cacheMirror.enabled` is true, the default) the {@linkcode CacheMirror} over it, with the
 * bucket's `[<prefix>/]<phase>/<cacheMirror.prefix>/` as the second layer.
 *
 * @module
 */
import type { CacheStore } from "../cache/mod.ts";
import { FsCacheStore } from "../cache/mod.ts";
import type { GamConfig } from "../config/mod.ts";
import type { Logger } from "../observability/mod.ts";
import type { MetricsRegistry } from "../observability/metrics/mod.ts";
import { CacheMirror } from "./cache_mirror.ts";
import { openObjectStore } from "./from_config.ts";
import { phaseRoot } from "./layout.ts";
import type { ObjectStore } from "./object_store.ts";

/** What {@linkcode openCacheStore} opened. */
export interface OpenedCacheStore {
  /** The store the caches use. */
  store: CacheStore;
  /** The mirror, when the bucket is the second layer (flush and close it before exit). */
  mirror?: CacheMirror;
  /** The bucket the mirror uses (close it after the mirror). */
  bucket?: ObjectStore & { close?: () => void };
}

/**
 * The key prefix of the cache in the bucket, without trailing slash.
 *
 * @example Usage
 * ```ts
 * import { cacheMirrorPrefix } from "./cache_store_for.ts";
 * cacheMirrorPrefix({ phase: "phase1", cacheMirror: { prefix: "cache" } }); // "phase1/cache"
 * ```
 */
export function cacheMirrorPrefix(
  storage: { prefix?: string; phase: string; cacheMirror: { prefix: string } },
): string {
  return `${phaseRoot(storage)}${storage.cacheMirror.prefix}`;
}

/**
 * Opens the cache store of `config` (the mirror when storage is configured, see the module).
 *
 * It needs an S3 server: exercised by src/storage/cache_mirror_test.ts.
 */
export function openCacheStore(
  config: Pick<GamConfig, "defaults" | "storage" | "auth">,
  options: { logger?: Logger; metrics?: MetricsRegistry; local?: FsCacheStore } = {},
): OpenedCacheStore {
  const local = options.local ?? new FsCacheStore(config.defaults.cacheDir);
  const storage = config.storage;
  if (storage === undefined || !storage.cacheMirror.enabled) return { store: local };
  const bucket = openObjectStore(config)!;
  const mirror = new CacheMirror(local, {
    bucket,
    prefix: cacheMirrorPrefix(storage),
    logger: options.logger,
    metrics: options.metrics,
    // The bucket is created (versioned) before the first upload when it does not exist yet.
    prepare: () => bucket.ensureBucket(),
  });
  return { store: mirror, mirror, bucket };
}
