/**
 * Retention (`gam storage prune --dry-run`): what the `retention:` ages let go, in four places
 * (run folders, cache entries, objects in the bucket, database rows of runs), and what must stay
 * whatever its age:
 *
 * - the `keepLastRuns` most recent runs;
 * - every run younger than `runFolders` (all runs when it is unset);
 * - pinned cache entries;
 * - anything a kept run's manifest references: cache entries by content (the raw data's and
 *   grids' canonical checksums the manifest records) and objects by key (its `storage` section).
 *
 * {@linkcode planPrune} is the pure decision; {@linkcode gatherPruneInputs} reads the inputs.
 *
 * @module
 */
import type { RetentionConfig } from "../config/mod.ts";
import type { FsCacheStore } from "../cache/mod.ts";
import type { SqlClient } from "../persistence/mod.ts";
import type { ObjectStore } from "./object_store.ts";

/** A run as retention sees it. */
export interface RunInfo {
  /** Run id. */
  runId: string;
  /** When it started. */
  startedAt: Date;
  /** Its local folder, when there is one. */
  runDir?: string;
  /** Whether the database has its row. */
  inDatabase: boolean;
  /** Status (`running` runs are never pruned). */
  status: string;
  /** What its manifest references (none when the folder or manifest is gone). */
  references: { checksums: string[]; objectKeys: string[] };
}

/** A cache entry as retention sees it. */
export interface CacheEntryInfo {
  /** Entry path (`ingestion/...` or `preprocessing/...`). */
  path: string;
  /** When it was cached. */
  cachedAt?: Date;
  /** Pinned entries are never pruned. */
  pinned: boolean;
  /** Canonical checksum of its data. */
  checksum?: string;
  /** Bytes. */
  sizeBytes: number;
}

/** An object version in the bucket. */
export interface ObjectVersionInfo {
  /** Key. */
  key: string;
  /** Version id. */
  versionId?: string;
  /** Bytes. */
  size: number;
  /** When it was written. */
  lastModified?: Date;
}

/** Inputs of {@linkcode planPrune}. */
export interface PruneInputs {
  /** The clock. */
  now: Date;
  /** The `retention:` section. */
  retention: RetentionConfig;
  /** Every known run (folders and database rows, merged by id). */
  runs: RunInfo[];
  /** Every cache entry. */
  cacheEntries: CacheEntryInfo[];
  /** Every object version under the layout root, and the root (`[<prefix>/]<phase>/`). */
  bucket?: { root: string; objects: ObjectVersionInfo[] };
}

/** One thing to remove, with why. */
export interface PruneItem {
  /** Run id, cache path or object key. */
  id: string;
  /** Version id (objects). */
  versionId?: string;
  /** Run folder (run folders). */
  path?: string;
  /** Bytes freed, when known. */
  bytes?: number;
  /** Why it goes. */
  reason: string;
}

/** What would go, and what was kept because something protects it. */
export interface PrunePlan {
  /** Run folders to remove. */
  runFolders: PruneItem[];
  /** Runs whose database rows (and metadata) go. */
  databaseRuns: PruneItem[];
  /** Cache entries to remove. */
  cacheEntries: PruneItem[];
  /** Object versions to remove. */
  objects: PruneItem[];
  /** Old enough to go but kept, with what protects them. */
  protected: PruneItem[];
  /** Runs kept. */
  keptRuns: string[];
}

const DAY = 86_400;

function ageSeconds(now: Date, t: Date | undefined): number | undefined {
  return t === undefined ? undefined : (now.getTime() - t.getTime()) / 1000;
}

function days(seconds: number): string {
  return `${Math.floor(seconds / DAY)} d`;
}

/**
 * Decides what retention removes; see the module documentation.
 *
 * @param inputs Runs, cache entries, bucket objects, the ages and the clock.
 * @returns The plan (nothing is removed here).
 *
 * @example Usage
 * ```ts
 * import { planPrune } from "./retention.ts";
 * const plan = planPrune({
 *   now: new Date("2026-12-04T00:00:00Z"),
 *   retention: { keepLastRuns: 0, runFolders: 30 * 86400 },
 *   runs: [{
 *     runId: "old", startedAt: new Date("2026-01-01T00:00:00Z"), runDir: "out/runs/old",
 *     inDatabase: false, status: "succeeded", references: { checksums: [], objectKeys: [] },
 *   }],
 *   cacheEntries: [],
 * });
 * plan.runFolders.map((r) => r.id); // ["old"]
 * ```
 */
