/**
 * Grid and point filters on the worker pool: typed wrappers of the gam-core filter kernels
 * (`outliers_zscore`, `outliers_iqr`, `outliers_mad`, `hampel`, `gaussian_filter_into`,
 * `median_filter_into`, `fft_filter_into`, `qc_seams`, `qc_anomalies`).
 *
 * Gaussian and median filters split the grid into row bands, one job each; every band travels
 * with a halo of rows on both sides (Gaussian: `ceil(4 * sigmaY)` rows, which covers the
 * kernel's radius `round(4 * sigmaY)`; median: `size / 2` rows), and the kernel computes only
 * the band's own rows. Each output cell is computed by the same arithmetic in the same order
 * whatever the banding, so results are bit-identical for 1 and N workers. FFT transforms and QC
 * need the whole grid and run as one job.
 *
 * Spacing in km for the FFT kernels: `dy = spacingLat * KM_PER_DEGREE` and
 * `dx = spacingLon * KM_PER_DEGREE * cos(centre latitude)`, a local flat-earth metric at the
 * grid's centre latitude (adequate for the regional grids the pipeline filters; on a global
 * grid the x scale is only right near the centre latitude).
 *
 * @module
 */
import type { Anomaly, ProcessedGrid } from "../contracts/mod.ts";
import type { WorkerPool } from "./pool.ts";

/** Kilometres per degree of latitude on the mean Earth sphere (R = 6371.0088 km). */
export const KM_PER_DEGREE = (Math.PI * 6371.0088) / 180;

/** A row-major `[lat][lon]` grid of `ny` rows by `nx` columns, NaN nodata. */
export interface GridArray {
  /** Values, `nx * ny`, row 0 = southernmost. */
  values: Float64Array;
  /** Columns (longitudes). */
  nx: number;
  /** Rows (latitudes). */
  ny: number;
}

/** Global outlier rules. */
export const OUTLIER_METHODS = ["zscore", "iqr", "mad"] as const;
/** A global outlier rule: z-score, Tukey fences on the IQR, or robust MAD z-score. */
export type OutlierMethod = typeof OUTLIER_METHODS[number];

/**
 * A filter option is invalid; `option` names it (e.g. `"sigma"`).
 *
 * @example Usage
 * ```ts
 * import { FilterOptionError } from "./filters.ts";
 * const e = new FilterOptionError("sigma", "sigma must be >= 0 cells, got -1");
 * e.option; // "sigma"
 * ```
 */
export class FilterOptionError extends RangeError {
  /** The option at fault. */
  readonly option: string;
  /**
   * @param option The option at fault.
   * @param message What was received and what was expected.
   */
  constructor(option: string, message: string) {
    super(message);
    this.name = "FilterOptionError";
    this.option = option;
  }
}

/** Options shared by every wrapper. */
export interface FilterRunOptions {
  /** Cancels the jobs (running ones have their workers terminated). */
  signal?: AbortSignal;
}

/** Options of the banded filters. */
export interface BandOptions extends FilterRunOptions {
  /**
   * Number of row bands (jobs); does not change the result.
   * @default {at least pool.size, bands of at most 2 Mi cells}
   */
  bands?: number;
  /**
   * Write the result over `grid.values` (returned) instead of a new array: no second grid in
   * memory. On a failure the values are left partly filtered.
   * @default {false}
   */
  inPlace?: boolean;
  /**
   * Called once, synchronously, after the first bands are posted and before any result is
   * stored: work for the main thread (e.g. hashing the input) while the workers compute.
   * @default {undefined}
   */
  onPosted?: () => void;
}

function checkGrid(g: GridArray): void {
  if (!Number.isInteger(g.nx) || !Number.isInteger(g.ny) || g.nx < 1 || g.ny < 1) {
    throw new FilterOptionError(
      "grid",
      `grid dimensions must be integers >= 1, got ${g.nx} x ${g.ny}`,
    );
  }
  if (g.values.length !== g.nx * g.ny) {
    throw new FilterOptionError(
      "grid",
      `grid values length ${g.values.length} differs from nx * ny = ${g.nx} * ${g.ny}`,
    );
  }
}

function checkNumber(name: string, v: number, ok: boolean, expected: string): void {
  if (!Number.isFinite(v) || !ok) {
    throw new FilterOptionError(name, `${name} must be ${expected}, got ${v}`);
  }
}

