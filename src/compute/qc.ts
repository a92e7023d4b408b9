/**
 * Grid quality control on the worker pool: typed wrappers of the gam-core QC kernels
 * (`distance_to_nearest` for completeness, `qc_seams`, `qc_anomalies`; crate module `qc`).
 * Completeness splits rows across the workers; seams and anomalies run as one job.
 *
 * @module
 */
import type { Anomaly, ProcessedGrid } from "../contracts/mod.ts";
import {
  type BandOptions,
  FilterOptionError,
  type FilterRunOptions,
  type GridArray,
  KM_PER_DEGREE,
} from "./arrays.ts";
import { bandsOf, checkGrid, checkNumber } from "./_checks.ts";
import type { WorkerPool } from "./pool.ts";
import { cellSizeKm } from "./spectral.ts";

/** Nodes per band of {@linkcode gridCompleteness}'s kernel calls. */
const BAND_CELLS = 1 << 20;

/**
 * `values` as a `Float32Array` when every one of them is a float32 number (NaN included), as a
 * float32 file's values widened to float64 are; undefined otherwise. One pass; a kernel that
 * takes float32 then needs half the copy and half the worker's memory for the same results.
 *
 * @example Usage
 * ```ts
 * import { float32Exact } from "./qc.ts";
 * float32Exact(new Float64Array([0.5, NaN, 3])); // Float32Array [0.5, NaN, 3]
 * float32Exact(new Float64Array([0.1])); // undefined: 0.1 is not a float32 number
 * ```
 */
export function float32Exact(values: Float64Array): Float32Array<ArrayBuffer> | undefined {
  const out = new Float32Array(values.length);
  for (let k = 0; k < values.length; k++) {
    const v = values[k];
    out[k] = v;
    if (out[k] !== v && v === v) return undefined;
  }
  return out;
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
  /**
   * Largest finite distance from a node (any node of the grid, not only the bbox's) to the
   * nearest valid node, km; null when no node has a valid node (an all-NaN grid).
   */
  maxDistanceKm: number | null;
  /** Mean of those finite distances (summed in row-major order), km; null as above. */
  meanDistanceKm: number | null;
  /**
   * Distance from each node to the nearest valid node, km, row-major like the grid; absent
   * when the call asked for `distances: false` (then only the statistics above are kept).
   */
  distanceKm?: Float64Array<ArrayBuffer>;
}

/** What {@linkcode gridCompleteness} reads of a grid's values, in one pass. */
export interface CompletenessScan {
  /** Columns and rows of the grid scanned. */
  nx: number;
  ny: number;
  /** Valid (non-NaN) nodes. */
  valid: number;
  /** Row-major indices of the valid nodes with a NaN 4-neighbour. */
  border: number[];
  /** NaN nodes per row. */
  nanInRow: Uint32Array;
  /** One bit per node, row-major: 1 for NaN (node `k` is bit `k & 31` of word `k >>> 5`). */
  nan: Uint32Array;
}

/**
 * The pass of {@linkcode gridCompleteness} over the values (which nodes are NaN, which valid
 * nodes border one), taken on its own so that a caller can hand the values to another job
 * before the completeness is computed (`qualityControl` gives them to the anomaly search).
 *
 * @example Usage
 * ```ts
 * import { completenessScan } from "./qc.ts";
 * const values = new Float64Array([1, NaN, 3, 4]);
 * const scan = completenessScan({ values, lon: new Float64Array(2), lat: new Float64Array(2) });
 * [scan.valid, scan.border]; // [3, [0, 3]]
 * ```
 */
export function completenessScan(
  grid: Pick<ProcessedGrid, "lat" | "lon" | "values">,
): CompletenessScan {
  const nx = grid.lon.length, ny = grid.lat.length;
  checkGrid({ values: grid.values as Float64Array, nx, ny });
  const v = grid.values;
  const nanInRow = new Uint32Array(ny);
  const nan = new Uint32Array(Math.ceil((nx * ny) / 32));
  let nanCount = 0;
  // Which nodes are NaN (a tight pass), then the border nodes of the rows next to a NaN only.
  for (let j = 0, k = 0; j < ny; j++) {
    let inRow = 0;
    for (let i = 0; i < nx; i++, k++) {
      if (v[k] !== v[k]) {
        inRow++;
        nan[k >>> 5] |= 1 << (k & 31);
      }
    }
    nanInRow[j] = inRow;
    nanCount += inRow;
  }
  const isNaN = (k: number) => ((nan[k >>> 5] >>> (k & 31)) & 1) === 1;
  const border: number[] = [];
  for (let j = 0; j < ny; j++) {
    const near = nanInRow[j] + (j > 0 ? nanInRow[j - 1] : 0) + (j < ny - 1 ? nanInRow[j + 1] : 0);
    if (near === 0) continue;
    for (let i = 0, k = j * nx; i < nx; i++, k++) {
      if (isNaN(k)) continue;
      if (
        (i > 0 && isNaN(k - 1)) || (i < nx - 1 && isNaN(k + 1)) ||
        (j > 0 && isNaN(k - nx)) || (j < ny - 1 && isNaN(k + nx))
      ) border.push(k);
    }
  }
  return { nx, ny, valid: nx * ny - nanCount, border, nanInRow, nan };
}

