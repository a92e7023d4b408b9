/**
 * Grid filters on the worker pool: typed wrappers of the gam-core filter kernels
 * (`gaussian_filter_into`, `median_filter_into`; crate module `filters`).
 *
 * Gaussian and median filters split the grid into row bands, one job each; every band travels
 * with a halo of rows on both sides (Gaussian: `ceil(4 * sigmaY)` rows, which covers the
 * kernel's radius `round(4 * sigmaY)`; median: `size / 2` rows), and the kernel computes only
 * the band's own rows. Each output cell is computed by the same arithmetic in the same order
 * whatever the banding, so results are bit-identical for 1 and N workers.
 *
 * @module
 */
import type { BandOptions, BandSummaries, GridArray } from "./arrays.ts";
import { blockRange } from "./block_statistics.ts";
import { bandsOf, checkGrid, checkNumber } from "./_checks.ts";
import type { KernelArgs } from "./kernels.ts";
import type { WorkerPool } from "./pool.ts";

/** The banded `*_into` kernels (see {@linkcode runBanded}). */
type BandKernel = "gaussian_filter_into" | "median_filter_into";
/** A banded kernel's own options: all but the band and its size. */
type BandParams<K extends BandKernel> = Omit<
  KernelArgs<K>,
  "grid" | "nx" | "ny" | "row0" | "row1" | "same"
>;

/** The `*_measured` twin of each banded kernel (the band's statistics blocks as well). */
const MEASURED = {
  gaussian_filter_into: "gaussian_filter_measured",
  median_filter_into: "median_filter_measured",
} as const;

/** Cells of a row band when the caller does not choose the band count: 512 Ki (4 MiB of f64). */
const BAND_CELLS = 1 << 19;

/**
 * Runs a banded kernel with `{ grid: sub, nx, ny: subNy, ...params, row0, row1, same: sub }`
 * (an `*_into` kernel: the band's rows come back over the start of `sub`) over row bands with
 * `halo` extra rows each side and stitches the bands.
 *
 * Bands are cut to at most {@linkcode BAND_CELLS} cells (at least one per worker) and at most
 * two per worker are in flight: each band's input is copied when it is posted, not all up
 * front, so the copies and the workers' WebAssembly memories stay a few bands in size whatever
 * the grid. Results are stored in band order. With `inPlace`, a band's result is written over
 * `values` once every band whose halo reads its rows has been posted (its copy taken), so no
 * second grid is allocated. With `measure`, the `*_measured` kernels also summarise each band's
 * input and result in statistics blocks.
 */
async function runBanded<K extends BandKernel>(
  pool: WorkerPool,
  grid: GridArray,
  kernel: K,
  params: BandParams<K>,
  halo: number,
  options: BandOptions,
): Promise<Float64Array<ArrayBuffer>> {
  const { nx, ny, values } = grid;
  const bands = bandsOf(
    ny,
    options.bands ?? Math.max(pool.size, Math.ceil((nx * ny) / BAND_CELLS)),
  );
  const out = options.inPlace ? values as Float64Array<ArrayBuffer> : new Float64Array(nx * ny);
  const starts = bands.map(([r0]) => Math.max(0, r0 - halo));
  // The last band whose input (with its halo) reads a row of band b: b's result may overwrite
  // `values` once that band has been posted.
  const lastReader = bands.map(([, r1]) => {
    let j = 0;
    while (j + 1 < bands.length && starts[j + 1] < r1) j++;
    return j;
  });
  const done = new Map<number, Float64Array<ArrayBuffer>>();
  // Summaries of the bands measured (options.measure), until their band is stored.
  const measured = new Map<number, BandSummaries>();
  let posted = 0;
  // The next band to store in `out` (and report to `onRows`): bands are stored in order, so
  // in place the cells after the last one stored still hold the input.
  let next = 0;
  // Buffers of stored results, by length, reused for the next bands' inputs: each band's
  // input and result travel as one transferred buffer, so a run allocates a few bands' worth
  // instead of two new buffers per band left to the garbage collector (200 MiB on 4096²).
  const free = new Map<number, ArrayBuffer[]>();
  const take = (n: number): Float64Array<ArrayBuffer> => {
    const buffer = free.get(n)?.pop();
    return buffer ? new Float64Array(buffer) : new Float64Array(n);
  };
  const flush = () => {
    for (let back; (back = done.get(next)) !== undefined; next++) {
      if (options.inPlace && lastReader[next] >= posted) return;
      const [r0, r1] = bands[next];
      out.set(back.subarray(0, (r1 - r0) * nx), r0 * nx);
      done.delete(next);
      if (back.byteOffset === 0 && back.byteLength === back.buffer.byteLength) {
        const list = free.get(back.length) ?? [];
        list.push(back.buffer);
        free.set(back.length, list);
      }
      const summaries = measured.get(next);
      measured.delete(next);
      options.onRows?.(out, r0 * nx, r1 * nx, summaries);
    }
  };
  const inFlight = Math.max(1, 2 * pool.size);
  const post = async (b: number): Promise<void> => {
    const [r0, r1] = bands[b];
    const start = starts[b];
    const end = Math.min(ny, r1 + halo);
    const sub = take((end - start) * nx);
    sub.set(values.subarray(start * nx, end * nx));
    posted = b + 1;
    // `*_into` kernels write the band's rows over the start of `sub` and hand it back.
    const band = { grid: sub, nx, ny: end - start, row0: r0 - start, row1: r1 - start, same: sub };
    const args = { ...params, ...band } as KernelArgs<BandKernel>;
    const run = { signal: options.signal, transfer: [sub.buffer] };
    let back: Float64Array<ArrayBuffer>;
    if (options.measure) {
      // The kernel summarises the band's whole blocks; the partial ones at its ends are
      // copied now, before a result can be written over them.
      const from = r0 * nx, to = r1 * nx;
      const [headEnd, tailStart] = blockRange(from, to);
      const inputHead = values.slice(from, headEnd);
      const inputTail = values.slice(tailStart, to);
      const m = await pool.run({
        kernel: MEASURED[kernel],
        args: { ...args, position: from } as KernelArgs<(typeof MEASURED)[BandKernel]>,
      }, run);
      back = m.values;
      measured.set(b, { inputHead, input: m.input, inputTail, output: m.output });
    } else {
      back = await pool.run({ kernel, args }, run);
    }
    if (back.length !== (end - start) * nx) {
      throw new RangeError(
        `${kernel} returned ${back.length} values for rows ${start}..${end}, expected ${
          (end - start) * nx
        }`,
      );
    }
    // Each band is stored as soon as it may be, while later bands still compute.
    done.set(b, back);
    flush(); // frees buffers for the next band when it may
    const following = posted < bands.length ? post(posted) : undefined; // copies its input now
    flush();
    await following;
  };
  const first = Array.from({ length: Math.min(inFlight, bands.length) }, (_, b) => post(b));
  options.onPosted?.();
  await Promise.all(first);
  flush();
  return out;
}