export function planPrune(inputs: PruneInputs): PrunePlan {
  const { now, retention: r } = inputs;
  const plan: PrunePlan = {
    runFolders: [],
    databaseRuns: [],
    cacheEntries: [],
    objects: [],
    protected: [],
    keptRuns: [],
  };
  const byRecency = [...inputs.runs].sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime());
  const lastN = new Set(byRecency.slice(0, r.keepLastRuns).map((x) => x.runId));
  const expired = new Set<string>();
  for (const run of byRecency) {
    const age = ageSeconds(now, run.startedAt)!;
    const old = r.runFolders !== undefined && age >= r.runFolders;
    if (!old || lastN.has(run.runId) || run.status === "running") {
      plan.keptRuns.push(run.runId);
      if (old) {
        plan.protected.push({
          id: run.runId,
          reason: run.status === "running"
            ? "run folder: still running"
            : `run folder: one of the ${r.keepLastRuns} most recent runs (keepLastRuns)`,
        });
      }
      continue;
    }
    expired.add(run.runId);
    if (run.runDir !== undefined) {
      plan.runFolders.push({
        id: run.runId,
        path: run.runDir,
        reason: `run started ${days(age)} ago (runFolders: ${days(r.runFolders!)})`,
      });
    }
  }
  for (const run of byRecency) {
    if (!run.inDatabase || r.databaseRows === undefined || run.status === "running") continue;
    const age = ageSeconds(now, run.startedAt)!;
    if (age < r.databaseRows) continue;
    if (lastN.has(run.runId)) {
      plan.protected.push({ id: run.runId, reason: "database rows: keepLastRuns" });
      continue;
    }
    plan.databaseRuns.push({
      id: run.runId,
      reason: `run started ${days(age)} ago (databaseRows: ${days(r.databaseRows)})`,
    });
  }

  // What kept runs reference, and by which run (for the messages).
  const keptChecksums = new Map<string, string>();
  const keptKeys = new Map<string, string>();
  for (const run of inputs.runs) {
    if (expired.has(run.runId)) continue;
    for (const c of run.references.checksums) keptChecksums.set(c, run.runId);
    for (const k of run.references.objectKeys) keptKeys.set(k, run.runId);
  }

  for (const e of inputs.cacheEntries) {
    const layer = e.path.split("/")[0];
    const limit = layer === "ingestion"
      ? r.raw
      : layer === "preprocessing"
      ? r.processed
      : undefined;
    const age = ageSeconds(now, e.cachedAt);
    if (limit === undefined || age === undefined || age < limit) continue;
    const why = `${layer} entry cached ${days(age)} ago (${
      layer === "ingestion" ? "raw" : "processed"
    }: ${days(limit)})`;
    const by = e.checksum === undefined ? undefined : keptChecksums.get(e.checksum);
    if (e.pinned) plan.protected.push({ id: e.path, reason: `${why}, but pinned` });
    else if (by !== undefined) {
      plan.protected.push({ id: e.path, reason: `${why}, but kept run ${by} references its data` });
    } else plan.cacheEntries.push({ id: e.path, bytes: e.sizeBytes, reason: why });
  }

  if (inputs.bucket) {
    const { root } = inputs.bucket;
    for (const o of inputs.bucket.objects) {
      if (!o.key.startsWith(root)) continue;
      const [kind, , runId] = o.key.slice(root.length).split("/");
      const limit = kind === "ingestion"
        ? r.raw
        : kind === "preprocessing"
        ? r.processed
        : undefined;
      const age = ageSeconds(now, o.lastModified);
      const reasons: string[] = [];
      if (runId !== undefined && expired.has(runId)) reasons.push(`its run ${runId} expired`);
      if (limit !== undefined && age !== undefined && age >= limit) {
        reasons.push(
          `written ${days(age)} ago (${kind === "ingestion" ? "raw" : "processed"}: ${
            days(limit)
          })`,
        );
      }
      if (reasons.length === 0) continue;
      const by = keptKeys.get(o.key);
      const item = { id: o.key, versionId: o.versionId, bytes: o.size, reason: reasons.join("; ") };
      if (by !== undefined) {
        plan.protected.push({
          ...item,
          reason: `${item.reason}, but kept run ${by} references it`,
        });
      } else plan.objects.push(item);
    }
  }
  return plan;
}

