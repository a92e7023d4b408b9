/**
 * One modality's run: the job boundary. Ingest through the cache, run the preprocessing DAG
 * (or reuse its cached grids), write the grids (Zarr v3 and GeoTIFF), and hand back what the
 * run persists and reports. Everything a distributed worker would need comes in through
 * {@linkcode ModalityJobContext}; the result is plain data.
 *
 * Preprocessing cache entries are keyed by the pipeline version plus a hash of the input
 * data's canonical checksum and every stage's id, version and parameters, so a changed
 * source, pipeline or stage is a different entry:
 * `<cacheDir>/preprocessing/<modality>/<bbox_hash>/v<version>-<hash12>.<branch>/`.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Anomaly, Bbox, ProcessedGrid, RawData } from "../contracts/mod.ts";
import { gridChecksum, rawDataChecksum } from "../contracts/checksum.ts";
import { rawDataBytes } from "../contracts/schemas.ts";
import type { GamConfig } from "../config/mod.ts";
import { GridOptionError } from "../compute/gridding.ts";
import type { WorkerPool } from "../compute/mod.ts";
import type { GridCache, IngestionCache } from "../cache/mod.ts";
import { originOf } from "../cache/mod.ts";
import { type IngestionService, isSourceDown, type PluginIdentity } from "../ingestion/mod.ts";
import {
  buildPipeline,
  checkGridStageSize,
  checkProjectedGridPlan,
  defaultStageRegistry,
  isProcessedGrid,
  PipelineDefinitionError,
  type PipelinePlan,
  type PipelineResult,
  type PlanChain,
  planStages,
  type QcReport,
  qcReportOf,
  runPipeline,
  type StageRecord,
} from "../preprocessing/mod.ts";
import type { ManifestInput } from "../persistence/mod.ts";
import type { Logger } from "../observability/mod.ts";
import { type LineSummary, summariseLines } from "../formats/mod.ts";
import type { ProgressSink } from "./progress.ts";
import { writeRunGrids } from "./run_folder.ts";
import { fileSafeName } from "../fs/mod.ts";

/** Everything one modality's run needs. */
export interface ModalityJobContext {
  runId: string;
  /** The run's W3C `traceparent`; each fetch is a child span of it. @default a new trace */
  traceparent?: string;
  config: GamConfig;
  modality: string;
  bbox: Bbox;
  /**
   * The numeric workers, started on first call: a run served from the cache never starts them.
   */
  pool: () => WorkerPool;
  ingestion: IngestionService;
  /**
   * The plugin serving the modality: id, version and, for sandboxed plugins, the identity
   * (module URL, module-graph hash) go into cache keys.
   */
  plugin: { id: string; version: string; identity?: PluginIdentity };
  /** Absent with `--no-cache`. */
  ingestionCache?: IngestionCache;
  /** Absent with `--no-cache`. */
  gridCache?: GridCache;
  /** `<outputDir>/runs/<run-id>`. */
  runDir: string;
  logger: Logger;
  progress: ProgressSink;
  signal: AbortSignal;
}

/** A grid the run produced (or reused from the cache). */
export interface JobGrid {
  branch: string;
  grid: ProcessedGrid;
  checksum: string;
  zarrPath: string;
  tifPath: string;
  qc?: QcReport;
  anomalies: Anomaly[];
}

/**
 * Provenance of a modality's ingestion, recorded by the run from the ingestion service's
 * `preFetch` and `postFetch` hooks: the request, the plugin's identity, each fetch (trace id,
 * outcome, attempts, duration, bytes) and the cache decision. In the run manifest under
 * `ingestion.<modality>` and in the run metadata as `ingestion/<modality>`.
 */
