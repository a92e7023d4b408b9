/**
 * What each queued job does. The steps reuse the main job's parts: `ingest` (fetch-through of
 * the cache, under its file and PostgreSQL advisory locks), the pipeline runner, the grid cache's
 * `getOrComputeAll`, `writeGrid`, and `persistModalityAtomically`; no second pipeline.
 *
 * - **ingest** (modality x tile): the tile's halo bbox through the ingestion cache.
 * - **preprocess** (modality x tile, released by pg-boss when its ingest completed): the tile
 *   part of the pipeline (see `splitPlan`) with the run's bbox as the grid's frame, cached in the
 *   grid cache under the tile's halo bbox; then the tile is settled and, when it is the last of
 *   its modality, the mosaic is sent.
 * - **mosaic** (modality): stitches the tiles (halos cropped), runs the rest of the pipeline
 *   (QC, anomalies, spectral stages, branches) on the whole grid, caches and writes the grids.
 * - **persist** (modality): one transaction of surveys, grids and anomalies (unique per run and
 *   modality, so a retried job stores nothing twice); the last one ends the run.
 * - **dead** (dead-letter queue): a job past its last retry settles its step as `dead`, so the
 *   run goes on without it and ends `partial`.
 *
 * Every step is idempotent: keyed by run id + tile key (cache entries, settled rows, job ids).
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { PgBoss } from "pg-boss";
import type { Anomaly, ProcessedGrid } from "../contracts/mod.ts";
import { gridChecksum } from "../contracts/checksum.ts";
import { buildInfo, type WorkerPool } from "../compute/mod.ts";
import { EmptyGridError, NoPointsError } from "../compute/gridding.ts";
import { type GridCache, type IngestionCache, originOf } from "../cache/mod.ts";
import type { IngestionService, PluginIdentity } from "../ingestion/mod.ts";
import {
  isProcessedGrid,
  type PipelinePlan,
  qcReportOf,
  runPipeline,
  type StageRecord,
} from "../preprocessing/mod.ts";
import type { Database, ManifestInput } from "../persistence/mod.ts";
import type { Logger } from "../observability/mod.ts";
import { writeGrid } from "../formats/mod.ts";
import {
  ingest,
  leafBranches,
  type ModalityJobResult,
  outliersRemoved,
  persistModalityAtomically,
  pipelineKey,
  planFor,
  renderRunFolder,
  writeRunFolder,
} from "../job/mod.ts";
import { jobId, type ModalityJob, type TileJob } from "./job_data.ts";
import { jobOptions, QUEUES } from "./boss.ts";
import {
  finishQueuedRun,
  type QueuedRun,
  settle,
  type Settled,
  settledSteps,
} from "./run_record.ts";
import { splitPlan, type Tile } from "./tiles.ts";
import { stitchTiles, type TileGrid } from "./stitch.ts";
import { queuedRunSummary } from "./status.ts";
import { writeFileAtomic } from "../fs/mod.ts";

/** The long-lived parts of a worker for one run configuration. */
export interface Runtime {
  ingestion: IngestionService;
  ingestionCache: IngestionCache;
  gridCache: GridCache;
  plugins: Map<string, { id: string; version: string; identity?: PluginIdentity }>;
  /** Modalities whose plugin could not be loaded, with why. */
  failures: Map<string, Error>;
}

/** What the handlers need from the worker. */
export interface HandlerContext {
  boss: PgBoss;
  db: Database;
  logger: Logger;
  /** The run's configuration and plan (cached by the worker). */
  run(runId: string): Promise<QueuedRun>;
  /** The worker's runtime for a run's configuration (one per configuration, kept). */
  runtime(run: QueuedRun): Promise<Runtime>;
  /** The numeric workers (started on first use). */
  pool(): WorkerPool;
  signal: AbortSignal;
}

/** A job whose run has ended (cancelled, or finished by a retried last step). */
const SKIPPED = { skipped: "the run is no longer running" } as const;

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "_");

/** The run's trace as a log binding (`traceparent`), when the run was submitted with one. */
function traceOf(run: QueuedRun): { traceparent?: string } {
  return run.plan.traceparent ? { traceparent: run.plan.traceparent } : {};
}