/**
 * Completeness of a grid: the fraction of its nodes inside `bbox` that have data support
 * within `supportKm` (0: the node itself holds a value), and the grid of distances to the
 * nearest valid node, km, with its largest and mean value. Distances come from the
 * `distance_to_nearest` kernel (the gridding metric: longitude scaled by the cosine of the
 * node's latitude, degrees of latitude) times {@linkcode KM_PER_DEGREE}; rows are split across
 * the workers.
 *
 * The kernel never sees every valid node at once (a k-d tree of 16.8 M nodes took gigabytes),
 * yet every distance is the one it gives over all valid nodes, bit for bit:
 * - a valid node's nearest valid node is itself (the others are a cell away). Its distance is
 *   0 when the axes are exactly the kernel's nodes `lon[0] + i * dx`, `lat[0] + j * dy`, and
 *   otherwise (axes read from a file may sit a few ulps off) the kernel's formula evaluated
 *   here, `sqrt(((lon[i] - x_i) cos φ_j)² + (lat[j] - y_j)²)`, with each row's cosine taken
 *   from the kernel itself (one call on a one-column grid, whose distance to a point one
 *   degree east is exactly the cosine);
 * - the nearest valid node of a NaN node has a NaN 4-neighbour (one step from it towards the
 *   NaN node is nearer by at least a cell's length squared), so the kernel gets only those
 *   border nodes, for the bands of at most 1 Mi nodes that hold a NaN node, at most two per
 *   worker in flight.
 * `distances: false` keeps only the statistics (no full-size array).
 *
 * @example Usage
 * ```ts
 * import { gridCompleteness } from "./qc.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const grid = {
 *   lon: new Float64Array([0, 0.1, 0.2, 0.3]),
 *   lat: new Float64Array([0]),
 *   values: new Float64Array([5, NaN, NaN, NaN]),
 *   resolution: { lon: 0.1, lat: 0.1 },
 * };
 * const c = await gridCompleteness(pool, grid, { supportKm: 12 });
 * [c.supported, c.cells]; // [2, 4]: the value and its neighbour 11 km away
 * ```
 */