export interface IngestionProvenance {
  /** The request: bbox (degrees) and plugin params. */
  request: { bbox: readonly number[]; params: Record<string, unknown> };
  /** The plugin: id, version, module URL, graph hash, npm integrity. */
  plugin: {
    id: string;
    version: string;
    module: string | null;
    graphHash: string | null;
    npmIntegrity: Record<string, string> | null;
  };
  /** Where the data came from (see {@linkcode CacheDecision}). */
  cache: CacheDecision;
  /** The plugin fetches made (none for a cache hit). */
  fetches: {
    traceId: string;
    /** The fetch's W3C `traceparent` (the header the source received). */
    traceparent: string | null;
    outcome: string;
    attempts: number;
    durationSeconds: number;
    bytes: number | null;
    checksum: string | null;
    error: string | null;
  }[];
}

/**
 * Where a modality's data came from: `hit` the cache; `miss` the plugin, then cached; `stale`
 * an old cached copy (the source failed); `off` the plugin, caching off; `no-store` the plugin,
 * not cached because the plugin said so (`metadata.cache.store: false`).
 */
export type CacheDecision = "hit" | "miss" | "stale" | "off" | "no-store";

/** What one modality's run produced. */
export interface ModalityJobResult {
  modality: string;
  outcome: "ok" | "failed" | "interrupted";
  error?: string;
  /** Points (or cells) ingested. */
  pointsIn: number;
  /** Readings removed or blanked by outlier stages. */
  outliersRemoved: number;
  /** `hit`: everything came from the cache; `stale`: source down, old copy used. */
  cache: CacheDecision;
  durationSeconds: number;
  grids: JobGrid[];
  /** Failures of individual branches (the others' grids are kept). */
  branchFailures: { branch: string; stage: string; error: string }[];
  stages: StageRecord[];
  /** Provenance of the ingestion (set by the run from the service's fetch hooks). */
  ingestion?: IngestionProvenance;
  /** Manifest of the ingested data, for persistence. */
  manifest?: ManifestInput;
  pipelineVersion: string;
  /** The plugin that served the modality (with its identity when sandboxed). */
  plugin?: { id: string; version: string; identity?: PluginIdentity };
  /**
   * Cache entry paths the run read or wrote (ingestion, then one per grid), in the run manifest
   * so that `gam storage rehydrate` can bring them back from the bucket.
   */
  cacheEntries?: string[];
  /** The survey as ingested: its flight lines (none for grids) and delivered CRS. */
  survey?: { lines: LineSummary[]; sourceCrs?: string };
}

/**
 * Leaf branch paths of a plan, in the runner's naming.
 *
 * @example Usage
 * ```ts
 * import { leafBranches } from "./modality_job.ts";
 * // leafBranches(plan) -> ["fine", "coarse"]
 * ```
 */
export function leafBranches(plan: PipelinePlan): string[] {
  const out: string[] = [];
  const walk = (chain: PlanChain, path: string) => {
    if (chain.branches.length === 0) out.push(path);
    for (const b of chain.branches) walk(b.chain, path === "main" ? b.label : `${path}/${b.label}`);
  };
  walk(plan.root, "main");
  return out;
}

/**
 * Builds the modality's pipeline plan from its configuration.
 *
 * @example Usage
 * ```ts
 * import { planFor } from "./modality_job.ts";
 * // const plan = planFor(config, "gravity");
 * ```
 */
export function planFor(config: GamConfig, modality: string): PipelinePlan {
  const p = config.modalities[modality].pipeline;
  const plan = buildPipeline(
    p.definition as Parameters<typeof buildPipeline>[0],
    defaultStageRegistry(),
    p.version,
  );
  // Every grid the pipeline will make is counted now, before anything runs or is allocated.
  for (const { branch, stage } of planStages(plan)) {
    try {
      checkGridStageSize(stage, config.defaults.bbox as Bbox);
    } catch (e) {
      if (!(e instanceof GridOptionError)) throw e;
      throw new PipelineDefinitionError(
        `modalities.${modality}.pipeline: stage "grid" (branch ${branch}) over the bbox ` +
          `[${config.defaults.bbox.join(", ")}]: ${e.message}`,
        { cause: e },
      );
    }
  }
  try {
    checkProjectedGridPlan(planStages(plan));
  } catch (e) {
    if (!(e instanceof GridOptionError)) throw e;
    throw new PipelineDefinitionError(`modalities.${modality}.pipeline: ${e.message}`, {
      cause: e,
    });
  }
  return plan;
}

