/**
 * The cache sweeper: keeps each modality's entries under its byte limit and removes leftovers.
 *
 * Policy, per modality (its `maxBytes` covers its ingestion and preprocessing entries together):
 * 1. Leftovers go first: temporary folders of writers that died (their OS lock is free),
 *    half-deleted folders, quarantined entries older than `quarantineMaxAgeSeconds`.
 * 2. Entries expired for longer than `maxStaleSeconds` are removed: past that age a stale
 *    fallback is more misleading than useful.
 * 3. While the modality is over its byte limit, unpinned entries are evicted: expired ones
 *    first (least recently used first), then fresh ones by least recent use.
 *    Expired entries within the limit stay: they are the stale fallback when a source is down.
 * Pinned entries are never removed, and an entry whose lock is held (being rewritten or
 * fetched) is skipped until the next sweep.
 *
 * @module
 */
import type { CacheStore, StoredEntryInfo } from "./cache_store.ts";
import { type CachePolicySource, resolvePolicy } from "./cache_policy.ts";
import { type CacheLayer, cacheMetrics } from "./cache_metrics.ts";
import { createLogger, type Logger } from "../observability/mod.ts";
import type { MetricsRegistry } from "../observability/metrics/mod.ts";

/** Options of {@linkcode sweepCache}. */
export interface SweepOptions {
  /** Policies by modality (for `maxBytes`). @default DEFAULT_CACHE_POLICY */
  policy?: CachePolicySource;
  /** Remove entries expired for longer than this, seconds. @default 2592000 (30 days) */
  maxStaleSeconds?: number;
  /** Remove quarantined entries older than this, seconds. @default 604800 (7 days) */
  quarantineMaxAgeSeconds?: number;
  /** Clock. @default new Date() */
  now?: Date;
  /** Registry of the cache metrics. @default defaultRegistry */
  metrics?: MetricsRegistry;
  /** Logger for evictions (debug) and the summary (info). */
  logger?: Logger;
}

/**
 * One removed entry.
 *
 * @example Usage
 * ```ts
 * import type { Eviction } from "./sweeper.ts";
 * const e: Eviction = { path: "ingestion/gravity/k", sizeBytes: 10, reason: "lru" };
 * ```
 */
export interface Eviction {
  /** Entry path. */
  path: string;
  /** Bytes freed. */
  sizeBytes: number;
  /** `expired` (stale past `maxStaleSeconds`), `expired-over-limit`, or `lru`. */
  reason: "expired" | "expired-over-limit" | "lru";
}

/**
 * What a sweep did.
 *
 * @example Usage
 * ```ts
 * import type { SweepReport } from "./sweeper.ts";
 * const freed = (r: SweepReport) => r.freedBytes;
 * ```
 */
export interface SweepReport {
  /** Entries removed, in order. */
  evicted: Eviction[];
  /** Leftover folders removed (dead writers' temp folders, trash, old quarantine). */
  leftoversRemoved: number;
  /** Bytes freed in all. */
  freedBytes: number;
  /** Bytes remaining per layer. */
  bytesByLayer: Record<CacheLayer, number>;
  /** Bytes remaining per modality, with the limit applied. */
  modalities: Record<string, { bytes: number; maxBytes: number; entries: number }>;
  /** Entries skipped because their lock was held. */
  skippedLocked: number;
}