export async function gridCompleteness(
  pool: WorkerPool,
  grid: Pick<ProcessedGrid, "lat" | "lon" | "values" | "resolution">,
  options: {
    supportKm?: number;
    bbox?: readonly [number, number, number, number];
    /** Keep the full-size `distanceKm` array. @default {true} */
    distances?: boolean;
    /**
     * The grid's values as {@linkcode completenessScan} read them: given, the values are not
     * read again (they may have gone to a worker meanwhile, see `qualityControl`).
     */
    scan?: CompletenessScan;
  } & BandOptions = {},
): Promise<Completeness> {
  const supportKm = options.supportKm ?? 0;
  checkNumber("supportKm", supportKm, supportKm >= 0, "a distance >= 0 km");
  const nx = grid.lon.length, ny = grid.lat.length;
  const scan = options.scan ?? completenessScan(grid);
  if (scan.nx !== nx || scan.ny !== ny) {
    throw new FilterOptionError(
      "scan",
      `scan: of a ${scan.ny} x ${scan.nx} grid, expected the grid's ${ny} x ${nx}`,
    );
  }
  const { valid, border, nanInRow, nan } = scan;
  const isNaN = (k: number) => ((nan[k >>> 5] >>> (k & 31)) & 1) === 1;
  const onAxes = (axis: ArrayLike<number>, step: number) => {
    for (let i = 0; i < axis.length; i++) if (axis[i] !== axis[0] + i * step) return false;
    return true;
  };
  const exact = onAxes(grid.lon, grid.resolution.lon) && onAxes(grid.lat, grid.resolution.lat);
  const keep = options.distances ?? true;
  const distanceKm = keep ? new Float64Array(nx * ny).fill(Infinity) : undefined;
  const spec = new Float64Array([
    grid.lon[0],
    grid.lat[0],
    grid.resolution.lon,
    grid.resolution.lat,
    nx,
    ny,
  ]);
  const bands = bandsOf(ny, Math.max(options.bands ?? 1, Math.ceil((nx * ny) / BAND_CELLS)));
  /** The kernel's distances (degrees) of a band's nodes, or null when it has no NaN node. */
  const query = (r0: number, r1: number): Promise<Float64Array> | null => {
    let nan = 0;
    for (let j = r0; j < r1; j++) nan += nanInRow[j];
    if (nan === 0) return null;
    const lon = new Float64Array(border.length), lat = new Float64Array(border.length);
    border.forEach((k, p) => {
      lon[p] = grid.lon[k % nx];
      lat[p] = grid.lat[Math.floor(k / nx)];
    });
    return pool.run(
      { kernel: "distance_to_nearest", args: { lon, lat, spec, row0: r0, row1: r1 } },
      { signal: options.signal },
    );
  };
  // The kernel's cos(latitude) of each row (see above), when a valid node may be off its node.
  let rowCos: Float64Array | undefined;
  if (!exact && valid > 0) {
    const y0 = grid.lat[0], dy = grid.resolution.lat;
    rowCos = await pool.run({
      kernel: "distance_to_nearest",
      args: {
        lon: new Float64Array(ny).fill(1),
        lat: Float64Array.from({ length: ny }, (_, j) => y0 + j * dy),
        spec: new Float64Array([0, y0, 1, dy, 1, ny]),
        row0: 0,
        row1: ny,
      },
    }, { signal: options.signal });
  }
  const x0 = grid.lon[0], dx = grid.resolution.lon, y0 = grid.lat[0], dy = grid.resolution.lat;
  // Row-major pass: the distances, their statistics (summed in row-major order), support.
  let max = -Infinity, sum = 0, count = 0;
  const [w, s, e, n] = options.bbox ?? [-Infinity, -Infinity, Infinity, Infinity];
  const eps = 1e-9;
  let cells = 0, supported = 0;
  // Per column: the offset of the file's longitude from the kernel's node, and whether the
  // column is inside the bbox.
  const dLon = new Float64Array(nx), inLon = new Uint8Array(nx);
  let inLonCount = 0;
  for (let i = 0; i < nx; i++) {
    dLon[i] = grid.lon[i] - (x0 + i * dx);
    const lo = grid.lon[i];
    inLon[i] = lo < w - eps || lo > e + eps ? 0 : 1;
    inLonCount += inLon[i];
  }
  /** The running largest distance and sum, for {@linkcode validRow}. */
  const acc = new Float64Array(2);
  const inFlight: (Promise<Float64Array> | null)[] = [];
  const window = 2 * pool.size;
  let next = 0;
  try {
    for (const [r0, r1] of bands) {
      while (valid > 0 && next < bands.length && inFlight.length < window) {
        inFlight.push(query(...bands[next++]));
      }
      const part = valid > 0 ? await inFlight.shift() : null;
      for (let j = r0; j < r1; j++) {
        const la = grid.lat[j];
        const inLat = !(la < s - eps || la > n + eps);
        // The kernel's dist2 of a valid node (this node on the file's axes, the kernel's node):
        // `sqrt((dLon[i] * cos)² + b²)`, 0 on exact axes.
        const rc = rowCos === undefined ? 0 : rowCos[j];
        const b = rowCos === undefined ? 0 : grid.lat[j] - (y0 + j * dy);
        const c0 = j * nx;
        if (nanInRow[j] === 0) {
          // Every node valid, and supported by itself.
          if (rowCos === undefined) {
            // Distance 0 everywhere.
            if (nx > 0 && 0 > max) max = 0;
            count += nx;
          } else {
            acc[0] = max, acc[1] = sum;
            count += validRow(dLon, rc, b, acc, distanceKm, c0);
            max = acc[0], sum = acc[1];
          }
          if (distanceKm !== undefined && rowCos === undefined) distanceKm.fill(0, c0, c0 + nx);
          if (inLat) {
            cells += inLonCount;
            supported += inLonCount;
          }
          continue;
        }
        for (let i = 0; i < nx; i++) {
          const c = c0 + i;
          let d = Infinity;
          if (isNaN(c)) {
            if (part) d = part[(j - r0) * nx + i] * KM_PER_DEGREE;
          } else if (rowCos === undefined) d = 0;
          else {
            const a = dLon[i] * rc;
            d = Math.sqrt(a * a + b * b) * KM_PER_DEGREE;
          }
          if (distanceKm !== undefined) distanceKm[c] = d;
          if (Number.isFinite(d)) {
            if (d > max) max = d;
            sum += d;
            count++;
          }
          if (!inLat || inLon[i] === 0) continue;
          cells++;
          // A valid node is supported by itself whatever the rounding of its distance.
          if (!isNaN(c) || d <= supportKm) supported++;
        }
      }
    }
  } catch (e) {
    for (const p of inFlight) p?.catch(() => {});
    throw e;
  }
  return {
    cells,
    supported,
    fraction: cells ? supported / cells : 0,
    supportKm,
    maxDistanceKm: count ? max : null,
    meanDistanceKm: count ? sum / count : null,
    ...(distanceKm !== undefined ? { distanceKm } : {}),
  };
}