/**
 * The preprocessing cache key of a plan over `raw` and `bbox`: 12 hex digits of a SHA-256 of
 * the input's checksum, the bbox and every stage's id, version and parameters.
 *
 * @example Usage
 * ```ts
 * import { pipelineKey } from "./modality_job.ts";
 * import { buildPipeline, defaultStageRegistry } from "../preprocessing/mod.ts";
 * import { createPlugin } from "../plugins/synthetic/mod.ts";
 * const bbox: [number, number, number, number] = [10, 45, 11, 46];
 * const raw = await createPlugin().fetch({
 *   modality: "gravity", bbox, params: { stations: 10 }, traceId: "t", grantedHosts: [],
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *   correlationId: "c", signal: new AbortController().signal,
 * });
 * const registry = defaultStageRegistry();
 * const plan = buildPipeline("grid(method=nearest, spacing=0.1) -> qc", registry, "1.0.0");
 * const version = `${plan.version}-${pipelineKey(plan, raw, bbox)}`; // "1.0.0-" + 12 hex digits
 * ```
 */
export function pipelineKey(plan: PipelinePlan, raw: RawData, bbox: Bbox): string {
  const stages = planStages(plan).map((
    { branch, stage },
  ) => [branch, stage.id, stage.version, stage.params]);
  const text = JSON.stringify({ v: 1, raw: rawDataChecksum(raw), bbox, stages });
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}

/** Provenance step holding the run's stage records (so cached grids keep them). */
const STAGES_STEP = "pipeline.stages";

/**
 * Runs one modality. Never throws for a failure of the modality itself: the result says
 * `failed` (or `interrupted`) with the reason, so other modalities go on.
 *
 * @example Usage
 * ```ts
 * import { runModalityJob } from "./modality_job.ts";
 * // const result = await runModalityJob(context);
 * ```
 */
