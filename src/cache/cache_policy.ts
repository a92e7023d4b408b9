/**
 * The cache policy of a modality (`modalities.<name>.cache` in the config): TTL, byte limit,
 * pinning, codec, verified-read fraction and chunk size. The type is the config schema's output,
 * so the config and the cache cannot drift apart.
 *
 * @module
 */
import type { z } from "zod";
import { CachePolicySchema } from "../config/mod.ts";

/**
 * A modality's cache policy: `ttl` (seconds), `maxBytes` (bytes), `pin`, `compression`
 * (`none` | `gzip` | `zstd`), `verifyOnRead` (fraction 0 to 1 of reads that also recompute the
 * canonical SHA-256; every read checks the fast storage digest), `chunkSize` (cells per 2-D
 * chunk edge).
 *
 * @example Usage
 * ```ts
 * import type { CachePolicy } from "./cache_policy.ts";
 * const p: CachePolicy = {
 *   ttl: 3600, maxBytes: 1e9, pin: false, compression: "zstd", verifyOnRead: 0.1, chunkSize: 256,
 * };
 * ```
 */
export type CachePolicy = z.output<typeof CachePolicySchema>;

/**
 * The config's defaults: TTL 7 days, 2 GiB, not pinned, no compression, storage digest on every
 * read and SHA-256 on one read in ten, 1024-cell chunks.
 *
 * @example Usage
 * ```ts
 * import { DEFAULT_CACHE_POLICY } from "./cache_policy.ts";
 * DEFAULT_CACHE_POLICY.ttl; // 604800
 * ```
 */
export const DEFAULT_CACHE_POLICY: Readonly<CachePolicy> = Object.freeze(
  CachePolicySchema.parse({}),
);

/**
 * How a cache finds a modality's policy: one policy for all, a map by modality (missing
 * modalities get {@linkcode DEFAULT_CACHE_POLICY}), or a function.
 *
 * @example Usage
 * ```ts
 * import type { CachePolicySource } from "./cache_policy.ts";
 * const byModality: CachePolicySource = { gravity: { ttl: 60 } };
 * ```
 */
export type CachePolicySource =
  | Partial<CachePolicy>
  | Record<string, Partial<CachePolicy>>
  | ((modality: string) => Partial<CachePolicy> | undefined);

const POLICY_KEYS = new Set(Object.keys(DEFAULT_CACHE_POLICY));

/**
 * Resolves the policy of `modality` from a {@linkcode CachePolicySource}, filling gaps with
 * {@linkcode DEFAULT_CACHE_POLICY}.
 *
 * @param source Policies.
 * @param modality Modality name.
 *
 * @example Usage
 * ```ts
 * import { resolvePolicy } from "./cache_policy.ts";
 * resolvePolicy({ gravity: { ttl: 60 } }, "gravity").ttl; // 60
 * resolvePolicy({ ttl: 5 }, "magnetic").ttl; // 5
 * ```
 */
export function resolvePolicy(
  source: CachePolicySource | undefined,
  modality: string,
): CachePolicy {
  let found: Partial<CachePolicy> | undefined;
  if (typeof source === "function") found = source(modality);
  else if (source !== undefined) {
    const keys = Object.keys(source);
    const isPolicy = keys.length === 0 || keys.every((k) => POLICY_KEYS.has(k));
    found = isPolicy
      ? source as Partial<CachePolicy>
      : (source as Record<string, Partial<CachePolicy>>)[modality];
  }
  return { ...DEFAULT_CACHE_POLICY, ...(found ?? {}) };
}