/**
 * The row halo a band needs for a Gaussian of `sigmaY` cells: `ceil(4 * sigmaY)`.
 *
 * @example Usage
 * ```ts
 * import { gaussianHalo } from "./filters.ts";
 * gaussianHalo(1.1); // 5
 * ```
 */
export function gaussianHalo(sigmaY: number): number {
  return Math.ceil(4 * sigmaY);
}

/**
 * NaN-aware separable Gaussian smoothing by normalised convolution (gaps do not spread, NaN
 * cells stay NaN), sigma in cells along rows (`sigmaX`) and across them (`sigmaY`); the kernel
 * is scipy's (truncated at 4 sigma). At the edges the kernel is truncated and renormalised over
 * the cells inside the grid, as if the grid were surrounded by NaN. Larger sigma smooths more.
 *
 * @example Usage
 * ```ts
 * import { gaussianFilter } from "./filters.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const values = new Float64Array(25).fill(1);
 * values[12] = 26;
 * const out = await gaussianFilter(pool, { values, nx: 5, ny: 5 }, { sigmaX: 1, sigmaY: 1 });
 * out[12] < 26; // true: the peak is spread over its neighbours
 * ```
 */
export function gaussianFilter(
  pool: WorkerPool,
  grid: GridArray,
  options: { sigmaX: number; sigmaY: number } & BandOptions,
): Promise<Float64Array<ArrayBuffer>> {
  return Promise.resolve().then(() => {
    checkGrid(grid);
    const { sigmaX, sigmaY } = options;
    checkNumber("sigmaX", sigmaX, sigmaX >= 0, "a number of cells >= 0");
    checkNumber("sigmaY", sigmaY, sigmaY >= 0, "a number of cells >= 0");
    return runBanded(
      pool,
      grid,
      "gaussian_filter_into",
      { sigmaX, sigmaY },
      gaussianHalo(sigmaY),
      options,
    );
  });
}

/**
 * NaN-aware median filter with an odd `size` footprint (square, or circular when `circular`);
 * NaN cells stay NaN, NaN neighbours are ignored, the footprint is cut at the edges.
 *
 * @example Usage
 * ```ts
 * import { medianFilter } from "./filters.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const values = new Float64Array([1, 1, 1, 1, 9, 1, 1, 1, NaN]);
 * const out = await medianFilter(pool, { values, nx: 3, ny: 3 }, { size: 3 });
 * [out[4], out[8]]; // [1, NaN]
 * ```
 */
export function medianFilter(
  pool: WorkerPool,
  grid: GridArray,
  options: { size: number; circular?: boolean } & BandOptions,
): Promise<Float64Array<ArrayBuffer>> {
  return Promise.resolve().then(() => {
    checkGrid(grid);
    const { size, circular = false } = options;
    checkNumber(
      "size",
      size,
      Number.isInteger(size) && size >= 1 && size % 2 === 1,
      "an odd integer >= 1",
    );
    return runBanded(
      pool,
      grid,
      "median_filter_into",
      { size, circular },
      Math.floor(size / 2),
      options,
    );
  });
}
