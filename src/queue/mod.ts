/**
 * Distributed execution of runs on a PostgreSQL job queue (pg-boss), `execution.mode: queue`.
 *
 * A run's bbox is cut into tiles with halos ({@linkcode planTiles}, {@linkcode haloMinimum});
 * each modality x tile is an `ingest` job (IO profile) and a `preprocess` job (CPU profile,
 * released by the engine when its ingest completed); the last tile of a modality sends its
 * `mosaic` (halos cropped, tiles stitched, whole-grid stages such as QC and anomalies), which
 * sends its `persist`; the last persist ends the run. Jobs past their last retry go to the
 * dead-letter queue, which settles their step as dead: the run ends `partial` and names them.
 *
 * - {@linkcode submitRun}: record a run and enqueue its tiles.
 * - {@linkcode runWorker}: `gam worker --profile io|cpu|all`.
 * - {@linkcode queuedRunStatus}, {@linkcode queuedRunSummary}, {@linkcode cancelQueuedRun}.
 *
 * Submitting a run and waiting for a worker needs pg-boss on a PostgreSQL server: exercised by
 * tests/queue/queue_run_test.ts.
 *
 * @module
 */
export {
  DEAD_LETTER_QUEUE,
  openBoss,
  type OpenBossOptions,
  QUEUES,
  SCHEDULE_QUEUE,
} from "./boss.ts";
export { jobId, type ModalityJob, type TileJob } from "./job_data.ts";
export {
  effectiveHalo,
  GLOBAL_SOLVER_OVERLAP_CELLS,
  type HaloDegrees,
  haloMinimum,
  ownedRange,
  planTiles,
  type SplitPlan,
  splitPlan,
  type Tile,
} from "./tiles.ts";
export { type StitchOptions, stitchTiles, type TileGrid } from "./stitch.ts";
export { type QueuedRunPlan, runStatusOf } from "./run_record.ts";
export { planRun, submitRun, type SubmitRunOptions } from "./submit.ts";
export {
  cancelQueuedRun,
  type QueuedRunStatus,
  queuedRunStatus,
  queuedRunSummary,
  type TileStatus,
} from "./status.ts";
export { runWorker, type WorkerOptions, type WorkerPlan, workerPlan } from "./worker.ts";
export { type QueueMetrics, queueMetrics } from "./metrics.ts";
