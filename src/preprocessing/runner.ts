/**
 * The DAG runner: executes a {@linkcode PipelinePlan} on an input, stage after stage, running
 * the branches of a fork concurrently. A failing stage stops the rest of its own branch (and
 * the branches below it) while sibling branches finish. A checkpoint validates every output
 * and a provenance record is kept for every stage.
 *
 * Consuming stages: a stage that declares `consumesInput` is told (`context.consumeInput`)
 * that it may overwrite its input grid's `values` only when nothing else holds that array: the
 * caller gave up the pipeline's input (`consumeInput`), or the array was made by an earlier
 * stage of the run, and no fork hands it to more than one branch. Arrays the caller kept and
 * arrays at a fork stay read-only for every stage.
 *
 * @module
 */
import { gridChecksum, type GridChecksumStream, rawDataChecksum } from "../contracts/checksum.ts";
import type { Bbox, ProcessedGrid } from "../contracts/mod.ts";
import type { WorkerPool } from "../compute/mod.ts";
import type { Logger } from "../observability/mod.ts";
import type { PipelinePlan, PlanChain } from "./builder.ts";
import { checkpoint } from "./checkpoint.ts";
import { isProcessedGrid, type StageContext, type StageData } from "./stage.ts";
import { type DataStatistics, dataStatistics } from "./statistics.ts";

/** Provenance of one stage execution. */
export interface StageRecord {
  /** Branch path: `"main"` for the trunk, labels joined by `/` below forks. */
  branch: string;
  stage: string;
  version: string;
  params: Record<string, unknown>;
  inputChecksum: string;
  outputChecksum?: string;
  /** Wall time, seconds. */
  durationSeconds: number;
  startedAt: string;
  pre: DataStatistics;
  post?: DataStatistics;
  outcome: "ok" | "failed" | "cancelled";
  error?: string;
}

/** Result of a pipeline run. */
export interface PipelineResult {
  /** One output per leaf branch (a chain that does not fork). */
  outputs: { branch: string; data: StageData }[];
  /** One entry per branch that stopped on an error. */
  failures: { branch: string; stage: string; error: Error }[];
  /** Every stage execution in completion order. */
  records: StageRecord[];
}

/** Options of {@linkcode runPipeline}. */
export interface RunPipelineOptions {
  pool: WorkerPool;
  logger: Logger;
  request: { modality: string; bbox: Bbox; frame?: Bbox };
  /** Cancels the whole run. */
  signal?: AbortSignal;
  /** Largest NaN ratio a grid output may have. @default 1 */
  maxNanRatio?: number;
  /** Progress callback per stage. */
  onProgress?: (
    event: { branch: string; stage: string; done: number; total: number; unit: string },
  ) => void;
  /**
   * The caller gives up `input`: a stage that consumes its input may overwrite its `values`
   * (see the module docs). The caller must not read `input.values` after the run.
   * @default false
   */
  consumeInput?: boolean;
  /** Called when a stage starts and ends. */
  onStage?: (
    event: { branch: string; stage: string; phase: "start" | "end"; record?: StageRecord },
  ) => void;
}

/**
 * The canonical checksum of stage data.
 *
 * @example Usage
 * ```ts
 * import { stageChecksum } from "./runner.ts";
 * // stageChecksum(grid) === gridChecksum(grid)
 * ```
 */
export function stageChecksum(data: StageData): string {
  return isProcessedGrid(data) ? gridChecksum(data) : rawDataChecksum(data);
}

/**
 * Runs `plan` on `input`.
 *
 * @example Usage
 * ```ts
 * import { runPipeline } from "./runner.ts";
 * // const result = await runPipeline(plan, raw, { pool, logger, request: { modality: "gravity", bbox } });
 * ```
 */
export async function runPipeline(
  plan: PipelinePlan,
  input: StageData,
  options: RunPipelineOptions,
): Promise<PipelineResult> {
  const result: PipelineResult = { outputs: [], failures: [], records: [] };
  const memo = new DataMemo();
  if (!options.consumeInput) memo.hold(input);
  await runChain(plan.root, input, "main", options.signal, options, result, memo);
  return result;
}

