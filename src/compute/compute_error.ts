/**
 * The error a {@linkcode WorkerPool} job rejects with when the kernel failed in the worker.
 *
 * @module
 */

/**
 * A kernel run in a compute worker failed: the kernel threw (bad argument, named by the
 * kernel's message), the WebAssembly instance trapped, or the worker died while running it.
 * `kernel` names the kernel; `message` carries the worker's message.
 *
 * @example Usage
 * ```ts
 * import { ComputeError, WorkerPool } from "./mod.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * try {
 *   // lon and lat of different lengths: the kernel rejects them.
 *   const [lon, lat, spec] = [[0, 1], [0], [0, 0, 1, 1, 2, 2]].map((a) => new Float64Array(a));
 *   await pool.run({ kernel: "distance_to_nearest", args: { lon, lat, spec, row0: 0, row1: 1 } });
 * } catch (e) {
 *   if (e instanceof ComputeError) e.kernel; // "distance_to_nearest"
 * }
 * ```
 */
export class ComputeError extends Error {
  /** Name of the kernel that failed, e.g. `"grid_idw"`. */
  readonly kernel: string;
  /** Whether the worker died or its WebAssembly instance trapped (it was replaced). */
  readonly workerLost: boolean;
  /**
   * @param kernel Name of the kernel that failed.
   * @param message The worker's message.
   * @param options `workerLost` when the worker was replaced; `cause` for the original error.
   */
  constructor(
    kernel: string,
    message: string,
    options: { workerLost?: boolean; cause?: unknown } = {},
  ) {
    super(`Kernel ${kernel} failed: ${message}`, { cause: options.cause });
    this.name = "ComputeError";
    this.kernel = kernel;
    this.workerLost = options.workerLost ?? false;
  }
}
