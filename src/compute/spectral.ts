/**
 * Frequency-domain grid operations on the worker pool: typed wrappers of the gam-core spectral
 * kernels (`fft_filter`, `fft_filter_into`, `fft_filter_shared`, and the `fft_split_*` steps;
 * crate modules `spectral` and `spectral::split`). On a pool of two or more workers a grid of
 * at least {@linkcode SPLIT_MIN_CELLS} cells, or with at least {@linkcode SPLIT_MIN_HOLES} holes,
 * is transformed in parts, one per worker (each transforms its share of the rows, then of the
 * columns of the half spectrum, then of the rows back, over the grid and a half spectrum in
 * shared memory; the result is bit-identical to the one job's); a smaller grid, or a pool of
 * one, runs one job on one worker.
 *
 * Spacing in km for the FFT kernels: `dy = spacingLat * KM_PER_DEGREE` and
 * `dx = spacingLon * KM_PER_DEGREE * cos(centre latitude)`, a local flat-earth metric at the
 * grid's centre latitude (adequate for the regional grids the pipeline filters; on a global
 * grid the x scale is only right near the centre latitude).
 *
 * @module
 */
import type { ProcessedGrid } from "../contracts/mod.ts";
import {
  FilterOptionError,
  type FilterRunOptions,
  type GridArray,
  KM_PER_DEGREE,
} from "./arrays.ts";
import { checkGrid, checkNumber } from "./_checks.ts";
import { sharedFloat64Array } from "../formats/shared_array.ts";
import { nanCount } from "./nan_count.ts";
import type { WorkerPool } from "./pool.ts";

/**
 * Cell sizes in km of a grid. Geographic (`crs` EPSG:4326, or absent):
 * `dy = spacingLat * KM_PER_DEGREE`, `dx = spacingLon * KM_PER_DEGREE * cos(centre latitude)`.
 * Projected (any other `crs`, axes in metres): `dx = spacingLon / 1000`, `dy = spacingLat / 1000`
 * (the projection's scale factor, within 0.1% of 1 over a UTM zone, is ignored).
 *
 * @example Usage
 * ```ts
 * import { cellSizeKm } from "./spectral.ts";
 * cellSizeKm({ lat: new Float64Array([59, 61]), resolution: { lon: 0.1, lat: 0.1 } }); // dx ≈ 5.56, dy ≈ 11.12
 * cellSizeKm({ lat: new Float64Array([0, 500]), resolution: { lon: 250, lat: 500 }, crs: "EPSG:32755" }); // { dxKm: 0.25, dyKm: 0.5 }
 * ```
 */
export function cellSizeKm(
  grid: Pick<ProcessedGrid, "lat" | "resolution"> & { crs?: string },
): { dxKm: number; dyKm: number } {
  if (grid.crs !== undefined && grid.crs !== "EPSG:4326") {
    return { dxKm: grid.resolution.lon / 1000, dyKm: grid.resolution.lat / 1000 };
  }
  const centre = (grid.lat[0] + grid.lat[grid.lat.length - 1]) / 2;
  return {
    dxKm: grid.resolution.lon * KM_PER_DEGREE * Math.cos((centre * Math.PI) / 180),
    dyKm: grid.resolution.lat * KM_PER_DEGREE,
  };
}

/** Shapes of the bandpass transfer function. */
export const BANDPASS_SHAPES = ["gaussian", "butterworth", "cosine"] as const;

/**
 * A frequency-domain operation of {@linkcode fftFilter}. Wavelengths in km, heights in metres,
 * angles in degrees.
 */
export type FftOperation =
  | {
    op: "bandpass";
    /** Short-wavelength limit, km (weight ½ there for gaussian and cosine; 0 = no cut). */
    lowKm: number;
    /** Long-wavelength limit, km (> lowKm). */
    highKm: number;
    shape: typeof BANDPASS_SHAPES[number];
    /** Butterworth order. @default 2 */
    order?: number;
  }
  | { op: "upward"; heightM: number }
  | { op: "derivative"; direction: "vertical" | "x" | "y" }
  | { op: "total-gradient" }
  | { op: "tilt" }
  | {
    op: "rtp";
    inclination: number;
    /** Degrees; its range is the rtp stage's to check (`[-180, 360]`), here only finite. */
    declination: number;
    /**
     * Low-inclination stabilisation (see {@linkcode fftFilter}); applies when
     * `|inclination| < RTP_LOW_INCLINATION`.
     * @default {true}
     */
    stabilize?: boolean;
    /**
     * Wavelength below which the stabilised RTP corrects the phase only, km.
     * @default {RTP_CUTOFF_CELLS cells (the larger cell size)}
     */
    cutoffKm?: number;
  };