/**
 * The distances (km) of a row of valid nodes off the kernel's nodes, `sqrt((dLon[i] · cos)² +
 * b²)` (see {@linkcode gridCompleteness}), folded west to east into the running largest
 * `acc[0]` and sum `acc[1]`, and written to `out` from `at` when given; returns how many were
 * finite. A function of its own so that V8 optimises it after a few rows.
 */
function validRow(
  dLon: Float64Array,
  cos: number,
  b: number,
  acc: Float64Array,
  out: Float64Array | undefined,
  at: number,
): number {
  let max = acc[0], sum = acc[1], count = 0;
  const bb = b * b;
  for (let i = 0; i < dLon.length; i++) {
    const a = dLon[i] * cos;
    const d = Math.sqrt(a * a + bb) * KM_PER_DEGREE;
    if (out !== undefined) out[at + i] = d;
    if (Number.isFinite(d)) {
      if (d > max) max = d;
      sum += d;
      count++;
    }
  }
  acc[0] = max, acc[1] = sum;
  return count;
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
  /** `|offset|` exceeds `offsetThreshold` or the gradient jump `gradientThreshold`. */
  flagged: boolean;
}

/**
 * Seams of a grid assembled from several surveys or tiles (`survey` id per cell, NaN where
 * none): level offset and gradient jump across each boundary, flagged when `|offset|` exceeds
 * `offsetThreshold` or the gradient jump exceeds `gradientThreshold` (data units per cell).
 * One job.
 *
 * @example Usage
 * ```ts
 * import { qcSeams } from "./qc.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * // 4 x 2 cells, survey 1 on the left half, survey 2 (3 units higher) on the right.
 * const values = new Float64Array([0, 0, 3, 3, 0, 0, 3, 3]);
 * const survey = new Float64Array([1, 1, 2, 2, 1, 1, 2, 2]);
 * const [seam] = await qcSeams(pool, { values, nx: 4, ny: 2 }, survey, { offsetThreshold: 1 });
 * [seam.offset, seam.flagged]; // [3, true]
 * ```
 */
