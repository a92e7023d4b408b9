/**
 * GeoAnomalyMapper (GAM) pipeline backbone: the public surface for programs that embed the
 * pipeline instead of running the `gam` command. Each area is also importable on its own from
 * its folder's `mod.ts`.
 *
 * @example Run the main job from a program
 * ```ts
 * import { createLogger, loadConfig, runJob } from "./mod.ts";
 * const loaded = await loadConfig({ configPath: "config/ingestion.yaml" });
 * const summary = await runJob({ loaded, logger: createLogger({ level: "warn" }) });
 * console.log(summary.status);
 * ```
 *
 * @module
 */
export * from "./contracts/mod.ts";
export * from "./contracts/schemas.ts";
export * from "./units/mod.ts";
export { unitSchema } from "./units/schema.ts";
export { ConfigError, ConfigService, loadConfig, type LoadedConfig } from "./config/mod.ts";
export { createLogger, type Logger } from "./observability/mod.ts";
export { MetricsRegistry } from "./observability/metrics/mod.ts";
export { WorkerPool } from "./compute/mod.ts";
export { IngestionService, loadProviders, type SourcePlugin } from "./ingestion/mod.ts";
export {
  buildPipeline,
  defaultStageRegistry,
  runPipeline,
  type Stage,
} from "./preprocessing/mod.ts";
export { openDatabase, type Repository } from "./persistence/mod.ts";
export { runJob, type RunJobOptions, type RunSummary } from "./job/mod.ts";