/**
 * Below this absolute inclination (degrees) `fftFilter`'s RTP is stabilised by default.
 *
 * @example Usage
 * ```ts
 * import { RTP_LOW_INCLINATION } from "./spectral.ts";
 * Math.abs(-28.2) < RTP_LOW_INCLINATION; // true: Rio is stabilised
 * ```
 */
export const RTP_LOW_INCLINATION = 45;

/**
 * Default cutoff of the stabilised RTP, in cells: wavelengths shorter than this many cells get
 * the phase-only operator.
 *
 * @example Usage
 * ```ts
 * import { RTP_CUTOFF_CELLS } from "./spectral.ts";
 * const cutoffKm = RTP_CUTOFF_CELLS * 0.55; // 4.4 km on a 0.005 degree grid
 * ```
 */
export const RTP_CUTOFF_CELLS = 8;

/**
 * Grids of at least this many cells are transformed in parts across the pool's workers by
 * default (`fftFilter`'s `parts`). Measured on 2 cores (a band-pass, the first call after
 * the warm-up, as `gam filter` runs it): at 1024² one job and two parts take the same wall
 * time (two parts 15% more CPU), from 2048² the parts take 25-35% less; below, the steps'
 * fixed costs (three rounds of jobs, the plane fitted by every part) outweigh the parallel
 * transform.
 *
 * @example Usage
 * ```ts
 * import { SPLIT_MIN_CELLS } from "./spectral.ts";
 * 4096 * 4096 >= SPLIT_MIN_CELLS; // true: split on a pool of 2
 * ```
 */
export const SPLIT_MIN_CELLS = 1024 * 1024;

/**
 * Smaller grids with at least this many holes (NaN cells) are transformed in parts too: their
 * Laplace fill (up to 1000 sweeps over the holes) is most of the work, and its bands run on
 * the workers at the same time, exchanging a row per sweep. Measured on 2 cores (a band-pass,
 * warm workers, crops of the benchmark's holed grid, one job against two parts): 64² with
 * 3.2k holes 14 ms against 62-94 ms (each sweep's exchange costs more than its updates),
 * 128² with 7.6k 32-33 ms against 27-34 ms, 200² with 14k 59-63 ms against 41-45 ms, 300² with
 * 26k 112-119 ms against 69-75 ms, 1000² with 88k 389-414 ms against 232-251 ms.
 *
 * @example Usage
 * ```ts
 * import { SPLIT_MIN_HOLES } from "./spectral.ts";
 * 300 * 300 * 0.29 >= SPLIT_MIN_HOLES; // true: split on a pool of 2
 * ```
 */
export const SPLIT_MIN_HOLES = 10_000;

/**
 * How the Laplace fill of a grid's NaN cells ended before a transform (gam-core's
 * `spectral::fill::FillEnd`): successive over-relaxation sweeps until the largest change of a
 * filled value is below `tolerance`, for at most {@linkcode FILL_MAX_SWEEPS} sweeps. On large
 * holes (the gaps between and beyond a survey's flight lines) the sweeps can stop at that limit
 * with the filled values still moving (`converged` false); the result next to those holes then
 * depends on the limit (see the README, "The FFT's hole fill stops at its sweep limit").
 *
 * @example Usage
 * ```ts
 * import type { HoleFillEnd } from "./spectral.ts";
 * const end: HoleFillEnd = { sweeps: 1000, update: 0.093, tolerance: 1.5e-6, converged: false };
 * end.update / end.tolerance; // 62000: still moving
 * ```
 */
export interface HoleFillEnd {
  /** Sweeps run, 1 to {@linkcode FILL_MAX_SWEEPS}. */
  sweeps: number;
  /** Largest change of a filled value in the last sweep, in the grid's units. */
  update: number;
  /** The sweeps' stopping tolerance: `1e-9` of the valid values' range, in the grid's units. */
  tolerance: number;
  /** Whether the last sweep's update was below the tolerance. */
  converged: boolean;
}

/** Maximum number of sweeps of the hole fill (gam-core `spectral::fill::MAX_ITER`). */
export const FILL_MAX_SWEEPS = 1000;

