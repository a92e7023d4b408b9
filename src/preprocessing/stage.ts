/**
 * The `Stage` contract: what every preprocessing step implements, and the context the runner
 * gives it.
 *
 * @module
 */
import type { z } from "zod";
import type { Bbox, ProcessedGrid, RawData } from "../contracts/mod.ts";
import type { Logger } from "../observability/mod.ts";
import type { WorkerPool } from "../compute/mod.ts";
import type { GridChecksumStream } from "../contracts/checksum.ts";
import type { DataStatistics } from "./statistics.ts";

/** What flows between stages: survey data (`RawData`) or a grid (`ProcessedGrid`). */
export type StageData = RawData | ProcessedGrid;

/**
 * Whether `data` is a `ProcessedGrid` (it has a `registration`; `RawData` has a `kind`).
 *
 * @example Usage
 * ```ts
 * import { isProcessedGrid } from "./stage.ts";
 * isProcessedGrid({ kind: "points" } as never); // false
 * ```
 */
export function isProcessedGrid(data: StageData): data is ProcessedGrid {
  return (data as ProcessedGrid).registration !== undefined && !("kind" in data);
}

/** What the runner gives every stage. */
export interface StageContext {
  /** The wasm worker pool for numeric kernels. */
  pool: WorkerPool;
  /** A logger bound to the run, modality and stage. */
  logger: Logger;
  /**
   * The request being processed. `frame`: the whole run's bbox when this is one tile of a
   * queued run (the `grid` stage then takes its nodes from the frame's layout).
   */
  request: { modality: string; bbox: Bbox; frame?: Bbox };
  /** Aborted when the run is cancelled or a sibling stage of the same branch failed. */
  signal: AbortSignal;
  /** Reports progress in the stage's own unit (points, cells). */
  progress?: (done: number, total: number, unit: string) => void;
  /**
   * Granted by the runner to a stage that declares {@linkcode Stage.consumesInput}: true when
   * nothing else holds the input grid's `values` (no other branch of a fork starts from it,
   * and the caller gave it up with the runner's `consumeInput`), so the stage may overwrite
   * that array (e.g. write its result over it) and return it. The runner has taken the
   * input's checksum and statistics before `execute`, or, for a stage that declares
   * {@linkcode Stage.measuresInput}, takes them when the stage calls
   * {@linkcode StageContext.measureInput}. Absent or false: the input is read-only.
   */
  consumeInput?: boolean;
  /**
   * Given to a stage that declares {@linkcode Stage.measuresInput}: takes the input's checksum
   * and statistics for the provenance record now (once; later calls do nothing). The stage
   * calls it before it changes or gives away its input, at a moment when the main thread would
   * otherwise wait (e.g. once its first jobs are posted to the workers); the runner calls it
   * after `execute` when the stage did not. With `{ statistics: false }` it takes the checksum
   * only: the stage then hands the input's statistics over with
   * {@linkcode StageContext.knownInputStatistics} before it returns or throws (its workers
   * measured the input as they read it).
   */
  measureInput?: (options?: { statistics?: boolean }) => void;
  /**
   * Tells the runner the statistics of the stage's input, measured in the stage's own pass
   * (the same arithmetic as {@linkcode dataStatistics}'s): see
   * {@linkcode StageContext.measureInput}.
   */
  knownInputStatistics?: (statistics: DataStatistics) => void;
  /**
   * Tells the runner the statistics of a value array the stage produced (computed in the
   * stage's own pass, the same arithmetic as {@linkcode dataStatistics}'s), so the runner does
   * not take another pass over it for the output's provenance record.
   */
  knownStatistics?: (values: Float64Array | Float32Array, statistics: DataStatistics) => void;
  /**
   * Tells the runner the checksum of an output grid the stage hashed as it produced it (a
   * finished {@linkcode GridChecksumStream}); used when the returned grid is the one the
   * stream hashed ({@linkcode GridChecksumStream.matches}), so the runner takes no pass of its
   * own.
   */
  knownChecksum?: (stream: GridChecksumStream) => void;
}

/**
 * A preprocessing stage. Built by the pipeline builder from its id and parameters (validated
 * by `paramsSchema`), executed by the runner.
 *
 * @example A stage that multiplies grid values
 * ```ts
 * import { z } from "zod";
 * import type { Stage, StageData } from "./stage.ts";
 * const schema = z.strictObject({ factor: z.number() });
 * class Scale implements Stage<z.infer<typeof schema>> {
 *   static readonly id = "scale";
 *   readonly id = "scale";
 *   readonly version = "1.0.0";
 *   constructor(readonly params: z.infer<typeof schema>) {}
 *   execute(input: StageData): Promise<StageData> { return Promise.resolve(input); }
 * }
 * ```
 */
export interface Stage<P = Record<string, unknown>> {
  /** Stage id as written in pipeline definitions. */
  readonly id: string;
  /** Semantic version; part of the preprocessing cache key and provenance. */
  readonly version: string;
  /** Validated parameters. */
  readonly params: P;
  /** The grid spacing this stage promises to produce, degrees, checked by the checkpoint. */
  readonly spacing?: number;
  /**
   * True when the stage can work over its input grid's `values` (no second full-size array)
   * if the runner lets it: it then checks `context.consumeInput` on every call.
   */
  readonly consumesInput?: boolean;
  /**
   * True when the stage calls {@linkcode StageContext.measureInput} itself, before it changes
   * or gives away its input, so the runner does not measure the input before `execute` (the
   * stage overlaps that pass with its workers' computation).
   */
  readonly measuresInput?: boolean;
  /**
   * Runs the stage. Must not mutate `input`, except its `values` array when
   * `context.consumeInput` is true (see {@linkcode StageContext.consumeInput}).
   */
  execute(input: StageData, context: StageContext): Promise<StageData>;
}

/** A registered stage kind: its id, version, parameter schema and constructor. */
export interface StageKind<S extends z.ZodType = z.ZodType> {
  readonly id: string;
  readonly version: string;
  /** One line for error messages and docs. */
  readonly summary: string;
  readonly paramsSchema: S;
  create(params: z.infer<S>): Stage<z.infer<S>>;
}
