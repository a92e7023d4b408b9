/**
 * The cache's Prometheus metrics: `gam_cache_requests_total{layer,outcome}` (outcome `hit`,
 * `miss`, `stale`, `corrupt`), `gam_cache_bytes{layer}` and `gam_cache_evictions_total`.
 *
 * @module
 */
import {
  type Counter,
  defaultRegistry,
  type Gauge,
  type MetricsRegistry,
} from "../observability/metrics/mod.ts";

/**
 * A cache layer: `ingestion` (fetched `RawData`) or `preprocessing` (processed grids).
 *
 * @example Usage
 * ```ts
 * import type { CacheLayer } from "./cache_metrics.ts";
 * const layer: CacheLayer = "ingestion";
 * ```
 */
export type CacheLayer = "ingestion" | "preprocessing";

/**
 * Outcome of a cache request: `hit` (fresh entry served), `miss` (nothing usable: fetched or
 * failed), `stale` (an expired entry served), `corrupt` (an entry failed its integrity check and
 * was quarantined; the request then counts as a miss too).
 *
 * @example Usage
 * ```ts
 * import type { CacheOutcome } from "./cache_metrics.ts";
 * const o: CacheOutcome = "stale";
 * ```
 */
export type CacheOutcome = "hit" | "miss" | "stale" | "corrupt";

/** The cache's metric handles. */
export interface CacheMetrics {
  /** `gam_cache_requests_total{layer,outcome}`. */
  requests: Counter<"layer" | "outcome">;
  /** `gam_cache_bytes{layer}`: bytes on disk (exact after each sweep, grown by writes). */
  bytes: Gauge<"layer">;
  /** `gam_cache_evictions_total`: entries removed by the sweeper. */
  evictions: Counter;
}

/**
 * Registers (idempotently) and returns the cache metrics in `registry`.
 *
 * @param registry Where to register. @default defaultRegistry
 *
 * @example Usage
 * ```ts
 * import { cacheMetrics } from "./cache_metrics.ts";
 * import { MetricsRegistry } from "../observability/metrics/mod.ts";
 * const m = cacheMetrics(new MetricsRegistry());
 * m.requests.inc({ layer: "ingestion", outcome: "hit" });
 * ```
 */
export function cacheMetrics(registry: MetricsRegistry = defaultRegistry): CacheMetrics {
  return {
    requests: registry.counter({
      name: "gam_cache_requests_total",
      help: "Cache requests by layer and outcome (hit, miss, stale, corrupt).",
      labelNames: ["layer", "outcome"],
    }),
    bytes: registry.gauge({
      name: "gam_cache_bytes",
      help: "Bytes of cache entries on disk by layer.",
      labelNames: ["layer"],
    }),
    evictions: registry.counter({
      name: "gam_cache_evictions_total",
      help: "Cache entries removed by the sweeper (byte limit or expiry).",
    }),
  };
}