/**
 * Hands `onFill` the fill's end from the `fill_end` values the kernels wrote into `report`
 * (`[sweeps, update, tolerance]` per band of the fill, band after band; zeros without holes,
 * and then no call): the bands' sweeps and tolerance, which agree, and the largest of their
 * updates, the whole grid's.
 */
function reportFill(report: Float64Array, onFill?: (end: HoleFillEnd) => void): void {
  const [sweeps, , tolerance] = report;
  if (sweeps === 0) return;
  let update = 0;
  for (let b = 1; b < report.length; b += 3) update = Math.max(update, report[b]);
  onFill?.({ sweeps, update, tolerance, converged: update < tolerance });
}

/** `fill_end` values for `bands` bands of a fill, over shared memory (the workers write them). */
function fillEnds(bands = 1): Float64Array<SharedArrayBuffer> {
  return sharedFloat64Array(3 * bands);
}

/**
 * Runs a frequency-domain operation on a whole grid: bandpass (Gaussian,
 * Butterworth of order n, cosine taper; GMT `grdfft -F` style detrend, pad, taper, crop),
 * upward continuation, derivatives, total gradient amplitude, tilt angle, reduction to the pole.
 * NaN cells are filled before the transform and restored after. `dxKm`/`dyKm` are the cell
 * sizes (see {@linkcode cellSizeKm}).
 *
 * Reduction to the pole at low inclination: the operator's amplitude `1 / |θ|²` (Blakely 1995,
 * eq. 12.31; `θ = sin I + i cos I cos(D - φ)`) reaches `1 / sin² I` for wavenumbers
 * perpendicular to the declination (4 at 30°), so noise and line levelling errors turn into
 * streaks along the declination. Below {@linkcode RTP_LOW_INCLINATION} degrees the operator is
 * applied in two wavelength bands: wavelengths longer than `cutoffKm` (a Gaussian low-pass,
 * {@linkcode RTP_CUTOFF_CELLS} cells by default) get the full RTP, shorter ones the operator of
 * MacLeod, Jones and Dai (1993) with its amplitude-correction inclination at 90°: the phase
 * `(conj θ / |θ|)²` only, amplitude 1, so they are moved over their source but never amplified.
 * The sum is the result (three whole-grid jobs instead of one). Long-wavelength amplitudes are
 * exact; short-wavelength amplitudes stay at their total-field size (on a dipole 3 km deep at
 * -30° on 0.5 km cells, the peak is 10% under the true pole value). Li (2008, The Leading
 * Edge 27, 990-1002) reviews this family of low-latitude methods. `stabilize: false` gives the
 * plain operator (with the kernel's own 20° floor in the amplitude term).
 *
 * Parallel work: with `parts` > 1 the grid is transformed in `parts` parts by the
 * `fft_split_*` kernels, each step's parts on different workers. Their WebAssembly memories
 * are separate, so the grid and the half spectrum (16 bytes per padded cell; total gradient
 * and tilt add one derivative's kept rows) sit in `SharedArrayBuffer`s that the workers read and
 * write a row or a block of columns at a time; the result is bit-identical to the one job's,
 * whatever `parts`.
 *
 * @example Usage
 * ```ts
 * import { cellSizeKm, fftFilter } from "./spectral.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const nx = 16, ny = 16;
 * const values = new Float64Array(nx * ny).map((_, i) => Math.sin(i % nx) + Math.cos(i / nx));
 * const { dxKm, dyKm } = cellSizeKm({
 *   lat: new Float64Array([-23, -22.25]),
 *   resolution: { lon: 0.05, lat: 0.05 },
 * });
 * const operation = { op: "upward", heightM: 500 } as const;
 * const out = await fftFilter(pool, { values, nx, ny }, { dxKm, dyKm, operation });
 * out.length; // 256
 * ```
 */
