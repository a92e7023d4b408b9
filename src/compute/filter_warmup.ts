/**
 * Warm-up of the grid filter kernels on every worker while the input is being read (see
 * `warmUpGridding` in `gridding.ts` for the reason: V8 runs a WebAssembly function's first call
 * in baseline code to its end). Measured on the 4096 x 4096 Gaussian: its first call in a fresh
 * instance took 0.72 s of CPU, the next 0.35 s, and 0.45 s after one call on a 64 x 64 grid
 * (the rest is the instance's memory growing).
 *
 * @module
 */
import type { ComputeJob, WorkerPool } from "./pool.ts";
import { fftFilter } from "./spectral.ts";
import { sharedFloat64Array } from "../formats/shared_array.ts";

/**
 * The grid kernels a warm-up can prepare: the filters', and `qc`: the anomaly search (float32
 * and float64 values: on 4096², before the search's rework, `gam qc` of a float32 GeoTIFF took
 * 1.5 s wall without it and 1.05 s with it).
 */
export type WarmFilter = "gaussian" | "median" | "fft" | "qc";

const N = 64;

/** The kernel call of `filter` on a 64 x 64 grid (a fresh array on every call). */
function jobs(filter: WarmFilter): ComputeJob[] {
  const grid = Float64Array.from({ length: N * N }, (_, i) => Math.sin(i * 0.37));
  const band = { grid, nx: N, ny: N, row0: 0, row1: N, same: grid };
  switch (filter) {
    // The `*_measured` kernels the stages run: the filter and the statistics blocks both.
    case "gaussian":
      return [{
        kernel: "gaussian_filter_measured",
        args: { ...band, sigmaX: 2, sigmaY: 2, position: 0 },
      }];
    case "median":
      return [{
        kernel: "median_filter_measured",
        args: { ...band, size: 5, circular: false, position: 0 },
      }];
    case "qc": {
      // Each job its own arrays (they are transferred); spikes, so that the labelling runs too.
      for (let k = 300; k < N * N; k += 523) grid[k] += 40;
      const args = () => ({
        spec: new Float64Array([0, 0, 1, 1, N, N]),
        regional: "polynomial",
        regionalParam: 1,
        zThreshold: 3,
        minCells: 1,
      });
      return [
        { kernel: "qc_anomalies_f32", args: { ...args(), values: Float32Array.from(grid) } },
        { kernel: "qc_anomalies", args: { ...args(), values: grid } },
      ];
    }
    case "fft":
      return [{
        kernel: "fft_filter_measured",
        args: {
          grid,
          nx: N,
          ny: N,
          dxKm: 1,
          dyKm: 1,
          op: "bandpass-gaussian",
          params: new Float64Array([10, 1]),
          same: grid,
          fillEnd: new Float64Array(3),
        },
      }];
  }
}

/**
 * Runs `filter`'s kernel once on a 64 x 64 grid on every worker of `pool` (a few milliseconds)
 * and discards the results, so the real call runs optimised code. It never changes a result;
 * failures are ignored (the real call reports any problem).
 *
 * @param pool The worker pool (idle: one job goes to each worker).
 * @param filter The kernel about to run.
 *
 * @example Usage
 * ```ts
 * import { WorkerPool } from "./pool.ts";
 * import { warmUpFilter } from "./filter_warmup.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * await warmUpFilter(pool, "gaussian"); // overlaps with reading the input in `gam filter`
 * ```
 */
export async function warmUpFilter(pool: WorkerPool, filter: WarmFilter): Promise<void> {
  try {
    await Promise.all(
      Array.from({ length: pool.size }, () =>
        Promise.all(
          jobs(filter).map((job) =>
            pool.run(job, {
              // `grid` and `same` are one array: its buffer once.
              transfer: [
                ...new Set(
                  Object.values(job.args).flatMap((a) =>
                    a instanceof Float64Array || a instanceof Float32Array
                      ? [a.buffer as ArrayBuffer]
                      : []
                  ),
                ),
              ],
            })
          ),
        )),
    );
    // The FFT of a large grid runs in parts on a pool of two or more (`SPLIT_MIN_CELLS`):
    // its step kernels too, one part per worker.
    if (filter === "fft" && pool.size > 1) {
      const values = sharedFloat64Array(N * N).map((_, i) => Math.sin(i * 0.37));
      await fftFilter(pool, { values, nx: N, ny: N }, {
        dxKm: 1,
        dyKm: 1,
        operation: { op: "bandpass", lowKm: 1, highKm: 10, shape: "gaussian" },
        parts: pool.size,
        inPlace: true,
      });
    }
  } catch {
    // Only a head start.
  }
}
