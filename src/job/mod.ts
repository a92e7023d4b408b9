/**
 * The main job: `gam run` (every enabled modality through ingestion, cache, preprocessing,
 * outputs and persistence) and `gam serve` (runs on schedules).
 *
 * - {@linkcode runJob}: one run of the configured modalities, its run folder and summary.
 * - {@linkcode runModalityJob}: one modality's run (the job boundary a worker would take).
 * - {@linkcode RunSummary} / {@linkcode modalitySummary}: the run's final table.
 * - {@linkcode runFolderPath} / {@linkcode renderRunFolder}: the run folder and its files.
 * - {@linkcode PipelineServer}: scheduled runs with `/metrics`, `/healthz`, `/readyz`.
 * - Run leases ({@linkcode reconcileRuns}): a killed run is found and marked interrupted.
 * - {@linkcode databaseCacheLock}: the cache's advisory lock when a server database is set.
 *
 * @example Validate a configuration without running it
 * ```ts
 * import { runJob } from "./mod.ts";
 * import { loadConfig } from "../config/mod.ts";
 * import { createLogger } from "../observability/mod.ts";
 * const loaded = await loadConfig(); // ./config/ingestion.yaml
 * const summary = await runJob({ loaded, dryRun: true, logger: createLogger({ level: "error" }) });
 * console.assert(summary.status === "validated" || summary.status === "failed");
 * ```
 *
 * @module
 */
export * from "./run_job.ts";
export {
  failedResult,
  type ModalitySummary,
  modalitySummary,
  type RunStatus,
  runStatus,
  type RunSummary,
  sortResults,
} from "./summary.ts";
export {
  draftRunFolder,
  type GridOutputPaths,
  renderRunFolder,
  type RunFolderDraft,
  type RunFolderFiles,
  runFolderPath,
  writeRunFolder,
  writeRunGrids,
} from "./run_folder.ts";
export * from "./modality_job.ts";
export * from "./progress.ts";
export * from "./run_lease.ts";
export * from "./persist.ts";
export * from "./serve.ts";
export * from "./cache_lock.ts";
export * from "./ingestion_services.ts";
export * from "./backup_schedule.ts";
