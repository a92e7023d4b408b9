/**
 * Rehydration: rebuilding the local cache from the bucket. A run's `manifest.json` lists the
 * cache entries the run read or wrote (`cacheEntries`, per modality); each one missing locally
 * is downloaded from the bucket's cache prefix through {@linkcode CacheMirror.fetchRemote}
 * (checksum checked, published atomically), so a rerun of the same bbox is served from the
 * cache without asking the source.
 *
 * @module
 */
import type { CacheMirror } from "./cache_mirror.ts";

/** What {@linkcode rehydrateEntries} did, entry by entry. */
export interface RehydrateReport {
  /** Downloaded from the bucket now. */
  fetched: string[];
  /** Already in the local cache. */
  present: string[];
  /** Not in the bucket, or failing its checksum there (see the log). */
  missing: string[];
}

/**
 * The cache entries a run manifest lists (`cacheEntries: { <modality>: [path, ...] }`),
 * without duplicates, in order.
 *
 * @example Usage
 * ```ts
 * import { entriesOfManifest } from "./rehydrate.ts";
 * entriesOfManifest({ cacheEntries: { gravity: ["ingestion/gravity/k"] } }); // ["ingestion/gravity/k"]
 * ```
 */
export function entriesOfManifest(manifest: unknown): string[] {
  const listed = (manifest as { cacheEntries?: unknown } | null)?.cacheEntries;
  if (listed === undefined || listed === null || typeof listed !== "object") return [];
  const out = new Set<string>();
  for (const paths of Object.values(listed as Record<string, unknown>)) {
    if (!Array.isArray(paths)) continue;
    for (const p of paths) if (typeof p === "string" && p !== "") out.add(p);
  }
  return [...out];
}

/**
 * Brings every entry of `paths` that is missing locally back from the bucket.
 *
 * @example Usage
 * ```ts ignore
 * const report = await rehydrateEntries(mirror, entriesOfManifest(manifest));
 * ```
 */
export async function rehydrateEntries(
  mirror: CacheMirror,
  paths: readonly string[],
): Promise<RehydrateReport> {
  const report: RehydrateReport = { fetched: [], present: [], missing: [] };
  for (const path of [...new Set(paths)]) {
    if ((await mirror.local.get(path)) !== undefined) {
      report.present.push(path);
    } else if (await mirror.fetchRemote(path)) {
      report.fetched.push(path);
    } else {
      report.missing.push(path);
    }
  }
  return report;
}