export async function qcSeams(
  pool: WorkerPool,
  grid: GridArray,
  survey: Float64Array,
  options: { offsetThreshold: number; gradientThreshold?: number } & FilterRunOptions,
): Promise<Seam[]> {
  checkGrid(grid);
  const { offsetThreshold, gradientThreshold = Number.MAX_VALUE } = options;
  checkNumber("offsetThreshold", offsetThreshold, offsetThreshold >= 0, "a number >= 0");
  checkNumber("gradientThreshold", gradientThreshold, gradientThreshold >= 0, "a number >= 0");
  if (survey.length !== grid.values.length) {
    throw new FilterOptionError(
      "survey",
      `survey must have one id per cell (${grid.values.length}), got ${survey.length}`,
    );
  }
  const out = await pool.run(
    {
      kernel: "qc_seams",
      args: {
        values: grid.values,
        survey,
        nx: grid.nx,
        ny: grid.ny,
        offsetThreshold,
        gradientThreshold,
      },
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
  /**
   * Transfer the values' buffer to the worker instead of copying it (an array that is its
   * whole buffer only): `grid.values` is detached (length 0) afterwards. For a caller that
   * never reads them again (`gam qc`): no 128 MiB copy of a 4096² float64 grid.
   * @default {false}
   */
  transferValues?: boolean;
}

/**
 * Flags anomalies of a grid: removes a regional field, computes the robust z-score
 * `(r - median r) / (1.4826 MAD r)` of the residual, keeps cells above `zThreshold`, labels
 * positive and negative cells into 8-connected components of at least `minCells`, and reports
 * each as an `Anomaly` (weighted centroid lon/lat, depth 0, type `positive`/`negative`,
 * attributes `peak` (residual at the peak cell), `peakZ`, `cells`, `areaKm2`), strongest
 * first. Confidence (gam-core): `(1 - exp(-(|peak z| - threshold))) * (1 - exp(-cells / 4))`,
 * in [0, 1). A residual with no spread (MAD 0) gives no anomalies. One job: float32 values
 * (`Float32Array`) go to `qc_anomalies_f32`, which gives the records of their float64 widening
 * with half the copy and memory; float64 ones to `qc_anomalies`. A grid in a projected `crs` (axes in metres): the centroid is transformed to lon/lat and also kept as
 * attributes `x`, `y` (metres), and `areaKm2` is the cell count times `dx * dy / 1e6`.
 *
 * @example Usage
 * ```ts
 * import { qcAnomalies } from "./qc.ts";
 * import { WorkerPool } from "./pool.ts";
 * await using pool = new WorkerPool({ size: 1 });
 * const n = 21;
 * const values = new Float64Array(n * n).map((_, i) => Math.sin(i) * 0.1);
 * for (const c of [220, 221, 241, 199]) values[c] += 10; // a body at the centre
 * const axis = Float64Array.from({ length: n }, (_, i) => i * 0.01);
 * const grid = { lon: axis, lat: axis, values, resolution: { lon: 0.01, lat: 0.01 } };
 * const [body] = await qcAnomalies(pool, grid, { zThreshold: 3 });
 * body.type; // "positive"
 * ```
 */
export async function qcAnomalies(
  pool: WorkerPool,
  grid: Pick<ProcessedGrid, "lat" | "lon" | "values" | "resolution"> & { crs?: string },
  options: QcAnomalyOptions = {},
): Promise<Anomaly[]> {
  const projected = grid.crs !== undefined && grid.crs !== "EPSG:4326";
  const nx = grid.lon.length, ny = grid.lat.length;
  checkGrid({ values: grid.values as Float64Array, nx, ny });
  const { regional = "polynomial", order = 1, regionalKm = 100, zThreshold = 3 } = options;
  const minCells = options.minCells ?? 4;
  checkNumber("zThreshold", zThreshold, zThreshold > 0, "a number > 0");
  checkNumber("minCells", minCells, Number.isInteger(minCells) && minCells >= 1, "an integer >= 1");
  // The polynomial order, or the low-pass sigma in cells.
  let regionalParam: number = order;
  if (regional === "lowpass") {
    checkNumber("regionalKm", regionalKm, regionalKm > 0, "a wavelength > 0 km");
    const { dxKm, dyKm } = cellSizeKm(grid);
    regionalParam = regionalKm / 6 / Math.sqrt(dxKm * dyKm);
  }
  // A projected grid runs in node-index space (the kernel's centroid is then a column and row;
  // its km² area, which assumes degrees, is recomputed below from the cell count).
  const spec = projected ? new Float64Array([0, 0, 1, 1, nx, ny]) : new Float64Array([
    grid.lon[0],
    grid.lat[0],
    grid.resolution.lon,
    grid.resolution.lat,
    nx,
    ny,
  ]);
  const values = grid.values;
  // Only an array that is its whole (non-shared) buffer can be transferred.
  const whole = values.buffer instanceof ArrayBuffer && values.byteOffset === 0 &&
    values.byteLength === values.buffer.byteLength;
  const args = { values, spec, regional, regionalParam, zThreshold, minCells };
  const run = {
    signal: options.signal,
    transfer: options.transferValues && whole ? [values.buffer as ArrayBuffer] : [],
  };
  let out: Float64Array<ArrayBuffer>;
  try {
    // Float32 values (a float32 file's) go as they are: half the copy and the worker's memory.
    out = values instanceof Float32Array
      ? await pool.run({ kernel: "qc_anomalies_f32", args: { ...args, values } }, run)
      : await pool.run({ kernel: "qc_anomalies", args: { ...args, values } }, run);
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
  if (projected && anomalies.length > 0) {
    // Column and row to easting and northing (kept as attributes x, y, metres in the grid's
    // CRS), then to the contract's longitude and latitude.
    const { crs } = grid as { crs: string };
    const dx = grid.resolution.lon, dy = grid.resolution.lat;
    const x = Float64Array.from(anomalies, (a) => grid.lon[0] + a.lon * dx);
    const y = Float64Array.from(anomalies, (a) => grid.lat[0] + a.lat * dy);
    const { toLonLat } = await import("../formats/mod.ts");
    const ll = toLonLat(crs, x, y);
    anomalies.forEach((a, k) => {
      a.lon = ll.lon[k], a.lat = ll.lat[k];
      const cells = a.attributes!.cells as number;
      a.attributes = { ...a.attributes, areaKm2: (cells * dx * dy) / 1e6, x: x[k], y: y[k] };
    });
  }
  return anomalies;
}