export function fftFilter(
  pool: WorkerPool,
  grid: GridArray,
  options: {
    dxKm: number;
    dyKm: number;
    operation: FftOperation;
    /**
     * Transfer `grid.values`' own buffer to the worker instead of a copy: the caller's array
     * is detached (length 0) afterwards and the result comes back in that memory; in parts,
     * the result is written over the caller's array and returned. Ignored for the two-band
     * RTP and for views that do not cover their whole buffer.
     * @default {false}
     */
    inPlace?: boolean;
    /**
     * Number of parts the FFT is split in across the workers (integer >= 1; 1 = one job on
     * one worker; at most one part per row and per half-spectrum column is used).
     * @default {the pool's size for a grid of at least SPLIT_MIN_CELLS cells or SPLIT_MIN_HOLES NaN cells, else 1}
     */
    parts?: number;
    /**
     * Called, before the result is returned, with the result's statistics blocks (gam-core
     * `block_statistics`, 6 numbers per whole block of 4096 cells) of cells `from..to`, taken
     * by the worker that computed them: once per part, in order, together covering the
     * result (the partial blocks at each range's ends are in the result). The two-band RTP
     * does not call it.
     * @default {undefined}
     */
    onResultBlocks?: (summaries: Float64Array, from: number, to: number) => void;
    /**
     * Called once while the input's values are intact, as late as the transform allows: for
     * the caller's own reads of its input (its checksum and statistics). In parts, or with
     * `inPlace` and values on a `SharedArrayBuffer`, it runs while the workers transform
     * them, and the result is written over them only after it returns (in parts, the last
     * step starts after it; in one job, the kernel `fft_filter_shared` waits at a gate this
     * function opens): on 4096 x 4096 the input's checksum and statistics, about 0.3 s, leave
     * the command's critical path. Otherwise it runs before the input is handed over. Its
     * argument says whether `onInputBlocks` will be called (then the caller need not measure
     * the input's statistics itself).
     * @default {undefined}
     */
    onPosted?: (inputBlocks: boolean) => void;
    /**
     * Called, in parts only, with the input's statistics blocks (as `onResultBlocks`) of
     * cells `from..to`, taken by the workers as they read the input: once per part, in
     * order, together covering the grid, after `onPosted` and while the input's values are
     * still intact (the caller reads the partial blocks at each range's ends from them).
     * @default {undefined}
     */
    onInputBlocks?: (summaries: Float64Array, from: number, to: number) => void;
    /**
     * Called with the number of leading result rows that are final (`rows` of `ny`, growing,
     * the last call with `ny`), while the workers write the rest, when the result is written
     * over the caller's own shared array (`inPlace` and values on a `SharedArrayBuffer`): for
     * the caller's own pass over its result (its checksum), side by side with the end of the
     * transform. Not called on the other paths.
     * @default {undefined}
     */
    onResultRows?: (rows: number) => void;
    /**
     * Called with how each Laplace fill of the grid's NaN cells ended, before the result is
     * returned: not at all for a grid without NaN, once for the others (three times for the
     * two-band RTP, which transforms three grids). See {@linkcode HoleFillEnd}.
     * @default {undefined}
     */
    onFill?: (end: HoleFillEnd) => void;
  } & FilterRunOptions,
): Promise<Float64Array<ArrayBuffer>> {
  return Promise.resolve().then(async () => {
    checkGrid(grid);
    const { dxKm, dyKm, operation } = options;
    checkNumber("dxKm", dxKm, dxKm > 0, "a cell size > 0 km");
    checkNumber("dyKm", dyKm, dyKm > 0, "a cell size > 0 km");
    const [code, params] = fftArgs(operation);
    const cells = grid.nx * grid.ny;
    // Counting the holes of a small grid is one pass of the main thread, under a millisecond.
    const split = () => cells >= SPLIT_MIN_CELLS || nanCount(grid.values) >= SPLIT_MIN_HOLES;
    const parts = options.parts ?? (pool.size > 1 && split() ? pool.size : 1);
    checkNumber("parts", parts, Number.isInteger(parts) && parts >= 1, "an integer >= 1");
    // A part needs at least one data row and one column of the half spectrum (nx2/2 + 1 > nx/2).
    const usable = Math.min(parts, grid.ny, Math.floor(grid.nx / 2) + 1);
    const twoBandRtp = operation.op === "rtp" && operation.stabilize !== false &&
      Math.abs(operation.inclination) < RTP_LOW_INCLINATION;
    const input = grid.values;
    const shared = options.inPlace === true && input.buffer instanceof SharedArrayBuffer;
    // The caller's own buffer, whole, which it gave up with `inPlace`.
    const own = options.inPlace === true && input.buffer instanceof ArrayBuffer &&
      input.byteOffset === 0 && input.byteLength === input.buffer.byteLength;
    if (twoBandRtp) {
      options.onPosted?.(false);
      return await stabilizedRtp(pool, grid, { ...options, operation, parts: usable });
    }
    if (usable > 1) {
      let values = input as Float64Array<SharedArrayBuffer>;
      if (!shared) {
        values = sharedFloat64Array(cells);
        values.set(input);
      }
      await fftInParts(pool, { ...grid, values }, {
        ...options,
        op: code,
        params,
        parts: usable,
        // Rows of the caller's array only: a copy's rows are not the caller's to hash.
        onResultRows: shared ? options.onResultRows : undefined,
      });
      if (own) {
        input.set(values);
        return input as Float64Array<ArrayBuffer>;
      }
      // Typed as the grid contract types values (its `instanceof Float64Array` check, which
      // shared arrays pass, infers an `ArrayBuffer`).
      return values as Float64Array as Float64Array<ArrayBuffer>;
    }
    if (shared) {
      const values = input as Float64Array<SharedArrayBuffer>;
      await fftShared(pool, { ...grid, values }, { ...options, op: code, params });
      return input as Float64Array<ArrayBuffer>;
    }
    options.onPosted?.(false);
    // One copy, transferred (a structured clone would copy twice: serialise, deserialise);
    // `fft_filter_into` writes the result over it and hands the same array back, so no
    // second grid-sized array is allocated. With `inPlace` the caller's own buffer travels
    // (and is detached), without even that copy.
    const values = own ? input as Float64Array<ArrayBuffer> : input.slice();
    const fillEnd = fillEnds();
    const args = {
      grid: values,
      nx: grid.nx,
      ny: grid.ny,
      dxKm,
      dyKm,
      op: code,
      params,
      same: values,
      fillEnd,
    };
    const run = { signal: options.signal, transfer: [values.buffer] };
    let out: Float64Array<ArrayBuffer>;
    if (options.onResultBlocks) {
      const measured = await pool.run({ kernel: "fft_filter_measured", args }, run);
      out = measured.values;
      options.onResultBlocks(measured.output, 0, cells);
    } else {
      out = await pool.run({ kernel: "fft_filter_into", args }, run);
    }
    if (out.length !== cells) {
      throw new RangeError(`fft_filter_into returned ${out.length} values, expected ${cells}`);
    }
    reportFill(fillEnd, options.onFill);
    return out;
  });
}

