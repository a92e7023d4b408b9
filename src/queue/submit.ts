/**
 * Submitting a queued run: plan the tiles of every modality (the halo from the pipeline), record
 * the run with its configuration and plan, and put each tile's `ingest` and `preprocess` jobs on
 * the queue as one pg-boss flow (a tile's preprocess is released by the engine when its ingest
 * completes), in one transaction. Job ids are derived from run id + tile key, and the run's id is
 * unique, so submitting the same run twice adds nothing.
 *
 * @module
 */
import type { FlowJob, PgBoss } from "pg-boss";
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
 * Records the run and enqueues its tiles, all or nothing: pg-boss writes the flow through the
 * transaction that inserts the run's row. A run id that was already submitted (a schedule tick
 * delivered twice, a retried submission) stops at the run's unique id and adds nothing.
 *
 * @returns The plan that was submitted, or `undefined` when the run id was already submitted.
 *
 * It needs pg-boss on a PostgreSQL server: exercised by tests/queue/queue_run_test.ts and
 * tests/queue/queue_schedule_test.ts (the same tick twice).
 */
export async function submitRun(options: SubmitRunOptions): Promise<QueuedRunPlan | undefined> {
  const { config, runId } = options;
  const runDir = `${config.defaults.outputDir}/runs/${runId}`;
  const plan: QueuedRunPlan = {
    ...planRun(config, options.modalities, runDir, options.logger),
    traceparent: options.traceparent ?? runTraceparent(),
  };
  const jobs: FlowJob[] = [];
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
  try {
    await options.db.sql.transaction(async (tx) => {
      await createQueuedRun({ sql: tx }, { runId, config, configHash: options.configHash, plan });
      // The flow is one parameter-less script of statements when pg-boss is handed a connection.
      await options.boss.flow(jobs, {
        db: {
          executeSql: async (text: string, values?: unknown[]) => ({
            rows: values?.length ? await tx.query(text, values, "submitRun") : (
              await tx.exec(text, "submitRun"), []
            ),
          }),
        },
      });
    });
  } catch (e) {
    if (uniqueViolation(e)) {
      options.logger.info("queued run already submitted: nothing added", { runId });
      return undefined;
    }
    throw e;
  }
  await Deno.mkdir(runDir, { recursive: true });
  options.logger.info("queued run submitted", {
    runId,
    traceparent: plan.traceparent,
    tiles: Object.fromEntries(Object.entries(plan.modalities).map(([k, v]) => [k, v.tiles.length])),
  });
  return plan;
}

/** Whether `e` (or its cause) is PostgreSQL's unique violation (23505). */
function uniqueViolation(e: unknown): boolean {
  for (let x = e, depth = 0; x && depth < 4; depth++) {
    if ((x as { code?: unknown }).code === "23505") return true;
    x = (x as { cause?: unknown }).cause;
  }
  return false;
}