/**
 * The outlier mask of `values` by a global rule: `1` where the value is an outlier, `0`
 * elsewhere (NaN values are ignored by the statistics and always get `0` at their own index).
 *
 * - `zscore`: `|x - mean| / std > threshold` (population std).
 * - `iqr`: outside the Tukey fences `q1 - threshold * IQR`, `q3 + threshold * IQR` (1.5 classic).
 * - `mad`: `|x - median| / (1.4826 * MAD) > threshold`.
 *
 * @example Usage
 * ```ts ignore
 * import { outlierMask } from "./filters.ts";
 * const mask = await outlierMask(pool, new Float64Array([1, 2, NaN, 100]), { method: "mad", threshold: 3.5 });
 * ```
 */
export async function outlierMask(
  pool: WorkerPool,
  values: Float64Array,
  options: { method: OutlierMethod; threshold: number } & FilterRunOptions,
): Promise<Uint8Array> {
  const { method, threshold } = options;
  if (!OUTLIER_METHODS.includes(method)) {
    throw new FilterOptionError(
      "method",
      `method must be one of ${OUTLIER_METHODS.join(", ")}, got "${method}"`,
    );
  }
  checkNumber("threshold", threshold, threshold >= 0, "a number >= 0");
  const mask = await pool.run<Uint8Array>(
    { kernel: `outliers_${method}`, args: [values, threshold] },
    { signal: options.signal },
  );
  return mask;
}

/** The result of {@linkcode hampelFilter}. */
export interface HampelResult {
  /** `1` where the sample is an outlier, aligned with the input. */
  mask: Uint8Array;
  /** Median of each sample's window along its line (NaN when the window has no value). */
  medians: Float64Array<ArrayBuffer>;
}

/**
 * Rolling Hampel filter along flight lines: a sample is an outlier when it differs from the
 * median of the `halfWindow` samples either side on its own line by more than
 * `threshold * 1.4826 * MAD` of that window. Samples are grouped by `lineIds` and taken in
 * input order within each line.
 *
 * @example Usage
 * ```ts ignore
 * import { hampelFilter } from "./filters.ts";
 * const { mask, medians } = await hampelFilter(pool, values, lines, { halfWindow: 5, threshold: 3 });
 * ```
 */
export async function hampelFilter(
  pool: WorkerPool,
  values: Float64Array,
  lineIds: Float64Array,
  options: { halfWindow: number; threshold: number } & FilterRunOptions,
): Promise<HampelResult> {
  const { halfWindow, threshold } = options;
  checkNumber(
    "halfWindow",
    halfWindow,
    Number.isInteger(halfWindow) && halfWindow >= 1,
    "an integer >= 1",
  );
  checkNumber("threshold", threshold, threshold >= 0, "a number >= 0");
  if (lineIds.length !== values.length) {
    throw new FilterOptionError(
      "lineIds",
      `lineIds must have one id per value (${values.length}), got ${lineIds.length}`,
    );
  }
  const out = await pool.run<Float64Array<ArrayBuffer>>(
    { kernel: "hampel", args: [values, lineIds, halfWindow, threshold] },
    { signal: options.signal },
  );
  return unpackHampel(out, values.length);
}

function unpackHampel(out: unknown, n: number): HampelResult {
  // Boundary layout: `[mask as 0/1 | medians]`, 2n float64 values.
  const flat = out as Float64Array;
  if (flat.length !== 2 * n) {
    throw new RangeError(`hampel returned ${flat.length} values, expected ${2 * n}`);
  }
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = flat[i] === 1 ? 1 : 0;
  return { mask, medians: flat.slice(n) };
}

/** Row bands `[r0, r1)` covering `0..ny` in `count` near-equal parts. */
function bandsOf(ny: number, count: number): [number, number][] {
  const n = Math.max(1, Math.min(ny, Math.floor(count)));
  const out: [number, number][] = [];
  for (let b = 0; b < n; b++) {
    out.push([Math.floor((b * ny) / n), Math.floor(((b + 1) * ny) / n)]);
  }
  return out;
}

/** Cells of a row band when the caller does not choose the band count: 2 Mi (16 MiB of f64). */
const BAND_CELLS = 1 << 21;

/**
 * Runs a banded kernel `kernel(sub, nx, subNy, ...params, row0, row1, sub)` (an `*_into`
 * kernel: the band's rows come back over the start of `sub`) over row bands with `halo`
 * extra rows each side and stitches the bands.
 *
 * Bands are cut to at most {@linkcode BAND_CELLS} cells (at least one per worker) and at most
 * two per worker are in flight: each band's input is copied when it is posted, not all up
 * front, so the copies and the workers' WebAssembly memories stay a few bands in size whatever
 * the grid. With `inPlace`, a band's result is written over `values` as soon as every band
 * whose halo reads its rows has been posted (its copy taken), so no second grid is allocated.
 */