/**
 * The one-job transform of {@linkcode fftFilter} over values the calling thread shares with
 * the worker (`fft_filter_shared`): the worker copies them in and transforms them while this
 * thread runs `onPosted` on them; the gate is opened once it returns, and the worker then
 * writes the result over them. When `onPosted` throws, the job is cancelled before the gate
 * opens, so the values stay as they were.
 */
async function fftShared(
  pool: WorkerPool,
  grid: { values: Float64Array<SharedArrayBuffer>; nx: number; ny: number },
  o: {
    dxKm: number;
    dyKm: number;
    op: string;
    params: Float64Array;
    onPosted?: (inputBlocks: boolean) => void;
    onResultBlocks?: (summaries: Float64Array, from: number, to: number) => void;
    onResultRows?: (rows: number) => void;
    onFill?: (end: HoleFillEnd) => void;
  } & FilterRunOptions,
): Promise<void> {
  const gate = new Int32Array(new SharedArrayBuffer(4));
  const fillEnd = fillEnds();
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const stop = new AbortController();
  const job = pool.run({
    kernel: "fft_filter_shared",
    args: {
      grid: grid.values,
      gate,
      progress,
      nx: grid.nx,
      ny: grid.ny,
      dxKm: o.dxKm,
      dyKm: o.dyKm,
      op: o.op,
      params: o.params,
      fillEnd,
    },
  }, { signal: o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal });
  // Awaited below, or abandoned when onPosted throws: an abort during onPosted rejects it at
  // once, which must not count as an unhandled rejection meanwhile.
  let settled = false;
  job.then(() => (settled = true), () => (settled = true));
  try {
    o.onPosted?.(false);
  } catch (error) {
    stop.abort(error); // the worker sees the cancel request before the gate opens
    throw error;
  } finally {
    Atomics.store(gate, 0, 1);
    Atomics.notify(gate, 0);
  }
  if (o.onResultRows) await followRows(progress, [grid.ny], o.onResultRows, () => settled);
  const blocks = await job; // not inside `?.(...)`, whose arguments go unevaluated without a callee
  reportFill(fillEnd, o.onFill);
  o.onResultBlocks?.(blocks, 0, grid.nx * grid.ny);
}

