/**
 * The main job: `gam run` (every enabled modality through ingestion, cache, preprocessing,
 * outputs and persistence) and `gam serve` (runs on schedules).
 *
 * - {@linkcode runJob}: one run of the configured modalities, its run folder and summary.
 * - {@linkcode runModalityJob}: one modality's run (the job boundary a worker would take).
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
export * from "./modality_job.ts";
export * from "./progress.ts";
export * from "./run_lease.ts";
export * from "./persist.ts";
export * from "./serve.ts";
export * from "./cache_lock.ts";
export * from "./run_log.ts";