/** A tile's preprocessing cache version: the tile plan, its input and the run's frame. */
function tileVersion(
  plan: PipelinePlan,
  tile: PipelinePlan,
  key: string,
  frame: readonly number[],
) {
  const h = createHash("sha256").update(JSON.stringify({ key, frame })).digest("hex").slice(0, 12);
  return `${plan.version}-${h}.${tile.root.stages.length}`;
}

async function isRunning(ctx: HandlerContext, runId: string): Promise<boolean> {
  const rows = await ctx.db.sql.query<{ status: string }>(
    "SELECT status FROM runs WHERE id = $1",
    [runId],
    "isRunning",
  );
  return rows[0]?.status === "running";
}

function runtimeFor(rt: Runtime, modality: string) {
  const failure = rt.failures.get(modality);
  if (failure) throw failure;
  const plugin = rt.plugins.get(modality);
  if (!plugin) throw new RangeError(`no plugin is loaded for modality "${modality}"`);
  return plugin;
}

/**
 * `ingest`: the tile's halo bbox through the ingestion cache (one fetch per key across
 * processes and hosts).
 *
 * It runs inside `gam worker` (pg-boss on a PostgreSQL server): exercised by
 * tests/queue/queue_run_test.ts.
 */
export async function ingestTile(ctx: HandlerContext, job: TileJob): Promise<object> {
  if (!(await isRunning(ctx, job.runId))) return SKIPPED;
  const run = await ctx.run(job.runId);
  const rt = await ctx.runtime(run);
  runtimeFor(rt, job.modality);
  const { raw, cache, manifest } = await ingest({
    modality: job.modality,
    config: run.config,
    bbox: job.tile.halo,
    ingestion: rt.ingestion,
    ingestionCache: rt.ingestionCache,
    logger: ctx.logger.child({
      runId: job.runId,
      modality: job.modality,
      tile: job.tile.key,
      ...traceOf(run),
    }),
    signal: ctx.signal,
    traceparent: run.plan.traceparent,
  });
  return {
    cache,
    points: raw.kind === "points" ? raw.points.value.length : raw.grid.values.length,
    checksum: manifest.checksumSha256,
  };
}

/**
 * `preprocess`: the tile part of the pipeline over the tile's halo, with the run's bbox as the
 * frame of its grid; cached; settles the tile and sends the mosaic after the last tile.
 *
 * It runs inside `gam worker` (pg-boss on a PostgreSQL server): exercised by
 * tests/queue/queue_run_test.ts.
 */
export async function preprocessTile(ctx: HandlerContext, job: TileJob): Promise<object> {
  if (!(await isRunning(ctx, job.runId))) return SKIPPED;
  const run = await ctx.run(job.runId);
  const rt = await ctx.runtime(run);
  runtimeFor(rt, job.modality);
  const { modality, tile } = job;
  const log = ctx.logger.child({ runId: job.runId, modality, tile: tile.key, ...traceOf(run) });
  const { raw, cache, manifest } = await ingest({
    modality,
    config: run.config,
    bbox: tile.halo,
    ingestion: rt.ingestion,
    ingestionCache: rt.ingestionCache,
    logger: log,
    signal: ctx.signal,
    traceparent: run.plan.traceparent,
  });
  const full = planFor(run.config, modality);
  const part = splitPlan(full).tile;
  const version = tileVersion(full, part, pipelineKey(part, raw, tile.halo), run.plan.bbox);
  let records: StageRecord[] = [];
  let empty: string | undefined;
  try {
    await rt.gridCache.getOrComputeAll(modality, tile.halo, [version], async () => {
      const result = await runPipeline(part, raw, {
        pool: ctx.pool(),
        logger: log,
        request: { modality, bbox: tile.halo, frame: run.plan.bbox },
        signal: ctx.signal,
        // A tile may be mostly empty (a survey's edge): the NaN limit applies to the mosaic.
        maxNanRatio: 1,
      });
      if (result.failures.length > 0) throw result.failures[0].error;
      records = result.records;
      const out = result.outputs[0]?.data;
      if (!out || !isProcessedGrid(out)) throw new TypeError("the tile part made no grid");
      return { grids: [out], cacheable: true };
    }, originOf(raw));
  } catch (e) {
    // No data in reach of the tile: its nodes stay empty in the mosaic, as in a single run.
    if (!(e instanceof NoPointsError || e instanceof EmptyGridError)) throw e;
    empty = (e as Error).message;
  }
  const detail = {
    version,
    cache,
    points: raw.kind === "points" ? raw.points.value.length : raw.grid.values.length,
    outliers: outliersRemoved(records),
    checksum: manifest.checksumSha256,
    sizeBytes: manifest.sizeBytes,
    licence: manifest.licence,
    citation: manifest.citation,
    source: manifest.source,
    plugin: [manifest.pluginId, manifest.pluginVersion],
    ...(empty ? { empty } : {}),
  };
  await settleTile(ctx, run, modality, tile.key, "ok", detail);
  return detail;
}