async function runBanded(
  pool: WorkerPool,
  grid: GridArray,
  kernel: string,
  params: unknown[],
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
  let posted = 0;
  const flush = () => {
    for (const [b, back] of done) {
      if (options.inPlace && lastReader[b] >= posted) continue;
      const [r0, r1] = bands[b];
      out.set(back.subarray(0, (r1 - r0) * nx), r0 * nx);
      done.delete(b);
    }
  };
  const inFlight = Math.max(1, 2 * pool.size);
  const post = async (b: number): Promise<void> => {
    const [r0, r1] = bands[b];
    const start = starts[b];
    const end = Math.min(ny, r1 + halo);
    const sub = values.slice(start * nx, end * nx);
    posted = b + 1;
    // `*_into` kernels write the band's rows over the start of `sub` and hand it back.
    const back = await pool.run<Float64Array<ArrayBuffer>>(
      { kernel, args: [sub, nx, end - start, ...params, r0 - start, r1 - start, sub] },
      { signal: options.signal, transfer: [sub.buffer] },
    );
    if (back.length !== (end - start) * nx) {
      throw new RangeError(
        `${kernel} returned ${back.length} values for rows ${start}..${end}, expected ${
          (end - start) * nx
        }`,
      );
    }
    // Each band is stored as soon as it may be, while later bands still compute.
    done.set(b, back);
    const next = posted < bands.length ? post(posted) : undefined; // copies its input now
    flush();
    await next;
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
 * ```ts ignore
 * import { gaussianFilter } from "./filters.ts";
 * const out = await gaussianFilter(pool, { values, nx, ny }, { sigmaX: 2, sigmaY: 2 });
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
      [sigmaX, sigmaY],
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
 * ```ts ignore
 * import { medianFilter } from "./filters.ts";
 * const out = await medianFilter(pool, { values, nx, ny }, { size: 5 });
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
      [size, circular],
      Math.floor(size / 2),
      options,
    );
  });
}

/**
 * Cell sizes in km of a geographic grid: `dy = spacingLat * KM_PER_DEGREE`,
 * `dx = spacingLon * KM_PER_DEGREE * cos(centre latitude)`.
 *
 * @example Usage
 * ```ts
 * import { cellSizeKm } from "./filters.ts";
 * cellSizeKm({ lat: new Float64Array([59, 61]), resolution: { lon: 0.1, lat: 0.1 } }); // dx ≈ 5.56, dy ≈ 11.12
 * ```
 */
export function cellSizeKm(
  grid: Pick<ProcessedGrid, "lat" | "resolution">,
): { dxKm: number; dyKm: number } {
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
 * ```ts ignore
 * import { RTP_LOW_INCLINATION } from "./filters.ts";
 * Math.abs(-28.2) < RTP_LOW_INCLINATION; // true: Rio is stabilised
 * ```
 */
export const RTP_LOW_INCLINATION = 45;

/**
 * Default cutoff of the stabilised RTP, in cells: wavelengths shorter than this many cells get
 * the phase-only operator.
 *
 * @example Usage
 * ```ts ignore
 * import { RTP_CUTOFF_CELLS } from "./filters.ts";
 * const cutoffKm = RTP_CUTOFF_CELLS * 0.55; // 4.4 km on a 0.005 degree grid
 * ```
 */
export const RTP_CUTOFF_CELLS = 8;

/**
 * Runs a frequency-domain operation on a whole grid as one job: bandpass (Gaussian,
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
 * @example Usage
 * ```ts ignore
 * import { cellSizeKm, fftFilter } from "./filters.ts";
 * const { dxKm, dyKm } = cellSizeKm(grid);
 * const out = await fftFilter(pool, { values, nx, ny }, { dxKm, dyKm, operation: { op: "upward", heightM: 500 } });
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
     * is detached (length 0) afterwards and the result comes back in that memory. Ignored for
     * the two-band RTP and for views that do not cover their whole buffer.
     * @default {false}
     */
    inPlace?: boolean;
  } & FilterRunOptions,
): Promise<Float64Array<ArrayBuffer>> {
  return Promise.resolve().then(async () => {
    checkGrid(grid);
    const { dxKm, dyKm, operation } = options;
    checkNumber("dxKm", dxKm, dxKm > 0, "a cell size > 0 km");
    checkNumber("dyKm", dyKm, dyKm > 0, "a cell size > 0 km");
    const [code, params] = fftArgs(operation);
    if (
      operation.op === "rtp" && operation.stabilize !== false &&
      Math.abs(operation.inclination) < RTP_LOW_INCLINATION
    ) {
      return await stabilizedRtp(pool, grid, { ...options, operation });
    }
    // One copy, transferred (a structured clone would copy twice: serialise, deserialise);
    // `fft_filter_into` writes the result over it and hands the same array back, so no
    // second grid-sized array is allocated. With `inPlace` the caller's own buffer travels
    // (and is detached), without even that copy.
    const own = options.inPlace === true && grid.values.buffer instanceof ArrayBuffer &&
      grid.values.byteOffset === 0 && grid.values.byteLength === grid.values.buffer.byteLength;
    const values = own ? grid.values as Float64Array<ArrayBuffer> : grid.values.slice();
    const length = values.length;
    const out = await pool.run<Float64Array<ArrayBuffer>>(
      {
        kernel: "fft_filter_into",
        args: [values, grid.nx, grid.ny, dxKm, dyKm, code, params, values],
      },
      { signal: options.signal, transfer: [values.buffer] },
    );
    if (out.length !== length) {
      throw new RangeError(`fft_filter_into returned ${out.length} values, expected ${length}`);
    }
    return out;
  });
}