export async function runModalityJob(ctx: ModalityJobContext): Promise<ModalityJobResult> {
  const started = performance.now();
  const { modality, config } = ctx;
  const section = config.modalities[modality];
  const log = ctx.logger.child({ component: "job", modality });
  const result: ModalityJobResult = {
    modality,
    plugin: ctx.plugin,
    outcome: "ok",
    pointsIn: 0,
    outliersRemoved: 0,
    cache: ctx.ingestionCache ? "miss" : "off",
    durationSeconds: 0,
    grids: [],
    branchFailures: [],
    stages: [],
    pipelineVersion: section.pipeline.version,
  };
  try {
    const plan = planFor(config, modality);
    ctx.progress.update({ modality, task: "fetch", done: 0, total: 1, unit: "requests" });
    const { raw, cache, manifest, entry } = await ingest(ctx);
    result.manifest = manifest;
    if (entry !== undefined) result.cacheEntries = [entry];
    result.pointsIn = raw.kind === "points" ? raw.points.value.length : raw.grid.values.length;
    result.survey = {
      lines: raw.kind === "points" ? summariseLines(raw.points) : [],
      ...(raw.sourceCrs ? { sourceCrs: raw.sourceCrs } : {}),
    };
    ctx.progress.update({ modality, task: "fetch", done: 1, total: 1, unit: "requests" });

    const leaves = leafBranches(plan);
    const cacheVersion = `${plan.version}-${pipelineKey(plan, raw, ctx.bbox)}`;
    let outputs: { branch: string; grid: ProcessedGrid }[] = [];
    let run: PipelineResult | undefined;
    // Runs the whole pipeline once; its grids, one per leaf branch, may be cached only when
    // no branch failed (a later hit needs every branch).
    const compute = async () => {
      run = await runPipeline(plan, raw, {
        pool: ctx.pool(),
        logger: ctx.logger.child({ modality }),
        request: { modality, bbox: ctx.bbox },
        signal: ctx.signal,
        maxNanRatio: section.pipeline.checkpoint.maxNanRatio,
        onStage: (e) => {
          if (e.phase === "start") {
            // Stages run as whole kernel calls and report no fractions: a spinner with the
            // stage's elapsed time until they do (total 0 = unknown).
            ctx.progress.update({
              modality,
              task: `${e.stage} (${e.branch})`,
              done: 0,
              total: 0,
              unit: "",
            });
          }
        },
        onProgress: (e) =>
          ctx.progress.update({
            modality,
            task: `${e.stage} (${e.branch})`,
            done: e.done,
            total: e.total,
            unit: e.unit,
          }),
      });
      const records = run.records;
      outputs = run.outputs.flatMap((o) =>
        isProcessedGrid(o.data)
          ? [{
            branch: o.branch,
            grid: {
              ...o.data,
              provenance: [...o.data.provenance, {
                step: STAGES_STEP,
                version: plan.version,
                params: { records },
              }],
            },
          }]
          : []
      );
      return {
        grids: leaves.map((b) => outputs.find((o) => o.branch === b)?.grid),
        cacheable: run.failures.length === 0,
      };
    };
    const versions = leaves.map((b) => `${cacheVersion}.${fileSafeName(b)}`);
    if (ctx.gridCache) {
      const gridCache = ctx.gridCache;
      result.cacheEntries = [
        ...(result.cacheEntries ?? []),
        ...versions.map((v) => gridCache.path(modality, ctx.bbox, v)),
      ];
    }
    const grids = ctx.gridCache
      ? await ctx.gridCache.getOrComputeAll(modality, ctx.bbox, versions, compute, originOf(raw), {
        // The grids are good: a cache that cannot take them costs a rerun, not the result.
        onPutError: (error, i) =>
          log.warn("could not cache a processed grid", { branch: leaves[i], error }),
      })
      : { outcome: "miss" as const, values: (await compute()).grids };
    result.cache = cache;
    if (run === undefined) {
      outputs = leaves.map((branch, i) => ({ branch, grid: grids.values[i]! }));
      // The stage records of the run that produced the cached grids travel in their provenance.
      result.stages = (outputs[0]?.grid.provenance.find((p) => p.step === STAGES_STEP)?.params
        .records ?? []) as StageRecord[];
      log.info("preprocessing cache hit", { branches: leaves, version: cacheVersion });
    } else {
      const done: PipelineResult = run;
      result.stages = done.records;
      result.branchFailures = done.failures.map((f) => ({
        branch: f.branch,
        stage: f.stage,
        error: f.error.message,
      }));
      if (done.failures.length > 0) {
        const aborted = ctx.signal.aborted;
        result.outcome = aborted ? "interrupted" : "failed";
        result.error = done.failures.map((f) =>
          `${f.branch}: stage "${f.stage}": ${f.error.message}`
        ).join("; ");
      }
    }
    // Branches finish in any order; outputs follow the definition's order.
    outputs.sort((a, b) => leaves.indexOf(a.branch) - leaves.indexOf(b.branch));
    result.outliersRemoved = outliersRemoved(result.stages);
    const paths = await writeRunGrids(ctx.runDir, modality, outputs);
    for (const [i, o] of outputs.entries()) {
      const qc = qcReportOf(o.grid);
      result.grids.push({
        branch: o.branch,
        grid: o.grid,
        checksum: gridChecksum(o.grid),
        ...paths[i],
        qc,
        anomalies: (qc?.anomalies as Anomaly[] | undefined) ?? [],
      });
    }
  } catch (error) {
    result.outcome = ctx.signal.aborted ? "interrupted" : "failed";
    result.error = (error as Error).message ?? String(error);
    log.error("modality failed", { error });
  }
  result.durationSeconds = (performance.now() - started) / 1000;
  ctx.progress.finish(
    modality,
    result.outcome === "ok" ? "done" : `${result.outcome}: ${result.error}`,
  );
  return result;
}

