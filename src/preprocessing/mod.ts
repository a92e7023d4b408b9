/**
 * Preprocessing: turns `RawData` into validated `ProcessedGrid`s through stages that a
 * pipeline definition composes (arrow or list form), run as a DAG with parallel branches,
 * validated by a checkpoint after every stage, with provenance per stage.
 *
 * @example Usage
 * ```ts ignore
 * import { buildPipeline, defaultStageRegistry, runPipeline } from "./mod.ts";
 * const plan = buildPipeline("outlier(method=mad) -> grid(method=nearest, spacing=0.1) -> qc",
 *   defaultStageRegistry(), "1.0.0");
 * const result = await runPipeline(plan, raw, { pool, logger, request: { modality, bbox } });
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