/** The two-band RTP of {@linkcode fftFilter} (see its docs). */
async function stabilizedRtp(
  pool: WorkerPool,
  grid: GridArray,
  options: {
    dxKm: number;
    dyKm: number;
    operation: Extract<FftOperation, { op: "rtp" }>;
  } & FilterRunOptions,
): Promise<Float64Array<ArrayBuffer>> {
  const { dxKm, dyKm, operation: o } = options;
  const cutoffKm = o.cutoffKm ?? RTP_CUTOFF_CELLS * Math.max(dxKm, dyKm);
  checkNumber("cutoffKm", cutoffKm, cutoffKm > 0, "a wavelength > 0 km");
  const job = (values: Float64Array, op: string, params: number[]) =>
    pool.run<Float64Array<ArrayBuffer>>({
      kernel: "fft_filter",
      args: [values, grid.nx, grid.ny, dxKm, dyKm, op, new Float64Array(params)],
    }, { signal: options.signal });
  // Gaussian low-pass: long-wavelength side disabled (0), weight ½ at the cutoff.
  const low = await job(grid.values, "bandpass-gaussian", [0, cutoffKm]);
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
      // The kernel takes GMT's order: long-wavelength limit first, then the short one.
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
      checkNumber(
        "declination",
        o.declination,
        Math.abs(o.declination) <= 360,
        "in [-360, 360] degrees",
      );
      return ["rtp", new Float64Array([o.inclination, o.declination])];
  }
}

/** Data support of a grid, from {@linkcode gridCompleteness}. */
export interface Completeness {
  /** Grid nodes inside the bbox. */
  cells: number;
  /** Nodes inside the bbox within `supportKm` of a valid (non-NaN) node. */
  supported: number;
  /** `supported / cells`, in [0, 1] (0 for an empty bbox). */
  fraction: number;
  /** The support distance used, km. */
  supportKm: number;
  /** Distance from each node to the nearest valid node, km, row-major like the grid. */
  distanceKm: Float64Array<ArrayBuffer>;
}

/**
 * Completeness of a grid: the fraction of its nodes inside `bbox` that have data support
 * within `supportKm` (0: the node itself holds a value), and the grid of distances to the
 * nearest valid node, km. Distances come from the `distance_to_nearest` kernel (the gridding
 * metric: longitude scaled by the cosine of the node's latitude, degrees of latitude) times
 * {@linkcode KM_PER_DEGREE}; rows are split across the workers.
 *
 * @example Usage
 * ```ts ignore
 * import { gridCompleteness } from "./filters.ts";
 * const c = await gridCompleteness(pool, grid, { supportKm: 5 });
 * ```
 */
