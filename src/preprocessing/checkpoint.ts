/**
 * Validation checkpoints: the invariants every stage output must keep.
 *
 * @module
 */
import { type Bbox, ContractError } from "../contracts/mod.ts";
import { validateProcessedGrid, validateRawData } from "../contracts/schemas.ts";
import { isProcessedGrid, type Stage, type StageData } from "./stage.ts";
import { nanCount } from "./statistics.ts";
import { projectedGridExtent } from "../compute/gridding.ts";

/**
 * A stage output broke an invariant. Names the stage, the branch and the invariant.
 *
 * @example Usage
 * ```ts
 * import { CheckpointError } from "./checkpoint.ts";
 * const e = new CheckpointError("grid", "fine", "NaN ratio 0.9 exceeds the limit 0.5");
 * ```
 */
export class CheckpointError extends Error {
  /** The stage whose output broke the invariant. */
  readonly stage: string;
  /** The branch path, e.g. `"coarse"`. */
  readonly branch: string;
  /**
   * @param stage Stage id.
   * @param branch Branch path.
   * @param invariant The broken invariant, in words.
   */
  constructor(stage: string, branch: string, invariant: string, options?: ErrorOptions) {
    super(`Checkpoint after stage "${stage}" (branch ${branch}) failed: ${invariant}`, options);
    this.name = "CheckpointError";
    this.stage = stage;
    this.branch = branch;
  }
}

/** Limits a checkpoint enforces. */
export interface CheckpointOptions {
  /** The requested bbox; grid extents must lie inside it (plus half a cell). */
  bbox: Bbox;
  /** Largest allowed NaN ratio of a grid, in [0, 1]. @default 1 */
  maxNanRatio?: number;
  /** Branch path for messages. */
  branch: string;
  /**
   * Measures the output's NaN ratio (called after the contract checks), so a caller that keeps
   * statistics anyway does not scan the grid twice. @default counted here
   */
  nanRatio?: () => number;
}

/**
 * Validates a stage's output: the contract (schema, strictly increasing axes, CRS), the NaN
 * ratio of grids under the limit, grid extent inside the requested bbox, and the grid spacing
 * equal to what the stage promised (`stage.spacing`).
 *
 * @throws {CheckpointError} naming the stage and the broken invariant.
 *
 * @example Usage
 * ```ts
 * import { checkpoint } from "./checkpoint.ts";
 * // checkpoint(stage, output, { bbox: [0, 0, 1, 1], branch: "main", maxNanRatio: 0.5 });
 * ```
 */
export function checkpoint(stage: Stage, output: StageData, options: CheckpointOptions): void {
  const fail = (invariant: string, cause?: unknown): never => {
    throw new CheckpointError(stage.id, options.branch, invariant, { cause });
  };
  try {
    if (isProcessedGrid(output)) validateProcessedGrid(output, `stage ${stage.id}`);
    else validateRawData(output, { where: `stage ${stage.id}`, tolerance: 1e-6 });
  } catch (e) {
    if (e instanceof ContractError) fail(e.message, e);
    throw e;
  }
  if (!isProcessedGrid(output)) return;
  const { lon, lat, values, resolution } = output;
  const ratio = options.nanRatio?.() ?? nanCount(values) / values.length;
  const limit = options.maxNanRatio ?? 1;
  if (ratio > limit) {
    fail(`NaN ratio ${ratio.toFixed(4)} exceeds the configured limit ${limit}`);
  }
  // A projected grid covers the projected extent of the bbox (axes in metres).
  const [w, s, e, n] = output.crs === "EPSG:4326"
    ? options.bbox
    : projectedGridExtent(options.bbox, output.crs, resolution.lon);
  const tolLon = resolution.lon / 2 + 1e-9, tolLat = resolution.lat / 2 + 1e-9;
  if (
    lon[0] < w - tolLon || lon[lon.length - 1] > e + tolLon || lat[0] < s - tolLat ||
    lat[lat.length - 1] > n + tolLat
  ) {
    fail(
      `grid extent [${lon[0]}, ${lat[0]}, ${lon[lon.length - 1]}, ${lat[lat.length - 1]}] ` +
        `lies outside the requested bbox [${options.bbox.join(", ")}]`,
    );
  }
  if (stage.spacing !== undefined) {
    for (const [name, step] of [["lon", resolution.lon], ["lat", resolution.lat]] as const) {
      if (Math.abs(step - stage.spacing) > 1e-9 * Math.max(1, stage.spacing)) {
        fail(`grid ${name} spacing ${step} differs from the configured spacing ${stage.spacing}`);
      }
    }
  }
}
