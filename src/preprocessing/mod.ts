/**
 * Preprocessing: turns `RawData` into validated `ProcessedGrid`s through stages that a
 * pipeline definition composes (arrow or list form), run as a DAG with parallel branches,
 * validated by a checkpoint after every stage, with provenance per stage.
 *
 * @example Usage
 * ```ts
 * import { buildPipeline, defaultStageRegistry, runPipeline } from "./mod.ts";
 * import { WorkerPool } from "../compute/mod.ts";
 * import { createLogger } from "../observability/mod.ts";
 * import { createPlugin } from "../plugins/synthetic/mod.ts";
 * const bbox = [10, 45, 11, 46] as [number, number, number, number];
 * const raw = await createPlugin().fetch({
 *   modality: "gravity", bbox, params: { stations: 400 }, traceId: "t", grantedHosts: [],
 *   traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
 *   correlationId: "c", signal: new AbortController().signal,
 * });
 * const plan = buildPipeline("outlier(method=mad) -> grid(method=nearest, spacing=0.1) -> qc",
 *   defaultStageRegistry(), "1.0.0");
 * await using pool = new WorkerPool({ size: 1 });
 * const logger = createLogger({ level: "error" });
 * const result = await runPipeline(plan, raw, { pool, logger, request: { modality: "gravity", bbox } });
 * result.failures.length; // 0
 * ```
 *
 * @module
 */
export {
  type ListItem,
  type ParamValue,
  parseDefinition,
  parsePipeline,
  pipelineFromList,
  type PipelineSpec,
  PipelineSyntaxError,
  type StepSpec,
} from "./definition.ts";
export {
  buildPipeline,
  PipelineDefinitionError,
  type PipelinePlan,
  type PlanChain,
  planStages,
  type StageRegistry,
} from "./builder.ts";
export {
  type PipelineResult,
  runPipeline,
  type RunPipelineOptions,
  stageChecksum,
  type StageRecord,
} from "./runner.ts";
export { checkpoint, CheckpointError, type CheckpointOptions } from "./checkpoint.ts";
export {
  isProcessedGrid,
  type Stage,
  type StageContext,
  type StageData,
  type StageKind,
} from "./stage.ts";
export { type DataStatistics, dataStatistics, nanCount, valueStatistics } from "./statistics.ts";
export * from "./stages/mod.ts";