export async function gridCompleteness(
  pool: WorkerPool,
  grid: Pick<ProcessedGrid, "lat" | "lon" | "values" | "resolution">,
  options: { supportKm?: number; bbox?: readonly [number, number, number, number] } & BandOptions =
    {},
): Promise<Completeness> {
  const supportKm = options.supportKm ?? 0;
  checkNumber("supportKm", supportKm, supportKm >= 0, "a distance >= 0 km");
  const nx = grid.lon.length, ny = grid.lat.length;
  checkGrid({ values: grid.values as Float64Array, nx, ny });
  let valid = 0;
  for (let i = 0; i < grid.values.length; i++) if (grid.values[i] === grid.values[i]) valid++;
  const lon = new Float64Array(valid), lat = new Float64Array(valid);
  for (let i = 0, k = 0; i < grid.values.length; i++) {
    if (grid.values[i] !== grid.values[i]) continue;
    lon[k] = grid.lon[i % nx];
    lat[k++] = grid.lat[Math.floor(i / nx)];
  }
  const distanceKm = new Float64Array(nx * ny).fill(Infinity);
  if (valid > 0) {
    const spec = new Float64Array([
      grid.lon[0],
      grid.lat[0],
      grid.resolution.lon,
      grid.resolution.lat,
      nx,
      ny,
    ]);
    const bands = bandsOf(ny, options.bands ?? pool.size);
    const parts = await Promise.all(bands.map(([r0, r1]) =>
      pool.run<Float64Array<ArrayBuffer>>(
        { kernel: "distance_to_nearest", args: [lon, lat, spec, r0, r1] },
        { signal: options.signal },
      )
    ));
    bands.forEach(([r0], b) => {
      const part = parts[b];
      for (let i = 0; i < part.length; i++) distanceKm[r0 * nx + i] = part[i] * KM_PER_DEGREE;
    });
  }
  const [w, s, e, n] = options.bbox ?? [-Infinity, -Infinity, Infinity, Infinity];
  const eps = 1e-9;
  let cells = 0, supported = 0;
  for (let j = 0; j < ny; j++) {
    const la = grid.lat[j];
    if (la < s - eps || la > n + eps) continue;
    for (let i = 0; i < nx; i++) {
      const lo = grid.lon[i];
      if (lo < w - eps || lo > e + eps) continue;
      cells++;
      const c = j * nx + i;
      // A valid node is supported by itself whatever the rounding of its distance.
      if (grid.values[c] === grid.values[c] || distanceKm[c] <= supportKm) supported++;
    }
  }
  return { cells, supported, fraction: cells ? supported / cells : 0, supportKm, distanceKm };
}

/** A boundary between two surveys (or tiles) and what changes across it. */
export interface Seam {
  /** Survey (tile) ids on either side, `surveyA < surveyB`. */
  surveyA: number;
  surveyB: number;
  /** Pairs of 4-adjacent valid cells across the seam. */
  pairs: number;
  /**
   * Level offset `B - A`, data units: median over the pairs of the step across the seam
   * corrected for the field's own gradient (a linear field with a constant offset gives
   * exactly that offset).
   */
  offset: number;
  /** Robust spread (1.4826 MAD) of the per-pair offsets, data units. */
  offsetSpread: number;
  /** Median jump of the gradient across the seam, data units per cell (null if unknown). */
  gradientJump: number | null;
  /** `|offset|` or the gradient jump exceeds its threshold. */
  flagged: boolean;
}

/**
 * Seams of a grid assembled from several surveys or tiles (`survey` id per cell, NaN where
 * none): level offset and gradient jump across each boundary, flagged when `|offset|` exceeds
 * `threshold` or the gradient jump exceeds `gradientThreshold`. One job.
 *
 * @example Usage
 * ```ts ignore
 * import { qcSeams } from "./filters.ts";
 * const seams = await qcSeams(pool, { values, nx, ny }, survey, { threshold: 1 });
 * ```
 */
export async function qcSeams(
  pool: WorkerPool,
  grid: GridArray,
  survey: Float64Array,
  options: { threshold: number; gradientThreshold?: number } & FilterRunOptions,
): Promise<Seam[]> {
  checkGrid(grid);
  const { threshold, gradientThreshold = Number.MAX_VALUE } = options;
  checkNumber("threshold", threshold, threshold >= 0, "a number >= 0");
  checkNumber("gradientThreshold", gradientThreshold, gradientThreshold >= 0, "a number >= 0");
  if (survey.length !== grid.values.length) {
    throw new FilterOptionError(
      "survey",
      `survey must have one id per cell (${grid.values.length}), got ${survey.length}`,
    );
  }
  const out = await pool.run<Float64Array<ArrayBuffer>>(
    {
      kernel: "qc_seams",
      args: [grid.values, survey, grid.nx, grid.ny, threshold, gradientThreshold],
    },
    { signal: options.signal },
  );
  const seams: Seam[] = [];
  for (let i = 0; i + 7 <= out.length; i += 7) {
    seams.push({
      surveyA: out[i],
      surveyB: out[i + 1],
      pairs: out[i + 2],
      offset: out[i + 3],
      offsetSpread: out[i + 4],
      gradientJump: Number.isNaN(out[i + 5]) ? null : out[i + 5],
      flagged: out[i + 6] === 1,
    });
  }
  return seams;
}