async function runChain(
  chain: PlanChain,
  input: StageData,
  branch: string,
  parentSignal: AbortSignal | undefined,
  options: RunPipelineOptions,
  result: PipelineResult,
  memo: DataMemo,
): Promise<void> {
  // Each branch has its own controller: a failure here cancels this branch only.
  const controller = new AbortController();
  const signal = parentSignal
    ? AbortSignal.any([parentSignal, controller.signal])
    : controller.signal;
  let data = input;
  for (const stage of chain.stages) {
    if (signal.aborted) {
      result.failures.push({ branch, stage: stage.id, error: abortError(signal) });
      return;
    }
    const started = performance.now();
    const input = data;
    const record: StageRecord = {
      branch,
      stage: stage.id,
      version: stage.version,
      params: stage.params as Record<string, unknown>,
      inputChecksum: "", // set by measureInput
      durationSeconds: 0,
      startedAt: new Date().toISOString(),
      pre: undefined as unknown as DataStatistics,
      outcome: "ok",
    };
    const measureInput = (options: { statistics?: boolean } = {}) => {
      if (record.inputChecksum === "") record.inputChecksum = memo.checksum(input);
      if (options.statistics !== false) record.pre ??= memo.statistics(input);
    };
    // A stage that measures its input itself does so while its workers compute.
    if (stage.measuresInput !== true) measureInput();
    const logger = options.logger.child({ component: "preprocessing", stage: stage.id, branch });
    options.onStage?.({ branch, stage: stage.id, phase: "start" });
    logger.info("stage start", { pre: record.pre });
    const context: StageContext = {
      pool: options.pool,
      logger,
      request: options.request,
      signal,
      progress: (done, total, unit) =>
        options.onProgress?.({ branch, stage: stage.id, done, total, unit }),
      consumeInput: stage.consumesInput === true && !memo.held(data),
      knownStatistics: (values, statistics) => memo.knownStatistics(values, statistics),
      measureInput,
      knownInputStatistics: (statistics) => {
        record.pre = statistics;
        memo.knownDataStatistics(input, statistics);
      },
      knownChecksum: (stream) => memo.knownChecksum(stream),
    };
    try {
      let output = await stage.execute(data, context);
      measureInput();
      // The checkpoint takes its NaN ratio from the statistics kept for provenance.
      checkpoint(stage, output, {
        bbox: options.request.bbox,
        maxNanRatio: options.maxNanRatio,
        branch,
        nanRatio: () => memo.statistics(output).nanRatio,
      });
      record.durationSeconds = (performance.now() - started) / 1000;
      record.outputChecksum = memo.checksum(output);
      record.post = memo.statistics(output);
      if (isProcessedGrid(output)) {
        output = {
          ...output,
          provenance: [...output.provenance, {
            step: stage.id,
            version: stage.version,
            params: record.params,
            inputChecksum: record.inputChecksum,
            outputChecksum: record.outputChecksum,
            durationSeconds: record.durationSeconds,
            at: new Date().toISOString(),
          }],
        };
      }
      memo.alias(output, record.outputChecksum, record.post);
      data = output;
      logger.info("stage end", {
        durationSeconds: record.durationSeconds,
        ...(stage.measuresInput === true ? { pre: record.pre } : {}),
        post: record.post,
        outputChecksum: record.outputChecksum,
      });
    } catch (error) {
      // The stage measured its input before changing it, or left it as it was.
      measureInput();
      const err = error instanceof Error ? error : new Error(String(error));
      record.durationSeconds = (performance.now() - started) / 1000;
      record.outcome = signal.aborted ? "cancelled" : "failed";
      record.error = err.message;
      result.records.push(record);
      options.onStage?.({ branch, stage: stage.id, phase: "end", record });
      logger.error("stage failed", { error: err, durationSeconds: record.durationSeconds });
      result.failures.push({ branch, stage: stage.id, error: err });
      controller.abort(err);
      return;
    }
    result.records.push(record);
    options.onStage?.({ branch, stage: stage.id, phase: "end", record });
  }
  if (chain.branches.length === 0) {
    result.outputs.push({ branch, data });
    return;
  }
  // Every branch starts from the same object: none may consume it.
  if (chain.branches.length > 1) memo.hold(data);
  await Promise.all(
    chain.branches.map((b) =>
      runChain(
        b.chain,
        data,
        branch === "main" ? b.label : `${branch}/${b.label}`,
        signal,
        options,
        result,
        memo,
      )
    ),
  );
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error
    ? new Error(`cancelled: ${reason.message}`, { cause: reason })
    : new Error(`cancelled${reason === undefined ? "" : `: ${String(reason)}`}`);
}

/**
 * Checksums and statistics by data object: a stage's output is the next stage's input, and
 * every branch of a fork starts from the same object, so each is computed once per object.
 */
class DataMemo {
  readonly #checksums = new WeakMap<object, string>();
  readonly #stats = new WeakMap<object, DataStatistics>();
  /** Statistics a stage computed in its own pass, by value array. */
  readonly #valueStats = new WeakMap<object, DataStatistics>();
  /** Checksums a stage took in its own pass, by value array. */
  readonly #valueChecksums = new WeakMap<object, GridChecksumStream>();
  /** Value arrays that something besides the next stage holds (read-only for stages). */
  readonly #held = new WeakSet<object>();
  /** Marks the memory of `data`'s values read-only for every stage (by buffer: views too). */
  hold(data: StageData): void {
    this.#held.add(valuesOf(data).buffer);
  }
  held(data: StageData): boolean {
    return this.#held.has(valuesOf(data).buffer);
  }
  knownStatistics(values: object, statistics: DataStatistics): void {
    this.#valueStats.set(values, statistics);
  }
  knownDataStatistics(data: StageData, statistics: DataStatistics): void {
    this.#stats.set(data, statistics);
  }
  knownChecksum(stream: GridChecksumStream): void {
    this.#valueChecksums.set(stream.values, stream);
  }
  checksum(data: StageData): string {
    let c = this.#checksums.get(data);
    if (c === undefined) {
      const stream = isProcessedGrid(data) ? this.#valueChecksums.get(data.values) : undefined;
      c = stream?.matches(data as ProcessedGrid) ? stream.digest() : stageChecksum(data);
      this.#checksums.set(data, c);
    }
    return c;
  }
  statistics(data: StageData): DataStatistics {
    let s = this.#stats.get(data);
    if (s === undefined) {
      s = this.#valueStats.get(valuesOf(data)) ?? dataStatistics(data);
      this.#stats.set(data, s);
    }
    return s;
  }
  /** Records what is known of a copy whose arrays are those of an object already measured. */
  alias(data: StageData, checksum: string, statistics: DataStatistics): void {
    this.#checksums.set(data, checksum);
    this.#stats.set(data, statistics);
  }
}

/** The value array of stage data (points' `value`, a grid's `values`). */
function valuesOf(data: StageData): Float64Array | Float32Array {
  if ("kind" in data) return data.kind === "points" ? data.points.value : data.grid.values;
  return data.values;
}