/**
 * The modality's source data through the cache's fetch-through (one fetch per key across
 * processes, under the entry's lock), or straight from the service with `--no-cache`. An
 * expired copy is served only when the source is down ({@linkcode isSourceDown}). Also the
 * ingest step of a queued run's tile (`src/queue/`), with the tile's halo as `bbox`.
 *
 * It needs a run's ingestion service and caches: exercised by tests/job/run_test.ts (`gam run`) and
 * tests/queue/queue_run_test.ts.
 */
export async function ingest(
  ctx: Pick<
    ModalityJobContext,
    | "modality"
    | "config"
    | "bbox"
    | "ingestion"
    | "ingestionCache"
    | "logger"
    | "signal"
    | "traceparent"
  >,
): Promise<{ raw: RawData; cache: CacheDecision; manifest: ManifestInput; entry?: string }> {
  const { modality } = ctx;
  const params = ctx.config.modalities[modality].source.params as Record<string, unknown>;
  const key = ctx.ingestion.cacheKey(modality, ctx.bbox, params);
  const manifestFor = (raw: RawData, cachePath: string, expiresAt: Date | null): ManifestInput => ({
    kind: "raw",
    cacheKey: key,
    modality,
    source: raw.metadata.sourceUrl ?? `plugin:${raw.source.plugin}@${raw.source.version}`,
    pluginId: raw.source.plugin,
    pluginVersion: raw.source.version,
    checksumSha256: (raw.metadata.checksum ?? rawDataChecksum(raw)).replace(/^sha256:/, ""),
    sizeBytes: rawDataBytes(raw),
    licence: raw.metadata.licence,
    citation: raw.metadata.citation,
    ...(raw.metadata.doi ? { extra: { doi: raw.metadata.doi } } : {}),
    retrievedAt: new Date(raw.metadata.retrievedAt),
    expiresAt,
    cachePath,
  });
  const fetch = async () =>
    (await ctx.ingestion.fetch(modality, ctx.bbox, {
      params,
      signal: ctx.signal,
      cacheKey: key,
      traceparent: ctx.traceparent,
    })).data;
  if (!ctx.ingestionCache) {
    const raw = await fetch();
    return { raw, cache: "off", manifest: manifestFor(raw, "", null) };
  }
  const r = await ctx.ingestionCache.getOrFetch(modality, key, fetch, {
    serveStaleOn: isSourceDown,
  });
  if (r.outcome === "stale") {
    ctx.logger.warn(
      `Serving a stale (expired) copy of ${modality} from the cache because the source is down`,
      { modality, expiresAt: r.entry.expiresAt, error: r.error },
    );
  }
  return {
    raw: r.data,
    cache: r.outcome,
    ...(r.outcome === "no-store" ? {} : { entry: r.entry.path }),
    manifest: r.outcome === "no-store"
      ? manifestFor(r.data, "", null)
      : manifestFor(r.data, r.entry.dir, new Date(r.entry.expiresAt)),
  };
}

/**
 * Readings dropped or blanked by `outlier` stages (trunk only, so branches don't double count).
 *
 * @example Usage
 * ```ts
 * import { outliersRemoved } from "./modality_job.ts";
 * outliersRemoved([]); // 0
 * ```
 */
export function outliersRemoved(stages: StageRecord[]): number {
  let n = 0;
  for (const s of stages) {
    if (s.stage !== "outlier" || !s.post || s.branch !== "main") continue;
    const preNan = Math.round(s.pre.nanRatio * s.pre.count);
    const postNan = Math.round(s.post.nanRatio * s.post.count);
    n += (s.pre.count - s.post.count) + (postNan - preNan);
  }
  return n;
}