/** Settles a tile; after the modality's last tile, sends its mosaic (once: deterministic id). */
async function settleTile(
  ctx: HandlerContext,
  run: QueuedRun,
  modality: string,
  key: string,
  outcome: Settled["outcome"],
  detail: Record<string, unknown>,
): Promise<void> {
  const { status, settled } = await settle(ctx.db, run.runId, {
    modality,
    step: "tile",
    key,
    outcome,
    detail,
  });
  const total = run.plan.modalities[modality].tiles.length;
  const done = settled.filter((s) => s.modality === modality && s.step === "tile").length;
  if (status === "running" && done === total) {
    await ctx.boss.send(QUEUES.mosaic, { runId: run.runId, modality } satisfies ModalityJob, {
      ...jobOptions(run.config.execution.queue),
      id: jobId(run.runId, "mosaic", modality),
      singletonKey: `${run.runId}:mosaic:${modality}`,
    });
  }
}

/** A grid of the mosaic, as settled and persisted. */
interface MosaicGrid {
  branch: string;
  version: string;
  checksum: string;
  zarr: string;
  tif: string;
  anomalies: Anomaly[];
  size: string;
  nanRatio: number;
}

/**
 * `mosaic`: stitches the modality's tiles, runs the whole-grid stages, caches and writes the
 * grids; sends the persist job.
 *
 * It runs inside `gam worker` (pg-boss on a PostgreSQL server): exercised by
 * tests/queue/queue_run_test.ts.
 */