/**
 * Hands `report` each run of final result rows as the workers write them: part `q` counts
 * its rows (`counts[q]` in all, the parts' rows one after the other) in element `q` of
 * `progress`, and `report` receives the number of leading rows of the whole result that are
 * final. Blocks on the count (the worker wakes it) for at most 5 ms at a time, and lets the
 * event loop run at least every 20 ms: to learn of the jobs' end (`settled`: a failed or
 * cancelled job stops counting) and not to stall other work on this thread (a pipeline's
 * other branches).
 */
async function followRows(
  progress: Int32Array,
  counts: number[],
  report: (rows: number) => void,
  settled: () => boolean,
): Promise<void> {
  let turn = performance.now();
  let before = 0; // rows of the parts before part q
  for (let q = 0, seen = 0; q < counts.length;) {
    const rows = Atomics.load(progress, q);
    if (rows > seen) {
      report(before + rows);
      seen = rows;
    }
    if (seen === counts[q]) {
      before += counts[q];
      q++, seen = 0;
      continue;
    }
    if (settled()) return;
    if (rows <= seen) Atomics.wait(progress, q, seen, 5);
    if (performance.now() - turn >= 20) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      turn = performance.now();
    }
  }
}

/** `n * k / parts .. n * (k + 1) / parts`, as the kernels' `part` (integer division). */
function part(n: number, parts: number, k: number): [number, number] {
  return [Math.floor((n * k) / parts), Math.floor((n * (k + 1)) / parts)];
}

/**
 * The FFT of {@linkcode fftFilter} in `parts` parts across the pool's workers (crate module
 * `spectral::split`), over the grid's shared values, which it overwrites with the result.
 * Three steps, each step's parts in parallel, each part reading and writing shared arrays a
 * row or a block of columns at a time (no part holds a whole grid or spectrum):
 * 1. row part k (`fft_split_rows`): the plane of the whole grid (and the statistics blocks
 *    of its share of the data rows, for `onInputBlocks`), then the r2c of its padded rows
 *    (each data row detrended as it is read) into `spectrum` (`ny2` rows of `nc` complex
 *    values). Meanwhile this thread runs `onPosted` on the intact input. A grid with holes
 *    gets their Laplace fill first (`fft_split_fill`: bands of rows at the same time, one per
 *    worker, exchanging their edge rows every sweep), and the row parts run again, given the
 *    plane and the holes of each row that their first run returned (no whole-grid pass
 *    again), and put it into the rows they read;
 * 2. column part p (`fft_split_columns`): its columns of `spectrum` transformed along y, the
 *    transfer function, back; the kept rows written back into `spectrum`;
 * 3. row part q (`fft_split_inverse`): c2r of its data rows, crop, plane added back, holes
 *    restored, written over the grid's rows; its statistics blocks returned, its rows
 *    counted in `progress` for `onResultRows`.
 * Total gradient and tilt transform the columns along y once (the 2-D half spectrum, back
 * into `spectrum`), then for each derivative (x, y, vertical) run step 2 with its transfer
 * function into `kept` (`ny` rows of `nc`) and step 3 folding it into the grid's rows (x,
 * then the horizontal gradient, then the result, as the one job does): one derivative's
 * kept rows at a time, not three.
 * A failed or cancelled part cancels the others of its step.
 */
