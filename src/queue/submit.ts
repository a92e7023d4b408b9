/**
 * Submitting a queued run: plan the tiles of every modality (the halo from the pipeline), record
 * the run with its configuration and plan, and put each tile's `ingest` and `preprocess` jobs on
 * the queue as one pg-boss flow (a tile's preprocess is released by the engine when its ingest
 * completes). Job ids are derived from run id + tile key, so submitting the same run twice adds
 * nothing.
 *
 * @module
 */
import type { PgBoss } from "pg-boss";
import type { Bbox } from "../contracts/mod.ts";
import type { GamConfig } from "../config/mod.ts";
import type { Database } from "../persistence/mod.ts";
import { type Logger, runTraceparent } from "../observability/mod.ts";
import { planFor } from "../job/mod.ts";
import { jobOptions, QUEUES } from "./boss.ts";
import { jobId, type TileJob } from "./job_data.ts";
import { createQueuedRun, type ModalityPlan, type QueuedRunPlan } from "./run_record.ts";
import { effectiveHalo, haloMinimum, planTiles, splitPlan } from "./tiles.ts";

/** Options of {@linkcode submitRun}. */
export interface SubmitRunOptions {
  boss: PgBoss;
  db: Database;
  config: GamConfig;
  configHash: string;
  runId: string;
  /** The modalities to run. */
  modalities: readonly string[];
  logger: Logger;
  /**
   * The run's W3C `traceparent`, stored with the run for its jobs.
   * @default a child span of `TRACEPARENT` from the environment when set, else a new trace
   */
  traceparent?: string;
}

/**
 * The tiles of each modality of a run over `config.defaults.bbox`.
 *
 * @throws {RangeError} When a pipeline cannot be tiled (no grid stage first, or a search
 *   without a finite radius).
 *
 * @example Usage
 * ```ts
 * import { planRun } from "./submit.ts";
 * import { loadConfig } from "../config/mod.ts";
 * const configPath = new URL("../../config/ingestion.yaml", import.meta.url).pathname;
 * const loaded = await loadConfig({ configPath, env: {} }); // the repository's example config
 * const plan = planRun(loaded.config, ["gravity"], "out/runs/run-1"); // writes nothing
 * console.log(plan.modalities.gravity.tiles.length);
 * ```
 */
export function planRun(
  config: GamConfig,
  modalities: readonly string[],
  runDir: string,
  logger?: Logger,
): QueuedRunPlan {
  const bbox = config.defaults.bbox as Bbox;
  const out: Record<string, ModalityPlan> = {};
  for (const m of modalities) {
    const part = splitPlan(planFor(config, m)).tile;
    const minimum = haloMinimum(part.root.stages);
    const grid = part.root.stages.find((s) => s.id === "grid")!;
    const spacing = Number((grid.params as { spacing: number }).spacing);
    const { halo, raised, configuredDegrees } = effectiveHalo(
      config.execution.tile.halo,
      minimum.degrees,
      spacing,
      bbox,
    );
    if (raised) {
      logger?.warn("execution.tile.halo is below what the pipeline needs: raised", {
        modality: m,
        configuredDegrees,
        minimumDegrees: minimum.degrees,
        reason: minimum.reason,
      });
    }
    out[m] = {
      tiles: planTiles(bbox, { size: config.execution.tile.size, halo }),
      halo,
      haloReason: minimum.reason,
    };
  }
  return { bbox, runDir, modalities: out };
}

/**
 * Records the run and enqueues its tiles.
 *
 * @returns The plan that was submitted.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts.
 */
export async function submitRun(options: SubmitRunOptions): Promise<QueuedRunPlan> {
  const { config, runId } = options;
  const runDir = `${config.defaults.outputDir}/runs/${runId}`;
  const plan: QueuedRunPlan = {
    ...planRun(config, options.modalities, runDir, options.logger),
    traceparent: options.traceparent ?? runTraceparent(),
  };
  await createQueuedRun(options.db, {
    runId,
    config,
    configHash: options.configHash,
    plan,
  });
  await Deno.mkdir(runDir, { recursive: true });
  const jobs = [];
  const common = jobOptions(config.execution.queue);
  for (const [modality, m] of Object.entries(plan.modalities)) {
    for (const tile of m.tiles) {
      const data: TileJob = { runId, modality, tile };
      const ingest = jobId(runId, "ingest", modality, tile.key);
      jobs.push({
        ref: ingest,
        name: QUEUES.ingest,
        data,
        options: {
          ...common,
          id: ingest,
          singletonKey: `${runId}:ingest:${modality}:${tile.key}`,
        },
      }, {
        ref: `${ingest}/preprocess`,
        name: QUEUES.preprocess,
        data,
        dependsOn: [ingest],
        options: {
          ...common,
          id: jobId(runId, "preprocess", modality, tile.key),
          singletonKey: `${runId}:preprocess:${modality}:${tile.key}`,
        },
      });
    }
  }
  await options.boss.flow(jobs);
  options.logger.info("queued run submitted", {
    runId,
    traceparent: plan.traceparent,
    tiles: Object.fromEntries(Object.entries(plan.modalities).map(([k, v]) => [k, v.tiles.length])),
  });
  return plan;
}