export async function mosaicModality(ctx: HandlerContext, job: ModalityJob): Promise<object> {
  if (!(await isRunning(ctx, job.runId))) return SKIPPED;
  const run = await ctx.run(job.runId);
  const rt = await ctx.runtime(run);
  const { modality } = job;
  const log = ctx.logger.child({ runId: job.runId, modality, step: "mosaic", ...traceOf(run) });
  const planned = run.plan.modalities[modality];
  const tiles = (await settledSteps(ctx.db.sql, job.runId))
    .filter((s) => s.modality === modality && s.step === "tile");
  const ok = tiles.filter((s) => s.outcome === "ok");
  const gridded = ok.filter((s) => s.detail?.empty === undefined);
  const dead = tiles.filter((s) => s.outcome !== "ok").map((s) => ({
    tile: s.key,
    error: String(s.detail?.error ?? s.outcome),
  }));
  if (gridded.length === 0) {
    const why = dead.length > 0
      ? `every tile failed (${dead.map((d) => `${d.tile}: ${d.error}`).join("; ")})`
      : "no tile has data in the bbox";
    await settleModality(ctx, run, modality, "mosaic", "dead", { error: why, dead });
    return { error: why };
  }
  const full = planFor(run.config, modality);
  const rest = splitPlan(full).mosaic;
  const leaves = leafBranches(full);
  const tileOf = (key: string) => planned.tiles.find((t) => t.key === key) as Tile;
  const mosaicKey = createHash("sha256").update(
    JSON.stringify({ tiles: gridded.map((s) => [s.key, s.detail!.version]), bbox: run.plan.bbox }),
  ).digest("hex").slice(0, 12);
  const versions = leaves.map((b) => `${full.version}-m${mosaicKey}.${safeName(b)}`);
  let records: StageRecord[] = [];
  let branchFailures: { branch: string; stage: string; error: string }[] = [];
  const section = run.config.modalities[modality];
  const result = await rt.gridCache.getOrComputeAll(modality, run.plan.bbox, versions, async () => {
    const parts: TileGrid[] = [];
    for (const s of gridded) {
      const tile = tileOf(s.key);
      const hit = await rt.gridCache.get(modality, tile.halo, String(s.detail!.version));
      if (!hit) throw new RangeError(`tile ${s.key}'s grid is not in the cache any more`);
      parts.push({ tile, grid: hit.data });
    }
    const first = parts[0].grid;
    const stitched = stitchTiles(parts, {
      bbox: run.plan.bbox,
      spacing: first.resolution.lon,
      registration: first.registration,
    });
    if (rest.root.stages.length === 0 && rest.root.branches.length === 0) {
      return { grids: [stitched], cacheable: true };
    }
    const out = await runPipeline(rest, stitched, {
      pool: ctx.pool(),
      logger: log,
      request: { modality, bbox: run.plan.bbox },
      signal: ctx.signal,
      maxNanRatio: section.pipeline.checkpoint.maxNanRatio,
    });
    records = out.records;
    branchFailures = out.failures.map((f) => ({
      branch: f.branch,
      stage: f.stage,
      error: f.error.message,
    }));
    return {
      grids: leaves.map((b) => {
        const o = out.outputs.find((x) => x.branch === b)?.data;
        return o && isProcessedGrid(o) ? o : undefined;
      }),
      cacheable: out.failures.length === 0,
    };
  }, { licence: "see the tiles' manifests", citation: "see the tiles' manifests" });
  await Deno.mkdir(`${run.plan.runDir}/grids`, { recursive: true });
  const grids: MosaicGrid[] = [];
  for (const [i, branch] of leaves.entries()) {
    const grid = result.values[i];
    if (!grid) continue;
    const base = `${run.plan.runDir}/grids/${safeName(modality)}-${safeName(branch)}`;
    await writeGrid(`${base}.zarr`, grid);
    await writeGrid(`${base}.tif`, grid);
    const qc = qcReportOf(grid);
    let nan = 0;
    for (const v of grid.values) if (v !== v) nan++;
    grids.push({
      branch,
      version: versions[i],
      checksum: gridChecksum(grid),
      zarr: `${base}.zarr`,
      tif: `${base}.tif`,
      anomalies: (qc?.anomalies as Anomaly[] | undefined) ?? [],
      size: `${grid.lat.length} x ${grid.lon.length}`,
      nanRatio: grid.values.length > 0 ? nan / grid.values.length : 1,
    });
  }
  const points = ok.reduce((n, s) => n + Number(s.detail?.points ?? 0), 0);
  const detail = {
    grids,
    records,
    branchFailures,
    dead,
    points,
    outliers: ok.reduce((n, s) => n + Number(s.detail?.outliers ?? 0), 0) +
      outliersRemoved(records),
    cache: ok.every((s) => s.detail?.cache === "hit") ? "hit" : "miss",
    manifest: combinedManifest(run, modality, ok),
  };
  if (grids.length === 0) {
    const error = branchFailures.map((f) => `${f.branch}: ${f.stage}: ${f.error}`).join("; ");
    await settleModality(ctx, run, modality, "mosaic", "dead", { error, dead });
    return { error };
  }
  await settle(ctx.db, run.runId, { modality, step: "mosaic", key: "", outcome: "ok", detail });
  await ctx.boss.send(QUEUES.persist, { runId: run.runId, modality } satisfies ModalityJob, {
    ...jobOptions(run.config.execution.queue),
    id: jobId(run.runId, "persist", modality),
    singletonKey: `${run.runId}:persist:${modality}`,
  });
  return { grids: grids.map((g) => ({ branch: g.branch, checksum: g.checksum })) };
}

/** The survey's source manifest of a queued modality: the tiles' data, as one record. */
function combinedManifest(run: QueuedRun, modality: string, ok: Settled[]): ManifestInput {
  const sums = ok.map((s) => `${s.key}:${s.detail?.checksum}`).sort();
  const first = ok[0]?.detail ?? {};
  const [pluginId, pluginVersion] = (first.plugin as [string, string] | undefined) ?? ["", ""];
  return {
    kind: "raw",
    cacheKey: `queue:${run.runId}:${modality}`,
    modality,
    source: String(first.source ?? `plugin:${pluginId}@${pluginVersion}`),
    pluginId,
    pluginVersion,
    checksumSha256: createHash("sha256").update(sums.join("\n")).digest("hex"),
    sizeBytes: ok.reduce((n, s) => n + Number(s.detail?.sizeBytes ?? 0), 0),
    licence: String(first.licence ?? ""),
    citation: String(first.citation ?? ""),
    retrievedAt: new Date(),
    expiresAt: null,
    cachePath: "",
  };
}

