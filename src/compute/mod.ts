/**
 * Parallel compute on the gam-core WebAssembly module: a {@linkcode WorkerPool} of module
 * workers and typed wrappers of the kernels (gridding), and {@linkcode buildInfo}: which code and
 * which numeric core build produced a result.
 *
 * @example Usage
 * ```ts ignore
 * import { WorkerPool } from "./mod.ts";
 * await using pool = new WorkerPool({ size: 2 });
 * console.log(await pool.run({ kernel: "core_version", args: [] }));
 * ```
 *
 * @module
 */
export { ComputeError } from "./compute_error.ts";
export {
  type ComputeJob,
  defaultWorkerCount,
  MAX_WORKERS,
  type RunOptions,
  WorkerPool,
  type WorkerPoolOptions,
} from "./pool.ts";
export {
  checkGridOptions,
  DEFAULT_MASK_CELLS,
  DEFAULT_MAX_GRID_NODES,
  EmptyGridError,
  GRID_METHODS,
  GRIDDING_VERSION,
  type GridLayout,
  gridLayout,
  type GridMethod,
  GridOptionError,
  gridPoints,
  type GridPointsOptions,
  type GridResult,
  gridShape,
  InsufficientPointsError,
  MIN_MINCURV_CELLS,
  NoPointsError,
  type Points,
  warmUpGridding,
} from "./gridding.ts";
export { type BuildInfo, buildInfo, codeVersion, type WasmBuild, wasmBuild } from "./build_info.ts";
export { nanCount } from "./nan_count.ts";