function expiresAt(e: StoredEntryInfo): number | undefined {
  const gam = e.attributes.gam as { expiresAt?: unknown } | undefined;
  const t = typeof gam?.expiresAt === "string" ? Date.parse(gam.expiresAt) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/**
 * Sweeps the cache once (see the module doc for the policy) and updates
 * `gam_cache_evictions_total` and `gam_cache_bytes{layer}`.
 *
 * @param store The cache store.
 * @param options Policies, limits, clock.
 *
 * @example Usage
 * ```ts
 * import { FsCacheStore } from "./fs_cache_store.ts";
 * import { sweepCache } from "./sweeper.ts";
 * const report = await sweepCache(new FsCacheStore(await Deno.makeTempDir()), {
 *   policy: { maxBytes: 1e9 },
 * });
 * report.evicted.length; // 0
 * ```
 */
export async function sweepCache(
  store: CacheStore,
  options: SweepOptions = {},
): Promise<SweepReport> {
  const now = (options.now ?? new Date()).getTime();
  const maxStale = (options.maxStaleSeconds ?? 30 * 86400) * 1000;
  const metrics = cacheMetrics(options.metrics);
  const log = (options.logger ?? createLogger({ level: "warn" })).child({ component: "cache" });
  const left = await store.cleanLeftovers({
    quarantineMaxAgeSeconds: options.quarantineMaxAgeSeconds,
    now: options.now,
  });
  const report: SweepReport = {
    evicted: [],
    leftoversRemoved: left.removed,
    freedBytes: left.bytes,
    bytesByLayer: { ingestion: 0, preprocessing: 0 },
    modalities: {},
    skippedLocked: 0,
  };
  const byModality = new Map<string, StoredEntryInfo[]>();
  for (const e of await store.list()) {
    const [layer, modality] = e.path.split("/");
    if ((layer !== "ingestion" && layer !== "preprocessing") || modality === undefined) continue;
    byModality.set(modality, [...(byModality.get(modality) ?? []), e]);
  }
  const evict = async (e: StoredEntryInfo, reason: Eviction["reason"]): Promise<boolean> => {
    const lock = await store.tryLock(e.path);
    if (lock === undefined) {
      report.skippedLocked++;
      return false;
    }
    try {
      if (!(await store.delete(e.path))) return false;
    } finally {
      await lock[Symbol.asyncDispose]();
    }
    report.evicted.push({ path: e.path, sizeBytes: e.sizeBytes, reason });
    report.freedBytes += e.sizeBytes;
    metrics.evictions.inc();
    log.debug("cache entry evicted", { entry: e.path, reason, sizeBytes: e.sizeBytes });
    return true;
  };
  for (const [modality, entries] of [...byModality].sort(([a], [b]) => a < b ? -1 : 1)) {
    const maxBytes = resolvePolicy(options.policy, modality).maxBytes;
    let kept: StoredEntryInfo[] = [];
    for (const e of entries) {
      const exp = expiresAt(e);
      const longExpired = exp !== undefined && now - exp > maxStale;
      if (longExpired && !e.pinned && await evict(e, "expired")) continue;
      kept.push(e);
    }
    let total = kept.reduce((s, e) => s + e.sizeBytes, 0);
    if (total > maxBytes) {
      const isExpired = (e: StoredEntryInfo) => (expiresAt(e) ?? Infinity) <= now;
      const order = kept.filter((e) => !e.pinned).sort((a, b) =>
        Number(isExpired(b)) - Number(isExpired(a)) ||
        a.lastAccess.getTime() - b.lastAccess.getTime()
      );
      const gone = new Set<string>();
      for (const e of order) {
        if (total <= maxBytes) break;
        if (await evict(e, isExpired(e) ? "expired-over-limit" : "lru")) {
          total -= e.sizeBytes;
          gone.add(e.path);
        }
      }
      kept = kept.filter((e) => !gone.has(e.path));
    }
    for (const e of kept) report.bytesByLayer[e.path.split("/")[0] as CacheLayer] += e.sizeBytes;
    report.modalities[modality] = { bytes: total, maxBytes, entries: kept.length };
  }
  for (const layer of ["ingestion", "preprocessing"] as const) {
    metrics.bytes.set({ layer }, report.bytesByLayer[layer]);
  }
  log.info("cache swept", {
    evicted: report.evicted.length,
    freedBytes: report.freedBytes,
    leftoversRemoved: report.leftoversRemoved,
  });
  return report;
}

/**
 * Runs {@linkcode sweepCache} every `intervalSeconds` in a long-running process (`gam serve`).
 * A sweep never overlaps the previous one; errors are logged, not thrown. `stop()` waits for a
 * running sweep to finish.
 *
 * @param store The cache store.
 * @param intervalSeconds Time between sweeps, seconds (> 0).
 * @param options As for {@linkcode sweepCache} (`now` is ignored: each sweep uses the clock).
 *
 * @example Usage
 * ```ts
 * import { FsCacheStore } from "./fs_cache_store.ts";
 * import { startSweeper } from "./sweeper.ts";
 * const sweeper = startSweeper(new FsCacheStore(await Deno.makeTempDir()), 3600);
 * await sweeper.stop();
 * ```
 */
export function startSweeper(
  store: CacheStore,
  intervalSeconds: number,
  options: Omit<SweepOptions, "now"> = {},
): { stop(): Promise<void>; sweepNow(): Promise<SweepReport | undefined> } {
  if (!(intervalSeconds > 0)) {
    throw new RangeError(`Sweep interval must be > 0 seconds, got ${intervalSeconds}`);
  }
  const log = (options.logger ?? createLogger({ level: "warn" })).child({ component: "cache" });
  let running: Promise<SweepReport | undefined> | undefined;
  const sweepNow = () => {
    running ??= sweepCache(store, options)
      .catch((error) => {
        log.error("cache sweep failed", { error });
        return undefined;
      })
      .finally(() => (running = undefined));
    return running;
  };
  const timer = setInterval(sweepNow, intervalSeconds * 1000);
  return {
    sweepNow,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