/**
 * `persist`: the modality's survey, grids and anomalies in one transaction (a second attempt
 * finds the run's survey of the modality and stores nothing); the last modality ends the run.
 *
 * It runs inside `gam worker` (pg-boss on a PostgreSQL server): exercised by
 * tests/queue/queue_run_test.ts.
 */
export async function persistQueuedModality(
  ctx: HandlerContext,
  job: ModalityJob,
): Promise<object> {
  if (!(await isRunning(ctx, job.runId))) return SKIPPED;
  const run = await ctx.run(job.runId);
  const rt = await ctx.runtime(run);
  const { modality } = job;
  const mosaic = (await settledSteps(ctx.db.sql, job.runId))
    .find((s) => s.modality === modality && s.step === "mosaic" && s.outcome === "ok");
  if (!mosaic?.detail) throw new RangeError(`the mosaic of ${modality} has not settled`);
  const d = mosaic.detail as {
    grids: MosaicGrid[];
    records: StageRecord[];
    manifest: ManifestInput;
    dead: unknown[];
  };
  const grids = [];
  for (const g of d.grids) {
    const hit = await rt.gridCache.get(modality, run.plan.bbox, g.version);
    if (!hit) throw new RangeError(`the mosaic grid ${g.branch} is not in the cache any more`);
    grids.push({
      branch: g.branch,
      grid: hit.data as ProcessedGrid,
      storageUri: g.zarr,
      anomalies: g.anomalies,
      checksum: g.checksum,
    });
  }
  let stored: object;
  try {
    stored = await persistModalityAtomically(ctx.db, {
      runId: run.runId,
      modality,
      bbox: run.plan.bbox,
      manifest: { ...d.manifest, retrievedAt: new Date(d.manifest.retrievedAt) },
      pipelineVersion: run.config.modalities[modality].pipeline.version,
      grids,
      stages: d.records,
      ingestion: { tiles: run.plan.modalities[modality].tiles.length, dead: d.dead },
    });
  } catch (e) {
    const code = (e as { code?: string }).code ??
      ((e as Error).cause as { code?: string } | undefined)?.code;
    if (code !== "23505") throw e;
    stored = { alreadyPersisted: true }; // a retry of a job whose commit was not acknowledged
  }
  await settleModality(ctx, run, modality, "persist", "ok", { stored });
  return stored;
}

/**
 * Settles a modality-level step; a dead mosaic also settles its persist (nothing to store), and
 * after the last persist the run ends with its status.
 */
async function settleModality(
  ctx: HandlerContext,
  run: QueuedRun,
  modality: string,
  step: "mosaic" | "persist",
  outcome: Settled["outcome"],
  detail: Record<string, unknown>,
): Promise<void> {
  let { settled, status: runStatus } = await settle(ctx.db, run.runId, {
    modality,
    step,
    key: "",
    outcome,
    detail,
  });
  if (step === "mosaic" && outcome !== "ok") {
    ({ settled, status: runStatus } = await settle(ctx.db, run.runId, {
      modality,
      step: "persist",
      key: "",
      outcome,
      detail: { error: "the mosaic failed" },
    }));
  }
  const modalities = Object.keys(run.plan.modalities);
  const persisted = settled.filter((s) => s.step === "persist");
  // A cancelled run writes nothing more.
  if (persisted.length < modalities.length || runStatus !== "running") return;
  const anyOk = persisted.some((s) => s.outcome === "ok");
  const allOk = persisted.every((s) => s.outcome === "ok") &&
    settled.every((s) => s.outcome === "ok");
  const status = allOk ? "succeeded" : anyOk ? "partial" : "failed";
  // The run folder is complete before the run is seen to end (a waiting `gam run` reads it).
  await writeRunFolderOf(ctx, run, status).catch((error) =>
    ctx.logger.error("could not write the run folder", { runId: run.runId, error })
  );
  if (await finishQueuedRun(ctx.db.sql, run.runId, status)) {
    await writeFileAtomic(
      `${run.plan.runDir}/queue.json`,
      JSON.stringify({ runId: run.runId, status, plan: run.plan, settled }, null, 2) + "\n",
    );
    ctx.logger.info("queued run ended", { runId: run.runId, status, ...traceOf(run) });
  }
}