async function fftInParts(
  pool: WorkerPool,
  grid: { values: Float64Array<SharedArrayBuffer>; nx: number; ny: number },
  o: {
    dxKm: number;
    dyKm: number;
    op: string;
    params: Float64Array;
    parts: number;
    onPosted?: (inputBlocks: boolean) => void;
    onInputBlocks?: (summaries: Float64Array, from: number, to: number) => void;
    onResultBlocks?: (summaries: Float64Array, from: number, to: number) => void;
    onResultRows?: (rows: number) => void;
    onFill?: (end: HoleFillEnd) => void;
  } & FilterRunOptions,
): Promise<void> {
  const { nx, ny, values } = grid;
  const { parts, op, params } = o;
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;
  const each = Array.from({ length: parts }, (_, k) => k);
  // The hole fill's bands, which wait for each other: one per worker at most.
  const bands = each.slice(0, pool.size);
  // All the parts of a step; the first failure cancels the others.
  const step = <R>(job: (k: number) => Promise<R>, ks = each) =>
    Promise.all(ks.map((k) =>
      job(k).catch((error) => {
        stop.abort(error);
        throw error;
      })
    ));
  const [, ny2, nc, , , slots, counters] = await pool.run({
    kernel: "fft_split_layout",
    args: { nx, ny, parts: bands.length },
  }, { signal });
  const spectrum = sharedFloat64Array(2 * ny2 * nc);
  const none = new Float64Array(0);
  const rowStep = (plane = none, counts = new Uint32Array(0), fill = none) =>
    step((k) =>
      pool.run({
        kernel: "fft_split_rows",
        args: { grid: values, spectrum, plane, counts, fill, nx, ny, part: k, parts },
      }, { signal })
    );
  const rows = rowStep();
  // Awaited below, or abandoned when onPosted throws: it must not count as an unhandled
  // rejection meanwhile.
  rows.catch(() => {});
  try {
    o.onPosted?.(o.onInputBlocks !== undefined);
  } catch (error) {
    stop.abort(error);
    throw error;
  }
  const heads = await rows;
  // After the head, the counts of holes per row when nothing was written, then the input's
  // statistics blocks.
  let blocksAt = 7;
  if (heads[0][6] === 0) {
    // Holes: their Laplace fill needs the whole grid. Its bands of rows run at the same time,
    // one per worker, exchanging their edge rows every sweep; the row parts then run again
    // with it, given the plane and the counts (their first run wrote nothing).
    const exchange = {
      slots: sharedFloat64Array(slots),
      counters: new Int32Array(new SharedArrayBuffer(4 * counters)),
    };
    const plane = heads[0].slice(0, 5);
    const counts = Uint32Array.from(heads[0].subarray(7, 7 + ny));
    blocksAt += ny;
    // A band waits on its worker for the others; they are posted one after another and the
    // pool's queue is first in, first out, so they are next in line (a band's failure
    // cancels the others, which stop waiting).
    const ends = fillEnds(bands.length);
    const filled = await step((k) =>
      pool.run({
        kernel: "fft_split_fill",
        args: {
          grid: values,
          nx,
          ny,
          plane,
          counts,
          part: k,
          parts: bands.length,
          ...exchange,
          fillEnd: ends.subarray(3 * k, 3 * k + 3),
        },
      }, { signal }), bands);
    reportFill(ends, o.onFill);
    const fill = new Float64Array(filled.reduce((n, b) => n + b.length, 0));
    filled.reduce((at, b) => (fill.set(b, at), at + b.length), 0);
    await rowStep(plane, counts, fill);
  }
  const ranges = each.map((q) => part(ny, parts, q));
  for (const [k, [a, b]] of ranges.entries()) {
    o.onInputBlocks?.(heads[k].subarray(blocksAt), a * nx, b * nx);
  }
  const plane = heads[0].slice(0, 5);
  const holes = heads[0][5] > 0;
  // Total gradient and tilt: the 2-D half spectrum, then each derivative's kept rows in
  // turn, folded into the grid's rows; the other operators: one column step, one inverse.
  const three = op === "tilt" || op === "total-gradient";
  const kept = sharedFloat64Array(three ? 2 * ny * nc : 0);
  const common = { spectrum, kept, nx, ny, op, params };
  const columns = (derivative: number) =>
    step((p) =>
      pool.run({
        kernel: "fft_split_columns",
        args: { ...common, dxKm: o.dxKm, dyKm: o.dyKm, derivative, part: p, parts },
      }, { signal })
    );
  const progress = new Int32Array(new SharedArrayBuffer(4 * parts));
  const inverse = (derivative: number) =>
    step((q) =>
      pool.run({
        kernel: "fft_split_inverse",
        args: { ...common, grid: values, progress, plane, holes, derivative, part: q, parts },
      }, { signal })
    );
  await columns(-1);
  if (three) {
    await columns(0);
    await inverse(0);
    await columns(1);
    await inverse(1);
    await columns(2);
  }
  let settled = false;
  const last = inverse(three ? 2 : -1);
  last.then(() => (settled = true), () => (settled = true));
  if (o.onResultRows) {
    await followRows(progress, ranges.map(([a, b]) => b - a), o.onResultRows, () => settled);
  }
  const blocks = await last;
  for (const [q, [a, b]] of ranges.entries()) o.onResultBlocks?.(blocks[q], a * nx, b * nx);
}