/** A checksum as `sha256:<hex>` (manifests record the raw data's as bare hex). */
function normalChecksum(c: string): string {
  return c.startsWith("sha256:") ? c : `sha256:${c}`;
}

/** What a run folder's `manifest.json` references. */
function referencesOf(manifest: Record<string, unknown>): RunInfo["references"] {
  const checksums = new Set<string>();
  const objectKeys = new Set<string>();
  for (
    const p of Object.values((manifest.plugins ?? {}) as Record<string, { checksum?: string }>)
  ) {
    if (typeof p.checksum === "string") checksums.add(normalChecksum(p.checksum));
  }
  for (const m of (manifest.modalities ?? []) as { grids?: { checksum?: string }[] }[]) {
    for (const g of m.grids ?? []) {
      if (typeof g.checksum === "string") checksums.add(normalChecksum(g.checksum));
    }
  }
  const storage = (manifest.storage ?? {}) as { objects?: Record<string, { key?: string }> };
  for (const o of Object.values(storage.objects ?? {})) {
    if (typeof o.key === "string") objectKeys.add(o.key);
  }
  return { checksums: [...checksums], objectKeys: [...objectKeys] };
}

/**
 * Reads what {@linkcode planPrune} needs: run folders under `<outputDir>/runs`, database runs,
 * cache entries, and the bucket's object versions under the layout root.
 *
 * @param options Where to look; each source is optional.
 * @returns The inputs (with `now` the current time).
 *
 * @example Usage
 * ```ts
 * import { gatherPruneInputs, planPrune } from "./retention.ts";
 * import { RetentionSchema } from "../config/mod.ts";
 * const outputDir = await Deno.makeTempDir({ prefix: "gam-doc-prune-" });
 * try {
 *   const retention = RetentionSchema.parse({ runFolders: "30d" });
 *   const plan = planPrune(await gatherPruneInputs({ outputDir, retention })); // no runs yet
 *   console.log(plan);
 * } finally {
 *   await Deno.remove(outputDir, { recursive: true });
 * }
 * ```
 */
