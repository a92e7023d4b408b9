/**
 * Rehydration: rebuilding the local cache from the bucket. A run's `manifest.json` lists the
 * cache entries the run read or wrote (`cacheEntries`, per modality); each one missing locally
 * is downloaded from the bucket's cache prefix through {@linkcode CacheMirror.fetchRemote}
 * (checksum checked, published atomically), so a rerun of the same bbox is served from the
 * cache without asking the source.
 *
 * @module
 */
import type { Repository } from "../persistence/mod.ts";
import type { CacheMirror } from "./cache_mirror.ts";
import type { ObjectStore } from "./object_store.ts";

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
 * It needs an S3 server: exercised by src/storage/cache_mirror_test.ts.
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

/** Where a run's manifest was found. */
export interface RunManifestRef {
  /** The run id. */
  runId: string;
  /** Object key of its `manifest.json`. */
  key: string;
  /** Its version id, when recorded. */
  versionId?: string;
}

/** Thrown when no uploaded manifest of a run can be found. */
export class RunNotInBucketError extends Error {
  /** The run id. */
  readonly runId: string;
  /**
   * @param runId The run.
   * @param where Where it was looked for.
   */
  constructor(runId: string, where: string) {
    super(
      `No manifest of run "${runId}" in the bucket (looked in ${where}); was the run pushed ` +
        `(gam storage push ${runId})?`,
    );
    this.name = "RunNotInBucketError";
    this.runId = runId;
  }
}

/**
 * The manifest of `runId` in the bucket: the one the database recorded when the run was pushed
 * (metadata key `storage`, with its version id), else the newest
 * `<root>/{preprocessing,ingestion}/<date>/<run-id>/manifest.json` found by listing.
 *
 * It needs an S3 server: exercised by tests/storage/dr_drill_test.ts.
 */
export async function findRunManifest(
  store: ObjectStore,
  root: string,
  runId: string,
  repo?: Pick<Repository, "listMetadata">,
): Promise<RunManifestRef> {
  const records = repo ? await repo.listMetadata(runId, "storage").catch(() => []) : [];
  const recorded = records.at(-1)?.value as
    | { manifests?: Record<string, { key?: string; versionId?: string }> }
    | undefined;
  const m = recorded?.manifests?.preprocessing ?? recorded?.manifests?.ingestion;
  if (m?.key !== undefined) {
    return { runId, key: m.key, ...(m.versionId !== undefined ? { versionId: m.versionId } : {}) };
  }
  for (const kind of ["preprocessing", "ingestion"]) {
    const found: string[] = [];
    for await (const o of store.list(`${root}${kind}/`)) {
      if (o.key.endsWith(`/${runId}/manifest.json`)) found.push(o.key);
    }
    if (found.length > 0) return { runId, key: found.sort().at(-1)! };
  }
  throw new RunNotInBucketError(runId, `the database and ${root}{preprocessing,ingestion}/`);
}

/**
 * Rehydrates the cache entries of one run: reads its manifest from the bucket
 * ({@linkcode findRunManifest}) and brings back every entry it lists.
 *
 * It needs an S3 server: exercised by tests/storage/dr_drill_test.ts.
 */
export async function rehydrateRun(
  mirror: CacheMirror,
  store: ObjectStore,
  options: { root: string; runId: string; repo?: Pick<Repository, "listMetadata"> },
): Promise<RehydrateReport & { manifest: string }> {
  const ref = await findRunManifest(store, options.root, options.runId, options.repo);
  const { bytes } = await store.getBytes(ref.key, { versionId: ref.versionId });
  const manifest = JSON.parse(new TextDecoder().decode(bytes));
  const report = await rehydrateEntries(mirror, entriesOfManifest(manifest));
  return { ...report, manifest: store.uri(ref.key, ref.versionId) };
}