/**
 * The run folder of a local run (`manifest.json`, `anomalies.geojson`, `report.html`), from the
 * queued run's summary, its mosaics' grids (read back from the grid cache) and stage records.
 */
async function writeRunFolderOf(
  ctx: HandlerContext,
  run: QueuedRun,
  status: "succeeded" | "partial" | "failed",
): Promise<void> {
  const summary = {
    ...await queuedRunSummary(ctx.db, run.runId),
    status,
    finishedAt: new Date().toISOString(),
  };
  const rt = await ctx.runtime(run);
  const settled = await settledSteps(ctx.db.sql, run.runId);
  const results: ModalityJobResult[] = [];
  for (const m of summary.modalities) {
    const mosaic = settled.find((s) =>
      s.modality === m.modality && s.step === "mosaic" && s.outcome === "ok"
    );
    const d = (mosaic?.detail ?? {}) as { grids?: MosaicGrid[]; records?: StageRecord[] };
    const grids = [];
    for (const g of d.grids ?? []) {
      const hit = await rt.gridCache.get(m.modality, run.plan.bbox, g.version);
      if (!hit) continue;
      grids.push({
        branch: g.branch,
        grid: hit.data,
        checksum: g.checksum,
        zarrPath: g.zarr,
        tifPath: g.tif,
        qc: qcReportOf(hit.data),
        anomalies: g.anomalies,
      });
    }
    results.push({
      modality: m.modality,
      outcome: m.outcome,
      ...(m.error ? { error: m.error } : {}),
      pointsIn: m.pointsIn,
      outliersRemoved: m.outliersRemoved,
      cache: m.cache as ModalityJobResult["cache"],
      durationSeconds: m.durationSeconds,
      grids,
      branchFailures: [],
      stages: d.records ?? [],
      pipelineVersion: run.config.modalities[m.modality].pipeline.version,
    });
  }
  const loaded = { config: run.config, hash: run.configHash, sources: [], overrides: [] };
  await writeRunFolder(
    run.plan.runDir,
    renderRunFolder(summary, results, loaded, await buildInfo()),
  );
}

/**
 * A job past its last retry (dead-letter queue): its step settles `dead`, the tile's queued
 * preprocess (after a dead ingest) is cancelled, and the run goes on without it.
 *
 * @param source The queue the job came from (`sourceName`).
 * @param data The job's payload.
 * @param error The last attempt's error (`sourceOutput`).
 *
 * It runs inside `gam worker` (pg-boss on a PostgreSQL server): exercised by
 * tests/queue/queue_faults_test.ts.
 */
export async function deadLetter(
  ctx: HandlerContext,
  source: string,
  data: TileJob | ModalityJob,
  error: unknown,
): Promise<object> {
  const run = await ctx.run(data.runId);
  const message = typeof error === "object" && error !== null && "message" in error
    ? String((error as { message: unknown }).message)
    : String(error ?? "unknown error");
  ctx.logger.error("job dead-lettered after its last retry", {
    runId: data.runId,
    queue: source,
    modality: data.modality,
    tile: "tile" in data ? data.tile.key : undefined,
    error: message,
    ...traceOf(run),
  });
  if ("tile" in data) {
    if (source === QUEUES.ingest) {
      await ctx.boss.cancel(
        QUEUES.preprocess,
        jobId(data.runId, "preprocess", data.modality, data.tile.key),
      )
        .catch(() => {});
    }
    await settleTile(ctx, run, data.modality, data.tile.key, "dead", {
      stage: source.replace(/^gam-/, ""),
      error: message,
    });
  } else {
    const step = source === QUEUES.mosaic ? "mosaic" : "persist";
    await settleModality(ctx, run, data.modality, step, "dead", { error: message });
  }
  return { settled: "dead" };
}