export async function gatherPruneInputs(options: {
  retention: RetentionConfig;
  outputDir: string;
  cache?: FsCacheStore;
  sql?: SqlClient;
  store?: ObjectStore;
  root?: string;
}): Promise<PruneInputs> {
  const runs = new Map<string, RunInfo>();
  try {
    for await (const e of Deno.readDir(`${options.outputDir}/runs`)) {
      if (!e.isDirectory) continue;
      const runDir = `${options.outputDir}/runs/${e.name}`;
      let manifest: Record<string, unknown> = {};
      try {
        manifest = JSON.parse(await Deno.readTextFile(`${runDir}/manifest.json`));
      } catch {
        // A folder without a manifest (a run still going, or broken): dated by the folder.
      }
      const started = typeof manifest.startedAt === "string"
        ? new Date(manifest.startedAt)
        : (await Deno.stat(runDir)).mtime ?? new Date();
      runs.set(e.name, {
        runId: e.name,
        startedAt: started,
        runDir,
        inDatabase: false,
        status: typeof manifest.status === "string" ? manifest.status : "running",
        references: referencesOf(manifest),
      });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (options.sql) {
    const rows = await options.sql.query<{ id: string; status: string; started_at: Date }>(
      "SELECT id, status, started_at FROM runs",
      [],
      "retention runs",
    );
    for (const row of rows) {
      const known = runs.get(row.id);
      if (known) {
        known.inDatabase = true;
        known.status = row.status;
      } else {
        runs.set(row.id, {
          runId: row.id,
          startedAt: new Date(row.started_at),
          inDatabase: true,
          status: row.status,
          references: { checksums: [], objectKeys: [] },
        });
      }
    }
  }
  const cacheEntries: CacheEntryInfo[] = [];
  for (const e of await options.cache?.list() ?? []) {
    const gam = (e.attributes.gam ?? {}) as { cachedAt?: string; checksum?: string };
    cacheEntries.push({
      path: e.path,
      cachedAt: gam.cachedAt ? new Date(gam.cachedAt) : undefined,
      pinned: e.pinned,
      checksum: gam.checksum === undefined ? undefined : normalChecksum(gam.checksum),
      sizeBytes: e.sizeBytes,
    });
  }
  let bucket: PruneInputs["bucket"];
  if (options.store && options.root !== undefined) {
    const objects: ObjectVersionInfo[] = [];
    for await (const v of options.store.listVersions(options.root)) {
      objects.push({
        key: v.key,
        versionId: v.versionId,
        size: v.size,
        lastModified: v.lastModified,
      });
    }
    bucket = { root: options.root, objects };
  }
  return {
    now: new Date(),
    retention: options.retention,
    runs: [...runs.values()],
    cacheEntries,
    bucket,
  };
}

/** What {@linkcode applyPrune} removed. */
export interface PruneResult {
  /** Run folders removed. */
  runFolders: number;
  /** Cache entries removed. */
  cacheEntries: number;
  /** Object versions removed for good. */
  objects: number;
  /** Runs whose database rows were removed (their metadata with them; surveys and manifests keep their data, the run link set to null). */
  databaseRuns: number;
  /** Bytes freed (cache entries and objects). */
  bytes: number;
}

/**
 * Removes what a plan lists, and nothing else: object versions first (each named by its version
 * id, so a newer write is never touched), then cache entries, run folders and database rows of
 * runs that are not running.
 *
 * @param plan From {@linkcode planPrune}.
 * @param targets Where to remove from; a missing one is skipped.
 * @returns Counts.
 *
 * @example Usage
 * ```ts
 * import { applyPrune, gatherPruneInputs, planPrune } from "./retention.ts";
 * import { RetentionSchema } from "../config/mod.ts";
 * const outputDir = await Deno.makeTempDir({ prefix: "gam-doc-prune-" });
 * try {
 *   const retention = RetentionSchema.parse({ runFolders: "30d" });
 *   const plan = planPrune(await gatherPruneInputs({ retention, outputDir }));
 *   await applyPrune(plan, {}); // removes what the plan lists (nothing here)
 * } finally {
 *   await Deno.remove(outputDir, { recursive: true });
 * }
 * ```
 */
export async function applyPrune(
  plan: PrunePlan,
  targets: { cache?: FsCacheStore; store?: ObjectStore; sql?: SqlClient },
): Promise<PruneResult> {
  const result: PruneResult = {
    runFolders: 0,
    cacheEntries: 0,
    objects: 0,
    databaseRuns: 0,
    bytes: 0,
  };
  if (targets.store) {
    for (const o of plan.objects) {
      if (o.versionId === undefined) continue; // only named versions are removed for good
      await targets.store.delete(o.id, { versionId: o.versionId });
      result.objects++;
      result.bytes += o.bytes ?? 0;
    }
  }
  if (targets.cache) {
    for (const e of plan.cacheEntries) {
      if (await targets.cache.delete(e.id)) {
        result.cacheEntries++;
        result.bytes += e.bytes ?? 0;
      }
    }
  }
  for (const r of plan.runFolders) {
    if (r.path === undefined) continue;
    await Deno.remove(r.path, { recursive: true }).catch((e) => {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    });
    result.runFolders++;
  }
  if (targets.sql) {
    for (const r of plan.databaseRuns) {
      const rows = await targets.sql.query(
        "DELETE FROM runs WHERE id = $1 AND status <> 'running' RETURNING id",
        [r.id],
        "retention delete run",
      );
      result.databaseRuns += rows.length;
    }
  }
  return result;
}