/** The two-band RTP of {@linkcode fftFilter} (see its docs). */
async function stabilizedRtp(
  pool: WorkerPool,
  grid: GridArray,
  options: {
    dxKm: number;
    dyKm: number;
    operation: Extract<FftOperation, { op: "rtp" }>;
    /** Parts of the low-pass (1: one job). */
    parts: number;
    onFill?: (end: HoleFillEnd) => void;
  } & FilterRunOptions,
): Promise<Float64Array<ArrayBuffer>> {
  const { dxKm, dyKm, operation: o } = options;
  const cutoffKm = o.cutoffKm ?? RTP_CUTOFF_CELLS * Math.max(dxKm, dyKm);
  checkNumber("cutoffKm", cutoffKm, cutoffKm > 0, "a wavelength > 0 km");
  const job = async (values: Float64Array, op: string, params: number[]) => {
    const fillEnd = fillEnds();
    const out = await pool.run({
      kernel: "fft_filter",
      args: {
        grid: values,
        nx: grid.nx,
        ny: grid.ny,
        dxKm,
        dyKm,
        op,
        params: new Float64Array(params),
        fillEnd,
      },
    }, { signal: options.signal });
    reportFill(fillEnd, options.onFill);
    return out;
  };
  // Gaussian low-pass `[highKm, lowKm]`: long-wavelength side disabled (0), weight ½ at the
  // cutoff; in parts on a large grid (the two RTPs below already run side by side).
  const parts = options.parts;
  let low: Float64Array;
  if (parts > 1) {
    low = sharedFloat64Array(grid.nx * grid.ny);
    low.set(grid.values);
    await fftInParts(pool, { ...grid, values: low as Float64Array<SharedArrayBuffer> }, {
      dxKm,
      dyKm,
      op: "bandpass-gaussian",
      params: new Float64Array([0, cutoffKm]),
      parts,
      signal: options.signal,
      onFill: options.onFill,
    });
  } else {
    low = await job(grid.values, "bandpass-gaussian", [0, cutoffKm]);
  }
  const high = new Float64Array(low.length);
  for (let i = 0; i < low.length; i++) high[i] = grid.values[i] - low[i];
  const [a, b] = await Promise.all([
    job(low, "rtp", [o.inclination, o.declination, 20]),
    job(high, "rtp", [o.inclination, o.declination, 90]),
  ]);
  for (let i = 0; i < a.length; i++) a[i] += b[i];
  return a;
}

function fftArgs(o: FftOperation): [string, Float64Array] {
  switch (o.op) {
    case "bandpass": {
      checkNumber("lowKm", o.lowKm, o.lowKm >= 0, "a wavelength >= 0 km");
      checkNumber("highKm", o.highKm, o.highKm > o.lowKm, `a wavelength > lowKm (${o.lowKm}) km`);
      const order = o.order ?? 2;
      checkNumber("order", order, Number.isInteger(order) && order >= 1, "an integer >= 1");
      if (!BANDPASS_SHAPES.includes(o.shape)) {
        throw new FilterOptionError(
          "shape",
          `shape must be one of ${BANDPASS_SHAPES.join(", ")}, got "${o.shape}"`,
        );
      }
      // The kernel takes GMT's order `[high_km, low_km]`: the long-wavelength limit first.
      const p = o.shape === "butterworth" ? [o.highKm, o.lowKm, order] : [o.highKm, o.lowKm];
      return [`bandpass-${o.shape}`, new Float64Array(p)];
    }
    case "upward":
      checkNumber("heightM", o.heightM, o.heightM >= 0, "a finite height >= 0 metres");
      return ["upward", new Float64Array([o.heightM])];
    case "derivative":
      return [
        o.direction === "vertical" ? "vertical-derivative" : `derivative-${o.direction}`,
        new Float64Array(0),
      ];
    case "total-gradient":
    case "tilt":
      return [o.op, new Float64Array(0)];
    case "rtp":
      checkNumber(
        "inclination",
        o.inclination,
        Math.abs(o.inclination) <= 90,
        "in [-90, 90] degrees",
      );
      // The range of the declination is checked once, by the rtp stage's schema
      // (preprocessing/stages/rtp.ts); here only that it is a number, so a direct caller gets
      // a FilterOptionError rather than the kernel's error from the worker.
      checkNumber("declination", o.declination, true, "a finite number of degrees");
      return ["rtp", new Float64Array([o.inclination, o.declination])];
  }
}