/** Options of {@linkcode qcAnomalies}. */
export interface QcAnomalyOptions extends FilterRunOptions {
  /**
   * Regional field removed first: a least-squares `polynomial` trend, or a `lowpass` (plane
   * plus a NaN-aware Gaussian of the rest).
   * @default {"polynomial"}
   */
  regional?: "polynomial" | "lowpass";
  /** Polynomial trend order, 1 or 2. @default {1} */
  order?: 1 | 2;
  /**
   * Low-pass full width, km (Gaussian sigma = width / 6, as GMT grdfilter), converted to
   * cells with the geometric mean of the cell sizes.
   * @default {100}
   */
  regionalKm?: number;
  /** Robust z-score threshold. @default {3} */
  zThreshold?: number;
  /** Smallest component, cells. @default {4} */
  minCells?: number;
}

/**
 * Flags anomalies of a grid: removes a regional field, computes the robust z-score
 * `(r - median r) / (1.4826 MAD r)` of the residual, keeps cells above `zThreshold`, labels
 * positive and negative cells into 8-connected components of at least `minCells`, and reports
 * each as an `Anomaly` (weighted centroid lon/lat, depth 0, type `positive`/`negative`,
 * attributes `peak` (residual at the peak cell), `peakZ`, `cells`, `areaKm2`), strongest
 * first. Confidence (gam-core): `(1 - exp(-(|peak z| - threshold))) * (1 - exp(-cells / 4))`,
 * in [0, 1). A residual with no spread (MAD 0) gives no anomalies. One job.
 *
 * @example Usage
 * ```ts ignore
 * import { qcAnomalies } from "./filters.ts";
 * const anomalies = await qcAnomalies(pool, grid, { zThreshold: 3 });
 * ```
 */
export async function qcAnomalies(
  pool: WorkerPool,
  grid: Pick<ProcessedGrid, "lat" | "lon" | "values" | "resolution">,
  options: QcAnomalyOptions = {},
): Promise<Anomaly[]> {
  const nx = grid.lon.length, ny = grid.lat.length;
  checkGrid({ values: grid.values as Float64Array, nx, ny });
  const { regional = "polynomial", order = 1, regionalKm = 100, zThreshold = 3 } = options;
  const minCells = options.minCells ?? 4;
  checkNumber("zThreshold", zThreshold, zThreshold > 0, "a number > 0");
  checkNumber("minCells", minCells, Number.isInteger(minCells) && minCells >= 1, "an integer >= 1");
  let param: number = order;
  if (regional === "lowpass") {
    checkNumber("regionalKm", regionalKm, regionalKm > 0, "a wavelength > 0 km");
    const { dxKm, dyKm } = cellSizeKm(grid);
    param = regionalKm / 6 / Math.sqrt(dxKm * dyKm);
  }
  const spec = new Float64Array([
    grid.lon[0],
    grid.lat[0],
    grid.resolution.lon,
    grid.resolution.lat,
    nx,
    ny,
  ]);
  const values = grid.values instanceof Float64Array ? grid.values : Float64Array.from(grid.values);
  let out: Float64Array<ArrayBuffer>;
  try {
    out = await pool.run<Float64Array<ArrayBuffer>>(
      {
        kernel: "qc_anomalies",
        args: [
          values,
          spec,
          regional === "lowpass" ? "gaussian" : "polynomial",
          param,
          zThreshold,
          minCells,
        ],
      },
      { signal: options.signal },
    );
  } catch (e) {
    // A flat residual has no anomalies by definition.
    if (e instanceof Error && /MAD > 0/.test(e.message)) return [];
    throw e;
  }
  const anomalies: Anomaly[] = [];
  for (let i = 0; i + 8 <= out.length; i += 8) {
    const [lon, lat, peak, peakZ, cells, areaKm2, confidence] = out.subarray(i, i + 8);
    anomalies.push({
      lon,
      lat,
      depth: 0,
      confidence: Math.min(1, Math.max(0, confidence)),
      type: peakZ >= 0 ? "positive" : "negative",
      attributes: { peak, peakZ, cells, areaKm2 },
    });
  }
  return anomalies;
}
